//! Executing a run: every design point over the replicates (resuming,
//! sharding, checkpointing, Ctrl-C and SIGTERM), then summary.json, the
//! tables and manifest.json.

use super::checkpoint::{
    DesignState, RunState, STATE_FILE, STATE_FORMAT, check_resumable, read_state, shard_range,
    write_state,
};
use super::console::errln;
use super::lock::OutputLock;
use super::output::{ensure_dir, write_json};
use super::results::{build_summary, write_outputs};
use super::{CliError, progress};
use crate::rng::{DesignSlot, GENERATOR_NAME};
use crate::runner::{Observer, ReplicateExport, RunOptions, run_design_point, run_design_points};
use crate::scenario::{DesignPoint, Loaded, Warning};
use crate::summary::{DesignAcc, Summary};
use crate::trial::{Method, TrialContext};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// How to execute a run (from the command line).
#[derive(Debug, Clone)]
pub struct ExecuteOptions {
    /// The scenario file (for the manifest).
    pub scenario_file: PathBuf,
    /// Output folder.
    pub out: PathBuf,
    /// Worker threads (default: all cores).
    pub threads: Option<usize>,
    pub no_progress: bool,
    /// Write the first this-many replicates in full.
    pub export_replicates: u64,
    /// Shard I of N.
    pub shard: Option<(u64, u64)>,
    /// Continue the checkpoint in the output folder.
    pub resume: bool,
    /// Replace another scenario's results or an interrupted run in the folder.
    pub force: bool,
    /// Replicates per chunk (reduction and checkpoint granularity).
    pub chunk: u64,
    /// Testing aid: stop as if interrupted after this many chunks.
    pub stop_after_chunks: Option<u64>,
}

/// The worker threads of a run: `requested` (default: every core), at most
/// one per core and one per replicate to run (more only add overhead; a
/// request above that is capped with a note). A pool that cannot be started
/// is a clean error.
pub fn worker_pool(
    requested: Option<usize>,
    work: u64,
) -> Result<(rayon::ThreadPool, usize), CliError> {
    if requested == Some(0) {
        return Err(CliError::Usage("--threads must be at least 1".into()));
    }
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let work = usize::try_from(work.max(1)).unwrap_or(usize::MAX);
    let cap = cores.min(work);
    let threads = requested.unwrap_or(cores).min(cap);
    if let Some(r) = requested
        && r > cap
    {
        errln!(
            "note: --threads {r} capped at {cap} ({})",
            if cap == cores {
                format!("the {cores} cores available")
            } else {
                format!("one per replicate to run: {work}")
            }
        );
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| {
            CliError::Runtime(anyhow::anyhow!(
                "cannot start {threads} worker threads: {e}"
            ))
        })?;
    Ok((pool, threads))
}
/// Solver chosen by the scenario.
pub fn method_of(l: &Loaded) -> Method {
    Method::for_scenario(&l.scenario)
}

struct Progress<'a> {
    bar: indicatif::ProgressBar,
    chunks_left: Option<u64>,
    stop: Arc<AtomicBool>,
    state: &'a mut RunState,
    state_path: PathBuf,
    last_save: Instant,
    /// Wall time of earlier segments, and when this one started.
    wall_before: f64,
    segment_start: Instant,
    save_error: Option<anyhow::Error>,
}

impl Progress<'_> {
    fn save(&mut self) -> anyhow::Result<()> {
        self.state.wall_time_s = self.wall_before + self.segment_start.elapsed().as_secs_f64();
        write_state(&self.state_path, self.state)
    }
}

impl Observer for Progress<'_> {
    fn chunk_done(&mut self, design_index: usize, covered: &Range<u64>, acc: &DesignAcc) -> bool {
        let d = &mut self.state.design_points[design_index];
        d.covered = (covered.start, covered.end);
        d.acc = acc.clone();
        self.bar.set_position(self.state.replicates_done());
        if let Some(n) = self.chunks_left.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.stop.store(true, Ordering::SeqCst);
            }
        }
        let stopping = self.stop.load(Ordering::SeqCst);
        if stopping || self.last_save.elapsed().as_secs_f64() > 2.0 {
            if let Err(e) = self.save() {
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
    /// The output folder's lock, held until the run is presented.
    pub lock: OutputLock,
}

/// Round to `digits` decimals (for numbers a person reads in manifest.json).
pub fn round_to(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// Ctrl-C, SIGTERM (what Slurm and Kubernetes send on pre-emption) and
/// SIGHUP set `stop`: the current chunk finishes and is saved. A second
/// signal quits at once.
fn on_interrupt(stop: Arc<AtomicBool>) {
    let _ = ctrlc::set_handler(move || {
        if stop.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        errln!(
            "\ninterrupted: finishing the current chunk and saving; interrupt again to quit at once"
        );
    });
}

/// Simulate every design point (resuming, sharding, checkpointing) and write
/// summary.json, results.csv, effects.csv, the exports and manifest.json.
pub fn execute(
    args: &ExecuteOptions,
    loaded: Loaded,
    points: Vec<(DesignPoint, Loaded)>,
    warnings: Vec<Warning>,
) -> Result<Execution, CliError> {
    let started = Instant::now();
    let started_utc = now_utc();
    let s = &loaded.scenario;
    let out = args.out.clone();
    ensure_dir(&out)?;
    let lock = super::lock::lock(&out)?;
    let range = shard_range(s.run.replicates, args.shard);

    // Checkpoint.
    let state_path = out.join(STATE_FILE);
    let fresh = RunState {
        format: STATE_FORMAT,
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
        wall_time_s: 0.0,
        segments: 0,
        checksum: String::new(),
        warnings,
        scenario_file: loaded.source.file.clone(),
    };
    let mut state = if args.resume {
        if !state_path.is_file() {
            return Err(CliError::Usage(format!(
                "--resume: there is no checkpoint in {} (no {STATE_FILE}): run without --resume",
                out.display()
            )));
        }
        let old = read_state(&state_path).map_err(|m| {
            CliError::Usage(format!(
                "--resume refused: {}: {m}; run without --resume (and --force) to start afresh",
                state_path.display()
            ))
        })?;
        check_resumable(&old, &fresh)
            .and_then(|()| old.check_shape(&points))
            .map_err(|m| CliError::Usage(format!("--resume refused: {m}")))?;
        old
    } else {
        fresh
    };
    super::folder::prepare(&out, &loaded, args.resume, args.force)?;
    state.segments += 1;
    let wall_before = state.wall_time_s;
    let done_before = state.replicates_done();
    let total = (range.end - range.start) * points.len() as u64;

    let (pool, threads) = worker_pool(args.threads, range.end - range.start)?;
    errln!(
        "hfsim {}: scenario {} (sha256 {}), seed {}, {} replicates{}, {} design point{}, {} thread{}{}",
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
        threads,
        if threads == 1 { "" } else { "s" },
        if args.resume {
            format!(
                "; resuming at {done_before} of {total} (segment {})",
                state.segments
            )
        } else {
            String::new()
        }
    );
    let stop = Arc::new(AtomicBool::new(false));
    on_interrupt(stop.clone());
    let hidden = args.no_progress || !std::io::IsTerminal::is_terminal(&std::io::stderr());
    let bar = progress::bar(total, done_before, wall_before, hidden);
    let mut exports: Vec<Vec<ReplicateExport>> = vec![Vec::new(); points.len()];
    let mut observer = Progress {
        bar,
        chunks_left: args.stop_after_chunks,
        stop: stop.clone(),
        state: &mut state,
        state_path: state_path.clone(),
        last_save: Instant::now(),
        wall_before,
        segment_start: started,
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
    let failed = |observer: &mut Progress, e: crate::runner::RunError| {
        observer.bar.abandon();
        let _ = observer.save();
        CliError::Runtime(anyhow::anyhow!("{e}"))
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
                Err(e) => return Err(failed(&mut observer, e)),
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
            Err(e) => return Err(failed(&mut observer, e)),
        }
    }
    observer.bar.finish_and_clear();
    if let Some(e) = observer.save_error.take() {
        return Err(CliError::Runtime(e));
    }
    observer.save()?;
    drop(observer);
    if interrupted {
        let mut cmd: Vec<String> = std::env::args().collect();
        if !cmd.iter().any(|a| a == "--resume") {
            cmd.push("--resume".into());
        }
        return Err(CliError::Interrupted(format!(
            "interrupted: {} of {} replicates saved in {}. Continue with:\n  {}",
            state.replicates_done(),
            total,
            state_path.display(),
            cmd.join(" ")
        )));
    }

    let mut summary = build_summary(&loaded, &points, &state);
    summary.warnings = state.warnings.clone();
    let audits: Vec<_> = state.accs().iter().map(|a| a.plausibility).collect();
    let file = if state.scenario_file.is_empty() {
        &loaded.source.file
    } else {
        &state.scenario_file
    };
    for w in super::results::plausibility_warnings(file, &points, &audits) {
        errln!("{w}");
        summary.warnings.push(w);
    }
    if let Some((i, n)) = args.shard {
        summary.shard = Some(crate::summary::ShardInfo {
            index: i,
            count: n,
            first_replicate: range.start,
            end_replicate: range.end,
        });
    }
    write_outputs(&out, &loaded, &points, &summary, &exports, &state.accs())?;
    let wall = state.wall_time_s.max(1e-9);
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
        "scenario_file": args.scenario_file.display().to_string(),
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
        "wall_time_s": round_to(wall, 3),
        "segments": state.segments,
        "patients_simulated": patients,
        "patients_per_second": (patients as f64 / wall).round() as u64,
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
        lock,
    })
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
