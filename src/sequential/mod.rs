//! Group-sequential and adaptive designs.
//!
//! * [`spending`]: alpha- and beta-spending functions;
//! * [`integration`]: recursive numerical integration over the Z process;
//! * [`boundaries`]: efficacy and futility bounds, drift, inflation factor.

pub mod bayes;
pub mod boundaries;
mod cache;
pub mod conduct;
pub mod design;
pub mod integration;
pub mod record;
pub mod replicate;
pub mod spec;
pub mod spending;

pub use boundaries::{Binding, Boundaries, Efficacy, Futility, GroupSequential, Trend};
pub use design::SequentialDesign;
pub use record::{
    Decision, LookRecord, SequentialAcc, SequentialRecord, SequentialSummary, StopReason,
};
pub use spending::Spending;
