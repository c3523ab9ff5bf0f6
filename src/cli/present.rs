//! Presenting a finished run: the plots and report.html. Below execution:
//! it reads what a run produced ([`RunView`]) and never runs anything.

use super::CliError;
use super::console::errln;
use super::output::write_atomic;
use crate::plots::figures::{self, CalibrationFile};
use crate::plots::{Figure, render_png, render_svg};
use crate::scenario::{DesignPoint, Loaded};
use crate::summary::{DesignAcc, Summary};
use std::path::{Path, PathBuf};

/// What a finished run produced, as presentation reads it.
pub struct RunView<'a> {
    pub out: &'a Path,
    pub loaded: &'a Loaded,
    pub points: &'a [(DesignPoint, Loaded)],
    pub summary: &'a Summary,
    /// The accumulators of the design points (effect distributions).
    pub accs: &'a [&'a DesignAcc],
    pub manifest: &'a serde_json::Value,
}

/// What to present.
#[derive(Debug, Clone, Default)]
pub struct PresentOptions {
    /// Write `<plot>.svg` and `.png`.
    pub plots: bool,
    /// Write report.html.
    pub report: bool,
    /// calibration.json to show in the report (else looked for beside the outputs).
    pub calibration: Option<PathBuf>,
    /// What a sweep's curves show (power or assurance).
    pub criterion: super::search::Criterion,
}

/// Check `--calibration` before anything is simulated.
pub fn check_calibration_arg(p: Option<&Path>) -> Result<(), CliError> {
    if let Some(p) = p {
        read_calibration(p).map_err(CliError::Usage)?;
    }
    Ok(())
}

/// Read and parse a calibration.json.
pub fn read_calibration(p: &Path) -> Result<CalibrationFile, String> {
    let text = crate::input::read_text(p, crate::input::MAX_STATE_BYTES, "calibration file")
        .map_err(|e| format!("--calibration: cannot read {}: {e}", p.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "--calibration: {} is not a calibration.json written by `hfsim calibrate check`: {e}",
            p.display()
        )
    })
}

/// Plots (if asked for) and report.html (if asked for); returns the files
/// written.
pub fn present(opts: &PresentOptions, view: &RunView) -> Result<Vec<String>, CliError> {
    let mut files = Vec::new();
    if !opts.plots && !opts.report {
        return Ok(files);
    }
    let mut rendered: Vec<(String, String)> = Vec::new();
    for (name, caption, fig) in run_figures(view.summary, view.points, view.accs, opts.criterion) {
        if let Some(svg) = write_figure(view.out, name, &fig, opts.plots)? {
            if opts.plots {
                files.push(format!("{name}.svg/.png"));
            }
            rendered.push((caption, svg));
        }
    }
    if opts.report {
        write_report(opts, view, &rendered)?;
        files.push("report.html".into());
    }
    Ok(files)
}

/// The figures of a run: a forest chart for one design point, power curves
/// for several; the distributions of the estimated effect.
fn run_figures(
    summary: &Summary,
    points: &[(DesignPoint, Loaded)],
    accs: &[&DesignAcc],
    criterion: super::search::Criterion,
) -> Vec<(&'static str, String, Figure)> {
    let mut out = Vec::new();
    if points.len() == 1 {
        if let Some(f) = figures::power_forest(summary, 0, &points[0].1) {
            out.push((
                "power_forest",
                "Power per endpoint with its 95% Wilson interval.".to_string(),
                f,
            ));
        }
    } else if let Some(f) = figures::power_curves(
        summary,
        points,
        criterion == super::search::Criterion::Assurance,
    ) {
        out.push((
            "power_curves",
            if criterion == super::search::Criterion::Assurance {
                "Assurance (over the worlds of [uncertainty]) versus the swept key, with 95% Wilson bands."
            } else {
                "Power versus the swept key, with 95% Wilson bands."
            }
            .to_string(),
            f,
        ));
    }
    if let Some(f) = crate::plots::sequential::stopping_and_bounds(summary) {
        out.push((
            "sequential",
            "Sequential design: probability of stopping at each look for efficacy and for futility (95% Wilson intervals), and the planned bounds on the Z scale.".to_string(),
            f,
        ));
    }
    if let Some(f) = figures::effect_distributions(summary, points, accs) {
        out.push((
            "effects",
            "Distribution of the estimated treatment effect over the simulated trials.".to_string(),
            f,
        ));
    }
    out
}

/// Render a figure; write `<name>.svg` and `<name>.png` if `write`. Returns
/// the SVG, or `None` (with a warning) if it could not be drawn.
pub fn write_figure(
    out: &Path,
    name: &str,
    fig: &Figure,
    write: bool,
) -> Result<Option<String>, CliError> {
    let svg = match render_svg(fig) {
        Ok(s) => s,
        Err(e) => {
            errln!("warning: {name}.svg not drawn: {e}");
            return Ok(None);
        }
    };
    if write {
        write_atomic(&out.join(format!("{name}.svg")), svg.as_bytes())?;
        match render_png(fig) {
            Ok(png) => write_atomic(&out.join(format!("{name}.png")), &png)?,
            Err(e) => errln!("warning: {name}.png not drawn: {e}"),
        }
    }
    Ok(Some(svg))
}

/// The plots of a merged run (`hfsim merge`); returns the files written.
pub fn write_run_plots(
    out: &Path,
    summary: &Summary,
    points: &[(DesignPoint, Loaded)],
    accs: &[&DesignAcc],
) -> Result<Vec<String>, CliError> {
    let mut files = Vec::new();
    // a merged run's curves show power (`merge` has no --criterion)
    for (name, _, fig) in run_figures(summary, points, accs, super::search::Criterion::Power) {
        if write_figure(out, name, &fig, true)?.is_some() {
            files.push(format!("{name}.svg/.png"));
        }
    }
    Ok(files)
}

/// Where a calibration.json is looked for without `--calibration`.
fn calibration_candidates(ex: &RunView) -> Vec<PathBuf> {
    let mut c = vec![
        ex.out.join("calibration").join("calibration.json"),
        PathBuf::from("out")
            .join(&ex.loaded.scenario.name)
            .join("calibration")
            .join("calibration.json"),
    ];
    c.dedup();
    c
}

fn find_calibration(opts: &PresentOptions, ex: &RunView) -> Option<(PathBuf, CalibrationFile)> {
    if let Some(p) = &opts.calibration {
        return match read_calibration(p) {
            Ok(c) => Some((p.clone(), c)),
            Err(e) => {
                errln!("warning: {e}");
                None
            }
        };
    }
    let p = calibration_candidates(ex)
        .into_iter()
        .find(|p| p.is_file())?;
    match read_calibration(&p) {
        Ok(c) => Some((p, c)),
        Err(e) => {
            errln!("warning: not in the report: {e}");
            None
        }
    }
}

fn write_report(
    opts: &PresentOptions,
    ex: &RunView,
    figures_svg: &[(String, String)],
) -> Result<(), CliError> {
    let calibration = find_calibration(opts, ex);
    let cal_svg = calibration
        .as_ref()
        .and_then(|(_, c)| figures::calibration_panels(c))
        .map(|mut f| {
            // four columns fit the page at close to full size
            f.columns = 4;
            f
        })
        .and_then(|f| render_svg(&f).ok());
    let input = crate::report::ReportInput {
        loaded: ex.loaded,
        points: ex.points,
        summary: ex.summary,
        manifest: ex.manifest,
        figures: figures_svg,
        calibration_looked_for: &if opts.calibration.is_some() {
            Vec::new()
        } else {
            calibration_candidates(ex)
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
        },
        warnings: &ex.summary.warnings,
        sensitivity: [
            ex.out.join("sensitivity"),
            PathBuf::from("out")
                .join(&ex.loaded.scenario.name)
                .join("sensitivity"),
        ]
        .iter()
        .find_map(|d| crate::report::SensitivitySection::read(d)),
        calibration: calibration
            .as_ref()
            .map(|(p, c)| crate::report::CalibrationSection {
                path: p.display().to_string(),
                file: c,
                panels_svg: cal_svg.as_deref(),
            }),
    };
    let html = crate::report::render_html(&input);
    write_atomic(&ex.out.join("report.html"), html.as_bytes())?;
    Ok(())
}
