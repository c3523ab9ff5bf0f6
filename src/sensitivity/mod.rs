//! Global sensitivity analysis of a design answer.
//!
//! Which uncertain model parameter decides whether a design succeeds? This
//! module has the estimators, independent of the model: quasi-random
//! sampling of the unit hypercube (`sobol_sequence`), Sobol' indices from a
//! Saltelli design (`saltelli`: first-order after Saltelli et al. 2010, total
//! after Jansen 1999, bootstrap percentile intervals) and Morris elementary
//! effects (`morris`: mu, mu*, sigma over random one-at-a-time
//! trajectories), and the table of indices the command writes and the
//! report reads (`table`). Points of the unit hypercube are mapped to parameter
//! values by each parameter's prior (`crate::uncertainty::prior`).
//!
//! The estimators are the ones of SALib (the reference for interface and
//! definitions); `tests/sensitivity.rs` checks them against SALib's own
//! values on the same numbers, and against the analytic indices of the
//! Ishigami function and the exact effects of a linear function.

pub mod morris;
pub mod saltelli;
pub mod sobol_directions;
pub mod sobol_sequence;
pub mod table;

/// Why a sensitivity design or analysis cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SensitivityError {
    #[error("a sensitivity analysis needs at least one input (got 0)")]
    NoInputs,
    #[error(
        "{inputs} inputs need {dims} quasi-random dimensions, more than the {max} tabulated (at most {} inputs for Sobol' indices)",
        max / 2
    )]
    TooManyInputs {
        inputs: usize,
        dims: usize,
        max: usize,
    },
    #[error("{what} must be at least {min} (got {got})")]
    TooSmall {
        what: &'static str,
        min: usize,
        got: usize,
    },
    #[error("expected {expected} model outputs, got {got}")]
    OutputCount { expected: usize, got: usize },
    #[error("the model outputs have no variance (every value {value}): no index is defined")]
    ConstantOutput { value: f64 },
    #[error("a model output is not finite (row {row}): {value}")]
    NonFinite { row: usize, value: f64 },
}
