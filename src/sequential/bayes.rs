//! Bayesian decision rules: posterior and predictive probabilities that the
//! treatment benefit exceeds a threshold.
//!
//! * Normal (continuous and time-to-event endpoints): the estimate
//!   `theta_hat` with standard error `se` is taken as `N(theta, se^2)`; with
//!   a normal prior `N(m0, s0^2)` on the benefit `theta` the posterior is
//!   normal with precision `tau = 1/s0^2 + 1/se^2` and mean
//!   `(m0/s0^2 + theta_hat/se^2)/tau` (flat prior: `N(theta_hat, se^2)`), and
//!   `P(theta > d) = 1 - Phi((d - mean) sqrt(tau))`.
//! * Beta-binomial (yes/no endpoints): a `Beta(a, b)` prior on each arm's
//!   proportion gives `Beta(a + x, b + n - x)` posteriors and
//!   `P(p_X - p_Y > d) = F_Y(-d) [d < 0] + integral of f_Y(p) (1 - F_X(p + d))`
//!   over `p` in `[max(0, -d), min(1, 1 - d)]`, by tanh-sinh quadrature.
//! * Predictive probability of success at an interim: the probability, under
//!   the posterior predictive distribution of the data still to come, that
//!   the final analysis succeeds (posterior probability at least the final
//!   success level). Normal: closed form (the final estimate is a weighted
//!   mean of the current one and a future one); beta-binomial: a sum over
//!   the future successes of both arms, using that success is monotone in
//!   each arm's count (a two-pointer sweep, linear in the arm sizes).

use crate::analysis::special::{beta_reg, beta_reg_upper, ln_beta, norm_isf, norm_sf};

/// A normal posterior.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NormalPosterior {
    pub mean: f64,
    pub sd: f64,
}

/// Conjugate normal update of `prior` (`(mean, sd)`, `None` flat) with an
/// estimate and its standard error.
pub fn normal_posterior(prior: Option<(f64, f64)>, estimate: f64, se: f64) -> NormalPosterior {
    let data_precision = 1.0 / (se * se);
    match prior {
        None => NormalPosterior {
            mean: estimate,
            sd: se,
        },
        Some((m0, s0)) => {
            let p0 = 1.0 / (s0 * s0);
            let tau = p0 + data_precision;
            NormalPosterior {
                mean: (p0 * m0 + data_precision * estimate) / tau,
                sd: 1.0 / tau.sqrt(),
            }
        }
    }
}

impl NormalPosterior {
    /// `P(theta > threshold)`.
    pub fn prob_exceeds(&self, threshold: f64) -> f64 {
        norm_sf((threshold - self.mean) / self.sd)
    }
}

/// Predictive probability that the final analysis, with information
/// `info_final` (`1/se^2` of the final estimate), has posterior probability
/// `P(theta > threshold) >= success`, given the current estimate with
/// standard error `se` (information `1/se^2`).
pub fn normal_predictive_success(
    prior: Option<(f64, f64)>,
    estimate: f64,
    se: f64,
    info_final: f64,
    threshold: f64,
    success: f64,
) -> f64 {
    let info_now = 1.0 / (se * se);
    let post = normal_posterior(prior, estimate, se);
    let remaining = info_final - info_now;
    if remaining <= info_now * 1e-12 {
        return if post.prob_exceeds(threshold) >= success {
            1.0
        } else {
            0.0
        };
    }
    let (p0, m0) = prior.map_or((0.0, 0.0), |(m, s)| (1.0 / (s * s), m));
    let tau_final = p0 + info_final;
    // success iff the final estimate is at least `cut`
    let z = norm_isf(1.0 - success);
    let cut = ((threshold + z / tau_final.sqrt()) * tau_final - p0 * m0) / info_final;
    let tau_now = 1.0 / (post.sd * post.sd);
    let mean = (info_now * estimate + remaining * post.mean) / info_final;
    let sd = remaining / info_final * (1.0 / tau_now + 1.0 / remaining).sqrt();
    norm_sf((cut - mean) / sd)
}

/// A beta distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Beta {
    pub a: f64,
    pub b: f64,
}

impl Beta {
    /// Posterior after `x` successes in `n`.
    pub fn updated(self, x: u64, n: u64) -> Beta {
        Beta {
            a: self.a + x as f64,
            b: self.b + (n - x) as f64,
        }
    }
    fn ln_density(&self, p: f64, q: f64) -> f64 {
        (self.a - 1.0) * p.ln() + (self.b - 1.0) * q.ln() - ln_beta(self.a, self.b)
    }
    fn cdf(&self, p: f64) -> f64 {
        beta_reg(self.a, self.b, p, 1.0 - p)
    }
    fn sf(&self, p: f64) -> f64 {
        if p >= 1.0 {
            0.0
        } else if p <= 0.0 {
            1.0
        } else {
            beta_reg_upper(self.a, self.b, p, 1.0 - p)
        }
    }
}

/// `P(X - Y > d)` for independent beta variables.
pub fn prob_difference_exceeds(x: Beta, y: Beta, d: f64) -> f64 {
    if d >= 1.0 {
        return 0.0;
    }
    if d <= -1.0 {
        return 1.0;
    }
    let lo = (-d).max(0.0);
    let hi = (1.0 - d).min(1.0);
    let below = if d < 0.0 { y.cdf(-d) } else { 0.0 };
    // f_Y(p) S_X(p + d) over [lo, hi], tanh-sinh with p - lo and hi - p exact
    let f = |from_lo: f64, from_hi: f64| {
        let p = lo + from_lo;
        let q = if hi == 1.0 { from_hi } else { 1.0 - p };
        if p <= 0.0 || q <= 0.0 {
            return 0.0;
        }
        let dens = y.ln_density(p, q).exp();
        dens * x.sf(p + d)
    };
    (below + tanh_sinh(hi - lo, f)).clamp(0.0, 1.0)
}

/// Tanh-sinh quadrature of `f` over an interval of length `len`; `f` takes
/// the distances of the node from both ends (so endpoint singularities
/// and complements keep their digits). Refined until two levels agree to
/// 1e-14 (relative) or level 7. The nodes run out to `t = 6`, distance
/// about `1e-275 len` from the ends: a beta density with a parameter below 1
/// (Jeffreys' 0.5, or a posterior after no successes) has mass `~ eps^a`
/// within `eps` of an end, which the usual `t = 3.2` (`eps ~ 1e-17`) would
/// cut off at the 1e-8 level.
fn tanh_sinh(len: f64, f: impl Fn(f64, f64) -> f64) -> f64 {
    use std::f64::consts::FRAC_PI_2;
    let node = |t: f64| {
        let u = FRAC_PI_2 * t.sinh();
        let from_lo = len / (1.0 + (-2.0 * u).exp());
        let from_hi = len / (1.0 + (2.0 * u).exp());
        let w = 0.5 * len * FRAC_PI_2 * t.cosh() / u.cosh().powi(2);
        (from_lo, from_hi, w)
    };
    let t_max = 6.0;
    let mut h = 0.5;
    let eval = |t: f64| {
        let (a, b, w) = node(t);
        if w == 0.0 || !w.is_finite() {
            0.0
        } else {
            w * f(a, b)
        }
    };
    let mut sum = eval(0.0);
    let mut k = 1;
    while k as f64 * h <= t_max {
        let t = k as f64 * h;
        sum += eval(t) + eval(-t);
        k += 1;
    }
    let mut estimate = sum * h;
    for _level in 0..7 {
        h /= 2.0;
        let mut k = 1;
        while k as f64 * h <= t_max {
            let t = k as f64 * h;
            sum += eval(t) + eval(-t);
            k += 2;
        }
        let next = sum * h;
        if (next - estimate).abs() <= 1e-14 * next.abs().max(1e-300) {
            return next;
        }
        estimate = next;
    }
    estimate
}

/// Beta-binomial probabilities of 0..=m future successes.
fn beta_binomial_pmf(m: u64, post: Beta) -> Vec<f64> {
    let ln_choose = |n: u64, k: u64| {
        statrs::function::gamma::ln_gamma(n as f64 + 1.0)
            - statrs::function::gamma::ln_gamma(k as f64 + 1.0)
            - statrs::function::gamma::ln_gamma((n - k) as f64 + 1.0)
    };
    (0..=m)
        .map(|y| {
            (ln_choose(m, y) + ln_beta(post.a + y as f64, post.b + (m - y) as f64)
                - ln_beta(post.a, post.b))
            .exp()
        })
        .collect()
}

/// Predictive probability that after `m_x` and `m_y` more patients the
/// final posterior has `P(p_X - p_Y > d) >= success`, from the current
/// posteriors `x`, `y`.
pub fn beta_predictive_success(x: Beta, y: Beta, m_x: u64, m_y: u64, d: f64, success: f64) -> f64 {
    let px = beta_binomial_pmf(m_x, x);
    let py = beta_binomial_pmf(m_y, y);
    // tail_x[k] = P(Y_x >= k)
    let mut tail_x = vec![0.0; m_x as usize + 2];
    for k in (0..=m_x as usize).rev() {
        tail_x[k] = tail_x[k + 1] + px[k];
    }
    let wins = |yx: u64, yy: u64| {
        prob_difference_exceeds(
            Beta {
                a: x.a + yx as f64,
                b: x.b + (m_x - yx) as f64,
            },
            Beta {
                a: y.a + yy as f64,
                b: y.b + (m_y - yy) as f64,
            },
            d,
        ) >= success
    };
    let mut need = 0u64; // smallest y_x that succeeds given y_y (non-decreasing in y_y)
    let mut total = 0.0;
    for yy in 0..=m_y {
        while need <= m_x && !wins(need, yy) {
            need += 1;
        }
        total += py[yy as usize] * tail_x[need as usize];
    }
    total.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normal_posterior_matches_its_closed_form() {
        // prior N(0.5, 2^2), estimate 1.3 with SE 0.4: precision 1/4 + 1/0.16
        let post = normal_posterior(Some((0.5, 2.0)), 1.3, 0.4);
        let tau = 0.25 + 6.25;
        assert!((post.mean - (0.125 + 1.3 * 6.25) / tau).abs() < 1e-15);
        assert!((post.sd - 1.0 / tau.sqrt()).abs() < 1e-15);
        let flat = normal_posterior(None, 1.3, 0.4);
        assert_eq!((flat.mean, flat.sd), (1.3, 0.4));
    }

    /// Exact P(X > Y) for integer `a_x` (Evan Miller's sum).
    fn exact_greater(x: Beta, y: Beta) -> f64 {
        let mut total = 0.0;
        for i in 0..x.a as u64 {
            let i = i as f64;
            total += (ln_beta(y.a + i, y.b + x.b)
                - (x.b + i).ln()
                - ln_beta(1.0 + i, x.b)
                - ln_beta(y.a, y.b))
            .exp();
        }
        total
    }

    #[test]
    fn beta_difference_probability_matches_the_exact_sum() {
        for (x, y) in [
            (Beta { a: 8.0, b: 4.0 }, Beta { a: 5.0, b: 7.0 }),
            (Beta { a: 1.0, b: 1.0 }, Beta { a: 1.0, b: 1.0 }),
            (Beta { a: 31.0, b: 70.0 }, Beta { a: 22.0, b: 79.0 }),
            (Beta { a: 3.0, b: 0.5 }, Beta { a: 0.5, b: 9.5 }),
        ] {
            let q = prob_difference_exceeds(x, y, 0.0);
            let e = exact_greater(x, y);
            assert!((q - e).abs() < 1e-12, "{x:?} {y:?}: {q} vs {e}");
        }
        // symmetric case and complements
        let b = Beta { a: 4.0, b: 6.0 };
        assert!((prob_difference_exceeds(b, b, 0.0) - 0.5).abs() < 1e-13);
        let (x, y) = (Beta { a: 6.0, b: 3.0 }, Beta { a: 2.0, b: 5.0 });
        for d in [-0.4, -0.1, 0.1, 0.3] {
            let s = prob_difference_exceeds(x, y, d) + prob_difference_exceeds(y, x, -d);
            assert!((s - 1.0).abs() < 1e-12, "d {d}: {s}");
        }
    }

    #[test]
    fn predictive_success_is_zero_one_at_the_end_and_sensible_between() {
        // no information to come: success is decided now
        assert_eq!(
            normal_predictive_success(None, 0.5, 0.2, 25.0, 0.0, 0.975),
            1.0
        );
        assert_eq!(
            normal_predictive_success(None, 0.1, 0.2, 25.0, 0.0, 0.975),
            0.0
        );
        // with a flat prior and d = 0 the final rule is Z_final >= z_0.975,
        // and the predictive probability has the classical closed form
        // Phi((z_k sqrt(I_K/I_k)... ) ) (Spiegelhalter, Freedman & Blackburn 1986)
        let (est, se, info_final) = (0.3, 0.25, 64.0);
        let info_now = 1.0 / (se * se);
        let ppos = normal_predictive_success(None, est, se, info_final, 0.0, 0.975);
        let t = info_now / info_final;
        let zk = est / se;
        let classical = norm_sf((1.959963984540054 - zk / t.sqrt()) * (t / (1.0 - t)).sqrt());
        assert!((ppos - classical).abs() < 1e-12, "{ppos} vs {classical}");
        // beta-binomial: monotone in the current successes
        let prior = Beta { a: 1.0, b: 1.0 };
        let low = beta_predictive_success(
            prior.updated(4, 20),
            prior.updated(6, 20),
            20,
            20,
            0.0,
            0.95,
        );
        let high = beta_predictive_success(
            prior.updated(12, 20),
            prior.updated(6, 20),
            20,
            20,
            0.0,
            0.95,
        );
        assert!(low < 0.1 && high > 0.5 && high < 1.0, "{low} {high}");
    }
}
