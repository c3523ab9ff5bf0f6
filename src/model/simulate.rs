//! Simulating one patient over the follow-up.
//!
//! The ODE is integrated piecewise: a segment ends at every dose (the dose is
//! computed from the state at that instant: anti-donor antibody decides how
//! much of it survives) and at the end of every infusion. Observations at a
//! dose day are taken before the dose. The output is the state at each
//! requested visit day and the cumulative hazards on a daily grid (for event
//! times, see `events`).

use super::patient::{InfusionInput, PatientModel};
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

/// The model with the infusion input of the current segment.
struct Segment<'a> {
    model: &'a PatientModel,
    input: InfusionInput,
}

impl OdeSystem<N_STATES> for Segment<'_> {
    #[inline]
    fn rhs(&self, t: f64, y: &State, dy: &mut State) {
        self.model.rhs(t, y, dy, &self.input);
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
    let end = plan.end_day;
    let n_grid = end.floor() as usize + 1;
    out.samples.clear();
    out.samples.resize(plan.sample_days.len(), [0.0; N_STATES]);
    out.hazard_grid.clear();
    out.hazard_grid.resize(n_grid, [0.0; 3]);
    out.stats = SolverStats::default();

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

    let record = |target: Target, y: &State, out: &mut Trajectory| match target {
        Target::Sample(i) => out.samples[i] = *y,
        Target::Grid(d) => {
            out.hazard_grid[d] = [y[CUM_HAZARD_HFH], y[CUM_HAZARD_DEATH], y[CUM_HAZARD_SAE]]
        }
    };

    let mut y = model.initial_state();
    let mut t = 0.0;
    let mut seg = Segment {
        model,
        input: InfusionInput::default(),
    };
    let mut next = 0;
    while next < targets.len() && targets[next].0 <= t {
        record(targets[next].1, &y, out);
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
            let mut buffer: Vec<(usize, State)> = Vec::with_capacity(times.len());
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
                record(targets[first + i].1, &ys, out);
            }
            out.stats += stats;
            t = tb;
        }
        match kind {
            Boundary::DoseStart => {
                let dose = model.dose_amounts(&y);
                if infusion > 0.0 {
                    seg.input = dose.as_rates(infusion);
                } else {
                    model.apply_bolus(&mut y, &dose);
                }
            }
            Boundary::InfusionEnd => seg.input = InfusionInput::default(),
            Boundary::End => {}
        }
    }
    out.final_state = y;
    Ok(())
}
