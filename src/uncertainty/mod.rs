//! What we do not know about the model, as distributions, and the worlds a
//! replicate is run in.
//!
//! `[uncertainty]` gives some model parameters' typical values a prior
//! (`prior`), optionally correlated (a Gaussian copula: correlated standard
//! normal deviates mapped through each prior's quantile function). Under
//! it each replicate draws a **world**, a full set of typical values, from
//! its own keyed stream `(seed, replicate, World)`, shared by every design
//! point (common random numbers: two designs are compared in the same
//! worlds), and runs the trial twice with the same patient streams: at the
//! scenario's central values (the replicate's contribution to `power`) and
//! in its world (to `assurance`, O'Hagan, Stevens and Campbell 2005: the
//! probability that the trial succeeds, averaged over what we do not know).
//! A zero-width uncertainty (every prior a point at the central value) gives
//! assurance equal to power exactly.
//!
//! Screening (the measurement error of the screening scans) stays at the
//! central values: the world changes the patients' disease and response,
//! not who is enrolled.

pub mod between_trial;
pub mod posterior;
pub mod prior;

use crate::model::params::{ModelParams, P};
use crate::rng::{DesignSlot, Purpose, StreamKey, TRIAL_LEVEL};
use prior::Prior;
use rand::RngExt;
use rand_distr::StandardNormal;

/// One uncertain model parameter: the prior of its typical value.
#[derive(Debug, Clone, PartialEq)]
pub struct UncertainParameter {
    pub parameter: P,
    pub prior: Prior,
}

/// The checked `[uncertainty]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct Uncertainty {
    pub parameters: Vec<UncertainParameter>,
    /// Lower Cholesky factor of the deviates' correlation matrix (row
    /// major, `k x k`; the identity without correlations).
    pub cholesky: Vec<f64>,
    /// `sceptical`: the factor on the cell-effect parameters ([`CELL_EFFECT`])
    /// of every world (1: as drawn).
    pub sceptical: f64,
    /// `power_every = k`: the trial at the central values (for `power`) is
    /// run in every `k`-th replicate only (replicate numbers divisible by
    /// `k`); every replicate runs in its world (for `assurance`). 1: all.
    /// Unless the scenario says, [`default_power_every`] of its replicates.
    pub power_every: u64,
    /// `between_trial`: each world also draws the trial's own deviation
    /// from the typical trial (`between_trial`; true unless the scenario
    /// says `between_trial = false`).
    pub between_trial: bool,
}

/// Replicates at the central values that the default `power_every` keeps
/// at least (when there are that many): power's Monte Carlo SE is then at
/// most `sqrt(0.25 / 2500) = 0.010`.
pub const DEFAULT_POWER_REPLICATES: u64 = 2500;

/// The default `power_every` of a run of `replicates` replicates:
/// `max(1, floor(replicates / 2500))`. Every replicate runs in its world
/// (assurance uses them all); the trial at the central values, which only
/// gives `power` beside it, runs in every `k`-th, so that power keeps at
/// least 2,500 replicates (MCSE <= 0.010) while a long assurance run does
/// not simulate every trial twice (10,000 replicates: k = 4, about 1.3
/// times the cost of power alone instead of 2; docs/performance.md).
pub fn default_power_every(replicates: u64) -> u64 {
    (replicates / DEFAULT_POWER_REPLICATES).max(1)
}

/// The parameters whose zero is "the cells do nothing": the repair rates of
/// each ventricle (every product's efficacy multiplies them) and the
/// engineered patch's contractile gain. A sceptical uncertainty shrinks
/// them toward zero (Spiegelhalter, Freedman and Parmar 1994: a sceptical
/// prior centres the treatment effect nearer no effect than the
/// enthusiasts' evidence does).
pub const CELL_EFFECT: &[P] = &[P::RvRepairEmax, P::LvRepairEmax, P::PatchContractilityGain];

/// Why a correlation matrix cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CorrelationError {
    #[error("the correlation matrix is not positive definite (pivot {pivot} is {value:.3e})")]
    NotPositiveDefinite { pivot: usize, value: f64 },
}

impl Uncertainty {
    /// With the correlations `(i, j, rho)` between parameters `i` and `j`.
    pub fn new(
        parameters: Vec<UncertainParameter>,
        correlations: &[(usize, usize, f64)],
    ) -> Result<Uncertainty, CorrelationError> {
        let k = parameters.len();
        let mut r = vec![0.0; k * k];
        for i in 0..k {
            r[i * k + i] = 1.0;
        }
        for &(i, j, rho) in correlations {
            r[i * k + j] = rho;
            r[j * k + i] = rho;
        }
        let cholesky = cholesky(k, &r)?;
        Ok(Uncertainty {
            parameters,
            cholesky,
            sceptical: 1.0,
            power_every: 1,
            between_trial: true,
        })
    }

    /// With the trial at the central values run in every `k`-th replicate.
    pub fn with_power_every(mut self, k: u64) -> Uncertainty {
        self.power_every = k.max(1);
        self
    }

    /// Whether replicate `replicate` runs the trial at the central values
    /// (for `power`) as well as in its world: every `power_every`-th, and
    /// every replicate whose world is the central values (its trial there
    /// is the trial at the central values, so a point prior gives
    /// assurance equal to power whatever `power_every`).
    pub fn runs_power(&self, central: &ModelParams, seed: u64, replicate: u64) -> bool {
        replicate.is_multiple_of(self.power_every.max(1))
            || self.world_is_central(central, seed, replicate)
    }

    /// Whether replicate `replicate`'s world has exactly (bit for bit) the
    /// central values.
    pub fn world_is_central(&self, central: &ModelParams, seed: u64, replicate: u64) -> bool {
        let (world, _) = self.world_and_strata(central, seed, replicate);
        world
            .typical
            .iter()
            .zip(&central.typical)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    }

    /// With (or without) the trial's own deviation drawn in every world.
    pub fn with_between_trial(mut self, on: bool) -> Uncertainty {
        self.between_trial = on;
        self
    }

    /// With the cell-effect parameters of every world times `factor`.
    pub fn with_sceptical(mut self, factor: f64) -> Uncertainty {
        self.sceptical = factor;
        self
    }

    /// Apply the sceptical factor to a world's parameters.
    pub fn shrink(&self, m: &mut ModelParams) {
        if self.sceptical != 1.0 {
            for &p in CELL_EFFECT {
                m.set(p, m.get(p) * self.sceptical);
            }
        }
    }

    /// The correlated standard normal deviates of replicate `replicate`'s
    /// world (one per uncertain parameter, in declaration order).
    pub fn world_normals(&self, seed: u64, replicate: u64) -> Vec<f64> {
        let mut rng = StreamKey {
            seed,
            design: DesignSlot::Shared,
            replicate,
            patient: TRIAL_LEVEL,
            purpose: Purpose::World,
        }
        .rng();
        let k = self.parameters.len();
        let e: Vec<f64> = (0..k).map(|_| rng.sample(StandardNormal)).collect();
        (0..k)
            .map(|i| (0..=i).map(|j| self.cholesky[i * k + j] * e[j]).sum())
            .collect()
    }

    /// The world of replicate `replicate`: the central values with the
    /// uncertain ones drawn.
    pub fn world(&self, central: &ModelParams, seed: u64, replicate: u64) -> ModelParams {
        self.world_and_strata(central, seed, replicate).0
    }

    /// The world of replicate `replicate` and, per uncertain parameter, the
    /// stratum its draw fell in ([`stratum`]).
    pub fn world_and_strata(
        &self,
        central: &ModelParams,
        seed: u64,
        replicate: u64,
    ) -> (ModelParams, Vec<u8>) {
        let z = self.world_normals(seed, replicate);
        let mut m = central.clone();
        for (u, &z) in self.parameters.iter().zip(&z) {
            m.set(u.parameter, u.prior.at_normal(z));
        }
        if self.between_trial {
            between_trial::draw_into(&mut m, seed, replicate);
        }
        self.shrink(&mut m);
        (m, z.iter().map(|&z| stratum(z)).collect())
    }
}

/// Strata of equal prior probability per uncertain parameter, for the
/// given-data sensitivity of the assurance worlds (`summary::drivers`).
pub const STRATA: usize = 10;

/// The stratum of a world's parameter whose normal deviate is `z`: `j` if
/// `Phi(z)` lies in `[j / STRATA, (j + 1) / STRATA)`, the draw's decile of
/// its prior (or posterior) whatever the marginal's shape.
pub fn stratum(z: f64) -> u8 {
    let u = 0.5 * statrs::function::erf::erfc(-z / std::f64::consts::SQRT_2);
    ((u * STRATA as f64).floor() as i64).clamp(0, STRATA as i64 - 1) as u8
}

/// Lower Cholesky factor of a symmetric `k x k` matrix (row major).
fn cholesky(k: usize, a: &[f64]) -> Result<Vec<f64>, CorrelationError> {
    let mut l = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            let s: f64 = (0..j).map(|m| l[i * k + m] * l[j * k + m]).sum();
            if i == j {
                let d = a[i * k + i] - s;
                if d.is_nan() || d <= 1e-12 {
                    return Err(CorrelationError::NotPositiveDefinite { pivot: i, value: d });
                }
                l[i * k + i] = d.sqrt();
            } else {
                l[i * k + j] = (a[i * k + j] - s) / l[j * k + j];
            }
        }
    }
    Ok(l)
}

#[cfg(test)]
mod tests {
    use super::prior::Distribution;
    use super::*;

    fn param(p: P, d: Distribution) -> UncertainParameter {
        UncertainParameter {
            parameter: p,
            prior: Prior::plain(d).unwrap(),
        }
    }

    #[test]
    fn worlds_are_reproducible_correlated_and_keyed_by_replicate() {
        let ps = vec![
            param(P::RvRepairEmax, Distribution::Normal { mean: 0.0, sd: 1.0 }),
            param(P::LvRepairEmax, Distribution::Normal { mean: 0.0, sd: 1.0 }),
        ];
        let u = Uncertainty::new(ps, &[(0, 1, 0.8)]).unwrap();
        assert_eq!(u.world_normals(7, 3), u.world_normals(7, 3));
        assert_ne!(u.world_normals(7, 3), u.world_normals(7, 4));
        let n = 20_000;
        let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
        for r in 0..n {
            let z = u.world_normals(1, r);
            sxy += z[0] * z[1];
            sxx += z[0] * z[0];
            syy += z[1] * z[1];
        }
        let rho = sxy / (sxx * syy).sqrt();
        // SE of a correlation near 0.8 over 20,000 pairs: (1 - rho^2)/sqrt(n) = 0.0025
        assert!((rho - 0.8).abs() < 0.01, "rho {rho}");
    }

    #[test]
    fn a_point_prior_leaves_the_central_value() {
        let central = ModelParams::default();
        let v = central.get(P::RvRepairEmax);
        let u = Uncertainty::new(
            vec![param(P::RvRepairEmax, Distribution::Point { value: v })],
            &[],
        )
        .unwrap();
        assert_eq!(u.world(&central, 5, 9), central);
    }

    #[test]
    fn impossible_correlations_are_refused() {
        let ps = (0..3)
            .map(|_| param(P::RvRepairEmax, Distribution::Normal { mean: 0.0, sd: 1.0 }))
            .collect();
        let e = Uncertainty::new(ps, &[(0, 1, 0.9), (1, 2, 0.9), (0, 2, -0.9)]).unwrap_err();
        assert!(matches!(e, CorrelationError::NotPositiveDefinite { .. }));
    }
}
