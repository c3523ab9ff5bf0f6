//! Mechanisms added from outside the model: declared once, solved by both paths.
//!
//! A modeller who wants a new quantity driven by the patient (a biomarker, an
//! exposure, a tissue state) declares it as an [`AddedMechanism`]: its own
//! states, their initial values, their right-hand side as a function of the
//! patient's state, what each dose adds, and the fastest rate of its own
//! equations. Nothing in `src/model/` changes and no integrator is edited:
//!
//! - the **reference** ([`simulate_added_reference`]) integrates the patient
//!   and the added states as one system with Dopri5, through the same
//!   piecewise driver as the patient alone (`simulate::simulate_piecewise`:
//!   segments at doses and infusion ends, the dose computed from the state
//!   just before it);
//! - the **fast path** ([`simulate_added_fast`]) takes the patient's state
//!   from the fast path (exact linear blocks, RK4 slow states and their
//!   continuous extension) at the stage times of its own RK4 grid and steps
//!   the added states over it: steps of at most [`ADDED_STEP_RATE`] over the
//!   declared rate; after each dose, where the cells, signals and
//!   procoagulant states move fastest, steps of [`ADDED_STEP_RATE`] times
//!   (1 / the fastest rate of the patient's linear blocks + the time since
//!   the dose), so that each step spans a quarter of the time scale the
//!   decaying pulses still have; nodes at every dose, infusion end and sample
//!   day. During an infusion the fast path's linear blocks are an effective
//!   bolus (exact only once it has ended), so over the infusion the added
//!   states are integrated with the patient by the reference integrator,
//!   from the fast path's state just before the dose.
//!
//! Added mechanisms **read** the patient's state; they do not feed back into
//! it (its volumes, hazards and observables are those of the patient model
//! alone, in both paths). A mechanism that changes the patient's own dynamics
//! is a module of `src/model/` (docs/model.md, "How to add a mechanism").
//! Worked example and agreement test: `tests/added_mechanism.rs`.

use super::fast::{FastOptions, fastest_linear_rate, simulate_fast};
use super::patient::{DoseAmounts, InfusionInput, PatientModel};
use super::simulate::{Piecewise, SimulationPlan, Trajectory, core, simulate_piecewise};
use super::state::{N_STATES, State};
use crate::solver::{Integrator, OdeSystem, SolveFailure, SolverStats};

/// Most states an added mechanism can have (unused ones stay 0).
pub const MAX_ADDED_STATES: usize = 8;

/// The states of an added mechanism.
pub type AddedState = [f64; MAX_ADDED_STATES];

/// Largest (declared rate × step) of the fast path's RK4 for added states:
/// RK4's relative error per unit time is about (rate × step)⁴ / 120, 3e-5 here.
pub const ADDED_STEP_RATE: f64 = 0.25;

/// The patient's state just after a dose, read this long after it (days):
/// the fast path's samples at a dose day are taken before the dose.
const AFTER_DOSE: f64 = 1e-7;

/// A mechanism declared outside `src/model/`.
pub trait AddedMechanism {
    /// Its states at day 0 for this patient.
    fn initial(&self, model: &PatientModel) -> AddedState;
    /// `d own / dt` at day `t`, given the patient's state `patient`.
    fn rhs(&self, t: f64, patient: &State, own: &AddedState, d_own: &mut AddedState);
    /// What a dose delivering `dose` adds (instantaneously), the patient being
    /// in state `patient` just before it. Nothing by default.
    fn on_dose(&self, _patient: &State, _dose: &DoseAmounts, _own: &mut AddedState) {}
    /// The fastest rate of its own equations (1/day): `d own / dt` changes
    /// by at most about this fraction of `own` per day. Sets the fast path's
    /// step.
    fn largest_rate(&self) -> f64;
}

/// A patient simulated with an added mechanism.
#[derive(Debug, Clone, Default)]
pub struct AddedTrajectory {
    /// The patient alone, as the path gives it without the mechanism.
    pub patient: Trajectory,
    /// The added states at each sample day (before any dose that day).
    pub samples: Vec<AddedState>,
    /// The added states at the end of follow-up.
    pub final_state: AddedState,
}

const T: usize = N_STATES + MAX_ADDED_STATES;

/// The patient and an added mechanism as one system.
struct Joined<'a, M> {
    model: &'a PatientModel,
    mechanism: &'a M,
}

fn own_of(y: &[f64; T]) -> AddedState {
    let mut own = [0.0; MAX_ADDED_STATES];
    own.copy_from_slice(&y[N_STATES..]);
    own
}

impl<M: AddedMechanism> Piecewise<T> for Joined<'_, M> {
    fn model(&self) -> &PatientModel {
        self.model
    }

    fn initial(&self) -> [f64; T] {
        let mut y = [0.0; T];
        y[..N_STATES].copy_from_slice(&self.model.initial_state());
        y[N_STATES..].copy_from_slice(&self.mechanism.initial(self.model));
        y
    }

    fn rhs(&self, t: f64, y: &[f64; T], dy: &mut [f64; T], input: &InfusionInput) {
        let patient = core(y);
        let mut dp = [0.0; N_STATES];
        self.model.rhs(t, patient, &mut dp, input);
        let mut d_own = [0.0; MAX_ADDED_STATES];
        self.mechanism.rhs(t, patient, &own_of(y), &mut d_own);
        dy[..N_STATES].copy_from_slice(&dp);
        dy[N_STATES..].copy_from_slice(&d_own);
    }

    fn on_dose(&self, y: &mut [f64; T], d: &DoseAmounts) {
        let mut own = own_of(y);
        self.mechanism.on_dose(core(y), d, &mut own);
        y[N_STATES..].copy_from_slice(&own);
    }
}

/// The reference: the patient and the mechanism integrated together.
pub fn simulate_added_reference<M: AddedMechanism, I: Integrator>(
    model: &PatientModel,
    mechanism: &M,
    plan: &SimulationPlan,
    integrator: &I,
) -> Result<AddedTrajectory, SolveFailure> {
    let joined = Joined { model, mechanism };
    let mut samples: Vec<[f64; T]> = Vec::new();
    let mut out = AddedTrajectory::default();
    let (last, stats) = simulate_piecewise(
        &joined,
        plan,
        integrator,
        &mut samples,
        &mut out.patient.hazard_grid,
    )?;
    out.patient.samples = samples.iter().map(|y| *core(y)).collect();
    out.samples = samples.iter().map(own_of).collect();
    out.patient.final_state = *core(&last);
    out.final_state = own_of(&last);
    out.patient.stats = stats;
    Ok(out)
}

/// A piece of the fast path's grid for the added states.
enum Piece {
    /// One RK4 step over `[t0, t1]`, the patient's state read from the fast
    /// path at the stage times; `after_dose`: the step starts at a dose (its
    /// first stage reads the patient just after it).
    Step { t0: f64, t1: f64, after_dose: bool },
    /// An infusion from `t0` to `t1`: the fast path gives the patient as an
    /// effective bolus, exact only once the infusion has ended, so the added
    /// states are integrated with the patient by the reference integrator
    /// over it (an hour for IV), from the fast path's state before the dose.
    Infusion { t0: f64, t1: f64 },
}

/// The sample days in day order, handed out as the grid reaches them.
struct SampleCursor {
    order: Vec<usize>,
    next: usize,
}

impl SampleCursor {
    /// Record `own` for every sample day not after `t`.
    fn record(&mut self, days: &[f64], end: f64, t: f64, own: &AddedState, out: &mut [AddedState]) {
        while self.next < self.order.len()
            && days[self.order[self.next]].clamp(0.0, end) <= t + 1e-9
        {
            out[self.order[self.next]] = *own;
            self.next += 1;
        }
    }
}

/// The joined system with an infusion running.
struct InfusionSegment<'a, M> {
    joined: &'a Joined<'a, M>,
    input: InfusionInput,
}

impl<M: AddedMechanism> OdeSystem<T> for InfusionSegment<'_, M> {
    fn rhs(&self, t: f64, y: &[f64; T], dy: &mut [f64; T]) {
        self.joined.rhs(t, y, dy, &self.input);
    }
}

/// The fast path: the patient from [`simulate_fast`] (unchanged), the added
/// states by RK4 over the patient's fast-path state at the stage times
/// (and with the patient by the reference integrator during infusions).
pub fn simulate_added_fast<M: AddedMechanism>(
    model: &PatientModel,
    mechanism: &M,
    plan: &SimulationPlan,
    opts: &FastOptions,
) -> Result<AddedTrajectory, SolveFailure> {
    let end = plan.end_day;
    let mut out = AddedTrajectory::default();
    simulate_fast(model, plan, opts, &mut out.patient)?;

    let rate = mechanism.largest_rate();
    if !(rate.is_finite() && rate >= 0.0) {
        return Err(SolveFailure::NonFinite { t: 0.0 });
    }
    let longest = if rate > 0.0 {
        (ADDED_STEP_RATE / rate).min(opts.step_days)
    } else {
        opts.step_days
    };
    let pulse_time = 1.0 / fastest_linear_rate(model).max(1e-9);
    let infusion = model.infusion_days;
    let mut doses: Vec<f64> = plan
        .dose_days
        .iter()
        .copied()
        .filter(|&d| (0.0..end).contains(&d))
        .collect();
    doses.sort_by(f64::total_cmp);
    let is_dose = |t: f64| doses.iter().any(|&d| (d - t).abs() <= 1e-9);
    let infusing = |t: f64| {
        infusion > 0.0
            && doses
                .iter()
                .any(|&d| t > d + 1e-9 && t < d + infusion - 1e-9)
    };
    // nodes every piece must stop at (sample days during an infusion are
    // recorded by the integrator instead)
    let mut breaks: Vec<f64> = vec![0.0, end];
    breaks.extend(&doses);
    if infusion > 0.0 {
        breaks.extend(doses.iter().map(|d| (d + infusion).min(end)));
    }
    breaks.extend(
        plan.sample_days
            .iter()
            .map(|d| d.clamp(0.0, end))
            .filter(|&d| !infusing(d)),
    );
    breaks.sort_by(f64::total_cmp);
    breaks.dedup_by(|a, b| (*a - *b).abs() <= 1e-9);

    let mut pieces: Vec<Piece> = Vec::new();
    let mut last_dose: Option<f64> = None;
    for w in breaks.windows(2) {
        let (a, b) = (w[0], w[1]);
        if is_dose(a) {
            last_dose = Some(a);
            if infusion > 0.0 {
                pieces.push(Piece::Infusion { t0: a, t1: b });
                continue;
            }
        }
        let mut t = a;
        let mut first = true;
        while t < b - 1e-9 {
            let step = match last_dose {
                Some(d) => (ADDED_STEP_RATE * (pulse_time + t - d)).min(longest),
                None => longest,
            };
            // equal steps to the break when the next one would overshoot
            let n = ((b - t) / step).ceil().max(1.0);
            let t1 = if n <= 1.0 { b } else { t + (b - t) / n };
            pieces.push(Piece::Step {
                t0: t,
                t1,
                after_dose: first && is_dose(a),
            });
            first = false;
            t = t1;
        }
    }
    // the patient's state just before each dose, and at every stage time
    let mut stage_days: Vec<f64> = doses.clone();
    for p in &pieces {
        if let Piece::Step { t0, t1, after_dose } = *p {
            let start = if after_dose { t0 + AFTER_DOSE } else { t0 };
            stage_days.extend([start, 0.5 * (t0 + t1), t1]);
        }
    }
    let mut stages = Trajectory::default();
    simulate_fast(
        model,
        &SimulationPlan {
            dose_days: plan.dose_days,
            sample_days: &stage_days,
            end_day: end,
        },
        opts,
        &mut stages,
    )?;
    let (before_dose, stage_states) = stages.samples.split_at(doses.len());

    let mut order: Vec<usize> = (0..plan.sample_days.len()).collect();
    order.sort_by(|&i, &j| plan.sample_days[i].total_cmp(&plan.sample_days[j]));
    let mut cursor = SampleCursor { order, next: 0 };
    out.samples = vec![[0.0; MAX_ADDED_STATES]; plan.sample_days.len()];

    let joined = Joined { model, mechanism };
    let f = |t: f64, p: &State, x: &AddedState| {
        let mut d = [0.0; MAX_ADDED_STATES];
        mechanism.rhs(t, p, x, &mut d);
        d
    };
    let add = |x: &AddedState, k: &AddedState, h: f64| {
        let mut y = *x;
        for (yi, ki) in y.iter_mut().zip(k) {
            *yi += h * ki;
        }
        y
    };
    let mut own = mechanism.initial(model);
    let mut next_dose = 0;
    let mut next_stage = 0;
    for p in &pieces {
        let t0 = match *p {
            Piece::Step { t0, .. } | Piece::Infusion { t0, .. } => t0,
        };
        cursor.record(plan.sample_days, end, t0, &own, &mut out.samples);
        let mut dose = None;
        while next_dose < doses.len() && doses[next_dose] <= t0 + 1e-9 {
            let patient = &before_dose[next_dose];
            let d = model.dose_amounts(patient);
            mechanism.on_dose(patient, &d, &mut own);
            dose = Some((patient, d));
            next_dose += 1;
        }
        match *p {
            Piece::Step { t0, t1, .. } => {
                let [p1, p2, p3] = [
                    &stage_states[next_stage],
                    &stage_states[next_stage + 1],
                    &stage_states[next_stage + 2],
                ];
                next_stage += 3;
                let (h, tm) = (t1 - t0, 0.5 * (t0 + t1));
                let k1 = f(t0, p1, &own);
                let k2 = f(tm, p2, &add(&own, &k1, 0.5 * h));
                let k3 = f(tm, p2, &add(&own, &k2, 0.5 * h));
                let k4 = f(t1, p3, &add(&own, &k3, h));
                for j in 0..MAX_ADDED_STATES {
                    own[j] += h / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j]);
                }
            }
            Piece::Infusion { t0, t1 } => {
                let Some((patient, d)) = dose else {
                    unreachable!("an infusion piece starts at a dose")
                };
                let mut y = [0.0; T];
                y[..N_STATES].copy_from_slice(patient);
                y[N_STATES..].copy_from_slice(&own);
                let segment = InfusionSegment {
                    joined: &joined,
                    input: d.as_rates(infusion),
                };
                let first = cursor.next;
                let inside: Vec<f64> = cursor.order[first..]
                    .iter()
                    .map(|&i| plan.sample_days[i].clamp(0.0, end))
                    .take_while(|&day| day < t1 - 1e-9)
                    .collect();
                let mut stats = SolverStats::default();
                let order = &cursor.order;
                let samples = &mut out.samples;
                opts.fallback.integrate(
                    &segment,
                    t0,
                    t1,
                    &mut y,
                    &inside,
                    &mut |i, ys| samples[order[first + i]] = own_of(ys),
                    &mut stats,
                )?;
                cursor.next += inside.len();
                own = own_of(&y);
            }
        }
        if !own.iter().all(|v| v.is_finite()) {
            return Err(SolveFailure::NonFinite { t: t0 });
        }
    }
    cursor.record(plan.sample_days, end, end, &own, &mut out.samples);
    out.final_state = own;
    Ok(out)
}
