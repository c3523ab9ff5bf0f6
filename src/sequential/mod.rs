//! Group-sequential and adaptive designs.
//!
//! * [`spending`]: alpha- and beta-spending functions;
//! * [`integration`]: recursive numerical integration over the Z process;
//! * [`boundaries`]: efficacy and futility bounds, drift, inflation factor.

pub mod boundaries;
pub mod integration;
pub mod spending;

pub use boundaries::{Binding, Boundaries, Efficacy, Futility, GroupSequential, Trend};
pub use spending::Spending;
