//! Two-proportion z-test with pooled variance.
//!
//! z = (p̂_t − p̂_c) / √(p̄(1 − p̄)(1/n_t + 1/n_c)) with the pooled
//! p̄ = (x_t + x_c)/(n_t + n_c), as in `statsmodels.stats.proportion.
//! proportions_ztest(count=[x_t, x_c], nobs=[n_t, n_c])` (no continuity
//! correction). `estimate` = p̂_t − p̂_c, `statistic` = z (positive when the
//! treatment proportion is larger), `df` = `None`; p-values from the normal
//! distribution (`Greater` = larger treatment proportion).
//!
//! Not analysable: an empty arm, events > patients, no events
//! ([`NotAnalysable::NoEvents`]) or all patients with events
//! ([`NotAnalysable::ZeroVariance`]): statsmodels returns NaN for the last
//! two.

use super::fisher::validate_counts;
use super::{Alternative, TestOutcome, TestResult, normal_p_value};

/// Pooled two-proportion z-test of treatment versus control.
#[must_use = "the outcome says whether the test rejected"]
pub fn diff_z(
    treat_events: u64,
    treat_n: u64,
    ctrl_events: u64,
    ctrl_n: u64,
    alt: Alternative,
) -> TestOutcome {
    validate_counts(treat_events, treat_n, ctrl_events, ctrl_n)?;
    let (x_t, n_t, x_c, n_c) = (
        treat_events as f64,
        treat_n as f64,
        ctrl_events as f64,
        ctrl_n as f64,
    );
    let p_t = x_t / n_t;
    let p_c = x_c / n_c;
    let pooled = (x_t + x_c) / (n_t + n_c);
    let se = (pooled * (1.0 - pooled) * (1.0 / n_t + 1.0 / n_c)).sqrt();
    let estimate = p_t - p_c;
    let z = estimate / se;
    Ok(TestResult {
        estimate,
        statistic: z,
        p_value: normal_p_value(z, alt),
        df: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_proportions_give_z_zero_and_p_one() {
        let r = diff_z(5, 10, 10, 20, Alternative::TwoSided).unwrap();
        assert_eq!(r.statistic, 0.0);
        assert_eq!(r.p_value, 1.0);
    }
}
