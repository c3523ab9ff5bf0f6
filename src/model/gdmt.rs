//! Background therapy (GDMT).
//!
//! Each drug class `g` moves the LV set point towards its full effect
//! (`a_g` on logit LVEF and on log LVEDV, scaled by the patient's GDMT
//! responsiveness and by a factor for ischaemic aetiology) with time constant
//! `tau` from the day the class was started or last up-titrated:
//!
//! ```text
//! S_g(t) = a_g (1 - exp(-(t + t_on,g) / tau))
//! ```
//! The LV follows its set point with the remodelling lag `k` (see
//! `remodelling`), so the structural response to a class started `t'` days
//! ago is `a_g psi_k(t')` with
//!
//! ```text
//! psi_k(t') = 1 - (k exp(-t'/tau) - (1/tau) exp(-k t')) / (k - 1/tau)
//! ```
//! The model starts every patient on this trajectory, so a recently treated
//! cohort (PRIME-HFrEF, large placebo improvement) and a long-stable cohort
//! (near-flat placebo arm) come out of the same equations: only `t_on`
//! differs.

use super::params::P;
use super::patient::PatientParams;
use serde::{Deserialize, Serialize};

/// GDMT drug classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GdmtClass {
    Arni,
    AceiArb,
    BetaBlocker,
    Mra,
    Sglt2i,
}

pub const N_GDMT: usize = 5;

impl GdmtClass {
    pub const ALL: [GdmtClass; N_GDMT] = [
        GdmtClass::Arni,
        GdmtClass::AceiArb,
        GdmtClass::BetaBlocker,
        GdmtClass::Mra,
        GdmtClass::Sglt2i,
    ];

    pub fn key(&self) -> &'static str {
        match self {
            GdmtClass::Arni => "arni",
            GdmtClass::AceiArb => "acei_arb",
            GdmtClass::BetaBlocker => "beta_blocker",
            GdmtClass::Mra => "mra",
            GdmtClass::Sglt2i => "sglt2i",
        }
    }

    fn effects(&self) -> (P, P) {
        match self {
            GdmtClass::Arni => (P::ArniLogitEf, P::ArniLogEdv),
            GdmtClass::AceiArb => (P::AceiArbLogitEf, P::AceiArbLogEdv),
            GdmtClass::BetaBlocker => (P::BetaBlockerLogitEf, P::BetaBlockerLogEdv),
            GdmtClass::Mra => (P::MraLogitEf, P::MraLogEdv),
            GdmtClass::Sglt2i => (P::Sglt2iLogitEf, P::Sglt2iLogEdv),
        }
    }
}

/// Days each class had been taken at enrolment (`None`: not taken).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GdmtHistory {
    pub days_on: [Option<f64>; N_GDMT],
}

/// One class a patient takes.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Term {
    ef: f64,
    edv: f64,
    days_on: f64,
}

/// A patient's GDMT.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gdmt {
    terms: [Term; N_GDMT],
    n: usize,
    /// `1 / tau`
    onset_rate: f64,
}

impl Gdmt {
    pub fn new(p: &PatientParams, history: &GdmtHistory, ischaemic: bool) -> Gdmt {
        let scale = p.get(P::GdmtResponse)
            * if ischaemic {
                p.get(P::GdmtIschaemicFactor)
            } else {
                1.0
            };
        let mut terms = [Term::default(); N_GDMT];
        let mut n = 0;
        for (class, days) in GdmtClass::ALL.iter().zip(history.days_on.iter()) {
            if let Some(days_on) = days {
                let (ef, edv) = class.effects();
                terms[n] = Term {
                    ef: scale * p.get(ef),
                    edv: scale * p.get(edv),
                    days_on: days_on.max(0.0),
                };
                n += 1;
            }
        }
        Gdmt {
            terms,
            n,
            onset_rate: 1.0 / p.get(P::GdmtTimeConstant),
        }
    }

    /// Set-point contributions `(logit EF, log EDV)` at day `t`.
    #[inline]
    pub fn setpoint(&self, t: f64) -> (f64, f64) {
        let (mut ef, mut edv) = (0.0, 0.0);
        for term in &self.terms[..self.n] {
            let f = 1.0 - (-self.onset_rate * (t + term.days_on)).exp();
            ef += term.ef * f;
            edv += term.edv * f;
        }
        (ef, edv)
    }

    /// Structural response `(logit EF, log EDV)` at day `t` of a ventricle
    /// following the set point with lag rate `k`, from the start of each class.
    pub fn lagged(&self, k: f64, t: f64) -> (f64, f64) {
        let (mut ef, mut edv) = (0.0, 0.0);
        for term in &self.terms[..self.n] {
            let f = lagged_response(self.onset_rate, k, t + term.days_on);
            ef += term.ef * f;
            edv += term.edv * f;
        }
        (ef, edv)
    }

    /// The set point as `(A_ef - B_ef e^{-mu t}, A_edv - B_edv e^{-mu t})`:
    /// returns `(A_ef, B_ef, A_edv, B_edv)` (every class shares `mu`).
    pub fn exponential_form(&self) -> (f64, f64, f64, f64) {
        let mut out = (0.0, 0.0, 0.0, 0.0);
        for term in &self.terms[..self.n] {
            let e = (-self.onset_rate * term.days_on).exp();
            out.0 += term.ef;
            out.1 += term.ef * e;
            out.2 += term.edv;
            out.3 += term.edv * e;
        }
        out
    }

    /// The rate `mu = 1 / tau` of the exponential form (per day).
    #[inline]
    pub fn onset_rate(&self) -> f64 {
        self.onset_rate
    }

    /// The set point `(logit EF, log EDV)` from the exponential form at
    /// `e = exp(-mu t)`: `(A_ef - B_ef e, A_edv - B_edv e)`.
    #[inline]
    pub fn setpoint_from_form(form: &(f64, f64, f64, f64), e: f64) -> (f64, f64) {
        (form.0 - form.1 * e, form.2 - form.3 * e)
    }

    /// The same GDMT with every class's EF effect multiplied by `s_ef` and
    /// its EDV effect by `s_edv` (the share the patient's room allows, see
    /// `remodelling`).
    pub fn scaled(&self, s_ef: f64, s_edv: f64) -> Gdmt {
        let mut g = *self;
        for term in &mut g.terms[..g.n] {
            term.ef *= s_ef;
            term.edv *= s_edv;
        }
        g
    }

    /// Full effects summed over the classes taken `(logit EF, log EDV)`.
    pub fn full_effect(&self) -> (f64, f64) {
        self.terms[..self.n]
            .iter()
            .fold((0.0, 0.0), |(a, b), t| (a + t.ef, b + t.edv))
    }
}

/// `psi_k(t)`: response at time `t` of `x' = k (1 - exp(-mu s) - x)`, `x(0) = 0`.
///
/// Uses the symmetric form `1 - exp(-a t) (1 + a t phi((b - a) t))` with
/// `a = min(mu, k)`, `b = max(mu, k)` and `phi(x) = (1 - exp(-x)) / x`, which
/// is exact for `mu = k` and never overflows.
pub fn lagged_response(mu: f64, k: f64, t: f64) -> f64 {
    if t <= 0.0 {
        return 0.0;
    }
    let (a, b) = if mu <= k { (mu, k) } else { (k, mu) };
    1.0 - (-a * t).exp() * (1.0 + a * t * phi((b - a) * t))
}

/// `(1 - exp(-x)) / x`, with `phi(0) = 1`.
#[inline]
pub fn phi(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        1.0 - 0.5 * x
    } else {
        -(-x).exp_m1() / x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numerical check of psi against a fine Euler-free reference: the exact
    /// solution for distinct rates, written the textbook way.
    #[test]
    fn lagged_response_matches_the_textbook_formula() {
        for &(mu, k) in &[(0.01f64, 0.03f64), (0.05, 0.02), (1.0 / 150.0, 0.033)] {
            for &t in &[0.5f64, 10.0, 100.0, 400.0] {
                let textbook = 1.0 - (k * (-mu * t).exp() - mu * (-k * t).exp()) / (k - mu);
                assert!((lagged_response(mu, k, t) - textbook).abs() < 1e-13);
            }
        }
    }

    #[test]
    fn lagged_response_is_continuous_at_equal_rates() {
        let t = 50.0;
        let equal = lagged_response(0.02, 0.02, t);
        let near = lagged_response(0.02, 0.02 * (1.0 + 1e-9), t);
        // x' = k(1 - e^{-kt} - x): x = 1 - e^{-kt}(1 + kt)
        let exact = 1.0 - (-0.02f64 * t).exp() * (1.0 + 0.02 * t);
        assert!((equal - exact).abs() < 1e-15);
        assert!((near - exact).abs() < 1e-9);
    }
}
