//! The figures hfsim writes, built from summaries (no I/O).
//!
//! - [`power_curves`]: power versus the swept key with 95% bands, one line per
//!   endpoint (one axis) or one panel per endpoint and one line per value of
//!   the other axes;
//! - [`power_forest`]: one design point, power per endpoint with its 95%
//!   interval;
//! - [`effect_distributions`]: the estimated treatment effect per endpoint
//!   (a histogram for one design point, median and central 95% versus the
//!   swept key for a sweep);
//! - [`search_curve`]: the power curve a search evaluated and its answer;
//! - [`calibration_panels`]: one panel per calibration target.

use super::{Color, Figure, Layer, LegendItem, LegendMark, Panel, Ticks, padded, palette};
use crate::analysis::direction::{EffectScale, EndpointRole};
use crate::scenario::spec::{AnalysisKind, Measure, TestKind};
use crate::scenario::validate::Endpoint;
use crate::scenario::{DesignPoint, Loaded};
use crate::search::{Direction, SearchResult, SearchStatus};
use crate::summary::{DesignAcc, EffectDistribution, Summary, nice_step};
use serde::Deserialize;

/// Reference power drawn on power charts.
pub const REFERENCE_POWER: f64 = 0.8;

/// What the estimated effect of an endpoint is, with its unit, and the
/// value meaning "no effect".
pub fn effect_axis(ep: &Endpoint) -> (String, f64) {
    match ep.measure {
        Measure::Continuous { quantity, .. } => {
            use crate::model::observation::Quantity::*;
            let unit = match quantity {
                Lvef | Rvef => "EF points",
                q => q.unit(),
            };
            let what = match ep.analysis {
                AnalysisKind::LogChangeFromBaseline => {
                    return ("difference in mean log change (log ratio)".into(), 0.0);
                }
                AnalysisKind::Value => "difference in means",
                AnalysisKind::BaselineAdjusted => "baseline-adjusted difference",
                _ => "difference in mean change",
            };
            (format!("{what} ({unit})"), 0.0)
        }
        Measure::Event { .. } if ep.test == TestKind::Logrank => ("hazard ratio".into(), 1.0),
        Measure::Event { .. } if matches!(ep.test, TestKind::NegativeBinomial | TestKind::Lwyy) => {
            ("rate ratio (recurrent events)".into(), 1.0)
        }
        Measure::Hierarchy => match ep.options.win_measure {
            crate::analysis::win_ratio::WinMeasure::WinRatio => ("win ratio".into(), 1.0),
            crate::analysis::win_ratio::WinMeasure::WinOdds => ("win odds".into(), 1.0),
            crate::analysis::win_ratio::WinMeasure::NetBenefit => ("net benefit".into(), 0.0),
        },
        _ => ("difference in proportions".into(), 0.0),
    }
}

/// The axis of an endpoint's effect as drawn: ratios on a log axis (data
/// in natural logs, [`Ticks::Log`]), with the null value in drawn units.
fn drawn_effect_axis(ep: &Endpoint) -> (String, f64, Ticks) {
    let (label, null) = effect_axis(ep);
    match ep.options.effect_scale {
        EffectScale::Ratio => (format!("{label} (log scale)"), 0.0, Ticks::Log),
        EffectScale::Difference => (label, null, Ticks::Auto),
    }
}

/// An axis label for a scenario key, with its unit where the name says it.
pub fn key_label(key: &str) -> String {
    let last = key.rsplit('.').next().unwrap_or(key);
    let unit = if last.ends_with("_days") {
        Some("days")
    } else if last == "n_per_arm" {
        Some("patients per arm")
    } else if last.ends_with("_cells_per_kg") {
        Some("cells/kg")
    } else if last.ends_with("_hours") {
        Some("hours")
    } else if last.ends_with("_mm") {
        Some("mm")
    } else if last.ends_with("_ml") {
        Some("mL")
    } else if last.ends_with("_percent") {
        Some("%")
    } else if last == "n_doses" {
        Some("doses")
    } else {
        None
    };
    match unit {
        Some(u) => format!("{key} ({u})"),
        None => key.to_string(),
    }
}

fn short_key(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

fn json_label(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Where each design point goes on a chart of a sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepLayout {
    /// The key on the x axis.
    pub x_key: String,
    /// x of each design point.
    pub x: Vec<f64>,
    pub x_ticks: Ticks,
    /// Line (group) of each design point, and the groups' labels.
    pub group: Vec<usize>,
    pub groups: Vec<String>,
    /// For a zipped sweep: the other axes' values along the line.
    pub paired: String,
}

/// The x axis is the first axis with numeric values that change (else the
/// first axis, as categories); points are grouped by the other axes' values,
/// except in a zipped sweep (the axes change together: one line).
pub fn sweep_layout(points: &[(DesignPoint, Loaded)]) -> Option<SweepLayout> {
    let first = points.first()?;
    let keys: Vec<String> = first.0.assignments.iter().map(|(k, _)| k.clone()).collect();
    if keys.is_empty() || points.len() < 2 {
        return None;
    }
    let values: Vec<serde_json::Map<String, serde_json::Value>> =
        points.iter().map(|(p, _)| p.to_json()).collect();
    let numeric = |k: &str| -> Option<Vec<f64>> {
        let v: Option<Vec<f64>> = values
            .iter()
            .map(|m| m.get(k).and_then(|v| v.as_f64()))
            .collect();
        v.filter(|v| v.iter().any(|&x| x != v[0]))
    };
    let (x_key, x, x_ticks) = match keys.iter().find_map(|k| numeric(k).map(|v| (k.clone(), v))) {
        Some((k, v)) => (k, v, Ticks::Auto),
        None => {
            let k = keys[0].clone();
            let mut cats: Vec<String> = Vec::new();
            let x = values
                .iter()
                .map(|m| {
                    let l = m.get(&k).map(json_label).unwrap_or_default();
                    let i = cats.iter().position(|c| *c == l).unwrap_or_else(|| {
                        cats.push(l);
                        cats.len() - 1
                    });
                    i as f64
                })
                .collect();
            (k, x, Ticks::Categories(cats))
        }
    };
    let others: Vec<&String> = keys.iter().filter(|k| **k != x_key).collect();
    let mut groups: Vec<String> = Vec::new();
    let mut group: Vec<usize> = values
        .iter()
        .map(|m| {
            let l = others
                .iter()
                .map(|k| {
                    format!(
                        "{} = {}",
                        short_key(k),
                        m.get(k.as_str()).map(json_label).unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            groups.iter().position(|g| *g == l).unwrap_or_else(|| {
                groups.push(l);
                groups.len() - 1
            })
        })
        .collect();
    let zipped = first.0.zipped;
    let mut paired = String::new();
    if zipped || groups.len() == points.len() || groups.is_empty() {
        groups = vec![String::new()];
        group = vec![0; points.len()];
        let along = |k: &str| {
            values
                .iter()
                .map(|m| m.get(k).map(json_label).unwrap_or_default())
                .collect::<Vec<_>>()
                .join(", ")
        };
        paired = others
            .iter()
            .map(|k| format!("{} = {}", short_key(k), along(k)))
            .collect::<Vec<_>>()
            .join("; ");
        if !paired.is_empty() {
            paired = format!(
                "Paired with {}: {paired} (at {} = {}).",
                short_key(&x_key),
                short_key(&x_key),
                along(&x_key)
            );
        }
    }
    Some(SweepLayout {
        x_key,
        x,
        x_ticks,
        group,
        groups,
        paired,
    })
}

fn x_range(layout: &SweepLayout) -> (f64, f64) {
    match &layout.x_ticks {
        Ticks::Categories(c) => (-0.5, c.len() as f64 - 0.5),
        Ticks::Auto | Ticks::Log => padded(layout.x.iter().copied(), 0.05).unwrap_or((0.0, 1.0)),
    }
}

fn reps_note(summary: &Summary) -> String {
    format!(
        "{} simulated trials per design point (seed {}), {}; bands and bars: 95% Wilson intervals; dashed line: {:.0}% power.",
        summary.replicates,
        summary.seed,
        if summary.common_random_numbers {
            "the same virtual patients at every design point"
        } else {
            "independent patients per design point"
        },
        REFERENCE_POWER * 100.0
    )
}

/// Power versus the swept key (`None` for fewer than two design points).
/// With `assurance`, the curves show the assurance over the worlds of
/// `[uncertainty]` instead of the power at the central values (an endpoint
/// without assurance is left out).
pub fn power_curves(
    summary: &Summary,
    points: &[(DesignPoint, Loaded)],
    assurance: bool,
) -> Option<Figure> {
    let word = if assurance { "assurance" } else { "power" };
    let layout = sweep_layout(points)?;
    let n_ep = summary.design_points.first()?.endpoints.len();
    if n_ep == 0 {
        return None;
    }
    let ep_names: Vec<String> = summary.design_points[0]
        .endpoints
        .iter()
        .map(|e| e.name.clone())
        .collect();
    let safety: Vec<bool> = summary.design_points[0]
        .endpoints
        .iter()
        .map(|e| e.role == EndpointRole::Safety)
        .collect();
    // efficacy: power to reject in favour of treatment; safety: either way
    let curve = |e: usize, g: usize| -> Vec<(f64, f64, f64, f64)> {
        let mut v: Vec<(f64, f64, f64, f64)> = summary
            .design_points
            .iter()
            .enumerate()
            .filter(|(i, _)| layout.group[*i] == g)
            .filter_map(|(i, d)| {
                let p = d.endpoints.get(e)?;
                if assurance {
                    // Wilson interval from the counts (shares of worlds)
                    let a = p.assurance.as_ref()?;
                    let share = if safety[e] {
                        a.assurance
                    } else {
                        a.assurance_favourable
                    };
                    let k = (share * a.worlds as f64).round() as u64;
                    let w = crate::summary::PowerEstimate::from_counts(k, a.worlds);
                    return Some((layout.x[i], w.power, w.power_ci_low, w.power_ci_high));
                }
                Some(p).map(|p| {
                    if safety[e] {
                        (
                            layout.x[i],
                            p.power.power,
                            p.power.power_ci_low,
                            p.power.power_ci_high,
                        )
                    } else {
                        (
                            layout.x[i],
                            p.power_favourable,
                            p.power_favourable_ci_low,
                            p.power_favourable_ci_high,
                        )
                    }
                })
            })
            .collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        v
    };
    // several lines in one panel differ in colour, marker and dash, so that
    // a line hidden under another (equal power) still shows
    let series = |k: usize, pts: Vec<(f64, f64, f64, f64)>| -> [Layer; 2] {
        [
            Layer::Band {
                color: palette(k),
                points: pts.iter().map(|p| (p.0, p.2, p.3)).collect(),
            },
            Layer::Line {
                color: palette(k),
                points: pts.iter().map(|p| (p.0, p.1)).collect(),
                dashed: super::series_dashed(k),
                marker: Some(super::Marker::series(k)),
                width: 2,
            },
        ]
    };
    let item = |k: usize, label: String| LegendItem {
        label,
        color: palette(k),
        mark: LegendMark::Series {
            marker: super::Marker::series(k),
            dashed: super::series_dashed(k),
        },
    };
    // bands under every line
    let bands_first = |p: &mut Panel| {
        p.layers
            .sort_by_key(|l| !matches!(l, Layer::Band { .. } | Layer::HLine { .. }))
    };
    let base = |title: String, target: bool| {
        let mut p = Panel::new(
            title,
            key_label(&layout.x_key),
            if target {
                word
            } else {
                "P(detect a difference)"
            },
        );
        p.x_range = x_range(&layout);
        p.y_range = (0.0, 1.0);
        p.x_ticks = layout.x_ticks.clone();
        if target {
            p.layers.push(Layer::HLine {
                y: REFERENCE_POWER,
                color: Color::GREY,
                dashed: true,
            });
        }
        p
    };
    let title = format!(
        "{}: {word} by {}",
        summary.scenario,
        short_key(&layout.x_key)
    );
    let mut legend = Vec::new();
    let mut panels = Vec::new();
    let single_group = layout.groups.len() == 1;
    if single_group || n_ep == 1 {
        let shown = if single_group { n_ep } else { 1 };
        let mut p = base(
            if single_group && n_ep > 1 {
                "all endpoints".into()
            } else {
                ep_names[0].clone()
            },
            safety[..shown].iter().any(|s| !s),
        );
        if single_group {
            for e in 0..n_ep {
                p.layers.extend(series(e, curve(e, 0)));
                legend.push(item(e, ep_names[e].clone()));
            }
        } else {
            for (g, label) in layout.groups.iter().enumerate() {
                p.layers.extend(series(g, curve(0, g)));
                legend.push(item(g, label.clone()));
            }
        }
        bands_first(&mut p);
        panels.push(p);
        return Some(Figure {
            title,
            note: format!("{} {}", reps_note(summary), layout.paired)
                .trim_end()
                .to_string(),
            legend,
            panels,
            columns: 1,
            panel_size: (1000, 620),
            y_label_area: 60,
        });
    }
    for (g, label) in layout.groups.iter().enumerate() {
        legend.push(item(g, label.clone()));
    }
    for (e, name) in ep_names.iter().enumerate() {
        let mut p = base(
            if safety[e] {
                format!("{name} (safety)")
            } else {
                name.clone()
            },
            !safety[e],
        );
        for g in 0..layout.groups.len() {
            p.layers.extend(series(g, curve(e, g)));
        }
        bands_first(&mut p);
        panels.push(p);
    }
    let columns = if panels.len() >= 3 { 3 } else { panels.len() };
    Some(Figure {
        title,
        note: format!("{} {}", reps_note(summary), layout.paired)
            .trim_end()
            .to_string(),
        legend,
        panels,
        columns,
        panel_size: (470, 340),
        y_label_area: 56,
    })
}

/// Power per endpoint (and per multiplicity family) of one design point.
pub fn power_forest(summary: &Summary, design: usize, loaded: &Loaded) -> Option<Figure> {
    let d = summary.design_points.get(design)?;
    let s = &loaded.scenario;
    // rows top to bottom: endpoints, then families. Efficacy endpoints show
    // the power to reject in favour of treatment (and the share rejecting
    // in favour of control, if any); safety endpoints the chance of
    // detecting a difference, without the power target.
    struct Row {
        label: String,
        est: (f64, f64, f64),
        color: Color,
        target: bool,
        harmful: f64,
    }
    let mut rows: Vec<Row> = Vec::new();
    for e in &d.endpoints {
        let safety = e.role == EndpointRole::Safety;
        rows.push(Row {
            label: if safety {
                format!("{} ({}, safety)", e.name, e.test)
            } else {
                format!("{} ({})", e.name, e.test)
            },
            est: if safety {
                (e.power.power, e.power.power_ci_low, e.power.power_ci_high)
            } else {
                (
                    e.power_favourable,
                    e.power_favourable_ci_low,
                    e.power_favourable_ci_high,
                )
            },
            color: if safety { palette(3) } else { palette(0) },
            target: !safety,
            harmful: if safety { 0.0 } else { e.power_harmful },
        });
    }
    for f in &d.families {
        for (what, p) in [("any", &f.disjunctive), ("all", &f.conjunctive)] {
            rows.push(Row {
                label: format!("family {}: {what}", f.name),
                est: (p.power, p.power_ci_low, p.power_ci_high),
                color: palette(1),
                target: true,
                harmful: 0.0,
            });
        }
    }
    if rows.is_empty() {
        return None;
    }
    let n = rows.len();
    let y_of = |i: usize| (n - 1 - i) as f64;
    let labels: Vec<String> = (0..n).map(|k| rows[n - 1 - k].label.clone()).collect();
    let mut p = Panel::new(
        "",
        "power: share of simulated trials rejecting in favour of treatment (safety: in either direction)",
        "",
    );
    p.x_range = (0.0, 1.0);
    p.y_range = (-0.6, n as f64 - 0.4);
    p.y_ticks = Ticks::Categories(labels.clone());
    for (i, _) in rows.iter().enumerate().filter(|(_, r)| r.target) {
        p.layers.push(Layer::Line {
            color: Color::GREY,
            points: vec![
                (REFERENCE_POWER, y_of(i) - 0.45),
                (REFERENCE_POWER, y_of(i) + 0.45),
            ],
            dashed: true,
            marker: None,
            width: 2,
        });
    }
    for color in [palette(0), palette(3), palette(1)] {
        let sel: Vec<(f64, f64, f64, f64)> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.color == color)
            .map(|(i, r)| (y_of(i), r.est.0, r.est.1, r.est.2))
            .collect();
        if !sel.is_empty() {
            p.layers.push(Layer::Intervals { color, rows: sel });
        }
    }
    for (i, r) in rows.iter().enumerate() {
        let x = if r.est.2 < 0.86 {
            r.est.2 + 0.015
        } else {
            (r.est.1 - 0.075).max(0.0)
        };
        let harm = if r.harmful >= 0.005 {
            format!("  (harm detected in {:.2})", r.harmful)
        } else {
            String::new()
        };
        p.layers.push(Layer::Text {
            x,
            y: y_of(i) + 0.32,
            text: format!("{:.2}{harm}", r.est.0),
            color: if harm.is_empty() {
                Color(60, 60, 60)
            } else {
                Color::RED
            },
            size: 12,
        });
    }
    let label_w = labels
        .iter()
        .map(|l| super::text_width(l, 13))
        .max()
        .unwrap_or(100)
        + 20;
    let arms = &s.arms;
    let note = format!(
        "{}, n = {} vs {}, n = {}; {} simulated trials (seed {}). Bars: 95% Wilson intervals; dashed line: {:.0}% power (efficacy only).",
        arms[1].label,
        s.trial.n_per_arm * arms[1].weight,
        arms[0].label,
        s.trial.n_per_arm * arms[0].weight,
        summary.replicates,
        summary.seed,
        REFERENCE_POWER * 100.0
    );
    let mut legend = vec![LegendItem {
        label: "efficacy endpoint (test)".into(),
        color: palette(0),
        mark: LegendMark::Line,
    }];
    if d.endpoints.iter().any(|e| e.role == EndpointRole::Safety) {
        legend.push(LegendItem {
            label: "safety endpoint: chance of detecting a difference".into(),
            color: palette(3),
            mark: LegendMark::Line,
        });
    }
    if !d.families.is_empty() {
        legend.push(LegendItem {
            label: "multiplicity family: at least one / all endpoints reject".into(),
            color: palette(1),
            mark: LegendMark::Line,
        });
    }
    let design_label = if d.design.is_empty() {
        String::new()
    } else {
        format!(
            " ({})",
            d.design
                .iter()
                .map(|(k, v)| format!("{}={}", short_key(k), json_label(v)))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Some(Figure {
        title: format!("{}: power per endpoint{design_label}", summary.scenario),
        note,
        legend,
        panels: vec![p],
        columns: 1,
        panel_size: (label_w + 760, 90 + 34 * n as u32),
        y_label_area: label_w,
    })
}

/// The estimated treatment effect per endpoint: histograms for one design
/// point, median and central 95% versus the swept key for a sweep.
pub fn effect_distributions(
    summary: &Summary,
    points: &[(DesignPoint, Loaded)],
    accs: &[&DesignAcc],
) -> Option<Figure> {
    let (_, first) = points.first()?;
    let eps = &first.scenario.endpoints;
    if eps.is_empty() || accs.is_empty() {
        return None;
    }
    if points.len() == 1 {
        let acc = accs[0];
        let mut panels = Vec::new();
        for (e, ep) in eps.iter().enumerate() {
            let (label, null, ticks) = drawn_effect_axis(ep);
            let Some(dist) = acc
                .endpoints
                .get(e)
                .and_then(|a| EffectDistribution::from_bins(&a.estimate_bins))
            else {
                continue;
            };
            let total = dist.n as f64;
            let bars: Vec<(f64, f64, f64)> = dist
                .counts
                .iter()
                .enumerate()
                .map(|(i, &c)| (dist.edges[i], dist.edges[i + 1], 100.0 * c as f64 / total))
                .collect();
            let top = bars.iter().map(|b| b.2).fold(0.0, f64::max);
            let outside = dist.below + dist.above;
            let mut p = Panel::new(
                if outside > 0 {
                    format!("{} ({} beyond the axis)", ep.name, outside)
                } else {
                    ep.name.clone()
                },
                label,
                "% of simulated trials",
            );
            let lo = dist.edges[0].min(null);
            let hi = dist.edges[dist.edges.len() - 1].max(null);
            let pad = 0.03 * (hi - lo).max(1e-9);
            p.x_range = (lo - pad, hi + pad);
            p.x_ticks = ticks;
            p.y_range = (0.0, top * 1.12);
            p.layers.push(Layer::Bars {
                color: palette(0),
                bars,
            });
            p.layers.push(Layer::VLine {
                x: null,
                color: Color::GREY,
                dashed: true,
                width: 2,
            });
            p.layers.push(Layer::VLine {
                x: dist.median,
                color: Color::RED,
                dashed: false,
                width: 2,
            });
            panels.push(p);
        }
        if panels.is_empty() {
            return None;
        }
        let legend = vec![
            LegendItem {
                label: "estimated effect (treatment - control), one per simulated trial".into(),
                color: palette(0),
                mark: LegendMark::Box,
            },
            LegendItem {
                label: "median".into(),
                color: Color::RED,
                mark: LegendMark::Line,
            },
            LegendItem {
                label: "no effect".into(),
                color: Color::GREY,
                mark: LegendMark::Dashed,
            },
        ];
        let columns = if panels.len() >= 3 { 3 } else { panels.len() };
        return Some(Figure {
            title: format!(
                "{}: distribution of the estimated treatment effect",
                summary.scenario
            ),
            note: format!(
                "{} simulated trials (seed {}); trials an endpoint could not analyse are not shown.",
                summary.replicates, summary.seed
            ),
            legend,
            panels,
            columns,
            panel_size: (470, 320),
            y_label_area: 56,
        });
    }
    let layout = sweep_layout(points)?;
    let (xr0, xr1) = x_range(&layout);
    let width = xr1 - xr0;
    let ng = layout.groups.len();
    let mut panels = Vec::new();
    for (e, ep) in eps.iter().enumerate() {
        let (label, null, ticks) = drawn_effect_axis(ep);
        let mut p = Panel::new(ep.name.clone(), key_label(&layout.x_key), label);
        p.x_range = (xr0, xr1);
        p.x_ticks = layout.x_ticks.clone();
        p.y_ticks = ticks;
        let mut all = vec![null];
        for g in 0..ng {
            let off = if ng > 1 {
                width * 0.012 * (g as f64 - (ng - 1) as f64 / 2.0)
            } else {
                0.0
            };
            let mut pts: Vec<(f64, f64, f64, f64)> = accs
                .iter()
                .enumerate()
                .filter(|(i, _)| layout.group[*i] == g)
                .filter_map(|(i, a)| {
                    a.endpoints
                        .get(e)
                        .and_then(|x| EffectDistribution::from_bins(&x.estimate_bins))
                        .map(|d| (layout.x[i] + off, d.median, d.q025, d.q975))
                })
                .collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            all.extend(pts.iter().flat_map(|p| [p.2, p.3]));
            p.layers.push(Layer::Line {
                color: palette(g),
                points: pts.iter().map(|q| (q.0, q.1)).collect(),
                dashed: false,
                marker: None,
                width: 1,
            });
            p.layers.push(Layer::ErrorBars {
                color: palette(g),
                points: pts,
            });
        }
        p.y_range = padded(all.into_iter(), 0.06).unwrap_or((0.0, 1.0));
        p.layers.insert(
            0,
            Layer::HLine {
                y: null,
                color: Color::GREY,
                dashed: true,
            },
        );
        panels.push(p);
    }
    let mut legend: Vec<LegendItem> = if ng > 1 {
        layout
            .groups
            .iter()
            .enumerate()
            .map(|(g, l)| LegendItem {
                label: l.clone(),
                color: palette(g),
                mark: LegendMark::Line,
            })
            .collect()
    } else {
        vec![LegendItem {
            label: "median and central 95% of the estimated effect".into(),
            color: palette(0),
            mark: LegendMark::Line,
        }]
    };
    legend.push(LegendItem {
        label: "no effect".into(),
        color: Color::GREY,
        mark: LegendMark::Dashed,
    });
    let columns = if panels.len() >= 3 { 3 } else { panels.len() };
    Some(Figure {
        title: format!(
            "{}: estimated treatment effect by {}",
            summary.scenario,
            short_key(&layout.x_key)
        ),
        note: format!(
            "Points: median of the estimated effect (treatment - control) over {} simulated trials per design point; bars: central 95% of the estimates. {}",
            summary.replicates, layout.paired
        )
        .trim_end()
        .to_string(),
        legend,
        panels,
        columns,
        panel_size: (470, 340),
        y_label_area: 64,
    })
}

/// The power curve a search evaluated, the target and the answer.
pub fn search_curve(
    result: &SearchResult,
    key: &str,
    endpoint: &str,
    scenario: &str,
    criterion: &str,
) -> Option<Figure> {
    let ev = &result.evaluations;
    if ev.is_empty() {
        return None;
    }
    let mut p = Panel::new(format!("endpoint {endpoint}"), key_label(key), criterion);
    p.x_range = padded(ev.iter().map(|e| e.value), 0.04)?;
    p.y_range = (0.0, 1.0);
    if let (Some(a), b) = (result.plausible_from, result.confident_from) {
        let b = b.unwrap_or(if result.direction == Direction::Increasing {
            p.x_range.1
        } else {
            p.x_range.0
        });
        p.layers.push(Layer::Shade {
            x0: a.min(b),
            x1: a.max(b),
            color: Color::GREEN,
            opacity: 0.12,
        });
    }
    p.layers.push(Layer::HLine {
        y: result.target_power,
        color: Color::RED,
        dashed: true,
    });
    p.layers.push(Layer::Band {
        color: palette(0),
        points: ev
            .iter()
            .map(|e| (e.value, e.power_ci_low, e.power_ci_high))
            .collect(),
    });
    p.layers.push(Layer::Line {
        color: palette(0),
        points: ev.iter().map(|e| (e.value, e.power)).collect(),
        dashed: false,
        marker: Some(super::Marker::DOT),
        width: 2,
    });
    p.layers.push(Layer::ErrorBars {
        color: palette(0),
        points: ev
            .iter()
            .map(|e| (e.value, e.power, e.power_ci_low, e.power_ci_high))
            .collect(),
    });
    if let Some(a) = result.answer {
        p.layers.push(Layer::VLine {
            x: a,
            color: Color::GREEN,
            dashed: false,
            width: 3,
        });
    }
    let which = if result.direction == Direction::Increasing {
        "smallest"
    } else {
        "largest"
    };
    let k = short_key(key);
    let title = match (result.status, result.answer) {
        (SearchStatus::NotReached, _) | (_, None) => format!(
            "{scenario}: {:.0}% {criterion} is not reached for {k} in the range searched",
            result.target_power * 100.0
        ),
        (_, Some(a)) => format!(
            "{scenario}: {which} {k} reaching {:.0}% {criterion}: {}",
            result.target_power * 100.0,
            super::format_tick(a)
        ),
    };
    let reps = ev.iter().map(|e| e.replicates).max().unwrap_or(0);
    let band = result
        .uncertainty(&|x| super::format_tick(x))
        .map(|u| {
            let mut c = u.chars();
            let first = c
                .next()
                .map(|x| x.to_uppercase().collect::<String>())
                .unwrap_or_default();
            format!("Shaded: {first}{}.", c.as_str())
        })
        .unwrap_or_default();
    let note = format!(
        "{} simulated trials per value, the same virtual patients at every value; bars: 95% Wilson intervals. {band}",
        reps
    );
    let legend = vec![
        LegendItem {
            label: "estimated power".into(),
            color: palette(0),
            mark: LegendMark::Line,
        },
        LegendItem {
            label: format!("target {:.0}%", result.target_power * 100.0),
            color: Color::RED,
            mark: LegendMark::Dashed,
        },
        LegendItem {
            label: "answer".into(),
            color: Color::GREEN,
            mark: LegendMark::Line,
        },
        LegendItem {
            label: "uncertain: 95% interval contains the target".into(),
            color: Color::GREEN,
            mark: LegendMark::Box,
        },
    ];
    Some(Figure {
        title,
        note,
        legend,
        panels: vec![p],
        columns: 1,
        panel_size: (1000, 560),
        y_label_area: 60,
    })
}

/// `calibration.json` as written by `hfsim calibrate check`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CalibrationFile {
    pub scenario: String,
    #[serde(default)]
    pub scenario_sha256: String,
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub replicates: u64,
    pub targets: Vec<CalibrationTarget>,
    #[serde(default)]
    pub patterns: Vec<CalibrationPattern>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CalibrationTarget {
    pub name: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub unit: String,
    pub published: f64,
    #[serde(default)]
    pub simulated: Vec<Option<f64>>,
    /// "typical" (central 95%), "upper_bound" or "lower_bound" (on the simulated mean).
    #[serde(default = "typical")]
    pub kind: String,
    #[serde(default)]
    pub simulated_mean: Option<f64>,
    #[serde(default)]
    pub simulated_median: Option<f64>,
    #[serde(default)]
    pub simulated_low: Option<f64>,
    #[serde(default)]
    pub simulated_high: Option<f64>,
    #[serde(default)]
    pub percentile: Option<f64>,
    pub pass: bool,
}

fn typical() -> String {
    "typical".into()
}

impl CalibrationTarget {
    /// How the target is judged, in words.
    pub fn criterion(&self) -> String {
        let m = self
            .simulated_mean
            .map(|m| format!("{m:.3}"))
            .unwrap_or_else(|| "-".into());
        match self.kind.as_str() {
            "upper_bound" => format!("mean {m} <= {}", self.published),
            "lower_bound" => format!("mean {m} >= {}", self.published),
            _ => "central 95%".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CalibrationPattern {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub value: Option<f64>,
    #[serde(default)]
    pub criterion: String,
    pub pass: bool,
}

/// Histogram bars over `lo..hi`: unit bins for small whole-number ranges.
fn histogram(values: &[f64], lo: f64, hi: f64) -> Vec<(f64, f64, f64)> {
    let whole = values.iter().all(|v| v.fract() == 0.0) && hi - lo <= 60.0;
    let (start, step) = if whole {
        (lo.floor() - 0.5, 1.0)
    } else {
        let step = nice_step(((hi - lo) / 24.0).max(1e-12));
        ((lo / step).floor() * step, step)
    };
    let k = (((hi - start) / step).floor() as usize + 1).min(400);
    let mut counts = vec![0u64; k];
    for &v in values {
        let i = ((v - start) / step).floor();
        if i >= 0.0 {
            counts[(i as usize).min(k - 1)] += 1;
        }
    }
    counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            (
                start + i as f64 * step,
                start + (i + 1) as f64 * step,
                c as f64,
            )
        })
        .collect()
}

/// One panel per target: the simulated statistic, its central 95% range
/// and the published value; pass or fail in the title.
pub fn calibration_panels(file: &CalibrationFile) -> Option<Figure> {
    let mut panels = Vec::new();
    for t in &file.targets {
        let mut values: Vec<f64> = t
            .simulated
            .iter()
            .flatten()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        values.sort_by(f64::total_cmp);
        // the central 99% of the simulated values, the 95% range and the
        // published value: long tails would squash the rest
        let q = |p: f64| crate::calibration::quantile(&values, p);
        let (first, last) = (
            values.first().copied().unwrap_or(t.published),
            values.last().copied().unwrap_or(t.published),
        );
        let (a, b) = if last - first > 2.5 * (q(0.995) - q(0.005)) {
            (q(0.005), q(0.995))
        } else {
            (first, last)
        };
        let keep = [a, b, t.published]
            .into_iter()
            .chain(t.simulated_low)
            .chain(t.simulated_high)
            .chain(t.simulated_mean);
        let Some((lo, hi)) = padded(keep, 0.0) else {
            continue;
        };
        let inside: Vec<f64> = values
            .iter()
            .copied()
            .filter(|v| (lo..=hi).contains(v))
            .collect();
        let beyond = values.len() - inside.len();
        let bars = histogram(&inside, lo, hi);
        let top = bars.iter().map(|b| b.2).fold(1.0, f64::max);
        let x0 = bars.first().map(|b| b.0).unwrap_or(lo).min(t.published);
        let x1 = bars.last().map(|b| b.1).unwrap_or(hi).max(t.published);
        let pad = 0.04 * (x1 - x0).max(1e-9);
        let bound = match t.kind.as_str() {
            "upper_bound" => " (mean <=)",
            "lower_bound" => " (mean >=)",
            _ => "",
        };
        let verdict = if t.pass {
            format!("pass{bound}")
        } else if bound.is_empty() {
            format!("FAIL (pctl {:.1})", t.percentile.unwrap_or(f64::NAN))
        } else {
            format!("FAIL{bound}")
        };
        let unit = if beyond > 0 {
            format!("{} ({beyond} trials beyond the axis)", t.unit)
        } else {
            t.unit.clone()
        };
        let mut p = Panel::new(format!("{}: {verdict}", t.name), unit, "trials");
        p.title_color = if t.pass { Color::BLACK } else { Color::RED };
        p.x_range = (x0 - pad, x1 + pad);
        p.y_range = (0.0, top * 1.1);
        if let (Some(a), Some(b)) = (t.simulated_low, t.simulated_high) {
            p.layers.push(Layer::Shade {
                x0: a,
                x1: b.max(a + 1e-12),
                color: Color::GREEN,
                opacity: 0.14,
            });
        }
        p.layers.push(Layer::Bars {
            color: Color(90, 110, 150),
            bars,
        });
        if t.kind != "typical"
            && let Some(m) = t.simulated_mean
        {
            p.layers.push(Layer::VLine {
                x: m,
                color: Color::BLUE,
                dashed: true,
                width: 2,
            });
        }
        p.layers.push(Layer::VLine {
            x: t.published,
            color: if t.pass { Color::BLACK } else { Color::RED },
            dashed: false,
            width: 3,
        });
        panels.push(p);
    }
    if panels.is_empty() {
        return None;
    }
    let n_pass = file.targets.iter().filter(|t| t.pass).count();
    let legend = vec![
        LegendItem {
            label: "simulated trials (histogram of the trial-level statistic)".into(),
            color: Color(90, 110, 150),
            mark: LegendMark::Box,
        },
        LegendItem {
            label: "central 95% of the simulated trials".into(),
            color: Color::GREEN,
            mark: LegendMark::Box,
        },
        LegendItem {
            label: "published value, or the bound of a bound target such as the upper limit of normal (red: missed)".into(),
            color: Color::BLACK,
            mark: LegendMark::Line,
        },
    ];
    let mut legend = legend;
    if file.targets.iter().any(|t| t.kind != "typical") {
        legend.push(LegendItem {
            label: "simulated mean (bound targets: mean <= or >= the bound)".into(),
            color: Color::BLUE,
            mark: LegendMark::Dashed,
        });
    }
    Some(Figure {
        title: format!(
            "Calibration of {} to PRIME-HFrEF: {} of {} targets pass",
            file.scenario,
            n_pass,
            file.targets.len()
        ),
        note: format!(
            "Each panel is one published trial-level statistic (Table 1 baselines pooled over arms, outcomes per arm, imaging counts) against {} simulated PRIME-HFrEF trials (seed {}). A target passes when the published value is in neither 2.5% tail; a bound target (a qualitative statement), when the simulated mean is on the stated side of it.",
            file.replicates, file.seed
        ),
        legend,
        panels,
        columns: 6,
        panel_size: (330, 235),
        y_label_area: 48,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_labels_carry_units() {
        assert_eq!(
            key_label("arms.msc.interval_days"),
            "arms.msc.interval_days (days)"
        );
        assert_eq!(
            key_label("trial.n_per_arm"),
            "trial.n_per_arm (patients per arm)"
        );
        assert_eq!(
            key_label("arms.msc.premedication"),
            "arms.msc.premedication"
        );
    }

    #[test]
    fn whole_number_statistics_get_unit_bins() {
        let h = histogram(&[0.0, 1.0, 1.0, 3.0], 0.0, 3.0);
        assert_eq!(h.len(), 4);
        assert_eq!(h[1], (0.5, 1.5, 2.0));
        let h = histogram(&[0.1, 0.25, 0.9], 0.1, 0.9);
        assert_eq!(h.iter().map(|b| b.2).sum::<f64>(), 3.0);
    }
}
