//! What one replicate of a sequential trial concluded
//! ([`SequentialRecord`]) and the operating characteristics reduced from
//! those records ([`SequentialAcc`] -> [`SequentialSummary`]).
//!
//! The record is all the summary needs (the look stopped at, the reason,
//! patients, duration), so a run whose replicates each draw their own
//! parameter world (assurance) reduces the same records the same way. Sums
//! are exact (integers and [`ExactSum`]), so the summary does not depend on
//! the order of replicates, threads or shards.

use super::design::{Rule, SequentialDesign};
use crate::summary::{ExactSum, PowerEstimate};
use serde::{Deserialize, Serialize};

/// What was decided at one look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Neither bound crossed: the trial goes on.
    Continue,
    /// Efficacy bound crossed (H0 rejected); at the final look: success.
    Efficacy,
    /// Futility bound crossed at an interim look.
    Futility,
    /// The final look without rejecting.
    NotRejected,
    /// Not held: no new information since the last look, the primary
    /// endpoint not analysable, or the look would fall after all data are in.
    Skipped,
}

/// One look of one replicate (exported with `--export-replicates`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LookRecord {
    /// Planned look (0-based; the final look is `looks - 1`).
    pub look: usize,
    /// Calendar day of the analysis (days since enrolment started).
    pub day: f64,
    /// Information fraction used for the bounds (1 at the final look).
    pub fraction: f64,
    /// Patients with the primary endpoint analysed, or primary events.
    pub information: u64,
    /// Z statistic (group-sequential) or posterior probability (Bayesian).
    pub statistic: Option<f64>,
    /// Efficacy bound (Z) or posterior probability needed.
    pub efficacy_bound: Option<f64>,
    pub futility_bound: Option<f64>,
    /// Conditional power (at the re-estimation look) or predictive
    /// probability of success (Bayesian).
    pub conditional_power: Option<f64>,
    pub n_enrolled: u64,
    pub decision: Decision,
}

/// Why the trial ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    Efficacy,
    Futility,
    /// Reached the final look without rejecting.
    Final,
}

/// The outcome of one replicate of a sequential trial.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SequentialRecord {
    /// Planned look at which the trial stopped (0-based).
    pub stopped_look: usize,
    pub reason: StopReason,
    /// H0 rejected (efficacy at some look).
    pub rejected: bool,
    /// Patients enrolled by the stopping analysis.
    pub n_enrolled: u64,
    /// Patients with the primary endpoint analysed at the stop.
    pub n_analysed: u64,
    /// Calendar day of the stopping analysis.
    pub duration_days: f64,
    /// Patients the trial planned to enrol when it stopped (after any
    /// re-estimation).
    pub n_target: u64,
    /// The sample size was increased at the re-estimation look.
    pub reestimated: bool,
    pub looks_skipped: u32,
    /// The final analysis could not be done (not analysable).
    pub final_not_analysable: bool,
    pub looks: Vec<LookRecord>,
}

/// Accumulated sequential outcomes of one design point.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SequentialAcc {
    /// Replicates in the denominators (failed ones included, as not rejecting).
    pub replicates: u64,
    /// Replicates that could not be simulated at all.
    pub failed: u64,
    pub efficacy: Vec<u64>,
    pub futility: Vec<u64>,
    pub final_not_rejected: u64,
    pub final_not_analysable: u64,
    pub looks_held: Vec<u64>,
    pub looks_skipped: u64,
    pub look_day_sum: Vec<ExactSum>,
    pub look_fraction_sum: Vec<ExactSum>,
    pub n_enrolled_sum: u64,
    pub n_enrolled_sq: ExactSum,
    pub n_enrolled_max: u64,
    pub n_analysed_sum: u64,
    pub n_analysed_sq: ExactSum,
    pub duration_sum: ExactSum,
    pub duration_sq: ExactSum,
    pub reestimated: u64,
    pub n_target_sum: u64,
}

impl SequentialAcc {
    pub fn new(looks: usize) -> SequentialAcc {
        SequentialAcc {
            efficacy: vec![0; looks],
            futility: vec![0; looks],
            looks_held: vec![0; looks],
            look_day_sum: vec![ExactSum::default(); looks],
            look_fraction_sum: vec![ExactSum::default(); looks],
            ..Default::default()
        }
    }

    /// A replicate that could not be simulated.
    pub fn add_failed(&mut self) {
        self.replicates += 1;
        self.failed += 1;
    }

    pub fn add(&mut self, r: &SequentialRecord) {
        self.replicates += 1;
        let k = r.stopped_look.min(self.efficacy.len() - 1);
        match r.reason {
            StopReason::Efficacy => self.efficacy[k] += 1,
            StopReason::Futility => self.futility[k] += 1,
            StopReason::Final => self.final_not_rejected += 1,
        }
        if r.final_not_analysable {
            self.final_not_analysable += 1;
        }
        for l in &r.looks {
            if l.decision == Decision::Skipped {
                continue;
            }
            let j = l.look.min(self.looks_held.len() - 1);
            self.looks_held[j] += 1;
            self.look_day_sum[j].add(l.day);
            self.look_fraction_sum[j].add(l.fraction);
        }
        self.looks_skipped += u64::from(r.looks_skipped);
        self.n_enrolled_sum += r.n_enrolled;
        self.n_enrolled_sq.add((r.n_enrolled * r.n_enrolled) as f64);
        self.n_enrolled_max = self.n_enrolled_max.max(r.n_enrolled);
        self.n_analysed_sum += r.n_analysed;
        self.n_analysed_sq.add((r.n_analysed * r.n_analysed) as f64);
        self.duration_sum.add(r.duration_days);
        self.duration_sq.add(r.duration_days * r.duration_days);
        self.reestimated += u64::from(r.reestimated);
        self.n_target_sum += r.n_target;
    }

    pub fn merge(&mut self, o: &SequentialAcc) {
        self.replicates += o.replicates;
        self.failed += o.failed;
        let add = |a: &mut Vec<u64>, b: &Vec<u64>| {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        };
        add(&mut self.efficacy, &o.efficacy);
        add(&mut self.futility, &o.futility);
        add(&mut self.looks_held, &o.looks_held);
        for (x, y) in self.look_day_sum.iter_mut().zip(&o.look_day_sum) {
            x.merge(*y);
        }
        for (x, y) in self.look_fraction_sum.iter_mut().zip(&o.look_fraction_sum) {
            x.merge(*y);
        }
        self.final_not_rejected += o.final_not_rejected;
        self.final_not_analysable += o.final_not_analysable;
        self.looks_skipped += o.looks_skipped;
        self.n_enrolled_sum += o.n_enrolled_sum;
        self.n_enrolled_sq.merge(o.n_enrolled_sq);
        self.n_enrolled_max = self.n_enrolled_max.max(o.n_enrolled_max);
        self.n_analysed_sum += o.n_analysed_sum;
        self.n_analysed_sq.merge(o.n_analysed_sq);
        self.duration_sum.merge(o.duration_sum);
        self.duration_sq.merge(o.duration_sq);
        self.reestimated += o.reestimated;
        self.n_target_sum += o.n_target_sum;
    }
}

/// A mean over replicates with its Monte Carlo standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MeanEstimate {
    pub mean: f64,
    pub sd: f64,
    pub mcse: f64,
    /// Replicates averaged over.
    pub n: u64,
}

impl MeanEstimate {
    fn of(sum: f64, sq: f64, n: u64) -> MeanEstimate {
        if n == 0 {
            return MeanEstimate {
                mean: f64::NAN,
                sd: f64::NAN,
                mcse: f64::NAN,
                n,
            };
        }
        let m = sum / n as f64;
        let var = if n > 1 {
            ((sq - n as f64 * m * m) / (n - 1) as f64).max(0.0)
        } else {
            0.0
        };
        MeanEstimate {
            mean: m,
            sd: var.sqrt(),
            mcse: (var / n as f64).sqrt(),
            n,
        }
    }
}

/// One look in `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct LookSummary {
    /// 1-based.
    pub look: usize,
    pub planned_fraction: f64,
    /// Planned bounds (Z scale; Bayesian: posterior probability needed).
    pub efficacy_bound: Option<f64>,
    pub futility_bound: Option<f64>,
    /// Planned cumulative alpha spent (group-sequential).
    pub alpha_spent: Option<f64>,
    /// Share of replicates in which this look was held.
    pub held: PowerEstimate,
    /// Mean calendar day and information fraction when held.
    pub day_mean: Option<f64>,
    pub fraction_mean: Option<f64>,
    pub stop_efficacy: PowerEstimate,
    pub stop_futility: PowerEstimate,
    /// P(rejected by this look).
    pub cumulative_rejection: PowerEstimate,
    /// P(stopped by this look, for any reason).
    pub cumulative_stop: PowerEstimate,
}

/// Operating characteristics of a sequential design in `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct SequentialSummary {
    pub primary: String,
    pub design: String,
    pub looks: usize,
    pub alpha: f64,
    /// Replicates in every denominator.
    pub replicates: u64,
    pub replicates_failed: u64,
    pub per_look: Vec<LookSummary>,
    /// P(reject H0 at any look).
    pub power: PowerEstimate,
    /// P(stop before the final look).
    pub early_stop: PowerEstimate,
    pub n_planned: u64,
    /// Largest possible enrolment (with re-estimation) and the largest seen.
    pub n_max: u64,
    pub n_enrolled_max_seen: u64,
    pub expected_n_enrolled: MeanEstimate,
    pub expected_n_analysed: MeanEstimate,
    pub expected_duration_days: MeanEstimate,
    pub expected_duration_months: f64,
    pub looks_skipped: u64,
    pub final_not_analysable: u64,
    /// Sample-size re-estimation: share increased and mean target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reestimation_increased: Option<PowerEstimate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_n_target: Option<f64>,
    /// The planned design's drift and inflation factor (group-sequential).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inflation_factor: Option<f64>,
}

pub fn summarize(d: &SequentialDesign, a: &SequentialAcc) -> SequentialSummary {
    let r = a.replicates;
    let ran = r - a.failed;
    let mut per_look = Vec::with_capacity(d.looks);
    let (mut rej, mut stop) = (0u64, 0u64);
    for k in 0..d.looks {
        rej += a.efficacy[k];
        stop += a.efficacy[k] + a.futility[k];
        if k + 1 == d.looks {
            stop = r - a.failed;
        }
        let held = a.looks_held[k];
        let (eff, fut, spent) = match &d.rule {
            Rule::GroupSequential { planned, .. } => (
                Some(planned.efficacy[k]),
                planned.futility[k],
                Some(planned.alpha_spent[k]),
            ),
            Rule::Bayesian(b) => (
                Some(b.efficacy_probability[k]),
                (k + 1 < d.looks)
                    .then_some(b.futility_probability)
                    .flatten(),
                None,
            ),
        };
        per_look.push(LookSummary {
            look: k + 1,
            planned_fraction: d.planned_fractions[k],
            efficacy_bound: eff.filter(|x| x.is_finite()),
            futility_bound: fut,
            alpha_spent: spent,
            held: PowerEstimate::from_counts(held, r),
            day_mean: (held > 0).then(|| a.look_day_sum[k].value() / held as f64),
            fraction_mean: (held > 0).then(|| a.look_fraction_sum[k].value() / held as f64),
            stop_efficacy: PowerEstimate::from_counts(a.efficacy[k], r),
            stop_futility: PowerEstimate::from_counts(a.futility[k], r),
            cumulative_rejection: PowerEstimate::from_counts(rej, r),
            cumulative_stop: PowerEstimate::from_counts(stop, r),
        });
    }
    let early: u64 = a.efficacy[..d.looks - 1].iter().sum::<u64>()
        + a.futility[..d.looks - 1].iter().sum::<u64>();
    let duration = MeanEstimate::of(a.duration_sum.value(), a.duration_sq.value(), ran);
    SequentialSummary {
        primary: d.primary_name.clone(),
        design: d.describe(),
        looks: d.looks,
        alpha: d.alpha,
        replicates: r,
        replicates_failed: a.failed,
        per_look,
        power: PowerEstimate::from_counts(a.efficacy.iter().sum(), r),
        early_stop: PowerEstimate::from_counts(early, r),
        n_planned: d.n_planned,
        n_max: d.n_max(),
        n_enrolled_max_seen: a.n_enrolled_max,
        expected_n_enrolled: MeanEstimate::of(
            a.n_enrolled_sum as f64,
            a.n_enrolled_sq.value(),
            ran,
        ),
        expected_n_analysed: MeanEstimate::of(
            a.n_analysed_sum as f64,
            a.n_analysed_sq.value(),
            ran,
        ),
        expected_duration_months: duration.mean / crate::trial::accrual::DAYS_PER_MONTH,
        expected_duration_days: duration,
        looks_skipped: a.looks_skipped,
        final_not_analysable: a.final_not_analysable,
        reestimation_increased: d
            .reestimation
            .as_ref()
            .map(|_| PowerEstimate::from_counts(a.reestimated, r)),
        mean_n_target: d
            .reestimation
            .as_ref()
            .map(|_| a.n_target_sum as f64 / ran.max(1) as f64),
        inflation_factor: match &d.rule {
            Rule::GroupSequential { planned, .. } => Some(planned.inflation_factor),
            Rule::Bayesian(_) => None,
        },
    }
}
