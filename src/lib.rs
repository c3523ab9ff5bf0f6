//! hfsim: in-silico clinical trials of cell therapy in heart failure with
//! reduced ejection fraction.

pub mod analysis;
pub mod cohort;
pub mod model;
pub mod rng;
pub mod scenario;
pub mod solver;
pub mod trial;
