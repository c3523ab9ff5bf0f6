//! What we do not know about the model, as distributions.
//!
//! `prior`: the distributions a model parameter's typical value may be
//! given (normal, log-normal, logit-normal, uniform, each optionally
//! truncated), with the quantile function that maps a point of the unit
//! interval (a sensitivity design, `crate::sensitivity`) or a standard
//! normal deviate (a world drawn for a replicate, correlated through a
//! Gaussian copula) to a parameter value.

pub mod prior;
