//! Numerical integration, apart from the model.
//!
//! [`Integrator`] integrates any [`OdeSystem`] over one segment (between
//! doses and infusion ends) and reports the state at requested sample times.
//! [`dopri5::Dopri5`] wraps `ode_solvers` (the reference: adaptive
//! Dormand–Prince 5(4) with its continuous output). `expm` holds the exact
//! solution of linear systems used by the fast path and as a test oracle.
//! Solvers return statistics and a typed failure, never a silent result.

pub mod dopri5;
pub mod expm;

use serde::{Deserialize, Serialize};
use std::ops::AddAssign;
use thiserror::Error;

/// `dy/dt = f(t, y)` for a state of `N` values.
pub trait OdeSystem<const N: usize> {
    fn rhs(&self, t: f64, y: &[f64; N], dy: &mut [f64; N]);
}

/// Work counters of a solve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SolverStats {
    pub rhs_evaluations: u64,
    pub accepted_steps: u64,
    pub rejected_steps: u64,
    pub segments: u64,
}

impl AddAssign for SolverStats {
    fn add_assign(&mut self, o: SolverStats) {
        self.rhs_evaluations += o.rhs_evaluations;
        self.accepted_steps += o.accepted_steps;
        self.rejected_steps += o.rejected_steps;
        self.segments += o.segments;
    }
}

/// Why a solve stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Error, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SolveFailure {
    #[error("step size underflow at day {t}")]
    StepSizeUnderflow { t: f64 },
    #[error("more than {steps} steps needed (stopped at day {t})")]
    MaxSteps { t: f64, steps: u32 },
    #[error("problem became stiff at day {t}")]
    Stiffness { t: f64 },
    #[error("non-finite state at day {t}")]
    NonFinite { t: f64 },
}

impl SolveFailure {
    /// Short machine-readable reason (used as a key in summaries).
    pub fn key(&self) -> &'static str {
        match self {
            SolveFailure::StepSizeUnderflow { .. } => "step_size_underflow",
            SolveFailure::MaxSteps { .. } => "max_steps",
            SolveFailure::Stiffness { .. } => "stiffness",
            SolveFailure::NonFinite { .. } => "non_finite_state",
        }
    }
}

/// Integrates a system over one segment.
pub trait Integrator {
    /// Name and tolerances, recorded in `manifest.json`.
    fn describe(&self) -> String;

    /// Integrate from `t0` to `t1` (`t1 > t0`), updating `y` in place.
    /// `samples` are ascending times in `(t0, t1]`; `on_sample(i, y)` is
    /// called with the state at `samples[i]`.
    // System, interval, state, sample times, their callback and the work
    // counters are distinct inputs; a struct would only rename them.
    #[allow(clippy::too_many_arguments)]
    fn integrate<const N: usize, F: OdeSystem<N>>(
        &self,
        f: &F,
        t0: f64,
        t1: f64,
        y: &mut [f64; N],
        samples: &[f64],
        on_sample: &mut dyn FnMut(usize, &[f64; N]),
        stats: &mut SolverStats,
    ) -> Result<(), SolveFailure>;
}
