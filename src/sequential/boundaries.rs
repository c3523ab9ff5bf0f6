//! Group-sequential boundaries on the Z scale: efficacy bounds from alpha
//! spending (Lan & DeMets) or the classical O'Brien-Fleming and Pocock
//! shapes, futility bounds from beta spending (binding or non-binding) or a
//! conditional-power threshold, the drift at which the design has power
//! `1 - beta` and the inflation factor of the maximum information over a
//! fixed design's.
//!
//! One-sided tests (large Z = efficacy), computed as rpact 3.3.4 does
//! (`getDesignGroupSequential`, `getDesignCharacteristics`) and checked
//! against it (`tests/sequential_boundaries.rs`, fixtures from
//! `scripts/sequential_fixtures/rpact_boundaries.R`):
//!
//! * alpha spending: `c_k` solves `P_0(continue to k, Z_k > c_k) =
//!   alpha(t_k) - alpha(t_{k-1})`; with non-binding futility the null
//!   probabilities ignore the futility bounds, with binding futility they
//!   include them;
//! * classical: `c_k = C t_k^(Delta - 1/2)` (`Delta = 0` O'Brien-Fleming,
//!   `1/2` Pocock) with `C` such that the total is `alpha`;
//! * beta spending: `f_k` solves `P_theta(continue to k, Z_k < f_k) =
//!   beta(t_k) - beta(t_{k-1})` under the drift `theta`, which is chosen so
//!   that the last futility bound meets the last efficacy bound (then the
//!   power at `theta` is `1 - beta`);
//! * without futility, `theta` solves `P_theta(reject) = 1 - beta`;
//! * inflation factor `(theta / (z_{1-alpha} + z_{1-beta}))^2`.

use super::integration::{
    GRID_R, Stage, cross_above, cross_below, density, first_stage, next_stage,
};
use super::spending::Spending;
use crate::analysis::special::{norm_isf, norm_sf, solve_monotone};
use serde::Serialize;
use thiserror::Error;

/// Efficacy boundary family.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Efficacy {
    /// Lan-DeMets alpha spending, recomputed at the observed information.
    Spending { spending: Spending },
    /// Classical O'Brien-Fleming: `c_k = C / sqrt(t_k)`.
    OBrienFleming,
    /// Classical Pocock: `c_k = C`.
    Pocock,
}

impl Efficacy {
    pub fn label(&self) -> String {
        match self {
            Efficacy::Spending { spending } => spending.label(),
            Efficacy::OBrienFleming => "OF".into(),
            Efficacy::Pocock => "P".into(),
        }
    }
}

/// Whether futility bounds are obeyed when computing the efficacy bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Binding {
    /// The efficacy bounds assume the trial always stops at a futility
    /// bound (lower efficacy bounds; alpha is only kept if it does).
    Binding,
    /// The efficacy bounds ignore futility (alpha is kept whatever is
    /// decided at a futility bound; the usual choice).
    NonBinding,
}

/// Which effect conditional power assumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// The effect estimated so far (`theta = Z_k / sqrt(t_k)`).
    CurrentTrend,
    /// The drift the design is powered for.
    Design,
}

/// Futility rule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Futility {
    None,
    /// Beta spending (rpact `typeBetaSpending`).
    BetaSpending {
        spending: Spending,
        binding: Binding,
    },
    /// Stop when the conditional power of rejecting at the final look is
    /// below `threshold` (non-binding).
    ConditionalPower {
        threshold: f64,
        under: Trend,
    },
}

/// A one-sided group-sequential design.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupSequential {
    /// One-sided significance level.
    pub alpha: f64,
    /// Type II error the design is powered for (drift, inflation factor,
    /// beta spending).
    pub beta: f64,
    /// Planned information fractions, increasing, the last 1.
    pub fractions: Vec<f64>,
    pub efficacy: Efficacy,
    pub futility: Futility,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum BoundaryError {
    #[error("alpha must be in (0, 0.5) (got {0})")]
    Alpha(f64),
    #[error("beta must be in (0, 1 - alpha) (got {0})")]
    Beta(f64),
    #[error(
        "information fractions must increase strictly, lie in (0, 1] and end with 1 (got {0:?})"
    )]
    Fractions(Vec<f64>),
    #[error("at most 20 looks (got {0})")]
    TooManyLooks(usize),
    #[error("beta spending needs an alpha-spending efficacy boundary (as in rpact)")]
    BetaSpendingNeedsAlphaSpending,
    #[error("a spending parameter is out of range: {0}")]
    Parameter(String),
    #[error("no drift gives the required power with these bounds ({0})")]
    NoDrift(String),
}

/// Computed bounds and characteristics of a design.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Boundaries {
    pub fractions: Vec<f64>,
    /// Efficacy critical values `c_k` (reject at look k if `Z_k >= c_k`).
    pub efficacy: Vec<f64>,
    /// Futility bounds `f_k` at the interim looks (stop if `Z_k < f_k`);
    /// `None` where there is none. The last look has none: not rejecting
    /// there is the futility decision.
    pub futility: Vec<Option<f64>>,
    /// Cumulative alpha spent under the null (ignoring non-binding futility).
    pub alpha_spent: Vec<f64>,
    /// Cumulative beta spent under the alternative (beta spending only).
    pub beta_spent: Option<Vec<f64>>,
    /// Nominal one-sided p-value of each efficacy bound, `1 - Phi(c_k)`.
    pub stage_levels: Vec<f64>,
    /// Drift (expected Z at full information) at which the power is `1 - beta`.
    pub drift: f64,
    /// Maximum information over that of a fixed design with the same alpha and power.
    pub inflation_factor: f64,
    /// Cumulative probability of rejecting by each look under the drift
    /// (futility bounds obeyed).
    pub power: Vec<f64>,
    /// Expected information at the stop relative to a fixed design with the
    /// same power (rpact's average sample number, futility obeyed): under
    /// the null, half the drift, and the drift.
    pub expected_information_h0: f64,
    pub expected_information_half: f64,
    pub expected_information_h1: f64,
}

/// Bounds below this are taken as "no bound" (minus infinity).
const LOWEST: f64 = -40.0;
const HIGHEST: f64 = 40.0;

impl GroupSequential {
    pub fn looks(&self) -> usize {
        self.fractions.len()
    }

    fn check(&self) -> Result<(), BoundaryError> {
        if !(self.alpha > 0.0 && self.alpha < 0.5) {
            return Err(BoundaryError::Alpha(self.alpha));
        }
        if !(self.beta > 0.0 && self.beta < 1.0 - self.alpha) {
            return Err(BoundaryError::Beta(self.beta));
        }
        let f = &self.fractions;
        let ok = !f.is_empty()
            && f.iter().all(|&t| t > 0.0 && t <= 1.0)
            && f.windows(2).all(|w| w[1] > w[0])
            && (f[f.len() - 1] - 1.0).abs() < 1e-12;
        if !ok {
            return Err(BoundaryError::Fractions(f.clone()));
        }
        if f.len() > 20 {
            return Err(BoundaryError::TooManyLooks(f.len()));
        }
        let check_spending = |s: &Spending| match *s {
            Spending::HwangShihDeCani { gamma } if !(-40.0..=40.0).contains(&gamma) => Err(
                BoundaryError::Parameter(format!("gamma must be in [-40, 40] (got {gamma})")),
            ),
            Spending::Power { rho } if !(rho > 0.0 && rho <= 20.0) => Err(
                BoundaryError::Parameter(format!("rho must be in (0, 20] (got {rho})")),
            ),
            _ => Ok(()),
        };
        if let Efficacy::Spending { spending } = &self.efficacy {
            check_spending(spending)?;
        }
        match &self.futility {
            Futility::BetaSpending { spending, .. } => {
                check_spending(spending)?;
                if !matches!(self.efficacy, Efficacy::Spending { .. }) {
                    return Err(BoundaryError::BetaSpendingNeedsAlphaSpending);
                }
            }
            Futility::ConditionalPower { threshold, .. } => {
                if !(*threshold > 0.0 && *threshold < 1.0) {
                    return Err(BoundaryError::Parameter(format!(
                        "the conditional power threshold must be in (0, 1) (got {threshold})"
                    )));
                }
            }
            Futility::None => {}
        }
        Ok(())
    }

    /// Compute the planned bounds and characteristics.
    pub fn compute(&self) -> Result<Boundaries, BoundaryError> {
        self.check()?;
        let k_max = self.looks();
        let t = &self.fractions;
        let z_fixed = norm_isf(self.alpha) + norm_isf(self.beta);
        let (efficacy, futility_raw, drift) = match (self.efficacy, self.futility) {
            (
                Efficacy::Spending { spending },
                Futility::BetaSpending {
                    spending: bs,
                    binding,
                },
            ) => {
                let (c, f, drift) = self.beta_spending(spending, bs, binding)?;
                (c, f.into_iter().map(Some).collect::<Vec<_>>(), drift)
            }
            (efficacy, futility) => {
                let c = match efficacy {
                    Efficacy::Spending { spending } => {
                        efficacy_bounds(t, self.alpha, spending, None).0
                    }
                    Efficacy::OBrienFleming => classical(t, self.alpha, 0.0),
                    Efficacy::Pocock => classical(t, self.alpha, 0.5),
                };
                let drift = drift_for_power(t, &c, &vec![None; k_max], 1.0 - self.beta)?;
                let f = match futility {
                    Futility::ConditionalPower { threshold, under } => t
                        .iter()
                        .enumerate()
                        .map(|(k, &tk)| {
                            (k + 1 < k_max).then(|| {
                                conditional_power_bound(tk, c[k_max - 1], threshold, under, drift)
                                    .min(c[k])
                            })
                        })
                        .collect(),
                    _ => vec![None; k_max],
                };
                (c, f, drift)
            }
        };
        let mut futility: Vec<Option<f64>> = futility_raw;
        if let Some(last) = futility.last_mut() {
            *last = None;
        }
        for f in futility.iter_mut() {
            if f.is_some_and(|x| x <= LOWEST) {
                *f = None;
            }
        }
        let binding = matches!(
            self.futility,
            Futility::BetaSpending {
                binding: Binding::Binding,
                ..
            }
        );
        let h0_futility: Vec<Option<f64>> = if binding {
            futility.clone()
        } else {
            vec![None; k_max]
        };
        let (alpha_probs, _) = crossing_probabilities(t, 0.0, &efficacy, &h0_futility);
        let alpha_spent = cumulative(&alpha_probs);
        let (power_probs, futility_probs) = crossing_probabilities(t, drift, &efficacy, &futility);
        let beta_spent = matches!(self.futility, Futility::BetaSpending { .. }).then(|| {
            let mut cum = cumulative(&futility_probs);
            // at the last look "not rejecting" is the futility decision
            let last = cum.len() - 1;
            cum[last] = 1.0 - power_probs.iter().sum::<f64>();
            cum
        });
        let inflation_factor = (drift / z_fixed).powi(2);
        let expected = |theta: f64| {
            let (up, down) = crossing_probabilities(t, theta, &efficacy, &futility);
            let mut e = 0.0;
            let mut stopped = 0.0;
            for k in 0..k_max - 1 {
                e += t[k] * (up[k] + down[k]);
                stopped += up[k] + down[k];
            }
            (e + (1.0 - stopped)) * inflation_factor
        };
        Ok(Boundaries {
            fractions: t.clone(),
            stage_levels: efficacy.iter().map(|&c| norm_sf(c)).collect(),
            power: cumulative(&power_probs),
            expected_information_h0: expected(0.0),
            expected_information_half: expected(drift / 2.0),
            expected_information_h1: expected(drift),
            efficacy,
            futility,
            alpha_spent,
            beta_spent,
            drift,
            inflation_factor,
        })
    }

    /// Non-binding or binding beta spending: `(c, f, drift)`, `f` for
    /// every look (the last equal to the last `c`).
    fn beta_spending(
        &self,
        alpha_spending: Spending,
        beta_spending: Spending,
        binding: Binding,
    ) -> Result<(Vec<f64>, Vec<f64>, f64), BoundaryError> {
        let t = &self.fractions;
        let fixed_c = match binding {
            Binding::NonBinding => Some(efficacy_bounds(t, self.alpha, alpha_spending, None).0),
            Binding::Binding => None,
        };
        // For a drift, the bounds look by look; returns (c, f).
        let bounds = |drift: f64| -> (Vec<f64>, Vec<f64>) {
            let k_max = t.len();
            let mut c = Vec::with_capacity(k_max);
            let mut f = Vec::with_capacity(k_max);
            let mut h0: Option<Stage> = None;
            let mut h1: Option<Stage> = None;
            let (mut alpha_done, mut beta_done) = (0.0, 0.0);
            for k in 0..k_max {
                let ck = match &fixed_c {
                    Some(cs) => cs[k],
                    None => {
                        let inc = alpha_spending.spent(self.alpha, t[k]) - alpha_done;
                        efficacy_bound(h0.as_ref(), t[k], inc)
                    }
                };
                let inc_b = beta_spending.spent(self.beta, t[k]) - beta_done;
                let mut fk = futility_bound(h1.as_ref(), t[k], drift, inc_b);
                if k + 1 < k_max {
                    fk = fk.min(ck);
                }
                alpha_done += cross_above(h0.as_ref(), t[k], 0.0, ck);
                beta_done += cross_below(h1.as_ref(), t[k], drift, fk);
                if k + 1 < k_max {
                    let lo0 = if fixed_c.is_some() {
                        f64::NEG_INFINITY
                    } else {
                        fk
                    };
                    h0 = Some(advance(h0.as_ref(), t[k], 0.0, lo0, ck));
                    h1 = Some(advance(h1.as_ref(), t[k], drift, fk, ck));
                }
                c.push(ck);
                f.push(fk);
            }
            (c, f)
        };
        let gap = |drift: f64| {
            let (c, f) = bounds(drift);
            f[f.len() - 1] - c[c.len() - 1]
        };
        let drift = brent(gap, -4.0, 10.0).ok_or_else(|| {
            BoundaryError::NoDrift("the last futility bound never meets the last efficacy bound for drifts in [-4, 10]".into())
        })?;
        let (c, mut f) = bounds(drift);
        let last = f.len() - 1;
        f[last] = c[last];
        Ok((c, f, drift))
    }

    /// Bounds `(c_k, f_k)` at looks with observed information fractions
    /// `ts` (increasing; a final look has fraction 1), recomputed from the
    /// spending functions for spending designs. Classical efficacy bounds
    /// are those planned for the look's position (`look_numbers`, 0-based,
    /// the final look taking the last planned bound); futility from beta
    /// spending uses the planned drift, conditional-power futility the
    /// planned final bound.
    pub fn bounds_at(
        &self,
        planned: &Boundaries,
        ts: &[f64],
        look_numbers: &[usize],
    ) -> Vec<(f64, Option<f64>)> {
        let k_max = self.looks();
        let binding = matches!(
            self.futility,
            Futility::BetaSpending {
                binding: Binding::Binding,
                ..
            }
        );
        let mut out = Vec::with_capacity(ts.len());
        let mut h0: Option<Stage> = None;
        let mut h1: Option<Stage> = None;
        let (mut alpha_done, mut beta_done) = (0.0, 0.0);
        for (j, &tj) in ts.iter().enumerate() {
            let is_final = tj >= 1.0;
            let tj = tj.min(1.0);
            let k = look_numbers.get(j).copied().unwrap_or(j).min(k_max - 1);
            let c = match self.efficacy {
                Efficacy::Spending { spending } => {
                    let inc = spending.spent(self.alpha, tj) - alpha_done;
                    efficacy_bound(h0.as_ref(), tj, inc)
                }
                _ => {
                    if is_final {
                        planned.efficacy[k_max - 1]
                    } else {
                        planned.efficacy[k]
                    }
                }
            };
            let f = if is_final {
                None
            } else {
                match self.futility {
                    Futility::None => None,
                    Futility::BetaSpending { spending, .. } => {
                        let inc = spending.spent(self.beta, tj) - beta_done;
                        let f = futility_bound(h1.as_ref(), tj, planned.drift, inc).min(c);
                        (f > LOWEST).then_some(f)
                    }
                    Futility::ConditionalPower { threshold, under } => Some(
                        conditional_power_bound(
                            tj,
                            planned.efficacy[k_max - 1],
                            threshold,
                            under,
                            planned.drift,
                        )
                        .min(c),
                    ),
                }
            };
            out.push((c, f));
            if is_final || j + 1 == ts.len() {
                break;
            }
            alpha_done += cross_above(h0.as_ref(), tj, 0.0, c);
            let fl = f.unwrap_or(f64::NEG_INFINITY);
            if matches!(self.futility, Futility::BetaSpending { .. }) {
                beta_done += cross_below(h1.as_ref(), tj, planned.drift, fl);
                h1 = Some(advance(h1.as_ref(), tj, planned.drift, fl, c));
            }
            if matches!(self.efficacy, Efficacy::Spending { .. }) {
                let lo0 = if binding { fl } else { f64::NEG_INFINITY };
                h0 = Some(advance(h0.as_ref(), tj, 0.0, lo0, c));
            }
        }
        out
    }
}

/// Conditional power of rejecting at the final look (bound `c_final`) from
/// `Z = z` at fraction `t`, ignoring the looks in between.
pub fn conditional_power(z: f64, t: f64, c_final: f64, theta: f64) -> f64 {
    if t >= 1.0 {
        return if z >= c_final { 1.0 } else { 0.0 };
    }
    norm_sf((c_final - z * t.sqrt() - theta * (1.0 - t)) / (1.0 - t).sqrt())
}

/// The Z below which conditional power is under `threshold`.
pub fn conditional_power_bound(
    t: f64,
    c_final: f64,
    threshold: f64,
    under: Trend,
    drift: f64,
) -> f64 {
    let q = norm_isf(threshold);
    let s = (1.0 - t).sqrt();
    match under {
        // theta = z / sqrt(t): CP = sf((c - z / sqrt(t)) / s)
        Trend::CurrentTrend => t.sqrt() * (c_final - s * q),
        Trend::Design => (c_final - drift * (1.0 - t) - s * q) / t.sqrt(),
    }
}

fn advance(prev: Option<&Stage>, t: f64, drift: f64, lo: f64, hi: f64) -> Stage {
    match prev {
        None => first_stage(t, drift, lo, hi, GRID_R),
        Some(p) => next_stage(p, t, drift, lo, hi, GRID_R),
    }
}

fn cumulative(p: &[f64]) -> Vec<f64> {
    p.iter()
        .scan(0.0, |s, &x| {
            *s += x;
            Some(*s)
        })
        .collect()
}

/// The bound spending `increment` of alpha at a look (null hypothesis).
fn efficacy_bound(prev: Option<&Stage>, t: f64, increment: f64) -> f64 {
    if increment <= 1e-15 {
        return f64::INFINITY;
    }
    if prev.is_none() {
        return norm_isf(increment);
    }
    let g = |c: f64| {
        (
            cross_above(prev, t, 0.0, c) - increment,
            -density(prev, t, 0.0, c),
        )
    };
    if g(LOWEST).0 <= 0.0 {
        return LOWEST;
    }
    solve_monotone(LOWEST, HIGHEST, norm_isf(increment), g, false)
}

/// The bound spending `increment` of beta at a look (under `drift`).
fn futility_bound(prev: Option<&Stage>, t: f64, drift: f64, increment: f64) -> f64 {
    if increment <= 1e-15 {
        return f64::NEG_INFINITY;
    }
    if prev.is_none() {
        return drift * t.sqrt() - norm_isf(increment);
    }
    let g = |f: f64| {
        (
            cross_below(prev, t, drift, f) - increment,
            density(prev, t, drift, f),
        )
    };
    if g(HIGHEST).0 <= 0.0 {
        return HIGHEST;
    }
    solve_monotone(
        LOWEST,
        HIGHEST,
        drift * t.sqrt() - norm_isf(increment),
        g,
        true,
    )
}

/// Alpha-spending efficacy bounds, optionally with binding futility bounds.
fn efficacy_bounds(
    t: &[f64],
    alpha: f64,
    spending: Spending,
    futility: Option<&[f64]>,
) -> (Vec<f64>, Vec<f64>) {
    let mut c = Vec::with_capacity(t.len());
    let mut spent = Vec::with_capacity(t.len());
    let mut prev: Option<Stage> = None;
    let mut done = 0.0;
    for k in 0..t.len() {
        let ck = efficacy_bound(prev.as_ref(), t[k], spending.spent(alpha, t[k]) - done);
        done += cross_above(prev.as_ref(), t[k], 0.0, ck);
        spent.push(done);
        let lo = futility.map_or(f64::NEG_INFINITY, |f| f[k]);
        if k + 1 < t.len() {
            prev = Some(advance(prev.as_ref(), t[k], 0.0, lo, ck));
        }
        c.push(ck);
    }
    (c, spent)
}

/// Classical Wang-Tsiatis shape `C t^(delta - 1/2)` with total `alpha`.
fn classical(t: &[f64], alpha: f64, delta: f64) -> Vec<f64> {
    let shape: Vec<f64> = t.iter().map(|&x| x.powf(delta - 0.5)).collect();
    let total = |scale: f64| {
        let c: Vec<f64> = shape.iter().map(|s| scale * s).collect();
        let (up, _) = crossing_probabilities(t, 0.0, &c, &vec![None; t.len()]);
        up.iter().sum::<f64>() - alpha
    };
    let scale =
        brent(total, 0.0, 10.0).expect("the total crossing probability falls from 1/2 to 0");
    shape.iter().map(|s| scale * s).collect()
}

/// Per-look probabilities of crossing the efficacy bound (and the futility
/// bound) under `drift`, with both bounds obeyed.
pub fn crossing_probabilities(
    t: &[f64],
    drift: f64,
    efficacy: &[f64],
    futility: &[Option<f64>],
) -> (Vec<f64>, Vec<f64>) {
    let mut up = Vec::with_capacity(t.len());
    let mut down = Vec::with_capacity(t.len());
    let mut prev: Option<Stage> = None;
    for k in 0..t.len() {
        let f = futility
            .get(k)
            .copied()
            .flatten()
            .unwrap_or(f64::NEG_INFINITY);
        up.push(cross_above(prev.as_ref(), t[k], drift, efficacy[k]));
        down.push(if k + 1 < t.len() {
            cross_below(prev.as_ref(), t[k], drift, f)
        } else {
            0.0
        });
        if k + 1 < t.len() {
            prev = Some(advance(prev.as_ref(), t[k], drift, f, efficacy[k]));
        }
    }
    (up, down)
}

/// Drift at which the probability of rejecting is `power`.
fn drift_for_power(
    t: &[f64],
    efficacy: &[f64],
    futility: &[Option<f64>],
    power: f64,
) -> Result<f64, BoundaryError> {
    let g = |drift: f64| {
        let (up, _) = crossing_probabilities(t, drift, efficacy, futility);
        up.iter().sum::<f64>() - power
    };
    brent(g, -10.0, 20.0).ok_or_else(|| BoundaryError::NoDrift("power not reached".into()))
}

/// Brent's root finder on `[a, b]` (a sign change is required), to 1e-13.
pub(crate) fn brent(f: impl Fn(f64) -> f64, a: f64, b: f64) -> Option<f64> {
    let (mut a, mut b) = (a, b);
    let (mut fa, mut fb) = (f(a), f(b));
    if !(fa.is_finite() && fb.is_finite()) || fa * fb > 0.0 {
        return None;
    }
    if fa == 0.0 {
        return Some(a);
    }
    if fb == 0.0 {
        return Some(b);
    }
    let (mut c, mut fc) = (a, fa);
    let mut d = b - a;
    let mut e = d;
    for _ in 0..200 {
        if fb * fc > 0.0 {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol = 2.0 * f64::EPSILON * b.abs() + 0.5e-13;
        let m = 0.5 * (c - b);
        if m.abs() <= tol || fb == 0.0 {
            return Some(b);
        }
        if e.abs() >= tol && fa.abs() > fb.abs() {
            let s = fb / fa;
            let (mut p, mut q);
            if a == c {
                p = 2.0 * m * s;
                q = 1.0 - s;
            } else {
                let qq = fa / fc;
                let r = fb / fc;
                p = s * (2.0 * m * qq * (qq - r) - (b - a) * (r - 1.0));
                q = (qq - 1.0) * (r - 1.0) * (s - 1.0);
            }
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if 2.0 * p < (3.0 * m * q - (tol * q).abs()).min((e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                d = m;
                e = m;
            }
        } else {
            d = m;
            e = m;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol { d } else { tol.copysign(m) };
        fb = f(b);
        if !fb.is_finite() {
            return None;
        }
    }
    Some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn design(efficacy: Efficacy, futility: Futility, t: &[f64]) -> GroupSequential {
        GroupSequential {
            alpha: 0.025,
            beta: 0.2,
            fractions: t.to_vec(),
            efficacy,
            futility,
        }
    }

    #[test]
    fn a_single_look_is_the_fixed_design() {
        let b = design(
            Efficacy::Spending {
                spending: Spending::OBrienFleming,
            },
            Futility::None,
            &[1.0],
        )
        .compute()
        .unwrap();
        assert!((b.efficacy[0] - 1.959963984540054).abs() < 1e-12);
        assert!(
            (b.inflation_factor - 1.0).abs() < 1e-10,
            "{}",
            b.inflation_factor
        );
        assert!((b.power[0] - 0.8).abs() < 1e-10);
    }

    #[test]
    fn observed_bounds_at_the_planned_fractions_are_the_planned_bounds() {
        let d = design(
            Efficacy::Spending {
                spending: Spending::OBrienFleming,
            },
            Futility::BetaSpending {
                spending: Spending::OBrienFleming,
                binding: Binding::NonBinding,
            },
            &[1.0 / 3.0, 2.0 / 3.0, 1.0],
        );
        let b = d.compute().unwrap();
        let at = d.bounds_at(&b, &b.fractions, &[0, 1, 2]);
        for k in 0..3 {
            assert!((at[k].0 - b.efficacy[k]).abs() < 1e-12);
            match (at[k].1, b.futility[k]) {
                (Some(x), Some(y)) => assert!((x - y).abs() < 1e-9, "{x} {y}"),
                (None, None) => {}
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn brent_finds_a_root() {
        let r = brent(|x| x * x - 2.0, 0.0, 2.0).unwrap();
        assert!((r - 2f64.sqrt()).abs() < 1e-12);
        assert!(brent(|x| x * x + 1.0, 0.0, 2.0).is_none());
    }
}
