//! Coagulation.
//!
//! Infused MSC carry tissue factor: an infusion starts an instant
//! blood-mediated inflammatory reaction (IBMIR), seen as an acute D-dimer rise
//! (`I`, half-life under a day), and a sustained procoagulant state (`C`,
//! half-life about two weeks) whose size grows with anti-donor antibody at the
//! time of the infusion (immune-complex amplification). That lets the model
//! produce what PRIME-HFrEF saw: D-dimer raised from the 2nd infusion through
//! the 3rd and normal by day 180. Background VKA/NOAC and heparin given with
//! the infusion block a share of both responses; heparin also lowers lung
//! embolism (see `kinetics`). The sustained state attenuates the LV repair
//! drive (`paracrine`) and causes irreversible microvascular injury:
//!
//! ```text
//! dI/dt = a_I r(t) - k_I I
//! dC/dt = a_C (b + A Ab(t_dose)) r(t) - k_C C
//! dInjury/dt = kappa C
//! a_I = gain_I (1 - block) susceptibility blood_contact      (a_C likewise)
//! D-dimer(t) = DD_stable (1 + excess 2^(-t / t_half)) + I + C + g_J Injury
//! INR(t) = INR(anticoagulant) - slope C
//! ```

use super::kinetics::LN2;
use super::params::P;
use super::patient::PatientParams;
use super::state::*;
use serde::{Deserialize, Serialize};

/// Background oral anticoagulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anticoagulant {
    None,
    Vka,
    Noac,
}

impl Anticoagulant {
    pub fn is_anticoagulated(&self) -> bool {
        !matches!(self, Anticoagulant::None)
    }
}

/// Share of the cell-induced coagulation left active by anticoagulation.
pub fn unblocked_share(p: &PatientParams, background: Anticoagulant, heparin: bool) -> f64 {
    let bg = if background.is_anticoagulated() {
        1.0 - p.get(P::VkaNoacInhibition)
    } else {
        1.0
    };
    let hep = if heparin {
        1.0 - p.get(P::HeparinInhibition)
    } else {
        1.0
    };
    bg * hep
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coagulation {
    /// Acute D-dimer rise per viable 1e6 cells/kg (after blocking).
    pub acute_gain: f64,
    pub k_acute: f64,
    /// Sustained rise per viable 1e6 cells/kg per antibody unit (after blocking).
    pub sustained_gain: f64,
    pub sustained_base: f64,
    pub antibody_amplification: f64,
    pub k_sustained: f64,
    pub injury_rate: f64,
    pub ddimer_stable: f64,
    pub enrolment_excess: f64,
    pub k_enrolment: f64,
    /// Persistent D-dimer per unit of microvascular injury.
    pub injury_ddimer: f64,
    pub inr_anticoagulant: f64,
    pub inr_slope: f64,
}

impl Coagulation {
    /// `ddimer_at_enrolment`: the patient's D-dimer at day 0 (mg/L).
    pub fn new(
        p: &PatientParams,
        unblocked: f64,
        blood_contact: f64,
        anticoagulant: Anticoagulant,
        ddimer_at_enrolment: f64,
    ) -> Coagulation {
        let susceptibility = p.get(P::IbmirSusceptibility);
        let excess = p.get(P::DdimerEnrolmentExcess);
        Coagulation {
            acute_gain: p.get(P::IbmirDdimerGain) * unblocked * susceptibility * blood_contact,
            k_acute: LN2 / p.get(P::IbmirHalfLife),
            sustained_gain: p.get(P::SustainedDdimerGain)
                * unblocked
                * susceptibility
                * blood_contact,
            sustained_base: p.get(P::SustainedDdimerBaseFraction),
            antibody_amplification: p.get(P::SustainedAntibodyAmplification),
            k_sustained: LN2 / p.get(P::SustainedProcoagHalfLife),
            injury_rate: p.get(P::MicrovascularInjuryRate),
            ddimer_stable: ddimer_at_enrolment / (1.0 + excess),
            enrolment_excess: excess,
            k_enrolment: LN2 / p.get(P::DdimerEnrolmentHalfLife),
            injury_ddimer: p.get(P::DdimerInjuryGain),
            inr_anticoagulant: match anticoagulant {
                Anticoagulant::None => p.get(P::InrNone),
                Anticoagulant::Vka => p.get(P::InrVka),
                Anticoagulant::Noac => p.get(P::InrNoac),
            },
            inr_slope: p.get(P::InrProcoagulantSlope),
        }
    }

    /// Input rates into `(I, C)` for a viable infusion rate, given the
    /// antibody level at the start of the infusion.
    #[inline]
    pub fn inputs(&self, viable_rate: f64, antibody_at_dose: f64) -> (f64, f64) {
        (
            self.acute_gain * viable_rate,
            self.sustained_gain
                * (self.sustained_base + self.antibody_amplification * antibody_at_dose.max(0.0))
                * viable_rate,
        )
    }

    #[inline]
    pub fn rhs(&self, y: &State, dy: &mut State, acute_input: f64, sustained_input: f64) {
        dy[IBMIR] = acute_input - self.k_acute * y[IBMIR];
        dy[SUSTAINED] = sustained_input - self.k_sustained * y[SUSTAINED];
        dy[INJURY] = self.injury_rate * y[SUSTAINED];
    }

    /// The exact solution of `(I, C, Injury)` over `dt` days without input
    /// (pure decays; injury accumulates `kappa C`): what the fast path
    /// propagates these states and the SAE hazard's integrals with.
    #[inline]
    pub fn decay(&self, dt: f64) -> CoagulationDecay {
        let sustained_integral = -(-self.k_sustained * dt).exp_m1() / self.k_sustained;
        CoagulationDecay {
            acute: (-self.k_acute * dt).exp(),
            sustained: (-self.k_sustained * dt).exp(),
            acute_integral: -(-self.k_acute * dt).exp_m1() / self.k_acute,
            sustained_integral,
            injury_per_sustained: self.injury_rate * sustained_integral,
        }
    }

    /// [`Coagulation::decay`] over twice the interval of `d`, by the
    /// recurrences `exp(-2 k dt) = exp(-k dt)^2` and
    /// `int_0^{2dt} = int_0^dt (1 + e^{-k dt})` (the fast path's tail doubles
    /// its step this way).
    #[inline]
    pub fn doubled(&self, d: &CoagulationDecay) -> CoagulationDecay {
        let sustained_integral = d.sustained_integral * (1.0 + d.sustained);
        CoagulationDecay {
            acute: d.acute * d.acute,
            sustained: d.sustained * d.sustained,
            acute_integral: d.acute_integral * (1.0 + d.acute),
            sustained_integral,
            injury_per_sustained: self.injury_rate * sustained_integral,
        }
    }

    /// `int_0^dt exp(-k s) ds` of `I` and `C`.
    #[inline]
    pub fn decay_integrals(&self, dt: f64) -> (f64, f64) {
        (
            -(-self.k_acute * dt).exp_m1() / self.k_acute,
            -(-self.k_sustained * dt).exp_m1() / self.k_sustained,
        )
    }

    /// An infusion of duration `t` as an instantaneous dose, for `I` and `C`:
    /// the factors `(e^{kT} - 1) / (kT)` that make the bolus exact from the
    /// end of the infusion on, and the over-counts of the bolus against the
    /// true ramp in the integrals of `I` and `C` and in the injury per unit
    /// of sustained input (subtracted so that those are exact too).
    pub fn infusion_as_bolus(&self, t: f64) -> InfusionBolus {
        let over_sustained = ramp_overcount(self.k_sustained, t);
        InfusionBolus {
            acute_factor: if t > 0.0 {
                decay_bolus_factor(self.k_acute, t)
            } else {
                1.0
            },
            sustained_factor: if t > 0.0 {
                decay_bolus_factor(self.k_sustained, t)
            } else {
                1.0
            },
            over_acute: ramp_overcount(self.k_acute, t),
            over_sustained,
        }
    }

    /// Injury gained from a sustained amount `c` over the over-count `over` of
    /// its integral.
    #[inline]
    pub fn injury_overcount(&self, c: f64, over: f64) -> f64 {
        self.injury_rate * c * over
    }

    /// True D-dimer (mg/L FEU) at day `t`.
    #[inline]
    pub fn ddimer(&self, t: f64, y: &State) -> f64 {
        self.ddimer_stable * (1.0 + self.enrolment_excess * (-self.k_enrolment * t).exp())
            + y[IBMIR].max(0.0)
            + y[SUSTAINED].max(0.0)
            + self.injury_ddimer * y[INJURY].max(0.0)
    }

    /// True INR.
    #[inline]
    pub fn inr(&self, y: &State) -> f64 {
        (self.inr_anticoagulant - self.inr_slope * y[SUSTAINED].max(0.0)).max(0.5)
    }
}

/// The exact propagation of the coagulation states over one interval
/// without input ([`Coagulation::decay`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoagulationDecay {
    /// `exp(-k dt)` of `I` and `C`.
    pub acute: f64,
    pub sustained: f64,
    /// `int_0^dt exp(-k s) ds` of `I` and `C`.
    pub acute_integral: f64,
    pub sustained_integral: f64,
    /// Injury gained per unit of `C` at the start of the interval.
    pub injury_per_sustained: f64,
}

/// An infusion as a bolus for the coagulation states
/// ([`Coagulation::infusion_as_bolus`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InfusionBolus {
    pub acute_factor: f64,
    pub sustained_factor: f64,
    pub over_acute: f64,
    pub over_sustained: f64,
}

/// `(e^{kT} - 1) / (kT)`: effective bolus factor of a pure decay.
#[inline]
pub fn decay_bolus_factor(k: f64, t: f64) -> f64 {
    let x = k * t;
    if x.abs() < 1e-8 {
        1.0 + x / 2.0
    } else {
        x.exp_m1() / x
    }
}

/// Integrals over `[0, T]` of a pure decay's effective bolus minus its true
/// ramp (amount 1 infused over `T`): subtracted from cumulative integrals so
/// that they are exact from the end of the infusion on.
#[inline]
pub fn ramp_overcount(k: f64, t: f64) -> f64 {
    if t <= 0.0 {
        return 0.0;
    }
    let kt = k * t;
    if kt < 1e-6 {
        return t / 2.0 - k * t * t / 12.0;
    }
    let a_eff = decay_bolus_factor(k, t);
    let bolus = a_eff * (-(-kt).exp_m1()) / k;
    let ramp = (t - (-(-kt).exp_m1()) / k) / kt;
    bolus - ramp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::params::ModelParams;

    fn coagulation() -> Coagulation {
        let p = PatientParams::typical(&ModelParams::default());
        Coagulation::new(&p, 1.0, 1.0, Anticoagulant::None, 0.45)
    }

    /// The closed forms against the equations themselves: a fine RK4 of
    /// `I' = -k_I I, C' = -k_C C, Injury' = kappa C` and of the integrals,
    /// from `I = C = 1`; the doubling recurrence against the direct formula.
    #[test]
    fn decay_is_the_exact_solution_and_doubles_exactly() {
        let c = coagulation();
        for dt in [0.25, 1.0, 2.0, 8.0] {
            let d = c.decay(dt);
            let f = |y: [f64; 5]| {
                [
                    -c.k_acute * y[0],
                    -c.k_sustained * y[1],
                    c.injury_rate * y[1],
                    y[0],
                    y[1],
                ]
            };
            let mut y = [1.0, 1.0, 0.0, 0.0, 0.0];
            let n = 20_000;
            let h = dt / n as f64;
            for _ in 0..n {
                let add =
                    |a: [f64; 5], k: [f64; 5], w: f64| std::array::from_fn(|i| a[i] + w * k[i]);
                let k1 = f(y);
                let k2 = f(add(y, k1, h / 2.0));
                let k3 = f(add(y, k2, h / 2.0));
                let k4 = f(add(y, k3, h));
                y = std::array::from_fn(|i| {
                    y[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])
                });
            }
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-10 * b.abs().max(1e-12);
            assert!(
                close(d.acute, y[0]) && close(d.sustained, y[1]),
                "{dt}: {d:?} {y:?}"
            );
            assert!(close(d.injury_per_sustained, y[2]), "{dt}: {d:?} {y:?}");
            assert!(close(d.acute_integral, y[3]) && close(d.sustained_integral, y[4]));
            assert_eq!(
                c.decay_integrals(dt),
                (d.acute_integral, d.sustained_integral)
            );
            let twice = c.doubled(&d);
            let direct = c.decay(2.0 * dt);
            for (a, b) in [
                (twice.acute, direct.acute),
                (twice.sustained, direct.sustained),
                (twice.acute_integral, direct.acute_integral),
                (twice.sustained_integral, direct.sustained_integral),
                (twice.injury_per_sustained, direct.injury_per_sustained),
            ] {
                assert!(
                    (a - b).abs() <= 1e-14 * b.abs().max(1.0),
                    "{dt}: {a} vs {b}"
                );
            }
        }
    }

    /// An infusion as a bolus: exact from the end of the infusion on, for the
    /// state and for its integral.
    #[test]
    fn infusion_as_bolus_is_exact_after_the_infusion() {
        let c = coagulation();
        let t = 1.0 / 24.0;
        let b = c.infusion_as_bolus(t);
        let k = c.k_acute;
        // a unit amount infused at rate 1/T: at T, (1 - e^{-kT}) / (kT)
        let at_end = -(-k * t).exp_m1() / (k * t);
        let bolus_at_end = b.acute_factor * (-k * t).exp();
        assert!((at_end - bolus_at_end).abs() < 1e-15);
        // integral over [0, T]: (T - (1 - e^{-kT}) / k) / (kT) for the ramp
        let ramp = (t - (-(-k * t).exp_m1()) / k) / (k * t);
        let bolus = b.acute_factor * (-(-k * t).exp_m1()) / k;
        assert!((bolus - ramp - b.over_acute).abs() < 1e-15);
        let none = c.infusion_as_bolus(0.0);
        assert_eq!((none.acute_factor, none.over_sustained), (1.0, 0.0));
    }
}
