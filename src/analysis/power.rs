//! Analytic power and sample sizes.
//!
//! * [`t_two_sample`]: power of the Student or Welch t-test from the
//!   noncentral t. With SE the standard error of the mean difference and df
//!   the test's degrees of freedom (Student: pooled SD, df = n_t + n_c − 2;
//!   Welch: SE² = s_t²/n_t + s_c²/n_c and the Welch–Satterthwaite df),
//!   ncp = δ/SE and, with c_q the upper-q quantile of the central t,
//!   two-sided power = P(T > c_{α/2}) + P(T < −c_{α/2}),
//!   `Greater`: P(T > c_α), `Less`: P(T < −c_α), T ~ nct(df, ncp).
//!   Student matches `statsmodels.stats.power.TTestIndPower`.
//! * [`proportions`]: normal approximation for the pooled two-proportion
//!   z-test, the formula of `statsmodels.stats.proportion.
//!   power_proportions_2indep`: with r = n_c/n_t,
//!   p̄ = (p_t + r p_c)/(1 + r), σ₀ = √(p̄(1 − p̄)(1 + 1/r)) (pooled, null),
//!   σ₁ = √(p_t(1 − p_t) + p_c(1 − p_c)/r) (unpooled, alternative),
//!   d = p_t − p_c: two-sided power =
//!   Φc((z_{α/2} σ₀ − d √n_t)/σ₁) + Φ((−z_{α/2} σ₀ − d √n_t)/σ₁);
//!   one-sided keeps the matching tail with z_α.
//! * [`logrank_schoenfeld`]: Schoenfeld's approximation: the log-rank Z is
//!   N(θ √(D π(1 − π)), 1) with θ = ln HR, D events and π the treatment
//!   share; power from the normal tails as above (both tails when
//!   two-sided).
//! * Sample sizes ([`n_per_arm_for_power`],
//!   [`n_per_arm_for_power_proportions`], [`logrank_events_for_power`]): the
//!   smallest integer for which the power function above reaches the target,
//!   by doubling then bisection (the power functions increase with n).

use super::Alternative;
use super::nct;
use super::special::{norm_cdf, norm_isf, norm_sf, t_isf};

/// Which t-test the power is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TKind {
    /// Pooled variance, df = n_t + n_c − 2.
    Student,
    /// Unequal variances, Welch–Satterthwaite df.
    Welch,
}

/// Invalid inputs to a power or sample-size calculation.
#[derive(Debug, Clone, PartialEq, thiserror::Error, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PowerError {
    /// An input is NaN or infinite.
    #[error("{name} must be finite (got {value})")]
    NonFinite {
        /// Argument name.
        name: &'static str,
        /// Value given.
        value: f64,
    },
    /// A standard deviation is zero or negative.
    #[error("{name} must be positive (got {value})")]
    NonPositiveSd {
        /// Argument name.
        name: &'static str,
        /// Value given.
        value: f64,
    },
    /// An arm has fewer than 2 patients (or fewer than 1 event in total).
    #[error("{name} must be at least {minimum} (got {value})")]
    TooSmall {
        /// Argument name.
        name: &'static str,
        /// Value given.
        value: f64,
        /// Smallest accepted value.
        minimum: f64,
    },
    /// α is not in (0, 1).
    #[error("alpha must be in (0, 1) (got {0})")]
    AlphaOutOfRange(f64),
    /// The target power is not in (0, 1).
    #[error("target power must be in (0, 1) (got {0})")]
    PowerOutOfRange(f64),
    /// A proportion is not in (0, 1).
    #[error("{name} must be in (0, 1) (got {value})")]
    ProportionOutOfRange {
        /// Argument name.
        name: &'static str,
        /// Value given.
        value: f64,
    },
    /// The hazard ratio is not positive.
    #[error("hazard ratio must be positive (got {0})")]
    NonPositiveHazardRatio(f64),
    /// The allocation ratio or share is out of range.
    #[error("allocation must be {expected} (got {value})")]
    AllocationOutOfRange {
        /// The accepted range.
        expected: &'static str,
        /// Value given.
        value: f64,
    },
    /// No sample size up to `limit` reaches the target power (no effect, or
    /// an effect in the direction opposite to a one-sided alternative).
    #[error("no sample size up to {limit} reaches the target power")]
    TargetUnreachable {
        /// Largest size tried.
        limit: u64,
    },
}

/// Sizes of the two arms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct SampleSize {
    /// Patients (or the unit being counted) in the treatment arm.
    pub n_treatment: u64,
    /// Patients in the control arm.
    pub n_control: u64,
}

/// Largest control-arm size (or number of events) a search tries.
pub const SEARCH_LIMIT: u64 = 1 << 30;

fn finite(name: &'static str, value: f64) -> Result<f64, PowerError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(PowerError::NonFinite { name, value })
    }
}

fn check_alpha(alpha: f64) -> Result<(), PowerError> {
    if alpha > 0.0 && alpha < 1.0 {
        Ok(())
    } else {
        Err(PowerError::AlphaOutOfRange(alpha))
    }
}

fn check_target(power: f64) -> Result<(), PowerError> {
    if power > 0.0 && power < 1.0 {
        Ok(())
    } else {
        Err(PowerError::PowerOutOfRange(power))
    }
}

fn check_positive_sd(name: &'static str, sd: f64) -> Result<(), PowerError> {
    finite(name, sd)?;
    if sd > 0.0 {
        Ok(())
    } else {
        Err(PowerError::NonPositiveSd { name, value: sd })
    }
}

fn check_at_least(name: &'static str, value: f64, minimum: f64) -> Result<(), PowerError> {
    finite(name, value)?;
    if value >= minimum {
        Ok(())
    } else {
        Err(PowerError::TooSmall {
            name,
            value,
            minimum,
        })
    }
}

fn check_proportion(name: &'static str, p: f64) -> Result<(), PowerError> {
    finite(name, p)?;
    if p > 0.0 && p < 1.0 {
        Ok(())
    } else {
        Err(PowerError::ProportionOutOfRange { name, value: p })
    }
}

/// Power of the two-sample t-test (see the module docs for the formula).
///
/// `delta` is the true mean difference (treatment − control), `sd_t`/`sd_c`
/// the true SDs and `n_t`/`n_c` the arm sizes (≥ 2, may be non-integer).
#[allow(clippy::too_many_arguments)] // signature fixed by the analysis API
pub fn t_two_sample(
    delta: f64,
    sd_t: f64,
    sd_c: f64,
    n_t: f64,
    n_c: f64,
    alpha: f64,
    alt: Alternative,
    kind: TKind,
) -> Result<f64, PowerError> {
    finite("delta", delta)?;
    check_positive_sd("sd_t", sd_t)?;
    check_positive_sd("sd_c", sd_c)?;
    check_at_least("n_t", n_t, 2.0)?;
    check_at_least("n_c", n_c, 2.0)?;
    check_alpha(alpha)?;
    let (se, df) = match kind {
        TKind::Student => {
            let df = n_t + n_c - 2.0;
            let pooled = ((n_t - 1.0) * sd_t * sd_t + (n_c - 1.0) * sd_c * sd_c) / df;
            ((pooled * (1.0 / n_t + 1.0 / n_c)).sqrt(), df)
        }
        TKind::Welch => {
            let vt = sd_t * sd_t / n_t;
            let vc = sd_c * sd_c / n_c;
            let v = vt + vc;
            (
                v.sqrt(),
                v * v / (vt * vt / (n_t - 1.0) + vc * vc / (n_c - 1.0)),
            )
        }
    };
    let ncp = delta / se;
    if !ncp.is_finite() || !df.is_finite() {
        return Err(PowerError::NonFinite {
            name: "noncentrality",
            value: ncp,
        });
    }
    let power = match alt {
        Alternative::TwoSided => {
            let crit = t_isf(alpha / 2.0, df);
            nct::sf(crit, df, ncp) + nct::cdf(-crit, df, ncp)
        }
        Alternative::Greater => nct::sf(t_isf(alpha, df), df, ncp),
        Alternative::Less => nct::cdf(-t_isf(alpha, df), df, ncp),
    };
    Ok(power.clamp(0.0, 1.0))
}

/// Treatment-arm size for `n_control` patients in control and allocation
/// ratio `ratio` = n_treatment / n_control: ⌈ratio · n_control − 1e-9⌉.
fn treatment_size(ratio: f64, n_control: u64) -> u64 {
    (ratio * n_control as f64 - 1e-9).ceil().max(1.0) as u64
}

/// Smallest n with `power(n) ≥ target`, for n ≥ `start`.
fn smallest_reaching(
    start: u64,
    target: f64,
    power: impl Fn(u64) -> Result<f64, PowerError>,
) -> Result<u64, PowerError> {
    if power(start)? >= target {
        return Ok(start);
    }
    let mut lo = start; // power(lo) < target
    let mut hi = start.max(1) * 2;
    loop {
        if hi > SEARCH_LIMIT {
            return Err(PowerError::TargetUnreachable {
                limit: SEARCH_LIMIT,
            });
        }
        if power(hi)? >= target {
            break;
        }
        lo = hi;
        hi *= 2;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if power(mid)? >= target {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}

fn check_ratio(ratio: f64) -> Result<(), PowerError> {
    if ratio.is_finite() && ratio > 0.0 {
        Ok(())
    } else {
        Err(PowerError::AllocationOutOfRange {
            expected: "a positive finite ratio n_treatment / n_control",
            value: ratio,
        })
    }
}

/// Smallest control-arm size n (treatment ⌈ratio · n⌉, both ≥ 2) whose
/// t-test power reaches `target_power`. `allocation_ratio` =
/// n_treatment / n_control (1 for equal arms).
#[allow(clippy::too_many_arguments)] // mirrors t_two_sample
pub fn n_per_arm_for_power(
    delta: f64,
    sd_t: f64,
    sd_c: f64,
    allocation_ratio: f64,
    target_power: f64,
    alpha: f64,
    alt: Alternative,
    kind: TKind,
) -> Result<SampleSize, PowerError> {
    check_ratio(allocation_ratio)?;
    check_target(target_power)?;
    // validate the rest once, with a valid size
    t_two_sample(delta, sd_t, sd_c, 2.0, 2.0, alpha, alt, kind)?;
    let mut start = 2;
    while treatment_size(allocation_ratio, start) < 2 {
        start += 1;
        if start > SEARCH_LIMIT {
            return Err(PowerError::TargetUnreachable {
                limit: SEARCH_LIMIT,
            });
        }
    }
    let n = smallest_reaching(start, target_power, |n| {
        let nt = treatment_size(allocation_ratio, n) as f64;
        t_two_sample(delta, sd_t, sd_c, nt, n as f64, alpha, alt, kind)
    })?;
    Ok(SampleSize {
        n_treatment: treatment_size(allocation_ratio, n),
        n_control: n,
    })
}

/// Power of the pooled two-proportion z-test by the normal approximation
/// of `statsmodels` `power_proportions_2indep` (see the module docs).
/// Proportions must be in (0, 1) and arm sizes ≥ 1.
pub fn proportions(
    p_t: f64,
    p_c: f64,
    n_t: f64,
    n_c: f64,
    alpha: f64,
    alt: Alternative,
) -> Result<f64, PowerError> {
    check_proportion("p_t", p_t)?;
    check_proportion("p_c", p_c)?;
    check_at_least("n_t", n_t, 1.0)?;
    check_at_least("n_c", n_c, 1.0)?;
    check_alpha(alpha)?;
    let ratio = n_c / n_t;
    let pooled = (p_t + p_c * ratio) / (1.0 + ratio);
    let std_null = (pooled * (1.0 - pooled) + pooled * (1.0 - pooled) / ratio).sqrt();
    let std_alt = (p_t * (1.0 - p_t) + p_c * (1.0 - p_c) / ratio).sqrt();
    let diff = p_t - p_c;
    let shift = diff * n_t.sqrt() / std_alt;
    let std_ratio = std_null / std_alt;
    let power = match alt {
        Alternative::TwoSided => {
            let crit = norm_isf(alpha / 2.0);
            norm_sf(crit * std_ratio - shift) + norm_cdf(-crit * std_ratio - shift)
        }
        Alternative::Greater => norm_sf(norm_isf(alpha) * std_ratio - shift),
        Alternative::Less => norm_cdf(-norm_isf(alpha) * std_ratio - shift),
    };
    Ok(power.clamp(0.0, 1.0))
}

/// Smallest control-arm size n (treatment ⌈ratio · n⌉) whose
/// [`proportions`] power reaches `target_power`.
pub fn n_per_arm_for_power_proportions(
    p_t: f64,
    p_c: f64,
    allocation_ratio: f64,
    target_power: f64,
    alpha: f64,
    alt: Alternative,
) -> Result<SampleSize, PowerError> {
    check_ratio(allocation_ratio)?;
    check_target(target_power)?;
    proportions(p_t, p_c, 1.0, 1.0, alpha, alt)?;
    let n = smallest_reaching(1, target_power, |n| {
        let nt = treatment_size(allocation_ratio, n) as f64;
        proportions(p_t, p_c, nt, n as f64, alpha, alt)
    })?;
    Ok(SampleSize {
        n_treatment: treatment_size(allocation_ratio, n),
        n_control: n,
    })
}

fn check_share(share: f64) -> Result<(), PowerError> {
    if share > 0.0 && share < 1.0 {
        Ok(())
    } else {
        Err(PowerError::AllocationOutOfRange {
            expected: "a treatment share in (0, 1)",
            value: share,
        })
    }
}

/// Power of the log-rank test with `events` events in total by Schoenfeld's
/// approximation. `hazard_ratio` is treatment vs control;
/// `allocation_treatment_share` is the fraction randomised to treatment
/// (0.5 for 1:1). `Less` means the alternative "treatment hazard lower".
pub fn logrank_schoenfeld(
    hazard_ratio: f64,
    events: f64,
    allocation_treatment_share: f64,
    alpha: f64,
    alt: Alternative,
) -> Result<f64, PowerError> {
    finite("hazard_ratio", hazard_ratio)?;
    if hazard_ratio <= 0.0 {
        return Err(PowerError::NonPositiveHazardRatio(hazard_ratio));
    }
    check_at_least("events", events, 1.0)?;
    check_share(allocation_treatment_share)?;
    check_alpha(alpha)?;
    let share = allocation_treatment_share;
    let mean = hazard_ratio.ln() * (events * share * (1.0 - share)).sqrt();
    let power = match alt {
        Alternative::TwoSided => {
            let crit = norm_isf(alpha / 2.0);
            norm_sf(crit - mean) + norm_cdf(-crit - mean)
        }
        Alternative::Greater => norm_sf(norm_isf(alpha) - mean),
        Alternative::Less => norm_cdf(-norm_isf(alpha) - mean),
    };
    Ok(power.clamp(0.0, 1.0))
}

/// Smallest whole number of events whose [`logrank_schoenfeld`] power
/// reaches `target_power`. Equal to the ceiling of the textbook
/// (z_{α} + z_{β})² / (π(1 − π) ln² HR) except that the far tail of a
/// two-sided test is counted too, which can lower it by one event.
pub fn logrank_events_for_power(
    hazard_ratio: f64,
    allocation_treatment_share: f64,
    target_power: f64,
    alpha: f64,
    alt: Alternative,
) -> Result<u64, PowerError> {
    check_target(target_power)?;
    logrank_schoenfeld(hazard_ratio, 1.0, allocation_treatment_share, alpha, alt)?;
    smallest_reaching(1, target_power, |d| {
        logrank_schoenfeld(
            hazard_ratio,
            d as f64,
            allocation_treatment_share,
            alpha,
            alt,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prime_hfref_welch_power_is_83_93_percent() {
        // PRIME-HFrEF reports 83.92 %; Welch, two-sided, α = 0.05.
        let power = t_two_sample(
            -39.46 - 3.46,
            59.85,
            16.26,
            20.0,
            19.0,
            0.05,
            Alternative::TwoSided,
            TKind::Welch,
        )
        .unwrap();
        assert_eq!((power * 1e4).round() / 1e4, 0.8393, "power = {power}");
    }

    #[test]
    fn invalid_inputs_are_typed_errors() {
        let a = Alternative::TwoSided;
        assert!(matches!(
            t_two_sample(1.0, 0.0, 1.0, 10.0, 10.0, 0.05, a, TKind::Student),
            Err(PowerError::NonPositiveSd { name: "sd_t", .. })
        ));
        assert!(matches!(
            t_two_sample(1.0, 1.0, 1.0, 1.0, 10.0, 0.05, a, TKind::Student),
            Err(PowerError::TooSmall { name: "n_t", .. })
        ));
        assert_eq!(
            logrank_schoenfeld(0.7, 100.0, 0.5, 1.5, a),
            Err(PowerError::AlphaOutOfRange(1.5))
        );
        assert!(matches!(
            n_per_arm_for_power(0.0, 1.0, 1.0, 1.0, 0.8, 0.05, a, TKind::Student),
            Err(PowerError::TargetUnreachable { .. })
        ));
    }

    #[test]
    fn sample_size_is_the_smallest_reaching_the_target() {
        let a = Alternative::TwoSided;
        let s = n_per_arm_for_power(0.5, 1.0, 1.0, 1.0, 0.8, 0.05, a, TKind::Student).unwrap();
        // Classic answer: 64 per arm for d = 0.5, 80 %, two-sided 5 %.
        assert_eq!(
            s,
            SampleSize {
                n_treatment: 64,
                n_control: 64
            }
        );
    }
}
