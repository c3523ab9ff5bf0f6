//! One replicate of a sequential trial: looks in calendar time, the
//! primary endpoint analysed on each look's data cut, decisions.
//!
//! The patients are simulated over their whole follow-up first; each look
//! analyses the data as they were on its calendar day (`trial::cut`). Look
//! k is held on the day its information is reached:
//!
//! * `timing = "information"`: the day on which `ceil(f_k N)` of the `N`
//!   planned patients have reached their primary endpoint (its visit, or
//!   the end of a yes/no window; whether or not it could be measured, so
//!   that missing data do not shift the looks) or, for a time-to-event
//!   primary, `ceil(f_k D)` of the `D` planned events have happened;
//! * `"calendar"`: on the given day; `"events"`: on the day of the given
//!   primary event;
//! * the final look when all primary data are in (every patient's endpoint
//!   visit or window; for events the day of the planned events, or the end
//!   of every patient's window if fewer occur).
//!
//! A look whose day comes after all data are in is merged into the final
//! one; a look with no new information, or whose primary endpoint cannot be
//! analysed, is skipped. The information fraction of a look is its
//! information over the planned one (1 at the final look, which spends all
//! the remaining alpha).
//!
//! Group-sequential rule: `Z = Phi^{-1}(1 - p)` from the endpoint's own
//! one-sided test (exactly normal for z-tests and the log-rank test; the
//! probability-integral transform of the t, rank-sum and exact tests),
//! compared with the bounds recomputed at the observed fractions. With
//! sample-size re-estimation, at its look the conditional power under the
//! current trend decides the final sample size (promising zone: increased to
//! reach the target conditional power when it lies in `[min, target)`,
//! capped), and every later look uses the Cui-Hung-Wang statistic
//! `Z* = (sqrt(t_s) Z_s + sqrt(t_k - t_s) Z_(s,k)) / sqrt(t_k)` with the
//! pre-planned weights, where `Z_(s,k)` is the statistic of the data after
//! the re-estimation look (from the cumulative statistics and the observed
//! information, `n_t n_c / (n_t + n_c)`), so alpha is kept whatever the new
//! sample size.

use super::bayes::{
    Beta, beta_predictive_success, normal_posterior, normal_predictive_success,
    prob_difference_exceeds,
};
use super::boundaries::conditional_power;
use super::design::{Bayes, PrimaryKind, Rule, SequentialDesign, Timing};
use super::record::{Decision, LookRecord, SequentialRecord, StopReason};
use crate::analysis::Alternative;
use crate::analysis::special::norm_isf;
use crate::evaluation::run_test;
use crate::scenario::Scenario;
use crate::scenario::validate::Endpoint;
use crate::trial::TrialData;
use crate::trial::cut::{complete_at, cut_at};
use crate::trial::endpoints::{EndpointData, extract};
use std::collections::HashMap;

/// Simulates patients `data.patients.len()..n` into `data` (whole
/// follow-up, enrolment days as drawn from the accrual).
pub type Extend<'a> = dyn FnMut(&mut TrialData, usize) + 'a;

/// A conducted replicate: its record and the day of the stopping analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Conducted {
    pub record: SequentialRecord,
    pub stop_day: f64,
}

/// The primary endpoint's data on one day.
struct Analysis {
    data: EndpointData,
    /// Patients whose primary endpoint is due (enrolled at least the
    /// endpoint's horizon before), or events for a time-to-event endpoint.
    information: u64,
    /// `n_t n_c / (n_t + n_c)`, or events: the information of the statistic.
    precision: f64,
    n_analysed: u64,
    n_enrolled: u64,
}

struct Primary<'a> {
    s: &'a Scenario,
    seq: &'a SequentialDesign,
    ep: &'a Endpoint,
}

impl Primary<'_> {
    fn horizon(&self, p: &crate::trial::PatientRecord) -> f64 {
        match self.seq.kind {
            PrimaryKind::Continuous { visit } => p.visit_days[visit],
            PrimaryKind::TimeToEvent => self.ep.by_day,
            PrimaryKind::YesNo { window_day } => window_day,
        }
    }

    /// Calendar days on which each unit of information arrives, ascending:
    /// when each patient's primary endpoint is due (the endpoint visit, or
    /// the end of the yes/no window), or, for a time-to-event endpoint, each
    /// primary event.
    fn information_days(&self, data: &TrialData) -> Vec<f64> {
        let mut days: Vec<f64> = match self.seq.kind {
            PrimaryKind::TimeToEvent => {
                let entry: HashMap<u64, f64> = data
                    .patients
                    .iter()
                    .map(|p| (p.index, p.enrolment_day))
                    .collect();
                match extract(self.ep, self.s, data) {
                    EndpointData::Survival(arms) => arms
                        .iter()
                        .flatten()
                        .filter(|o| o.event)
                        .map(|o| entry[&o.patient] + o.time)
                        .collect(),
                    _ => Vec::new(),
                }
            }
            _ => data
                .patients
                .iter()
                .map(|p| p.enrolment_day + self.horizon(p))
                .collect(),
        };
        days.sort_by(f64::total_cmp);
        days
    }

    /// The day all primary data are in.
    fn final_day(&self, data: &TrialData, information_days: &[f64]) -> f64 {
        let last = data
            .patients
            .iter()
            .map(|p| p.enrolment_day + self.horizon(p))
            .fold(0.0, f64::max);
        match (self.seq.kind, self.seq.planned_events) {
            (PrimaryKind::TimeToEvent, Some(d)) => information_days
                .get(d as usize - 1)
                .map_or(last, |&x| x.min(last)),
            _ => last,
        }
    }

    fn analyse(&self, data: &TrialData, day: f64) -> Analysis {
        let cut = match self.seq.kind {
            PrimaryKind::YesNo { window_day } => complete_at(data, day, window_day),
            _ => cut_at(data, day),
        };
        let d = extract(self.ep, self.s, &cut);
        let [nc, nt] = d.n_analyzed();
        let due = |p: &&crate::trial::PatientRecord| p.enrolment_day + self.horizon(p) <= day;
        let (information, precision) = match (&d, d.events()) {
            (EndpointData::Survival(_), Some(ev)) => {
                let e = (ev[0] + ev[1]) as u64;
                (e, e as f64)
            }
            _ => (
                data.patients.iter().filter(due).count() as u64,
                if nc + nt > 0 {
                    (nc * nt) as f64 / (nc + nt) as f64
                } else {
                    0.0
                },
            ),
        };
        Analysis {
            information,
            precision,
            n_analysed: (nc + nt) as u64,
            n_enrolled: data
                .patients
                .iter()
                .filter(|p| p.enrolment_day <= day)
                .count() as u64,
            data: d,
        }
    }

    /// Z oriented so that large values favour the treatment.
    fn z(&self, a: &Analysis) -> Option<f64> {
        let outcome = run_test(self.ep, &a.data).ok()?;
        Some(norm_isf(outcome.p_value.clamp(1e-300, 1.0 - 1e-16)))
    }

    fn sign(&self) -> f64 {
        if self.seq.alternative == Alternative::Less {
            -1.0
        } else {
            1.0
        }
    }

    /// Estimate of the benefit and its standard error (normal rules).
    fn normal_estimate(&self, a: &Analysis) -> Option<(f64, f64)> {
        match &a.data {
            EndpointData::Continuous(arms) => {
                let moments = |v: &[crate::trial::endpoints::ContinuousObs]| {
                    let n = v.len() as f64;
                    let m = v.iter().map(|o| o.value).sum::<f64>() / n;
                    let var = v.iter().map(|o| (o.value - m).powi(2)).sum::<f64>() / (n - 1.0);
                    (n, m, var)
                };
                if arms[0].len() < 2 || arms[1].len() < 2 {
                    return None;
                }
                let (nc, mc, vc) = moments(&arms[0]);
                let (nt, mt, vt) = moments(&arms[1]);
                let se = (vt / nt + vc / nc).sqrt();
                (se > 0.0 && se.is_finite()).then(|| (self.sign() * (mt - mc), se))
            }
            EndpointData::Survival(_) => {
                let fit = crate::analysis::logrank::cox_fit(
                    &a.data.survival_obs(1),
                    &a.data.survival_obs(0),
                )?;
                (fit.se_log_hazard_ratio.is_finite() && fit.se_log_hazard_ratio > 0.0)
                    .then(|| (self.sign() * fit.log_hazard_ratio, fit.se_log_hazard_ratio))
            }
            // not a sequential primary endpoint (refused by validation)
            EndpointData::Binary(_)
            | EndpointData::Recurrent(_)
            | EndpointData::Hierarchy(_)
            | EndpointData::Repeated(_) => None,
        }
    }
}

/// The Cui-Hung-Wang combination after the re-estimation look.
#[derive(Debug, Clone, Copy)]
struct Combination {
    t: f64,
    z: f64,
    precision: f64,
    /// Information (count) at the re-estimation look.
    information: u64,
}

impl Combination {
    fn statistic(&self, z: f64, precision: f64, t: f64) -> Option<f64> {
        let inc = precision - self.precision;
        if inc <= 0.0 || t <= self.t {
            return None;
        }
        let z_inc = (z * precision.sqrt() - self.z * self.precision.sqrt()) / inc.sqrt();
        Some((self.t.sqrt() * self.z + (t - self.t).sqrt() * z_inc) / t.sqrt())
    }
}

fn bayes_decision(
    p: &Primary,
    b: &Bayes,
    a: &Analysis,
    look: usize,
    is_final: bool,
    n_target: u64,
) -> Option<(f64, Option<f64>, Decision)> {
    let k_max = p.seq.looks;
    let need = b.efficacy_probability[if is_final { k_max - 1 } else { look }];
    let success = b.efficacy_probability[k_max - 1];
    let (prob, predictive) = match &a.data {
        EndpointData::Binary(_) => {
            let ev = a.data.events()?;
            let n = a.data.n_analyzed();
            if n[0] == 0 || n[1] == 0 {
                return None;
            }
            let prior = Beta {
                a: b.beta_prior.0,
                b: b.beta_prior.1,
            };
            let post_c = prior.updated(ev[0] as u64, n[0] as u64);
            let post_t = prior.updated(ev[1] as u64, n[1] as u64);
            // X: the arm whose larger proportion is the benefit
            let less = p.seq.alternative == Alternative::Less;
            let (x, y) = if less {
                (post_c, post_t)
            } else {
                (post_t, post_c)
            };
            let prob = prob_difference_exceeds(x, y, b.threshold);
            let predictive = (!is_final)
                .then_some(b.futility_predictive)
                .flatten()
                .map(|_| {
                    let planned = p.seq.n_planned_per_arm;
                    let scale = n_target as f64 / p.seq.n_planned as f64;
                    let left = |arm: usize| {
                        ((planned[arm] as f64 * scale).round() as u64).saturating_sub(n[arm] as u64)
                    };
                    let (mx, my) = if less {
                        (left(0), left(1))
                    } else {
                        (left(1), left(0))
                    };
                    beta_predictive_success(x, y, mx, my, b.threshold, success)
                });
            (prob, predictive)
        }
        _ => {
            let (est, se) = p.normal_estimate(a)?;
            let post = normal_posterior(b.prior, est, se);
            let prob = post.prob_exceeds(b.threshold);
            let predictive = (!is_final)
                .then_some(b.futility_predictive)
                .flatten()
                .and_then(|_| {
                    let ratio = match p.seq.kind {
                        PrimaryKind::TimeToEvent => {
                            p.seq.planned_events? as f64 / a.information.max(1) as f64
                        }
                        _ => {
                            let [c, t] = p.seq.n_planned_per_arm.map(|x| x as f64);
                            (c * t / (c + t)) / a.precision
                        }
                    };
                    let info_final = ratio.max(1.0) / (se * se);
                    Some(normal_predictive_success(
                        b.prior,
                        est,
                        se,
                        info_final,
                        b.threshold,
                        success,
                    ))
                });
            (prob, predictive)
        }
    };
    let decision = if prob >= need {
        Decision::Efficacy
    } else if is_final {
        Decision::NotRejected
    } else if b.futility_probability.is_some_and(|f| prob < f)
        || matches!((b.futility_predictive, predictive), (Some(f), Some(pp)) if pp < f)
    {
        Decision::Futility
    } else {
        Decision::Continue
    };
    Some((prob, predictive, decision))
}

/// Conduct the sequential trial on `data` (the planned patients, simulated
/// over their whole follow-up, with enrolment days). `extend` adds patients
/// when the sample size is re-estimated upwards.
pub fn conduct(
    s: &Scenario,
    seq: &SequentialDesign,
    data: &mut TrialData,
    extend: &mut Extend,
) -> Conducted {
    let p = Primary {
        s,
        seq,
        ep: &s.endpoints[seq.primary],
    };
    let k_max = seq.looks;
    let mut n_target = data.patients.len() as u64;
    let planned_information = |n_target: u64| match seq.kind {
        PrimaryKind::TimeToEvent => seq.planned_events.unwrap_or(1) as f64,
        _ => n_target as f64,
    };
    let mut info_days = p.information_days(data);
    let mut final_day = p.final_day(data, &info_days);
    let mut looks: Vec<LookRecord> = Vec::with_capacity(k_max);
    let mut fractions: Vec<f64> = Vec::new();
    let mut look_ids: Vec<usize> = Vec::new();
    let (mut last_day, mut last_information) = (f64::NEG_INFINITY, 0u64);
    let mut combination: Option<Combination> = None;
    let mut reestimated = false;
    let mut skipped = 0u32;
    let mut final_not_analysable = false;
    let skip = |looks: &mut Vec<LookRecord>, skipped: &mut u32, look: usize, day: f64| {
        *skipped += 1;
        looks.push(LookRecord {
            look,
            day,
            fraction: f64::NAN,
            information: 0,
            statistic: None,
            efficacy_bound: None,
            futility_bound: None,
            conditional_power: None,
            n_enrolled: 0,
            decision: Decision::Skipped,
        });
    };
    for k in 0..k_max {
        let planned_last = k + 1 == k_max;
        let info_planned = planned_information(n_target);
        let day = if planned_last {
            final_day
        } else {
            let nth = |m: f64| {
                let m = m.ceil().max(1.0) as usize;
                info_days.get(m - 1).copied().unwrap_or(f64::INFINITY)
            };
            match &seq.timing {
                Timing::Information { fractions: f } => match combination {
                    // after re-estimation: the planned share of the new remainder
                    Some(c) => nth(c.information as f64
                        + (f[k] - c.t) / (1.0 - c.t) * (info_planned - c.information as f64)),
                    None => nth(f[k] * info_planned),
                },
                Timing::Calendar { days } => days[k],
                Timing::Events { counts } => nth(counts[k] as f64),
            }
        };
        let mut is_final = planned_last || day >= final_day;
        let day = day.min(final_day);
        if !is_final && day <= last_day {
            skip(&mut looks, &mut skipped, k, day);
            continue;
        }
        let a = p.analyse(data, day);
        if !is_final && a.information as f64 >= info_planned {
            is_final = true;
        }
        let look = if is_final { k_max - 1 } else { k };
        if !is_final && a.information <= last_information {
            skip(&mut looks, &mut skipped, k, day);
            continue;
        }
        let fraction = if is_final {
            1.0
        } else {
            match (&seq.timing, combination) {
                (Timing::Information { fractions: f }, Some(_)) => f[k],
                _ => a.information as f64 / info_planned,
            }
        };
        let mut record = LookRecord {
            look,
            day,
            fraction,
            information: a.information,
            statistic: None,
            efficacy_bound: None,
            futility_bound: None,
            conditional_power: None,
            n_enrolled: a.n_enrolled,
            decision: Decision::Continue,
        };
        match &seq.rule {
            Rule::GroupSequential { design, planned } => {
                let z = p.z(&a).and_then(|z| match combination {
                    Some(c) => c.statistic(z, a.precision, fraction),
                    None => Some(z),
                });
                let Some(z) = z else {
                    if is_final {
                        final_not_analysable = true;
                        record.decision = Decision::NotRejected;
                        looks.push(record);
                        break;
                    }
                    skip(&mut looks, &mut skipped, k, day);
                    continue;
                };
                fractions.push(fraction);
                look_ids.push(look);
                let (c, f) = *super::cache::bounds_at(design, planned, &fractions, &look_ids)
                    .last()
                    .expect("one bound per look");
                record.statistic = Some(z);
                record.efficacy_bound = Some(c);
                record.futility_bound = f;
                record.decision = if z >= c {
                    Decision::Efficacy
                } else if is_final {
                    Decision::NotRejected
                } else if f.is_some_and(|f| z < f) {
                    Decision::Futility
                } else {
                    Decision::Continue
                };
                if let (Decision::Continue, Some(r)) = (record.decision, &seq.reestimation)
                    && r.at_look == k
                {
                    let c_final = planned.efficacy[k_max - 1];
                    let t = fraction;
                    // current trend: theta = z / sqrt(t)
                    let cp = conditional_power(z, t, c_final, z / t.sqrt());
                    record.conditional_power = Some(cp);
                    if cp >= r.min_conditional_power && cp < r.target_conditional_power && z > 0.0 {
                        // CP(m) = sf(A - z sqrt(m (1 - t) / t)) = target
                        let a_term = (c_final - t.sqrt() * z) / (1.0 - t).sqrt();
                        let q = norm_isf(r.target_conditional_power);
                        let m = ((a_term - q) / (z * ((1.0 - t) / t).sqrt())).powi(2);
                        let remaining = n_target as f64 - a.information as f64;
                        let wanted = (a.information as f64 + m * remaining).ceil() as u64;
                        let new_target = wanted.clamp(n_target, r.n_max);
                        if new_target > n_target {
                            let n_old = data.patients.len();
                            let last_entry = data.patients.last().map_or(0.0, |q| q.enrolment_day);
                            extend(data, new_target as usize);
                            if last_entry < day {
                                // recruitment had ended: it resumes at the decision
                                for q in &mut data.patients[n_old..] {
                                    q.enrolment_day = day + (q.enrolment_day - last_entry);
                                }
                            }
                            n_target = new_target;
                            reestimated = true;
                            info_days = p.information_days(data);
                            final_day = p.final_day(data, &info_days);
                        }
                    }
                    combination = Some(Combination {
                        t,
                        z,
                        precision: a.precision,
                        information: a.information,
                    });
                }
            }
            Rule::Bayesian(b) => {
                let Some((prob, predictive, decision)) =
                    bayes_decision(&p, b, &a, k, is_final, n_target)
                else {
                    if is_final {
                        final_not_analysable = true;
                        record.decision = Decision::NotRejected;
                        looks.push(record);
                        break;
                    }
                    skip(&mut looks, &mut skipped, k, day);
                    continue;
                };
                record.statistic = Some(prob);
                record.efficacy_bound = Some(b.efficacy_probability[look]);
                record.futility_bound = if is_final {
                    None
                } else {
                    b.futility_probability
                };
                record.conditional_power = predictive;
                record.decision = decision;
            }
        }
        last_day = day;
        last_information = a.information;
        let decision = record.decision;
        looks.push(record);
        if decision != Decision::Continue || is_final {
            break;
        }
    }
    let stop = looks
        .iter()
        .rev()
        .find(|l| l.decision != Decision::Skipped)
        .cloned();
    let (stopped_look, reason, stop_day, n_enrolled) = match &stop {
        Some(l) => (
            l.look,
            match l.decision {
                Decision::Efficacy => StopReason::Efficacy,
                Decision::Futility => StopReason::Futility,
                _ => StopReason::Final,
            },
            l.day,
            l.n_enrolled,
        ),
        None => (k_max - 1, StopReason::Final, final_day, n_target),
    };
    let n_analysed = p.analyse(data, stop_day).n_analysed;
    Conducted {
        stop_day,
        record: SequentialRecord {
            stopped_look,
            reason,
            rejected: reason == StopReason::Efficacy,
            n_enrolled,
            n_analysed,
            duration_days: stop_day,
            n_target,
            reestimated,
            looks_skipped: skipped,
            final_not_analysable,
            looks,
        },
    }
}
