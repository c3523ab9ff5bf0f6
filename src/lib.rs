//! hfsim: in-silico clinical trials of cell therapy in heart failure with
//! reduced ejection fraction.

pub mod analysis;
pub mod rng;
