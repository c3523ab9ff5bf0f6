//! Morris elementary effects (Morris 1991; mu* after Campolongo et al. 2007).
//!
//! A trajectory starts at a random point of a `p`-level grid of the unit
//! hypercube and moves one input at a time, in random order and direction,
//! by `Delta = p / (2 (p - 1))`. The elementary effect of input `i` is
//! `(f(higher x_i) - f(lower x_i)) / Delta` between the two points that
//! differ in `x_i`. Over `r` trajectories: `mu` (mean), `mu*` (mean of the
//! absolute values: the importance) and `sigma` (standard deviation,
//! divisor `r - 1`: nonlinearity or interactions), as SALib's
//! `morris.analyze`.

use super::SensitivityError;
use rand::RngExt;

/// Elementary-effect statistics of every input.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MorrisEffects {
    pub mu: Vec<f64>,
    pub mu_star: Vec<f64>,
    pub sigma: Vec<f64>,
    pub trajectories: usize,
    pub levels: usize,
}

/// A Morris design: `trajectories` trajectories of `inputs + 1` points on a
/// grid of `levels` levels (even, at least 2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MorrisDesign {
    pub inputs: usize,
    pub trajectories: usize,
    pub levels: usize,
}

impl MorrisDesign {
    pub fn new(
        inputs: usize,
        trajectories: usize,
        levels: usize,
    ) -> Result<MorrisDesign, SensitivityError> {
        if inputs == 0 {
            return Err(SensitivityError::NoInputs);
        }
        if trajectories < 2 {
            return Err(SensitivityError::TooSmall {
                what: "the number of Morris trajectories",
                min: 2,
                got: trajectories,
            });
        }
        if levels < 2 || levels % 2 == 1 {
            return Err(SensitivityError::TooSmall {
                what: "the number of Morris levels (even)",
                min: 2,
                got: levels,
            });
        }
        Ok(MorrisDesign {
            inputs,
            trajectories,
            levels,
        })
    }

    /// The step `Delta`.
    pub fn delta(&self) -> f64 {
        self.levels as f64 / (2.0 * (self.levels as f64 - 1.0))
    }

    pub fn evaluations(&self) -> usize {
        self.trajectories * (self.inputs + 1)
    }

    /// The points, trajectory after trajectory.
    pub fn points(&self, rng: &mut impl rand::Rng) -> Vec<Vec<f64>> {
        let (k, p) = (self.inputs, self.levels);
        let delta = self.delta();
        let mut rows = Vec::with_capacity(self.evaluations());
        let mut order: Vec<usize> = (0..k).collect();
        for _ in 0..self.trajectories {
            // start: levels l / (p - 1) with room for the step
            let start: Vec<f64> = (0..k)
                .map(|_| rng.random_range(0..p / 2) as f64 / (p as f64 - 1.0))
                .collect();
            let up: Vec<bool> = (0..k).map(|_| rng.random_bool(0.5)).collect();
            // Fisher-Yates: the order in which the inputs move
            for i in (1..k).rev() {
                let j = rng.random_range(0..=i);
                order.swap(i, j);
            }
            let mut moved = vec![false; k];
            for step in 0..=k {
                if step > 0 {
                    moved[order[step - 1]] = true;
                }
                rows.push(
                    (0..k)
                        .map(|f| start[f] + if moved[f] == up[f] { delta } else { 0.0 })
                        .collect(),
                );
            }
        }
        rows
    }
}

/// The statistics from the points of `design` (trajectories of `inputs + 1`
/// consecutive rows, as `points` makes them or as SALib's `morris.sample`
/// does) and the outputs there.
pub fn analyze(
    design: &MorrisDesign,
    points: &[Vec<f64>],
    outputs: &[f64],
) -> Result<MorrisEffects, SensitivityError> {
    let k = design.inputs;
    if outputs.len() != design.evaluations() || points.len() != outputs.len() {
        return Err(SensitivityError::OutputCount {
            expected: design.evaluations(),
            got: outputs.len().min(points.len()),
        });
    }
    if let Some((row, &value)) = outputs.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(SensitivityError::NonFinite { row, value });
    }
    let delta = design.delta();
    let mut effects = vec![Vec::with_capacity(design.trajectories); k];
    for t in 0..design.trajectories {
        let base = t * (k + 1);
        for s in 0..k {
            let (x0, x1) = (&points[base + s], &points[base + s + 1]);
            let changed: Vec<usize> = (0..k).filter(|&f| (x1[f] - x0[f]).abs() > 1e-12).collect();
            let [f] = changed[..] else {
                return Err(SensitivityError::OutputCount {
                    expected: 1,
                    got: changed.len(),
                });
            };
            let (y0, y1) = (outputs[base + s], outputs[base + s + 1]);
            let ee = if x1[f] > x0[f] { y1 - y0 } else { y0 - y1 } / delta;
            effects[f].push(ee);
        }
    }
    let r = design.trajectories as f64;
    let mut out = MorrisEffects {
        mu: Vec::with_capacity(k),
        mu_star: Vec::with_capacity(k),
        sigma: Vec::with_capacity(k),
        trajectories: design.trajectories,
        levels: design.levels,
    };
    for e in &effects {
        let mu = e.iter().sum::<f64>() / r;
        out.mu.push(mu);
        out.mu_star.push(e.iter().map(|v| v.abs()).sum::<f64>() / r);
        out.sigma
            .push((e.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / (r - 1.0)).sqrt());
    }
    Ok(out)
}
