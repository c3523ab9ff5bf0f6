//! Simulating one patient over the follow-up.
//!
//! The ODE is integrated piecewise: a segment ends at every dose (the dose is
//! computed from the state at that instant: anti-donor antibody decides how
//! much of it survives) and at the end of every infusion. Observations at a
//! dose day are taken before the dose. The output is the state at each
//! requested visit day and the cumulative hazards on a daily grid (for event
//! times, see `events`).

use super::patient::{DoseAmounts, InfusionInput, PatientModel};
use super::state::*;
use crate::solver::{Integrator, OdeSystem, SolveFailure, SolverStats};

/// Spacing of the cumulative-hazard grid (days).
pub const HAZARD_GRID_STEP: f64 = 1.0;

/// What to simulate.
#[derive(Debug, Clone, Copy)]
pub struct SimulationPlan<'a> {
    /// Dose days (ascending).
    pub dose_days: &'a [f64],
    /// Days at which the state is wanted (any order).
    pub sample_days: &'a [f64],
    /// Last day of follow-up.
    pub end_day: f64,
}

/// Result of a patient simulation.
#[derive(Debug, Clone, Default)]
pub struct Trajectory {
    /// State at each of `SimulationPlan::sample_days`, same order.
    pub samples: Vec<State>,
    /// Cumulative hazards `[HFH, death, SAE]` at days 0, 1, ..., floor(end).
    pub hazard_grid: Vec<[f64; 3]>,
    pub final_state: State,
    pub stats: SolverStats,
}

/// A system integrated piecewise over the follow-up: the patient model, or
/// the patient model with mechanisms added from outside
/// ([`super::added`]). Its first [`N_STATES`] values are the patient's
/// state; the doses, infusions and cumulative hazards are the patient
/// model's.
pub(crate) trait Piecewise<const N: usize> {
    fn model(&self) -> &PatientModel;
    fn initial(&self) -> [f64; N];
    fn rhs(&self, t: f64, y: &[f64; N], dy: &mut [f64; N], input: &InfusionInput);
    /// A dose starts with the state `y` just before it and delivers `d`
    /// (the patient model's own dose is applied by the driver).
    fn on_dose(&self, _y: &mut [f64; N], _d: &DoseAmounts) {}
}

/// The patient's own state inside a larger one.
#[inline]
pub(crate) fn core<const N: usize>(y: &[f64; N]) -> &State {
    y[..N_STATES]
        .try_into()
        .expect("a piecewise system holds the patient's state first")
}

#[inline]
pub(crate) fn core_mut<const N: usize>(y: &mut [f64; N]) -> &mut State {
    (&mut y[..N_STATES])
        .try_into()
        .expect("a piecewise system holds the patient's state first")
}

impl Piecewise<N_STATES> for PatientModel {
    fn model(&self) -> &PatientModel {
        self
    }
    fn initial(&self) -> State {
        self.initial_state()
    }
    #[inline]
    fn rhs(&self, t: f64, y: &State, dy: &mut State, input: &InfusionInput) {
        PatientModel::rhs(self, t, y, dy, input)
    }
}

/// The system with the infusion input of the current segment.
struct Segment<'a, S> {
    system: &'a S,
    input: InfusionInput,
}

impl<const N: usize, S: Piecewise<N>> OdeSystem<N> for Segment<'_, S> {
    #[inline]
    fn rhs(&self, t: f64, y: &[f64; N], dy: &mut [f64; N]) {
        self.system.rhs(t, y, dy, &self.input);
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Boundary {
    DoseStart,
    InfusionEnd,
    End,
}

#[derive(Debug, Clone, Copy)]
enum Target {
    Sample(usize),
    Grid(usize),
}

/// Simulate with a generic integrator (the reference path).
pub fn simulate_with<I: Integrator>(
    model: &PatientModel,
    plan: &SimulationPlan,
    integrator: &I,
    out: &mut Trajectory,
) -> Result<(), SolveFailure> {
    out.stats = SolverStats::default();
    let (final_state, stats) = simulate_piecewise(
        model,
        plan,
        integrator,
        &mut out.samples,
        &mut out.hazard_grid,
    )?;
    out.final_state = final_state;
    out.stats = stats;
    Ok(())
}

/// Integrate `system` over the plan: its state at each sample day into
/// `samples`, the patient's cumulative hazards on the daily grid into
/// `hazard_grid`; returns the final state and the work counters.
pub(crate) fn simulate_piecewise<const N: usize, S: Piecewise<N>, I: Integrator>(
    system: &S,
    plan: &SimulationPlan,
    integrator: &I,
    samples: &mut Vec<[f64; N]>,
    hazard_grid: &mut Vec<[f64; 3]>,
) -> Result<([f64; N], SolverStats), SolveFailure> {
    let model = system.model();
    let end = plan.end_day;
    let n_grid = end.floor() as usize + 1;
    samples.clear();
    samples.resize(plan.sample_days.len(), [0.0; N]);
    hazard_grid.clear();
    hazard_grid.resize(n_grid, [0.0; 3]);
    let mut total = SolverStats::default();

    let mut targets: Vec<(f64, Target)> = Vec::with_capacity(plan.sample_days.len() + n_grid);
    targets.extend(
        plan.sample_days
            .iter()
            .enumerate()
            .map(|(i, &t)| (t.clamp(0.0, end), Target::Sample(i))),
    );
    targets.extend((0..n_grid).map(|d| (d as f64 * HAZARD_GRID_STEP, Target::Grid(d))));
    targets.sort_by(|a, b| a.0.total_cmp(&b.0));

    let infusion = model.infusion_days;
    let mut bounds: Vec<(f64, Boundary)> = Vec::with_capacity(2 * plan.dose_days.len() + 1);
    for &d in plan.dose_days.iter().filter(|&&d| d < end && d >= 0.0) {
        bounds.push((d, Boundary::DoseStart));
        if infusion > 0.0 {
            bounds.push(((d + infusion).min(end), Boundary::InfusionEnd));
        }
    }
    bounds.push((end, Boundary::End));
    bounds.sort_by(|a, b| a.0.total_cmp(&b.0));

    let record = |target: Target,
                  y: &[f64; N],
                  samples: &mut Vec<[f64; N]>,
                  hazard_grid: &mut Vec<[f64; 3]>| match target {
        Target::Sample(i) => samples[i] = *y,
        Target::Grid(d) => {
            hazard_grid[d] = [y[CUM_HAZARD_HFH], y[CUM_HAZARD_DEATH], y[CUM_HAZARD_SAE]]
        }
    };

    let mut y = system.initial();
    let mut t = 0.0;
    let mut seg = Segment {
        system,
        input: InfusionInput::default(),
    };
    let mut next = 0;
    while next < targets.len() && targets[next].0 <= t {
        record(targets[next].1, &y, samples, hazard_grid);
        next += 1;
    }
    let mut times: Vec<f64> = Vec::new();
    for &(tb, kind) in &bounds {
        if tb > t {
            let first = next;
            while next < targets.len() && targets[next].0 <= tb {
                next += 1;
            }
            times.clear();
            times.extend(targets[first..next].iter().map(|x| x.0));
            let mut stats = SolverStats::default();
            let mut buffer: Vec<(usize, [f64; N])> = Vec::with_capacity(times.len());
            integrator.integrate(
                &seg,
                t,
                tb,
                &mut y,
                &times,
                &mut |i, ys| buffer.push((i, *ys)),
                &mut stats,
            )?;
            for (i, ys) in buffer {
                record(targets[first + i].1, &ys, samples, hazard_grid);
            }
            total += stats;
            t = tb;
        }
        match kind {
            Boundary::DoseStart => {
                let dose = model.dose_amounts(core(&y));
                system.on_dose(&mut y, &dose);
                if infusion > 0.0 {
                    seg.input = dose.as_rates(infusion);
                } else {
                    model.apply_bolus(core_mut(&mut y), &dose);
                }
            }
            Boundary::InfusionEnd => seg.input = InfusionInput::default(),
            Boundary::End => {}
        }
    }
    Ok((y, total))
}
