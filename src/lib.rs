//! hfsim: in-silico clinical trials of cell therapy in heart failure with
//! reduced ejection fraction.

pub mod analysis;
pub mod calibration;
pub mod cli;
pub mod cohort;
pub mod evaluation;
pub mod model;
pub mod rng;
pub mod runner;
pub mod scenario;
pub mod solver;
pub mod summary;
pub mod trial;
