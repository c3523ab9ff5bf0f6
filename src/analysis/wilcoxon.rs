//! Wilcoxon rank-sum test (Mann–Whitney U).
//!
//! `statistic` is U of the treatment sample, U_t = R_t − n_t(n_t + 1)/2,
//! where R_t is the sum of the treatment ranks in the pooled sample (mid-ranks
//! for ties); large U_t favours `Greater`. `estimate` is the difference in
//! means (treatment − control), kept simple on purpose; the Hodges–Lehmann
//! shift is available from [`hodges_lehmann`]. `df` is `None`.
//!
//! p-values match `scipy.stats.mannwhitneyu` with `use_continuity=True`:
//! * exact: the null distribution of U without ties, by polynomial
//!   (q-binomial) dynamic programming; two-sided p = 2 P(U ≥ max(U_t, U_c)),
//!   clipped to 1;
//! * normal: z = (U − n_t n_c/2 − ½)/σ with the tie-corrected
//!   σ² = n_t n_c/12 [(n + 1) − Σ(t³ − t)/(n(n − 1))], where U is U_t
//!   (`Greater`), U_c (`Less`) or max(U_t, U_c) (two-sided, p doubled and
//!   clipped to 1).
//!
//! [`Method::Auto`] uses the exact distribution when there are no ties and
//! both arms have at most [`EXACT_MAX_PER_ARM`] observations, the normal
//! approximation otherwise. [`Method::Exact`] with ties falls back to the
//! normal approximation (the untied exact distribution does not apply and
//! scipy's "exact" result for tied data is not a valid p-value), and so does
//! an exact request beyond [`EXACT_MAX_WORK`].

use super::{
    Alternative, ArmRole, NotAnalysable, TestOutcome, TestResult, all_finite, normal_p_value,
};

/// Largest arm size for which [`Method::Auto`] uses the exact distribution.
pub const EXACT_MAX_PER_ARM: usize = 50;

/// Work limit (min(n_t, n_c) · n_t n_c / 2 additions) above which even
/// [`Method::Exact`] uses the normal approximation (about 0.1 s; reached at
/// roughly 580 per arm).
pub const EXACT_MAX_WORK: u128 = 100_000_000;

/// How the p-value is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Exact without ties and with both arms ≤ [`EXACT_MAX_PER_ARM`], normal
    /// approximation otherwise.
    Auto,
    /// Exact null distribution of U (normal approximation if there are ties).
    Exact,
    /// Normal approximation with tie and continuity corrections.
    Normal,
}

/// Ranks of the pooled sample and what the tests need from them.
struct RankSummary {
    /// U of the treatment sample.
    u_treatment: f64,
    /// Σ (t³ − t) over groups of tied values.
    tie_term: f64,
    /// Whether any two pooled values are equal.
    has_ties: bool,
}

fn rank_summary(treatment: &[f64], control: &[f64]) -> RankSummary {
    let n_t = treatment.len();
    let mut pooled: Vec<(f64, bool)> = treatment
        .iter()
        .map(|&v| (v, true))
        .chain(control.iter().map(|&v| (v, false)))
        .collect();
    pooled.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum_treatment = 0.0;
    let mut tie_term = 0.0;
    let mut has_ties = false;
    let mut i = 0;
    while i < pooled.len() {
        let mut j = i + 1;
        while j < pooled.len() && pooled[j].0 == pooled[i].0 {
            j += 1;
        }
        // positions i..j (0-based) share the mid-rank (i + 1 + j) / 2
        let mid_rank = (i + 1 + j) as f64 / 2.0;
        let in_treatment = pooled[i..j].iter().filter(|p| p.1).count();
        rank_sum_treatment += mid_rank * in_treatment as f64;
        let t = (j - i) as f64;
        if j - i > 1 {
            has_ties = true;
            tie_term += t * t * t - t;
        }
        i = j;
    }
    let n_t = n_t as f64;
    RankSummary {
        u_treatment: rank_sum_treatment - n_t * (n_t + 1.0) / 2.0,
        tie_term,
        has_ties,
    }
}

/// Wilcoxon rank-sum test of treatment versus control.
///
/// Not analysable: an empty arm, a non-finite value, or all pooled values
/// equal (no ranking information; scipy returns p = 1 there).
#[must_use = "the outcome says whether the test rejected"]
pub fn rank_sum(
    treatment: &[f64],
    control: &[f64],
    alt: Alternative,
    method: Method,
) -> TestOutcome {
    if !all_finite(treatment) || !all_finite(control) {
        return Err(NotAnalysable::NonFinite);
    }
    for (values, arm) in [(treatment, ArmRole::Treatment), (control, ArmRole::Control)] {
        if values.is_empty() {
            return Err(NotAnalysable::TooFewObservations {
                arm,
                found: 0,
                required: 1,
            });
        }
    }
    let first = treatment[0];
    if treatment.iter().chain(control).all(|&v| v == first) {
        return Err(NotAnalysable::ZeroVariance);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let estimate = mean(treatment) - mean(control);
    if !estimate.is_finite() {
        return Err(NotAnalysable::Overflow);
    }
    let ranks = rank_summary(treatment, control);
    let n_t = treatment.len();
    let n_c = control.len();
    let use_exact = match method {
        Method::Normal => false,
        Method::Exact => !ranks.has_ties && exact_is_affordable(n_t, n_c),
        Method::Auto => !ranks.has_ties && n_t <= EXACT_MAX_PER_ARM && n_c <= EXACT_MAX_PER_ARM,
    };
    let exact = if use_exact {
        exact_p_value(ranks.u_treatment, n_t, n_c, alt)
    } else {
        None
    };
    let p_value = exact.unwrap_or_else(|| normal_p_value_with_corrections(&ranks, n_t, n_c, alt));
    Ok(TestResult {
        estimate,
        statistic: ranks.u_treatment,
        p_value,
        df: None,
    })
}

/// Whether the exact distribution costs at most [`EXACT_MAX_WORK`] steps
/// (min(n_t, n_c) · n_t n_c / 2).
fn exact_is_affordable(n_t: usize, n_c: usize) -> bool {
    let work = (n_t.min(n_c) as u128) * (n_t as u128) * (n_c as u128) / 2;
    work <= EXACT_MAX_WORK
}

fn normal_p_value_with_corrections(
    ranks: &RankSummary,
    n_t: usize,
    n_c: usize,
    alt: Alternative,
) -> f64 {
    let (n1, n2) = (n_t as f64, n_c as f64);
    let n = n1 + n2;
    let u1 = ranks.u_treatment;
    let u2 = n1 * n2 - u1;
    let (u, factor) = match alt {
        Alternative::Greater => (u1, 1.0),
        Alternative::Less => (u2, 1.0),
        Alternative::TwoSided => (u1.max(u2), 2.0),
    };
    let sigma = (n1 * n2 / 12.0 * ((n + 1.0) - ranks.tie_term / (n * (n - 1.0)))).sqrt();
    let z = (u - n1 * n2 / 2.0 - 0.5) / sigma;
    (factor * normal_p_value(z, Alternative::Greater)).clamp(0.0, 1.0)
}

/// Exact p-value from the null distribution of U (no ties).
fn exact_p_value(u_treatment: f64, n_t: usize, n_c: usize, alt: Alternative) -> Option<f64> {
    let dist = ExactU::new(n_t, n_c)?;
    let total_u = (n_t * n_c) as f64;
    // U values are integers without ties; round away representation noise.
    let u1 = u_treatment.round() as usize;
    let u2 = (total_u - u_treatment).round() as usize;
    let p = match alt {
        Alternative::Greater => dist.sf(u1),
        Alternative::Less => dist.sf(u2),
        Alternative::TwoSided => 2.0 * dist.sf(u1.max(u2)),
    };
    Some(p.clamp(0.0, 1.0))
}

/// Null distribution of U for sample sizes (m, n) without ties.
///
/// Counts of U = k are the coefficients of the Gaussian binomial
/// [m + n choose m]_q = ∏_{i=1}^{min} (1 − q^{max+i}) / (1 − q^i); only the
/// lower half (k ≤ mn/2) is built, since the distribution is symmetric and
/// each coefficient depends only on lower ones. Counts are kept in f64, so
/// lower-tail probabilities keep full relative precision.
pub struct ExactU {
    /// counts[k] for k = 0..=floor(mn/2)
    counts: Vec<f64>,
    /// Σ of all counts = C(m + n, m).
    total: f64,
    /// m·n
    mn: usize,
}

impl ExactU {
    /// Builds the distribution for arm sizes `m` and `n`; `None` when that
    /// would cost more than [`EXACT_MAX_WORK`] steps.
    #[must_use]
    pub fn new(m: usize, n: usize) -> Option<Self> {
        if !exact_is_affordable(m, n) {
            return None;
        }
        let mn = m * n;
        let half = mn / 2;
        let (small, large) = if m < n { (m, n) } else { (n, m) };
        let mut counts = vec![0.0_f64; half + 1];
        counts[0] = 1.0;
        for i in 1..=small {
            let up = large + i;
            if up <= half {
                for k in (up..=half).rev() {
                    counts[k] -= counts[k - up];
                }
            }
            if i <= half {
                for k in i..=half {
                    counts[k] += counts[k - i];
                }
            }
        }
        let lower: f64 = if mn.is_multiple_of(2) {
            counts[..half].iter().sum()
        } else {
            counts.iter().sum()
        };
        let total = if mn.is_multiple_of(2) {
            2.0 * lower + counts[half]
        } else {
            2.0 * lower
        };
        Some(ExactU { counts, total, mn })
    }

    /// P(U ≤ k).
    #[must_use]
    pub fn cdf(&self, k: usize) -> f64 {
        if k >= self.mn {
            return 1.0;
        }
        if k < self.counts.len() {
            self.counts[..=k].iter().sum::<f64>() / self.total
        } else {
            // P(U ≤ k) = 1 − P(U ≥ k + 1) = 1 − P(U ≤ mn − k − 1)
            1.0 - self.cdf(self.mn - k - 1)
        }
    }

    /// P(U ≥ k).
    #[must_use]
    pub fn sf(&self, k: usize) -> f64 {
        if k == 0 {
            return 1.0;
        }
        if k > self.mn {
            return 0.0;
        }
        // P(U ≥ k) = P(U ≤ mn − k) by symmetry
        self.cdf(self.mn - k)
    }
}

/// Hodges–Lehmann estimate of the shift (treatment − control): the median
/// of all pairwise differences. `None` if an arm is empty or a value is not
/// finite.
#[must_use]
pub fn hodges_lehmann(treatment: &[f64], control: &[f64]) -> Option<f64> {
    if treatment.is_empty() || control.is_empty() {
        return None;
    }
    if !all_finite(treatment) || !all_finite(control) {
        return None;
    }
    let mut diffs: Vec<f64> = treatment
        .iter()
        .flat_map(|&t| control.iter().map(move |&c| t - c))
        .collect();
    diffs.sort_by(f64::total_cmp);
    let m = diffs.len();
    let median = if m % 2 == 1 {
        diffs[m / 2]
    } else {
        0.5 * (diffs[m / 2 - 1] + diffs[m / 2])
    };
    median.is_finite().then_some(median)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statrs_counterexample_gets_the_right_two_sided_p() {
        // ecosystem.md: scipy gives 0.1111 for this pair (statrs: 1.000)
        let r = rank_sum(
            &[20.0, 11.0, 17.0, 12.0],
            &[19.0, 22.0, 16.0, 29.0, 24.0],
            Alternative::TwoSided,
            Method::Exact,
        )
        .unwrap();
        assert_eq!(r.statistic, 3.0);
        assert!((r.p_value - 0.111_111_111_111_111_1).abs() < 1e-15);
    }

    #[test]
    fn exact_distribution_sums_to_one_and_is_symmetric() {
        for (m, n) in [(1, 1), (2, 3), (5, 5), (7, 12), (50, 50)] {
            let d = ExactU::new(m, n).unwrap();
            let mn = m * n;
            assert!((d.cdf(mn) - 1.0).abs() < 1e-15);
            for k in 0..=mn {
                let lhs = d.sf(k);
                let rhs = d.cdf(mn - k);
                assert!((lhs - rhs).abs() < 1e-14, "{m} {n} {k}");
            }
        }
    }

    #[test]
    fn hodges_lehmann_is_the_median_of_pairwise_differences() {
        assert_eq!(hodges_lehmann(&[3.0, 5.0], &[1.0]), Some(3.0));
        assert_eq!(hodges_lehmann(&[], &[1.0]), None);
    }
}
