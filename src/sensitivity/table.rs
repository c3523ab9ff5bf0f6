//! The indices of a sensitivity analysis as one table: per output (power,
//! effect) and uncertain parameter, the statistics of the method with their
//! intervals. This is what `sensitivity.csv` holds (written from the
//! estimators' results, read back by the report) and what the charts
//! (`crate::plots::sensitivity`) and the report's Sensitivity section show.
//! Also the facts of the run the indices came from ([`RunInfo`], from
//! `sensitivity.json`).

use super::morris::MorrisEffects;
use super::saltelli::{Estimate, SobolIndices};

/// The columns of `sensitivity.csv`.
pub const CSV_HEADER: [&str; 6] = [
    "output",
    "parameter",
    "statistic",
    "value",
    "ci_low",
    "ci_high",
];

/// Which estimator made the indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Morris,
    Sobol,
}

impl Method {
    /// The statistics of the method, in the order of `sensitivity.csv`.
    pub fn statistics(self) -> &'static [&'static str] {
        match self {
            Method::Morris => &["mu", "mu_star", "sigma"],
            Method::Sobol => &["first_order", "total"],
        }
    }

    /// The statistic that ranks the parameters (largest: most important).
    pub fn importance(self) -> &'static str {
        match self {
            Method::Morris => "mu_star",
            Method::Sobol => "total",
        }
    }

    /// The two statistics the charts draw side by side.
    pub fn drawn(self) -> [&'static str; 2] {
        match self {
            Method::Morris => ["mu_star", "sigma"],
            Method::Sobol => ["first_order", "total"],
        }
    }

    /// The name in `sensitivity.json` (`method`).
    pub fn key(self) -> &'static str {
        match self {
            Method::Morris => "morris",
            Method::Sobol => "sobol",
        }
    }

    /// The method of a `sensitivity.json` `method` value (any case).
    pub fn from_key(key: &str) -> Option<Method> {
        match key.to_ascii_lowercase().as_str() {
            "morris" => Some(Method::Morris),
            "sobol" => Some(Method::Sobol),
            _ => None,
        }
    }
}

/// How a statistic is named on charts and in the report.
pub fn statistic_label(statistic: &str) -> &str {
    match statistic {
        "mu" => "mu",
        "mu_star" => "mu*",
        "sigma" => "sigma",
        "first_order" => "first-order index",
        "total" => "total index",
        other => other,
    }
}

/// One statistic: its value and, for Sobol' indices, the bootstrap 95%
/// interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Value {
    pub value: f64,
    pub interval: Option<(f64, f64)>,
}

impl From<Estimate> for Value {
    fn from(e: Estimate) -> Value {
        Value {
            value: e.value,
            interval: Some((e.ci_low, e.ci_high)),
        }
    }
}

/// The statistics of one parameter, in the order of
/// [`Method::statistics`].
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterRow {
    pub parameter: String,
    pub values: Vec<Value>,
}

impl ParameterRow {
    /// The value of `statistic` (`None` if the method has no such statistic).
    pub fn get(&self, method: Method, statistic: &str) -> Option<Value> {
        let i = method.statistics().iter().position(|s| *s == statistic)?;
        self.values.get(i).copied()
    }

    /// The importance (total index or mu*); NaN if missing.
    pub fn importance(&self, method: Method) -> f64 {
        self.get(method, method.importance())
            .map_or(f64::NAN, |v| v.value)
    }
}

/// The indices of one output (`power` or `effect`), parameters in the
/// order of `[uncertainty]`.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputIndices {
    pub output: String,
    pub rows: Vec<ParameterRow>,
}

impl OutputIndices {
    /// Morris statistics of the parameters `names` (in the order of the
    /// estimator's inputs).
    pub fn morris(output: &str, names: &[&str], m: &MorrisEffects) -> OutputIndices {
        let rows = names
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                let v = |x: &[f64]| {
                    x.get(i).map(|&value| Value {
                        value,
                        interval: None,
                    })
                };
                Some(ParameterRow {
                    parameter: n.to_string(),
                    values: vec![v(&m.mu)?, v(&m.mu_star)?, v(&m.sigma)?],
                })
            })
            .collect();
        OutputIndices {
            output: output.to_string(),
            rows,
        }
    }

    /// Sobol' indices of the parameters `names`.
    pub fn sobol(output: &str, names: &[&str], x: &SobolIndices) -> OutputIndices {
        let rows = names
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                Some(ParameterRow {
                    parameter: n.to_string(),
                    values: vec![
                        Value::from(*x.first_order.get(i)?),
                        Value::from(*x.total.get(i)?),
                    ],
                })
            })
            .collect();
        OutputIndices {
            output: output.to_string(),
            rows,
        }
    }

    /// The rows by importance, largest first; a missing or non-finite
    /// importance last; ties keep the order of `[uncertainty]`.
    pub fn ranked(&self, method: Method) -> Vec<&ParameterRow> {
        let mut rows: Vec<&ParameterRow> = self.rows.iter().collect();
        let key = |r: &ParameterRow| {
            let v = r.importance(method);
            if v.is_finite() { v } else { f64::NEG_INFINITY }
        };
        rows.sort_by(|a, b| key(b).total_cmp(&key(a)));
        rows
    }
}

/// Every output's indices.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexTable {
    pub method: Method,
    pub outputs: Vec<OutputIndices>,
}

/// Why `sensitivity.csv` cannot be read as an [`IndexTable`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TableError {
    #[error("not a CSV file: {0}")]
    Csv(String),
    #[error("the header is not {expected:?} (got {got:?})")]
    Header { expected: String, got: String },
    #[error("line {line}: {column} is not a number: {text:?}")]
    Number {
        line: u64,
        column: &'static str,
        text: String,
    },
    #[error("line {line}: ci_low and ci_high must be both given or both empty")]
    HalfInterval { line: u64 },
    #[error("{output}, {parameter}: no {statistic} ({method} indices)")]
    Missing {
        output: String,
        parameter: String,
        statistic: &'static str,
        method: &'static str,
    },
}

impl IndexTable {
    /// The rows of `sensitivity.csv` (columns [`CSV_HEADER`]).
    pub fn csv_rows(&self) -> Vec<Vec<String>> {
        let mut rows = Vec::new();
        for o in &self.outputs {
            for r in &o.rows {
                for (stat, v) in self.method.statistics().iter().zip(&r.values) {
                    let (lo, hi) = match v.interval {
                        Some((lo, hi)) => (lo.to_string(), hi.to_string()),
                        None => (String::new(), String::new()),
                    };
                    rows.push(vec![
                        o.output.clone(),
                        r.parameter.clone(),
                        stat.to_string(),
                        v.value.to_string(),
                        lo,
                        hi,
                    ]);
                }
            }
        }
        rows
    }

    /// Read `sensitivity.csv` text written by [`IndexTable::csv_rows`].
    /// Outputs and parameters keep their order of first appearance;
    /// statistics the method does not have are ignored; every parameter
    /// must have all of the method's statistics.
    pub fn parse_csv(text: &str, method: Method) -> Result<IndexTable, TableError> {
        let mut rd = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(text.as_bytes());
        let header = rd.headers().map_err(|e| TableError::Csv(e.to_string()))?;
        if header.iter().collect::<Vec<_>>() != CSV_HEADER {
            return Err(TableError::Header {
                expected: CSV_HEADER.join(","),
                got: header.iter().collect::<Vec<_>>().join(","),
            });
        }
        let stats = method.statistics();
        // per output, its parameters with their values by statistic
        type Found = Vec<(String, Vec<Option<Value>>)>;
        let mut found: Vec<(String, Found)> = Vec::new();
        for rec in rd.records() {
            let rec = rec.map_err(|e| TableError::Csv(e.to_string()))?;
            let line = rec.position().map_or(0, |p| p.line());
            let field = |i: usize| rec.get(i).unwrap_or("");
            let Some(k) = stats.iter().position(|s| *s == field(2)) else {
                continue;
            };
            let number = |i: usize, column: &'static str| {
                field(i).parse::<f64>().map_err(|_| TableError::Number {
                    line,
                    column,
                    text: field(i).to_string(),
                })
            };
            let value = number(3, "value")?;
            let interval = match (field(4).is_empty(), field(5).is_empty()) {
                (true, true) => None,
                (false, false) => Some((number(4, "ci_low")?, number(5, "ci_high")?)),
                _ => return Err(TableError::HalfInterval { line }),
            };
            let o = match found.iter().position(|(o, _)| o == field(0)) {
                Some(o) => o,
                None => {
                    found.push((field(0).to_string(), Vec::new()));
                    found.len() - 1
                }
            };
            let params = &mut found[o].1;
            let p = match params.iter().position(|(p, _)| p == field(1)) {
                Some(p) => p,
                None => {
                    params.push((field(1).to_string(), vec![None; stats.len()]));
                    params.len() - 1
                }
            };
            params[p].1[k] = Some(Value { value, interval });
        }
        let mut outputs = Vec::new();
        for (output, params) in found {
            let mut rows = Vec::new();
            for (parameter, values) in params {
                let values = values
                    .iter()
                    .zip(stats)
                    .map(|(v, s)| {
                        v.ok_or_else(|| TableError::Missing {
                            output: output.clone(),
                            parameter: parameter.clone(),
                            statistic: s,
                            method: method.key(),
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                rows.push(ParameterRow { parameter, values });
            }
            outputs.push(OutputIndices { output, rows });
        }
        Ok(IndexTable { method, outputs })
    }
}

/// How the indices were made (from `sensitivity.json`).
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    pub scenario: String,
    pub endpoint: String,
    pub method: Method,
    /// Morris trajectories or Sobol' base rows.
    pub samples: usize,
    /// Simulated trials per design point.
    pub replicates: u64,
    /// Design points evaluated.
    pub evaluations: usize,
    pub seed: u64,
    /// Morris grid levels.
    pub levels: Option<usize>,
    /// Bootstrap resamples of the Sobol' intervals.
    pub bootstrap: Option<usize>,
    /// Outputs that could not be analysed, with the reason.
    pub not_analysed: Vec<String>,
}

impl RunInfo {
    /// Read from a parsed `sensitivity.json`; `None` without an endpoint or
    /// a known method.
    pub fn from_json(v: &serde_json::Value) -> Option<RunInfo> {
        let text = |k: &str| v.get(k).and_then(|x| x.as_str());
        let count = |k: &str| v.get(k).and_then(|x| x.as_u64());
        Some(RunInfo {
            scenario: text("scenario").unwrap_or("").to_string(),
            endpoint: text("endpoint")?.to_string(),
            method: Method::from_key(text("method")?)?,
            samples: count("samples").unwrap_or(0) as usize,
            replicates: count("replicates_per_point").unwrap_or(0),
            evaluations: count("evaluations").unwrap_or(0) as usize,
            seed: count("seed").unwrap_or(0),
            levels: count("levels").map(|x| x as usize),
            bootstrap: count("bootstrap").map(|x| x as usize),
            not_analysed: v
                .get("not_analysed")
                .and_then(|x| x.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// One sentence on the design: "Morris elementary effects (20
    /// trajectories on a 4-level grid), 60 design points x 50 simulated
    /// trials (seed 1)".
    pub fn design_text(&self) -> String {
        let how = match self.method {
            Method::Morris => format!(
                "Morris elementary effects ({} trajectories{})",
                self.samples,
                self.levels
                    .map(|l| format!(" on a {l}-level grid"))
                    .unwrap_or_default()
            ),
            Method::Sobol => format!(
                "Sobol' indices (Saltelli design of {} base rows{})",
                self.samples,
                self.bootstrap
                    .map(|b| format!("; bootstrap 95% percentile intervals from {b} resamples"))
                    .unwrap_or_default()
            ),
        };
        format!(
            "{how}, {} design points x {} simulated trials (seed {})",
            self.evaluations, self.replicates, self.seed
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sobol_table() -> IndexTable {
        let e = |value, ci_low, ci_high| Estimate {
            value,
            ci_low,
            ci_high,
        };
        let x = SobolIndices {
            first_order: vec![e(0.1, 0.0, 0.2), e(0.6, 0.5, 0.7)],
            total: vec![e(0.15, 0.05, 0.25), e(0.8, 0.7, 0.9)],
            variance: 1.0,
            base_rows: 8,
            resamples: 10,
        };
        IndexTable {
            method: Method::Sobol,
            outputs: vec![OutputIndices::sobol("power", &["a", "b"], &x)],
        }
    }

    fn csv_text(t: &IndexTable) -> String {
        let mut s = CSV_HEADER.join(",");
        for r in t.csv_rows() {
            s.push('\n');
            s.push_str(&r.join(","));
        }
        s
    }

    #[test]
    fn csv_rows_read_back_exactly() {
        let t = sobol_table();
        let rows = t.csv_rows();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0], ["power", "a", "first_order", "0.1", "0", "0.2"]);
        assert_eq!(IndexTable::parse_csv(&csv_text(&t), Method::Sobol), Ok(t));
        let m = MorrisEffects {
            mu: vec![-1.0 / 3.0, 0.5],
            mu_star: vec![1.0 / 3.0, 0.5],
            sigma: vec![0.25, f64::INFINITY],
            trajectories: 4,
            levels: 4,
        };
        let t = IndexTable {
            method: Method::Morris,
            outputs: vec![
                OutputIndices::morris("power", &["a", "b"], &m),
                OutputIndices::morris("effect", &["a", "b"], &m),
            ],
        };
        assert_eq!(
            t.csv_rows()[1],
            ["power", "a", "mu_star", "0.3333333333333333", "", ""]
        );
        assert_eq!(IndexTable::parse_csv(&csv_text(&t), Method::Morris), Ok(t));
    }

    #[test]
    fn ranking_is_by_importance_with_non_finite_last() {
        let t = sobol_table();
        let names: Vec<&str> = t.outputs[0]
            .ranked(Method::Sobol)
            .iter()
            .map(|r| r.parameter.as_str())
            .collect();
        assert_eq!(names, ["b", "a"]);
        let mut o = t.outputs[0].clone();
        o.rows[1].values[1].value = f64::NAN;
        assert_eq!(o.ranked(Method::Sobol)[0].parameter, "a");
    }

    #[test]
    fn bad_csv_is_a_typed_error() {
        let h = CSV_HEADER.join(",");
        assert!(matches!(
            IndexTable::parse_csv("a,b\n", Method::Sobol),
            Err(TableError::Header { .. })
        ));
        assert!(matches!(
            IndexTable::parse_csv(&format!("{h}\npower,a,total,x,0,1\n"), Method::Sobol),
            Err(TableError::Number { line: 2, .. })
        ));
        assert!(matches!(
            IndexTable::parse_csv(&format!("{h}\npower,a,total,1,0,\n"), Method::Sobol),
            Err(TableError::HalfInterval { .. })
        ));
        assert!(matches!(
            IndexTable::parse_csv(&format!("{h}\npower,a,total,1,0,1\n"), Method::Sobol),
            Err(TableError::Missing {
                statistic: "first_order",
                ..
            })
        ));
        assert!(matches!(
            IndexTable::parse_csv(&format!("{h}\npower,a,total\n"), Method::Sobol),
            Err(TableError::Csv(_))
        ));
        // an empty table is a table
        assert_eq!(
            IndexTable::parse_csv(&h, Method::Morris).map(|t| t.outputs.len()),
            Ok(0)
        );
    }

    #[test]
    fn run_info_reads_sensitivity_json() {
        let v = serde_json::json!({
            "scenario": "s", "endpoint": "e", "method": "sobol", "samples": 8,
            "replicates_per_point": 12, "evaluations": 32, "seed": 3,
            "levels": null, "bootstrap": 100, "not_analysed": ["power: constant"]
        });
        let i = RunInfo::from_json(&v).unwrap();
        assert_eq!(i.method, Method::Sobol);
        assert_eq!((i.samples, i.replicates, i.evaluations), (8, 12, 32));
        assert_eq!((i.levels, i.bootstrap), (None, Some(100)));
        assert_eq!(i.not_analysed, ["power: constant"]);
        assert!(
            i.design_text().contains("8 base rows"),
            "{}",
            i.design_text()
        );
        assert!(RunInfo::from_json(&serde_json::json!({"endpoint": "e", "method": "x"})).is_none());
    }
}
