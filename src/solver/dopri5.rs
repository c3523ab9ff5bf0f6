//! The reference integrator: `ode_solvers` Dopri5.
//!
//! Two known `ode_solvers` 0.6 pitfalls are avoided (see ecosystem notes):
//! `OutputType::Dense` returns a wrong final state when the output increment
//! exceeds a step, so samples come from the continuous output model and the
//! final state from the last accepted step; `Dop853` is wrong for
//! time-dependent right-hand sides, so it is not used.

use super::{Integrator, OdeSystem, SolveFailure, SolverStats};
use ode_solvers::continuous_output_model::ContinuousOutputModel;
use ode_solvers::dop_shared::IntegrationError;
use ode_solvers::{OutputType, SVector, System};
use serde::Serialize;

/// Options of the reference integrator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Dopri5 {
    pub rtol: f64,
    pub atol: f64,
    /// Largest step (days).
    pub h_max: f64,
    pub max_steps: u32,
}

impl Default for Dopri5 {
    fn default() -> Self {
        Dopri5 {
            rtol: 1e-8,
            atol: 1e-10,
            h_max: 30.0,
            max_steps: 100_000,
        }
    }
}

impl Dopri5 {
    /// Tight tolerances for verification.
    pub fn tight() -> Self {
        Dopri5 {
            rtol: 1e-11,
            atol: 1e-13,
            h_max: 10.0,
            max_steps: 1_000_000,
        }
    }
}

struct Wrap<'a, F>(&'a F);

impl<const N: usize, F: OdeSystem<N>> System<f64, SVector<f64, N>> for Wrap<'_, F> {
    fn system(&self, t: f64, y: &SVector<f64, N>, dy: &mut SVector<f64, N>) {
        self.0.rhs(t, &y.data.0[0], &mut dy.data.0[0]);
    }
}

impl Integrator for Dopri5 {
    fn describe(&self) -> String {
        format!(
            "ode_solvers 0.6 Dopri5 (rtol {:e}, atol {:e}, h_max {} d)",
            self.rtol, self.atol, self.h_max
        )
    }

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
    ) -> Result<(), SolveFailure> {
        debug_assert!(t1 > t0);
        let y0 = SVector::<f64, N>::from(*y);
        let mut solver = ode_solvers::Dopri5::from_param(
            Wrap(f),
            t0,
            t1,
            t1 - t0,
            y0,
            self.rtol,
            self.atol,
            0.9,
            0.04,
            0.2,
            10.0,
            self.h_max.min(t1 - t0),
            0.0,
            self.max_steps,
            1000,
            OutputType::Continuous,
        );
        let mut dense = ContinuousOutputModel::<f64, SVector<f64, N>>::new();
        let result = solver.integrate_with_continuous_output_model(&mut dense);
        let s = match result {
            Ok(s) => s,
            Err(e) => {
                return Err(match e {
                    IntegrationError::MaxNumStepReached { x, n_step } => SolveFailure::MaxSteps {
                        t: x,
                        steps: n_step,
                    },
                    IntegrationError::StepSizeUnderflow { x } => {
                        SolveFailure::StepSizeUnderflow { t: x }
                    }
                    IntegrationError::StiffnessDetected { x } => SolveFailure::Stiffness { t: x },
                });
            }
        };
        stats.rhs_evaluations += s.num_eval as u64;
        stats.accepted_steps += s.accepted_steps as u64;
        stats.rejected_steps += s.rejected_steps as u64;
        stats.segments += 1;
        let last = solver
            .y_out()
            .last()
            .ok_or(SolveFailure::NonFinite { t: t0 })?;
        if last.iter().any(|v| !v.is_finite()) {
            return Err(SolveFailure::NonFinite { t: t1 });
        }
        for (i, &ts) in samples.iter().enumerate() {
            let v = if ts >= t1 {
                *last
            } else {
                dense
                    .evaluate(ts)
                    .ok_or(SolveFailure::NonFinite { t: ts })?
            };
            if v.iter().any(|x| !x.is_finite()) {
                return Err(SolveFailure::NonFinite { t: ts });
            }
            on_sample(i, &v.data.0[0]);
        }
        *y = last.data.0[0];
        Ok(())
    }
}
