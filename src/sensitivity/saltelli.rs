//! Sobol' indices from a Saltelli design.
//!
//! Two independent matrices `A` and `B` of `n` points each (the first and
//! last `k` coordinates of a `2k`-dimensional Sobol' sequence, the origin
//! skipped) and, for each input `i`, `AB_i`: `A` with column `i` taken from
//! `B`. With `f_A`, `f_B`, `f_ABi` the model outputs and `V` the variance
//! of `f_A` and `f_B` together (divisor `2n`):
//!
//! ```text
//! S_i  = mean(f_B (f_ABi - f_A)) / V            (first order; Saltelli et al. 2010)
//! ST_i = mean((f_A - f_ABi)^2) / (2 V)          (total; Jansen 1999)
//! ```
//! the estimators of SALib's `sobol.analyze` (`indices_of`; `analyze`
//! first centres the outputs on their mean, which leaves the estimators'
//! expectations unchanged and lowers their variance). Intervals: the 2.5% and
//! 97.5% percentiles of the indices over bootstrap resamples of the `n`
//! base rows. Rows are in SALib's order: per base row `A`, `AB_1..AB_k`,
//! `B` (`k + 2` points).

use super::SensitivityError;
use super::sobol_sequence::SobolSequence;
use rand::RngExt;

/// An index with its bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Estimate {
    pub value: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// First-order and total Sobol' indices of every input.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SobolIndices {
    pub first_order: Vec<Estimate>,
    pub total: Vec<Estimate>,
    /// Variance of the output over `A` and `B`.
    pub variance: f64,
    /// Base rows `n` and bootstrap resamples.
    pub base_rows: usize,
    pub resamples: usize,
}

/// A Saltelli design of `inputs` inputs and `base_rows` base rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SaltelliDesign {
    pub inputs: usize,
    pub base_rows: usize,
}

impl SaltelliDesign {
    pub fn new(inputs: usize, base_rows: usize) -> Result<SaltelliDesign, SensitivityError> {
        if inputs == 0 {
            return Err(SensitivityError::NoInputs);
        }
        if 2 * inputs > super::sobol_directions::MAX_DIMS {
            return Err(SensitivityError::TooManyInputs {
                inputs,
                dims: 2 * inputs,
                max: super::sobol_directions::MAX_DIMS,
            });
        }
        if base_rows < 2 {
            return Err(SensitivityError::TooSmall {
                what: "the number of base rows",
                min: 2,
                got: base_rows,
            });
        }
        Ok(SaltelliDesign { inputs, base_rows })
    }

    /// Points per base row (`A`, `AB_1..AB_k`, `B`).
    pub fn rows_per_base(&self) -> usize {
        self.inputs + 2
    }

    /// Model evaluations the design needs.
    pub fn evaluations(&self) -> usize {
        self.base_rows * self.rows_per_base()
    }

    /// The points, row after row, in the unit hypercube (`evaluations()`
    /// rows of `inputs` coordinates).
    pub fn points(&self) -> Vec<Vec<f64>> {
        let k = self.inputs;
        let mut seq = SobolSequence::new(2 * k).expect("dimensions checked in new");
        seq.skip(1);
        let mut p = vec![0.0; 2 * k];
        let mut rows = Vec::with_capacity(self.evaluations());
        for _ in 0..self.base_rows {
            seq.next_into(&mut p);
            let (a, b) = p.split_at(k);
            rows.push(a.to_vec());
            for i in 0..k {
                let mut ab = a.to_vec();
                ab[i] = b[i];
                rows.push(ab);
            }
            rows.push(b.to_vec());
        }
        rows
    }
}

/// The indices from the model outputs at `design.points()` (same order),
/// with `resamples` bootstrap resamples drawn from `rng`.
pub fn analyze(
    design: &SaltelliDesign,
    outputs: &[f64],
    resamples: usize,
    rng: &mut impl rand::Rng,
) -> Result<SobolIndices, SensitivityError> {
    let (k, n, step) = (design.inputs, design.base_rows, design.rows_per_base());
    if outputs.len() != design.evaluations() {
        return Err(SensitivityError::OutputCount {
            expected: design.evaluations(),
            got: outputs.len(),
        });
    }
    if let Some((row, &value)) = outputs.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(SensitivityError::NonFinite { row, value });
    }
    // centred on the mean of f_A and f_B: the estimators are unbiased for
    // any shift of the output, and their variance is smallest centred
    // (a power near 0.8 otherwise swamps the first-order estimate)
    let centre = (0..n)
        .map(|j| outputs[j * step] + outputs[j * step + k + 1])
        .sum::<f64>()
        / (2 * n) as f64;
    let fa: Vec<f64> = (0..n).map(|j| outputs[j * step] - centre).collect();
    let fb: Vec<f64> = (0..n).map(|j| outputs[j * step + k + 1] - centre).collect();
    let fab: Vec<Vec<f64>> = (0..k)
        .map(|i| (0..n).map(|j| outputs[j * step + 1 + i] - centre).collect())
        .collect();
    let all: Vec<usize> = (0..n).collect();
    let point = indices_of(&fa, &fb, &fab, &all);
    let Some((s1, st, variance)) = point else {
        return Err(SensitivityError::ConstantOutput { value: fa[0] });
    };
    let mut boot_s1 = vec![Vec::with_capacity(resamples); k];
    let mut boot_st = vec![Vec::with_capacity(resamples); k];
    let mut rows = vec![0usize; n];
    for _ in 0..resamples {
        for r in rows.iter_mut() {
            *r = rng.random_range(0..n);
        }
        // a resample without variance (all rows alike) says nothing: skipped
        if let Some((b1, bt, _)) = indices_of(&fa, &fb, &fab, &rows) {
            for i in 0..k {
                boot_s1[i].push(b1[i]);
                boot_st[i].push(bt[i]);
            }
        }
    }
    let estimate = |value: f64, boot: &mut Vec<f64>| {
        boot.sort_by(f64::total_cmp);
        Estimate {
            value,
            ci_low: quantile(boot, 0.025).unwrap_or(f64::NAN),
            ci_high: quantile(boot, 0.975).unwrap_or(f64::NAN),
        }
    };
    Ok(SobolIndices {
        first_order: (0..k).map(|i| estimate(s1[i], &mut boot_s1[i])).collect(),
        total: (0..k).map(|i| estimate(st[i], &mut boot_st[i])).collect(),
        variance,
        base_rows: n,
        resamples,
    })
}

/// First-order and total indices over the base rows `rows` (with
/// repetitions for a bootstrap resample); None without variance.
pub fn indices_of(
    fa: &[f64],
    fb: &[f64],
    fab: &[Vec<f64>],
    rows: &[usize],
) -> Option<(Vec<f64>, Vec<f64>, f64)> {
    let m = rows.len() as f64;
    let mean = rows.iter().map(|&j| fa[j] + fb[j]).sum::<f64>() / (2.0 * m);
    let variance = rows
        .iter()
        .map(|&j| (fa[j] - mean).powi(2) + (fb[j] - mean).powi(2))
        .sum::<f64>()
        / (2.0 * m);
    if variance.is_nan() || variance <= f64::EPSILON {
        return None;
    }
    let mut s1 = Vec::with_capacity(fab.len());
    let mut st = Vec::with_capacity(fab.len());
    for f in fab {
        let first = rows.iter().map(|&j| fb[j] * (f[j] - fa[j])).sum::<f64>() / m;
        let total = rows.iter().map(|&j| (fa[j] - f[j]).powi(2)).sum::<f64>() / m;
        s1.push(first / variance);
        st.push(0.5 * total / variance);
    }
    Some((s1, st, variance))
}

/// Quantile of sorted values (linear interpolation between order
/// statistics, R's type 7).
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}
