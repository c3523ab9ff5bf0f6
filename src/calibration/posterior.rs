//! Calibration as inference: draws from an approximate posterior of the
//! free parameters given every calibration trial and the priors.
//!
//! **Where.** Each free parameter is represented by its prior's standard
//! normal deviate `z = Phi^-1(F(x))` (`F` the prior's distribution function,
//! truncation included), so the prior is exactly `N(0, I)` whatever its
//! shape, and `x(z) = F^-1(Phi(z))`.
//!
//! **The target.** `-2 log posterior(z) = D(x(z)) + |z|^2 + const`, with `D`
//! the data distance of `hfsim calibrate fit` (`calibration::distance`: over
//! targets, `((simulated mean - published) / simulated SD)^2 + ln` of the
//! simulated variance relative to that at the prior medians): a Gaussian
//! synthetic likelihood (Wood 2010) with the targets independent, evaluated
//! on the same simulated patients and trial effects at every `z` (common
//! random numbers), so that `D` is a deterministic function and its noise
//! does not enter the weights.
//!
//! **The method: Laplace proposal, importance weights.** (1) Around the
//! recorded maximum a posteriori values (`calibrate fit`), a finite-difference
//! Hessian of `D` (the prior part `2 I` is added exactly; negative
//! curvature, which is simulation noise or a ridge, is set to zero so the
//! approximate posterior is never wider than the prior), and one damped
//! Newton step for the centre. (2) Draws from a defensive mixture
//! (Hesterberg 1995): with probability `1 - alpha` a multivariate t with
//! `nu` degrees of freedom, centred there with the Laplace covariance
//! `(H / 2)^-1`, and with probability `alpha` the prior itself, so that
//! every weight is bounded by `1 / alpha` times the likelihood ratio and the
//! prior's whole support is reached. (3) Self-normalized importance
//! weights `w ∝ posterior(z) / q(z)`, which correct the proposal's error
//! (skew, heavy tails, misplaced centre) exactly as the draws grow; the
//! effective sample size `(sum w)^2 / sum w^2` says how well.
//!
//! Why not ABC-SMC: each evaluation of `D` costs a few seconds (twelve
//! trials, hundreds of simulated trials each), and ABC needs tens of
//! thousands; the synthetic likelihood at common random numbers is already
//! a smooth function of the parameters, which is what a Laplace proposal and
//! importance sampling need (`docs/validation.md`, "Posterior").

use super::{FitTrial, FreeParameter, TargetResult};
use crate::analysis::special::norm_isf;
use crate::model::params::P;
use crate::rng::{DesignSlot, Purpose, StreamKey, TRIAL_LEVEL};
use rand::RngExt;
use rand_distr::{ChiSquared, StandardNormal};
use rayon::prelude::*;

/// The parameters `calibrate posterior` draws by default: those that decide
/// the answer to design questions (the cell effect on each ventricle, its
/// persistence and the share of the deficit it restores, RV progression,
/// the room GDMT leaves, the background response, the RV scan's error, how
/// much trials differ in their cell effect);
/// the others stay at the joint fit's values.
pub const DEFAULT_PARAMETERS: &[&str] = &[
    "rv_repair_emax_per_day",
    "rv_repair_half_life_days",
    "rv_repair_ef_fraction",
    "rv_recoverable_fraction",
    "rv_progression_log_edv_per_year",
    "lv_repair_emax_per_day",
    "lv_repair_ef_fraction",
    "gdmt_response",
    "mri_rvedv_cv",
    "between_trial_efficacy_sd",
];

/// Settings of the posterior approximation.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Settings {
    /// Importance draws.
    pub draws: usize,
    /// Finite-difference step on the deviate scale.
    pub step: f64,
    /// Share of the proposal that is the prior (defensive mixture).
    pub defensive: f64,
    /// Degrees of freedom of the proposal's t part.
    pub nu: f64,
    /// Seed of the proposal draws (stream `(seed, draw, Calibration)`).
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            draws: 240,
            step: 0.3,
            defensive: 0.2,
            nu: 5.0,
            seed: 1,
        }
    }
}

/// The approximate posterior on the deviate scale.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Approximation {
    /// Where the Hessian was taken.
    pub mode: Vec<f64>,
    /// The proposal's centre (after the Newton step).
    pub centre: Vec<f64>,
    /// Laplace covariance `(H / 2)^-1`, row major.
    pub covariance: Vec<f64>,
    /// The draws (deviates), one row per draw.
    pub draws: Vec<Vec<f64>>,
    /// `D` at each draw.
    pub distance: Vec<f64>,
    /// Normalized importance weights.
    pub weights: Vec<f64>,
    pub effective_sample_size: f64,
    /// Evaluations of `D`.
    pub evaluations: usize,
}

/// Why no posterior could be formed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PosteriorError {
    #[error("the data distance is not finite at the starting values ({0})")]
    NotFinite(f64),
    #[error("every importance weight is zero (the data distance is infinite at every draw)")]
    NoWeight,
    #[error("at least one free parameter and at least 10 draws are needed")]
    TooSmall,
}

/// Approximate the posterior `exp(-(D(z) + |z|^2) / 2)` from `mode` (the
/// data distance `distance` evaluated on the deviate scale). `progress` is
/// called after every evaluation with the count so far and the total.
pub fn approximate(
    distance: &mut dyn FnMut(&[f64]) -> f64,
    mode: &[f64],
    settings: &Settings,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Approximation, PosteriorError> {
    let d = mode.len();
    if d == 0 || settings.draws < 10 {
        return Err(PosteriorError::TooSmall);
    }
    let total = 1 + 2 * d + d * (d - 1) / 2 + settings.draws;
    let mut evaluations = 0;
    let mut eval = |z: &[f64]| {
        let v = distance(z);
        evaluations += 1;
        progress(evaluations, total);
        v
    };
    let h = settings.step;
    let f0 = eval(mode);
    if !f0.is_finite() {
        return Err(PosteriorError::NotFinite(f0));
    }
    let shifted = |i: usize, s: f64| {
        let mut z = mode.to_vec();
        z[i] += s;
        z
    };
    let mut plus = vec![0.0; d];
    let mut minus = vec![0.0; d];
    for i in 0..d {
        plus[i] = eval(&shifted(i, h));
        minus[i] = eval(&shifted(i, -h));
    }
    // Hessian of D: central second differences on the diagonal, forward
    // mixed differences off it.
    let mut hd = vec![0.0; d * d];
    for i in 0..d {
        hd[i * d + i] = (plus[i] - 2.0 * f0 + minus[i]) / (h * h);
        for j in 0..i {
            let mut z = shifted(i, h);
            z[j] += h;
            let fij = eval(&z);
            let v = (fij - plus[i] - plus[j] + f0) / (h * h);
            hd[i * d + j] = v;
            hd[j * d + i] = v;
        }
    }
    for v in &mut hd {
        if !v.is_finite() {
            *v = 0.0;
        }
    }
    // H = PSD(H_D) + 2 I; covariance (H / 2)^-1 = 2 H^-1.
    let (values, vectors) = symmetric_eigen(d, &hd);
    let mut covariance = vec![0.0; d * d];
    let mut precision = vec![0.0; d * d];
    for k in 0..d {
        let lambda = values[k].max(0.0) + 2.0;
        for i in 0..d {
            for j in 0..d {
                let vv = vectors[i * d + k] * vectors[j * d + k];
                covariance[i * d + j] += 2.0 / lambda * vv;
                precision[i * d + j] += lambda / 2.0 * vv;
            }
        }
    }
    // One damped Newton step on D + |z|^2 (gradient by central differences),
    // at most one prior SD long.
    let gradient: Vec<f64> = (0..d)
        .map(|i| {
            let g = (plus[i] - minus[i]) / (2.0 * h) + 2.0 * mode[i];
            if g.is_finite() { g } else { 0.0 }
        })
        .collect();
    let mut step: Vec<f64> = (0..d)
        .map(|i| {
            -(0..d)
                .map(|j| covariance[i * d + j] * gradient[j])
                .sum::<f64>()
                / 2.0
        })
        .collect();
    let length = step.iter().map(|s| s * s).sum::<f64>().sqrt();
    if length > 1.0 {
        step.iter_mut().for_each(|s| *s /= length);
    }
    let centre: Vec<f64> = mode.iter().zip(&step).map(|(m, s)| m + s).collect();
    let chol = cholesky(d, &covariance);
    let log_det: f64 = (0..d).map(|i| 2.0 * chol[i * d + i].ln()).sum();
    let proposal = Mixture {
        centre: &centre,
        chol: &chol,
        precision: &precision,
        log_det,
        nu: settings.nu,
        defensive: settings.defensive,
    };
    let mut draws = Vec::with_capacity(settings.draws);
    let mut dist = Vec::with_capacity(settings.draws);
    let mut log_w = Vec::with_capacity(settings.draws);
    let ln_2pi = (2.0 * std::f64::consts::PI).ln();
    for k in 0..settings.draws {
        let z = proposal.draw(settings.seed, k as u64);
        let dz = eval(&z);
        let sq: f64 = z.iter().map(|v| v * v).sum();
        let log_post = -0.5 * (dz + sq) - 0.5 * d as f64 * ln_2pi;
        log_w.push(if dz.is_finite() {
            log_post - proposal.log_density(&z)
        } else {
            f64::NEG_INFINITY
        });
        draws.push(z);
        dist.push(dz);
    }
    let max = log_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return Err(PosteriorError::NoWeight);
    }
    let raw: Vec<f64> = log_w.iter().map(|l| (l - max).exp()).collect();
    let sum: f64 = raw.iter().sum();
    let weights: Vec<f64> = raw.iter().map(|w| w / sum).collect();
    let effective_sample_size = 1.0 / weights.iter().map(|w| w * w).sum::<f64>();
    Ok(Approximation {
        mode: mode.to_vec(),
        centre,
        covariance,
        draws,
        distance: dist,
        weights,
        effective_sample_size,
        evaluations,
    })
}

/// The proposal: `(1 - defensive) t_nu(centre, covariance) + defensive N(0, I)`.
struct Mixture<'a> {
    centre: &'a [f64],
    chol: &'a [f64],
    precision: &'a [f64],
    log_det: f64,
    nu: f64,
    defensive: f64,
}

impl Mixture<'_> {
    fn draw(&self, seed: u64, k: u64) -> Vec<f64> {
        let d = self.centre.len();
        let mut rng = StreamKey {
            seed,
            design: DesignSlot::Shared,
            replicate: k,
            patient: TRIAL_LEVEL,
            purpose: Purpose::Calibration,
        }
        .rng();
        let from_prior = rng.random::<f64>() < self.defensive;
        let e: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
        // chi-squared with nu > 0 degrees of freedom always exists
        let chi: f64 = ChiSquared::new(self.nu).map_or(self.nu, |c| rng.sample(c));
        if from_prior {
            return e;
        }
        let scale = (self.nu / chi.max(1e-300)).sqrt();
        (0..d)
            .map(|i| {
                self.centre[i] + scale * (0..=i).map(|j| self.chol[i * d + j] * e[j]).sum::<f64>()
            })
            .collect()
    }

    fn log_density(&self, z: &[f64]) -> f64 {
        let d = z.len() as f64;
        let n = z.len();
        let delta: Vec<f64> = z.iter().zip(self.centre).map(|(a, b)| a - b).collect();
        let q: f64 = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| delta[i] * self.precision[i * n + j] * delta[j])
                    .sum::<f64>()
            })
            .sum();
        use statrs::function::gamma::ln_gamma;
        let ln_t = ln_gamma(0.5 * (self.nu + d))
            - ln_gamma(0.5 * self.nu)
            - 0.5 * d * (self.nu * std::f64::consts::PI).ln()
            - 0.5 * self.log_det
            - 0.5 * (self.nu + d) * (q / self.nu).ln_1p();
        let ln_n = -0.5 * d * (2.0 * std::f64::consts::PI).ln()
            - 0.5 * z.iter().map(|v| v * v).sum::<f64>();
        let (a, b) = (
            (1.0 - self.defensive).ln() + ln_t,
            self.defensive.ln() + ln_n,
        );
        let m = a.max(b);
        m + ((a - m).exp() + (b - m).exp()).ln()
    }
}

/// One free parameter's prior and posterior.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ParameterSummary {
    pub name: String,
    pub unit: String,
    /// The recorded (maximum a posteriori) value the approximation started from.
    pub start: f64,
    pub prior_median: f64,
    pub prior_low: f64,
    pub prior_high: f64,
    pub posterior_median: f64,
    /// Central 90% interval.
    pub posterior_low: f64,
    pub posterior_high: f64,
}

/// The approximate posterior of the free parameters given the trials.
#[derive(Debug, Clone, PartialEq)]
pub struct Posterior {
    pub parameters: Vec<P>,
    pub approximation: Approximation,
    /// `values[k][i]`: draw `k`'s value of parameter `i` (natural scale).
    pub values: Vec<Vec<f64>>,
    pub summary: Vec<ParameterSummary>,
    /// Weighted correlations of the draws' prior deviates, `d x d` row major.
    pub correlations: Vec<f64>,
}

/// Why the calibration's posterior cannot be formed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalibrationPosteriorError {
    #[error("{0} has no prior (src/model/priors.rs), so it has no posterior either")]
    NoPrior(String),
    #[error(transparent)]
    Approximation(#[from] PosteriorError),
}

/// The value of `prior` at deviate `z`, inside the parameter's range.
fn value_at(p: P, prior: &crate::uncertainty::prior::Prior, z: f64) -> f64 {
    let info = p.info();
    prior.at_normal(z).clamp(info.min, info.max)
}

/// The posterior of `free` given every trial's targets (module docs), from
/// the values recorded in the trials' models (the joint fit's maximum a
/// posteriori). The data distance is that of `calibrate fit`, its scales
/// taken at the prior medians; deterministic for given scenarios, seeds
/// and settings, whatever the thread count.
pub fn posterior(
    trials: &[FitTrial],
    free: &[FreeParameter],
    settings: &Settings,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Posterior, CalibrationPosteriorError> {
    let priors = free
        .iter()
        .map(|f| {
            crate::model::priors::prior_of(f.param)
                .ok_or_else(|| CalibrationPosteriorError::NoPrior(f.param.info().name.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let params: Vec<P> = free.iter().map(|f| f.param).collect();
    let scale = super::scales(&super::at_prior_medians(trials, free));
    let start: Vec<f64> = params
        .iter()
        .map(|&p| trials[0].scenario.model.get(p))
        .collect();
    let mode: Vec<f64> = priors
        .iter()
        .zip(&start)
        .map(|(prior, &x)| norm_isf(1.0 - prior.cdf(x).clamp(1e-9, 1.0 - 1e-9)))
        .collect();
    let values_of = |z: &[f64]| -> Vec<f64> {
        params
            .iter()
            .zip(&priors)
            .zip(z)
            .map(|((&p, prior), &zi)| value_at(p, prior, zi))
            .collect()
    };
    let mut distance = |z: &[f64]| {
        let set: Vec<(P, f64)> = params.iter().copied().zip(values_of(z)).collect();
        super::joint_distance(trials, &scale, &set)
    };
    let approximation = approximate(&mut distance, &mode, settings, progress)?;
    let values: Vec<Vec<f64>> = approximation.draws.iter().map(|z| values_of(z)).collect();
    let w = &approximation.weights;
    let d = params.len();
    let summary = (0..d)
        .map(|i| {
            let column: Vec<f64> = values.iter().map(|v| v[i]).collect();
            let (lo, hi) = crate::model::priors::interval(&priors[i], 0.9);
            ParameterSummary {
                name: params[i].info().name.to_string(),
                unit: params[i].info().unit.to_string(),
                start: start[i],
                prior_median: priors[i].median(),
                prior_low: lo,
                prior_high: hi,
                posterior_median: weighted_quantile(&column, w, 0.5),
                posterior_low: weighted_quantile(&column, w, 0.05),
                posterior_high: weighted_quantile(&column, w, 0.95),
            }
        })
        .collect();
    let mut correlations = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..d {
            let a: Vec<f64> = approximation.draws.iter().map(|z| z[i]).collect();
            let b: Vec<f64> = approximation.draws.iter().map(|z| z[j]).collect();
            correlations[i * d + j] = if i == j {
                1.0
            } else {
                weighted_correlation(&a, &b, w)
            };
        }
    }
    Ok(Posterior {
        parameters: params,
        approximation,
        values,
        summary,
        correlations,
    })
}

/// The posterior predictive check of one trial: each target's published
/// value among trials simulated from posterior draws.
#[derive(Debug, Clone, PartialEq)]
pub struct Predictive {
    pub trial: String,
    pub results: Vec<TargetResult>,
}

/// Simulate every trial `replicates` times at each of `draws` posterior
/// draws (systematic resampling by weight, stream `(seed, Calibration)`),
/// each draw on its own patients (seed offset `1 + j * replicates`), and
/// place each published value in the pooled simulated distribution
/// (`assess`: a target passes inside the central 95%).
pub fn predictive(
    trials: &[FitTrial],
    posterior: &Posterior,
    draws: usize,
    replicates: u64,
    seed: u64,
) -> Vec<Predictive> {
    let picks = resample(&posterior.approximation.weights, draws, seed);
    trials
        .iter()
        .map(|t| {
            let per_draw: Vec<super::Simulated> = picks
                .par_iter()
                .enumerate()
                .map(|(j, &k)| {
                    let mut s = t.scenario.clone();
                    for (&p, &v) in posterior.parameters.iter().zip(&posterior.values[k]) {
                        s.model.set(p, v);
                    }
                    super::simulate_targets(
                        &s,
                        &t.targets,
                        t.method,
                        replicates,
                        1 + j as u64 * replicates,
                    )
                })
                .collect();
            let mut values = vec![Vec::new(); t.targets.len()];
            let mut failed = 0;
            for sim in per_draw {
                failed += sim.failed_replicates;
                for (k, v) in sim.values.into_iter().enumerate() {
                    values[k].extend(v);
                }
            }
            let pooled = super::Simulated {
                values,
                replicates: draws as u64 * replicates,
                failed_replicates: failed,
            };
            Predictive {
                trial: t.scenario.name.clone(),
                results: super::assess(&t.targets, &pooled),
            }
        })
        .collect()
}

/// Eigen-decomposition of a symmetric `d x d` matrix (cyclic Jacobi):
/// eigenvalues and the eigenvectors as the columns of a row-major matrix.
pub fn symmetric_eigen(d: usize, a: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut m = a.to_vec();
    let mut v = vec![0.0; d * d];
    for i in 0..d {
        v[i * d + i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..d)
            .flat_map(|i| (0..d).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * d + j] * m[i * d + j])
            .sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = m[p * d + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (m[q * d + q] - m[p * d + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..d {
                    let (mkp, mkq) = (m[k * d + p], m[k * d + q]);
                    m[k * d + p] = c * mkp - s * mkq;
                    m[k * d + q] = s * mkp + c * mkq;
                }
                for k in 0..d {
                    let (mpk, mqk) = (m[p * d + k], m[q * d + k]);
                    m[p * d + k] = c * mpk - s * mqk;
                    m[q * d + k] = s * mpk + c * mqk;
                }
                for k in 0..d {
                    let (vkp, vkq) = (v[k * d + p], v[k * d + q]);
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..d).map(|i| m[i * d + i]).collect(), v)
}

/// Lower Cholesky factor of a positive definite matrix (row major).
fn cholesky(d: usize, a: &[f64]) -> Vec<f64> {
    let mut l = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * d + k] * l[j * d + k]).sum();
            if i == j {
                l[i * d + i] = (a[i * d + i] - s).max(1e-300).sqrt();
            } else {
                l[i * d + j] = (a[i * d + j] - s) / l[j * d + j];
            }
        }
    }
    l
}

/// Weighted quantile: the smallest value whose cumulative weight reaches
/// `q`, interpolated linearly between the mid-points of the weights.
pub fn weighted_quantile(values: &[f64], weights: &[f64], q: f64) -> f64 {
    let mut pairs: Vec<(f64, f64)> = values
        .iter()
        .copied()
        .zip(weights.iter().copied())
        .filter(|(v, w)| v.is_finite() && *w > 0.0)
        .collect();
    if pairs.is_empty() {
        return f64::NAN;
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    let mut cum = 0.0;
    let mids: Vec<f64> = pairs
        .iter()
        .map(|p| {
            let m = (cum + 0.5 * p.1) / total;
            cum += p.1;
            m
        })
        .collect();
    if q <= mids[0] {
        return pairs[0].0;
    }
    for k in 1..pairs.len() {
        if q <= mids[k] {
            let f = (q - mids[k - 1]) / (mids[k] - mids[k - 1]).max(1e-300);
            return pairs[k - 1].0 + f * (pairs[k].0 - pairs[k - 1].0);
        }
    }
    pairs[pairs.len() - 1].0
}

/// Weighted normal scores of `values`: `Phi^-1` of each value's weighted
/// mid-rank (ties share one score).
pub fn normal_scores(values: &[f64], weights: &[f64]) -> Vec<f64> {
    let total: f64 = weights.iter().sum();
    values
        .iter()
        .map(|&x| {
            let below: f64 = values
                .iter()
                .zip(weights)
                .filter(|(v, _)| **v < x)
                .map(|(_, w)| w)
                .sum();
            let equal: f64 = values
                .iter()
                .zip(weights)
                .filter(|(v, _)| **v == x)
                .map(|(_, w)| w)
                .sum();
            let u = ((below + 0.5 * equal) / total).clamp(1e-6, 1.0 - 1e-6);
            norm_isf(1.0 - u)
        })
        .collect()
}

/// Weighted Pearson correlation of two columns.
pub fn weighted_correlation(a: &[f64], b: &[f64], w: &[f64]) -> f64 {
    let total: f64 = w.iter().sum();
    let ma = a.iter().zip(w).map(|(x, w)| x * w).sum::<f64>() / total;
    let mb = b.iter().zip(w).map(|(x, w)| x * w).sum::<f64>() / total;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for ((x, y), w) in a.iter().zip(b).zip(w) {
        sab += w * (x - ma) * (y - mb);
        saa += w * (x - ma) * (x - ma);
        sbb += w * (y - mb) * (y - mb);
    }
    if saa <= 0.0 || sbb <= 0.0 {
        return 0.0;
    }
    sab / (saa * sbb).sqrt()
}

/// Systematic resampling: `n` draw indices in proportion to `weights`,
/// from one uniform of the stream `(seed, Calibration)` at replicate
/// `u64::MAX - 1` (not one of the proposal's).
pub fn resample(weights: &[f64], n: usize, seed: u64) -> Vec<usize> {
    let mut rng = StreamKey {
        seed,
        design: DesignSlot::Shared,
        replicate: u64::MAX - 1,
        patient: TRIAL_LEVEL,
        purpose: Purpose::Calibration,
    }
    .rng();
    let u0: f64 = rng.random::<f64>();
    let total: f64 = weights.iter().sum();
    let mut out = Vec::with_capacity(n);
    let mut cum = 0.0;
    let mut k = 0;
    for i in 0..n {
        let target = (i as f64 + u0) / n as f64 * total;
        while k + 1 < weights.len() && cum + weights[k] < target {
            cum += weights[k];
            k += 1;
        }
        out.push(k);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quad(a: &[f64], m: &[f64], x: &[f64]) -> f64 {
        let d = x.len();
        (0..d)
            .map(|i| {
                (0..d)
                    .map(|j| (x[i] - m[i]) * a[i * d + j] * (x[j] - m[j]))
                    .sum::<f64>()
            })
            .sum()
    }

    fn weighted_mean(a: &Approximation, i: usize) -> f64 {
        a.draws.iter().zip(&a.weights).map(|(z, w)| z[i] * w).sum()
    }

    #[test]
    fn a_gaussian_likelihood_gives_the_exact_gaussian_posterior() {
        // D(z) = (z - m)' A (z - m): posterior precision (A + I), mean
        // (A + I)^-1 A m.
        let a = [4.0, 1.0, 1.0, 2.0];
        let m = [1.0, -0.5];
        let mut dist = |z: &[f64]| quad(&a, &m, z);
        let s = Settings {
            draws: 4000,
            ..Settings::default()
        };
        // start away from the mode: the Newton step and the weights fix it
        let r = approximate(&mut dist, &[0.3, 0.2], &s, &mut |_, _| {}).unwrap();
        // (A + I) = [[5, 1], [1, 3]], det 14, inverse [[3, -1], [-1, 5]] / 14
        let am = [a[0] * m[0] + a[1] * m[1], a[2] * m[0] + a[3] * m[1]];
        let mean = [(3.0 * am[0] - am[1]) / 14.0, (-am[0] + 5.0 * am[1]) / 14.0];
        let cov = [3.0 / 14.0, -1.0 / 14.0, -1.0 / 14.0, 5.0 / 14.0];
        for (k, c) in cov.iter().enumerate() {
            assert!((r.covariance[k] - c).abs() < 1e-9, "Laplace covariance {k}");
        }
        for i in 0..2 {
            assert!(
                (r.centre[i] - mean[i]).abs() < 1e-9,
                "Newton lands on the mode"
            );
            let w = weighted_mean(&r, i);
            assert!(
                (w - mean[i]).abs() < 0.03,
                "weighted mean {i}: {w} vs {}",
                mean[i]
            );
        }
        assert!(r.effective_sample_size > 0.6 * s.draws as f64);
        assert_eq!(r.evaluations, 1 + 4 + 1 + s.draws);
    }

    #[test]
    fn importance_weights_correct_a_skewed_posterior() {
        // D(z) = exp(2 z) - 4 z: a skewed one-dimensional likelihood whose
        // posterior mean differs from the Laplace centre; compare with
        // quadrature.
        let mut dist = |z: &[f64]| (2.0 * z[0]).exp() - 4.0 * z[0];
        let s = Settings {
            draws: 6000,
            ..Settings::default()
        };
        let r = approximate(&mut dist, &[0.3], &s, &mut |_, _| {}).unwrap();
        let (mut num, mut den) = (0.0, 0.0);
        let mut z: f64 = -8.0;
        while z < 8.0 {
            let p = (-0.5 * ((2.0 * z).exp() - 4.0 * z + z * z)).exp();
            num += z * p;
            den += p;
            z += 1e-4;
        }
        let exact = num / den;
        let w = weighted_mean(&r, 0);
        assert!(
            (w - exact).abs() < 0.02,
            "IS mean {w} vs quadrature {exact}"
        );
        assert!(
            (r.centre[0] - exact).abs() > 0.02,
            "the test is one the Laplace centre alone would fail"
        );
    }

    #[test]
    fn a_flat_likelihood_returns_the_prior() {
        let mut dist = |_: &[f64]| 0.0;
        let s = Settings {
            draws: 3000,
            ..Settings::default()
        };
        let r = approximate(&mut dist, &[0.0, 0.0, 0.0], &s, &mut |_, _| {}).unwrap();
        for k in 0..3 {
            assert!((r.covariance[k * 3 + k] - 1.0).abs() < 1e-12);
            let sd = r
                .draws
                .iter()
                .zip(&r.weights)
                .map(|(z, w)| z[k] * z[k] * w)
                .sum::<f64>();
            assert!((sd - 1.0).abs() < 0.1, "prior variance recovered: {sd}");
        }
        assert!(r.effective_sample_size > 0.9 * s.draws as f64);
    }

    #[test]
    fn draws_are_reproducible_and_infinite_distances_get_no_weight() {
        let mut dist = |z: &[f64]| {
            if z[0] > 1.5 {
                f64::INFINITY
            } else {
                z[0] * z[0]
            }
        };
        let s = Settings::default();
        let a = approximate(&mut dist, &[0.0], &s, &mut |_, _| {}).unwrap();
        let b = approximate(&mut dist, &[0.0], &s, &mut |_, _| {}).unwrap();
        assert_eq!(a, b);
        for (z, w) in a.draws.iter().zip(&a.weights) {
            if z[0] > 1.5 {
                assert_eq!(*w, 0.0);
            }
        }
        assert!(matches!(
            approximate(&mut |_: &[f64]| f64::NAN, &[0.0], &s, &mut |_, _| {}),
            Err(PosteriorError::NotFinite(_))
        ));
    }

    #[test]
    fn weighted_summaries() {
        let v = [1.0, 2.0, 3.0, 4.0];
        let w = [0.25; 4];
        assert!((weighted_quantile(&v, &w, 0.5) - 2.5).abs() < 1e-12);
        assert_eq!(weighted_quantile(&v, &w, 0.0), 1.0);
        assert_eq!(weighted_quantile(&v, &w, 1.0), 4.0);
        let w2 = [0.0, 0.0, 0.0, 1.0];
        assert_eq!(weighted_quantile(&v, &w2, 0.1), 4.0);
        assert!((weighted_correlation(&v, &[2.0, 4.0, 6.0, 8.0], &w) - 1.0).abs() < 1e-12);
        assert!((weighted_correlation(&v, &[8.0, 6.0, 4.0, 2.0], &w) + 1.0).abs() < 1e-12);
        let s = normal_scores(&v, &w);
        assert!(s[0] < s[1] && s[1] < 0.0 && s[2] > 0.0 && (s[1] + s[2]).abs() < 1e-9);
        let idx = resample(&[0.5, 0.0, 0.5], 10, 3);
        assert_eq!(idx.iter().filter(|&&i| i == 1).count(), 0);
        assert_eq!(idx.iter().filter(|&&i| i == 0).count(), 5);
    }

    #[test]
    fn jacobi_diagonalizes() {
        let a = [2.0, 1.0, 0.0, 1.0, 3.0, 1.0, 0.0, 1.0, 4.0];
        let (l, v) = symmetric_eigen(3, &a);
        for k in 0..3 {
            for i in 0..3 {
                let av: f64 = (0..3).map(|j| a[i * 3 + j] * v[j * 3 + k]).sum();
                assert!((av - l[k] * v[i * 3 + k]).abs() < 1e-10);
            }
        }
    }
}
