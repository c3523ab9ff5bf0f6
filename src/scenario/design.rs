//! Design points of a sweep: a grid over scenario keys.
//!
//! `[sweep.axes]` maps key paths to value lists. `mode = "factorial"` (the
//! default) crosses every axis; `mode = "zip"` pairs the i-th values of
//! every axis (all axes must have the same length). A scenario without a
//! sweep has one design point with no assignments. The number of points is
//! counted with checked arithmetic before any is built, and limited to
//! [`MAX_DESIGN_POINTS`].

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
    /// From a zipped sweep: the axes change together.
    pub zipped: bool,
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

/// Most design points a sweep may have. Each point holds its checked
/// scenario (about 40 kB for the library's scenarios) and, during a run,
/// its accumulators: 10,000 points stay within about 1 GB.
pub const MAX_DESIGN_POINTS: usize = 10_000;

/// The number of design points of a sweep, checked: at least one axis, zipped
/// axes of equal length, and at most [`MAX_DESIGN_POINTS`] (the product of a
/// factorial is computed without overflow).
pub fn count(sweep: Option<&SweepSpec>) -> Result<usize, Issue> {
    let Some(s) = sweep else { return Ok(1) };
    if s.axes.is_empty() {
        return Err(Issue::new(
            IssueKind::Missing,
            "sweep.axes",
            "a sweep needs at least one axis",
        ));
    }
    let lengths: Vec<usize> = s.axes.iter().map(|(_, v)| v.len()).collect();
    let n = match s.mode {
        SweepMode::Zip => {
            let n = lengths[0];
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
            Some(n)
        }
        SweepMode::Factorial => lengths
            .iter()
            .try_fold(1usize, |acc, &l| acc.checked_mul(l)),
    };
    let shown = lengths
        .iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join(" x ");
    match n {
        Some(n) if n <= MAX_DESIGN_POINTS => Ok(n),
        Some(n) => Err(Issue::new(
            IssueKind::OutOfRange,
            "sweep.axes",
            format!(
                "the sweep has {n} design points ({shown}); at most {MAX_DESIGN_POINTS}: sweep fewer values or axes, or split the sweep into several scenarios"
            ),
        )),
        None => Err(Issue::new(
            IssueKind::OutOfRange,
            "sweep.axes",
            format!(
                "the full factorial of {} axes has more than {} design points ({shown}); at most {MAX_DESIGN_POINTS}",
                lengths.len(),
                usize::MAX
            ),
        )),
    }
}

/// Expand a sweep into design points (after [`count`]).
pub fn expand(sweep: Option<&SweepSpec>) -> Result<Vec<DesignPoint>, Issue> {
    let total = count(sweep)?;
    let Some(s) = sweep else {
        return Ok(vec![DesignPoint {
            index: 0,
            assignments: Vec::new(),
            zipped: false,
        }]);
    };
    let zipped = s.mode == SweepMode::Zip;
    let mut points = Vec::with_capacity(total);
    for index in 0..total {
        let assignments = if zipped {
            s.axes
                .iter()
                .map(|(k, v)| (k.clone(), v[index].clone()))
                .collect()
        } else {
            // last axis varies fastest
            let mut rem = index;
            let mut assignments = vec![(String::new(), Value::from(0)); s.axes.len()];
            for (a, (k, vals)) in s.axes.iter().enumerate().rev() {
                assignments[a] = (k.clone(), vals[rem % vals.len()].clone());
                rem /= vals.len();
            }
            assignments
        };
        points.push(DesignPoint {
            index,
            assignments,
            zipped,
        });
    }
    Ok(points)
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

    #[test]
    fn point_counts_are_checked_before_expanding() {
        // 64 two-valued axes: 2^64 points, which wrapped to 0 in unchecked arithmetic
        let many = SweepSpec {
            mode: SweepMode::Factorial,
            axes: (0..64)
                .map(|i| (format!("a.k{i}"), vec![Value::from(1), Value::from(2)]))
                .collect(),
        };
        let e = count(Some(&many)).unwrap_err();
        assert!(
            e.message.contains("more than 18446744073709551615"),
            "{}",
            e.message
        );
        assert!(expand(Some(&many)).is_err());
        let wide = SweepSpec {
            mode: SweepMode::Zip,
            axes: vec![("a.x".into(), (0..10_001).map(Value::from).collect())],
        };
        assert!(
            count(Some(&wide))
                .unwrap_err()
                .message
                .contains("at most 10000")
        );
        let ok = SweepSpec {
            mode: SweepMode::Factorial,
            axes: vec![
                ("a.x".into(), (0..100).map(Value::from).collect()),
                ("a.y".into(), (0..100).map(Value::from).collect()),
            ],
        };
        assert_eq!(count(Some(&ok)).unwrap(), 10_000);
    }
}
