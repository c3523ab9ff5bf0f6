//! Confidence intervals for one binomial proportion.
//!
//! Both match `statsmodels.stats.proportion.proportion_confint` with
//! `alpha = 1 − level`:
//! * [`wilson`] (`method="wilson"`): with z = Φ⁻¹(1 − α/2), p̂ = x/n,
//!   centre (p̂ + z²/2n)/(1 + z²/n) and half-width
//!   z √(p̂(1 − p̂)/n + z²/4n²)/(1 + z²/n), clipped to [0, 1];
//! * [`clopper_pearson`] (`method="beta"`): the α/2 quantile of
//!   Beta(x, n − x + 1) and the 1 − α/2 quantile of Beta(x + 1, n − x),
//!   with 0 for x = 0 and 1 for x = n.
//!
//! The functions never panic: n = 0 gives (0, 1), `successes > n` is treated
//! as `successes = n`, and a level outside (0, 1) (or NaN) gives (0, 1).

use super::special::{beta_isf, beta_ppf, norm_isf};

fn alpha_of(level: f64) -> Option<f64> {
    (level > 0.0 && level < 1.0).then_some(1.0 - level)
}

/// Wilson score interval for `successes` out of `n` at confidence `level`
/// (e.g. 0.95).
#[must_use]
pub fn wilson(successes: u64, n: u64, level: f64) -> (f64, f64) {
    let Some(alpha) = alpha_of(level) else {
        return (0.0, 1.0);
    };
    if n == 0 {
        return (0.0, 1.0);
    }
    let x = successes.min(n) as f64;
    let n = n as f64;
    let q = x / n;
    let crit = norm_isf(alpha / 2.0);
    let crit2 = crit * crit;
    let denom = 1.0 + crit2 / n;
    let center = (q + crit2 / (2.0 * n)) / denom;
    let dist = crit * (q * (1.0 - q) / n + crit2 / (4.0 * n * n)).sqrt() / denom;
    (
        (center - dist).clamp(0.0, 1.0),
        (center + dist).clamp(0.0, 1.0),
    )
}

/// Clopper–Pearson ("exact", beta) interval for `successes` out of `n` at
/// confidence `level`.
#[must_use]
pub fn clopper_pearson(successes: u64, n: u64, level: f64) -> (f64, f64) {
    let Some(alpha) = alpha_of(level) else {
        return (0.0, 1.0);
    };
    if n == 0 {
        return (0.0, 1.0);
    }
    let x = successes.min(n);
    let half = alpha / 2.0;
    let low = if x == 0 {
        0.0
    } else {
        beta_ppf(half, x as f64, (n - x) as f64 + 1.0)
    };
    let high = if x == n {
        1.0
    } else {
        beta_isf(half, x as f64 + 1.0, (n - x) as f64)
    };
    (low, high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_trials_give_the_whole_unit_interval() {
        assert_eq!(wilson(0, 0, 0.95), (0.0, 1.0));
        assert_eq!(clopper_pearson(3, 0, 0.95), (0.0, 1.0));
    }

    #[test]
    fn clopper_pearson_with_no_successes_has_a_closed_form() {
        // upper = 1 − (α/2)^{1/n}
        let (low, high) = clopper_pearson(0, 20, 0.95);
        assert_eq!(low, 0.0);
        let expected = 1.0 - 0.025_f64.powf(1.0 / 20.0);
        assert!((high - expected).abs() < 1e-14);
    }
}
