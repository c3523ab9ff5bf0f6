//! Recursive numerical integration over the Z process of a group-sequential
//! test (Armitage, McPherson & Rowe 1969; Jennison & Turnbull 2000, ch. 19).
//!
//! The standardized statistics `Z_1, ..., Z_K` at information fractions
//! `t_1 < ... < t_K` are those of a Brownian motion with drift: the score
//! `B_k = Z_k sqrt(t_k)` has independent increments
//! `B_k - B_{k-1} ~ N(theta (t_k - t_{k-1}), t_k - t_{k-1})`, so
//! `E[Z_k] = theta sqrt(t_k)` (`theta` is the drift: the expected Z at
//! `t = 1`). A [`Stage`] holds the sub-density of the paths that have not
//! stopped by look k, on a grid over that look's continuation interval
//! `(a_k, b_k)`, multiplied by quadrature weights; the next look's sub-density
//! and the probabilities of crossing its bounds are sums over that grid.
//!
//! The grid is Jennison & Turnbull's (section 19.2): for a look whose Z has
//! mean `mu`, the `6r - 1` points
//!
//! ```text
//! mu - 3 - 4 ln(r / i)              i = 1, ..., r - 1
//! mu - 3 + 3 (i - r) / (2 r)        i = r, ..., 5r
//! mu + 3 + 4 ln(r / (6r - i))       i = 5r + 1, ..., 6r - 1
//! ```
//!
//! (dense in the middle, reaching `mu +- (3 + 4 ln r)`), cut to the
//! continuation interval with its ends added. Jennison & Turnbull use
//! Simpson's rule on it; hfsim uses 4-point Gauss-Legendre on each panel
//! instead, which with `r = 12` (280 nodes) integrates a normal density to
//! 2e-12 where Simpson's rule with `r = 48` (575 nodes) is off by 4e-9.

use crate::analysis::special::{norm_cdf, norm_sf};

/// Grid parameter `r` used by hfsim.
pub const GRID_R: usize = 12;

const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

#[inline]
fn phi(x: f64) -> f64 {
    INV_SQRT_2PI * (-0.5 * x * x).exp()
}

/// The sub-density of continuing paths at one look, on its grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// Information fraction of the look.
    pub t: f64,
    /// Grid nodes (Z scale), ascending.
    pub z: Vec<f64>,
    /// quadrature weight times sub-density at each node.
    pub mass: Vec<f64>,
}

impl Stage {
    /// Probability of having continued past this look.
    pub fn continuing(&self) -> f64 {
        self.mass.iter().sum()
    }
}

/// Gauss-Legendre nodes and weights on [-1, 1] (4 points).
const GL_NODES: [f64; 4] = [
    -0.861_136_311_594_052_6,
    -0.339_981_043_584_856_3,
    0.339_981_043_584_856_3,
    0.861_136_311_594_052_6,
];
const GL_WEIGHTS: [f64; 4] = [
    0.347_854_845_137_453_9,
    0.652_145_154_862_546_1,
    0.652_145_154_862_546_1,
    0.347_854_845_137_453_9,
];

/// Quadrature nodes and weights over `(lo, hi)` for a look whose Z has mean
/// `mu`: the panels between consecutive grid points, 4-point Gauss-Legendre
/// on each.
fn grid(mu: f64, lo: f64, hi: f64, r: usize) -> (Vec<f64>, Vec<f64>) {
    let rf = r as f64;
    let first = mu - 3.0 - 4.0 * rf.ln();
    let last = mu + 3.0 + 4.0 * rf.ln();
    let lo = lo.max(first);
    let hi = hi.min(last);
    if hi <= lo || hi.is_nan() || lo.is_nan() {
        return (Vec::new(), Vec::new());
    }
    let mut ends: Vec<f64> = Vec::with_capacity(6 * r + 1);
    ends.push(lo);
    for i in 1..(6 * r) {
        let x = if i < r {
            mu - 3.0 - 4.0 * (rf / i as f64).ln()
        } else if i <= 5 * r {
            mu - 3.0 + 3.0 * (i as f64 - rf) / (2.0 * rf)
        } else {
            mu + 3.0 + 4.0 * (rf / (6.0 * rf - i as f64)).ln()
        };
        if x > lo && x < hi {
            ends.push(x);
        }
    }
    ends.push(hi);
    let panels = ends.len() - 1;
    let mut z = Vec::with_capacity(4 * panels);
    let mut w = Vec::with_capacity(4 * panels);
    for p in ends.windows(2) {
        let (mid, half) = (0.5 * (p[0] + p[1]), 0.5 * (p[1] - p[0]));
        for (g, gw) in GL_NODES.iter().zip(GL_WEIGHTS) {
            z.push(mid + half * g);
            w.push(half * gw);
        }
    }
    (z, w)
}

/// Transition terms from `prev` to a look at `t`: the increment's scale
/// factors `(sqrt(t), sqrt(t_prev), sqrt(t - t_prev))`.
#[inline]
fn scales(prev: &Stage, t: f64) -> (f64, f64, f64) {
    (t.sqrt(), prev.t.sqrt(), (t - prev.t).sqrt())
}

/// The first look: paths with `Z_1` in `(lo, hi)`.
pub fn first_stage(t: f64, drift: f64, lo: f64, hi: f64, r: usize) -> Stage {
    let mu = drift * t.sqrt();
    let (z, w) = grid(mu, lo, hi, r);
    let mass = z.iter().zip(&w).map(|(&x, &wi)| wi * phi(x - mu)).collect();
    Stage { t, z, mass }
}

/// The look after `prev` (at fraction `t > prev.t`): paths that continued
/// past `prev` and have `Z_k` in `(lo, hi)`.
pub fn next_stage(prev: &Stage, t: f64, drift: f64, lo: f64, hi: f64, r: usize) -> Stage {
    let mu = drift * t.sqrt();
    let (z, w) = grid(mu, lo, hi, r);
    let (st, sp, sd) = scales(prev, t);
    let shift = drift * (t - prev.t);
    let scale = st / sd;
    let inv_sd = 1.0 / sd;
    let mass = z
        .iter()
        .zip(&w)
        .map(|(&x, &wi)| {
            let b = x * st - shift;
            let dens: f64 = prev
                .z
                .iter()
                .zip(&prev.mass)
                .map(|(&u, &m)| m * phi((b - u * sp) * inv_sd))
                .sum();
            wi * scale * dens
        })
        .collect();
    Stage { t, z, mass }
}

/// P(continued past `prev` and `Z_k > c`) at a look at `t` (`prev = None`:
/// the first look).
pub fn cross_above(prev: Option<&Stage>, t: f64, drift: f64, c: f64) -> f64 {
    if c == f64::INFINITY {
        return 0.0;
    }
    match prev {
        None => norm_sf(c - drift * t.sqrt()),
        Some(p) => {
            let (st, sp, sd) = scales(p, t);
            let b = c * st - drift * (t - p.t);
            p.z.iter()
                .zip(&p.mass)
                .map(|(&u, &m)| m * norm_sf((b - u * sp) / sd))
                .sum()
        }
    }
}

/// P(continued past `prev` and `Z_k < f`).
pub fn cross_below(prev: Option<&Stage>, t: f64, drift: f64, f: f64) -> f64 {
    if f == f64::NEG_INFINITY {
        return 0.0;
    }
    match prev {
        None => norm_cdf(f - drift * t.sqrt()),
        Some(p) => {
            let (st, sp, sd) = scales(p, t);
            let b = f * st - drift * (t - p.t);
            p.z.iter()
                .zip(&p.mass)
                .map(|(&u, &m)| m * norm_cdf((b - u * sp) / sd))
                .sum()
        }
    }
}

/// Sub-density of `Z_k` at `x` among paths that continued past `prev`.
pub fn density(prev: Option<&Stage>, t: f64, drift: f64, x: f64) -> f64 {
    match prev {
        None => phi(x - drift * t.sqrt()),
        Some(p) => {
            let (st, sp, sd) = scales(p, t);
            let b = x * st - drift * (t - p.t);
            st / sd
                * p.z
                    .iter()
                    .zip(&p.mass)
                    .map(|(&u, &m)| m * phi((b - u * sp) / sd))
                    .sum::<f64>()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_integrates_the_normal_density() {
        let s = first_stage(0.5, 1.3, f64::NEG_INFINITY, f64::INFINITY, GRID_R);
        assert!((s.continuing() - 1.0).abs() < 1e-11, "{}", s.continuing());
        let s = first_stage(0.5, 0.0, -0.4, 1.7, GRID_R);
        let exact = norm_cdf(1.7) - norm_cdf(-0.4);
        assert!((s.continuing() - exact).abs() < 1e-13);
    }

    #[test]
    fn two_looks_without_bounds_keep_all_mass_and_the_marginal_of_the_second() {
        // With no stopping at look 1, Z_2 is N(drift sqrt(t2), 1).
        let drift = 2.0;
        let s1 = first_stage(0.4, drift, f64::NEG_INFINITY, f64::INFINITY, GRID_R);
        for c in [-1.0, 0.5, 2.0, 3.5] {
            let p = cross_above(Some(&s1), 0.9, drift, c);
            let exact = norm_sf(c - drift * 0.9f64.sqrt());
            assert!((p - exact).abs() < 1e-12, "c {c}: {p} vs {exact}");
        }
        let s2 = next_stage(&s1, 0.9, drift, f64::NEG_INFINITY, f64::INFINITY, GRID_R);
        assert!((s2.continuing() - 1.0).abs() < 1e-11);
    }

    #[test]
    fn bivariate_crossing_matches_the_closed_form_for_two_looks() {
        // P(Z1 < a, Z2 > c) with corr sqrt(t1/t2) under the null, against
        // a fine one-dimensional quadrature of the conditional normal.
        let (t1, t2, a, c): (f64, f64, f64, f64) = (0.5, 1.0, 2.0, 1.9);
        let s1 = first_stage(t1, 0.0, f64::NEG_INFINITY, a, GRID_R);
        let p = cross_above(Some(&s1), t2, 0.0, c);
        let rho = (t1 / t2).sqrt();
        // integrate phi(z) * sf((c - rho z)/sqrt(1-rho^2)) over z < a with
        // a composite Simpson rule of 200000 panels on [-12, a]
        let n = 200_000;
        let h = (a + 12.0) / n as f64;
        let f = |z: f64| phi(z) * norm_sf((c - rho * z) / (1.0 - rho * rho).sqrt());
        let mut sum = f(-12.0) + f(a);
        for i in 1..n {
            let z = -12.0 + i as f64 * h;
            sum += if i % 2 == 1 { 4.0 } else { 2.0 } * f(z);
        }
        let exact = sum * h / 3.0;
        assert!((p - exact).abs() < 1e-13, "{p} vs {exact}");
    }
}
