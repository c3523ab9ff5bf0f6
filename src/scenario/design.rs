//! Design points of a sweep: a grid over scenario keys.
//!
//! `[sweep.axes]` maps key paths to value lists. `mode = "factorial"` (the
//! default) crosses every axis; `mode = "zip"` pairs the i-th values of
//! every axis (all axes must have the same length). A scenario without a
//! sweep has one design point with no assignments.

use super::error::{Issue, IssueKind};
use super::spec::{SweepMode, SweepSpec};
use serde::Serialize;
use toml_edit::Value;

/// One point of the design grid.
#[derive(Debug, Clone)]
pub struct DesignPoint {
    pub index: usize,
    /// `(key path, value)` assignments, in axis order.
    pub assignments: Vec<(String, Value)>,
}

impl DesignPoint {
    /// `interval_days=28, n_per_arm=40` style label.
    pub fn label(&self) -> String {
        if self.assignments.is_empty() {
            return "base".to_string();
        }
        self.assignments
            .iter()
            .map(|(k, v)| format!("{k}={}", v.to_string().trim()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The assignments as JSON (`design` in `summary.json`).
    pub fn to_json(&self) -> serde_json::Map<String, serde_json::Value> {
        self.assignments
            .iter()
            .map(|(k, v)| (k.clone(), toml_to_json(v)))
            .collect()
    }
}

/// A TOML value as JSON.
pub fn toml_to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::String(s) => serde_json::Value::String(s.value().clone()),
        Value::Integer(i) => serde_json::Value::from(*i.value()),
        Value::Float(f) => serde_json::Number::from_f64(*f.value())
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        Value::Boolean(b) => serde_json::Value::Bool(*b.value()),
        Value::Datetime(d) => serde_json::Value::String(d.value().to_string()),
        Value::Array(a) => serde_json::Value::Array(a.iter().map(toml_to_json).collect()),
        Value::InlineTable(t) => serde_json::Value::Object(
            t.iter()
                .map(|(k, v)| (k.to_string(), toml_to_json(v)))
                .collect(),
        ),
    }
}

/// Summary of the grid, for `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct DesignSummary {
    pub mode: SweepMode,
    pub axes: Vec<String>,
    pub points: usize,
}

/// Expand a sweep into design points.
pub fn expand(sweep: Option<&SweepSpec>) -> Result<Vec<DesignPoint>, Issue> {
    let Some(s) = sweep else {
        return Ok(vec![DesignPoint {
            index: 0,
            assignments: Vec::new(),
        }]);
    };
    if s.axes.is_empty() {
        return Err(Issue::new(
            IssueKind::Missing,
            "sweep.axes",
            "a sweep needs at least one axis",
        ));
    }
    match s.mode {
        SweepMode::Zip => {
            let n = s.axes[0].1.len();
            if let Some((k, v)) = s.axes.iter().find(|(_, v)| v.len() != n) {
                return Err(Issue::new(
                    IssueKind::Inconsistent,
                    format!("sweep.axes.\"{k}\""),
                    format!(
                        "with mode = \"zip\" every axis needs the same number of values ({} has {n}, this has {})",
                        s.axes[0].0,
                        v.len()
                    ),
                ));
            }
            Ok((0..n)
                .map(|i| DesignPoint {
                    index: i,
                    assignments: s
                        .axes
                        .iter()
                        .map(|(k, v)| (k.clone(), v[i].clone()))
                        .collect(),
                })
                .collect())
        }
        SweepMode::Factorial => {
            let total: usize = s.axes.iter().map(|(_, v)| v.len()).product();
            if total > 100_000 {
                return Err(Issue::new(
                    IssueKind::OutOfRange,
                    "sweep.axes",
                    format!("the full factorial has {total} design points; at most 100000"),
                ));
            }
            let mut points = Vec::with_capacity(total);
            for index in 0..total {
                // last axis varies fastest
                let mut rem = index;
                let mut assignments = vec![(String::new(), Value::from(0)); s.axes.len()];
                for (a, (k, vals)) in s.axes.iter().enumerate().rev() {
                    assignments[a] = (k.clone(), vals[rem % vals.len()].clone());
                    rem /= vals.len();
                }
                points.push(DesignPoint { index, assignments });
            }
            Ok(points)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axes(mode: SweepMode) -> SweepSpec {
        SweepSpec {
            mode,
            axes: vec![
                ("a.x".into(), vec![Value::from(1), Value::from(2)]),
                ("b.y".into(), vec![Value::from("p"), Value::from("q")]),
            ],
        }
    }

    #[test]
    fn factorial_crosses_and_zip_pairs() {
        let f = expand(Some(&axes(SweepMode::Factorial))).unwrap();
        assert_eq!(f.len(), 4);
        assert_eq!(f[1].label(), "a.x=1, b.y=\"q\"");
        let z = expand(Some(&axes(SweepMode::Zip))).unwrap();
        assert_eq!(z.len(), 2);
        assert_eq!(z[1].label(), "a.x=2, b.y=\"q\"");
        assert_eq!(expand(None).unwrap().len(), 1);
    }
}
