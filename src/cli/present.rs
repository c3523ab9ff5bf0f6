//! Presenting a finished run: effects.csv, sweep.csv, plots and report.html.

use super::output::{csv_bytes, fmt_opt, write_atomic};
use super::run::{Execution, RunArgs, RunState, json_cell, print_table};
use super::{CliError, CliResult};
use crate::plots::figures::{self, CalibrationFile};
use crate::plots::{Figure, render_png, render_svg};
use crate::scenario::{DesignPoint, Loaded};
use crate::summary::{EffectDistribution, Summary};
use std::path::{Path, PathBuf};

/// Check `--calibration` before anything is simulated.
pub fn check_args(args: &RunArgs) -> Result<(), CliError> {
    if let Some(p) = &args.calibration {
        read_calibration(p).map_err(CliError::Usage)?;
    }
    Ok(())
}

/// Read and parse a calibration.json.
pub fn read_calibration(p: &Path) -> Result<CalibrationFile, String> {
    let text = std::fs::read_to_string(p)
        .map_err(|e| format!("--calibration: cannot read {}: {e}", p.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "--calibration: {} is not a calibration.json written by `hfsim calibrate check`: {e}",
            p.display()
        )
    })
}

/// Plots and report after `execute`, then the table and the list of files.
pub fn finish(args: &RunArgs, ex: &Execution, extra: &[&str]) -> CliResult {
    let mut files: Vec<String> = ["summary.json", "power.csv", "effects.csv", "manifest.json"]
        .map(String::from)
        .to_vec();
    if args.export_replicates > 0 {
        files.extend(["patients.csv".into(), "tests.csv".into()]);
    }
    files.extend(extra.iter().map(|s| s.to_string()));
    let mut rendered: Vec<(String, String)> = Vec::new();
    if args.shard.is_some() {
        if args.report {
            eprintln!(
                "note: a shard covers part of the replicates: plots and report are left to the merged run"
            );
        }
    } else if !args.no_plots || args.report {
        for (name, caption, fig) in run_figures(&ex.summary, &ex.points, &ex.state) {
            if let Some(svg) = write_figure(&ex.out, name, &fig, !args.no_plots)? {
                if !args.no_plots {
                    files.push(format!("{name}.svg/.png"));
                }
                rendered.push((caption, svg));
            }
        }
        if args.report {
            write_report(args, ex, &rendered)?;
            files.push("report.html".into());
        }
    }
    print_table(&ex.summary, &ex.points);
    let s = &ex.loaded.scenario;
    eprintln!(
        "wrote {} ({}) in {:.1} s; scenario sha256 {}, seed {}",
        ex.out.display(),
        files.join(", "),
        ex.started.elapsed().as_secs_f64(),
        &ex.loaded.sha256[..12],
        s.run.seed
    );
    Ok(())
}

/// The figures of a run: a forest chart for one design point, power curves
/// for several; the distributions of the estimated effect.
fn run_figures(
    summary: &Summary,
    points: &[(DesignPoint, Loaded)],
    state: &RunState,
) -> Vec<(&'static str, String, Figure)> {
    let accs: Vec<&crate::summary::DesignAcc> =
        state.design_points.iter().map(|d| &d.acc).collect();
    let mut out = Vec::new();
    if points.len() == 1 {
        if let Some(f) = figures::power_forest(summary, 0, &points[0].1) {
            out.push((
                "power_forest",
                "Power per endpoint with its 95% Wilson interval.".to_string(),
                f,
            ));
        }
    } else if let Some(f) = figures::power_curves(summary, points) {
        out.push((
            "power_curves",
            "Power versus the swept key, with 95% Wilson bands.".to_string(),
            f,
        ));
    }
    if let Some(f) = figures::effect_distributions(summary, points, &accs) {
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
            eprintln!("warning: {name}.svg not drawn: {e}");
            return Ok(None);
        }
    };
    if write {
        write_atomic(&out.join(format!("{name}.svg")), svg.as_bytes())?;
        match render_png(fig) {
            Ok(png) => write_atomic(&out.join(format!("{name}.png")), &png)?,
            Err(e) => eprintln!("warning: {name}.png not drawn: {e}"),
        }
    }
    Ok(Some(svg))
}

/// The plots of a merged run (`hfsim merge`); returns the files written.
pub fn write_run_plots(
    out: &Path,
    summary: &Summary,
    points: &[(DesignPoint, Loaded)],
    state: &RunState,
) -> Result<Vec<String>, CliError> {
    let mut files = Vec::new();
    for (name, _, fig) in run_figures(summary, points, state) {
        if write_figure(out, name, &fig, true)?.is_some() {
            files.push(format!("{name}.svg/.png"));
        }
    }
    Ok(files)
}

fn find_calibration(args: &RunArgs, ex: &Execution) -> Option<(PathBuf, CalibrationFile)> {
    if let Some(p) = &args.calibration {
        return match read_calibration(p) {
            Ok(c) => Some((p.clone(), c)),
            Err(e) => {
                eprintln!("warning: {e}");
                None
            }
        };
    }
    let candidates = [
        ex.out.join("calibration").join("calibration.json"),
        PathBuf::from("out")
            .join(&ex.loaded.scenario.name)
            .join("calibration")
            .join("calibration.json"),
    ];
    let p = candidates.into_iter().find(|p| p.is_file())?;
    match read_calibration(&p) {
        Ok(c) => Some((p, c)),
        Err(e) => {
            eprintln!("warning: not in the report: {e}");
            None
        }
    }
}

fn write_report(args: &RunArgs, ex: &Execution, figures_svg: &[(String, String)]) -> CliResult {
    let calibration = find_calibration(args, ex);
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
        loaded: &ex.loaded,
        points: &ex.points,
        summary: &ex.summary,
        manifest: &ex.manifest,
        figures: figures_svg,
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

fn design_axes(points: &[(DesignPoint, Loaded)]) -> Vec<String> {
    points
        .first()
        .map(|(p, _)| p.assignments.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default()
}

/// `effects.csv`: the distribution of the estimated effect per design point
/// and endpoint, as display bins (`-inf`/`inf` rows count estimates beyond
/// them).
pub fn effects_csv(
    summary: &Summary,
    points: &[(DesignPoint, Loaded)],
    state: &RunState,
) -> anyhow::Result<Vec<u8>> {
    let axes = design_axes(points);
    let mut header: Vec<String> = vec!["design_point".into()];
    header.extend(axes.iter().cloned());
    header.extend(["endpoint", "effect", "bin_low", "bin_high", "count"].map(String::from));
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (i, ((d, (_, l)), ds)) in summary
        .design_points
        .iter()
        .zip(points)
        .zip(&state.design_points)
        .enumerate()
    {
        let design: Vec<String> = axes
            .iter()
            .map(|k| d.design.get(k).map(json_cell).unwrap_or_default())
            .collect();
        for (ep, acc) in l.scenario.endpoints.iter().zip(&ds.acc.endpoints) {
            let Some(dist) = EffectDistribution::from_bins(&acc.estimate_bins)
                .map(|d| d.displayed(ep.options.effect_scale))
            else {
                continue;
            };
            let (label, _) = figures::effect_axis(ep);
            let mut row = |lo: String, hi: String, c: u64| {
                let mut r = vec![i.to_string()];
                r.extend(design.iter().cloned());
                r.extend([ep.name.clone(), label.clone(), lo, hi, c.to_string()]);
                rows.push(r);
            };
            if dist.below > 0 {
                row("-inf".into(), dist.edges[0].to_string(), dist.below);
            }
            for (k, &c) in dist.counts.iter().enumerate() {
                row(dist.edges[k].to_string(), dist.edges[k + 1].to_string(), c);
            }
            if dist.above > 0 {
                row(
                    dist.edges[dist.edges.len() - 1].to_string(),
                    "inf".into(),
                    dist.above,
                );
            }
        }
    }
    let h: Vec<&str> = header.iter().map(|s| s.as_str()).collect();
    csv_bytes(&h, rows.into_iter())
}

/// `sweep.csv`: one row per design point and endpoint, design columns first.
pub fn sweep_csv(
    summary: &Summary,
    points: &[(DesignPoint, Loaded)],
    state: &RunState,
) -> anyhow::Result<Vec<u8>> {
    let axes = design_axes(points);
    let mut header: Vec<String> = vec!["design_point".into()];
    header.extend(axes.iter().cloned());
    header.extend(
        [
            "endpoint",
            "test",
            "replicates",
            "power",
            "power_mcse",
            "power_ci_low",
            "power_ci_high",
            "effect_mean",
            "effect_sd",
            "effect_median",
            "effect_q025",
            "effect_q975",
            "n_not_analysable",
        ]
        .map(String::from),
    );
    let mut rows = Vec::new();
    for (i, (d, ds)) in summary
        .design_points
        .iter()
        .zip(&state.design_points)
        .enumerate()
    {
        let design: Vec<String> = axes
            .iter()
            .map(|k| d.design.get(k).map(json_cell).unwrap_or_default())
            .collect();
        for (e, acc) in d.endpoints.iter().zip(&ds.acc.endpoints) {
            let dist = EffectDistribution::from_bins(&acc.estimate_bins)
                .map(|d| d.displayed(e.effect_scale));
            let mut r = vec![i.to_string()];
            r.extend(design.iter().cloned());
            r.extend([
                e.name.clone(),
                e.test.to_string(),
                e.replicates.to_string(),
                e.power.power.to_string(),
                e.power.power_mcse.to_string(),
                e.power.power_ci_low.to_string(),
                e.power.power_ci_high.to_string(),
                fmt_opt(e.effect_mean),
                fmt_opt(e.effect_sd),
                fmt_opt(dist.as_ref().map(|d| d.median)),
                fmt_opt(dist.as_ref().map(|d| d.q025)),
                fmt_opt(dist.as_ref().map(|d| d.q975)),
                e.n_not_analysable.to_string(),
            ]);
            rows.push(r);
        }
    }
    let h: Vec<&str> = header.iter().map(|s| s.as_str()).collect();
    csv_bytes(&h, rows.into_iter())
}
