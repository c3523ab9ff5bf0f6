//! Log-rank test with two hazard-ratio estimators.
//!
//! At each distinct event time j, with n_j patients at risk (n_tj in
//! treatment), d_j events (d_tj in treatment):
//! E_tj = d_j n_tj / n_j and the hypergeometric variance
//! V_j = d_j (n_tj/n_j)(1 − n_tj/n_j)(n_j − d_j)/(n_j − 1) (0 when n_j = 1).
//! Patients censored at an event time are still at risk at that time.
//!
//! `statistic` is the signed Z = (O_t − E_t)/√V with O_t = Σ d_tj,
//! E_t = Σ E_tj, V = Σ V_j. **Z > 0 means more events than expected in the
//! treatment arm** (treatment hazard higher). Z² is the usual log-rank
//! chi-square (`lifelines.statistics.logrank_test`, `statsmodels`
//! `survdiff`). Alternatives follow the hazard: `Less` = treatment hazard
//! lower, p = Φ(Z); `Greater` = treatment hazard higher, p = 1 − Φ(Z);
//! two-sided p = 2(1 − Φ(|Z|)). `df` is `None`.
//!
//! `estimate` is the Cox partial-likelihood hazard ratio (Efron ties,
//! [`cox_hazard_ratio`]) when its Newton–Raphson iteration converges; when
//! the maximum likelihood estimate does not exist (monotone likelihood: e.g.
//! all events in one arm, or all events of one arm after the other arm has
//! left the risk set) or is not found (|log HR| > [`COX_MAX_ABS_LOG_HR`]) it
//! is the Pike estimate (O_t/E_t)/(O_c/E_c) ([`pike_hazard_ratio`]), which is
//! +∞ or 0 when all events are in one arm.
//!
//! Not analysable: an empty arm, a non-finite time, no events
//! ([`NotAnalysable::NoEvents`]), or V = 0 ([`NotAnalysable::ZeroVariance`],
//! e.g. no event time at which both arms are at risk).

use super::{ArmRole, NotAnalysable, SurvivalObs, TestOutcome, TestResult, normal_p_value};
use crate::analysis::Alternative;

/// Largest |log hazard ratio| accepted from the Cox iteration.
pub const COX_MAX_ABS_LOG_HR: f64 = 20.0;

/// One distinct event time: numbers at risk and events in each arm.
#[derive(Debug, Clone, Copy)]
struct EventTime {
    at_risk_t: f64,
    at_risk_c: f64,
    events_t: f64,
    events_c: f64,
}

/// The risk-set table of a two-arm data set, one row per distinct event
/// time. Build it once when several statistics are wanted.
#[derive(Debug, Clone)]
pub struct RiskTable {
    rows: Vec<EventTime>,
}

impl RiskTable {
    /// Builds the table. Errors on an empty arm or a non-finite time.
    pub fn new(treatment: &[SurvivalObs], control: &[SurvivalObs]) -> Result<Self, NotAnalysable> {
        if treatment.iter().chain(control).any(|o| !o.time.is_finite()) {
            return Err(NotAnalysable::NonFinite);
        }
        for (obs, arm) in [(treatment, ArmRole::Treatment), (control, ArmRole::Control)] {
            if obs.is_empty() {
                return Err(NotAnalysable::TooFewObservations {
                    arm,
                    found: 0,
                    required: 1,
                });
            }
        }
        let mut pooled: Vec<(f64, bool, bool)> = treatment
            .iter()
            .map(|o| (o.time, o.event, true))
            .chain(control.iter().map(|o| (o.time, o.event, false)))
            .collect();
        pooled.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut at_risk_t = treatment.len() as f64;
        let mut at_risk_c = control.len() as f64;
        let mut rows = Vec::new();
        let mut i = 0;
        while i < pooled.len() {
            let time = pooled[i].0;
            let (mut events_t, mut events_c, mut leave_t, mut leave_c) = (0.0, 0.0, 0.0, 0.0);
            while i < pooled.len() && pooled[i].0 == time {
                let (_, event, is_t) = pooled[i];
                match (event, is_t) {
                    (true, true) => events_t += 1.0,
                    (true, false) => events_c += 1.0,
                    _ => {}
                }
                if is_t {
                    leave_t += 1.0;
                } else {
                    leave_c += 1.0;
                }
                i += 1;
            }
            if events_t + events_c > 0.0 {
                rows.push(EventTime {
                    at_risk_t,
                    at_risk_c,
                    events_t,
                    events_c,
                });
            }
            at_risk_t -= leave_t;
            at_risk_c -= leave_c;
        }
        Ok(RiskTable { rows })
    }

    /// Total events (treatment, control).
    #[must_use]
    pub fn events(&self) -> (f64, f64) {
        self.rows.iter().fold((0.0, 0.0), |acc, r| {
            (acc.0 + r.events_t, acc.1 + r.events_c)
        })
    }

    /// Log-rank sums: (O_t, E_t, V).
    #[must_use]
    pub fn observed_expected_variance(&self) -> (f64, f64, f64) {
        let mut observed = 0.0;
        let mut expected = 0.0;
        let mut variance = 0.0;
        for r in &self.rows {
            let n = r.at_risk_t + r.at_risk_c;
            let d = r.events_t + r.events_c;
            let share = r.at_risk_t / n;
            observed += r.events_t;
            expected += d * share;
            if n > 1.0 {
                variance += d * share * (1.0 - share) * (n - d) / (n - 1.0);
            }
        }
        (observed, expected, variance)
    }

    /// Pike hazard ratio (O_t/E_t)/(O_c/E_c); `None` without events or when
    /// an arm has no expected events.
    #[must_use]
    pub fn pike_hazard_ratio(&self) -> Option<f64> {
        let (o_t, e_t, _) = self.observed_expected_variance();
        let (_, o_c) = self.events();
        let e_c = (o_t + o_c) - e_t;
        if o_t + o_c == 0.0 || e_t <= 0.0 || e_c <= 0.0 {
            return None;
        }
        Some(if o_c == 0.0 {
            f64::INFINITY
        } else {
            (o_t / e_t) / (o_c / e_c)
        })
    }

    /// Whether the Cox estimate is finite. With one binary covariate the
    /// partial likelihood is monotone (the estimate is ±∞) unless some
    /// control event happens while a treated patient is at risk and some
    /// treatment event happens while a control patient is at risk.
    #[must_use]
    pub fn cox_estimate_exists(&self) -> bool {
        let control_event_with_treated_at_risk = self
            .rows
            .iter()
            .any(|r| r.events_c > 0.0 && r.at_risk_t > 0.0);
        let treated_event_with_control_at_risk = self
            .rows
            .iter()
            .any(|r| r.events_t > 0.0 && r.at_risk_c > 0.0);
        control_event_with_treated_at_risk && treated_event_with_control_at_risk
    }

    /// Efron log partial likelihood, score and information at log HR `beta`.
    fn efron(&self, beta: f64) -> (f64, f64, f64) {
        let r = beta.exp();
        let (mut ll, mut score, mut info) = (0.0, 0.0, 0.0);
        for row in &self.rows {
            let d = row.events_t + row.events_c;
            let s0 = row.at_risk_c + row.at_risk_t * r;
            let s0d = row.events_c + row.events_t * r;
            let s1 = row.at_risk_t * r;
            let s1d = row.events_t * r;
            ll += beta * row.events_t;
            score += row.events_t;
            let whole = d as usize;
            for l in 0..whole {
                let f = l as f64 / d;
                let a = s0 - f * s0d;
                let b = (s1 - f * s1d) / a;
                ll -= a.ln();
                score -= b;
                info += b * (1.0 - b);
            }
        }
        (ll, score, info)
    }

    /// Cox proportional-hazards fit with the treatment indicator as the only
    /// covariate and Efron's method for ties, by damped Newton–Raphson from
    /// log HR = 0. `None` without events, when the likelihood is monotone
    /// (the estimate is infinite, see [`RiskTable::cox_estimate_exists`]),
    /// or, as a safeguard, when |log HR| would exceed [`COX_MAX_ABS_LOG_HR`]
    /// or the iteration does not converge in 200 steps.
    #[must_use]
    pub fn cox_fit(&self) -> Option<CoxFit> {
        if !self.cox_estimate_exists() {
            return None;
        }
        let mut beta = 0.0_f64;
        let (mut ll, mut score, mut info) = self.efron(beta);
        for iteration in 1..=200 {
            if info.is_nan() || info <= 0.0 || !score.is_finite() {
                return None;
            }
            let mut step = (score / info).clamp(-2.0, 2.0);
            let mut accepted = false;
            for _ in 0..60 {
                let candidate = beta + step;
                if candidate.abs() > COX_MAX_ABS_LOG_HR {
                    return None;
                }
                let (ll_new, score_new, info_new) = self.efron(candidate);
                if ll_new.is_finite() && ll_new >= ll - 1e-12 * ll.abs().max(1.0) {
                    beta = candidate;
                    ll = ll_new;
                    score = score_new;
                    info = info_new;
                    accepted = true;
                    break;
                }
                step *= 0.5;
            }
            if !accepted {
                return None;
            }
            if step.abs() <= 1e-13 * beta.abs().max(1.0) {
                return (info > 0.0).then(|| CoxFit {
                    log_hazard_ratio: beta,
                    hazard_ratio: beta.exp(),
                    se_log_hazard_ratio: 1.0 / info.sqrt(),
                    iterations: iteration,
                });
            }
        }
        None
    }
}

/// A converged Cox fit.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CoxFit {
    /// Maximum partial-likelihood estimate of the log hazard ratio.
    pub log_hazard_ratio: f64,
    /// exp(log_hazard_ratio).
    pub hazard_ratio: f64,
    /// 1/√(observed information) at the estimate.
    pub se_log_hazard_ratio: f64,
    /// Newton iterations used.
    pub iterations: u32,
}

/// Log-rank test of treatment versus control (see the module docs for the
/// sign convention and the estimate).
#[must_use = "the outcome says whether the test rejected"]
pub fn test(treatment: &[SurvivalObs], control: &[SurvivalObs], alt: Alternative) -> TestOutcome {
    let table = RiskTable::new(treatment, control)?;
    let (o_t, o_c) = table.events();
    if o_t + o_c == 0.0 {
        return Err(NotAnalysable::NoEvents);
    }
    let (observed, expected, variance) = table.observed_expected_variance();
    if variance.is_nan() || variance <= 0.0 {
        return Err(NotAnalysable::ZeroVariance);
    }
    let z = (observed - expected) / variance.sqrt();
    let estimate = match table.cox_fit() {
        Some(fit) => fit.hazard_ratio,
        None => table.pike_hazard_ratio().unwrap_or(f64::NAN),
    };
    if estimate.is_nan() || !z.is_finite() {
        return Err(NotAnalysable::ZeroVariance);
    }
    Ok(TestResult {
        estimate,
        statistic: z,
        p_value: normal_p_value(z, alt),
        df: None,
    })
}

/// Pike's hazard ratio (O_t/E_t)/(O_c/E_c). `None` for invalid data, no
/// events or no expected events in an arm; +∞ when all events are in the
/// treatment arm, 0 when all are in the control arm.
#[must_use]
pub fn pike_hazard_ratio(treatment: &[SurvivalObs], control: &[SurvivalObs]) -> Option<f64> {
    RiskTable::new(treatment, control).ok()?.pike_hazard_ratio()
}

/// Cox partial-likelihood hazard ratio (treatment vs control, Efron ties).
/// `None` for invalid data, no events, or when the estimate is infinite or
/// beyond exp(±[`COX_MAX_ABS_LOG_HR`]).
#[must_use]
pub fn cox_hazard_ratio(treatment: &[SurvivalObs], control: &[SurvivalObs]) -> Option<f64> {
    cox_fit(treatment, control).map(|f| f.hazard_ratio)
}

/// Cox fit with standard error and iteration count (see [`RiskTable::cox_fit`]).
#[must_use]
pub fn cox_fit(treatment: &[SurvivalObs], control: &[SurvivalObs]) -> Option<CoxFit> {
    RiskTable::new(treatment, control).ok()?.cox_fit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(v: &[(f64, bool)]) -> Vec<SurvivalObs> {
        v.iter()
            .map(|&(time, event)| SurvivalObs { time, event })
            .collect()
    }

    #[test]
    fn no_events_is_not_analysable() {
        let t = obs(&[(1.0, false), (2.0, false)]);
        let c = obs(&[(1.5, false)]);
        assert_eq!(
            test(&t, &c, Alternative::TwoSided),
            Err(NotAnalysable::NoEvents)
        );
    }

    #[test]
    fn all_events_in_the_treatment_arm_give_an_infinite_pike_ratio() {
        let t = obs(&[(1.0, true), (2.0, true), (3.0, true)]);
        let c = obs(&[(4.0, false), (5.0, false), (6.0, false)]);
        let r = test(&t, &c, Alternative::Greater).unwrap();
        assert!(r.statistic > 0.0);
        assert_eq!(r.estimate, f64::INFINITY);
        assert!(r.p_value < 0.05);
        assert_eq!(cox_hazard_ratio(&t, &c), None);
    }
}
