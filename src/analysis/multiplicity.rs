//! Multiplicity adjustment across endpoints.
//!
//! * Bonferroni: reject H_i if p_i ≤ α/m; adjusted p_i = min(1, m p_i).
//! * Holm: sort p ascending; reject the first k hypotheses where k is the
//!   largest index with p_(j) ≤ α/(m − j + 1) for all j ≤ k (step-down);
//!   adjusted p_(j) = min(1, max_{i ≤ j} (m − i + 1) p_(i)).
//! * Fixed sequence: test in the given order at the full α and stop at the
//!   first non-rejection; adjusted p_i = max_{j ≤ i} p_j.
//!
//! Rejections and adjusted p-values for Bonferroni and Holm match
//! `statsmodels.stats.multitest.multipletests` (including its comparisons
//! `p ≤ α/m` and `p ≤ α/(m − j + 1)` rather than `m p ≤ α`).
//!
//! Non-analysable endpoints are passed as p = 1.0 (see
//! [`super::p_value_or_one`]); a NaN p-value is treated as 1.0 too. They
//! then count in m but are never rejected, and under the fixed sequence they
//! stop the sequence.

/// A multiplicity procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Procedure {
    /// Single-step Bonferroni.
    Bonferroni,
    /// Holm's step-down Bonferroni.
    Holm,
    /// Hierarchical testing in the given order, each at the full α.
    FixedSequence,
}

fn sanitised(p_values: &[f64]) -> Vec<f64> {
    p_values
        .iter()
        .map(|&p| if p.is_nan() { 1.0 } else { p })
        .collect()
}

/// Indices of `p` in ascending order of p (ties keep their input order).
fn ascending_order(p: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    order
}

/// Which hypotheses are rejected at family-wise level `alpha`.
#[must_use]
pub fn reject(p_values: &[f64], alpha: f64, procedure: Procedure) -> Vec<bool> {
    let p = sanitised(p_values);
    let m = p.len();
    match procedure {
        Procedure::Bonferroni => {
            let threshold = alpha / m as f64;
            p.iter().map(|&pi| pi <= threshold).collect()
        }
        Procedure::Holm => {
            let order = ascending_order(&p);
            let mut rejected = vec![false; m];
            for (j, &i) in order.iter().enumerate() {
                if p[i] <= alpha / (m - j) as f64 {
                    rejected[i] = true;
                } else {
                    break;
                }
            }
            rejected
        }
        Procedure::FixedSequence => {
            let mut rejected = vec![false; m];
            for (i, &pi) in p.iter().enumerate() {
                if pi <= alpha {
                    rejected[i] = true;
                } else {
                    break;
                }
            }
            rejected
        }
    }
}

/// Adjusted p-values: reject H_i at level α exactly when the adjusted p_i
/// ≤ α (up to the floating-point form of the comparison; [`reject`] is the
/// authority).
#[must_use]
pub fn adjusted_p_values(p_values: &[f64], procedure: Procedure) -> Vec<f64> {
    let p = sanitised(p_values);
    let m = p.len();
    match procedure {
        Procedure::Bonferroni => p.iter().map(|&pi| (pi * m as f64).min(1.0)).collect(),
        Procedure::Holm => {
            let order = ascending_order(&p);
            let mut adjusted = vec![0.0; m];
            let mut running = f64::NEG_INFINITY;
            for (j, &i) in order.iter().enumerate() {
                running = running.max(p[i] * (m - j) as f64);
                adjusted[i] = running.min(1.0);
            }
            adjusted
        }
        Procedure::FixedSequence => {
            let mut running = f64::NEG_INFINITY;
            p.iter()
                .map(|&pi| {
                    running = running.max(pi);
                    running.min(1.0)
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holm_rejects_step_down() {
        let p = [0.01, 0.04, 0.03, 0.005];
        assert_eq!(
            reject(&p, 0.05, Procedure::Holm),
            vec![true, false, false, true]
        );
        let adj = adjusted_p_values(&p, Procedure::Holm);
        assert!((adj[0] - 0.03).abs() < 1e-15);
        assert!((adj[2] - 0.06).abs() < 1e-15);
        assert!((adj[1] - 0.06).abs() < 1e-15);
    }

    #[test]
    fn fixed_sequence_stops_at_the_first_non_rejection() {
        let p = [0.01, 0.2, 0.001];
        assert_eq!(
            reject(&p, 0.05, Procedure::FixedSequence),
            vec![true, false, false]
        );
    }

    #[test]
    fn empty_families_reject_nothing() {
        assert!(reject(&[], 0.05, Procedure::Holm).is_empty());
        assert!(adjusted_p_values(&[], Procedure::Bonferroni).is_empty());
    }
}
