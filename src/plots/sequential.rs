//! Figures of a sequential design: the probability of stopping at each look
//! (for efficacy and for futility, with 95% intervals) and the bounds on
//! the Z scale against the information fraction.

use super::{Color, Figure, Layer, LegendItem, LegendMark, Panel, Ticks};
use crate::summary::Summary;

const EFFICACY: Color = Color::GREEN;
const FUTILITY: Color = Color::RED;
/// Design points drawn (one row of panels each).
const MAX_POINTS: usize = 6;

fn design_label(d: &crate::summary::DesignSummary) -> String {
    d.design
        .iter()
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            format!("{}={v}", k.rsplit('.').next().unwrap_or(k))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The stopping-probability chart and the Z-scale bounds of every design
/// point (up to six); `None` without a sequential design.
pub fn stopping_and_bounds(summary: &Summary) -> Option<Figure> {
    let points: Vec<_> = summary
        .design_points
        .iter()
        .filter(|d| d.sequential.is_some())
        .take(MAX_POINTS)
        .collect();
    let first = points.first()?.sequential.as_ref()?;
    let mut panels = Vec::new();
    let mut any_bounds = false;
    for d in &points {
        let q = d.sequential.as_ref().expect("filtered");
        let label = design_label(d);
        let k = q.per_look.len();
        // stopping probabilities
        let mut p = Panel::new(
            if label.is_empty() {
                "probability of stopping at each look".to_string()
            } else {
                format!("stopping at each look ({label})")
            },
            "look (information fraction)",
            "probability",
        );
        p.x_ticks = Ticks::Categories(
            q.per_look
                .iter()
                .map(|l| format!("{} ({:.2})", l.look, l.planned_fraction))
                .collect(),
        );
        p.x_range = (-0.6, k as f64 - 0.4);
        let top = q
            .per_look
            .iter()
            .map(|l| {
                l.stop_efficacy
                    .power_ci_high
                    .max(l.stop_futility.power_ci_high)
            })
            .fold(0.05, f64::max);
        p.y_range = (0.0, (top * 1.15).min(1.0));
        let w = 0.34;
        let mut eff = Vec::new();
        let mut fut = Vec::new();
        let mut eff_err = Vec::new();
        let mut fut_err = Vec::new();
        for (i, l) in q.per_look.iter().enumerate() {
            let x = i as f64;
            eff.push((x - w, x, l.stop_efficacy.power));
            fut.push((x, x + w, l.stop_futility.power));
            let e = &l.stop_efficacy;
            eff_err.push((x - w / 2.0, e.power, e.power_ci_low, e.power_ci_high));
            let f = &l.stop_futility;
            fut_err.push((x + w / 2.0, f.power, f.power_ci_low, f.power_ci_high));
        }
        p.layers.push(Layer::Bars {
            color: EFFICACY,
            bars: eff,
        });
        p.layers.push(Layer::Bars {
            color: FUTILITY,
            bars: fut,
        });
        p.layers.push(Layer::ErrorBars {
            color: Color::BLACK,
            points: eff_err,
        });
        p.layers.push(Layer::ErrorBars {
            color: Color::BLACK,
            points: fut_err,
        });
        panels.push(p);
        // bounds on the Z scale (group-sequential designs)
        let eff_pts: Vec<(f64, f64)> = q
            .per_look
            .iter()
            .filter_map(|l| {
                l.alpha_spent
                    .and(l.efficacy_bound)
                    .map(|c| (l.planned_fraction, c))
            })
            .collect();
        if eff_pts.is_empty() {
            continue;
        }
        any_bounds = true;
        let fut_pts: Vec<(f64, f64)> = q
            .per_look
            .iter()
            .filter_map(|l| l.futility_bound.map(|f| (l.planned_fraction, f)))
            .chain(
                eff_pts
                    .last()
                    .copied()
                    .filter(|_| q.per_look.iter().any(|l| l.futility_bound.is_some())),
            )
            .collect();
        let mut b = Panel::new(
            if label.is_empty() {
                "bounds on the Z scale".to_string()
            } else {
                format!("bounds ({label})")
            },
            "information fraction",
            "Z (large: favours treatment)",
        );
        let zs = eff_pts.iter().chain(&fut_pts).map(|p| p.1);
        let (lo, hi) = super::padded(zs.chain([0.0]), 0.1).unwrap_or((-1.0, 4.0));
        b.x_range = (0.0, 1.05);
        b.y_range = (lo.min(-0.5), hi);
        b.layers.push(Layer::HLine {
            y: crate::analysis::special::norm_isf(q.alpha),
            color: Color::GREY,
            dashed: true,
        });
        b.layers.push(Layer::Line {
            color: EFFICACY,
            points: eff_pts,
            dashed: false,
            marker: Some(super::Marker::DOT),
            width: 2,
        });
        if fut_pts.len() > 1 {
            b.layers.push(Layer::Line {
                color: FUTILITY,
                points: fut_pts,
                dashed: true,
                marker: Some(super::Marker::DOT),
                width: 2,
            });
        }
        panels.push(b);
    }
    let mut legend = vec![
        LegendItem {
            label: "stop for efficacy (reject H0)".into(),
            color: EFFICACY,
            mark: LegendMark::Box,
        },
        LegendItem {
            label: "stop for futility".into(),
            color: FUTILITY,
            mark: LegendMark::Box,
        },
    ];
    if any_bounds {
        legend.push(LegendItem {
            label: "fixed-design critical value".into(),
            color: Color::GREY,
            mark: LegendMark::Dashed,
        });
    }
    let shown = if summary.design_points.len() > MAX_POINTS {
        format!(
            " (first {MAX_POINTS} of {} design points)",
            summary.design_points.len()
        )
    } else {
        String::new()
    };
    Some(Figure {
        title: format!(
            "{}: sequential design on {}{shown}",
            summary.scenario, first.primary
        ),
        note: format!(
            "{}. {} simulated trials (seed {}); bars: 95% Wilson intervals. Bounds at the planned information fractions (the simulation recomputes them at the observed ones).",
            first.design, summary.replicates, summary.seed
        ),
        legend,
        columns: if any_bounds { 2 } else { 1 },
        panels,
        panel_size: (620, 400),
        y_label_area: 60,
    })
}
