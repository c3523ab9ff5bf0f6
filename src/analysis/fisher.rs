//! Fisher's exact test for a 2×2 table.
//!
//! Table rows are the arms, columns event / no event:
//! `[[a, n_t − a], [c, n_c − c]]` with a = treatment events, c = control
//! events. Conditional on the margins, a is hypergeometric. `estimate` is the
//! difference in proportions a/n_t − c/n_c; `statistic` is the sample
//! (unconditional) odds ratio a(n_c − c) / ((n_t − a) c), +∞ when the
//! denominator is 0 (the value `scipy.stats.fisher_exact` returns); `df` is
//! `None`.
//!
//! p-values match `scipy.stats.fisher_exact` (scipy 1.17): `Greater` (higher
//! treatment event proportion) sums P(X ≥ a), `Less` sums P(X ≤ a), and the
//! two-sided p sums the probabilities of all tables no more probable than the
//! observed one, with scipy's relative tolerance: P(x) ≤ P(a)(1 + 1e-14).
//! Table probabilities are computed by the ratio recurrence from the mode
//! (relative accuracy ~1e-13), and tables whose probability is within 1e-11
//! of the observed one are compared exactly (prime factorisation of the
//! factorial ratio), so mathematically tied tables are always included.
//!
//! Not analysable: an empty arm, events > patients
//! ([`NotAnalysable::InvalidCounts`]), no events at all
//! ([`NotAnalysable::NoEvents`]), more than [`MAX_PATIENTS`] patients
//! ([`NotAnalysable::Overflow`]) or events in every patient
//! ([`NotAnalysable::ZeroVariance`]); scipy returns p = 1 (odds ratio NaN)
//! for the last two.

use super::{Alternative, ArmRole, NotAnalysable, TestOutcome, TestResult};

/// scipy's relative tolerance when deciding whether a table is "no more
/// probable" than the observed one (`scipy.stats.fisher_exact`, 1.17).
pub const TWO_SIDED_RELATIVE_TOLERANCE: f64 = 1e-14;

/// Largest table (patients in both arms) the exact test accepts; larger
/// tables are refused with [`NotAnalysable::Overflow`].
pub const MAX_PATIENTS: u64 = 1_000_000;

/// Relative band around the observed probability inside which tables are
/// compared exactly.
const EXACT_COMPARISON_BAND: f64 = 1e-11;

/// Validates counts shared by Fisher's test and the z-test.
pub(crate) fn validate_counts(
    treat_events: u64,
    treat_n: u64,
    ctrl_events: u64,
    ctrl_n: u64,
) -> Result<(), NotAnalysable> {
    for (n, arm) in [(treat_n, ArmRole::Treatment), (ctrl_n, ArmRole::Control)] {
        if n == 0 {
            return Err(NotAnalysable::TooFewObservations {
                arm,
                found: 0,
                required: 1,
            });
        }
    }
    for (events, n, arm) in [
        (treat_events, treat_n, ArmRole::Treatment),
        (ctrl_events, ctrl_n, ArmRole::Control),
    ] {
        if events > n {
            return Err(NotAnalysable::InvalidCounts { arm, events, n });
        }
    }
    if treat_events == 0 && ctrl_events == 0 {
        return Err(NotAnalysable::NoEvents);
    }
    if treat_events == treat_n && ctrl_events == ctrl_n {
        return Err(NotAnalysable::ZeroVariance);
    }
    Ok(())
}

/// The conditional (hypergeometric) distribution of the treatment events.
struct Hypergeometric {
    /// treatment arm size (draws)
    n_t: u64,
    /// total events (successes in the urn)
    events: u64,
    /// total patients (urn size)
    total: u64,
    /// smallest possible value of the treatment events
    low: u64,
    /// weights w[k − low] ∝ P(X = k), 1 at the mode
    weights: Vec<f64>,
    /// Σ weights
    sum: f64,
}

impl Hypergeometric {
    fn new(n_t: u64, events: u64, total: u64) -> Self {
        let low = (n_t + events).saturating_sub(total);
        let high = n_t.min(events);
        // mode as in scipy: floor((draws + 1)(successes + 1)/(total + 2))
        let mode = (((n_t + 1) as u128 * (events + 1) as u128) / (total + 2) as u128) as u64;
        let mode = mode.clamp(low, high);
        let len = (high - low + 1) as usize;
        let mut weights = vec![0.0; len];
        let m = (mode - low) as usize;
        weights[m] = 1.0;
        // P(k + 1)/P(k) = (K − k)(n − k) / ((k + 1)(N − K − n + k + 1))
        let (kk, nn, big_n) = (events as f64, n_t as f64, total as f64);
        for i in m..len - 1 {
            let k = (low as usize + i) as f64;
            let ratio = (kk - k) * (nn - k) / ((k + 1.0) * (big_n - kk - nn + k + 1.0));
            weights[i + 1] = weights[i] * ratio;
        }
        for i in (0..m).rev() {
            let k = (low as usize + i) as f64;
            // P(k)/P(k + 1)
            let ratio = (k + 1.0) * (big_n - kk - nn + k + 1.0) / ((kk - k) * (nn - k));
            weights[i] = weights[i + 1] * ratio;
        }
        let sum = weights.iter().sum();
        Hypergeometric {
            n_t,
            events,
            total,
            low,
            weights,
            sum,
        }
    }

    fn weight(&self, k: u64) -> f64 {
        self.weights[(k - self.low) as usize]
    }

    fn lower_tail(&self, k: u64) -> f64 {
        let idx = (k - self.low) as usize;
        self.weights[..=idx].iter().sum::<f64>() / self.sum
    }

    fn upper_tail(&self, k: u64) -> f64 {
        let idx = (k - self.low) as usize;
        self.weights[idx..].iter().sum::<f64>() / self.sum
    }

    fn two_sided(&self, observed: u64) -> f64 {
        let w_obs = self.weight(observed);
        let mut sieve = None;
        let mut total = 0.0;
        for (i, &w) in self.weights.iter().enumerate() {
            let k = self.low + i as u64;
            let ratio = w / w_obs;
            let include = if k == observed {
                true
            } else if (ratio - 1.0).abs() <= EXACT_COMPARISON_BAND {
                match self.exact_ratio_is_one(k, observed, &mut sieve) {
                    true => true,
                    false => ratio <= 1.0 + TWO_SIDED_RELATIVE_TOLERANCE,
                }
            } else {
                ratio <= 1.0
            };
            if include {
                total += w;
            }
        }
        (total / self.sum).min(1.0)
    }

    /// Whether P(X = k) = P(X = x) exactly, by prime factorisation of
    /// P(k)/P(x) = x!(K − x)!(n − x)!(N − K − n + x)! / [k!(K − k)!(n − k)!(N − K − n + k)!].
    fn exact_ratio_is_one(&self, k: u64, x: u64, sieve: &mut Option<Vec<u32>>) -> bool {
        let (big_k, n, big_n) = (self.events, self.n_t, self.total);
        let top = big_n as usize;
        let spf = sieve.get_or_insert_with(|| smallest_prime_factors(top));
        let mut exponents = vec![0_i64; top + 1];
        // add sign · ln(a!/b!) = sign · Σ_{v=b+1}^{a} ln v, for a ≥ b or a < b
        let mut add_factorial_ratio = |a: u64, b: u64, sign: i64| {
            let (lo, hi, s) = if a >= b { (b, a, sign) } else { (a, b, -sign) };
            for v in (lo + 1)..=hi {
                let mut v = v as usize;
                while v > 1 {
                    let f = spf[v] as usize;
                    exponents[f] += s;
                    v /= f;
                }
            }
        };
        add_factorial_ratio(x, k, 1);
        add_factorial_ratio(big_k - x, big_k - k, 1);
        add_factorial_ratio(n - x, n - k, 1);
        add_factorial_ratio(big_n + x - big_k - n, big_n + k - big_k - n, 1);
        exponents.iter().all(|&e| e == 0)
    }
}

/// Smallest prime factor of every integer up to `top` (sieve).
fn smallest_prime_factors(top: usize) -> Vec<u32> {
    let mut spf: Vec<u32> = (0..=top as u32).collect();
    let mut p = 2;
    while p * p <= top {
        if spf[p] == p as u32 {
            let mut q = p * p;
            while q <= top {
                if spf[q] == q as u32 {
                    spf[q] = p as u32;
                }
                q += p;
            }
        }
        p += 1;
    }
    spf
}

/// Fisher's exact test of treatment versus control event proportions.
#[must_use = "the outcome says whether the test rejected"]
pub fn exact(
    treat_events: u64,
    treat_n: u64,
    ctrl_events: u64,
    ctrl_n: u64,
    alt: Alternative,
) -> TestOutcome {
    validate_counts(treat_events, treat_n, ctrl_events, ctrl_n)?;
    if treat_n.saturating_add(ctrl_n) > MAX_PATIENTS {
        return Err(NotAnalysable::Overflow);
    }
    let (a, b, c, d) = (
        treat_events as f64,
        (treat_n - treat_events) as f64,
        ctrl_events as f64,
        (ctrl_n - ctrl_events) as f64,
    );
    let statistic = if b > 0.0 && c > 0.0 {
        a * d / (b * c)
    } else {
        f64::INFINITY
    };
    let estimate = a / treat_n as f64 - c / ctrl_n as f64;
    let dist = Hypergeometric::new(treat_n, treat_events + ctrl_events, treat_n + ctrl_n);
    let p_value = match alt {
        Alternative::Less => dist.lower_tail(treat_events),
        Alternative::Greater => dist.upper_tail(treat_events),
        Alternative::TwoSided => dist.two_sided(treat_events),
    }
    .clamp(0.0, 1.0);
    Ok(TestResult {
        estimate,
        statistic,
        p_value,
        df: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scipy_documentation_example_is_reproduced() {
        // fisher_exact([[6, 2], [1, 4]]): two-sided 0.10256410256410257,
        // greater 0.08624708624708627, less 0.9953379953379957
        let two = exact(6, 8, 1, 5, Alternative::TwoSided).unwrap();
        assert!((two.p_value - 0.102_564_102_564_102_57).abs() < 1e-15);
        let greater = exact(6, 8, 1, 5, Alternative::Greater).unwrap();
        assert!((greater.p_value - 0.086_247_086_247_086_27).abs() < 1e-15);
        let less = exact(6, 8, 1, 5, Alternative::Less).unwrap();
        assert!((less.p_value - 0.995_337_995_337_995_7).abs() < 1e-15);
        assert_eq!(two.statistic, 12.0);
    }

    #[test]
    fn symmetric_tables_include_their_mirror_image() {
        // Equal arms: P(k) = P(K − k) exactly; the mirror must be counted.
        let r = exact(3, 10, 7, 10, Alternative::TwoSided).unwrap();
        let lower = exact(3, 10, 7, 10, Alternative::Less).unwrap().p_value;
        assert!((r.p_value - 2.0 * lower).abs() < 1e-15);
    }
}
