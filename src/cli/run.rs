//! `hfsim run`: options, then work, then export.

use super::output::{csv_bytes, ensure_dir, fmt_opt, write_atomic, write_json};
use super::{CliError, CliResult, parse_overrides, progress};
use crate::rng::{DesignSlot, GENERATOR_NAME};
use crate::runner::{Observer, ReplicateExport, RunOptions, run_design_point, run_design_points};
use crate::scenario::spec::SolverMethod;
use crate::scenario::{DesignPoint, Loaded, Override};
use crate::solver::dopri5::Dopri5;
use crate::summary::{DesignAcc, DesignSummary, Summary, summarize};
use crate::trial::{Method, TrialContext};
use anyhow::Context;
use clap::Args;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Number of simulated trials (overrides run.replicates).
    #[arg(long, short = 'r')]
    pub replicates: Option<u64>,
    /// Seed (overrides run.seed).
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores).
    #[arg(long, short = 't')]
    pub threads: Option<usize>,
    /// Output folder (default: out/<scenario name>).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// Do not show the progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Override any scenario value, e.g. --set arms.msc.interval_days=28 (repeatable).
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub set: Vec<String>,
    /// Write the first K replicates in full (patients.csv, tests.csv).
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub export_replicates: u64,
    /// Compute only shard I of N (I from 0), for a job array; combine with `hfsim merge`.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<(u64, u64)>,
    /// Continue an interrupted run from the checkpoint in the output folder.
    #[arg(long)]
    pub resume: bool,
    /// Run even if the scenario exceeds run.max_simulated_patients.
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

/// The replicates a shard computes: contiguous, the same as a single run's.
pub fn shard_range(replicates: u64, shard: Option<(u64, u64)>) -> Range<u64> {
    match shard {
        None => 0..replicates,
        Some((i, n)) => {
            let lo = (replicates as u128 * i as u128 / n as u128) as u64;
            let hi = (replicates as u128 * (i + 1) as u128 / n as u128) as u64;
            lo..hi
        }
    }
}

/// Checkpoint and shard result, `state.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunState {
    pub format: u32,
    pub hfsim_version: String,
    pub scenario: String,
    pub scenario_sha256: String,
    pub seed: u64,
    pub replicates: u64,
    pub shard: Option<(u64, u64)>,
    /// Replicates this run is responsible for.
    pub range: (u64, u64),
    pub design_points: Vec<DesignState>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DesignState {
    pub index: usize,
    /// Replicates accumulated in `acc` (a contiguous range).
    pub covered: (u64, u64),
    pub acc: DesignAcc,
}

impl RunState {
    pub fn complete(&self) -> bool {
        self.design_points.iter().all(|d| d.covered == self.range)
    }
}

pub const STATE_FILE: &str = "state.json";

/// Solver chosen by the scenario.
pub fn method_of(l: &Loaded) -> Method {
    let dopri = Dopri5 {
        rtol: l.scenario.run.rtol,
        atol: l.scenario.run.atol,
        ..Dopri5::default()
    };
    match l.scenario.run.solver {
        SolverMethod::Reference => Method::Reference(dopri),
        SolverMethod::Fast => Method::Fast(crate::model::fast::FastOptions {
            fallback: dopri,
            ..Default::default()
        }),
    }
}

/// Load the scenario and its design points, with the command's overrides.
pub fn load_points(
    path: &Path,
    set: &[String],
    seed: Option<u64>,
    replicates: Option<u64>,
    force: bool,
) -> Result<(Loaded, Vec<(DesignPoint, Loaded)>), CliError> {
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
    let loaded =
        crate::scenario::load_file(path, &overrides).map_err(|e| CliError::Scenario(vec![e]))?;
    let points =
        crate::scenario::design_points(&loaded).map_err(|e| CliError::Scenario(vec![e]))?;
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
    Ok((loaded, points))
}

struct Progress<'a> {
    bar: indicatif::ProgressBar,
    chunks_left: Option<u64>,
    stop: Arc<AtomicBool>,
    state: &'a mut RunState,
    state_path: PathBuf,
    last_save: Instant,
    done_before: u64,
    save_error: Option<anyhow::Error>,
}

impl Observer for Progress<'_> {
    fn chunk_done(&mut self, design_index: usize, covered: &Range<u64>, acc: &DesignAcc) -> bool {
        let d = &mut self.state.design_points[design_index];
        d.covered = (covered.start, covered.end);
        d.acc = acc.clone();
        let done: u64 = self
            .state
            .design_points
            .iter()
            .map(|d| d.covered.1 - d.covered.0)
            .sum();
        self.bar.set_position(done - self.done_before.min(done));
        if let Some(n) = self.chunks_left.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.stop.store(true, Ordering::SeqCst);
            }
        }
        let stopping = self.stop.load(Ordering::SeqCst);
        if stopping || self.last_save.elapsed().as_secs_f64() > 2.0 {
            if let Err(e) = write_json(&self.state_path, &*self.state) {
                self.save_error = Some(e);
                return false;
            }
            self.last_save = Instant::now();
        }
        !stopping
    }
}

/// A finished run: what `run` and `sweep` present.
pub struct Execution {
    pub out: PathBuf,
    pub loaded: Loaded,
    pub points: Vec<(DesignPoint, Loaded)>,
    pub summary: Summary,
    pub state: RunState,
    pub manifest: serde_json::Value,
    pub started: Instant,
}

pub fn run(args: RunArgs) -> CliResult {
    super::present::check_args(&args)?;
    let (loaded, points) = load_points(
        &args.scenario,
        &args.set,
        args.seed,
        args.replicates,
        args.force,
    )?;
    let ex = execute(&args, loaded, points)?;
    super::present::finish(&args, &ex, &[])
}

/// Simulate every design point (resuming, sharding, checkpointing) and write
/// summary.json, power.csv, effects.csv, the exports and manifest.json.
pub fn execute(
    args: &RunArgs,
    loaded: Loaded,
    points: Vec<(DesignPoint, Loaded)>,
) -> Result<Execution, CliError> {
    let started = Instant::now();
    let started_utc = now_utc();
    let s = &loaded.scenario;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(&s.name));
    ensure_dir(&out)?;
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    if threads == 0 {
        return Err(CliError::Usage("--threads must be at least 1".into()));
    }
    let range = shard_range(s.run.replicates, args.shard);
    eprintln!(
        "hfsim {}: scenario {} (sha256 {}), seed {}, {} replicates{}, {} design point{}, {} threads",
        env!("CARGO_PKG_VERSION"),
        s.name,
        &loaded.sha256[..12],
        s.run.seed,
        range.end - range.start,
        args.shard
            .map(|(i, n)| format!(" (shard {i}/{n} of {})", s.run.replicates))
            .unwrap_or_default(),
        points.len(),
        if points.len() == 1 { "" } else { "s" },
        threads
    );

    // Checkpoint.
    let state_path = out.join(STATE_FILE);
    let fresh = RunState {
        format: 1,
        hfsim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: s.name.clone(),
        scenario_sha256: loaded.sha256.clone(),
        seed: s.run.seed,
        replicates: s.run.replicates,
        shard: args.shard,
        range: (range.start, range.end),
        design_points: points
            .iter()
            .enumerate()
            .map(|(i, (_, l))| DesignState {
                index: i,
                covered: (range.start, range.start),
                acc: DesignAcc::new(&l.scenario),
            })
            .collect(),
    };
    let mut state = if args.resume {
        let text = std::fs::read_to_string(&state_path).map_err(|e| {
            CliError::Usage(format!(
                "--resume: cannot read {}: {e}",
                state_path.display()
            ))
        })?;
        let old: RunState = serde_json::from_str(&text).map_err(|e| {
            CliError::Usage(format!(
                "--resume: {} is not a valid checkpoint: {e}",
                state_path.display()
            ))
        })?;
        check_resumable(&old, &fresh)
            .map_err(|m| CliError::Usage(format!("--resume refused: {m}")))?;
        old
    } else {
        if state_path.exists() {
            eprintln!(
                "note: starting afresh; the checkpoint in {} is replaced (use --resume to continue it)",
                out.display()
            );
        }
        fresh
    };
    let done_before: u64 = state
        .design_points
        .iter()
        .map(|d| d.covered.1 - d.covered.0)
        .sum();

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("starting worker threads")?;
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        let _ = ctrlc::set_handler(move || {
            if stop.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!(
                "\ninterrupt: finishing the current chunk and saving; press Ctrl-C again to quit at once"
            );
        });
    }
    let total = (range.end - range.start) * points.len() as u64;
    let hidden = args.no_progress || !std::io::IsTerminal::is_terminal(&std::io::stderr());
    let bar = progress::bar(total - done_before.min(total), hidden);
    let mut exports: Vec<Vec<ReplicateExport>> = vec![Vec::new(); points.len()];
    let mut observer = Progress {
        bar,
        chunks_left: args.stop_after_chunks,
        stop: stop.clone(),
        state: &mut state,
        state_path: state_path.clone(),
        last_save: Instant::now(),
        done_before,
        save_error: None,
    };
    let mut interrupted = false;
    let mut method_desc = String::new();
    // Several design points at the same coverage (always, unless resuming a
    // checkpoint written one point at a time) run together replicate by
    // replicate, so that patients they share are simulated once.
    let together = points.len() > 1
        && observer
            .state
            .design_points
            .windows(2)
            .all(|w| w[0].covered == w[1].covered);
    let contexts = |i: usize, l: &Loaded| {
        let slot = if l.scenario.run.common_random_numbers {
            DesignSlot::Shared
        } else {
            DesignSlot::Independent(i as u64)
        };
        let per_rep = l.scenario.patients_per_replicate();
        let opts = RunOptions {
            chunk: args.chunk,
            export_replicates: args.export_replicates,
            failures_allowed: (l.scenario.run.failure_budget
                * (per_rep * l.scenario.run.replicates) as f64)
                .floor() as u64,
        };
        let method = method_of(l);
        (TrialContext::new(l.scenario.clone(), slot, method), opts)
    };
    if together {
        method_desc = method_of(&points[0].1).describe();
        let (ctxs, opts): (Vec<TrialContext>, Vec<RunOptions>) = points
            .iter()
            .enumerate()
            .map(|(i, (_, l))| contexts(i, l))
            .unzip();
        let first = observer.state.design_points[0].covered;
        let resumes = observer
            .state
            .design_points
            .iter()
            .map(|d| crate::runner::Resume {
                acc: d.acc.clone(),
                covered_from: d.covered.0,
            })
            .collect();
        if first.1 < range.end {
            let result = pool.install(|| {
                run_design_points(
                    &ctxs,
                    first.1..range.end,
                    resumes,
                    &opts,
                    &mut observer,
                    &mut exports,
                )
            });
            match result {
                Ok((_, true)) => {}
                Ok((_, false)) => interrupted = true,
                Err(e) => {
                    observer.bar.abandon();
                    let _ = write_json(&state_path, &*observer.state);
                    return Err(CliError::Runtime(anyhow::anyhow!("{e}")));
                }
            }
        }
    }
    for (i, (_, l)) in points.iter().enumerate() {
        if together {
            break;
        }
        method_desc = method_of(l).describe();
        let (ctx, opts) = contexts(i, l);
        let ds = observer.state.design_points[i].clone();
        if ds.covered.1 >= range.end {
            continue;
        }
        let result = pool.install(|| {
            run_design_point(
                &ctx,
                i,
                ds.covered.1..range.end,
                crate::runner::Resume {
                    acc: ds.acc.clone(),
                    covered_from: ds.covered.0,
                },
                &opts,
                &mut observer,
                &mut exports[i],
            )
        });
        match result {
            Ok((_, true)) => {}
            Ok((_, false)) => {
                interrupted = true;
                break;
            }
            Err(e) => {
                observer.bar.abandon();
                let _ = write_json(&state_path, &*observer.state);
                return Err(CliError::Runtime(anyhow::anyhow!("{e}")));
            }
        }
    }
    observer.bar.finish_and_clear();
    if let Some(e) = observer.save_error.take() {
        return Err(CliError::Runtime(e));
    }
    write_json(&state_path, &state)?;
    if interrupted {
        let mut cmd: Vec<String> = std::env::args().collect();
        if !cmd.iter().any(|a| a == "--resume") {
            cmd.push("--resume".into());
        }
        return Err(CliError::Interrupted(format!(
            "interrupted: {} of {} replicates saved in {}. Continue with:\n  {}",
            state
                .design_points
                .iter()
                .map(|d| d.covered.1 - d.covered.0)
                .sum::<u64>(),
            total,
            state_path.display(),
            cmd.join(" ")
        )));
    }

    let mut summary = build_summary(&loaded, &points, &state);
    if let Some((i, n)) = args.shard {
        summary.shard = Some(crate::summary::ShardInfo {
            index: i,
            count: n,
            first_replicate: range.start,
            end_replicate: range.end,
        });
    }
    write_outputs(&out, &loaded, &points, &summary, &exports, &state)?;
    let wall = started.elapsed().as_secs_f64();
    let patients: u64 = state
        .design_points
        .iter()
        .map(|d| d.acc.patients_simulated)
        .sum();
    let manifest = serde_json::json!({
        "hfsim_version": env!("CARGO_PKG_VERSION"),
        "git_commit": option_env!("HFSIM_GIT_COMMIT").filter(|c| !c.is_empty()),
        "command": std::env::args().collect::<Vec<_>>(),
        "scenario": s.name,
        "scenario_file": args.scenario.display().to_string(),
        "scenario_sha256": loaded.sha256,
        "seed": s.run.seed,
        "replicates": s.run.replicates,
        "shard": args.shard.map(|(i, n)| serde_json::json!({"index": i, "count": n, "first_replicate": range.start, "end_replicate": range.end})),
        "design_points": points.len(),
        "threads": threads,
        "generator": GENERATOR_NAME,
        "solver": method_desc,
        "solver_rtol": s.run.rtol,
        "solver_atol": s.run.atol,
        "started_utc": started_utc,
        "wall_time_s": wall,
        "patients_simulated": patients,
        "patients_per_second": patients as f64 / wall.max(1e-9),
        "resumed": args.resume,
    });
    write_json(&out.join("manifest.json"), &manifest)?;
    Ok(Execution {
        out,
        loaded,
        points,
        summary,
        state,
        manifest,
        started,
    })
}

/// A checkpoint may only continue the same run.
pub fn check_resumable(old: &RunState, new: &RunState) -> Result<(), String> {
    if old.scenario_sha256 != new.scenario_sha256 {
        return Err(format!(
            "the scenario changed since the checkpoint (sha256 {} then, {} now)",
            &old.scenario_sha256[..12],
            &new.scenario_sha256[..12]
        ));
    }
    if old.seed != new.seed {
        return Err(format!(
            "the seed changed ({} then, {} now)",
            old.seed, new.seed
        ));
    }
    if old.replicates != new.replicates || old.range != new.range || old.shard != new.shard {
        return Err("the replicates or shard changed since the checkpoint".into());
    }
    if old.design_points.len() != new.design_points.len() {
        return Err("the number of design points changed".into());
    }
    Ok(())
}

pub fn build_summary(
    loaded: &Loaded,
    points: &[(DesignPoint, Loaded)],
    state: &RunState,
) -> Summary {
    let s = &loaded.scenario;
    Summary {
        hfsim_version: env!("CARGO_PKG_VERSION"),
        scenario: s.name.clone(),
        scenario_sha256: loaded.sha256.clone(),
        seed: s.run.seed,
        replicates: s.run.replicates,
        common_random_numbers: s.run.common_random_numbers,
        arms: s
            .arms
            .iter()
            .map(|a| (a.key.clone(), a.label.clone()))
            .collect::<BTreeMap<_, _>>(),
        design_points: points
            .iter()
            .zip(&state.design_points)
            .map(|((p, l), d)| summarize(&l.scenario, &d.acc, p.to_json()))
            .collect(),
        shard: None,
    }
}

pub fn write_outputs(
    out: &Path,
    loaded: &Loaded,
    points: &[(DesignPoint, Loaded)],
    summary: &Summary,
    exports: &[Vec<ReplicateExport>],
    state: &RunState,
) -> Result<(), CliError> {
    write_json(&out.join("summary.json"), summary)?;
    write_atomic(&out.join("power.csv"), &power_csv(summary, points)?)?;
    write_atomic(
        &out.join("effects.csv"),
        &super::present::effects_csv(summary, points, state)?,
    )?;
    write_atomic(
        &out.join("scenario.resolved.toml"),
        loaded.resolved.as_bytes(),
    )?;
    if exports.iter().any(|e| !e.is_empty()) {
        let multi = points.len() > 1;
        let mut head_p = vec![
            "replicate",
            "patient",
            "arm",
            "endpoint",
            "value",
            "baseline",
            "time_days",
            "event",
        ];
        let mut head_t = vec![
            "replicate",
            "endpoint",
            "test",
            "estimate",
            "statistic",
            "p_value",
            "reject",
        ];
        if multi {
            head_p.insert(0, "design_point");
            head_t.insert(0, "design_point");
        }
        let prefix = |i: usize| if multi { vec![i.to_string()] } else { vec![] };
        let prows = exports.iter().enumerate().flat_map(|(i, ex)| {
            ex.iter().flat_map(move |e| {
                e.patients.iter().map(move |r| {
                    let mut v = prefix(i);
                    v.extend([
                        r.replicate.to_string(),
                        r.patient.to_string(),
                        r.arm.clone(),
                        r.endpoint.clone(),
                        fmt_opt(r.value),
                        fmt_opt(r.baseline),
                        fmt_opt(r.time_days),
                        r.event.map(|b| u8::from(b).to_string()).unwrap_or_default(),
                    ]);
                    v
                })
            })
        });
        write_atomic(&out.join("patients.csv"), &csv_bytes(&head_p, prows)?)?;
        let trows = exports.iter().enumerate().flat_map(|(i, ex)| {
            ex.iter().flat_map(move |e| {
                e.tests.iter().map(move |r| {
                    let mut v = prefix(i);
                    v.extend([
                        r.replicate.to_string(),
                        r.endpoint.clone(),
                        r.test.to_string(),
                        fmt_opt(r.estimate),
                        fmt_opt(r.statistic),
                        fmt_opt(r.p_value),
                        u8::from(r.reject).to_string(),
                    ]);
                    v
                })
            })
        });
        write_atomic(&out.join("tests.csv"), &csv_bytes(&head_t, trows)?)?;
    }
    Ok(())
}

/// `power.csv`: one row per design point and endpoint.
pub fn power_csv(summary: &Summary, points: &[(DesignPoint, Loaded)]) -> anyhow::Result<Vec<u8>> {
    let axes: Vec<String> = points
        .first()
        .map(|(p, _)| p.assignments.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    let arms: Vec<String> = summary.arms.keys().cloned().collect();
    let mut header: Vec<String> = vec!["design_point".into()];
    header.extend(axes.iter().cloned());
    header.extend(
        [
            "endpoint",
            "test",
            "alpha",
            "power",
            "power_mcse",
            "power_ci_low",
            "power_ci_high",
            "n_not_analysable",
            "effect_mean",
            "effect_sd",
            "analytic_power",
        ]
        .map(String::from),
    );
    for a in &arms {
        header.push(format!("n_{a}_mean"));
    }
    let rows =
        summary
            .design_points
            .iter()
            .enumerate()
            .flat_map(|(i, d): (usize, &DesignSummary)| {
                let design: Vec<String> = axes
                    .iter()
                    .map(|k| d.design.get(k).map(json_cell).unwrap_or_default())
                    .collect();
                let arms = arms.clone();
                d.endpoints.iter().map(move |e| {
                    let mut r = vec![i.to_string()];
                    r.extend(design.iter().cloned());
                    r.extend([
                        e.name.clone(),
                        e.test.to_string(),
                        e.alpha.to_string(),
                        e.power.power.to_string(),
                        e.power.power_mcse.to_string(),
                        e.power.power_ci_low.to_string(),
                        e.power.power_ci_high.to_string(),
                        e.n_not_analysable.to_string(),
                        fmt_opt(e.effect_mean),
                        fmt_opt(e.effect_sd),
                        fmt_opt(e.analytic_power),
                    ]);
                    for a in &arms {
                        r.push(
                            e.n_analyzed_mean
                                .get(a)
                                .map(|x| x.to_string())
                                .unwrap_or_default(),
                        );
                    }
                    r
                })
            });
    let header_ref: Vec<&str> = header.iter().map(|s| s.as_str()).collect();
    csv_bytes(&header_ref, rows)
}

pub fn json_cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn print_table(summary: &Summary, points: &[(DesignPoint, Loaded)]) {
    // control first, then treatment (scenario order, not key order)
    let arms: Vec<&String> = points
        .first()
        .map(|(_, l)| l.scenario.arms.iter().map(|a| &a.key).collect())
        .unwrap_or_default();
    let _ = &summary.arms;
    for (d, (p, _)) in summary.design_points.iter().zip(points) {
        if points.len() > 1 {
            println!("\ndesign point {}: {}", p.index, p.label());
        }
        println!(
            "{:<26} {:<9} {:>6} {:>17} {:>7} {:>6} {:>6} {:>11} {:>13}",
            "endpoint",
            "test",
            "power",
            "95% CI",
            "MCSE",
            "favour",
            "harm",
            "effect",
            format!(
                "n {}/{}",
                arms.first().map(|s| s.as_str()).unwrap_or(""),
                arms.get(1).map(|s| s.as_str()).unwrap_or("")
            )
        );
        for e in &d.endpoints {
            let n = arms
                .iter()
                .map(|a| format!("{:.1}", e.n_analyzed_mean.get(*a).copied().unwrap_or(0.0)))
                .collect::<Vec<_>>()
                .join("/");
            let na = if e.n_not_analysable > 0 {
                format!("  ({} not analysable)", e.n_not_analysable)
            } else {
                String::new()
            };
            let safety = if e.role == crate::analysis::direction::EndpointRole::Safety {
                "  (safety)"
            } else {
                ""
            };
            let geometric = if e.effect_scale == crate::analysis::direction::EffectScale::Ratio {
                " gm"
            } else {
                ""
            };
            println!(
                "{:<26} {:<9} {:>6.3} {:>17} {:>7.4} {:>6.3} {:>6.3} {:>11} {:>13}{na}{safety}",
                e.name,
                e.test,
                e.power.power,
                format!(
                    "[{:.3}, {:.3}]",
                    e.power.power_ci_low, e.power.power_ci_high
                ),
                e.power.power_mcse,
                e.power_favourable,
                e.power_harmful,
                e.effect_mean
                    .map(|x| format!("{x:.3}{geometric}"))
                    .unwrap_or_else(|| "-".into()),
                n
            );
        }
        for f in &d.families {
            println!(
                "family {:<19} {:<9} any {:.3} [{:.3}, {:.3}], all {:.3} [{:.3}, {:.3}]",
                f.name,
                serde_json::to_value(f.procedure)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                f.disjunctive.power,
                f.disjunctive.power_ci_low,
                f.disjunctive.power_ci_high,
                f.conjunctive.power,
                f.conjunctive.power_ci_low,
                f.conjunctive.power_ci_high
            );
        }
        let failed: u64 =
            d.patients_failed.values().sum::<u64>() + d.replicates_failed.values().sum::<u64>();
        if failed > 0 {
            println!(
                "failures: patients {:?}, replicates {:?}",
                d.patients_failed, d.replicates_failed
            );
        }
    }
}

/// Current UTC time as `YYYY-MM-DDTHH:MM:SSZ` (no extra dependency).
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86400, secs % 86400);
    // civil from days (Howard Hinnant)
    let z = days as i64 + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}
