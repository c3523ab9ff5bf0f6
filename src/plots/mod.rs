//! Plots: a small figure model (panels of layers) rendered to SVG and PNG
//! with plotters, pure Rust (the font is shipped in `assets/fonts`).
//!
//! `figures` builds the figures hfsim writes (power curves of a sweep, a
//! forest chart of one design, distributions of the estimated effect, the
//! search curve, calibration panels) from summaries, `sequential` and
//! `sensitivity` the figures of those commands; this module only draws.
//! Nothing here touches the file system: renderers return bytes and the CLI
//! writes them.

pub mod figures;
pub mod sensitivity;
pub mod sequential;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::Color as _;
use plotters::style::FontStyle;
use std::sync::OnceLock;
use thiserror::Error;

/// DejaVu Sans (license in `assets/fonts/LICENSE-DejaVu.txt`).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

#[derive(Debug, Clone, PartialEq, Error)]
pub enum PlotError {
    #[error("the plot font could not be loaded")]
    Font,
    #[error("drawing failed: {0}")]
    Draw(String),
    #[error("PNG encoding failed: {0}")]
    Png(String),
    #[error("nothing to plot: {0}")]
    Empty(String),
}

/// Register the shipped font with plotters (once per process).
pub fn register_font() -> Result<(), PlotError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok { Ok(()) } else { Err(PlotError::Font) }
}

/// An RGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Color(pub u8, pub u8, pub u8);

impl Color {
    pub const BLACK: Color = Color(0, 0, 0);
    pub const GREY: Color = Color(120, 120, 120);
    pub const LIGHT_GREY: Color = Color(200, 200, 200);
    pub const RED: Color = Color(200, 30, 30);
    pub const GREEN: Color = Color(20, 130, 60);
    pub const BLUE: Color = Color(31, 119, 180);
    fn rgb(self) -> RGBColor {
        RGBColor(self.0, self.1, self.2)
    }
    /// Hex form `#rrggbb` (for HTML).
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

/// Colours for up to 12 series (Tableau 10 and two more), then repeated.
pub fn palette(i: usize) -> Color {
    const P: [Color; 12] = [
        Color(31, 119, 180),
        Color(255, 127, 14),
        Color(44, 160, 44),
        Color(214, 39, 40),
        Color(148, 103, 189),
        Color(140, 86, 75),
        Color(227, 119, 194),
        Color(127, 127, 127),
        Color(188, 189, 34),
        Color(23, 190, 207),
        Color(57, 59, 121),
        Color(99, 121, 57),
    ];
    P[i % P.len()]
}

/// Axis ticks: numbers (automatic) or named categories at 0, 1, 2, ...
#[derive(Debug, Clone, PartialEq)]
pub enum Ticks {
    Auto,
    Categories(Vec<String>),
    /// A log axis: the data are natural logs, labelled with exp(value)
    /// (ratios: 0 is drawn as 1).
    Log,
}

/// One thing drawn in a panel, in data coordinates.
#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    /// A filled band between `lo` and `hi` along x (a confidence band).
    Band {
        color: Color,
        points: Vec<(f64, f64, f64)>,
    },
    /// A polyline, optionally dashed and with point markers.
    Line {
        color: Color,
        points: Vec<(f64, f64)>,
        dashed: bool,
        marker: Option<Marker>,
        width: u32,
    },
    /// Vertical error bars with a marker at `y` (x, y, lo, hi).
    ErrorBars {
        color: Color,
        points: Vec<(f64, f64, f64, f64)>,
    },
    /// Horizontal intervals with a marker (y, x, lo, hi): a forest chart.
    Intervals {
        color: Color,
        rows: Vec<(f64, f64, f64, f64)>,
    },
    /// Vertical bars `[x0, x1) x height` from y = 0 (down for a negative
    /// height): histograms, grouped bar charts.
    Bars {
        color: Color,
        bars: Vec<(f64, f64, f64)>,
    },
    /// Horizontal bars `[y0, y1) x length` from x = 0 (left for a negative
    /// length): tornado charts.
    HBars {
        color: Color,
        bars: Vec<(f64, f64, f64)>,
    },
    /// Whiskers from `lo` to `hi` at `at` (`(at, lo, hi)`), with end caps
    /// `cap` either side in data units, no marker: the intervals of bars.
    /// Horizontal whiskers run along x at y = `at`, vertical ones along y
    /// at x = `at`.
    Whiskers {
        color: Color,
        horizontal: bool,
        cap: f64,
        whiskers: Vec<(f64, f64, f64)>,
    },
    /// Point markers without a line.
    Points {
        color: Color,
        marker: Marker,
        points: Vec<(f64, f64)>,
    },
    /// A horizontal reference line across the panel.
    HLine { y: f64, color: Color, dashed: bool },
    /// A vertical reference line across the panel.
    VLine {
        x: f64,
        color: Color,
        dashed: bool,
        width: u32,
    },
    /// A shaded vertical band from `x0` to `x1`.
    Shade {
        x0: f64,
        x1: f64,
        color: Color,
        opacity: f64,
    },
    /// Text at a point, in data coordinates (left-aligned).
    Text {
        x: f64,
        y: f64,
        text: String,
        color: Color,
        size: u32,
    },
}

/// The shape of a point marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Circle,
    Triangle,
    Square,
    Cross,
}

/// A point marker: a shape, filled or drawn as an outline (an outline lets
/// a marker of another line at the same point show through).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    pub shape: Shape,
    pub filled: bool,
}

impl Marker {
    pub const DOT: Marker = Marker {
        shape: Shape::Circle,
        filled: true,
    };

    /// The marker of the `i`-th of several overlapping lines: shapes cycle,
    /// and every other line has outlines (its line is dashed, see
    /// [`series_dashed`]).
    pub fn series(i: usize) -> Marker {
        Marker {
            shape: [Shape::Circle, Shape::Triangle, Shape::Square, Shape::Cross][i % 4],
            filled: i.is_multiple_of(2),
        }
    }
}

/// Whether the `i`-th of several overlapping lines is dashed.
pub fn series_dashed(i: usize) -> bool {
    !i.is_multiple_of(2)
}

/// Draw a marker at a point of a chart.
fn draw_marker<DB: DrawingBackend, CT: CoordTranslate<From = (f64, f64)>>(
    area: &DrawingArea<DB, CT>,
    m: Marker,
    at: (f64, f64),
    color: RGBColor,
    size: i32,
) -> Result<(), PlotError> {
    let style = if m.filled {
        color.filled()
    } else {
        color.stroke_width(2)
    };
    match m.shape {
        Shape::Circle => area.draw(&Circle::new(at, size, style)),
        Shape::Triangle => area.draw(&TriangleMarker::new(at, size + 1, style)),
        Shape::Cross => area.draw(&Cross::new(at, size, color.stroke_width(2))),
        Shape::Square => area
            .draw(&(EmptyElement::at(at) + Rectangle::new([(-size, -size), (size, size)], style))),
    }
    .map_err(derr)
}

/// One chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    pub title: String,
    pub title_color: Color,
    pub x_label: String,
    pub y_label: String,
    pub x_range: (f64, f64),
    pub y_range: (f64, f64),
    pub x_ticks: Ticks,
    pub y_ticks: Ticks,
    pub layers: Vec<Layer>,
}

impl Panel {
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Panel {
        Panel {
            title: title.into(),
            title_color: Color::BLACK,
            x_label: x_label.into(),
            y_label: y_label.into(),
            x_range: (0.0, 1.0),
            y_range: (0.0, 1.0),
            x_ticks: Ticks::Auto,
            y_ticks: Ticks::Auto,
            layers: Vec::new(),
        }
    }
}

/// How a legend entry is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegendMark {
    Line,
    Dashed,
    Box,
    /// A line with this marker, dashed or not (as the series is drawn).
    Series {
        marker: Marker,
        dashed: bool,
    },
    /// A marker alone (as [`Layer::Points`] are drawn).
    Point(Marker),
}

#[derive(Debug, Clone, PartialEq)]
pub struct LegendItem {
    pub label: String,
    pub color: Color,
    pub mark: LegendMark,
}

/// A figure: a title, an optional note, a legend and a grid of panels.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub title: String,
    pub note: String,
    pub legend: Vec<LegendItem>,
    pub panels: Vec<Panel>,
    pub columns: usize,
    /// Size of one panel in pixels.
    pub panel_size: (u32, u32),
    /// Width of the y label area (room for long category names).
    pub y_label_area: u32,
}

const TITLE_SIZE: u32 = 24;
const NOTE_SIZE: u32 = 15;
const LEGEND_SIZE: u32 = 15;
const PANEL_TITLE_SIZE: u32 = 16;
const LABEL_SIZE: u32 = 14;
const AXIS_DESC_SIZE: u32 = 14;

/// Rough width of text in pixels (for layout only).
fn text_width(s: &str, size: u32) -> u32 {
    (s.chars().count() as f64 * size as f64 * 0.58).ceil() as u32
}

impl Figure {
    fn columns(&self) -> usize {
        self.columns.clamp(1, self.panels.len().max(1))
    }
    fn rows(&self) -> usize {
        self.panels.len().div_ceil(self.columns())
    }
    fn legend_rows(&self, width: u32) -> Vec<Vec<&LegendItem>> {
        let mut rows: Vec<Vec<&LegendItem>> = Vec::new();
        let mut used = width;
        for item in &self.legend {
            let w = 40 + text_width(&item.label, LEGEND_SIZE) + 20;
            if used + w > width.saturating_sub(20) {
                rows.push(Vec::new());
                used = 0;
            }
            used += w;
            rows.last_mut().expect("pushed").push(item);
        }
        rows
    }
    fn header_height(&self, width: u32) -> u32 {
        let mut h = 16 + TITLE_SIZE + 10;
        if !self.note.is_empty() {
            h += self.note_lines(width).len() as u32 * (NOTE_SIZE + 5);
        }
        h + self.legend_rows(width).len() as u32 * (LEGEND_SIZE + 10) + 4
    }
    fn note_lines(&self, width: u32) -> Vec<String> {
        let max =
            ((width.saturating_sub(30)) as f64 / (NOTE_SIZE as f64 * 0.58)).max(20.0) as usize;
        let mut lines = Vec::new();
        for para in self.note.split('\n') {
            let mut line = String::new();
            for word in para.split(' ') {
                if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > max {
                    lines.push(std::mem::take(&mut line));
                }
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
            }
            lines.push(line);
        }
        lines
    }
    /// Total size in pixels.
    pub fn size(&self) -> (u32, u32) {
        let w = self.panel_size.0 * self.columns() as u32;
        (
            w,
            self.header_height(w) + self.panel_size.1 * self.rows() as u32,
        )
    }
}

/// Render as SVG text.
pub fn render_svg(fig: &Figure) -> Result<String, PlotError> {
    register_font()?;
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, fig.size()).into_drawing_area();
        draw(fig, &root)?;
        root.present().map_err(|e| PlotError::Draw(e.to_string()))?;
    }
    Ok(s)
}

/// Render as a PNG image.
pub fn render_png(fig: &Figure) -> Result<Vec<u8>, PlotError> {
    register_font()?;
    let (w, h) = fig.size();
    let mut rgb = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        draw(fig, &root)?;
        root.present().map_err(|e| PlotError::Draw(e.to_string()))?;
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Best);
        enc.set_filter(png::FilterType::Paeth);
        let mut wr = enc
            .write_header()
            .map_err(|e| PlotError::Png(e.to_string()))?;
        wr.write_image_data(&rgb)
            .map_err(|e| PlotError::Png(e.to_string()))?;
    }
    Ok(out)
}

fn derr<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> PlotError {
    PlotError::Draw(e.to_string())
}

fn draw<DB: DrawingBackend>(fig: &Figure, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
    if fig.panels.is_empty() {
        return Err(PlotError::Empty(fig.title.clone()));
    }
    root.fill(&WHITE).map_err(derr)?;
    let (w, _) = fig.size();
    let header = fig.header_height(w);
    let (top, body) = root.split_vertically(header);
    let black = TextStyle::from((FAMILY, TITLE_SIZE).into_font()).color(&BLACK);
    top.draw(&Text::new(fig.title.clone(), (14, 14), black))
        .map_err(derr)?;
    let mut y = 14 + TITLE_SIZE as i32 + 10;
    if !fig.note.is_empty() {
        let style = TextStyle::from((FAMILY, NOTE_SIZE).into_font()).color(&RGBColor(70, 70, 70));
        for line in fig.note_lines(w) {
            top.draw(&Text::new(line, (14, y), style.clone()))
                .map_err(derr)?;
            y += NOTE_SIZE as i32 + 5;
        }
    }
    let lstyle = TextStyle::from((FAMILY, LEGEND_SIZE).into_font()).color(&BLACK);
    for row in fig.legend_rows(w) {
        let mut x = 14;
        let cy = y + LEGEND_SIZE as i32 / 2 + 1;
        for item in row {
            let c = item.color.rgb();
            match item.mark {
                LegendMark::Line => {
                    top.draw(&PathElement::new(
                        vec![(x, cy), (x + 30, cy)],
                        c.stroke_width(3),
                    ))
                    .map_err(derr)?;
                    top.draw(&Circle::new((x + 15, cy), 4, c.filled()))
                        .map_err(derr)?;
                }
                LegendMark::Dashed => {
                    for k in 0..3 {
                        top.draw(&PathElement::new(
                            vec![(x + k * 11, cy), (x + k * 11 + 7, cy)],
                            c.stroke_width(2),
                        ))
                        .map_err(derr)?;
                    }
                }
                LegendMark::Series { marker, dashed } => {
                    if dashed {
                        for k in 0..3 {
                            top.draw(&PathElement::new(
                                vec![(x + k * 11, cy), (x + k * 11 + 7, cy)],
                                c.stroke_width(3),
                            ))
                            .map_err(derr)?;
                        }
                    } else {
                        top.draw(&PathElement::new(
                            vec![(x, cy), (x + 30, cy)],
                            c.stroke_width(3),
                        ))
                        .map_err(derr)?;
                    }
                    legend_marker(&top, marker, (x + 15, cy), c)?;
                }
                LegendMark::Point(marker) => legend_marker(&top, marker, (x + 15, cy), c)?,
                LegendMark::Box => {
                    top.draw(&Rectangle::new(
                        [(x + 4, cy - 7), (x + 26, cy + 7)],
                        c.mix(0.35).filled(),
                    ))
                    .map_err(derr)?;
                    top.draw(&Rectangle::new(
                        [(x + 4, cy - 7), (x + 26, cy + 7)],
                        c.stroke_width(1),
                    ))
                    .map_err(derr)?;
                }
            }
            top.draw(&Text::new(
                item.label.clone(),
                (x + 38, y + 1),
                lstyle.clone(),
            ))
            .map_err(derr)?;
            x += 40 + text_width(&item.label, LEGEND_SIZE) as i32 + 20;
        }
        y += LEGEND_SIZE as i32 + 10;
    }
    let cells = body.split_evenly((fig.rows(), fig.columns()));
    for (panel, area) in fig.panels.iter().zip(cells.iter()) {
        draw_panel(panel, area, fig.y_label_area)?;
    }
    Ok(())
}

/// A legend entry's marker, in pixels.
fn legend_marker<DB: DrawingBackend>(
    top: &DrawingArea<DB, Shift>,
    marker: Marker,
    at: (i32, i32),
    c: RGBColor,
) -> Result<(), PlotError> {
    let style = if marker.filled {
        c.filled()
    } else {
        c.stroke_width(2)
    };
    match marker.shape {
        Shape::Circle => top.draw(&Circle::new(at, 5, style)),
        Shape::Triangle => top.draw(&TriangleMarker::new(at, 6, style)),
        Shape::Cross => top.draw(&Cross::new(at, 5, c.stroke_width(2))),
        Shape::Square => {
            top.draw(&(EmptyElement::at(at) + Rectangle::new([(-5, -5), (5, 5)], style)))
        }
    }
    .map_err(derr)
}

fn tick_formatter(ticks: &Ticks) -> impl Fn(&f64) -> String + '_ {
    move |v: &f64| match ticks {
        Ticks::Auto => format_tick(*v),
        Ticks::Log => format_ratio_tick(v.exp()),
        Ticks::Categories(c) => {
            let r = v.round();
            if (v - r).abs() < 1e-6 && r >= 0.0 && (r as usize) < c.len() {
                c[r as usize].clone()
            } else {
                String::new()
            }
        }
    }
}

/// A panel title that fits `width` pixels: a smaller font (down to 11 px),
/// then the middle of the text elided.
fn fit_title(title: &str, width: u32) -> (String, u32) {
    let mut size = PANEL_TITLE_SIZE;
    while size > 11 && text_width(title, size) > width {
        size -= 1;
    }
    if text_width(title, size) <= width {
        return (title.to_string(), size);
    }
    let chars: Vec<char> = title.chars().collect();
    let keep = ((width as f64 / (size as f64 * 0.58)) as usize)
        .saturating_sub(1)
        .max(8);
    let head = keep / 2;
    let tail = keep - head;
    let s: String = chars[..head.min(chars.len())]
        .iter()
        .chain(['~'].iter())
        .chain(chars[chars.len().saturating_sub(tail)..].iter())
        .collect();
    (s, size)
}

/// A tick label without float noise (0.30000000000000004 -> 0.3).
pub fn format_tick(v: f64) -> String {
    if v.abs() < 1e-12 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-4..1e6).contains(&a) {
        return format!("{v:.1e}");
    }
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// A ratio tick label with two significant digits (0.61, 1, 1.6, 12).
pub fn format_ratio_tick(r: f64) -> String {
    if !(r.is_finite() && r > 0.0) {
        return String::new();
    }
    let digits = (1 - r.log10().floor() as i32).max(0) as usize;
    let s = format!("{r:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn n_ticks(t: &Ticks, auto: usize) -> usize {
    match t {
        Ticks::Auto | Ticks::Log => auto,
        Ticks::Categories(c) => c.len().max(1),
    }
}

fn draw_panel<DB: DrawingBackend>(
    p: &Panel,
    area: &DrawingArea<DB, Shift>,
    y_label_area: u32,
) -> Result<(), PlotError> {
    let (x0, x1) = p.x_range;
    let (y0, y1) = p.y_range;
    let (x0, x1) = if x1 > x0 {
        (x0, x1)
    } else {
        (x0 - 0.5, x0 + 0.5)
    };
    let (y0, y1) = if y1 > y0 {
        (y0, y1)
    } else {
        (y0 - 0.5, y0 + 0.5)
    };
    let title_color = p.title_color.rgb();
    let (caption, size) = fit_title(&p.title, area.dim_in_pixel().0.saturating_sub(24));
    let title = TextStyle::from((FAMILY, size).into_font()).color(&title_color);
    let mut builder = ChartBuilder::on(area);
    if !caption.is_empty() {
        builder.caption(&caption, title);
    }
    let mut chart = builder
        .margin(10)
        .margin_right(22)
        .x_label_area_size(if p.x_label.is_empty() { 28 } else { 48 })
        .y_label_area_size(y_label_area)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(derr)?;
    let xf = tick_formatter(&p.x_ticks);
    let yf = tick_formatter(&p.y_ticks);
    chart
        .configure_mesh()
        .x_desc(p.x_label.as_str())
        .y_desc(p.y_label.as_str())
        .x_labels(n_ticks(&p.x_ticks, 8))
        .y_labels(n_ticks(&p.y_ticks, 6))
        .x_label_formatter(&xf)
        .y_label_formatter(&yf)
        .label_style((FAMILY, LABEL_SIZE))
        .axis_desc_style((FAMILY, AXIS_DESC_SIZE))
        .light_line_style(RGBColor(242, 242, 242))
        .bold_line_style(RGBColor(225, 225, 225))
        .axis_style(RGBColor(90, 90, 90))
        .draw()
        .map_err(derr)?;
    let clip_x = |x: f64| x.clamp(x0, x1);
    let clip_y = |y: f64| y.clamp(y0, y1);
    for layer in &p.layers {
        match layer {
            Layer::Band { color, points } => {
                let mut poly: Vec<(f64, f64)> =
                    points.iter().map(|&(x, lo, _)| (x, clip_y(lo))).collect();
                poly.extend(points.iter().rev().map(|&(x, _, hi)| (x, clip_y(hi))));
                if poly.len() >= 3 {
                    chart
                        .draw_series(std::iter::once(Polygon::new(
                            poly,
                            color.rgb().mix(0.16).filled(),
                        )))
                        .map_err(derr)?;
                }
            }
            Layer::Line {
                color,
                points,
                dashed,
                marker,
                width,
            } => {
                let style = color.rgb().stroke_width(*width);
                if *dashed {
                    chart
                        .draw_series(DashedLineSeries::new(points.iter().copied(), 7, 5, style))
                        .map_err(derr)?;
                } else {
                    chart
                        .draw_series(LineSeries::new(points.iter().copied(), style))
                        .map_err(derr)?;
                }
                if let Some(m) = marker {
                    let area = chart.plotting_area();
                    for &p in points {
                        draw_marker(area, *m, p, color.rgb(), 4)?;
                    }
                }
            }
            Layer::ErrorBars { color, points } => {
                let c = color.rgb();
                for &(x, y, lo, hi) in points {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(x, clip_y(lo)), (x, clip_y(hi))],
                            c.stroke_width(2),
                        )))
                        .map_err(derr)?;
                    chart
                        .draw_series(std::iter::once(Circle::new((x, y), 4, c.filled())))
                        .map_err(derr)?;
                }
            }
            Layer::Intervals { color, rows } => {
                let c = color.rgb();
                for &(y, x, lo, hi) in rows {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(clip_x(lo), y), (clip_x(hi), y)],
                            c.stroke_width(3),
                        )))
                        .map_err(derr)?;
                    for e in [lo, hi] {
                        chart
                            .draw_series(std::iter::once(PathElement::new(
                                vec![(clip_x(e), y - 0.18), (clip_x(e), y + 0.18)],
                                c.stroke_width(2),
                            )))
                            .map_err(derr)?;
                    }
                    chart
                        .draw_series(std::iter::once(Circle::new((x, y), 6, c.filled())))
                        .map_err(derr)?;
                }
            }
            Layer::Bars { color, bars } | Layer::HBars { color, bars } => {
                let horizontal = matches!(layer, Layer::HBars { .. });
                // corners in data coordinates (x, y), clipped to the panel
                let rects: Vec<[(f64, f64); 2]> = bars
                    .iter()
                    .filter(|&&(a, b, h)| h != 0.0 && [a, b, h].iter().all(|v| v.is_finite()))
                    .map(|&(a, b, h)| {
                        if horizontal {
                            [(clip_x(0.0), clip_y(a)), (clip_x(h), clip_y(b))]
                        } else {
                            [(clip_x(a), clip_y(0.0)), (clip_x(b), clip_y(h))]
                        }
                    })
                    .collect();
                let c = color.rgb();
                chart
                    .draw_series(
                        rects
                            .iter()
                            .map(|&r| Rectangle::new(r, c.mix(0.55).filled())),
                    )
                    .map_err(derr)?;
                chart
                    .draw_series(rects.iter().map(|&r| Rectangle::new(r, c.stroke_width(1))))
                    .map_err(derr)?;
            }
            Layer::Whiskers {
                color,
                horizontal,
                cap,
                whiskers,
            } => {
                let c = color.rgb();
                // a point `along` the whisker's axis, `across` the other
                let at = |along: f64, across: f64| {
                    if *horizontal {
                        (clip_x(along), clip_y(across))
                    } else {
                        (clip_x(across), clip_y(along))
                    }
                };
                for &(w, lo, hi) in whiskers
                    .iter()
                    .filter(|w| [w.0, w.1, w.2].iter().all(|v| v.is_finite()))
                {
                    let mut segments = vec![[at(lo, w), at(hi, w)]];
                    if *cap > 0.0 {
                        segments.push([at(lo, w - cap), at(lo, w + cap)]);
                        segments.push([at(hi, w - cap), at(hi, w + cap)]);
                    }
                    chart
                        .draw_series(
                            segments
                                .into_iter()
                                .map(|s| PathElement::new(s.to_vec(), c.stroke_width(2))),
                        )
                        .map_err(derr)?;
                }
            }
            Layer::Points {
                color,
                marker,
                points,
            } => {
                let area = chart.plotting_area();
                for &p in points.iter().filter(|p| p.0.is_finite() && p.1.is_finite()) {
                    draw_marker(area, *marker, p, color.rgb(), 5)?;
                }
            }
            Layer::HLine { y, color, dashed } => {
                if *y >= y0 && *y <= y1 {
                    let style = color.rgb().stroke_width(2);
                    if *dashed {
                        chart
                            .draw_series(DashedLineSeries::new([(x0, *y), (x1, *y)], 7, 5, style))
                            .map_err(derr)?;
                    } else {
                        chart
                            .draw_series(LineSeries::new([(x0, *y), (x1, *y)], style))
                            .map_err(derr)?;
                    }
                }
            }
            Layer::VLine {
                x,
                color,
                dashed,
                width,
            } => {
                if *x >= x0 && *x <= x1 {
                    let style = color.rgb().stroke_width(*width);
                    if *dashed {
                        chart
                            .draw_series(DashedLineSeries::new([(*x, y0), (*x, y1)], 6, 4, style))
                            .map_err(derr)?;
                    } else {
                        chart
                            .draw_series(LineSeries::new([(*x, y0), (*x, y1)], style))
                            .map_err(derr)?;
                    }
                }
            }
            Layer::Shade {
                x0: a,
                x1: b,
                color,
                opacity,
            } => {
                let (a, b) = (clip_x(*a), clip_x(*b));
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(a, y0), (b, y1)],
                        color.rgb().mix(*opacity).filled(),
                    )))
                    .map_err(derr)?;
            }
            Layer::Text {
                x,
                y,
                text,
                color,
                size,
            } => {
                let c = color.rgb();
                let style = TextStyle::from((FAMILY, *size).into_font()).color(&c);
                chart
                    .draw_series(std::iter::once(Text::new(text.clone(), (*x, *y), style)))
                    .map_err(derr)?;
            }
        }
    }
    Ok(())
}

/// Range of values padded by `pad` of its width on each side.
pub fn padded(values: impl Iterator<Item = f64>, pad: f64) -> Option<(f64, f64)> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return None;
    }
    let w = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    Some((lo - pad * w, hi + pad * w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Figure {
        let mut p = Panel::new("panel", "x (days)", "power");
        p.x_range = (0.0, 10.0);
        p.layers.push(Layer::Band {
            color: palette(0),
            points: vec![(0.0, 0.1, 0.3), (10.0, 0.6, 0.8)],
        });
        p.layers.push(Layer::Line {
            color: palette(0),
            points: vec![(0.0, 0.2), (10.0, 0.7)],
            dashed: false,
            marker: Some(Marker::DOT),
            width: 2,
        });
        p.layers.push(Layer::HLine {
            y: 0.8,
            color: Color::GREY,
            dashed: true,
        });
        Figure {
            title: "demo".into(),
            note: "a note".into(),
            legend: vec![LegendItem {
                label: "series".into(),
                color: palette(0),
                mark: LegendMark::Line,
            }],
            panels: vec![p],
            columns: 1,
            panel_size: (500, 360),
            y_label_area: 60,
        }
    }

    #[test]
    fn renders_svg_and_png_deterministically() {
        let f = demo();
        let svg = render_svg(&f).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("demo") && svg.contains("x (days)"));
        let png = render_png(&f).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        assert_eq!(render_png(&f).unwrap(), png);
        assert_eq!(render_svg(&f).unwrap(), svg);
    }

    #[test]
    fn bars_either_way_whiskers_and_points_render() {
        let mut p = Panel::new("layers", "x", "y");
        p.x_range = (-1.0, 2.0);
        p.y_range = (-1.0, 2.0);
        p.layers = vec![
            Layer::HBars {
                color: palette(0),
                bars: vec![(0.6, 0.9, 1.5), (0.1, 0.4, -0.5), (1.0, 1.2, f64::NAN)],
            },
            Layer::Bars {
                color: palette(1),
                bars: vec![(-0.9, -0.7, -0.8), (-0.6, -0.4, 0.0)],
            },
            Layer::Whiskers {
                color: Color::BLACK,
                horizontal: true,
                cap: 0.05,
                whiskers: vec![(0.75, 1.2, 1.8)],
            },
            Layer::Whiskers {
                color: Color::BLACK,
                horizontal: false,
                cap: 0.0,
                whiskers: vec![(-0.8, -0.9, f64::INFINITY)],
            },
            Layer::Points {
                color: Color::BLACK,
                marker: Marker::DOT,
                points: vec![(0.3, 0.75)],
            },
        ];
        let mut f = demo();
        f.panels = vec![p];
        f.legend.push(LegendItem {
            label: "dot".into(),
            color: Color::BLACK,
            mark: LegendMark::Point(Marker::DOT),
        });
        let svg = render_svg(&f).unwrap();
        // the filled rectangles of a colour, as (x, y, width, height) in pixels
        let rects = |fill: &str| -> Vec<[i64; 4]> {
            svg.lines()
                .filter(|l| l.starts_with("<rect") && l.contains(&format!("fill=\"{fill}\"")))
                .map(|l| {
                    ["x", "y", "width", "height"].map(|a| {
                        let i = l.find(&format!(" {a}=\"")).unwrap() + a.len() + 3;
                        l[i..i + l[i..].find('"').unwrap()].parse().unwrap()
                    })
                })
                .collect()
        };
        // the positive and the negative bar start at x = 0 and go either way;
        // the non-finite one is not drawn
        let h = rects("#1F77B4");
        assert_eq!(h.len(), 2, "{h:?}");
        assert!(
            h[0][2] > 0 && h[1][2] > 0 && h[1][0] + h[1][2] == h[0][0],
            "{h:?}"
        );
        // the negative vertical bar hangs from y = 0; the zero-height one is not drawn
        let v = rects("#FF7F0E");
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0][3] > 0);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        render_png(&f).unwrap();
    }

    #[test]
    fn long_titles_shrink_then_elide() {
        assert_eq!(
            fit_title("short", 300),
            ("short".to_string(), PANEL_TITLE_SIZE)
        );
        let (t, size) = fit_title(
            "ddimer_median_unanticoagulated_d180_msc: pass (mean <=)",
            300,
        );
        assert!(
            size < PANEL_TITLE_SIZE && text_width(&t, size) <= 300,
            "{t} {size}"
        );
        let (t, _) = fit_title(&"x".repeat(200), 300);
        assert!(t.contains('~') && text_width(&t, 11) <= 300);
    }

    #[test]
    fn ratio_ticks_have_two_significant_digits() {
        assert_eq!(format_ratio_tick(1.0), "1");
        assert_eq!(format_ratio_tick(0.6065), "0.61");
        assert_eq!(format_ratio_tick(1.6487), "1.6");
        assert_eq!(format_ratio_tick(12.18), "12");
        assert_eq!(format_ratio_tick(0.0), "");
    }

    #[test]
    fn tick_labels_are_clean() {
        assert_eq!(format_tick(0.30000000000000004), "0.3");
        assert_eq!(format_tick(42.0), "42");
        assert_eq!(format_tick(-0.0), "0");
        assert_eq!(
            tick_formatter(&Ticks::Categories(vec!["a".into(), "b".into()]))(&1.0),
            "b"
        );
        assert_eq!(
            tick_formatter(&Ticks::Categories(vec!["a".into()]))(&0.5),
            ""
        );
    }
}
