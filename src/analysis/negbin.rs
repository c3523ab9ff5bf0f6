//! Negative binomial regression of event counts with a log follow-up offset:
//! `count ~ arm + offset(ln follow-up)`, the model of `MASS::glm.nb`.
//!
//! Each patient i has y_i events over t_i days; μ_i = λ_arm t_i and
//! Var y_i = μ_i + α μ_i² (NB2; θ = 1/α is glm.nb's `theta`). With an arm
//! indicator only, the model is saturated in the arms, so for a given α each
//! arm's rate solves its own score equation
//! Σ (y_i − λ t_i)/(1 + α λ t_i) = 0 (one monotone root), and α̂ maximises
//! the profile log-likelihood: the root of its derivative
//! g(α) = Σ ∂ℓ_i/∂α at λ̂(α), with ψ(y+θ) − ψ(θ) = Σ_{j<y} 1/(θ + j) summed
//! exactly (counts are small integers). g(0⁺) = Σ ((y_i − μ_i)² − y_i)/2 at
//! the Poisson fit; when it is ≤ 0 the data are not overdispersed and α̂ = 0
//! (the Poisson limit, where glm.nb's θ runs off to infinity).
//!
//! * estimate: the rate ratio λ_t/λ_c;
//! * Wald: z = ln(λ_t/λ_c)/SE with SE² = 1/W_t + 1/W_c,
//!   W_arm = Σ μ_i/(1 + α μ_i) (the GLM information at α̂, as
//!   `summary(glm.nb(...))` reports it);
//! * likelihood ratio: LR = 2(ℓ̂ − ℓ̂₀), the null model a common rate with its
//!   own α̂₀ (as `anova()` of two `glm.nb` fits); statistic
//!   z = sign(ln RR) √LR, one-sided p-values from z, two-sided P(χ²₁ > LR).
//!
//! Not analysable: an empty arm, a negative or non-integer count, a
//! non-positive or non-finite follow-up, no events at all
//! ([`NotAnalysable::NoEvents`]); the Wald test also when an arm has no
//! events ([`NotAnalysable::MonotoneLikelihood`]: the rate ratio is 0 or ∞),
//! where the likelihood-ratio test still works (estimate 0 or ∞).

use super::{Alternative, ArmRole, NotAnalysable, TestOutcome, TestResult, normal_p_value};

/// One patient's event count and follow-up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CountObs {
    /// Number of events (a non-negative integer).
    pub count: f64,
    /// Follow-up (any unit, the same in both arms; > 0).
    pub exposure: f64,
}

/// Which p-value the test reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NbPValue {
    Wald,
    LikelihoodRatio,
}

/// The fitted model.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct NbFit {
    /// Events per unit of follow-up `[control, treatment]`.
    pub rate: [f64; 2],
    /// ln(λ_t/λ_c) (±∞ when an arm has no events).
    pub log_rate_ratio: f64,
    /// Wald SE of `log_rate_ratio` (NaN when it is infinite).
    pub se_log_rate_ratio: f64,
    /// Dispersion α = 1/θ of the full model (0: Poisson limit).
    pub alpha: f64,
    /// Dispersion of the common-rate model.
    pub alpha_null: f64,
    /// Maximised log-likelihoods of the two-rate and the common-rate model.
    pub log_likelihood: f64,
    pub log_likelihood_null: f64,
}

impl NbFit {
    /// Likelihood-ratio statistic 2(ℓ̂ − ℓ̂₀) (≥ 0).
    pub fn lr_statistic(&self) -> f64 {
        (2.0 * (self.log_likelihood - self.log_likelihood_null)).max(0.0)
    }
}

/// Largest dispersion searched (θ = 1e-8).
const ALPHA_MAX: f64 = 1e8;

/// ln Γ(y + θ) − ln Γ(θ) − ln y! for integer y, summed exactly.
fn ln_gamma_ratio(y: u32, theta: f64) -> f64 {
    (0..y)
        .map(|j| (theta + j as f64).ln() - ((j + 1) as f64).ln())
        .sum()
}

/// Log-likelihood of one observation with mean μ and dispersion α.
fn ln_lik(y: u32, mu: f64, alpha: f64) -> f64 {
    let yf = y as f64;
    if mu == 0.0 {
        return if y == 0 { 0.0 } else { f64::NEG_INFINITY };
    }
    if alpha == 0.0 {
        // Poisson
        let lf: f64 = (1..=y).map(|j| (j as f64).ln()).sum();
        return yf * mu.ln() - mu - lf;
    }
    let theta = 1.0 / alpha;
    // θ ln(θ/(θ+μ)) + y ln(μ/(θ+μ)) = −θ ln(1 + αμ) + y ln(αμ/(1 + αμ))
    let am = alpha * mu;
    ln_gamma_ratio(y, theta) - theta * am.ln_1p()
        + if y > 0 {
            yf * (am.ln() - am.ln_1p())
        } else {
            0.0
        }
}

/// ∂ℓ/∂α of one observation (finite at α = 0: ((y − μ)² − y)/2).
fn d_alpha(y: u32, mu: f64, alpha: f64) -> f64 {
    let yf = y as f64;
    let am = alpha * mu;
    if am < 1e-5 && alpha * yf < 1e-5 {
        // series to first order in α (the exact form below loses ~1/α of
        // its digits to cancellation); the next term is O((αy)² y²)
        let r = yf - mu;
        return (r * r - yf) / 2.0 + alpha * third_order(y, mu);
    }
    let theta = 1.0 / alpha;
    // ∂ℓ/∂θ = Σ_{j<y} 1/(θ + j) − ln(1 + αμ) + (μ − y)/(θ + μ); ∂ℓ/∂α = −θ² ∂ℓ/∂θ
    let s: f64 = (0..y).map(|j| 1.0 / (theta + j as f64)).sum();
    let dtheta = s - am.ln_1p() + (mu - yf) / (theta + mu);
    -theta * theta * dtheta
}

/// The α-coefficient of ∂ℓ/∂α at small α: from ∂ℓ/∂θ expanded to α³,
/// Σ_j α/(1+αj) = yα − α² Σj + α³ Σj², ln(1+αμ) = αμ − α²μ²/2 + α³μ³/3,
/// (μ−y)α/(1+αμ) = (μ−y)(α − α²μ + α³μ²); the α³ coefficient, times −1.
fn third_order(y: u32, mu: f64) -> f64 {
    let y2: f64 = (0..y).map(|j| (j * j) as f64).sum();
    let c3 = y2 - mu.powi(3) / 3.0 + (mu - y as f64) * mu * mu;
    -c3
}

/// Distinct (count, follow-up) pairs of an arm with their multiplicity:
/// patients followed to the end of the study with the same count are one
/// term of every sum (most patients, in a simulated trial).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Cell {
    y: u32,
    t: f64,
    n: f64,
}

/// The cells of `obs` (sorted by count and follow-up).
fn cells(mut obs: Vec<(u32, f64)>) -> Vec<Cell> {
    obs.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut out: Vec<Cell> = Vec::with_capacity(obs.len());
    for (y, t) in obs {
        match out.last_mut() {
            Some(c) if c.y == y && c.t == t => c.n += 1.0,
            _ => out.push(Cell { y, t, n: 1.0 }),
        }
    }
    out
}

/// Rate of one arm at dispersion α: the root of Σ (y − λt)/(1 + αλt).
fn arm_rate(obs: &[Cell], alpha: f64) -> f64 {
    let total: f64 = obs.iter().map(|o| o.n * o.y as f64).sum();
    if total == 0.0 {
        return 0.0;
    }
    let exposure: f64 = obs.iter().map(|o| o.n * o.t).sum();
    let poisson = total / exposure;
    if alpha == 0.0 || obs.iter().all(|o| o.t == obs[0].t) {
        return poisson;
    }
    let f = |l: f64| -> (f64, f64) {
        let (mut v, mut d) = (0.0, 0.0);
        for &Cell { y, t, n } in obs {
            let den = 1.0 + alpha * l * t;
            v += n * (y as f64 - l * t) / den;
            d -= n * t * (1.0 + alpha * y as f64) / (den * den);
        }
        (v, d)
    };
    // bracket: f(0) > 0, f decreasing
    let (mut lo, mut hi) = (0.0, poisson);
    while f(hi).0 > 0.0 {
        lo = hi;
        hi *= 2.0;
        if !hi.is_finite() {
            return poisson;
        }
    }
    let mut l = poisson.clamp(lo, hi);
    for _ in 0..200 {
        let (v, d) = f(l);
        if v > 0.0 {
            lo = l;
        } else {
            hi = l;
        }
        let mut next = l - v / d;
        if next <= lo || next >= hi || !next.is_finite() {
            next = 0.5 * (lo + hi);
        }
        if (next - l).abs() <= 1e-15 * l {
            return next;
        }
        l = next;
    }
    l
}

/// Profile score g(α) and the maximised log-likelihood at α over groups
/// (each group its own rate).
fn profile(groups: &[&[Cell]], alpha: f64) -> (f64, f64, [f64; 2]) {
    let (mut g, mut ll) = (0.0, 0.0);
    let mut rates = [0.0; 2];
    for (k, obs) in groups.iter().enumerate() {
        let l = arm_rate(obs, alpha);
        if k < 2 {
            rates[k] = l;
        }
        for &Cell { y, t, n } in obs.iter() {
            let mu = l * t;
            g += n * d_alpha(y, mu, alpha);
            ll += n * ln_lik(y, mu, alpha);
        }
    }
    (g, ll, rates)
}

/// α̂ for groups sharing one dispersion, with the log-likelihood and rates.
///
/// The profile likelihood of small samples can have more than one local
/// maximum (including the Poisson boundary α = 0 next to an interior
/// maximum), so the global one is located on a log grid of α (1e-6 to 1e6,
/// 4 points per decade) first, then refined by bracketing the root of the
/// profile score next to the best grid point.
fn fit_alpha(groups: &[&[Cell]]) -> (f64, f64, [f64; 2]) {
    let (g0, ll0, r0) = profile(groups, 0.0);
    let mut best = (0.0, ll0, g0);
    // the profile at α = 0 is the Poisson fit
    let evals: [(f64, f64, f64); 49] = std::array::from_fn(|i| {
        let a = 10f64.powf(-6.0 + i as f64 / 4.0);
        let (g, ll, _) = profile(groups, a);
        (a, ll, g)
    });
    let mut best_i = None;
    for (i, e) in evals.iter().enumerate() {
        if e.1 > best.1 {
            best = *e;
            best_i = Some(i);
        }
    }
    let i = match best_i {
        Some(i) => i,
        // a maximum below the grid
        None if g0 > 0.0 && evals[0].2 < 0.0 => 0,
        // α = 0 is the maximum
        None => return (0.0, ll0, r0),
    };
    if i == evals.len() - 1 && evals[i].2 > 0.0 {
        let (_, ll, r) = profile(groups, ALPHA_MAX);
        return (ALPHA_MAX, ll, r);
    }
    // bracket: g > 0 on the left, < 0 on the right of the maximum
    let (lo, hi) = if best_i.is_none() {
        (1e-12, evals[0].0)
    } else if evals[i].2 > 0.0 {
        (evals[i].0, evals[(i + 1).min(evals.len() - 1)].0)
    } else if i > 0 {
        (evals[i - 1].0, evals[i].0)
    } else {
        (1e-12, evals[0].0)
    };
    let (mut a, mut b) = (lo.ln(), hi.ln());
    let (mut ga, mut gb) = (profile(groups, lo).0, profile(groups, hi).0);
    if !(ga > 0.0 && gb < 0.0) {
        let (_, ll, r) = profile(groups, best.0);
        return (best.0, ll, r);
    }
    let mut x = 0.5 * (a + b);
    for _ in 0..300 {
        let mut next = b - gb * (b - a) / (gb - ga);
        if next <= a.min(b) || next >= a.max(b) || !next.is_finite() {
            next = 0.5 * (a + b);
        }
        let gn = profile(groups, next.exp()).0;
        if (next - x).abs() < 1e-15 * next.abs().max(1.0) || gn == 0.0 {
            x = next;
            break;
        }
        x = next;
        // keep the bracket (Illinois modification for speed)
        if gn > 0.0 {
            a = next;
            ga = gn;
            gb *= 0.5;
        } else {
            b = next;
            gb = gn;
            ga *= 0.5;
        }
    }
    let alpha = x.exp();
    let (_, ll, r) = profile(groups, alpha);
    if ll < ll0 {
        return (0.0, ll0, r0);
    }
    (alpha, ll, r)
}

fn checked(obs: &[CountObs], arm: ArmRole) -> Result<Vec<(u32, f64)>, NotAnalysable> {
    if obs.is_empty() {
        return Err(NotAnalysable::TooFewObservations {
            arm,
            found: 0,
            required: 1,
        });
    }
    obs.iter()
        .map(|o| {
            let ok = o.count.is_finite()
                && o.count >= 0.0
                && o.count.fract() == 0.0
                && o.count <= 1e6
                && o.exposure.is_finite()
                && o.exposure > 0.0;
            if ok {
                Ok((o.count as u32, o.exposure))
            } else {
                Err(NotAnalysable::NonFinite)
            }
        })
        .collect()
}

/// Fit both models (see the module docs).
pub fn fit(treatment: &[CountObs], control: &[CountObs]) -> Result<NbFit, NotAnalysable> {
    let t = checked(treatment, ArmRole::Treatment)?;
    let c = checked(control, ArmRole::Control)?;
    let events: f64 = t.iter().chain(&c).map(|o| o.0 as f64).sum();
    if events == 0.0 {
        return Err(NotAnalysable::NoEvents);
    }
    let pooled = cells(c.iter().chain(&t).copied().collect());
    let (c, t) = (cells(c), cells(t));
    let (alpha, ll, rates) = fit_alpha(&[&c, &t]);
    let (alpha_null, ll_null, _) = fit_alpha(&[&pooled]);
    let log_rr = rates[1].ln() - rates[0].ln();
    let w = |obs: &[Cell], l: f64| -> f64 {
        obs.iter()
            .map(|o| {
                let mu = l * o.t;
                o.n * mu / (1.0 + alpha * mu)
            })
            .sum()
    };
    let se = if log_rr.is_finite() {
        (1.0 / w(&t, rates[1]) + 1.0 / w(&c, rates[0])).sqrt()
    } else {
        f64::NAN
    };
    Ok(NbFit {
        rate: rates,
        log_rate_ratio: log_rr,
        se_log_rate_ratio: se,
        alpha,
        alpha_null,
        log_likelihood: ll,
        log_likelihood_null: ll_null.min(ll),
    })
}

/// Negative binomial test of the rate ratio; `margin` is the null ln RR
/// (Wald only; 0 for the usual test).
#[must_use = "the outcome says whether the test rejected"]
pub fn test(
    treatment: &[CountObs],
    control: &[CountObs],
    alt: Alternative,
    method: NbPValue,
    margin: f64,
) -> TestOutcome {
    let f = fit(treatment, control)?;
    let estimate = f.log_rate_ratio.exp();
    match method {
        NbPValue::Wald => {
            if !f.log_rate_ratio.is_finite() {
                return Err(NotAnalysable::MonotoneLikelihood);
            }
            let z = (f.log_rate_ratio - margin) / f.se_log_rate_ratio;
            if !z.is_finite() {
                return Err(NotAnalysable::ZeroVariance);
            }
            Ok(TestResult {
                estimate,
                statistic: z,
                p_value: normal_p_value(z, alt),
                df: None,
            })
        }
        NbPValue::LikelihoodRatio => {
            let lr = f.lr_statistic();
            let z = if f.log_rate_ratio < 0.0 {
                -lr.sqrt()
            } else {
                lr.sqrt()
            };
            Ok(TestResult {
                estimate,
                statistic: z,
                p_value: normal_p_value(z, alt),
                df: None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(v: &[(f64, f64)]) -> Vec<CountObs> {
        v.iter()
            .map(|&(count, exposure)| CountObs { count, exposure })
            .collect()
    }

    /// The profile score at α = 0⁺ is the limit of the exact formula.
    #[test]
    fn small_alpha_series_matches_the_exact_derivative() {
        for (y, mu) in [(0u32, 0.3), (1, 0.5), (3, 1.2), (7, 2.5)] {
            for alpha in [2e-6, 5e-6] {
                let theta = 1.0 / alpha;
                let s: f64 = (0..y).map(|j| 1.0 / (theta + j as f64)).sum();
                let exact =
                    -theta * theta * (s - (alpha * mu).ln_1p() + (mu - y as f64) / (theta + mu));
                let series = d_alpha(y, mu, alpha);
                assert!(
                    (exact - series).abs() < 1e-6 * (1.0 + exact.abs()),
                    "y {y} mu {mu} alpha {alpha}: {exact} vs {series}"
                );
            }
        }
    }

    #[test]
    fn equal_follow_up_gives_the_sample_rates() {
        let t = obs(&[(0.0, 1.0), (2.0, 1.0), (5.0, 1.0), (1.0, 1.0)]);
        let c = obs(&[(3.0, 1.0), (4.0, 1.0), (0.0, 1.0), (6.0, 1.0)]);
        let f = fit(&t, &c).unwrap();
        assert!((f.rate[1] - 2.0).abs() < 1e-14 && (f.rate[0] - 3.25).abs() < 1e-14);
        assert!(f.alpha > 0.0);
        let r = test(&t, &c, Alternative::TwoSided, NbPValue::Wald, 0.0).unwrap();
        assert!((r.estimate - 2.0 / 3.25).abs() < 1e-14);
    }

    #[test]
    fn no_events_in_an_arm_is_monotone_for_wald_but_not_for_lr() {
        let t = obs(&[(0.0, 1.0), (0.0, 2.0), (0.0, 1.5)]);
        let c = obs(&[(3.0, 1.0), (1.0, 1.0), (0.0, 1.0)]);
        assert_eq!(
            test(&t, &c, Alternative::TwoSided, NbPValue::Wald, 0.0),
            Err(NotAnalysable::MonotoneLikelihood)
        );
        let r = test(&t, &c, Alternative::Less, NbPValue::LikelihoodRatio, 0.0).unwrap();
        assert_eq!(r.estimate, 0.0);
        assert!(r.statistic < 0.0 && r.p_value < 0.5);
        let none = obs(&[(0.0, 1.0)]);
        assert_eq!(fit(&none, &none), Err(NotAnalysable::NoEvents));
    }
}
