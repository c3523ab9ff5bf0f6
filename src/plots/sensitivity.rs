//! Figures of a sensitivity analysis (`hfsim sensitivity`), one panel per
//! output (power, effect), parameters sorted by importance (total Sobol'
//! index or Morris mu*):
//!
//! - [`tornado`]: one horizontal bar per uncertain parameter, the most
//!   important on top; Sobol': the total index above the first-order one,
//!   each with its bootstrap 95% interval as whiskers; Morris: mu* with
//!   sigma marked by a dot;
//! - [`index_bars`]: grouped vertical bars of the two statistics per
//!   parameter (first-order and total, or mu* and sigma), most important
//!   left.
//!
//! Parameter names label the bars as they are (a unit from the name, as
//! [`super::figures::key_label`] adds, would be that of the parameter's
//! value, not of the index drawn).

use super::{Color, Figure, LABEL_SIZE, Layer, LegendItem, LegendMark, Marker, Panel, PlotError};
use super::{TITLE_SIZE, Ticks, palette, text_width};
use crate::sensitivity::table::{
    IndexTable, Method, OutputIndices, ParameterRow, RunInfo, statistic_label,
};

/// Room across a category (a parameter) taken by its bars, of 1.
const SPAN: f64 = 0.76;
const WHISKER: Color = Color(40, 40, 40);

/// The colour of a drawn statistic: the first of [`Method::drawn`] blue,
/// the second orange.
fn stat_color(method: Method, stat: &str) -> Color {
    palette(usize::from(method.drawn()[0] != stat))
}

/// What an output is, for a panel title.
fn output_title(output: &str) -> String {
    match output {
        "power" => "power: share of trials rejecting in favour of treatment".into(),
        "effect" => "effect: mean estimated treatment effect".into(),
        other => other.to_string(),
    }
}

/// Axis range of the drawn values, always including 0, the top padded.
fn value_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if hi - lo <= 0.0 {
        return (0.0, 1.0);
    }
    let pad = 0.06 * (hi - lo);
    (if lo < 0.0 { lo - pad } else { 0.0 }, hi + pad)
}

/// Every number drawn for the statistics `stats` of `rows` (values and
/// interval ends).
fn drawn_numbers(method: Method, rows: &[&ParameterRow], stats: &[&str]) -> Vec<f64> {
    let mut out = Vec::new();
    for r in rows {
        for v in stats.iter().filter_map(|s| r.get(method, s)) {
            let (lo, hi) = v.interval.unwrap_or((v.value, v.value));
            out.extend([v.value, lo, hi]);
        }
    }
    out
}

/// The statistics a tornado draws as bars (top first) and as markers.
fn tornado_series(method: Method) -> (&'static [&'static str], &'static [&'static str]) {
    match method {
        Method::Sobol => (&["total", "first_order"], &[]),
        Method::Morris => (&["mu_star"], &["sigma"]),
    }
}

fn tornado_panel(method: Method, o: &OutputIndices) -> Option<Panel> {
    let rows = o.ranked(method);
    let n = rows.len();
    if n == 0 {
        return None;
    }
    // the most important on top: rank r at y = n - 1 - r
    let y_of = |r: usize| (n - 1 - r) as f64;
    let (bar_stats, marker_stats) = tornado_series(method);
    let thickness = SPAN / bar_stats.len() as f64;
    let mut p = Panel::new(
        output_title(&o.output),
        match method {
            Method::Sobol => "Sobol' index (share of the output's variance)".to_string(),
            Method::Morris => format!("elementary effect on {} (mu*, sigma)", o.output),
        },
        "",
    );
    p.y_ticks = Ticks::Categories((0..n).map(|k| rows[n - 1 - k].parameter.clone()).collect());
    p.y_range = (-0.6, n as f64 - 0.4);
    let all: Vec<&str> = bar_stats.iter().chain(marker_stats).copied().collect();
    p.x_range = value_range(drawn_numbers(method, &rows, &all).into_iter());
    if p.x_range.0 < 0.0 {
        p.layers.push(Layer::VLine {
            x: 0.0,
            color: Color::GREY,
            dashed: false,
            width: 1,
        });
    }
    let mut whiskers = Vec::new();
    for (j, stat) in bar_stats.iter().enumerate() {
        let mut bars = Vec::new();
        for (r, row) in rows.iter().enumerate() {
            let Some(v) = row.get(method, stat) else {
                continue;
            };
            let centre = y_of(r) + SPAN / 2.0 - (j as f64 + 0.5) * thickness;
            let half = 0.45 * thickness;
            bars.push((centre - half, centre + half, v.value));
            if let Some((lo, hi)) = v.interval {
                whiskers.push((centre, lo, hi));
            }
        }
        p.layers.push(Layer::HBars {
            color: stat_color(method, stat),
            bars,
        });
    }
    if !whiskers.is_empty() {
        p.layers.push(Layer::Whiskers {
            color: WHISKER,
            horizontal: true,
            cap: 0.12 * thickness,
            whiskers,
        });
    }
    for stat in marker_stats {
        let points = rows
            .iter()
            .enumerate()
            .filter_map(|(r, row)| row.get(method, stat).map(|v| (v.value, y_of(r))))
            .collect();
        p.layers.push(Layer::Points {
            color: WHISKER,
            marker: Marker::DOT,
            points,
        });
    }
    Some(p)
}

fn index_panel(method: Method, o: &OutputIndices) -> Option<Panel> {
    let rows = o.ranked(method);
    let n = rows.len();
    if n == 0 {
        return None;
    }
    let stats = method.drawn();
    let width = SPAN / stats.len() as f64;
    let mut p = Panel::new(
        output_title(&o.output),
        "",
        match method {
            Method::Sobol => "Sobol' index".to_string(),
            Method::Morris => format!("elementary effect on {}", o.output),
        },
    );
    p.x_ticks = Ticks::Categories(rows.iter().map(|r| r.parameter.clone()).collect());
    p.x_range = (-0.6, n as f64 - 0.4);
    p.y_range = value_range(drawn_numbers(method, &rows, &stats).into_iter());
    if p.y_range.0 < 0.0 {
        p.layers.push(Layer::HLine {
            y: 0.0,
            color: Color::GREY,
            dashed: false,
        });
    }
    let mut whiskers = Vec::new();
    for (j, stat) in stats.iter().enumerate() {
        let mut bars = Vec::new();
        for (r, row) in rows.iter().enumerate() {
            let Some(v) = row.get(method, stat) else {
                continue;
            };
            let centre = r as f64 - SPAN / 2.0 + (j as f64 + 0.5) * width;
            let half = 0.45 * width;
            bars.push((centre - half, centre + half, v.value));
            if let Some((lo, hi)) = v.interval {
                whiskers.push((centre, lo, hi));
            }
        }
        p.layers.push(Layer::Bars {
            color: stat_color(method, stat),
            bars,
        });
    }
    if !whiskers.is_empty() {
        p.layers.push(Layer::Whiskers {
            color: WHISKER,
            horizontal: false,
            cap: 0.12 * width,
            whiskers,
        });
    }
    Some(p)
}

/// Width of the longest parameter name as a tick label, in pixels.
fn longest_name(table: &IndexTable) -> u32 {
    table
        .outputs
        .iter()
        .flat_map(|o| &o.rows)
        .map(|r| text_width(&r.parameter, LABEL_SIZE))
        .max()
        .unwrap_or(0)
}

/// A panel width at least `width` that gives the figure's title room.
fn panel_width(width: u32, title: &str, columns: usize) -> u32 {
    width.max((text_width(title, TITLE_SIZE) + 40).div_ceil(columns.max(1) as u32))
}

fn note(info: &RunInfo, whiskers: &str) -> String {
    let mut s = format!(
        "{}. Parameters sorted by {}, the largest {whiskers}",
        info.design_text(),
        statistic_label(info.method.importance())
    );
    if !info.not_analysed.is_empty() {
        s.push_str(&format!(" Not analysed: {}.", info.not_analysed.join("; ")));
    }
    s
}

fn legend(method: Method, markers: bool) -> Vec<LegendItem> {
    let (bars, marked) = if markers {
        tornado_series(method)
    } else {
        (&method.drawn()[..], &[][..])
    };
    let mut items: Vec<LegendItem> = bars
        .iter()
        .map(|s| LegendItem {
            label: statistic_label(s).to_string(),
            color: stat_color(method, s),
            mark: LegendMark::Box,
        })
        .collect();
    items.extend(marked.iter().map(|s| LegendItem {
        label: statistic_label(s).to_string(),
        color: WHISKER,
        mark: LegendMark::Point(Marker::DOT),
    }));
    items
}

fn no_indices(info: &RunInfo) -> PlotError {
    PlotError::Empty(format!(
        "no sensitivity indices of {} (every output not analysed?)",
        info.endpoint
    ))
}

/// The tornado chart: one panel per output, one row per parameter.
pub fn tornado(table: &IndexTable, info: &RunInfo) -> Result<Figure, PlotError> {
    let panels: Vec<Panel> = table
        .outputs
        .iter()
        .filter_map(|o| tornado_panel(table.method, o))
        .collect();
    let n = table
        .outputs
        .iter()
        .map(|o| o.rows.len())
        .max()
        .unwrap_or(0) as u32;
    if panels.is_empty() {
        return Err(no_indices(info));
    }
    let label_w = longest_name(table) + 24;
    let per_row = match table.method {
        Method::Sobol => 44,
        Method::Morris => 30,
    };
    let whiskers = match table.method {
        Method::Sobol => "on top; whiskers: bootstrap 95% intervals.",
        Method::Morris => "on top; dots: sigma (interactions or nonlinearity).",
    };
    let title = format!("{}: what drives {}", info.scenario, info.endpoint);
    Ok(Figure {
        note: note(info, whiskers),
        legend: legend(table.method, true),
        columns: panels.len(),
        panel_size: (
            panel_width(label_w + 460, &title, panels.len()),
            (130 + per_row * n).max(240),
        ),
        panels,
        title,
        y_label_area: label_w,
    })
}

/// The grouped bars of the two statistics drawn per parameter.
pub fn index_bars(table: &IndexTable, info: &RunInfo) -> Result<Figure, PlotError> {
    let panels: Vec<Panel> = table
        .outputs
        .iter()
        .filter_map(|o| index_panel(table.method, o))
        .collect();
    let n = table
        .outputs
        .iter()
        .map(|o| o.rows.len())
        .max()
        .unwrap_or(0) as u32;
    if panels.is_empty() {
        return Err(no_indices(info));
    }
    let per_parameter = (longest_name(table) + 16).max(90);
    let whiskers = match table.method {
        Method::Sobol => "left; whiskers: bootstrap 95% intervals.",
        Method::Morris => "left.",
    };
    let title = format!(
        "{}: sensitivity indices of {}",
        info.scenario, info.endpoint
    );
    Ok(Figure {
        note: note(info, whiskers),
        legend: legend(table.method, false),
        columns: panels.len(),
        panel_size: (
            panel_width((110 + per_parameter * n).max(460), &title, panels.len()),
            420,
        ),
        panels,
        title,
        y_label_area: 64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plots::render_svg;
    use crate::sensitivity::table::Value;

    fn info(method: Method) -> RunInfo {
        RunInfo {
            scenario: "demo".into(),
            endpoint: "delta_rvesv".into(),
            method,
            samples: 8,
            replicates: 12,
            evaluations: 32,
            seed: 1,
            levels: None,
            bootstrap: Some(100),
            not_analysed: Vec::new(),
        }
    }

    fn v(value: f64, ci: Option<(f64, f64)>) -> Value {
        Value {
            value,
            interval: ci,
        }
    }

    /// Sobol' indices of three parameters, not in order of importance.
    fn sobol() -> IndexTable {
        let row = |name: &str, first: (f64, f64, f64), total: (f64, f64, f64)| ParameterRow {
            parameter: name.into(),
            values: vec![
                v(first.0, Some((first.1, first.2))),
                v(total.0, Some((total.1, total.2))),
            ],
        };
        IndexTable {
            method: Method::Sobol,
            outputs: vec![OutputIndices {
                output: "power".into(),
                rows: vec![
                    row("small", (0.05, -0.02, 0.1), (0.1, 0.05, 0.2)),
                    row("large", (0.5, 0.4, 0.6), (0.7, 0.6, 0.8)),
                    row("middle", (0.2, 0.1, 0.3), (0.3, 0.2, 0.4)),
                ],
            }],
        }
    }

    fn morris() -> IndexTable {
        let row = |name: &str, mu_star: f64, sigma: f64| ParameterRow {
            parameter: name.into(),
            values: vec![v(-mu_star, None), v(mu_star, None), v(sigma, None)],
        };
        let rows = vec![row("alpha_rate", 1.0, 0.5), row("beta_rate", 3.0, 0.1)];
        IndexTable {
            method: Method::Morris,
            outputs: ["power", "effect"]
                .iter()
                .map(|o| OutputIndices {
                    output: o.to_string(),
                    rows: rows.clone(),
                })
                .collect(),
        }
    }

    fn hbars(p: &Panel, color: Color) -> Vec<(f64, f64, f64)> {
        p.layers
            .iter()
            .find_map(|l| match l {
                Layer::HBars { color: c, bars } if *c == color => Some(bars.clone()),
                _ => None,
            })
            .expect("bars of that colour")
    }

    fn whiskers(p: &Panel) -> Vec<(f64, f64, f64)> {
        p.layers
            .iter()
            .find_map(|l| match l {
                Layer::Whiskers { whiskers, .. } => Some(whiskers.clone()),
                _ => None,
            })
            .unwrap_or_default()
    }

    #[test]
    fn tornado_puts_the_largest_total_index_on_top() {
        let t = sobol();
        let f = tornado(&t, &info(Method::Sobol)).unwrap();
        let p = &f.panels[0];
        // y categories bottom to top: least to most important
        assert_eq!(
            p.y_ticks,
            Ticks::Categories(vec!["small".into(), "middle".into(), "large".into()])
        );
        let total = hbars(p, stat_color(Method::Sobol, "total"));
        let first = hbars(p, stat_color(Method::Sobol, "first_order"));
        assert_ne!(
            stat_color(Method::Sobol, "total"),
            stat_color(Method::Sobol, "first_order")
        );
        // rank order (top first) and the input numbers
        assert_eq!(
            total.iter().map(|b| b.2).collect::<Vec<_>>(),
            [0.7, 0.3, 0.1]
        );
        assert_eq!(
            first.iter().map(|b| b.2).collect::<Vec<_>>(),
            [0.5, 0.2, 0.05]
        );
        // "large" is on the top row (y = 2), total above first-order
        let centre = |b: &(f64, f64, f64)| (b.0 + b.1) / 2.0;
        assert!((1.5..2.5).contains(&centre(&total[0])));
        assert!(centre(&total[0]) > centre(&first[0]));
        assert!(centre(&first[0]) > centre(&total[1]));
        // one whisker per bar, at its centre, the bootstrap interval
        let w = whiskers(p);
        assert_eq!(w.len(), 6);
        assert!(w.contains(&(centre(&total[0]), 0.6, 0.8)));
        assert!(w.contains(&(centre(&first[2]), -0.02, 0.1)));
        // the x axis shows every number, negative ones with a zero line
        assert!(p.x_range.0 < -0.02 && p.x_range.1 >= 0.8);
        assert!(
            p.layers
                .iter()
                .any(|l| matches!(l, Layer::VLine { x, .. } if *x == 0.0))
        );
    }

    #[test]
    fn morris_tornado_marks_sigma() {
        let t = morris();
        let f = tornado(&t, &info(Method::Morris)).unwrap();
        assert_eq!(f.panels.len(), 2);
        for p in &f.panels {
            let bars = hbars(p, stat_color(Method::Morris, "mu_star"));
            assert_eq!(bars.iter().map(|b| b.2).collect::<Vec<_>>(), [3.0, 1.0]);
            let dots = p
                .layers
                .iter()
                .find_map(|l| match l {
                    Layer::Points { points, .. } => Some(points.clone()),
                    _ => None,
                })
                .unwrap();
            // sigma of beta (top, y = 1) and of alpha (y = 0)
            assert_eq!(dots, [(0.1, 1.0), (0.5, 0.0)]);
            assert!(whiskers(p).is_empty(), "Morris statistics have no interval");
            assert_eq!(p.x_range.0, 0.0);
        }
        assert!(f.legend.iter().any(|l| l.label == "sigma"));
    }

    #[test]
    fn index_bars_group_both_statistics_most_important_left() {
        let f = index_bars(&sobol(), &info(Method::Sobol)).unwrap();
        let p = &f.panels[0];
        assert_eq!(
            p.x_ticks,
            Ticks::Categories(vec!["large".into(), "middle".into(), "small".into()])
        );
        let bars = |stat: &str| {
            p.layers
                .iter()
                .find_map(|l| match l {
                    Layer::Bars { color, bars } if *color == stat_color(Method::Sobol, stat) => {
                        Some(bars.clone())
                    }
                    _ => None,
                })
                .unwrap()
        };
        let (first, total) = (bars("first_order"), bars("total"));
        assert_eq!(
            first.iter().map(|b| b.2).collect::<Vec<_>>(),
            [0.5, 0.2, 0.05]
        );
        assert_eq!(
            total.iter().map(|b| b.2).collect::<Vec<_>>(),
            [0.7, 0.3, 0.1]
        );
        // first-order left of total, both within the parameter's slot
        for (a, b) in first.iter().zip(&total) {
            assert!(a.1 <= b.0 && b.0 - a.0 < 1.0);
        }
        assert!(first[0].0 > -0.5 && total[0].1 < 0.5);
        let w = whiskers(p);
        assert!(w.contains(&((total[1].0 + total[1].1) / 2.0, 0.2, 0.4)));
        let m = index_bars(&morris(), &info(Method::Morris)).unwrap();
        assert_eq!(m.panels.len(), 2);
        assert!(m.legend.iter().any(|l| l.label == "mu*"));
    }

    #[test]
    fn empty_and_single_parameter_tables_do_not_panic() {
        let empty = IndexTable {
            method: Method::Sobol,
            outputs: Vec::new(),
        };
        assert!(matches!(
            tornado(&empty, &info(Method::Sobol)),
            Err(PlotError::Empty(_))
        ));
        assert!(index_bars(&empty, &info(Method::Sobol)).is_err());
        let no_rows = IndexTable {
            method: Method::Morris,
            outputs: vec![OutputIndices {
                output: "power".into(),
                rows: Vec::new(),
            }],
        };
        assert!(tornado(&no_rows, &info(Method::Morris)).is_err());
        let mut one = sobol();
        one.outputs[0].rows.truncate(1);
        // and a non-finite number is left out, not drawn
        one.outputs[0].rows[0].values[0].value = f64::NAN;
        for f in [
            tornado(&one, &info(Method::Sobol)).unwrap(),
            index_bars(&one, &info(Method::Sobol)).unwrap(),
        ] {
            let svg = render_svg(&f).unwrap();
            assert!(svg.contains("small"));
        }
        // every statistic zero: a unit axis
        let mut zero = morris();
        for o in &mut zero.outputs {
            for r in &mut o.rows {
                for v in &mut r.values {
                    v.value = 0.0;
                }
            }
        }
        let f = tornado(&zero, &info(Method::Morris)).unwrap();
        assert_eq!(f.panels[0].x_range, (0.0, 1.0));
        render_svg(&f).unwrap();
    }

    #[test]
    fn charts_render_with_every_parameter_named() {
        for (t, m) in [(sobol(), Method::Sobol), (morris(), Method::Morris)] {
            let mut i = info(m);
            i.not_analysed = vec!["effect: constant".into()];
            for f in [tornado(&t, &i).unwrap(), index_bars(&t, &i).unwrap()] {
                let svg = render_svg(&f).unwrap();
                assert!(svg.starts_with("<svg"));
                for r in &t.outputs[0].rows {
                    assert!(svg.contains(&r.parameter), "{} not drawn", r.parameter);
                }
                assert!(svg.contains("delta_rvesv") && svg.contains("constant"));
                let png = crate::plots::render_png(&f).unwrap();
                assert_eq!(&png[1..4], b"PNG");
            }
        }
    }
}
