//! hfsim: in-silico clinical trials of cell therapy in heart failure with
//! reduced ejection fraction.
//!
//! The pipeline, one module each: a scenario file ([`scenario`]) describes
//! the trial; [`cohort`] draws virtual patients; [`model`] is the patient's
//! ODE system, integrated by [`solver`] (or the exact/RK4 fast path in
//! `model::fast`); [`trial`] randomizes, treats, follows up and measures;
//! [`evaluation`] runs each endpoint's test from [`analysis`]; [`runner`]
//! repeats this over design points and replicates in parallel and
//! [`summary`] reduces the results (power with Monte Carlo error);
//! [`calibration`] compares the default scenario with PRIME-HFrEF; [`cli`]
//! is the only place with I/O. Every random draw comes from a keyed stream
//! ([`rng`]).

// Numerical kernels index arrays the way the equations are written.
#![allow(clippy::needless_range_loop)]

pub mod analysis;
pub mod calibration;
pub mod cli;
pub mod cohort;
pub mod evaluation;
pub mod input;
pub mod model;
pub mod plausibility;
pub mod plots;
pub mod report;
pub mod rng;
pub mod runner;
pub mod scenario;
pub mod search;
pub mod sensitivity;
pub mod sequential;
pub mod solver;
pub mod summary;
pub mod trial;
pub mod uncertainty;
