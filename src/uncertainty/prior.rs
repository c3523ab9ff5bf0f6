//! Prior distributions of uncertain model parameters.
//!
//! | distribution | parameters | quantile at `u` |
//! |---|---|---|
//! | normal | mean, sd | `mean + sd z(u)` |
//! | log-normal | median, sd of the log | `median exp(sd z(u))` |
//! | logit-normal | median (in (0, 1)), sd of the logit | `logistic(logit(median) + sd z(u))` |
//! | uniform | low, high | `low + u (high - low)` |
//! | point | value | `value` |
//! | empirical | quantiles at 0, 5%, ..., 100% | linear between them |
//! | bernoulli | p | `1` if `u > 1 - p`, else `0` (a structural choice) |
//!
//! The empirical distribution is not written in scenarios: it is the
//! marginal of a posterior file (`crate::uncertainty::posterior`).
//!
//! `z(u)` is the standard normal quantile. A truncation to `[lower,
//! upper]` maps `u` to `F(lower) + u (F(upper) - F(lower))` before the
//! quantile, so a truncated prior is sampled exactly (not by rejection)
//! and a design point of the unit hypercube keeps its meaning.

use crate::analysis::special::{norm_cdf, norm_isf};

/// The shape of a prior.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "distribution", rename_all = "snake_case")]
pub enum Distribution {
    Normal {
        mean: f64,
        sd: f64,
    },
    LogNormal {
        median: f64,
        sd_log: f64,
    },
    LogitNormal {
        median: f64,
        sd_logit: f64,
    },
    Uniform {
        low: f64,
        high: f64,
    },
    Point {
        value: f64,
    },
    /// A weighted sample's quantiles at probabilities `k / (EMPIRICAL_POINTS - 1)`.
    Empirical {
        quantiles: [f64; EMPIRICAL_POINTS],
    },
    /// 1 with probability `p`, else 0: a weighted choice between two model
    /// structures.
    Bernoulli {
        p: f64,
    },
}

/// Quantiles an empirical distribution keeps (every 5%).
pub const EMPIRICAL_POINTS: usize = 21;

/// Why a prior is not a distribution.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PriorError {
    #[error("{what} must be {allowed} (got {got})")]
    Parameter {
        what: &'static str,
        allowed: &'static str,
        got: f64,
    },
    #[error("the truncation [{lower}, {upper}] leaves no probability under this prior")]
    EmptyTruncation { lower: f64, upper: f64 },
}

/// A prior: a distribution, optionally truncated.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Prior {
    #[serde(flatten)]
    pub distribution: Distribution,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    /// `F(lower)` and `F(upper)` (0 and 1 without truncation).
    #[serde(skip)]
    cdf_range: (f64, f64),
}

fn check(ok: bool, what: &'static str, allowed: &'static str, got: f64) -> Result<(), PriorError> {
    if ok {
        Ok(())
    } else {
        Err(PriorError::Parameter { what, allowed, got })
    }
}

impl Prior {
    pub fn new(
        distribution: Distribution,
        lower: Option<f64>,
        upper: Option<f64>,
    ) -> Result<Prior, PriorError> {
        use Distribution::*;
        match distribution {
            Normal { mean, sd } => {
                check(mean.is_finite(), "the mean", "finite", mean)?;
                check(
                    sd.is_finite() && sd > 0.0,
                    "the sd",
                    "positive and finite",
                    sd,
                )?;
            }
            LogNormal { median, sd_log } => {
                check(
                    median.is_finite() && median > 0.0,
                    "the median",
                    "positive",
                    median,
                )?;
                check(
                    sd_log.is_finite() && sd_log > 0.0,
                    "sd_log",
                    "positive and finite",
                    sd_log,
                )?;
            }
            LogitNormal { median, sd_logit } => {
                check(
                    median > 0.0 && median < 1.0,
                    "the median",
                    "in (0, 1)",
                    median,
                )?;
                check(
                    sd_logit.is_finite() && sd_logit > 0.0,
                    "sd_logit",
                    "positive and finite",
                    sd_logit,
                )?;
            }
            Uniform { low, high } => {
                check(low.is_finite(), "low", "finite", low)?;
                check(
                    high.is_finite() && high > low,
                    "high",
                    "finite and above low",
                    high,
                )?;
            }
            Point { value } => check(value.is_finite(), "the value", "finite", value)?,
            Bernoulli { p } => check((0.0..=1.0).contains(&p), "p", "in [0, 1]", p)?,
            Empirical { quantiles } => {
                for (k, q) in quantiles.iter().enumerate() {
                    check(q.is_finite(), "an empirical quantile", "finite", *q)?;
                    if k > 0 {
                        check(
                            *q >= quantiles[k - 1],
                            "the empirical quantiles",
                            "non-decreasing",
                            *q,
                        )?;
                    }
                }
                check(
                    quantiles[EMPIRICAL_POINTS - 1] > quantiles[0],
                    "the empirical quantiles' range",
                    "positive (a single value is a point)",
                    quantiles[EMPIRICAL_POINTS - 1] - quantiles[0],
                )?;
            }
        }
        for b in [lower, upper].into_iter().flatten() {
            check(!b.is_nan(), "a truncation bound", "a number", b)?;
        }
        let mut p = Prior {
            distribution,
            lower,
            upper,
            cdf_range: (0.0, 1.0),
        };
        let (lo, hi) = match distribution {
            // a choice is not truncated: both values must be allowed
            Bernoulli { .. } => (0.0, 1.0),
            _ => (
                lower.map_or(0.0, |l| p.cdf_untruncated(l)),
                upper.map_or(1.0, |u| p.cdf_untruncated(u)),
            ),
        };
        let empty = match distribution {
            Point { value } => lower.is_some_and(|l| value < l) || upper.is_some_and(|u| value > u),
            Bernoulli { .. } => lower.is_some_and(|l| l > 0.0) || upper.is_some_and(|u| u < 1.0),
            _ => hi.is_nan() || lo.is_nan() || hi <= lo,
        };
        if empty {
            return Err(PriorError::EmptyTruncation {
                lower: lower.unwrap_or(f64::NEG_INFINITY),
                upper: upper.unwrap_or(f64::INFINITY),
            });
        }
        p.cdf_range = (lo, hi);
        Ok(p)
    }

    /// Without truncation.
    pub fn plain(distribution: Distribution) -> Result<Prior, PriorError> {
        Prior::new(distribution, None, None)
    }

    fn cdf_untruncated(&self, x: f64) -> f64 {
        use Distribution::*;
        match self.distribution {
            Normal { mean, sd } => norm_cdf((x - mean) / sd),
            LogNormal { median, sd_log } => {
                if x <= 0.0 {
                    0.0
                } else {
                    norm_cdf((x / median).ln() / sd_log)
                }
            }
            LogitNormal { median, sd_logit } => {
                if x <= 0.0 {
                    0.0
                } else if x >= 1.0 {
                    1.0
                } else {
                    norm_cdf((logit(x) - logit(median)) / sd_logit)
                }
            }
            Uniform { low, high } => ((x - low) / (high - low)).clamp(0.0, 1.0),
            Point { value } => {
                if x >= value {
                    1.0
                } else {
                    0.0
                }
            }
            Empirical { quantiles } => empirical_cdf(&quantiles, x),
            Bernoulli { p } => {
                if x < 0.0 {
                    0.0
                } else if x < 1.0 {
                    1.0 - p
                } else {
                    1.0
                }
            }
        }
    }

    /// The distribution function (of the truncated prior).
    pub fn cdf(&self, x: f64) -> f64 {
        if self.lower.is_some_and(|l| x < l) {
            return 0.0;
        }
        if self.upper.is_some_and(|u| x >= u) {
            return 1.0;
        }
        let (lo, hi) = self.cdf_range;
        if let Distribution::Point { .. } | Distribution::Bernoulli { .. } = self.distribution {
            return self.cdf_untruncated(x);
        }
        ((self.cdf_untruncated(x) - lo) / (hi - lo)).clamp(0.0, 1.0)
    }

    /// The quantile at `u` in [0, 1] (the bounds at 0 and 1).
    pub fn quantile(&self, u: f64) -> f64 {
        use Distribution::*;
        let (lo, hi) = self.cdf_range;
        let v = (lo + u.clamp(0.0, 1.0) * (hi - lo)).clamp(0.0, 1.0);
        let z = || norm_isf(1.0 - v);
        let x = match self.distribution {
            Normal { mean, sd } => mean + sd * z(),
            LogNormal { median, sd_log } => median * (sd_log * z()).exp(),
            LogitNormal { median, sd_logit } => logistic(logit(median) + sd_logit * z()),
            Uniform { low, high } => low + v * (high - low),
            Point { value } => value,
            Empirical { quantiles } => empirical_quantile(&quantiles, v),
            Bernoulli { p } => {
                if v > 1.0 - p {
                    1.0
                } else {
                    0.0
                }
            }
        };
        let x = self.lower.map_or(x, |l| x.max(l));
        self.upper.map_or(x, |u| x.min(u))
    }

    /// The value at a standard normal deviate `z` (`quantile(Phi(z))`; the
    /// marginal of a Gaussian copula).
    pub fn at_normal(&self, z: f64) -> f64 {
        self.quantile(norm_cdf(z))
    }

    pub fn median(&self) -> f64 {
        self.quantile(0.5)
    }
}

/// Linear interpolation between the quantiles at every `1 / (n - 1)`.
fn empirical_quantile(q: &[f64; EMPIRICAL_POINTS], u: f64) -> f64 {
    let pos = u.clamp(0.0, 1.0) * (EMPIRICAL_POINTS - 1) as f64;
    let k = (pos.floor() as usize).min(EMPIRICAL_POINTS - 2);
    q[k] + (pos - k as f64) * (q[k + 1] - q[k])
}

/// The inverse of [`empirical_quantile`] (the largest probability at `x`
/// where the quantiles are tied).
fn empirical_cdf(q: &[f64; EMPIRICAL_POINTS], x: f64) -> f64 {
    if x < q[0] {
        return 0.0;
    }
    if x >= q[EMPIRICAL_POINTS - 1] {
        return 1.0;
    }
    let step = 1.0 / (EMPIRICAL_POINTS - 1) as f64;
    let k = q.iter().rposition(|&v| v <= x).unwrap_or(0);
    let f = if q[k + 1] > q[k] {
        (x - q[k]) / (q[k + 1] - q[k])
    } else {
        0.0
    };
    (k as f64 + f) * step
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Distribution::*;

    #[test]
    fn quantiles_invert_the_distribution_functions() {
        let priors = [
            Prior::plain(Normal { mean: 1.0, sd: 2.0 }).unwrap(),
            Prior::plain(LogNormal {
                median: 0.5,
                sd_log: 0.7,
            })
            .unwrap(),
            Prior::plain(LogitNormal {
                median: 0.3,
                sd_logit: 1.1,
            })
            .unwrap(),
            Prior::plain(Uniform {
                low: -2.0,
                high: 5.0,
            })
            .unwrap(),
            Prior::new(Normal { mean: 0.0, sd: 1.0 }, Some(0.5), Some(3.0)).unwrap(),
            Prior::new(
                LogNormal {
                    median: 2.0,
                    sd_log: 1.0,
                },
                None,
                Some(1.0),
            )
            .unwrap(),
            Prior::plain(Empirical {
                quantiles: std::array::from_fn(|k| (k as f64 * 0.3).powi(2) - 1.0),
            })
            .unwrap(),
            Prior::new(
                Empirical {
                    quantiles: std::array::from_fn(|k| k as f64),
                },
                Some(2.5),
                Some(17.0),
            )
            .unwrap(),
        ];
        for p in &priors {
            for u in [0.001, 0.05, 0.3, 0.5, 0.77, 0.999] {
                let x = p.quantile(u);
                assert!(
                    (p.cdf(x) - u).abs() < 1e-9,
                    "{p:?} at {u}: x {x}, F(x) {}",
                    p.cdf(x)
                );
                if let Some(l) = p.lower {
                    assert!(x >= l);
                }
                if let Some(h) = p.upper {
                    assert!(x <= h);
                }
            }
        }
    }

    #[test]
    fn known_values() {
        let n = Prior::plain(Normal { mean: 1.0, sd: 2.0 }).unwrap();
        // qnorm(0.975, 1, 2) = 4.919927969080108
        assert!((n.quantile(0.975) - 4.919927969080108).abs() < 1e-9);
        let l = Prior::plain(LogNormal {
            median: 0.5,
            sd_log: 0.7,
        })
        .unwrap();
        assert!((l.median() - 0.5).abs() < 1e-12);
        // truncated standard normal on [0, inf): the median is qnorm(0.75)
        let t = Prior::new(Normal { mean: 0.0, sd: 1.0 }, Some(0.0), None).unwrap();
        assert!((t.median() - 0.6744897501960817).abs() < 1e-9);
        let u = Prior::plain(Uniform {
            low: 2.0,
            high: 4.0,
        })
        .unwrap();
        assert_eq!(u.quantile(0.25), 2.5);
        let p = Prior::plain(Point { value: 3.0 }).unwrap();
        assert_eq!(p.at_normal(1.7), 3.0);
    }

    #[test]
    fn bad_priors_are_refused() {
        assert!(Prior::plain(Normal { mean: 0.0, sd: 0.0 }).is_err());
        assert!(
            Prior::plain(LogNormal {
                median: -1.0,
                sd_log: 1.0
            })
            .is_err()
        );
        assert!(
            Prior::plain(LogitNormal {
                median: 1.0,
                sd_logit: 1.0
            })
            .is_err()
        );
        assert!(
            Prior::plain(Uniform {
                low: 1.0,
                high: 1.0
            })
            .is_err()
        );
        assert_eq!(
            Prior::new(
                Uniform {
                    low: 0.0,
                    high: 1.0
                },
                Some(2.0),
                Some(3.0)
            )
            .unwrap_err(),
            PriorError::EmptyTruncation {
                lower: 2.0,
                upper: 3.0
            }
        );
    }
}
