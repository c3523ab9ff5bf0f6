//! Win statistics of a hierarchical composite (Finkelstein–Schoenfeld
//! pairs): every treated patient is compared with every control patient by
//! a caller's comparison (the hierarchy of `trial::hierarchy`), giving a
//! win, a loss or a tie for the treated patient.
//!
//! With N_w wins, N_l losses and N_t ties over the n_t n_c pairs,
//! P_w = N_w/(n_t n_c), P_l = N_l/(n_t n_c):
//!
//! * win ratio WR = N_w/N_l (Pocock et al. 2012);
//! * win probability (the Mann–Whitney estimator CHART-1 reports)
//!   θ = P_w + P_tie/2, win odds WO = θ/(1 − θ) (Dong et al. 2020);
//! * net benefit (Buyse 2010) NB = P_w − P_l = 2θ − 1.
//!
//! **Variance** from the two-sample U-statistic (Bebu & Lachin 2016): with
//! the placements of each treated patient (its share of wins and of losses
//! over the controls) and of each control patient (the share of treated
//! patients beating it, and losing to it),
//! Cov(P̂_w, P̂_l) = S_t/n_t + S_c/n_c where S_t, S_c are the sample
//! covariance matrices (denominator n − 1) of the placements in each arm.
//! For one continuous component this is exactly the Brunner–Munzel variance
//! of θ̂ (`statsmodels` `rank_compare_2indep`'s `var_prob`). Then
//! Var(ln WR) = V_ww/P_w² + V_ll/P_l² − 2V_wl/(P_w P_l),
//! Var(NB) = V_ww + V_ll − 2V_wl, Var(θ̂) = Var(NB)/4,
//! Var(ln WO) = Var(θ̂)/(θ(1 − θ))² (delta method).
//!
//! The test of the chosen measure is a z-test on its natural scale
//! (ln WR, ln WO, NB) against `margin` (0 for no effect); `statistic` is z,
//! positive when treatment wins more. Not analysable: an empty arm, no pair
//! decided ([`NotAnalysable::ZeroVariance`] when every pair ties), zero
//! variance, or a ratio of 0 or ∞ (no losses or no wins:
//! [`NotAnalysable::DegenerateRatio`]).

use super::{Alternative, ArmRole, NotAnalysable, TestOutcome, TestResult, normal_p_value};

/// The outcome of one treated-control pair, for the treated patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PairOutcome {
    Win,
    Loss,
    Tie,
}

/// Which measure the endpoint estimates and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WinMeasure {
    WinRatio,
    WinOdds,
    NetBenefit,
}

/// Counts and estimates of one comparison.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct WinStatistics {
    pub wins: u64,
    pub losses: u64,
    pub ties: u64,
    pub n_treatment: usize,
    pub n_control: usize,
    pub win_ratio: f64,
    pub win_odds: f64,
    pub net_benefit: f64,
    /// θ = P(win) + P(tie)/2.
    pub win_probability: f64,
    /// Covariance of (P̂_w, P̂_l): `[V_ww, V_wl, V_ll]`.
    pub covariance: [f64; 3],
}

impl WinStatistics {
    pub fn var_net_benefit(&self) -> f64 {
        let [ww, wl, ll] = self.covariance;
        (ww + ll - 2.0 * wl).max(0.0)
    }
    pub fn var_win_probability(&self) -> f64 {
        self.var_net_benefit() / 4.0
    }
    pub fn var_log_win_ratio(&self) -> f64 {
        let pairs = (self.n_treatment * self.n_control) as f64;
        let (pw, pl) = (self.wins as f64 / pairs, self.losses as f64 / pairs);
        let [ww, wl, ll] = self.covariance;
        (ww / (pw * pw) + ll / (pl * pl) - 2.0 * wl / (pw * pl)).max(0.0)
    }
    pub fn var_log_win_odds(&self) -> f64 {
        let t = self.win_probability;
        self.var_win_probability() / (t * (1.0 - t)).powi(2)
    }

    /// (estimate, value on the test scale, its SE) of a measure.
    pub fn measure(&self, m: WinMeasure) -> (f64, f64, f64) {
        match m {
            WinMeasure::WinRatio => (
                self.win_ratio,
                self.win_ratio.ln(),
                self.var_log_win_ratio().sqrt(),
            ),
            WinMeasure::WinOdds => (
                self.win_odds,
                self.win_odds.ln(),
                self.var_log_win_odds().sqrt(),
            ),
            WinMeasure::NetBenefit => (
                self.net_benefit,
                self.net_benefit,
                self.var_net_benefit().sqrt(),
            ),
        }
    }
}

/// Compare every treated patient with every control patient (O(n_t n_c)
/// comparisons; the placements need one counter pair per patient).
pub fn compare<T>(
    treatment: &[T],
    control: &[T],
    mut pair: impl FnMut(&T, &T) -> PairOutcome,
) -> Result<WinStatistics, NotAnalysable> {
    for (obs, arm) in [
        (treatment.len(), ArmRole::Treatment),
        (control.len(), ArmRole::Control),
    ] {
        if obs < 2 {
            return Err(NotAnalysable::TooFewObservations {
                arm,
                found: obs,
                required: 2,
            });
        }
    }
    let (nt, nc) = (treatment.len(), control.len());
    // per control: treated wins against it, losses
    let mut control_counts = vec![(0u64, 0u64); nc];
    let (mut wins, mut losses) = (0u64, 0u64);
    let mut t_place = Vec::with_capacity(nt);
    for a in treatment {
        let (mut w, mut l) = (0u64, 0u64);
        for (b, cc) in control.iter().zip(control_counts.iter_mut()) {
            match pair(a, b) {
                PairOutcome::Win => {
                    w += 1;
                    cc.0 += 1;
                }
                PairOutcome::Loss => {
                    l += 1;
                    cc.1 += 1;
                }
                PairOutcome::Tie => {}
            }
        }
        wins += w;
        losses += l;
        t_place.push((w as f64 / nc as f64, l as f64 / nc as f64));
    }
    let pairs = (nt * nc) as u64;
    let ties = pairs - wins - losses;
    let cov_of = |place: &[(f64, f64)]| -> [f64; 3] {
        let n = place.len() as f64;
        let mw = place.iter().map(|p| p.0).sum::<f64>() / n;
        let ml = place.iter().map(|p| p.1).sum::<f64>() / n;
        let (mut ww, mut wl, mut ll) = (0.0, 0.0, 0.0);
        for &(w, l) in place {
            ww += (w - mw) * (w - mw);
            wl += (w - mw) * (l - ml);
            ll += (l - ml) * (l - ml);
        }
        [ww / (n - 1.0), wl / (n - 1.0), ll / (n - 1.0)]
    };
    let c_place: Vec<(f64, f64)> = control_counts
        .iter()
        .map(|&(w, l)| (w as f64 / nt as f64, l as f64 / nt as f64))
        .collect();
    let st = cov_of(&t_place);
    let sc = cov_of(&c_place);
    let covariance = [0, 1, 2].map(|k| st[k] / nt as f64 + sc[k] / nc as f64);
    let pf = pairs as f64;
    let (pw, pl) = (wins as f64 / pf, losses as f64 / pf);
    let theta = pw + 0.5 * (ties as f64 / pf);
    Ok(WinStatistics {
        wins,
        losses,
        ties,
        n_treatment: nt,
        n_control: nc,
        win_ratio: wins as f64 / losses as f64,
        win_odds: theta / (1.0 - theta),
        net_benefit: pw - pl,
        win_probability: theta,
        covariance,
    })
}

/// The z-test of one measure against `margin` (on its test scale).
pub fn test(
    stats: &WinStatistics,
    measure: WinMeasure,
    margin: f64,
    alt: Alternative,
) -> TestOutcome {
    if stats.wins + stats.losses == 0 {
        return Err(NotAnalysable::ZeroVariance);
    }
    let (estimate, value, se) = stats.measure(measure);
    if !value.is_finite() {
        return Err(NotAnalysable::DegenerateRatio);
    }
    if se.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return Err(NotAnalysable::ZeroVariance);
    }
    let z = (value - margin) / se;
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

    fn higher(a: &f64, b: &f64) -> PairOutcome {
        if a > b {
            PairOutcome::Win
        } else if a < b {
            PairOutcome::Loss
        } else {
            PairOutcome::Tie
        }
    }

    #[test]
    fn counts_add_up_and_measures_agree() {
        let t = [3.0, 5.0, 5.0, 9.0];
        let c = [1.0, 5.0, 7.0];
        let s = compare(&t, &c, higher).unwrap();
        // 3: W L L; 5 (twice): W T L; 9: W W W
        assert_eq!((s.wins, s.losses, s.ties), (6, 4, 2));
        assert_eq!(s.win_ratio, 6.0 / 4.0);
        assert!((s.win_probability - 7.0 / 12.0).abs() < 1e-15);
        assert!((s.net_benefit - 2.0 / 12.0).abs() < 1e-15);
        assert!((s.win_odds - 7.0 / 5.0).abs() < 1e-14);
        let r = test(&s, WinMeasure::WinRatio, 0.0, Alternative::TwoSided).unwrap();
        assert!(r.statistic > 0.0 && r.p_value > 0.0 && r.p_value < 1.0);
    }

    #[test]
    fn separated_arms_have_no_finite_win_ratio() {
        let s = compare(&[5.0, 6.0], &[1.0, 2.0], higher).unwrap();
        assert_eq!(s.losses, 0);
        assert_eq!(
            test(&s, WinMeasure::WinRatio, 0.0, Alternative::TwoSided),
            Err(NotAnalysable::DegenerateRatio)
        );
        let tied = compare(&[1.0, 1.0], &[1.0, 1.0], higher).unwrap();
        assert_eq!(
            test(&tied, WinMeasure::NetBenefit, 0.0, Alternative::TwoSided),
            Err(NotAnalysable::ZeroVariance)
        );
        assert!(compare(&[1.0], &[1.0, 2.0], higher).is_err());
    }
}
