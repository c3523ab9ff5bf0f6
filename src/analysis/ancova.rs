//! ANCOVA: ordinary least squares `outcome ~ 1 + treatment + baseline`.
//!
//! Each observation is a pair `(baseline, outcome)`. The model has a common
//! slope on the baseline and separate arm intercepts, so the OLS estimates
//! have the closed form (with within-arm centred sums of squares and
//! cross-products S_xx, S_xy pooled over the two arms):
//!
//! * slope β = S_xy / S_xx,
//! * treatment effect τ = (ȳ_t − ȳ_c) − β (x̄_t − x̄_c),
//! * residual variance σ² = Σ r² / (n − 3), residuals r = (y − ȳ_arm) − β (x − x̄_arm),
//! * SE(τ)² = σ² [1/n_t + 1/n_c + (x̄_t − x̄_c)² / S_xx].
//!
//! `estimate` = τ, `statistic` = τ / SE(τ), `df` = n − 3. This is exactly
//! the OLS fit of the design matrix `[1, treatment indicator, baseline]`;
//! it is validated against `statsmodels.api.OLS`.
//!
//! Not analysable: fewer than 2 pairs in an arm, a non-finite value,
//! a singular design ([`NotAnalysable::SingularDesign`]: the baseline is
//! constant within each arm, or S_xx is below 1e-24 of the baseline's total
//! sum of squares about zero), or zero residual variance
//! ([`NotAnalysable::ZeroVariance`]: a perfect fit).

use super::{Alternative, ArmRole, NotAnalysable, TestOutcome, TestResult, t_p_value};

/// Residual sum of squares, relative to the within-arm outcome sum of
/// squares, at or below which the fit is perfect (zero residual variance:
/// the residual SD is below 1e-10 of the outcome SD and the t statistic
/// would only reflect rounding).
pub const PERFECT_FIT_TOLERANCE: f64 = 1e-20;

/// Relative size of the within-arm baseline sum of squares below which the
/// design is treated as singular.
pub const SINGULARITY_TOLERANCE: f64 = 1e-24;

struct ArmMoments {
    n: f64,
    mean_x: f64,
    mean_y: f64,
}

fn arm_moments(pairs: &[(f64, f64)], arm: ArmRole) -> Result<ArmMoments, NotAnalysable> {
    if pairs.len() < 2 {
        return Err(NotAnalysable::TooFewObservations {
            arm,
            found: pairs.len(),
            required: 2,
        });
    }
    let n = pairs.len() as f64;
    let mean_x = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    if !mean_x.is_finite() || !mean_y.is_finite() {
        return Err(NotAnalysable::Overflow);
    }
    Ok(ArmMoments { n, mean_x, mean_y })
}

/// Adjusted treatment effect from the ANCOVA model
/// `outcome ~ 1 + treatment + baseline`.
#[must_use = "the outcome says whether the test rejected"]
pub fn treatment_effect(
    treatment: &[(f64, f64)],
    control: &[(f64, f64)],
    alt: Alternative,
) -> TestOutcome {
    if treatment
        .iter()
        .chain(control)
        .any(|p| !p.0.is_finite() || !p.1.is_finite())
    {
        return Err(NotAnalysable::NonFinite);
    }
    let mt = arm_moments(treatment, ArmRole::Treatment)?;
    let mc = arm_moments(control, ArmRole::Control)?;

    let constant_within = |pairs: &[(f64, f64)]| pairs.iter().all(|p| p.0 == pairs[0].0);
    if constant_within(treatment) && constant_within(control) {
        return Err(NotAnalysable::SingularDesign);
    }

    let mut sxx = 0.0;
    let mut sxy = 0.0;
    let mut total_x2 = 0.0;
    for (pairs, m) in [(treatment, &mt), (control, &mc)] {
        for &(x, y) in pairs {
            let dx = x - m.mean_x;
            sxx += dx * dx;
            sxy += dx * (y - m.mean_y);
            total_x2 += x * x;
        }
    }
    if !sxx.is_finite() || !sxy.is_finite() || !total_x2.is_finite() {
        return Err(NotAnalysable::Overflow);
    }
    if sxx <= SINGULARITY_TOLERANCE * total_x2 || sxx == 0.0 {
        return Err(NotAnalysable::SingularDesign);
    }
    let slope = sxy / sxx;

    let mut rss = 0.0;
    let mut syy = 0.0;
    for (pairs, m) in [(treatment, &mt), (control, &mc)] {
        for &(x, y) in pairs {
            let r = (y - m.mean_y) - slope * (x - m.mean_x);
            rss += r * r;
            syy += (y - m.mean_y) * (y - m.mean_y);
        }
    }
    if !rss.is_finite() || !syy.is_finite() {
        return Err(NotAnalysable::Overflow);
    }
    if rss <= PERFECT_FIT_TOLERANCE * syy {
        return Err(NotAnalysable::ZeroVariance);
    }
    let df = mt.n + mc.n - 3.0;
    let sigma2 = rss / df;
    let dx = mt.mean_x - mc.mean_x;
    let estimate = (mt.mean_y - mc.mean_y) - slope * dx;
    let se = (sigma2 * (1.0 / mt.n + 1.0 / mc.n + dx * dx / sxx)).sqrt();
    let statistic = estimate / se;
    if !statistic.is_finite() {
        return Err(NotAnalysable::Overflow);
    }
    Ok(TestResult {
        estimate,
        statistic,
        p_value: t_p_value(statistic, df, alt),
        df: Some(df),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_baseline_is_a_singular_design() {
        let t = [(1.0, 2.0), (1.0, 3.0)];
        let c = [(2.0, 2.0), (2.0, 5.0)];
        assert_eq!(
            treatment_effect(&t, &c, Alternative::TwoSided),
            Err(NotAnalysable::SingularDesign)
        );
    }

    #[test]
    fn without_baseline_information_it_reduces_to_the_mean_difference() {
        // Baselines uncorrelated with outcomes and equal arm means: τ = ȳ_t − ȳ_c.
        let t = [(-1.0, 5.0), (1.0, 5.0), (-1.0, 7.0), (1.0, 7.0)];
        let c = [(-1.0, 1.0), (1.0, 1.0), (-1.0, 3.0), (1.0, 3.0)];
        let r = treatment_effect(&t, &c, Alternative::Greater).unwrap();
        assert!((r.estimate - 4.0).abs() < 1e-14);
        assert_eq!(r.df, Some(5.0));
    }
}
