//! `hfsim run` (and `hfsim sweep`): options, then work, then export. The
//! layers below: [`execute`](super::execute) simulates and writes the
//! tables, [`present`](super::present) draws plots and the report,
//! [`table`](super::table) prints the console table.

use super::console::errln;
use super::execute::{ExecuteOptions, Execution, execute};
use super::present::{PresentOptions, RunView, check_calibration_arg, present};
use super::{CliError, CliResult, parse_overrides};
use crate::scenario::{DesignPoint, Loaded, Override};
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Number of simulated trials (overrides run.replicates).
    #[arg(long, short = 'r')]
    pub replicates: Option<u64>,
    /// Seed (overrides run.seed; 0 to 9000000000000000).
    #[arg(long, short = 's', value_parser = clap::value_parser!(u64).range(0..=crate::scenario::reader::MAX_WHOLE as u64))]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores).
    #[arg(long, short = 't')]
    pub threads: Option<usize>,
    /// Output folder (default: out/<scenario name>, followed by +KEY=VALUE for each --set).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// Do not show the progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Override any scenario value, e.g. --set arms.msc.interval_days=28 (repeatable). An override of a swept key wins over its sweep axis.
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub set: Vec<String>,
    /// Run only design point K (from 0) of the scenario's sweep (`hfsim validate` lists them).
    #[arg(long, value_name = "K")]
    pub point: Option<usize>,
    /// Write the first K replicates in full (patients.csv, tests.csv).
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub export_replicates: u64,
    /// Compute only shard I of N (I from 0), for a job array; combine with `hfsim merge`.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<(u64, u64)>,
    /// Continue an interrupted run from the checkpoint in the output folder.
    #[arg(long)]
    pub resume: bool,
    /// Run even if the scenario exceeds run.max_simulated_patients, and replace another scenario's results or an interrupted run in the output folder.
    #[arg(long)]
    pub force: bool,
    /// Replicates per chunk (reduction and checkpoint granularity).
    #[arg(long, default_value_t = 64, hide = true)]
    pub chunk: u64,
    /// Testing aid: behave as if Ctrl-C was pressed after this many chunks.
    #[arg(long, hide = true)]
    pub stop_after_chunks: Option<u64>,
    /// Also write report.html: a self-contained page with the scenario, power table, plots and calibration.
    #[arg(long)]
    pub report: bool,
    /// calibration.json to show in the report (default: <out>/calibration/ or out/<scenario>/calibration/, if present).
    #[arg(long, value_name = "FILE")]
    pub calibration: Option<PathBuf>,
    /// Do not write plots (SVG and PNG).
    #[arg(long)]
    pub no_plots: bool,
}

fn parse_shard(s: &str) -> Result<(u64, u64), String> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("'{s}': expected I/N, e.g. 3/10"))?;
    let i: u64 = i
        .trim()
        .parse()
        .map_err(|_| format!("'{i}' is not a shard index"))?;
    let n: u64 = n
        .trim()
        .parse()
        .map_err(|_| format!("'{n}' is not a shard count"))?;
    if n == 0 || i >= n {
        return Err(format!("shard {i}/{n}: need 0 <= I < N"));
    }
    Ok((i, n))
}

/// Load the scenario and its design points, with the command's overrides.
pub fn load_points(
    path: &Path,
    set: &[String],
    seed: Option<u64>,
    replicates: Option<u64>,
    force: bool,
) -> Result<(Loaded, Vec<(DesignPoint, Loaded)>), CliError> {
    let (loaded, points, _) = load_run(path, set, seed, replicates, force, None)?;
    Ok((loaded, points))
}

/// A loaded scenario, its design points, and the overrides naming its folder.
pub type LoadedRun = (Loaded, Vec<(DesignPoint, Loaded)>, Vec<String>);

/// [`load_points`], keeping only design point `point` of a sweep (its axis
/// values become overrides). Also returns the overrides that name the
/// default output folder (the `--set` ones and the point's).
pub fn load_run(
    path: &Path,
    set: &[String],
    seed: Option<u64>,
    replicates: Option<u64>,
    force: bool,
    point: Option<usize>,
) -> Result<LoadedRun, CliError> {
    let mut overrides = parse_overrides(set)?;
    if let Some(s) = seed {
        overrides.push(Override::parse(&format!("run.seed={s}")).map_err(CliError::Usage)?);
    }
    if let Some(r) = replicates {
        overrides.push(Override::parse(&format!("run.replicates={r}")).map_err(CliError::Usage)?);
    }
    if force {
        overrides.push(
            Override::parse("run.max_simulated_patients=9000000000000000")
                .map_err(CliError::Usage)?,
        );
    }
    let load = |overrides: &[Override]| -> Result<(Loaded, Vec<(DesignPoint, Loaded)>), CliError> {
        let loaded =
            crate::scenario::load_file(path, overrides).map_err(|e| CliError::Scenario(vec![e]))?;
        let points =
            crate::scenario::design_points(&loaded).map_err(|e| CliError::Scenario(vec![e]))?;
        Ok((loaded, points))
    };
    let (mut loaded, mut points) = load(&overrides)?;
    let mut named: Vec<String> = set.to_vec();
    if let Some(k) = point {
        if loaded.spec.sweep.is_none() {
            return Err(CliError::Usage(format!(
                "--point {k}: {} has no [sweep] (left), so it has one design point only",
                path.display()
            )));
        }
        let Some((p, _)) = points.get(k) else {
            return Err(CliError::Usage(format!(
                "--point {k}: the sweep has {} design points (0 to {}); `hfsim validate {}` lists them",
                points.len(),
                points.len() - 1,
                path.display()
            )));
        };
        errln!("design point {k} of {}: {}", points.len(), p.label());
        for (key, value) in &p.assignments {
            let text = format!("{key}={}", value.to_string().trim());
            overrides.push(Override::parse(&text).map_err(CliError::Usage)?);
            named.push(text);
        }
        (loaded, points) = load(&overrides)?;
        // the axes replaced by the point are not worth a warning each
        loaded
            .warnings
            .retain(|w| w.kind != crate::scenario::WarningKind::OverrideReplacesAxis);
        for (_, l) in &mut points {
            l.warnings
                .retain(|w| w.kind != crate::scenario::WarningKind::OverrideReplacesAxis);
        }
    }
    let total: u128 = points
        .iter()
        .map(|(_, l)| {
            l.scenario.patients_per_replicate() as u128 * l.scenario.run.replicates as u128
        })
        .sum();
    if total > loaded.scenario.run.max_simulated_patients as u128 {
        return Err(CliError::Usage(format!(
            "{}: {} design points x replicates x patients = {total} simulated patients exceeds run.max_simulated_patients = {}; raise it or pass --force",
            path.display(),
            points.len(),
            loaded.scenario.run.max_simulated_patients
        )));
    }
    Ok((loaded, points, named))
}

impl RunArgs {
    fn execute_options(&self, out: PathBuf) -> ExecuteOptions {
        ExecuteOptions {
            scenario_file: self.scenario.clone(),
            out,
            force: self.force,
            threads: self.threads,
            no_progress: self.no_progress,
            export_replicates: self.export_replicates,
            shard: self.shard,
            resume: self.resume,
            chunk: self.chunk,
            stop_after_chunks: self.stop_after_chunks,
        }
    }
}

/// Which command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunCommand {
    Run,
    /// With the criterion its curves show.
    Sweep(super::search::Criterion),
}

pub fn run(args: RunArgs) -> CliResult {
    run_command(args, RunCommand::Run)
}

/// `run` or `sweep`: check, load, execute, present, print.
pub fn run_command(args: RunArgs, command: RunCommand) -> CliResult {
    check_calibration_arg(args.calibration.as_deref())?;
    let sweep = matches!(command, RunCommand::Sweep(_));
    let criterion = match command {
        RunCommand::Sweep(c) => c,
        RunCommand::Run => super::search::Criterion::Power,
    };
    if sweep && args.point.is_some() {
        return Err(CliError::Usage(
            "--point runs one design point: use `hfsim run FILE --point K`".into(),
        ));
    }
    let (loaded, points, named) = load_run(
        &args.scenario,
        &args.set,
        args.seed,
        args.replicates,
        args.force,
        args.point,
    )?;
    criterion.check(&loaded.scenario, &args.scenario)?;
    if sweep && loaded.spec.sweep.is_none() {
        return Err(CliError::Usage(format!(
            "{}: the scenario has no [sweep]{}: `hfsim sweep` runs the design points of a sweep (add a [sweep.axes] table, see docs/scenarios.md), `hfsim run` runs one design",
            args.scenario.display(),
            if args.set.is_empty() {
                ""
            } else {
                " (left after the --set overrides)"
            }
        )));
    }
    let warnings = crate::scenario::run_warnings(&loaded, &points);
    for w in &warnings {
        errln!("{w}");
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| super::folder::default_out(&loaded.scenario.name, &named));
    let ex = execute(&args.execute_options(out), loaded, points, warnings)?;
    let mut files: Vec<String> = [
        "summary.json",
        "results.csv",
        "effects.csv",
        "manifest.json",
    ]
    .map(String::from)
    .to_vec();
    if args.export_replicates > 0 {
        files.extend(["patients.csv".into(), "tests.csv".into()]);
        // Written only when a recurrent-event endpoint is exported; a run
        // clears the folder's earlier files first, so presence means now.
        if ex.out.join("events.csv").exists() {
            files.push("events.csv".into());
        }
    }
    if ex
        .summary
        .design_points
        .iter()
        .any(|d| d.sequential.is_some())
    {
        files.push("sequential.csv".into());
        if args.export_replicates > 0 {
            files.push("looks.csv".into());
        }
    }
    files.extend(present_run(&args, &ex, criterion)?);
    super::table::print_table(&ex.summary, &ex.points)?;
    let s = &ex.loaded.scenario;
    errln!(
        "wrote {} ({}) in {:.1} s; scenario sha256 {}, seed {}",
        ex.out.display(),
        files.join(", "),
        ex.started.elapsed().as_secs_f64(),
        &ex.loaded.sha256[..12],
        s.run.seed
    );
    Ok(())
}

/// Plots and report of a finished run (none for a shard: they are left to
/// the merged run).
fn present_run(
    args: &RunArgs,
    ex: &Execution,
    criterion: super::search::Criterion,
) -> Result<Vec<String>, CliError> {
    if args.shard.is_some() {
        if args.report {
            errln!(
                "note: a shard covers part of the replicates: plots and report are left to the merged run"
            );
        }
        return Ok(Vec::new());
    }
    let accs = ex.state.accs();
    let view = RunView {
        out: &ex.out,
        loaded: &ex.loaded,
        points: &ex.points,
        summary: &ex.summary,
        accs: &accs,
        manifest: &ex.manifest,
    };
    let opts = PresentOptions {
        plots: !args.no_plots,
        report: args.report,
        calibration: args.calibration.clone(),
        criterion,
    };
    present(&opts, &view)
}
