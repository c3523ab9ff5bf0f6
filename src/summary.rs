//! Power and operating characteristics, reduced from replicate records.
//!
//! Accumulators use exact sums: counts are integers and real values are
//! summed in 128-bit fixed point (resolution 2^-40), so the result does not
//! depend on the order in which replicates are added. That makes
//! `summary.json` byte-identical across thread counts, shards merged later
//! and interrupted runs resumed from a checkpoint. Every power carries its
//! Monte Carlo standard error, a 95% Wilson interval and its denominator.

use crate::analysis::direction::{EffectScale, EndpointRole, Favourable};
use crate::analysis::interval;
use crate::analysis::power::{TKind, t_two_sample};
use crate::evaluation::{Rejection, ReplicateRecord, reason_key};
use crate::scenario::Scenario;
use crate::scenario::spec::{Measure, TestKind};
use crate::solver::SolverStats;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Failed patients kept by name (the rest are counted).
const MAX_FAILURE_EXAMPLES: usize = 20;

/// Fixed-point scale of [`ExactSum`].
const SCALE: f64 = (1u64 << 40) as f64;
/// Values beyond this magnitude are not summed (counted as out of range).
const LIMIT: f64 = 1e12;

/// An order-independent sum of reals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExactSum(pub i128);

impl ExactSum {
    /// Add `x`; returns false (and adds nothing) if `x` is not finite or too large.
    pub fn add(&mut self, x: f64) -> bool {
        if !x.is_finite() || x.abs() > LIMIT {
            return false;
        }
        self.0 += (x * SCALE).round() as i128;
        true
    }
    pub fn merge(&mut self, o: ExactSum) {
        self.0 += o.0;
    }
    pub fn value(&self) -> f64 {
        self.0 as f64 / SCALE
    }
}

impl Serialize for ExactSum {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for ExactSum {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<i128>()
            .map(ExactSum)
            .map_err(serde::de::Error::custom)
    }
}

/// Mean and SD from exact sums.
fn mean_sd(sum: &ExactSum, sq: &ExactSum, n: u64) -> (Option<f64>, Option<f64>) {
    if n == 0 {
        return (None, None);
    }
    let m = sum.value() / n as f64;
    let sd = if n > 1 {
        Some(
            ((sq.value() - n as f64 * m * m) / (n - 1) as f64)
                .max(0.0)
                .sqrt(),
        )
    } else {
        None
    };
    (Some(m), sd)
}

/// Accumulated results of one endpoint.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EndpointAcc {
    pub replicates: u64,
    pub rejections: u64,
    /// Rejections in the direction favouring treatment / control.
    #[serde(default)]
    pub rejections_favourable: u64,
    #[serde(default)]
    pub rejections_harmful: u64,
    pub analysable: u64,
    pub not_analysable: BTreeMap<String, u64>,
    pub estimate_sum: ExactSum,
    pub estimate_sq: ExactSum,
    pub estimate_n: u64,
    pub estimate_out_of_range: u64,
    pub n_sum: [u64; 2],
    pub events_sum: [u64; 2],
    /// Sums of per-replicate arm means and SDs (continuous endpoints).
    pub arm_mean_sum: [ExactSum; 2],
    pub arm_sd_sum: [ExactSum; 2],
    pub arm_stat_n: [u64; 2],
    /// Estimates (on the endpoint's summary scale: the log for ratios)
    /// counted in fine bins (see [`effect_bin`]): the distribution
    /// of the estimated effect, order-independent and of bounded size.
    #[serde(default)]
    pub estimate_bins: BTreeMap<i32, u64>,
}

/// Accumulated results of one endpoint in the replicates' worlds
/// (`[uncertainty]`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AssuranceAcc {
    pub replicates: u64,
    pub rejections: u64,
    pub rejections_favourable: u64,
    pub rejections_harmful: u64,
    pub estimate_sum: ExactSum,
    pub estimate_sq: ExactSum,
    pub estimate_n: u64,
    pub patients_failed: u64,
    /// True effects (summary scale) of the worlds where one is defined.
    #[serde(default)]
    pub true_effect_sum: ExactSum,
    #[serde(default)]
    pub true_effect_sq: ExactSum,
    #[serde(default)]
    pub true_effect_n: u64,
    /// Per fine bin of the true effect ([`effect_bin`]): `[worlds,
    /// rejections]` (the distribution of the true effect and power
    /// conditional on it, order-independent).
    #[serde(default)]
    pub true_effect_bins: BTreeMap<i32, [u64; 2]>,
    /// Per uncertain parameter, its [`crate::uncertainty::STRATA`] strata
    /// of equal prior probability: what the worlds whose draw fell there
    /// gave (the given-data sensitivity of [`drivers`]).
    #[serde(default)]
    pub strata: Vec<Vec<StratumAcc>>,
}

/// The worlds whose draw of one uncertain parameter fell in one stratum.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct StratumAcc {
    /// Worlds with an outcome, and how many of them rejected.
    pub worlds: u64,
    pub rejections: u64,
    /// True effects (summary scale) of those worlds where one is defined.
    pub true_n: u64,
    pub true_sum: ExactSum,
    pub true_sq: ExactSum,
}

impl AssuranceAcc {
    fn add(&mut self, o: Option<&crate::evaluation::WorldOutcome>, failed: u64, strata: &[u8]) {
        self.replicates += 1;
        self.patients_failed += failed;
        let Some(o) = o else { return };
        let truth = o.true_effect.filter(|e| e.abs() <= LIMIT.sqrt());
        if self.strata.len() < strata.len() {
            self.strata.resize(
                strata.len(),
                vec![StratumAcc::default(); crate::uncertainty::STRATA],
            );
        }
        for (acc, &b) in self.strata.iter_mut().zip(strata) {
            let st = &mut acc[usize::from(b).min(crate::uncertainty::STRATA - 1)];
            st.worlds += 1;
            st.rejections += u64::from(o.reject);
            if let Some(t) = truth {
                st.true_n += 1;
                st.true_sum.add(t);
                st.true_sq.add(t * t);
            }
        }
        if o.reject {
            self.rejections += 1;
        }
        match o.rejection {
            Some(Rejection::Favourable) => self.rejections_favourable += 1,
            Some(Rejection::Harmful) => self.rejections_harmful += 1,
            _ => {}
        }
        if let Some(e) = o.summary_effect.filter(|e| e.abs() <= LIMIT.sqrt()) {
            self.estimate_sum.add(e);
            self.estimate_sq.add(e * e);
            self.estimate_n += 1;
        }
        if let Some(t) = o.true_effect.filter(|e| e.abs() <= LIMIT.sqrt()) {
            self.true_effect_sum.add(t);
            self.true_effect_sq.add(t * t);
            self.true_effect_n += 1;
            let b = self.true_effect_bins.entry(effect_bin(t)).or_default();
            b[0] += 1;
            b[1] += u64::from(o.reject);
        }
    }

    fn merge(&mut self, o: &AssuranceAcc) {
        self.replicates += o.replicates;
        self.rejections += o.rejections;
        self.rejections_favourable += o.rejections_favourable;
        self.rejections_harmful += o.rejections_harmful;
        self.estimate_sum.merge(o.estimate_sum);
        self.estimate_sq.merge(o.estimate_sq);
        self.estimate_n += o.estimate_n;
        self.patients_failed += o.patients_failed;
        self.true_effect_sum.merge(o.true_effect_sum);
        self.true_effect_sq.merge(o.true_effect_sq);
        self.true_effect_n += o.true_effect_n;
        for (k, v) in &o.true_effect_bins {
            let b = self.true_effect_bins.entry(*k).or_default();
            b[0] += v[0];
            b[1] += v[1];
        }
        if self.strata.len() < o.strata.len() {
            self.strata.resize(
                o.strata.len(),
                vec![StratumAcc::default(); crate::uncertainty::STRATA],
            );
        }
        for (a, b) in self.strata.iter_mut().zip(&o.strata) {
            for (x, y) in a.iter_mut().zip(b) {
                x.worlds += y.worlds;
                x.rejections += y.rejections;
                x.true_n += y.true_n;
                x.true_sum.merge(y.true_sum);
                x.true_sq.merge(y.true_sq);
            }
        }
    }
}

/// Given-data first-order sensitivity index of an output over strata of
/// one input (Plischke 2012; Strong, Oakley and Brennan 2014): the share of
/// the output's variance explained by the stratum means, corrected for the
/// spread that finite strata show by chance (Kelley's epsilon squared,
/// `(SS_B - (B - 1) MS_W) / SS_T`), with an approximate standard error
/// (delta method: on the stratum shares for a yes/no output, on the ratio
/// of the between-strata to the total variance with normal-theory within
/// variances otherwise; plus the chance term's chi-square spread). Strata are `(n, sum, sum of squares)`; `None` with fewer than
/// two worlds per stratum on average or an output that does not vary.
pub fn first_order_index(strata: &[(f64, f64, f64)], binary: bool) -> Option<(f64, f64)> {
    let n: f64 = strata.iter().map(|s| s.0).sum();
    let used: Vec<&(f64, f64, f64)> = strata.iter().filter(|s| s.0 > 0.0).collect();
    let b = used.len() as f64;
    if b < 2.0 || n < 2.0 * strata.len() as f64 || n <= b {
        return None;
    }
    let mean = used.iter().map(|s| s.1).sum::<f64>() / n;
    let ss_t = used.iter().map(|s| s.2).sum::<f64>() - n * mean * mean;
    if ss_t.is_nan() || ss_t <= 1e-12 * n * (1.0 + mean * mean) {
        return None;
    }
    let ss_b: f64 = used.iter().map(|s| s.0 * (s.1 / s.0 - mean).powi(2)).sum();
    let ms_w = (ss_t - ss_b).max(0.0) / (n - b);
    let index = (ss_b - (b - 1.0) * ms_w) / ss_t;
    let (total, between) = (ss_t / n, ss_b / n);
    let chance = 2.0 * (b - 1.0) * (ms_w / n).powi(2) / (total * total);
    let mut var = chance;
    if binary {
        // a function of the stratum shares p_b alone: total = p (1 - p),
        // d index / d p_b = w_b (2 (p_b - p) total - between (1 - 2p)) / total^2
        for s in &used {
            let (w, pb) = (s.0 / n, s.1 / s.0);
            let d =
                w * (2.0 * (pb - mean) * total - between * (1.0 - 2.0 * mean)) / (total * total);
            var += d * d * pb * (1.0 - pb) / s.0;
        }
    } else {
        // about between / (between + within), the variance between the
        // stratum means and the mean variance within them, nearly
        // independent (normal theory for the within variances)
        let within = total - between;
        for s in &used {
            let m = s.1 / s.0;
            let v = ((s.2 - s.0 * m * m) / s.0).max(0.0);
            let w = s.0 / n;
            let var_between = 4.0 * w * w * (m - mean).powi(2) * v / s.0;
            let var_within = w * w * 2.0 * v * v / s.0;
            var += (within / (total * total)).powi(2) * var_between
                + (between / (total * total)).powi(2) * var_within;
        }
    }
    Some((index, var.sqrt()))
}

/// What an uncertain parameter explains of an endpoint's answer across the
/// assurance worlds (`summary.json` `drivers`, largest first).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Driver {
    pub parameter: String,
    /// First-order index of the true effect ([`first_order_index`]) and
    /// its standard error; absent for endpoints without a true effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub true_effect_first_order: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub true_effect_first_order_se: Option<f64>,
    /// First-order index of the rejection indicator and its standard error.
    pub rejection_first_order: Option<f64>,
    pub rejection_first_order_se: Option<f64>,
}

impl Driver {
    /// The true effect's share and its SE when it is clearly above chance
    /// (more than two standard errors and above 0.01), the rule by which the
    /// console and the report name a driver.
    pub fn clear_share(&self) -> Option<(f64, f64)> {
        let (i, se) = (
            self.true_effect_first_order?,
            self.true_effect_first_order_se?,
        );
        (i > 2.0 * se && i > 0.01).then_some((i, se))
    }
}

/// The drivers of one endpoint: per uncertain parameter (names in
/// declaration order), the first-order indices of the true effect and of
/// the decision over its strata, sorted by the true effect's index (the
/// decision's where there is none), largest first.
pub fn drivers(a: &AssuranceAcc, names: &[&str]) -> Vec<Driver> {
    let mut v: Vec<Driver> = a
        .strata
        .iter()
        .zip(names)
        .map(|(st, name)| {
            let truth = first_order_index(
                &st.iter()
                    .map(|s| (s.true_n as f64, s.true_sum.value(), s.true_sq.value()))
                    .collect::<Vec<_>>(),
                false,
            );
            let rejection = first_order_index(
                &st.iter()
                    .map(|s| (s.worlds as f64, s.rejections as f64, s.rejections as f64))
                    .collect::<Vec<_>>(),
                true,
            );
            Driver {
                parameter: name.to_string(),
                true_effect_first_order: truth.map(|t| t.0),
                true_effect_first_order_se: truth.map(|t| t.1),
                rejection_first_order: rejection.map(|t| t.0),
                rejection_first_order_se: rejection.map(|t| t.1),
            }
        })
        .collect();
    let key = |d: &Driver| {
        d.true_effect_first_order
            .or(d.rejection_first_order)
            .unwrap_or(f64::NEG_INFINITY)
    };
    v.sort_by(|x, y| key(y).total_cmp(&key(x)));
    v
}

/// The true effect across worlds (`[uncertainty]`, endpoints of a measured
/// quantity): the endpoint's estimator on each world's trial without
/// measurement error. Shown on the estimate's scale (ratios exponentiated;
/// `sd` stays on the summary scale, as `effect_sd`). Quantiles are read
/// from the fine bins ([`effect_bin`], 2.5% of the value wide).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrueEffectSummary {
    /// Worlds with a true effect.
    pub worlds: u64,
    pub mean: f64,
    pub sd: Option<f64>,
    pub q05: f64,
    pub q25: f64,
    pub q50: f64,
    pub q75: f64,
    pub q95: f64,
}

/// Power conditional on the true effect: the worlds whose true effect lies
/// in `[low, high)` (`low` absent: everything below `high`; `high` absent:
/// everything from `low`), and the share of them whose trial rejected.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrueEffectBin {
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub worlds: u64,
    pub rejections: u64,
    pub rejection_rate: f64,
    pub rejection_mcse: f64,
}

/// A quantile of counts kept in fine bins (linear within a bin).
fn fine_bin_quantile(bins: &BTreeMap<i32, u64>, q: f64) -> Option<f64> {
    let n: u64 = bins.values().sum();
    if n == 0 {
        return None;
    }
    let goal = q * n as f64;
    let mut cum = 0u64;
    for (&i, &c) in bins {
        if (cum + c) as f64 >= goal && c > 0 {
            let (lo, hi) = effect_bin_edges(i);
            let f = ((goal - cum as f64) / c as f64).clamp(0.0, 1.0);
            return Some(lo + f * (hi - lo));
        }
        cum += c;
    }
    bins.keys().next_back().map(|&i| effect_bin_edges(i).1)
}

/// The true-effect summary and the power by bins of the true effect: about
/// five equal bins with round edges between the 5% and 95% quantiles, and
/// open bins for the tails beyond (each fine bin goes where its middle
/// falls). `None` without any true effect.
pub fn true_effect_summary(
    a: &AssuranceAcc,
    scale: EffectScale,
) -> Option<(TrueEffectSummary, Vec<TrueEffectBin>)> {
    let counts: BTreeMap<i32, u64> = a.true_effect_bins.iter().map(|(&k, v)| (k, v[0])).collect();
    let (mean, sd) = mean_sd(&a.true_effect_sum, &a.true_effect_sq, a.true_effect_n);
    let mean = mean?;
    let q = |p: f64| fine_bin_quantile(&counts, p).expect("worlds with a true effect");
    let (q05, q95) = (q(0.05), q(0.95));
    let step = nice_step(((q95 - q05) / 5.0).max(1e-9 * (1.0 + q05.abs().max(q95.abs()))));
    let first = round_to_step((q05 / step).floor() * step, step);
    let last = round_to_step((q95 / step).ceil() * step, step);
    let k = ((last - first) / step).round().max(1.0) as usize;
    let edges: Vec<f64> = (0..=k)
        .map(|j| round_to_step(first + j as f64 * step, step))
        .collect();
    // bin 0: below edges[0]; bin j (1..=k): [edges[j-1], edges[j]); bin k+1: from edges[k]
    let mut tally = vec![[0u64; 2]; k + 2];
    for (&i, v) in &a.true_effect_bins {
        let (lo, hi) = effect_bin_edges(i);
        let mid = 0.5 * (lo + hi);
        let j = if mid < edges[0] {
            0
        } else if mid >= edges[k] {
            k + 1
        } else {
            (((mid - edges[0]) / step).floor() as usize).min(k - 1) + 1
        };
        tally[j][0] += v[0];
        tally[j][1] += v[1];
    }
    let bins = tally
        .iter()
        .enumerate()
        .filter(|(j, t)| t[0] > 0 || (1..=k).contains(j))
        .map(|(j, t)| {
            let p = PowerEstimate::from_counts(t[1], t[0]);
            TrueEffectBin {
                low: (j > 0).then(|| scale.display(edges[j - 1])),
                high: (j <= k).then(|| scale.display(edges[j])),
                worlds: t[0],
                rejections: t[1],
                rejection_rate: p.power,
                rejection_mcse: p.power_mcse,
            }
        })
        .collect();
    Some((
        TrueEffectSummary {
            worlds: a.true_effect_n,
            mean: scale.display(mean),
            sd,
            q05: scale.display(q05),
            q25: scale.display(q(0.25)),
            q50: scale.display(q(0.5)),
            q75: scale.display(q(0.75)),
            q95: scale.display(q95),
        },
        bins,
    ))
}

/// Assurance of one endpoint in `summary.json` (with `[uncertainty]`).
#[derive(Debug, Clone, Serialize)]
pub struct AssuranceSummary {
    /// Share of replicates, each in its own world, that reject (in either
    /// direction for a two-sided test).
    pub assurance: f64,
    pub assurance_mcse: f64,
    pub assurance_ci_low: f64,
    pub assurance_ci_high: f64,
    /// Rejections favouring treatment / control, in the worlds.
    pub assurance_favourable: f64,
    pub assurance_harmful: f64,
    /// Worlds (replicates) in the denominator.
    pub worlds: u64,
    /// Mean and SD over worlds of the estimated effect (summary scale
    /// shown as `effect_mean`: geometric mean for ratios).
    pub world_effect_mean: Option<f64>,
    pub world_effect_sd: Option<f64>,
    /// Patients of the world runs that could not be simulated.
    pub world_patients_failed: u64,
    /// The true (noise-free) effect across worlds, for endpoints of a
    /// measured quantity ([`TrueEffectSummary`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub true_effect: Option<TrueEffectSummary>,
    /// Power conditional on bins of the true effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power_by_true_effect: Option<Vec<TrueEffectBin>>,
    /// What each uncertain parameter explains of the true effect and of the
    /// decision across the worlds ([`drivers`]), largest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drivers: Vec<Driver>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FamilyAcc {
    pub any: u64,
    pub all: u64,
    pub per_endpoint: Vec<u64>,
}

/// Accumulated results of one design point.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DesignAcc {
    pub replicates: u64,
    pub endpoints: Vec<EndpointAcc>,
    pub families: Vec<FamilyAcc>,
    pub replicates_failed: BTreeMap<String, u64>,
    pub patients_simulated: u64,
    pub patients_failed: BTreeMap<String, u64>,
    /// The first failed patients in (replicate, patient) order, to replay.
    pub failure_examples: Vec<crate::trial::PatientFailure>,
    pub screened: u64,
    pub rhs_evaluations: u64,
    pub accepted_steps: u64,
    pub rejected_steps: u64,
    /// Operating characteristics of a sequential design.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequential: Option<crate::sequential::SequentialAcc>,
    /// Per endpoint, the replicates in their worlds (`[uncertainty]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assurance: Option<Vec<AssuranceAcc>>,
    /// The plausibility audit per arm (`[control, treatment]`).
    #[serde(default)]
    pub plausibility: crate::plausibility::ArmAudits,
    /// Replicates run in their world only (`[uncertainty] power_every`):
    /// counted in `replicates`, not in anything at the central values.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub power_skipped: u64,
}

fn is_zero(x: &u64) -> bool {
    *x == 0
}

impl DesignAcc {
    /// Replicates that ran the trial at the central values.
    pub fn power_replicates(&self) -> u64 {
        self.replicates.saturating_sub(self.power_skipped)
    }

    pub fn new(s: &Scenario) -> DesignAcc {
        DesignAcc {
            endpoints: vec![EndpointAcc::default(); s.endpoints.len()],
            families: s
                .families
                .iter()
                .map(|f| FamilyAcc {
                    per_endpoint: vec![0; f.endpoints.len()],
                    ..Default::default()
                })
                .collect(),
            sequential: s
                .sequential
                .as_ref()
                .map(|q| crate::sequential::SequentialAcc::new(q.looks)),
            assurance: s
                .uncertainty
                .as_ref()
                .map(|_| vec![AssuranceAcc::default(); s.endpoints.len()]),
            ..Default::default()
        }
    }

    /// Add one replicate.
    pub fn add(&mut self, r: &ReplicateRecord) {
        self.replicates += 1;
        if r.replicate_failure.is_some() {
            // one fixed key (the reason's text holds counts; the runner
            // stops at such a replicate and names it)
            *self
                .replicates_failed
                .entry("enrolment_failed".into())
                .or_default() += 1;
            for e in &mut self.endpoints {
                e.replicates += 1;
                *e.not_analysable
                    .entry("replicate_failed".into())
                    .or_default() += 1;
            }
            if let Some(q) = &mut self.sequential {
                q.add_failed();
            }
            if let Some(w) = &mut self.assurance {
                for a in w {
                    a.add(None, 0, &[]);
                }
            }
            return;
        }
        if let Some(w) = &mut self.assurance {
            let world = r.world.as_ref();
            for (i, a) in w.iter_mut().enumerate() {
                let failed = if i == 0 {
                    world.map_or(0, |x| x.patients_failed)
                } else {
                    0
                };
                a.add(
                    world.and_then(|x| x.endpoints.get(i)),
                    failed,
                    world.map_or(&[][..], |x| &x.strata),
                );
            }
        }
        if r.power_skipped {
            self.power_skipped += 1;
            return;
        }
        self.patients_simulated += r.patients_simulated;
        for (a, b) in self.plausibility.iter_mut().zip(&r.plausibility) {
            a.merge(b);
        }
        for f in &r.failures {
            if self.failure_examples.len() < MAX_FAILURE_EXAMPLES {
                self.failure_examples.push(f.clone());
            }
            *self
                .patients_failed
                .entry(f.failure.key().to_string())
                .or_default() += 1;
        }
        self.screened += r.screened;
        self.add_stats(&r.stats);
        for (acc, o) in self.endpoints.iter_mut().zip(&r.endpoints) {
            acc.replicates += 1;
            acc.n_sum[0] += o.n[0] as u64;
            acc.n_sum[1] += o.n[1] as u64;
            if let Some(ev) = o.events {
                acc.events_sum[0] += ev[0] as u64;
                acc.events_sum[1] += ev[1] as u64;
            }
            if let Some(m) = &o.moments {
                for a in 0..2 {
                    if m[a].sd.is_finite() && acc.arm_mean_sum[a].add(m[a].mean) {
                        if acc.arm_sd_sum[a].add(m[a].sd) {
                            acc.arm_stat_n[a] += 1;
                        } else {
                            // keep mean and sd sums paired
                            acc.arm_mean_sum[a].add(-m[a].mean);
                        }
                    }
                }
            }
            match &o.outcome {
                Ok(_) => {
                    acc.analysable += 1;
                    if o.reject {
                        acc.rejections += 1;
                    }
                    match o.rejection {
                        Some(Rejection::Favourable) => acc.rejections_favourable += 1,
                        Some(Rejection::Harmful) => acc.rejections_harmful += 1,
                        _ => {}
                    }
                    match o.summary_effect {
                        Some(e) if e.abs() <= LIMIT.sqrt() => {
                            acc.estimate_sum.add(e);
                            acc.estimate_sq.add(e * e);
                            acc.estimate_n += 1;
                            *acc.estimate_bins.entry(effect_bin(e)).or_default() += 1;
                        }
                        _ => acc.estimate_out_of_range += 1,
                    }
                }
                Err(e) => {
                    *acc.not_analysable
                        .entry(reason_key(e).to_string())
                        .or_default() += 1
                }
            }
        }
        for (acc, d) in self.families.iter_mut().zip(&r.families) {
            if d.iter().any(|&x| x) {
                acc.any += 1;
            }
            if !d.is_empty() && d.iter().all(|&x| x) {
                acc.all += 1;
            }
            for (c, &x) in acc.per_endpoint.iter_mut().zip(d) {
                *c += u64::from(x);
            }
        }
        if let (Some(q), Some(rec)) = (&mut self.sequential, &r.sequential) {
            q.add(rec);
        }
    }

    fn add_stats(&mut self, s: &SolverStats) {
        self.rhs_evaluations += s.rhs_evaluations;
        self.accepted_steps += s.accepted_steps;
        self.rejected_steps += s.rejected_steps;
    }

    /// Add another accumulator (shards, chunks).
    pub fn merge(&mut self, o: &DesignAcc) {
        self.failure_examples
            .extend(o.failure_examples.iter().cloned());
        self.failure_examples
            .sort_by_key(|f| (f.replicate, f.patient));
        self.failure_examples.truncate(MAX_FAILURE_EXAMPLES);
        self.replicates += o.replicates;
        self.power_skipped += o.power_skipped;
        for (k, v) in &o.replicates_failed {
            *self.replicates_failed.entry(k.clone()).or_default() += v;
        }
        self.patients_simulated += o.patients_simulated;
        for (a, b) in self.plausibility.iter_mut().zip(&o.plausibility) {
            a.merge(b);
        }
        for (k, v) in &o.patients_failed {
            *self.patients_failed.entry(k.clone()).or_default() += v;
        }
        self.screened += o.screened;
        self.rhs_evaluations += o.rhs_evaluations;
        self.accepted_steps += o.accepted_steps;
        self.rejected_steps += o.rejected_steps;
        for (a, b) in self.endpoints.iter_mut().zip(&o.endpoints) {
            a.replicates += b.replicates;
            a.rejections += b.rejections;
            a.rejections_favourable += b.rejections_favourable;
            a.rejections_harmful += b.rejections_harmful;
            a.analysable += b.analysable;
            for (k, v) in &b.not_analysable {
                *a.not_analysable.entry(k.clone()).or_default() += v;
            }
            a.estimate_sum.merge(b.estimate_sum);
            a.estimate_sq.merge(b.estimate_sq);
            a.estimate_n += b.estimate_n;
            a.estimate_out_of_range += b.estimate_out_of_range;
            for (k, v) in &b.estimate_bins {
                *a.estimate_bins.entry(*k).or_default() += v;
            }
            for i in 0..2 {
                a.n_sum[i] += b.n_sum[i];
                a.events_sum[i] += b.events_sum[i];
                a.arm_mean_sum[i].merge(b.arm_mean_sum[i]);
                a.arm_sd_sum[i].merge(b.arm_sd_sum[i]);
                a.arm_stat_n[i] += b.arm_stat_n[i];
            }
        }
        for (a, b) in self.families.iter_mut().zip(&o.families) {
            a.any += b.any;
            a.all += b.all;
            for (x, y) in a.per_endpoint.iter_mut().zip(&b.per_endpoint) {
                *x += y;
            }
        }
        match (&mut self.sequential, &o.sequential) {
            (Some(a), Some(b)) => a.merge(b),
            (None, Some(b)) => self.sequential = Some(b.clone()),
            _ => {}
        }
        match (&mut self.assurance, &o.assurance) {
            (Some(a), Some(b)) => {
                for (x, y) in a.iter_mut().zip(b) {
                    x.merge(y);
                }
            }
            (None, Some(b)) => self.assurance = Some(b.clone()),
            _ => {}
        }
    }
}

/// Fine bins of the effect histogram: `floor(K * asinh(x / S))` with
/// `S = 1e-3` and `K = 40`, i.e. bins 2.5% wide relative to the value for
/// |x| well above `S` and `S / K` wide near zero, whatever the unit. The
/// index depends only on the value, so counts add up the same in any order,
/// and there are at most about 2 x 40 x 21 = 1700 bins for |x| <= 1e6.
pub fn effect_bin(x: f64) -> i32 {
    (EFFECT_BINS_PER_UNIT * (x / EFFECT_BIN_SCALE).asinh()).floor() as i32
}

const EFFECT_BIN_SCALE: f64 = 1e-3;
const EFFECT_BINS_PER_UNIT: f64 = 40.0;

/// Lower and upper edge of a fine bin.
pub fn effect_bin_edges(i: i32) -> (f64, f64) {
    let at = |k: f64| EFFECT_BIN_SCALE * (k / EFFECT_BINS_PER_UNIT).sinh();
    (at(i as f64), at(i as f64 + 1.0))
}

/// The distribution of the estimated effect of one endpoint, for display:
/// about 25 equal bins with round edges over the range of the estimates (the
/// central 99% if the tails are more than twice as wide), the counts beyond
/// them, and quantiles (to the resolution of the fine bins, 2.5% of the
/// value).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EffectDistribution {
    pub n: u64,
    pub edges: Vec<f64>,
    pub counts: Vec<u64>,
    pub below: u64,
    pub above: u64,
    pub q025: f64,
    pub median: f64,
    pub q975: f64,
}

impl EffectDistribution {
    /// `None` when no estimate was recorded.
    pub fn from_bins(bins: &BTreeMap<i32, u64>) -> Option<EffectDistribution> {
        let n: u64 = bins.values().sum();
        if n == 0 {
            return None;
        }
        let quantile = |q: f64| -> f64 {
            let goal = q * n as f64;
            let mut cum = 0u64;
            for (&i, &c) in bins {
                if (cum + c) as f64 >= goal {
                    let (lo, hi) = effect_bin_edges(i);
                    let f = ((goal - cum as f64) / c as f64).clamp(0.0, 1.0);
                    return lo + f * (hi - lo);
                }
                cum += c;
            }
            effect_bin_edges(*bins.keys().next_back().expect("not empty")).1
        };
        // the whole range, unless long tails would squash the bulk
        let (min, max) = (
            effect_bin_edges(*bins.keys().next().expect("not empty")).0,
            effect_bin_edges(*bins.keys().next_back().expect("not empty")).1,
        );
        let (q0, q1) = (quantile(0.005), quantile(0.995));
        let (lo, hi) = if max - min > 2.0 * (q1 - q0) {
            (q0, q1)
        } else {
            (min, max)
        };
        let step = nice_step(((hi - lo) / 25.0).max(1e-9 * (1.0 + lo.abs().max(hi.abs()))));
        let mut first = (lo / step).floor() * step;
        let mut last = (hi / step).ceil() * step;
        if last - first < step * 0.5 {
            first -= step;
            last += step;
        }
        let k = ((last - first) / step).round().max(1.0) as usize;
        let edges: Vec<f64> = (0..=k)
            .map(|j| round_to_step(first + j as f64 * step, step))
            .collect();
        let mut counts = vec![0u64; k];
        let (mut below, mut above) = (0, 0);
        for (&i, &c) in bins {
            let (a, b) = effect_bin_edges(i);
            let mid = 0.5 * (a + b);
            if mid < first {
                below += c;
            } else if mid >= last {
                above += c;
            } else {
                counts[(((mid - first) / step).floor() as usize).min(k - 1)] += c;
            }
        }
        Some(EffectDistribution {
            n,
            edges,
            counts,
            below,
            above,
            q025: quantile(0.025),
            median: quantile(0.5),
            q975: quantile(0.975),
        })
    }
}

impl EffectDistribution {
    /// The distribution on the estimate's own scale: edges and quantiles of
    /// a ratio endpoint's log-scale distribution exponentiated.
    pub fn displayed(mut self, scale: EffectScale) -> EffectDistribution {
        for x in self
            .edges
            .iter_mut()
            .chain([&mut self.q025, &mut self.median, &mut self.q975])
        {
            *x = scale.display(*x);
        }
        self
    }
}

/// 1, 2 or 5 times a power of ten, at least `x`.
pub fn nice_step(x: f64) -> f64 {
    let e = 10f64.powf(x.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * e >= x * (1.0 - 1e-9) {
            return m * e;
        }
    }
    10.0 * e
}

fn round_to_step(x: f64, step: f64) -> f64 {
    let digits = (-step.log10().floor()).max(0.0) as i32 + 1;
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// Power with its Monte Carlo error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PowerEstimate {
    pub power: f64,
    pub power_mcse: f64,
    pub power_ci_low: f64,
    pub power_ci_high: f64,
}

impl PowerEstimate {
    pub fn from_counts(successes: u64, n: u64) -> PowerEstimate {
        if n == 0 {
            return PowerEstimate {
                power: 0.0,
                power_mcse: 0.0,
                power_ci_low: 0.0,
                power_ci_high: 1.0,
            };
        }
        let p = successes as f64 / n as f64;
        let (lo, hi) = interval::wilson(successes, n, 0.95);
        PowerEstimate {
            power: p,
            power_mcse: (p * (1.0 - p) / n as f64).sqrt(),
            power_ci_low: lo,
            power_ci_high: hi,
        }
    }
}

/// One endpoint in `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointSummary {
    pub name: String,
    pub test: &'static str,
    pub alpha: f64,
    pub alternative: crate::analysis::Alternative,
    /// "efficacy" or "safety" (safety endpoints have no power target).
    pub role: EndpointRole,
    /// Which values favour treatment.
    pub favourable: Favourable,
    /// Null value of a one-sided test (endpoint units, log scale for ratios).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margin: Option<f64>,
    /// Share of replicates that reject, in either direction for a two-sided test.
    #[serde(flatten)]
    pub power: PowerEstimate,
    /// Share of replicates that reject in the direction favouring treatment.
    pub power_favourable: f64,
    pub power_favourable_mcse: f64,
    pub power_favourable_ci_low: f64,
    pub power_favourable_ci_high: f64,
    /// Share of replicates that reject in the direction favouring control.
    pub power_harmful: f64,
    pub power_harmful_mcse: f64,
    pub power_harmful_ci_low: f64,
    pub power_harmful_ci_high: f64,
    /// Replicates in the denominator of `power`.
    pub replicates: u64,
    pub n_analysable: u64,
    pub n_not_analysable: u64,
    pub not_analysable: BTreeMap<String, u64>,
    /// Power among replicates that could be analysed.
    pub power_among_analysable: Option<f64>,
    /// "difference", or "log" for ratio estimates (hazard ratios).
    pub effect_scale: EffectScale,
    /// Mean and SD over replicates of the estimated treatment effect
    /// (difference in means, ANCOVA coefficient or difference in
    /// proportions); for ratios (`effect_scale = "log"`) the geometric mean
    /// and the SD of the log ratio.
    pub effect_mean: Option<f64>,
    pub effect_sd: Option<f64>,
    /// Median of the estimated effect (to the 2.5% resolution of the bins).
    pub effect_median: Option<f64>,
    pub effect_out_of_range: u64,
    pub n_analyzed_mean: BTreeMap<String, f64>,
    /// Mean events (or yes answers) per arm, and the share of analysed patients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events_mean: Option<BTreeMap<String, f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_rate: Option<BTreeMap<String, f64>>,
    /// Mean over replicates of each arm's mean and SD of the analysed values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arm_mean: Option<BTreeMap<String, f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arm_sd: Option<BTreeMap<String, f64>>,
    /// Classical power from the arms' mean effect, mean SDs and mean n
    /// (noncentral t): the Student test for Student endpoints, Welch for
    /// every other continuous endpoint (for Wilcoxon and ANCOVA it is the
    /// classical comparator: where it differs from `power`, skew, baseline
    /// adjustment, missing data or dropout matter).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analytic_power: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analytic_power_test: Option<&'static str>,
    /// Assurance (`[uncertainty]`): power averaged over the worlds.
    #[serde(flatten)]
    pub assurance: Option<AssuranceSummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FamilySummary {
    pub name: String,
    pub procedure: crate::analysis::multiplicity::Procedure,
    pub alpha: f64,
    pub endpoints: Vec<String>,
    /// At least one endpoint of the family rejects.
    pub disjunctive: PowerEstimate,
    /// Every endpoint of the family rejects.
    pub conjunctive: PowerEstimate,
    /// Per endpoint, after the multiplicity procedure.
    pub adjusted_power: Vec<PowerEstimate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DesignSummary {
    pub design: serde_json::Map<String, serde_json::Value>,
    pub replicates: u64,
    /// With `[uncertainty] power_every = k > 1`: the replicates that ran the
    /// trial at the central values (every k-th), over which `power`, the
    /// effects, the families and the audits are computed; `assurance` uses
    /// all `replicates`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power_replicates: Option<u64>,
    pub endpoints: Vec<EndpointSummary>,
    pub families: Vec<FamilySummary>,
    pub replicates_failed: BTreeMap<String, u64>,
    pub patients_simulated: u64,
    pub patients_failed: BTreeMap<String, u64>,
    /// The first failed patients (replicate, screening number, arm, reason): `hfsim replay` them.
    pub failure_examples: Vec<crate::trial::PatientFailure>,
    /// Mean candidates screened per replicate.
    pub screened_mean: f64,
    /// Mean solver work per simulated patient.
    pub rhs_evaluations_per_patient: f64,
    /// The plausibility audit of the model's true state, per arm and
    /// observable ([`crate::plausibility`]).
    pub plausibility: crate::plausibility::PlausibilitySummary,
    /// Operating characteristics of the sequential design.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequential: Option<crate::sequential::SequentialSummary>,
}

/// Summarize one design point.
pub fn summarize(
    s: &Scenario,
    acc: &DesignAcc,
    design: serde_json::Map<String, serde_json::Value>,
) -> DesignSummary {
    let arm_keys = [s.arms[0].key.clone(), s.arms[1].key.clone()];
    let per_arm =
        |v: [f64; 2]| -> BTreeMap<String, f64> { arm_keys.iter().cloned().zip(v).collect() };
    let mut endpoints = Vec::new();
    let names: Vec<&str> = s.uncertainty.as_ref().map_or(Vec::new(), |u| {
        u.parameters
            .iter()
            .map(|p| p.parameter.info().name)
            .collect()
    });
    for (k, (ep, a)) in s.endpoints.iter().zip(&acc.endpoints).enumerate() {
        let assurance = acc.assurance.as_ref().and_then(|w| w.get(k)).map(|w| {
            let p = PowerEstimate::from_counts(w.rejections, w.replicates);
            let (m, sd) = mean_sd(&w.estimate_sum, &w.estimate_sq, w.estimate_n);
            let n = w.replicates.max(1) as f64;
            let truth = true_effect_summary(w, ep.options.effect_scale);
            AssuranceSummary {
                assurance: p.power,
                assurance_mcse: p.power_mcse,
                assurance_ci_low: p.power_ci_low,
                assurance_ci_high: p.power_ci_high,
                assurance_favourable: w.rejections_favourable as f64 / n,
                assurance_harmful: w.rejections_harmful as f64 / n,
                worlds: w.replicates,
                world_effect_mean: m.map(|m| ep.options.effect_scale.display(m)),
                world_effect_sd: sd,
                world_patients_failed: w.patients_failed,
                true_effect: truth.as_ref().map(|t| t.0.clone()),
                power_by_true_effect: truth.map(|t| t.1),
                drivers: drivers(w, &names),
            }
        });
        let (effect_mean, effect_sd) = mean_sd(&a.estimate_sum, &a.estimate_sq, a.estimate_n);
        let scale = ep.options.effect_scale;
        let effect_mean = effect_mean.map(|m| scale.display(m));
        let effect_median =
            EffectDistribution::from_bins(&a.estimate_bins).map(|d| scale.display(d.median));
        let favourable = PowerEstimate::from_counts(a.rejections_favourable, a.replicates);
        let harmful = PowerEstimate::from_counts(a.rejections_harmful, a.replicates);
        let r = a.replicates.max(1) as f64;
        let n_mean = [a.n_sum[0] as f64 / r, a.n_sum[1] as f64 / r];
        let binaryish = matches!(ep.measure, Measure::Event { .. } | Measure::Binary { .. });
        let (arm_mean, arm_sd, analytic) = if let Measure::Continuous { .. } = ep.measure {
            let m = [0, 1].map(|i| {
                if a.arm_stat_n[i] > 0 {
                    a.arm_mean_sum[i].value() / a.arm_stat_n[i] as f64
                } else {
                    f64::NAN
                }
            });
            let sd = [0, 1].map(|i| {
                if a.arm_stat_n[i] > 0 {
                    a.arm_sd_sum[i].value() / a.arm_stat_n[i] as f64
                } else {
                    f64::NAN
                }
            });
            // Student for Student; Welch for Welch and, as the classical
            // comparator, for Wilcoxon and ANCOVA endpoints.
            let kind = match ep.test {
                TestKind::Student => Some(TKind::Student),
                _ => Some(TKind::Welch),
            };
            let analytic = kind.and_then(|k| {
                t_two_sample(
                    m[1] - m[0],
                    sd[1],
                    sd[0],
                    n_mean[1],
                    n_mean[0],
                    ep.alpha,
                    ep.alternative,
                    k,
                )
                .ok()
            });
            let finite = |v: [f64; 2]| v.iter().all(|x| x.is_finite()).then(|| per_arm(v));
            (finite(m), finite(sd), analytic)
        } else {
            (None, None, None)
        };
        let not_analysable_total: u64 = a.not_analysable.values().sum();
        endpoints.push(EndpointSummary {
            name: ep.name.clone(),
            test: ep.test.key(),
            alpha: ep.alpha,
            alternative: ep.alternative,
            role: ep.options.role,
            favourable: ep.options.favourable,
            margin: ep.options.margin,
            power: PowerEstimate::from_counts(a.rejections, a.replicates),
            power_favourable: favourable.power,
            power_favourable_mcse: favourable.power_mcse,
            power_favourable_ci_low: favourable.power_ci_low,
            power_favourable_ci_high: favourable.power_ci_high,
            power_harmful: harmful.power,
            power_harmful_mcse: harmful.power_mcse,
            power_harmful_ci_low: harmful.power_ci_low,
            power_harmful_ci_high: harmful.power_ci_high,
            replicates: a.replicates,
            n_analysable: a.analysable,
            n_not_analysable: not_analysable_total,
            not_analysable: a.not_analysable.clone(),
            power_among_analysable: (a.analysable > 0)
                .then(|| a.rejections as f64 / a.analysable as f64),
            effect_scale: scale,
            effect_mean,
            effect_sd,
            effect_median,
            effect_out_of_range: a.estimate_out_of_range,
            n_analyzed_mean: per_arm(n_mean),
            events_mean: binaryish
                .then(|| per_arm([a.events_sum[0] as f64 / r, a.events_sum[1] as f64 / r])),
            event_rate: binaryish.then(|| {
                per_arm([0, 1].map(|i| {
                    if a.n_sum[i] > 0 {
                        a.events_sum[i] as f64 / a.n_sum[i] as f64
                    } else {
                        0.0
                    }
                }))
            }),
            arm_mean,
            arm_sd,
            analytic_power: analytic,
            analytic_power_test: analytic.map(|_| {
                if ep.test == TestKind::Student {
                    "student"
                } else {
                    "welch"
                }
            }),
            assurance,
        });
    }
    let families = s
        .families
        .iter()
        .zip(&acc.families)
        .map(|(f, a)| FamilySummary {
            name: f.name.clone(),
            procedure: f.procedure,
            alpha: f.alpha,
            endpoints: f
                .endpoints
                .iter()
                .map(|&k| s.endpoints[k].name.clone())
                .collect(),
            disjunctive: PowerEstimate::from_counts(a.any, acc.power_replicates()),
            conjunctive: PowerEstimate::from_counts(a.all, acc.power_replicates()),
            adjusted_power: a
                .per_endpoint
                .iter()
                .map(|&c| PowerEstimate::from_counts(c, acc.power_replicates()))
                .collect(),
        })
        .collect();
    let simulated = acc.patients_simulated.max(1) as f64;
    DesignSummary {
        design,
        replicates: acc.replicates,
        power_replicates: (acc.power_skipped > 0).then(|| acc.power_replicates()),
        endpoints,
        families,
        replicates_failed: acc.replicates_failed.clone(),
        patients_simulated: acc.patients_simulated,
        patients_failed: acc.patients_failed.clone(),
        failure_examples: acc.failure_examples.clone(),
        screened_mean: acc.screened as f64 / acc.power_replicates().max(1) as f64,
        rhs_evaluations_per_patient: acc.rhs_evaluations as f64 / simulated,
        plausibility: crate::plausibility::PlausibilitySummary::of(
            [&arm_keys[0], &arm_keys[1]],
            &acc.plausibility,
        ),
        sequential: match (&s.sequential, &acc.sequential) {
            (Some(d), Some(a)) => Some(crate::sequential::record::summarize(d, a)),
            _ => None,
        },
    }
}

/// The whole `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub hfsim_version: &'static str,
    pub scenario: String,
    pub scenario_sha256: String,
    pub seed: u64,
    pub replicates: u64,
    pub common_random_numbers: bool,
    pub arms: BTreeMap<String, String>,
    pub design_points: Vec<DesignSummary>,
    /// Present when this summary covers one shard only (see `hfsim merge`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardInfo>,
    /// What the scenario does that is allowed but probably a slip, with file,
    /// line and key (`crate::scenario::warning`; omitted when there are none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<crate::scenario::Warning>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct ShardInfo {
    pub index: u64,
    pub count: u64,
    pub first_replicate: u64,
    pub end_replicate: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_sums_do_not_depend_on_order() {
        let xs: Vec<f64> = (0..1000)
            .map(|i| ((i * 7919) % 1000) as f64 * 0.001234567 - 0.3)
            .collect();
        let mut a = ExactSum::default();
        let mut b = ExactSum::default();
        xs.iter().for_each(|&x| {
            a.add(x);
        });
        xs.iter().rev().for_each(|&x| {
            b.add(x);
        });
        assert_eq!(a, b);
        assert!((a.value() - xs.iter().sum::<f64>()).abs() < 1e-9);
        assert!(!a.add(f64::NAN));
    }

    #[test]
    fn effect_bins_are_narrow_and_the_distribution_recovers_quantiles() {
        for x in [-130.0, -1.0, -0.01, 0.0, 1e-5, 0.04, 0.9, 1.1, 47.0, 3000.0] {
            let (lo, hi) = effect_bin_edges(effect_bin(x));
            assert!(lo <= x && x < hi, "{x} not in [{lo}, {hi})");
            assert!(
                hi - lo <= 0.026 * x.abs() + 3e-5,
                "{x}: bin [{lo}, {hi}) too wide"
            );
        }
        // a uniform grid of 2001 values on [-100, 100]
        let mut bins = BTreeMap::new();
        for i in 0..=2000 {
            *bins
                .entry(effect_bin(-100.0 + 0.1 * i as f64))
                .or_insert(0u64) += 1;
        }
        let d = EffectDistribution::from_bins(&bins).unwrap();
        assert_eq!(d.n, 2001);
        assert_eq!(d.counts.iter().sum::<u64>() + d.below + d.above, 2001);
        assert!((d.median).abs() < 0.5, "{}", d.median);
        assert!(
            (d.q025 + 95.0).abs() < 2.5 && (d.q975 - 95.0).abs() < 2.5,
            "{} {}",
            d.q025,
            d.q975
        );
        assert!(d.edges.len() == d.counts.len() + 1 && d.edges.len() > 10 && d.edges.len() < 60);
        assert!(EffectDistribution::from_bins(&BTreeMap::new()).is_none());
        assert_eq!(nice_step(0.3), 0.5);
        assert_eq!(nice_step(7.0), 10.0);
        assert_eq!(nice_step(2.0), 2.0);
    }

    #[test]
    fn true_effect_summary_recovers_quantiles_and_conditional_power() {
        // 1000 worlds with true effects 0.5, 1.5, ..., 999.5 (uniform on
        // [0, 1000]); a world's trial rejects when its true effect > 600
        let mut a = AssuranceAcc::default();
        let mut b = AssuranceAcc::default();
        for i in 0..1000 {
            let t = i as f64 + 0.5;
            let o = crate::evaluation::WorldOutcome {
                reject: t > 600.0,
                rejection: None,
                summary_effect: Some(t),
                true_effect: Some(t),
            };
            // two halves merged give the same as one accumulator
            // (with strata of two parameters, merged as well)
            let st = [(i % 10) as u8, (i / 100) as u8];
            a.add(Some(&o), 0, &st);
            if i % 2 == 0 {
                b.add(Some(&o), 0, &st);
            }
        }
        let mut c = AssuranceAcc::default();
        for i in (1..1000).step_by(2) {
            let t = i as f64 + 0.5;
            c.add(
                Some(&crate::evaluation::WorldOutcome {
                    reject: t > 600.0,
                    rejection: None,
                    summary_effect: Some(t),
                    true_effect: Some(t),
                }),
                0,
                &[(i % 10) as u8, (i / 100) as u8],
            );
        }
        b.merge(&c);
        assert_eq!(a, b);
        let (t, bins) = true_effect_summary(&a, EffectScale::Difference).unwrap();
        assert_eq!(t.worlds, 1000);
        assert!((t.mean - 500.0).abs() < 1e-9);
        assert!((t.sd.unwrap() - 288.8194).abs() < 1e-3, "{:?}", t.sd);
        for (q, x) in [
            (0.05, t.q05),
            (0.25, t.q25),
            (0.5, t.q50),
            (0.75, t.q75),
            (0.95, t.q95),
        ] {
            // within the 2.5% resolution of the fine bins
            assert!((x - 1000.0 * q).abs() <= 0.026 * 1000.0 * q, "{q}: {x}");
        }
        // edges 0, 200, ..., 1000 (5 bins of 200 from q05 ~ 50 to q95 ~ 950)
        // (and the open tail from 1000 for the fine bin straddling it)
        let lows: Vec<Option<f64>> = bins.iter().map(|b| b.low).collect();
        assert_eq!(
            lows,
            vec![
                Some(0.0),
                Some(200.0),
                Some(400.0),
                Some(600.0),
                Some(800.0),
                Some(1000.0)
            ]
        );
        assert_eq!(bins[4].high, Some(1000.0));
        assert_eq!(bins[5].high, None);
        assert!(bins[5].worlds < 30, "{:?}", bins[5]);
        assert_eq!(bins.iter().map(|b| b.worlds).sum::<u64>(), 1000);
        assert_eq!(bins[0].rejection_rate, 0.0);
        assert_eq!(bins[4].rejection_rate, 1.0);
        // the bin [400, 600) holds only non-rejecting worlds, up to the
        // fine bins straddling 600
        assert!(bins[2].rejection_rate < 0.02, "{:?}", bins[2]);
        let p = bins[3].rejection_rate;
        assert!(
            (bins[3].rejection_mcse - (p * (1.0 - p) / bins[3].worlds as f64).sqrt()).abs() < 1e-15
        );
        assert!(true_effect_summary(&AssuranceAcc::default(), EffectScale::Difference).is_none());
    }

    #[test]
    fn power_estimate_carries_its_error() {
        let p = PowerEstimate::from_counts(80, 100);
        assert_eq!(p.power, 0.8);
        assert!((p.power_mcse - 0.04).abs() < 1e-12);
        assert!(p.power_ci_low < 0.8 && p.power_ci_high > 0.8);
    }

    /// Strata `(n, sum, sum of squares)` of `y` over deciles of `u`.
    fn deciles(u: &[f64], y: &[f64]) -> Vec<(f64, f64, f64)> {
        let mut st = vec![(0.0, 0.0, 0.0); 10];
        for (&u, &y) in u.iter().zip(y) {
            let s = &mut st[((u * 10.0) as usize).min(9)];
            s.0 += 1.0;
            s.1 += y;
            s.2 += y * y;
        }
        st
    }

    #[test]
    fn first_order_index_is_epsilon_squared() {
        // two strata by hand: y = 1, 2 | 5, 6: SS_T 17, SS_B 16, MS_W 1/2
        let mut st = vec![(2.0, 3.0, 5.0), (2.0, 11.0, 61.0)];
        st.extend(std::iter::repeat_n((0.0, 0.0, 0.0), 8));
        let (i, se) = first_order_index(&st[..2], false).unwrap();
        assert!((i - (16.0 - 0.5) / 17.0).abs() < 1e-12, "{i}");
        assert!(se > 0.0);
        // too few worlds per stratum, or no variance: no index
        assert_eq!(first_order_index(&st, false), None);
        assert_eq!(
            first_order_index(&[(5.0, 5.0, 5.0), (5.0, 5.0, 5.0)], false),
            None
        );
    }

    #[test]
    fn first_order_index_recovers_a_known_share_with_an_honest_error() {
        use rand::{RngExt, SeedableRng};
        // y = u + e, u uniform, e ~ N(0, 1/12): the decile means explain
        // Var({0.05, ..., 0.95}) / (1/12 + 1/12) = 0.0825 / (1/6) = 0.495;
        // an unrelated input explains 0
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let (reps, n) = (300, 1000);
        let (mut est, mut ses, mut null_est) = (Vec::new(), Vec::new(), Vec::new());
        let (mut yes_est, mut yes_ses) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            let u: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
            let v: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
            let y: Vec<f64> = u
                .iter()
                .map(|&u| {
                    u + (1.0f64 / 12.0).sqrt() * rng.sample::<f64, _>(rand_distr::StandardNormal)
                })
                .collect();
            let (i, se) = first_order_index(&deciles(&u, &y), false).unwrap();
            est.push(i);
            ses.push(se);
            null_est.push(first_order_index(&deciles(&v, &y), false).unwrap().0);
            // a yes/no output (a trial's decision): y > 0.5
            let yes: Vec<f64> = y.iter().map(|&y| f64::from(u8::from(y > 0.5))).collect();
            let (i, se) = first_order_index(&deciles(&u, &yes), true).unwrap();
            yes_est.push(i);
            yes_ses.push(se);
        }
        let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
        let sd = |x: &[f64]| {
            let m = mean(x);
            (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
        };
        let truth = 0.0825 / (1.0 / 6.0);
        // unbiased within the Monte Carlo error of 300 repeats
        assert!(
            (mean(&est) - truth).abs() < 3.0 * sd(&est) / (reps as f64).sqrt(),
            "{} vs {truth}",
            mean(&est)
        );
        assert!(
            mean(&null_est).abs() < 3.0 * sd(&null_est) / (reps as f64).sqrt(),
            "null {}",
            mean(&null_est)
        );
        // the stated error is the spread of the estimates (within 20%)
        let ratio = mean(&ses) / sd(&est);
        let yes_ratio = mean(&yes_ses) / sd(&yes_est);
        println!(
            "index {} (truth {truth}), se / sd {ratio}; yes/no index {}, se / sd {yes_ratio}",
            mean(&est),
            mean(&yes_est)
        );
        assert!((0.8..1.2).contains(&ratio), "se / sd = {ratio}");
        assert!(
            (0.8..1.2).contains(&yes_ratio),
            "yes/no: se / sd = {yes_ratio}"
        );
    }
}
