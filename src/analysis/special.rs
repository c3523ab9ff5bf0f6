//! Special functions shared by the kernels: normal and Student t tails,
//! the regularized incomplete beta function and its inverse, and a
//! safeguarded Newton root finder.
//!
//! `statrs` supplies `erfc_inv` and `ln_gamma`, and `erfc` for |z| < 0.5;
//! `erfc` for |z| ≥ 0.5 comes from [`super::erfc`] because statrs' version
//! is off by up to 1e-10 relative there (a float-constant transcription
//! slip; see that module). The incomplete beta is
//! written here because `statrs::function::beta::beta_reg` stops its
//! continued fraction after 140 terms, too few for large degrees of freedom,
//! and takes `x` only (so `1 − x` loses digits when `x` is near 1).

use super::erfc::erfc_large;
use statrs::function::erf::erfc_inv;
use statrs::function::gamma::ln_gamma;
use std::f64::consts::{FRAC_1_SQRT_2, LN_2, SQRT_2};

/// ln(√(2π)).
pub(crate) const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// Complementary error function, accurate to a few ulps everywhere.
pub(crate) fn erfc(z: f64) -> f64 {
    if z.is_nan() {
        f64::NAN
    } else if z >= 0.5 {
        erfc_large(z)
    } else if z <= -0.5 {
        2.0 - erfc_large(-z)
    } else {
        statrs::function::erf::erfc(z)
    }
}

/// Standard normal upper tail P(Z > x), accurate in relative terms in both
/// tails.
pub(crate) fn norm_sf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    0.5 * erfc(x * FRAC_1_SQRT_2)
}

/// Standard normal lower tail P(Z ≤ x).
pub(crate) fn norm_cdf(x: f64) -> f64 {
    norm_sf(-x)
}

/// Standard normal density.
pub(crate) fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x - LN_SQRT_2PI).exp()
}

/// Upper quantile: the `x` with P(Z > x) = q, for q in (0, 1). Boost's
/// `erfc_inv` followed by one Newton step in the tail that is computed.
pub(crate) fn norm_isf(q: f64) -> f64 {
    if q <= 0.0 {
        return f64::INFINITY;
    }
    if q >= 1.0 {
        return f64::NEG_INFINITY;
    }
    let mut x = SQRT_2 * erfc_inv(2.0 * q);
    if x.is_finite() {
        // Newton step on the smaller tail, in relative terms.
        let (tail, sign) = if x >= 0.0 {
            (norm_sf(x), 1.0)
        } else {
            (norm_cdf(x), -1.0)
        };
        let target = if x >= 0.0 { q } else { 1.0 - q };
        let pdf = norm_pdf(x);
        if pdf > 0.0 && tail > 0.0 {
            x += sign * (tail - target) / pdf;
        }
    }
    x
}

/// Natural logarithm of the upper tail, ln P(Z > x), finite for every finite
/// x (a continued fraction beyond x = 30, where the tail underflows).
pub(crate) fn ln_norm_sf(x: f64) -> f64 {
    if x < -5.0 {
        (-norm_cdf(x)).ln_1p()
    } else if x <= 30.0 {
        norm_sf(x).ln()
    } else {
        -0.5 * x * x - LN_SQRT_2PI + mills_ratio_large(x).ln()
    }
}

/// Inverse Mills ratio φ(x)/P(Z > x), the derivative of −ln P(Z > x).
pub(crate) fn inverse_mills(x: f64) -> f64 {
    if x <= 30.0 {
        let sf = norm_sf(x);
        if sf > 0.0 {
            return norm_pdf(x) / sf;
        }
    }
    1.0 / mills_ratio_large(x)
}

/// Mills ratio P(Z > x)/φ(x) for large x by the Laplace continued fraction
/// 1/(x + 1/(x + 2/(x + 3/(x + …)))), evaluated backwards.
fn mills_ratio_large(x: f64) -> f64 {
    let mut tail = x;
    for k in (1..=60).rev() {
        tail = x + f64::from(k) / tail;
    }
    1.0 / tail
}

/// Stirling correction: ln Γ(x) − [(x − ½) ln x − x + ln √(2π)], for x ≥ 10.
fn stirling_correction(x: f64) -> f64 {
    let r = 1.0 / x;
    let r2 = r * r;
    r * (1.0 / 12.0
        - r2 * (1.0 / 360.0 - r2 * (1.0 / 1260.0 - r2 * (1.0 / 1680.0 - r2 * (1.0 / 1188.0)))))
}

/// ln B(a, b), with the large-argument cancellation of
/// ln Γ(a) − ln Γ(a + b) done analytically (Stirling series).
pub(crate) fn ln_beta(a: f64, b: f64) -> f64 {
    let (small, large) = if a < b { (a, b) } else { (b, a) };
    if large < 10.0 {
        return ln_gamma(small) + ln_gamma(large) - ln_gamma(small + large);
    }
    // ln Γ(large) − ln Γ(large + small)
    let sum = large + small;
    let diff = -(sum - 0.5) * (small / large).ln_1p() - small * large.ln()
        + small
        + stirling_correction(large)
        - stirling_correction(sum);
    ln_gamma(small) + diff
}

/// The Stirling correction of ln Γ(x) when x ≥ 10, where the series is
/// accurate to a few ulps; `None` below.
fn stirling_correction_if_large(x: f64) -> Option<f64> {
    if x >= 10.0 {
        Some(stirling_correction(x))
    } else {
        None
    }
}

/// ln x given x and its complement y = 1 − x: ln(1 − y) when y is small
/// (so that a rounded x near 1 does not lose digits).
fn ln_of(x: f64, y: f64) -> f64 {
    if y < 0.5 { (-y).ln_1p() } else { x.ln() }
}

/// Regularized incomplete beta I_x(a, b), given both `x` and `y = 1 − x`
/// (so that callers who know `1 − x` exactly do not lose digits).
pub(crate) fn beta_reg(a: f64, b: f64, x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() || a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 0.0;
    }
    if y <= 0.0 {
        return 1.0;
    }
    if x < (a + 1.0) / (a + b + 2.0) {
        let front = (a * ln_of(x, y) + b * ln_of(y, x) - ln_beta(a, b)).exp();
        front * beta_continued_fraction(a, b, x, y) / a
    } else {
        1.0 - beta_reg_upper(a, b, x, y)
    }
}

/// 1 − I_x(a, b) = I_y(b, a), computed directly in its small regime.
pub(crate) fn beta_reg_upper(a: f64, b: f64, x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() || a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if y <= 0.0 {
        return 0.0;
    }
    // Exactly the complement of beta_reg's branch condition (no recursion).
    if x < (a + 1.0) / (a + b + 2.0) {
        1.0 - beta_reg(a, b, x, y)
    } else {
        let front = (a * ln_of(x, y) + b * ln_of(y, x) - ln_beta(a, b)).exp();
        front * beta_continued_fraction(b, a, y, x) / b
    }
}

/// Continued fraction for I_x(a, b) (Numerical Recipes `betacf`, modified
/// Lentz), converging for x < (a + 1)/(a + b + 2).
fn beta_continued_fraction(a: f64, b: f64, x: f64, _y: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let qab = a + b;
    let qap = a + 1.0;
    let qam = a - 1.0;
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=20_000 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() <= f64::EPSILON {
            break;
        }
    }
    h
}

/// ln of the beta density at x (with y = 1 − x).
fn ln_beta_pdf(a: f64, b: f64, x: f64, y: f64) -> f64 {
    (a - 1.0) * ln_of(x, y) + (b - 1.0) * ln_of(y, x) - ln_beta(a, b)
}

/// Student t upper tail P(T > t) with `df` degrees of freedom (df > 0; an
/// infinite df gives the normal tail).
pub(crate) fn t_sf(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if df.is_infinite() {
        return norm_sf(t);
    }
    if t.is_infinite() {
        return if t > 0.0 { 0.0 } else { 1.0 };
    }
    let t2 = t * t;
    // x = df / (df + t²) and y = t² / (df + t²), both without cancellation.
    let (x, y) = if t2.is_finite() && t2 < f64::MAX / 2.0 {
        (df / (df + t2), t2 / (df + t2))
    } else {
        (0.0, 1.0)
    };
    if t > 0.0 {
        0.5 * beta_reg(0.5 * df, 0.5, x, y)
    } else {
        0.5 + 0.5 * beta_reg(0.5, 0.5 * df, y, x)
    }
}

/// Student t lower tail P(T ≤ t).
#[cfg(test)]
pub(crate) fn t_cdf(t: f64, df: f64) -> f64 {
    t_sf(-t, df)
}

/// ln of the Student t density.
fn ln_t_pdf(t: f64, df: f64) -> f64 {
    -0.5 * (df + 1.0) * (t * t / df).ln_1p() - 0.5 * df.ln() - ln_beta(0.5 * df, 0.5)
}

/// Upper quantile of Student t: the t with P(T > t) = q, q in (0, 1).
pub fn t_isf(q: f64, df: f64) -> f64 {
    if q.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if q <= 0.0 {
        return f64::INFINITY;
    }
    if q >= 1.0 {
        return f64::NEG_INFINITY;
    }
    if df.is_infinite() {
        return norm_isf(q);
    }
    if q > 0.5 {
        return -t_isf(1.0 - q, df);
    }
    if q == 0.5 {
        return 0.0;
    }
    // Solve ln P(T > t) = ln q for t > 0 (decreasing in t).
    let ln_q = q.ln();
    let start = {
        let z = norm_isf(q);
        // Cornish–Fisher style first-order correction.
        z + (z * z * z + z) / (4.0 * df)
    };
    let hi = t_upper_bracket(ln_q, df, start);
    solve_monotone(
        0.0,
        hi,
        start.clamp(0.0, hi),
        |t| {
            let sf = t_sf(t, df);
            let g = sf.ln() - ln_q;
            let dg = -(ln_t_pdf(t, df) - sf.ln()).exp();
            (g, dg)
        },
        false,
    )
}

fn t_upper_bracket(ln_q: f64, df: f64, start: f64) -> f64 {
    let mut hi = start.abs().max(1.0) * 2.0;
    for _ in 0..2000 {
        if t_sf(hi, df).ln() < ln_q {
            return hi;
        }
        hi *= 2.0;
        if !hi.is_finite() {
            return f64::MAX;
        }
    }
    hi
}

/// Quantile of the Beta(a, b) distribution: the x with I_x(a, b) = p.
pub(crate) fn beta_ppf(p: f64, a: f64, b: f64) -> f64 {
    if p.is_nan() || !(a > 0.0 && b > 0.0) {
        return f64::NAN;
    }
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    let ln_p = p.ln();
    solve_monotone(
        0.0,
        1.0,
        a / (a + b),
        |x| {
            let y = 1.0 - x;
            let cdf = beta_reg(a, b, x, y);
            let g = cdf.ln() - ln_p;
            let dg = (ln_beta_pdf(a, b, x, y) - cdf.ln()).exp();
            (g, dg)
        },
        true,
    )
}

/// Upper quantile of the Beta(a, b) distribution: the x with
/// 1 − I_x(a, b) = q.
pub(crate) fn beta_isf(q: f64, a: f64, b: f64) -> f64 {
    if q.is_nan() || !(a > 0.0 && b > 0.0) {
        return f64::NAN;
    }
    if q <= 0.0 {
        return 1.0;
    }
    if q >= 1.0 {
        return 0.0;
    }
    let ln_q = q.ln();
    solve_monotone(
        0.0,
        1.0,
        a / (a + b),
        |x| {
            let y = 1.0 - x;
            let sf = beta_reg_upper(a, b, x, y);
            let g = sf.ln() - ln_q;
            let dg = -(ln_beta_pdf(a, b, x, y) - sf.ln()).exp();
            (g, dg)
        },
        false,
    )
}

/// Safeguarded Newton iteration for the root of a monotone function `g` on
/// `[lo, hi]`. `f(x)` returns `(g(x), g'(x))`; `increasing` says whether g
/// increases with x. Falls back to bisection (geometric when the bracket
/// spans orders of magnitude) whenever a Newton step leaves the bracket or g
/// is not finite. Converges to a few ulps.
pub(crate) fn solve_monotone(
    mut lo: f64,
    mut hi: f64,
    start: f64,
    f: impl Fn(f64) -> (f64, f64),
    increasing: bool,
) -> f64 {
    let mut x = if start > lo && start < hi {
        start
    } else {
        0.5 * (lo + hi)
    };
    for _ in 0..400 {
        let (g, dg) = f(x);
        if g == 0.0 {
            return x;
        }
        // g = −inf (ln 0) counts as "below"; g = NaN as unknown → bisect.
        let below = if g.is_nan() { None } else { Some(g < 0.0) };
        match below {
            Some(true) => {
                if increasing {
                    lo = x
                } else {
                    hi = x
                }
            }
            Some(false) => {
                if increasing {
                    hi = x
                } else {
                    lo = x
                }
            }
            None => {}
        }
        let newton = x - g / dg;
        let next = if g.is_finite() && dg.is_finite() && dg != 0.0 && newton > lo && newton < hi {
            newton
        } else if lo > 0.0 && hi / lo > 16.0 {
            (lo.ln() + 0.5 * (hi.ln() - lo.ln())).exp()
        } else if lo == 0.0 && hi > 1e-300 && x < 1e-3 * hi {
            // Geometric-style bisection towards zero.
            (x * 1e-3).max(hi * 1e-6).min(0.5 * hi)
        } else {
            0.5 * (lo + hi)
        };
        if (next - x).abs() <= 2.0 * f64::EPSILON * x.abs()
            || hi - lo <= 2.0 * f64::EPSILON * hi.abs()
        {
            return next;
        }
        x = next;
    }
    x
}

/// Normalising constant of the density of w = ln S, S = √(V/ν), V ~ χ²_ν,
/// whose log-density is this constant + ν w − (ν/2)(e^{2w} − 1):
/// ln 2 + (ν/2) ln(ν/2) − ln Γ(ν/2) − ν/2.
pub(crate) fn ln_chi_log_constant(df: f64) -> f64 {
    let half = 0.5 * df;
    match stirling_correction_if_large(half) {
        // ln Γ(h) = (h − ½) ln h − h + ln √(2π) + corr(h)
        Some(corr) => LN_2 + 0.5 * half.ln() - LN_SQRT_2PI - corr,
        None => LN_2 + half * half.ln() - ln_gamma(half) - half,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn normal_tails_match_known_values() {
        // scipy.stats.norm.sf
        assert!(close(norm_sf(1.959_963_984_540_054_5), 0.025, 1e-14));
        assert!(close(norm_sf(10.0), 7.619_853_024_160_47e-24, 1e-13));
        assert!(close(ln_norm_sf(40.0), -804.608_442_013_753_9, 1e-13));
        assert!(close(norm_isf(0.025), 1.959_963_984_540_054_5, 1e-15));
        assert!(close(norm_isf(1e-20), 9.262_340_089_798_409, 1e-14));
    }

    #[test]
    fn t_tail_and_quantile_match_known_values() {
        // scipy.stats.t.sf(2.5, 7), t.isf(0.025, 21.93)
        assert!(close(t_sf(2.5, 7.0), 0.020_496_109_292_876_444, 1e-12));
        assert!(close(t_isf(0.025, 10.0), 2.228_138_851_986_275_3, 1e-13));
        let q = t_isf(1e-12, 3.5);
        assert!(close(t_sf(q, 3.5), 1e-12, 1e-12));
    }

    #[test]
    fn beta_quantiles_invert_the_incomplete_beta() {
        for &(a, b) in &[
            (1.0, 20.0),
            (3.0, 18.0),
            (150.0, 851.0),
            (0.5, 0.5),
            (1.0, 1e5),
        ] {
            for &p in &[1e-10, 0.025, 0.5, 0.975] {
                let x = beta_ppf(p, a, b);
                if x < 0.5 {
                    assert!(
                        close(beta_reg(a, b, x, 1.0 - x), p, 1e-12),
                        "{a} {b} {p} {x}"
                    );
                }
                let x = beta_isf(p, a, b);
                if x < 0.5 {
                    assert!(
                        close(beta_reg_upper(a, b, x, 1.0 - x), p, 1e-12),
                        "{a} {b} {p} {x}"
                    );
                }
            }
        }
    }
}
