//! The posterior file of `hfsim calibrate posterior`: weighted draws of
//! model parameters as plain CSV, and how a scenario's `[uncertainty]
//! posterior = "FILE"` turns them into the worlds of assurance.
//!
//! ```text
//! # hfsim posterior: one row per importance draw, weights sum to 1
//! # method = laplace_importance
//! # trials = scenarios/trials/prime_hfref.toml scenarios/trials/trident.toml ...
//! # seed = 1
//! # command = hfsim calibrate posterior ... --write scenarios/model/posterior.csv
//! # (more "# key = value" lines: effective_sample_size, ...)
//! draw,weight,distance,rv_repair_emax_per_day,...
//! 0,0.0041,96.2,0.151,...
//! ```
//!
//! A scenario uses the draws as a Gaussian copula: each parameter's
//! marginal is the weighted empirical distribution (its quantiles at every
//! 5%, linear in between: `Distribution::Empirical`), and the dependence is
//! the weighted correlation of the draws' normal scores. This keeps the
//! marginals and the pairwise dependence of the posterior and lets the
//! same worlds serve assurance (`crate::uncertainty::Uncertainty::world`)
//! and sensitivity (a point of the unit hypercube per world).

use super::UncertainParameter;
use super::prior::{Distribution, EMPIRICAL_POINTS, Prior};
use crate::calibration::posterior::{normal_scores, weighted_correlation, weighted_quantile};
use crate::model::params::P;

/// Header keys a posterior file must have.
pub const REQUIRED_KEYS: &[&str] = &["method", "trials", "seed", "command"];

/// A posterior file as read (or about to be written).
#[derive(Debug, Clone, PartialEq)]
pub struct PosteriorFile {
    /// `# key = value` lines in order (method, trials, seed, command, ...).
    pub header: Vec<(String, String)>,
    pub parameters: Vec<P>,
    /// Normalized weights, one per draw.
    pub weights: Vec<f64>,
    /// The data distance at each draw (NaN if the file has none).
    pub distance: Vec<f64>,
    /// `values[k][i]`: draw `k`'s value of parameter `i`.
    pub values: Vec<Vec<f64>>,
}

/// What is wrong with a posterior file (its line, 1-based, where known).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PosteriorFileError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("{0}")]
    File(String),
}

fn at(line: usize, message: impl Into<String>) -> PosteriorFileError {
    PosteriorFileError::Line {
        line,
        message: message.into(),
    }
}

impl PosteriorFile {
    /// The value of a header key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.header
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The file's text.
    pub fn to_csv(&self) -> String {
        let mut s = String::from(
            "# hfsim posterior: one row per importance draw, weights sum to 1 (docs/validation.md, \"Posterior\")\n",
        );
        for (k, v) in &self.header {
            s.push_str(&format!("# {k} = {v}\n"));
        }
        s.push_str("draw,weight,distance");
        for p in &self.parameters {
            s.push(',');
            s.push_str(p.info().name);
        }
        s.push('\n');
        for (k, (w, v)) in self.weights.iter().zip(&self.values).enumerate() {
            s.push_str(&format!("{k},{w:e},{}", self.distance[k]));
            for x in v {
                s.push_str(&format!(",{x}"));
            }
            s.push('\n');
        }
        s
    }

    /// Read and check a posterior file's text: the required header keys,
    /// known parameters, finite values inside each parameter's range,
    /// non-negative weights with a positive sum (normalized on reading).
    pub fn parse(text: &str) -> Result<PosteriorFile, PosteriorFileError> {
        let mut header = Vec::new();
        let mut columns: Option<(usize, Vec<String>)> = None;
        let mut rows: Vec<(usize, Vec<f64>)> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let l = raw.trim();
            if l.is_empty() {
                continue;
            }
            if let Some(c) = l.strip_prefix('#') {
                if columns.is_none()
                    && let Some((k, v)) = c.split_once('=')
                {
                    header.push((k.trim().to_string(), v.trim().to_string()));
                }
                continue;
            }
            let cells: Vec<&str> = l.split(',').map(str::trim).collect();
            match &columns {
                None => {
                    if cells.len() < 3 || cells[0] != "draw" || cells[1] != "weight" {
                        return Err(at(
                            line,
                            "the column header must start with `draw,weight` and name at least one parameter",
                        ));
                    }
                    columns = Some((line, cells.iter().map(|c| c.to_string()).collect()));
                }
                Some((_, names)) => {
                    if cells.len() != names.len() {
                        return Err(at(
                            line,
                            format!("{} cells, the header has {}", cells.len(), names.len()),
                        ));
                    }
                    let nums = cells
                        .iter()
                        .zip(names)
                        .map(|(c, n)| {
                            c.parse::<f64>()
                                .map_err(|_| at(line, format!("{n}: `{c}` is not a number")))
                        })
                        .collect::<Result<Vec<f64>, _>>()?;
                    rows.push((line, nums));
                }
            }
        }
        for key in REQUIRED_KEYS {
            if !header.iter().any(|(k, _)| k == key) {
                return Err(PosteriorFileError::File(format!(
                    "the header lacks `# {key} = ...` (a posterior file records {})",
                    REQUIRED_KEYS.join(", ")
                )));
            }
        }
        let Some((header_line, names)) = columns else {
            return Err(PosteriorFileError::File(
                "no column header `draw,weight,...` and no draws".into(),
            ));
        };
        let distance_column = names.get(2).is_some_and(|n| n == "distance");
        let first = if distance_column { 3 } else { 2 };
        let mut parameters = Vec::new();
        for n in &names[first..] {
            let p = P::from_name(n).ok_or_else(|| {
                at(
                    header_line,
                    format!("`{n}` is not a model parameter (`hfsim model` lists them)"),
                )
            })?;
            if parameters.contains(&p) {
                return Err(at(header_line, format!("`{n}` appears twice")));
            }
            parameters.push(p);
        }
        if parameters.is_empty() {
            return Err(at(header_line, "no parameter columns"));
        }
        if rows.len() < 10 {
            return Err(PosteriorFileError::File(format!(
                "{} draws; a posterior needs at least 10",
                rows.len()
            )));
        }
        let mut weights = Vec::with_capacity(rows.len());
        let mut distance = Vec::with_capacity(rows.len());
        let mut values = Vec::with_capacity(rows.len());
        for (line, r) in rows {
            let w = r[1];
            if !(w.is_finite() && w >= 0.0) {
                return Err(at(
                    line,
                    format!("weight must be finite and not negative (got {w})"),
                ));
            }
            let v = r[first..].to_vec();
            for (x, p) in v.iter().zip(&parameters) {
                let info = p.info();
                if !(x.is_finite() && *x >= info.min && *x <= info.max) {
                    return Err(at(
                        line,
                        format!(
                            "{} = {x} is outside the parameter's range [{}, {}] {}",
                            info.name, info.min, info.max, info.unit
                        ),
                    ));
                }
            }
            weights.push(w);
            distance.push(if distance_column { r[2] } else { f64::NAN });
            values.push(v);
        }
        let total: f64 = weights.iter().sum();
        if total <= 0.0 || !total.is_finite() {
            return Err(PosteriorFileError::File(
                "the weights sum to zero: no draw carries posterior mass".into(),
            ));
        }
        weights.iter_mut().for_each(|w| *w /= total);
        Ok(PosteriorFile {
            header,
            parameters,
            weights,
            distance,
            values,
        })
    }

    /// Effective sample size of the weights.
    pub fn effective_sample_size(&self) -> f64 {
        1.0 / self.weights.iter().map(|w| w * w).sum::<f64>()
    }

    /// The column of parameter `i`.
    fn column(&self, i: usize) -> Vec<f64> {
        self.values.iter().map(|v| v[i]).collect()
    }

    /// The Gaussian copula of the draws (module docs): one uncertain
    /// parameter per column with its weighted empirical marginal, and the
    /// correlations `(i, j, rho)` of the weighted normal scores (shrunk by
    /// 1% toward zero, which keeps the matrix positive definite when the
    /// draws are few).
    pub fn copula(&self) -> (Vec<UncertainParameter>, Vec<(usize, usize, f64)>) {
        let d = self.parameters.len();
        let parameters = (0..d)
            .map(|i| {
                let col = self.column(i);
                let mut quantiles = [0.0; EMPIRICAL_POINTS];
                for (k, q) in quantiles.iter_mut().enumerate() {
                    *q = weighted_quantile(
                        &col,
                        &self.weights,
                        k as f64 / (EMPIRICAL_POINTS - 1) as f64,
                    );
                }
                // a degenerate column (every draw equal) is a point
                let distribution = if quantiles[0] == quantiles[EMPIRICAL_POINTS - 1] {
                    Distribution::Point {
                        value: quantiles[0],
                    }
                } else {
                    Distribution::Empirical { quantiles }
                };
                UncertainParameter {
                    parameter: self.parameters[i],
                    prior: Prior::plain(distribution).unwrap_or_else(|_| {
                        Prior::plain(Distribution::Point {
                            value: quantiles[EMPIRICAL_POINTS / 2],
                        })
                        .expect("a finite point is a prior")
                    }),
                }
            })
            .collect();
        let scores: Vec<Vec<f64>> = (0..d)
            .map(|i| normal_scores(&self.column(i), &self.weights))
            .collect();
        let mut correlations = Vec::new();
        for i in 0..d {
            for j in 0..i {
                let rho = 0.99 * weighted_correlation(&scores[i], &scores[j], &self.weights);
                if rho != 0.0 && rho.is_finite() {
                    correlations.push((i, j, rho));
                }
            }
        }
        (parameters, correlations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(rows: usize) -> String {
        let mut s = String::from(
            "# method = laplace_importance\n# trials = a.toml b.toml\n# seed = 3\n# command = hfsim calibrate posterior a.toml b.toml\ndraw,weight,distance,rv_repair_emax_per_day,gdmt_response\n",
        );
        for k in 0..rows {
            let x = 0.05 + 0.01 * k as f64;
            s.push_str(&format!(
                "{k},{},{},{x},{}\n",
                1.0 + k as f64,
                10.0,
                1.0 + 2.0 * x
            ));
        }
        s
    }

    #[test]
    fn a_written_file_reads_back() {
        let f = PosteriorFile::parse(&file(20)).unwrap();
        assert_eq!(f.parameters, vec![P::RvRepairEmax, P::GdmtResponse]);
        assert_eq!(f.get("seed"), Some("3"));
        assert!((f.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let again = PosteriorFile::parse(&f.to_csv()).unwrap();
        assert_eq!(again.parameters, f.parameters);
        assert_eq!(again.values, f.values);
        for (a, b) in again.weights.iter().zip(&f.weights) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn bad_files_are_refused_with_their_line() {
        let cases = [
            (file(20).replace("# seed = 3\n", ""), "lacks `# seed"),
            (
                file(20).replace("gdmt_response\n", "gdmt_respons\n"),
                "line 5",
            ),
            (file(5), "at least 10"),
            (file(20).replace("\n3,4,", "\n3,-4,"), "line 9: weight"),
            (
                file(20).replace("\n3,4,10,0.08,", "\n3,4,10,7,"),
                "outside the parameter's range",
            ),
            (
                file(20).replace("\n3,4,10,0.08,", "\n3,4,10,x,"),
                "is not a number",
            ),
            (
                file(20).replace("draw,weight", "weight,draw"),
                "must start with",
            ),
        ];
        for (text, expect) in cases {
            let e = PosteriorFile::parse(&text).unwrap_err().to_string();
            assert!(e.contains(expect), "{e} should say {expect}");
        }
    }

    #[test]
    fn the_copula_keeps_marginals_and_dependence() {
        let f = PosteriorFile::parse(&file(40)).unwrap();
        let (params, corr) = f.copula();
        let prior = &params[0].prior;
        let med = weighted_quantile(&f.column(0), &f.weights, 0.5);
        assert!((prior.median() - med).abs() < 1e-12);
        assert_eq!(prior.quantile(0.0), 0.05);
        assert!((prior.quantile(1.0) - 0.44).abs() < 1e-12);
        // gdmt_response is an increasing function of the first column
        assert_eq!(corr.len(), 1);
        assert!(corr[0].2 > 0.97, "{corr:?}");
    }
}
