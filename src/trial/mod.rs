//! One simulated trial: enrol, randomize, treat, follow up, measure.
//!
//! Order of work for one replicate (every draw from the stream of its
//! patient and purpose, so the order of work never changes a result):
//!
//! 1. screen candidates until the trial is full (`cohort`);
//! 2. allocate arms (`randomization`, trial-level stream);
//! 3. per patient: between-patient parameters, conduct (early withdrawal,
//!    dropout, MRI eligibility, missing scans, visit days), the deterministic
//!    ODE over the arm's regimen, event times from the cumulative hazards,
//!    measurements with error at the visits the patient attends.
//!
//! The result is a [`TrialData`]: one [`PatientRecord`] per randomized
//! patient, from which `endpoints` extracts what each test analyses.

pub mod accrual;
pub mod cut;
pub mod endpoints;
pub mod hierarchy;
pub mod measurement;
pub mod randomization;

use crate::cohort::{Candidate, CohortError, CohortSampler};
use crate::model::events::{EventDraws, EventTimes, MAX_HFH};
use crate::model::observation::{ErrorModel, Modality, error_model};
use crate::model::params::P;
use crate::model::simulate::{SimulationPlan, Trajectory};
use crate::model::{PatientModel, Regimen};
use crate::rng::{DesignSlot, Purpose, StreamKey, TRIAL_LEVEL};
use crate::scenario::Scenario;
use crate::solver::{SolveFailure, SolverStats};
use measurement::{N_SLOTS, SLOTS, modality_index, true_value};
use rand::RngExt;
use rand_distr::{Exp1, StandardNormal};

/// How patients are integrated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    Reference(crate::solver::dopri5::Dopri5),
    Fast(crate::model::fast::FastOptions),
}

impl Method {
    /// The integrator a scenario's `[run]` asks for (`solver`, `rtol`, `atol`).
    pub fn for_scenario(s: &Scenario) -> Method {
        let dopri = crate::solver::dopri5::Dopri5 {
            rtol: s.run.rtol,
            atol: s.run.atol,
            ..crate::solver::dopri5::Dopri5::default()
        };
        match s.run.solver {
            crate::scenario::spec::SolverMethod::Reference => Method::Reference(dopri),
            crate::scenario::spec::SolverMethod::Fast => {
                Method::Fast(crate::model::fast::FastOptions {
                    fallback: dopri,
                    ..Default::default()
                })
            }
        }
    }

    pub fn describe(&self) -> String {
        use crate::solver::Integrator;
        match self {
            Method::Reference(d) => d.describe(),
            Method::Fast(f) => f.describe(),
        }
    }
}

/// Everything fixed for one design point.
#[derive(Debug, Clone)]
pub struct TrialContext {
    pub scenario: Scenario,
    pub sampler: CohortSampler,
    pub design: DesignSlot,
    pub method: Method,
    /// Regimen of `[control, treatment]`.
    pub regimens: [Regimen; 2],
    /// Fingerprint of everything that determines a patient's record given
    /// the arm, per arm: equal fingerprints in two design points mean the
    /// same patient record (see [`PatientCache`]).
    pub arm_fingerprints: [u64; 2],
    /// Keep each measured value's true (noise-free) value beside it
    /// ([`PatientRecord::true_measured`]): set for the world runs of
    /// `[uncertainty]`, whose true effects are computed from them.
    pub keep_true_values: bool,
}

/// Patient records shared between the design points of one replicate: a
/// patient whose record cannot differ between two design points (e.g. a
/// placebo patient when only the cell regimen is swept) is simulated once.
/// Entries keep the work and failures of the original simulation, so the
/// outputs are the same with or without the cache.
#[derive(Debug, Default)]
pub struct PatientCache {
    entries:
        std::collections::HashMap<(u64, u64), (PatientRecord, Vec<PatientFailure>, SolverStats)>,
    pub hits: u64,
}

impl TrialContext {
    pub fn new(scenario: Scenario, design: DesignSlot, method: Method) -> TrialContext {
        let sampler = CohortSampler::new(&scenario, design);
        let regimens = [
            scenario.arms[0].regimen.clone(),
            scenario.arms[1].regimen.clone(),
        ];
        let arm_fingerprints =
            [0, 1].map(|a| fingerprint(&scenario, &regimens[a], design, &method));
        TrialContext {
            scenario,
            sampler,
            design,
            method,
            regimens,
            arm_fingerprints,
            keep_true_values: false,
        }
    }

    fn key(&self, replicate: u64, patient: u64, purpose: Purpose) -> StreamKey {
        StreamKey {
            seed: self.scenario.run.seed,
            design: self.design,
            replicate,
            patient,
            purpose,
        }
    }
}

/// A patient whose solve failed, with what is needed to replay it
/// (`hfsim replay FILE --design D --replicate R --patient P`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PatientFailure {
    pub replicate: u64,
    pub patient: u64,
    pub arm: u8,
    pub failure: SolveFailure,
}

/// One randomized patient.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientRecord {
    /// Screening number (identity in every stream).
    pub index: u64,
    /// Calendar day of enrolment (days since enrolment started; 0 without
    /// `[trial.accrual]`). Patient days (visits, events) count from it.
    pub enrolment_day: f64,
    /// 0 = control, 1 = treatment.
    pub arm: u8,
    /// Withdrew before any follow-up (excluded from analyses).
    pub withdrawn: bool,
    /// Integration failed: excluded from analyses and counted.
    pub failed: bool,
    /// Last day the patient was followed (dropout, death or end of study).
    pub followed_until: f64,
    pub dropout_day: Option<f64>,
    pub events: EventTimes,
    /// Actual day of each visit.
    pub visit_days: Vec<f64>,
    /// Measured values, `[visit * N_SLOTS + slot]`, NaN when not measured.
    pub measured: Vec<f64>,
    /// The true values behind `measured` (same layout and missing pattern,
    /// without measurement error or the walk test's learning effect); empty
    /// unless the context keeps them (`TrialContext::keep_true_values`).
    pub true_measured: Vec<f64>,
    /// Peak anti-donor antibody over attended lab visits (true value).
    pub peak_antibody: f64,
    pub ana_positive: bool,
    /// True baseline covariates (scenario order) and anticoagulation.
    pub covariates: Vec<f64>,
    pub anticoagulated: bool,
    /// The audit of the patient's true state at the visits attended
    /// ([`crate::plausibility`]; empty for a withdrawn or failed patient).
    pub plausibility: crate::plausibility::AuditTally,
}

impl PatientRecord {
    /// Put the true values in place of the measured ones (a record kept
    /// with `TrialContext::keep_true_values`; otherwise nothing changes).
    pub fn measure_without_error(&mut self) {
        if self.true_measured.len() == self.measured.len() {
            std::mem::swap(&mut self.measured, &mut self.true_measured);
        }
    }

    #[inline]
    pub fn value(&self, visit: usize, slot: usize) -> f64 {
        self.measured[visit * N_SLOTS + slot]
    }
}

/// Result of one simulated trial.
#[derive(Debug, Clone, Default)]
pub struct TrialData {
    pub replicate: u64,
    pub patients: Vec<PatientRecord>,
    pub failures: Vec<PatientFailure>,
    pub stats: SolverStats,
    /// Candidates screened to fill the trial.
    pub screened: u64,
}

/// Reusable buffers (one per worker thread).
#[derive(Debug, Default)]
pub struct Workspace {
    trajectory: Trajectory,
    sample_days: Vec<f64>,
}

/// Enrol a replicate's cohort and allocate arms: `(patients, arms, screened)`.
pub fn enrol_and_randomize(
    ctx: &TrialContext,
    replicate: u64,
) -> Result<(Vec<Candidate>, Vec<u8>, u64), CohortError> {
    let n = ctx.scenario.patients_per_replicate() as usize;
    let c = enrol_cohort(ctx, replicate, n)?;
    let screened = c.candidates.last().map(|c| c.index + 1).unwrap_or(0);
    Ok((c.candidates, c.arms, screened))
}

/// The first `n` patients of a replicate in enrolment order: candidates,
/// arms and enrolment days. Every prefix is the cohort of a smaller trial
/// (screening, allocation and arrivals are drawn patient by patient).
#[derive(Debug, Clone)]
pub struct Cohort {
    pub candidates: Vec<Candidate>,
    pub arms: Vec<u8>,
    pub enrolment_days: Vec<f64>,
}

/// Enrol and randomize `n` patients and draw their enrolment days.
pub fn enrol_cohort(ctx: &TrialContext, replicate: u64, n: usize) -> Result<Cohort, CohortError> {
    let s = &ctx.scenario;
    let cohort = ctx.sampler.enrol(replicate, n)?;
    let strata: Vec<u32> = cohort
        .iter()
        .map(|c| {
            s.trial
                .strata
                .iter()
                .enumerate()
                .fold(0u32, |acc, (bit, &k)| acc | (u32::from(c.flag(k)) << bit))
        })
        .collect();
    let mut rng = ctx
        .key(replicate, TRIAL_LEVEL, Purpose::Randomization)
        .rng();
    let arms = randomization::allocate(
        &strata,
        [s.arms[0].weight, s.arms[1].weight],
        s.trial.randomization,
        &mut rng,
    );
    let enrolment_days = match &s.trial.accrual {
        Some(a) => a.sample_days(
            n,
            &mut ctx.key(replicate, TRIAL_LEVEL, Purpose::Enrolment).rng(),
        ),
        None => vec![0.0; n],
    };
    Ok(Cohort {
        candidates: cohort,
        arms,
        enrolment_days,
    })
}

/// Simulate the patients `range` of a cohort into `data`, reusing records
/// of patients already simulated with the same inputs (`cache`).
pub fn simulate_cohort(
    ctx: &TrialContext,
    replicate: u64,
    cohort: &Cohort,
    range: std::ops::Range<usize>,
    ws: &mut Workspace,
    mut cache: Option<&mut PatientCache>,
    data: &mut TrialData,
) {
    for i in range.clone() {
        let (cand, arm) = (&cohort.candidates[i], cohort.arms[i]);
        let mut rec = match cache.as_deref_mut() {
            Some(cache) => {
                let key = (ctx.arm_fingerprints[arm as usize], cand.index);
                if let Some((rec, failures, stats)) = cache.entries.get(&key) {
                    data.failures.extend(failures.iter().cloned());
                    data.stats += *stats;
                    cache.hits += 1;
                    rec.clone()
                } else {
                    let mut own = TrialData::default();
                    let rec = simulate_patient(ctx, replicate, cand, arm, ws, &mut own);
                    cache
                        .entries
                        .insert(key, (rec.clone(), own.failures.clone(), own.stats));
                    data.failures.extend(own.failures);
                    data.stats += own.stats;
                    rec
                }
            }
            None => simulate_patient(ctx, replicate, cand, arm, ws, data),
        };
        rec.enrolment_day = cohort.enrolment_days[i];
        data.patients.push(rec);
    }
    if let Some(last) = range
        .end
        .checked_sub(1)
        .and_then(|i| cohort.candidates.get(i))
    {
        data.screened = data.screened.max(last.index + 1);
    }
}

/// What a patient's record depends on, given its arm (not the trial size,
/// randomization, inclusion criteria (the screening draws come last in the
/// candidate's stream), the other arm or the endpoints).
fn fingerprint(s: &Scenario, regimen: &Regimen, design: DesignSlot, method: &Method) -> u64 {
    use std::hash::{Hash, Hasher};
    let key = format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        s.model,
        regimen,
        s.population.covariates,
        s.population.cholesky,
        s.background,
        s.trial.visits,
        s.trial.imaging,
        (
            s.trial.early_withdrawal_probability,
            s.trial.dropout_per_day,
            s.trial.visit_window_days
        ),
        (s.run.seed, s.run.follow_up_days),
        design,
        method,
        s.population.model,
        s.population.max_screening_factor,
    );
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

/// Simulate one replicate of the trial, reusing records of patients already
/// simulated with the same inputs in another design point of this replicate.
pub fn simulate_trial_cached(
    ctx: &TrialContext,
    replicate: u64,
    ws: &mut Workspace,
    cache: &mut PatientCache,
) -> Result<TrialData, CohortError> {
    let n = ctx.scenario.patients_per_replicate() as usize;
    let cohort = enrol_cohort(ctx, replicate, n)?;
    let mut data = TrialData {
        replicate,
        ..Default::default()
    };
    simulate_cohort(ctx, replicate, &cohort, 0..n, ws, Some(cache), &mut data);
    Ok(data)
}

/// Simulate one replicate of the trial.
pub fn simulate_trial(
    ctx: &TrialContext,
    replicate: u64,
    ws: &mut Workspace,
) -> Result<TrialData, CohortError> {
    let n = ctx.scenario.patients_per_replicate() as usize;
    let cohort = enrol_cohort(ctx, replicate, n)?;
    let mut data = TrialData {
        replicate,
        ..Default::default()
    };
    simulate_cohort(ctx, replicate, &cohort, 0..n, ws, None, &mut data);
    Ok(data)
}

/// One patient re-simulated exactly as in a run, with what is needed to
/// diagnose it (`hfsim replay`).
#[derive(Debug, Clone)]
pub struct Replay {
    pub candidate: Candidate,
    pub arm: u8,
    /// Position in the enrolled cohort.
    pub position: usize,
    pub params: crate::model::PatientParams,
    pub record: PatientRecord,
    pub failures: Vec<PatientFailure>,
    pub trajectory: Trajectory,
    pub model: PatientModel,
}

/// Re-simulate patient `patient` (screening number) of `replicate`.
pub fn replay_patient(ctx: &TrialContext, replicate: u64, patient: u64) -> Result<Replay, String> {
    let (cohort, arms, _) = enrol_and_randomize(ctx, replicate).map_err(|e| e.to_string())?;
    let Some(position) = cohort.iter().position(|c| c.index == patient) else {
        let enrolled: Vec<String> = cohort
            .iter()
            .take(12)
            .map(|c| c.index.to_string())
            .collect();
        return Err(format!(
            "patient {patient} was not enrolled in replicate {replicate} (screened out or beyond the trial size); enrolled screening numbers start {}{}",
            enrolled.join(", "),
            if cohort.len() > 12 { ", ..." } else { "" }
        ));
    };
    let cand = cohort[position].clone();
    let arm = arms[position];
    let mut ws = Workspace::default();
    let mut data = TrialData {
        replicate,
        ..Default::default()
    };
    let record = simulate_patient(ctx, replicate, &cand, arm, &mut ws, &mut data);
    let params = ctx
        .sampler
        .sample_params(&ctx.scenario.model, replicate, cand.index);
    let model = PatientModel::new(
        &params,
        &ctx.sampler.baseline(&cand),
        &ctx.regimens[arm as usize],
    );
    Ok(Replay {
        candidate: cand,
        arm,
        position,
        params,
        record,
        failures: data.failures,
        trajectory: ws.trajectory,
        model,
    })
}

/// Conduct of one patient (fixed draw order from the conduct stream).
struct Conduct {
    withdrawn: bool,
    dropout_day: Option<f64>,
    mri_eligible: bool,
    /// Missing flag per visit and modality (`Modality::ALL` order).
    missing: Vec<[bool; 4]>,
}

fn sample_conduct(
    ctx: &TrialContext,
    replicate: u64,
    cand: &Candidate,
    visit_days: &mut Vec<f64>,
) -> Conduct {
    let s = &ctx.scenario;
    let t = &s.trial;
    let mut rng = ctx.key(replicate, cand.index, Purpose::Conduct).rng();
    let u_withdraw: f64 = rng.random();
    let e_dropout: f64 = rng.sample(Exp1);
    let u_mri: f64 = rng.random();
    let device = ctx.sampler.has_device(cand);
    let mri_eligible =
        !(device && t.imaging.device_excludes_mri) && u_mri < t.imaging.mri_available_share;
    let p_missing = [
        t.imaging.mri_missing_probability,
        t.imaging.echo_missing_probability,
        t.imaging.lab_missing_probability,
        t.imaging.walk_missing_probability,
    ];
    visit_days.clear();
    let mut missing = Vec::with_capacity(t.visits.len());
    let follow_up = s.run.follow_up_days;
    for v in &t.visits {
        let u_jitter: f64 = rng.random();
        let day = if v.day > 0.0 {
            (v.day + (2.0 * u_jitter - 1.0) * t.visit_window_days).clamp(0.0, follow_up)
        } else {
            0.0
        };
        visit_days.push(day);
        let mut m = [false; 4];
        for (k, flag) in m.iter_mut().enumerate() {
            let u: f64 = rng.random();
            *flag = u < p_missing[k];
        }
        missing.push(m);
    }
    Conduct {
        withdrawn: u_withdraw < t.early_withdrawal_probability,
        dropout_day: (t.dropout_per_day > 0.0).then(|| e_dropout / t.dropout_per_day),
        mri_eligible,
        missing,
    }
}

fn simulate_patient(
    ctx: &TrialContext,
    replicate: u64,
    cand: &Candidate,
    arm: u8,
    ws: &mut Workspace,
    data: &mut TrialData,
) -> PatientRecord {
    let s = &ctx.scenario;
    let n_visits = s.trial.visits.len();
    let conduct = sample_conduct(ctx, replicate, cand, &mut ws.sample_days);
    let mut rec = PatientRecord {
        index: cand.index,
        enrolment_day: 0.0,
        arm,
        withdrawn: conduct.withdrawn,
        failed: false,
        followed_until: 0.0,
        dropout_day: conduct.dropout_day,
        events: EventTimes::default(),
        visit_days: ws.sample_days.clone(),
        measured: vec![f64::NAN; n_visits * N_SLOTS],
        true_measured: if ctx.keep_true_values {
            vec![f64::NAN; n_visits * N_SLOTS]
        } else {
            Vec::new()
        },
        peak_antibody: 0.0,
        ana_positive: false,
        covariates: cand.covariates.clone(),
        anticoagulated: cand.anticoagulant.is_anticoagulated(),
        plausibility: Default::default(),
    };
    if conduct.withdrawn {
        return rec;
    }
    let params = ctx.sampler.sample_params(&s.model, replicate, cand.index);
    let baseline = ctx.sampler.baseline(cand);
    let regimen = &ctx.regimens[arm as usize];
    let model = PatientModel::new(&params, &baseline, regimen);
    let plan = SimulationPlan {
        dose_days: &regimen.dose_days,
        sample_days: &ws.sample_days,
        end_day: s.run.follow_up_days,
    };
    let result = match ctx.method {
        Method::Reference(d) => {
            crate::model::simulate::simulate_with(&model, &plan, &d, &mut ws.trajectory)
        }
        Method::Fast(f) => crate::model::fast::simulate_fast(&model, &plan, &f, &mut ws.trajectory),
    };
    data.stats += ws.trajectory.stats;
    if let Err(failure) = result {
        rec.failed = true;
        data.failures.push(PatientFailure {
            replicate,
            patient: cand.index,
            arm,
            failure,
        });
        return rec;
    }
    // Events.
    let mut erng = ctx.key(replicate, cand.index, Purpose::Events).rng();
    let mut hfh = [0.0; MAX_HFH];
    for h in hfh.iter_mut() {
        *h = erng.sample(Exp1);
    }
    let draws = EventDraws {
        hfh,
        death: erng.sample(Exp1),
        sae: erng.sample(Exp1),
    };
    rec.events = EventTimes::from_cumulative(
        &ws.trajectory.hazard_grid,
        crate::model::simulate::HAZARD_GRID_STEP,
        &draws,
        &model.hazards,
    );
    let follow_up = s.run.follow_up_days;
    rec.followed_until = [Some(follow_up), conduct.dropout_day, rec.events.death]
        .into_iter()
        .flatten()
        .fold(f64::INFINITY, f64::min);
    // Measurements.
    let mut mrng = ctx.key(replicate, cand.index, Purpose::Measurement).rng();
    let errors: [Option<ErrorModel>; N_SLOTS] =
        std::array::from_fn(|k| error_model(SLOTS[k].0, SLOTS[k].1, &params));
    // the plausibility audit's day-0 state of a patient given no cells
    let untreated_day0 = regimen
        .is_cell_free()
        .then(|| model.observables(0.0, &model.initial_state()));
    for (v, visit) in s.trial.visits.iter().enumerate() {
        let day = ws.sample_days[v];
        // A visit is attended if the patient is alive and still followed.
        let attended = day <= rec.followed_until && rec.events.death.is_none_or(|d| day < d);
        let obs = model.observables(day, &ws.trajectory.samples[v]);
        if attended {
            rec.plausibility
                .audit_visit(day, &obs, untreated_day0.as_ref());
        }
        for (k, &(q, m)) in SLOTS.iter().enumerate() {
            let z: f64 = mrng.sample(StandardNormal);
            if !attended || !visit.measures(m) || conduct.missing[v][modality_index(m)] {
                continue;
            }
            if m == Modality::Mri && !conduct.mri_eligible {
                continue;
            }
            let Some(e) = errors[k] else { continue };
            let truth = true_value(q, &obs);
            let mut value = e.apply(q, truth, z);
            if q == crate::model::Quantity::SixMinuteWalk && v > 0 {
                value += params.get(P::WalkLearningEffect);
            }
            rec.measured[v * N_SLOTS + k] = value;
            if let Some(t) = rec.true_measured.get_mut(v * N_SLOTS + k) {
                *t = truth;
            }
        }
        if attended
            && visit.measures(Modality::Lab)
            && !conduct.missing[v][modality_index(Modality::Lab)]
        {
            rec.peak_antibody = rec.peak_antibody.max(obs.antibody);
        }
    }
    let u_bg: f64 = mrng.random();
    let z_ana: f64 = mrng.sample(StandardNormal);
    let threshold = params.get(P::AnaThresholdAntibody);
    let titre = rec.peak_antibody * (params.get(P::AnaTitreLogSd) * z_ana).exp();
    rec.ana_positive = u_bg < params.get(P::AnaBackgroundProbability) || titre > threshold;
    rec
}
