//! How many: design points x replicates, in parallel, reduced in order.
//!
//! Replicates run in chunks; inside a chunk they run in parallel on the
//! current rayon pool (each worker reuses one workspace), and the chunk's
//! records are added to the design point's accumulator in replicate order.
//! Memory therefore does not grow with the number of replicates. After each
//! chunk the observer is told (progress, checkpoint) and may stop the run
//! (Ctrl-C); the accumulator returned then covers exactly the chunks done.
//! Patients whose integration fails are counted; the run stops if they exceed
//! the scenario's failure budget, or at the first replicate that cannot enrol
//! its patients.

use crate::evaluation::{ReplicateRecord, WorldRecord, evaluate};
use crate::summary::DesignAcc;
use crate::trial::endpoints::EndpointData;
use crate::trial::{
    PatientCache, PatientFailure, TrialContext, Workspace, simulate_trial, simulate_trial_cached,
};
use rayon::prelude::*;
use std::ops::Range;
use thiserror::Error;

/// Rows kept for `--export-replicates`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplicateExport {
    /// `replicate,patient,arm,endpoint,value,baseline,time_days,event`
    pub patients: Vec<PatientRow>,
    /// `replicate,endpoint,test,estimate,statistic,p_value,reject`
    pub tests: Vec<TestRow>,
    /// `replicate,patient,arm,endpoint,start_days,stop_days,event,kind`
    pub events: Vec<EventRow>,
    /// Looks of a sequential design: `(replicate, look)`.
    pub looks: Vec<(u64, crate::sequential::LookRecord)>,
}

/// One at-risk interval of a recurrent-event endpoint (counting-process
/// form): `kind` is "hf_hospitalization" or "death" for an interval ending
/// in an event, "censored" otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub replicate: u64,
    pub patient: u64,
    pub arm: String,
    pub endpoint: String,
    pub start_days: f64,
    pub stop_days: f64,
    pub event: bool,
    pub kind: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatientRow {
    pub replicate: u64,
    pub patient: u64,
    pub arm: String,
    pub endpoint: String,
    pub value: Option<f64>,
    pub baseline: Option<f64>,
    pub time_days: Option<f64>,
    pub event: Option<bool>,
    /// The visit of an MMRM row (one row per patient and visit).
    pub visit: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestRow {
    pub replicate: u64,
    pub endpoint: String,
    pub test: &'static str,
    pub estimate: Option<f64>,
    pub statistic: Option<f64>,
    pub p_value: Option<f64>,
    pub reject: bool,
    pub not_analysable: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum RunError {
    /// A replicate could not enrol its patients (population.max_screening_factor
    /// or covariate bounds): the run stops, as docs/scenarios.md says.
    #[error(
        "replicate {replicate} could not enrol its patients: {reason}. The run stops: raise population.max_screening_factor or widen [population.inclusion]"
    )]
    Enrolment { replicate: u64, reason: String },
    #[error(
        "{failed} of {simulated} simulated patients failed to integrate, more than the failure budget allows ({allowed}); first failure: replicate {} patient {} ({})",
        first.replicate, first.patient, first.failure
    )]
    FailureBudget {
        failed: u64,
        simulated: u64,
        allowed: u64,
        first: PatientFailure,
    },
}

/// What the runner reports after each chunk.
pub trait Observer {
    /// `acc` covers replicates `covered`; return false to stop.
    fn chunk_done(&mut self, design_index: usize, covered: &Range<u64>, acc: &DesignAcc) -> bool;
}

/// No progress, never stops.
pub struct Silent;
impl Observer for Silent {
    fn chunk_done(&mut self, _: usize, _: &Range<u64>, _: &DesignAcc) -> bool {
        true
    }
}

/// Options of one run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Replicates per chunk (reduction and checkpoint granularity).
    pub chunk: u64,
    /// Export the first this-many replicates in full.
    pub export_replicates: u64,
    /// Patients allowed to fail over the whole design point.
    pub failures_allowed: u64,
}

/// Simulate and evaluate one replicate.
pub fn run_replicate(
    ctx: &TrialContext,
    replicate: u64,
    ws: &mut Workspace,
    export: bool,
) -> (ReplicateRecord, Option<ReplicateExport>) {
    if ctx.scenario.sequential.is_some() {
        return crate::sequential::replicate::run(ctx, replicate, ws, export, None);
    }
    if !export && skips_power(ctx, replicate) {
        return (
            power_skipped(replicate, run_world(ctx, replicate, ws)),
            None,
        );
    }
    let (mut rec, ex) =
        evaluate_replicate(ctx, replicate, simulate_trial(ctx, replicate, ws), export);
    rec.world = run_world(ctx, replicate, ws);
    (rec, ex)
}

/// Under `[uncertainty]`: the same replicate (same patient streams) in its
/// world, the typical values drawn from the priors, and each endpoint's true
/// effect in that world (the same trial without measurement error,
/// [`crate::evaluation::true_effects`]; no extra simulation).
fn run_world(ctx: &TrialContext, replicate: u64, ws: &mut Workspace) -> Option<WorldRecord> {
    let u = ctx.scenario.uncertainty.as_ref()?;
    let mut world = ctx.clone();
    let (model, strata) = u.world_and_strata(&ctx.scenario.model, ctx.scenario.run.seed, replicate);
    world.scenario.model = model;
    world.scenario.uncertainty = None;
    world.keep_true_values = true;
    match simulate_trial(&world, replicate, ws) {
        Ok(mut data) => {
            let (rec, _) = evaluate_data(&world, replicate, &data, false);
            data.patients
                .iter_mut()
                .for_each(|p| p.measure_without_error());
            let truth = crate::evaluation::true_effects(&world.scenario, &data);
            Some(WorldRecord::of(&rec, &truth, strata))
        }
        Err(e) => Some(WorldRecord::of(
            &failed_replicate(replicate, e.to_string()).0,
            &[],
            strata,
        )),
    }
}

/// Simulate and evaluate one replicate with a cache shared by the design
/// points of that replicate.
pub fn run_replicate_cached(
    ctx: &TrialContext,
    replicate: u64,
    ws: &mut Workspace,
    export: bool,
    cache: &mut PatientCache,
) -> (ReplicateRecord, Option<ReplicateExport>) {
    if ctx.scenario.sequential.is_some() {
        return crate::sequential::replicate::run(ctx, replicate, ws, export, Some(cache));
    }
    if !export && skips_power(ctx, replicate) {
        return (
            power_skipped(replicate, run_world(ctx, replicate, ws)),
            None,
        );
    }
    let (mut rec, ex) = evaluate_replicate(
        ctx,
        replicate,
        simulate_trial_cached(ctx, replicate, ws, cache),
        export,
    );
    rec.world = run_world(ctx, replicate, ws);
    (rec, ex)
}

fn evaluate_replicate(
    ctx: &TrialContext,
    replicate: u64,
    simulated: Result<crate::trial::TrialData, crate::cohort::CohortError>,
    export: bool,
) -> (ReplicateRecord, Option<ReplicateExport>) {
    match simulated {
        Ok(data) => evaluate_data(ctx, replicate, &data, export),
        Err(e) => failed_replicate(replicate, e.to_string()),
    }
}

/// Whether `[uncertainty] power_every` leaves the trial at the central
/// values out of this replicate.
fn skips_power(ctx: &TrialContext, replicate: u64) -> bool {
    ctx.scenario
        .uncertainty
        .as_ref()
        .is_some_and(|u| !u.runs_power(&ctx.scenario.model, ctx.scenario.run.seed, replicate))
}

/// The record of a replicate run in its world only.
fn power_skipped(replicate: u64, world: Option<WorldRecord>) -> ReplicateRecord {
    let (mut rec, _) = failed_replicate(replicate, String::new());
    rec.replicate_failure = None;
    rec.power_skipped = true;
    rec.world = world;
    rec
}

/// The record of a replicate that could not be simulated.
pub(crate) fn failed_replicate(
    replicate: u64,
    reason: String,
) -> (ReplicateRecord, Option<ReplicateExport>) {
    (
        ReplicateRecord {
            replicate,
            replicate_failure: Some(reason),
            endpoints: Vec::new(),
            families: Vec::new(),
            patients_simulated: 0,
            failures: Vec::new(),
            screened: 0,
            stats: Default::default(),
            sequential: None,
            world: None,
            plausibility: Default::default(),
            power_skipped: false,
        },
        None,
    )
}

/// Evaluate a simulated trial's data (and keep the export rows).
pub(crate) fn evaluate_data(
    ctx: &TrialContext,
    replicate: u64,
    data: &crate::trial::TrialData,
    export: bool,
) -> (ReplicateRecord, Option<ReplicateExport>) {
    let s = &ctx.scenario;
    {
        {
            let mut ex = export.then(ReplicateExport::default);
            let arm_key = |a: u8| s.arms[a as usize].key.clone();
            let rec = evaluate(s, data, &mut |i, d, outcome| {
                let Some(ex) = ex.as_mut() else { return };
                let name = &s.endpoints[i].name;
                match d {
                    EndpointData::Continuous(arms) => {
                        for (a, obs) in arms.iter().enumerate() {
                            for o in obs {
                                ex.patients.push(PatientRow {
                                    replicate,
                                    patient: o.patient,
                                    arm: arm_key(a as u8),
                                    endpoint: name.clone(),
                                    value: Some(o.value),
                                    baseline: Some(o.baseline),
                                    time_days: None,
                                    event: None,
                                    visit: None,
                                });
                            }
                        }
                    }
                    EndpointData::Survival(arms) => {
                        for (a, obs) in arms.iter().enumerate() {
                            for o in obs {
                                ex.patients.push(PatientRow {
                                    replicate,
                                    patient: o.patient,
                                    arm: arm_key(a as u8),
                                    endpoint: name.clone(),
                                    value: None,
                                    baseline: None,
                                    time_days: Some(o.time),
                                    event: Some(o.event),
                                    visit: None,
                                });
                            }
                        }
                    }
                    EndpointData::Recurrent(arms) => {
                        for (a, obs) in arms.iter().enumerate() {
                            for o in obs {
                                let last = o.events().last().copied();
                                o.intervals(|start, stop, event| {
                                    let kind = match (event, o.death && Some(stop) == last) {
                                        (false, _) => "censored",
                                        (true, true) => "death",
                                        (true, false) => "hf_hospitalization",
                                    };
                                    ex.events.push(EventRow {
                                        replicate,
                                        patient: o.patient,
                                        arm: arm_key(a as u8),
                                        endpoint: name.clone(),
                                        start_days: start,
                                        stop_days: stop,
                                        event,
                                        kind,
                                    });
                                });
                                ex.patients.push(PatientRow {
                                    replicate,
                                    patient: o.patient,
                                    arm: arm_key(a as u8),
                                    endpoint: name.clone(),
                                    value: Some(o.n_events as f64),
                                    baseline: None,
                                    time_days: Some(o.end),
                                    event: None,
                                    visit: None,
                                });
                            }
                        }
                    }
                    EndpointData::Hierarchy(arms) => {
                        let ep = &s.endpoints[i];
                        for (a, obs) in arms.iter().enumerate() {
                            for o in obs {
                                // the event history in events.csv
                                let mut start = 0.0;
                                for &t in o.hospitalizations() {
                                    ex.events.push(EventRow {
                                        replicate,
                                        patient: o.patient,
                                        arm: arm_key(a as u8),
                                        endpoint: name.clone(),
                                        start_days: start,
                                        stop_days: t,
                                        event: true,
                                        kind: "hf_hospitalization",
                                    });
                                    start = t;
                                }
                                if o.follow_up > start || o.death.is_some() {
                                    ex.events.push(EventRow {
                                        replicate,
                                        patient: o.patient,
                                        arm: arm_key(a as u8),
                                        endpoint: name.clone(),
                                        start_days: start,
                                        stop_days: o.follow_up,
                                        event: o.death.is_some(),
                                        kind: if o.death.is_some() {
                                            "death"
                                        } else {
                                            "censored"
                                        },
                                    });
                                }
                                // each measured component in patients.csv
                                for (k, c) in ep.options.components.iter().enumerate() {
                                    if let crate::trial::hierarchy::Component::Continuous {
                                        visit,
                                        ..
                                    } = c
                                    {
                                        ex.patients.push(PatientRow {
                                            replicate,
                                            patient: o.patient,
                                            arm: arm_key(a as u8),
                                            endpoint: format!("{name}/{k}"),
                                            value: o.values[k].is_finite().then_some(o.values[k]),
                                            baseline: None,
                                            time_days: Some(o.follow_up),
                                            event: None,
                                            visit: Some(s.trial.visits[*visit].name.clone()),
                                        });
                                    }
                                }
                            }
                        }
                    }
                    EndpointData::Repeated(arms) => {
                        let ep = &s.endpoints[i];
                        for (a, obs) in arms.iter().enumerate() {
                            for (patient, o) in obs {
                                for (j, &v) in ep.options.mmrm_visits.iter().enumerate() {
                                    if o.values[j].is_finite() {
                                        ex.patients.push(PatientRow {
                                            replicate,
                                            patient: *patient,
                                            arm: arm_key(a as u8),
                                            endpoint: name.clone(),
                                            value: Some(o.values[j]),
                                            baseline: Some(o.baseline),
                                            time_days: None,
                                            event: None,
                                            visit: Some(s.trial.visits[v].name.clone()),
                                        });
                                    }
                                }
                            }
                        }
                    }
                    EndpointData::Binary(arms) => {
                        for (a, obs) in arms.iter().enumerate() {
                            for &(patient, yes) in obs {
                                ex.patients.push(PatientRow {
                                    replicate,
                                    patient,
                                    arm: arm_key(a as u8),
                                    endpoint: name.clone(),
                                    value: None,
                                    baseline: None,
                                    time_days: None,
                                    event: Some(yes),
                                    visit: None,
                                });
                            }
                        }
                    }
                }
                let (estimate, statistic, p_value, na) = match outcome {
                    Ok(t) => (Some(t.estimate), Some(t.statistic), Some(t.p_value), None),
                    Err(e) => (
                        None,
                        None,
                        None,
                        Some(crate::evaluation::reason_key(e).to_string()),
                    ),
                };
                ex.tests.push(TestRow {
                    replicate,
                    endpoint: name.clone(),
                    test: s.endpoints[i].test.key(),
                    estimate,
                    statistic,
                    p_value,
                    reject: crate::evaluation::rejects(outcome, s.endpoints[i].alpha),
                    not_analysable: na,
                });
            });
            (rec, ex)
        }
    }
}

/// Where a design point's run starts: the accumulator of the replicates
/// already done (empty for a fresh run), which cover `covered_from..` up to
/// the first replicate still to run.
#[derive(Debug, Clone)]
pub struct Resume {
    pub acc: DesignAcc,
    pub covered_from: u64,
}

/// Run `replicates` of one design point, continuing from `resume`.
/// Returns the accumulator and whether the run completed (false: stopped by
/// the observer).
pub fn run_design_point(
    ctx: &TrialContext,
    design_index: usize,
    replicates: Range<u64>,
    resume: Resume,
    opts: &RunOptions,
    observer: &mut dyn Observer,
    exports: &mut Vec<ReplicateExport>,
) -> Result<(DesignAcc, bool), RunError> {
    let Resume {
        mut acc,
        covered_from,
    } = resume;
    let mut first_failure: Option<PatientFailure> = None;
    let mut failed: u64 = acc.patients_failed.values().sum();
    let mut start = replicates.start;
    while start < replicates.end {
        let end = (start + opts.chunk.max(1)).min(replicates.end);
        let records: Vec<(ReplicateRecord, Option<ReplicateExport>)> = (start..end)
            .into_par_iter()
            .map_init(Workspace::default, |ws, r| {
                run_replicate(ctx, r, ws, r < opts.export_replicates)
            })
            .collect();
        for (rec, ex) in records {
            if let Some(reason) = &rec.replicate_failure {
                return Err(RunError::Enrolment {
                    replicate: rec.replicate,
                    reason: reason.clone(),
                });
            }
            acc.add(&rec);
            failed += rec.failures.len() as u64;
            if first_failure.is_none() {
                first_failure = rec.failures.first().cloned();
            }
            if let Some(ex) = ex {
                exports.push(ex);
            }
        }
        if failed > opts.failures_allowed {
            return Err(RunError::FailureBudget {
                failed,
                simulated: acc.patients_simulated,
                allowed: opts.failures_allowed,
                first: first_failure.expect("a failure was counted"),
            });
        }
        start = end;
        if !observer.chunk_done(design_index, &(covered_from..end), &acc) && start < replicates.end
        {
            return Ok((acc, false));
        }
    }
    Ok((acc, true))
}

/// Run every design point over the same replicates together: replicate by
/// replicate, so that a patient whose record is the same in several design
/// points (e.g. a placebo patient in a sweep of the cell regimen) is
/// simulated once (see `trial::PatientCache`). Accumulators and observer
/// calls are per design point, in replicate order, exactly as
/// [`run_design_point`] would produce them one point at a time.
/// `resumes` must all cover the same replicates.
pub fn run_design_points(
    ctxs: &[TrialContext],
    replicates: Range<u64>,
    resumes: Vec<Resume>,
    opts: &[RunOptions],
    observer: &mut dyn Observer,
    exports: &mut [Vec<ReplicateExport>],
) -> Result<(Vec<DesignAcc>, bool), RunError> {
    let covered_from = resumes
        .first()
        .map(|r| r.covered_from)
        .unwrap_or(replicates.start);
    let mut accs: Vec<DesignAcc> = resumes.into_iter().map(|r| r.acc).collect();
    let mut failed: Vec<u64> = accs
        .iter()
        .map(|a| a.patients_failed.values().sum())
        .collect();
    let mut first_failure: Vec<Option<PatientFailure>> = vec![None; ctxs.len()];
    let chunk = opts.first().map(|o| o.chunk).unwrap_or(64).max(1);
    let mut start = replicates.start;
    while start < replicates.end {
        let end = (start + chunk).min(replicates.end);
        let rows: Vec<Vec<(ReplicateRecord, Option<ReplicateExport>)>> = (start..end)
            .into_par_iter()
            .map_init(Workspace::default, |ws, r| {
                let mut cache = PatientCache::default();
                ctxs.iter()
                    .zip(opts)
                    .map(|(ctx, o)| {
                        run_replicate_cached(ctx, r, ws, r < o.export_replicates, &mut cache)
                    })
                    .collect()
            })
            .collect();
        for row in rows {
            for (d, (rec, ex)) in row.into_iter().enumerate() {
                if let Some(reason) = &rec.replicate_failure {
                    return Err(RunError::Enrolment {
                        replicate: rec.replicate,
                        reason: reason.clone(),
                    });
                }
                accs[d].add(&rec);
                failed[d] += rec.failures.len() as u64;
                if first_failure[d].is_none() {
                    first_failure[d] = rec.failures.first().cloned();
                }
                if let Some(ex) = ex {
                    exports[d].push(ex);
                }
            }
        }
        for d in 0..ctxs.len() {
            if failed[d] > opts[d].failures_allowed {
                return Err(RunError::FailureBudget {
                    failed: failed[d],
                    simulated: accs[d].patients_simulated,
                    allowed: opts[d].failures_allowed,
                    first: first_failure[d].clone().expect("a failure was counted"),
                });
            }
        }
        start = end;
        let mut go_on = true;
        for (d, acc) in accs.iter().enumerate() {
            go_on &= observer.chunk_done(d, &(covered_from..end), acc);
        }
        if !go_on && start < replicates.end {
            return Ok((accs, false));
        }
    }
    Ok((accs, true))
}
