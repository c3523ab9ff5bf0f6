//! `hfsim calibrate check|fit`: compare the default scenario with PRIME-HFrEF.

use super::console::{errln, outln};
use super::execute::method_of;
use super::output::{csv_bytes, ensure_dir, write_atomic, write_json};
use super::run::load_points;
use super::{CliError, CliResult};
use crate::calibration::{self, FreeParameter, Group, TargetResult};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct CalibrateArgs {
    #[command(subcommand)]
    pub what: CalibrateCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum CalibrateCommand {
    /// For every target of each scenario's published trial ([calibration]; PRIME-HFrEF's without one): published value, simulated median and 95% range, percentile, inside or outside, one table per trial and a summary; exit 1 if the family of targets fails (a target beyond its Bonferroni tail 0.025/K, more outside their 95% than chance explains, or a bound or pattern that does not hold; docs/validation.md "Chance or misfit").
    Check {
        #[arg(required = true, num_args = 1..)]
        scenarios: Vec<PathBuf>,
        /// Simulated trials per scenario.
        #[arg(long, short = 'r', default_value_t = 1000)]
        replicates: u64,
        /// Exit 1 if any single target lies outside its central 95% (each target its own test, no allowance for multiplicity).
        #[arg(long)]
        strict: bool,
        /// Output folder (default: out/<scenario name>/calibration; with several scenarios, <out>/<scenario name>/ and <out>/calibration_trials.csv, default out/calibration).
        #[arg(long, short = 'o')]
        out: Option<PathBuf>,
        #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
        set: Vec<String>,
        #[arg(long, short = 't')]
        threads: Option<usize>,
    },
    /// Re-derive the parameters without direct evidence from the targets of every scenario's trial at once (maximum a posteriori from the prior medians; Nelder-Mead, common random numbers).
    Fit {
        #[arg(required = true, num_args = 1..)]
        scenarios: Vec<PathBuf>,
        /// Comma-separated model parameters to fit (default: the parameters without direct evidence).
        #[arg(long)]
        params: Option<String>,
        /// Simulated trials per evaluation of the objective.
        #[arg(long, short = 'r', default_value_t = 300)]
        replicates: u64,
        /// Most evaluations of the objective.
        #[arg(long, default_value_t = 1200)]
        max_evaluations: usize,
        /// Do not fit: check that the scenarios' values of the free parameters are a local optimum of this fit's objective (one step of 0.1 either way along each parameter's search scale lowers it by less than 0.5); exit 1 if not.
        #[arg(long)]
        verify_optimum: bool,
        /// Write the file of the base chain that holds [model] (scenarios/model/calibrated.toml), with the fitted values and the fit command, to this file.
        #[arg(long)]
        write: Option<PathBuf>,
        #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
        set: Vec<String>,
        #[arg(long, short = 't')]
        threads: Option<usize>,
    },
    /// Draw from an approximate posterior of free parameters given every scenario's trial and the priors (Laplace proposal at the recorded fit, importance weights; docs/validation.md "Posterior"); report prior and posterior medians and 90% intervals, correlations, and a posterior predictive check of every target (exit 1 if the family of predictive checks fails, as for `check`).
    Posterior {
        #[arg(required = true, num_args = 1..)]
        scenarios: Vec<PathBuf>,
        /// Comma-separated model parameters (default: those that decide the design answer).
        #[arg(long)]
        params: Option<String>,
        /// Simulated trials per evaluation of the synthetic likelihood (as `fit`).
        #[arg(long, short = 'r', default_value_t = 200)]
        replicates: u64,
        /// Importance draws.
        #[arg(long, default_value_t = 240)]
        draws: usize,
        /// Seed of the proposal draws and of the predictive check's resampling.
        #[arg(long, short = 's', default_value_t = 1)]
        seed: u64,
        /// Posterior draws of the predictive check (resampled by weight).
        #[arg(long, default_value_t = 200)]
        predictive_draws: usize,
        /// Simulated trials per predictive draw.
        #[arg(long, default_value_t = 2)]
        predictive_replicates: u64,
        /// Write the posterior draws (CSV with a header naming method, trials, seed and command) to this file.
        #[arg(long)]
        write: Option<PathBuf>,
        /// Output folder of the summaries (default: out/calibration/posterior).
        #[arg(long, short = 'o')]
        out: Option<PathBuf>,
        #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
        set: Vec<String>,
        #[arg(long, short = 't')]
        threads: Option<usize>,
    },
    /// One-at-a-time profiles of the fit's data distance through the scenario's values, over each free parameter's prior 90%: identified, weakly identified or not.
    Profile {
        #[arg(required = true, num_args = 1..)]
        scenarios: Vec<PathBuf>,
        /// Comma-separated model parameters (default: those `fit` frees).
        #[arg(long)]
        params: Option<String>,
        /// Simulated trials per evaluation.
        #[arg(long, short = 'r', default_value_t = 300)]
        replicates: u64,
        /// Values per parameter (evenly spaced prior deviates over the central 90%).
        #[arg(long, default_value_t = 7)]
        points: usize,
        /// Output folder (default: out/<scenario name>/calibration).
        #[arg(long, short = 'o')]
        out: Option<PathBuf>,
        #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
        set: Vec<String>,
        #[arg(long, short = 't')]
        threads: Option<usize>,
    },
}

pub(super) fn pool(threads: Option<usize>, replicates: u64) -> Result<rayon::ThreadPool, CliError> {
    super::execute::worker_pool(threads, replicates).map(|(p, _)| p)
}

pub fn calibrate(a: CalibrateArgs) -> CliResult {
    match a.what {
        CalibrateCommand::Check {
            scenarios,
            replicates,
            strict,
            out,
            set,
            threads,
        } => check(scenarios, replicates, strict, out, set, threads),
        CalibrateCommand::Fit {
            scenarios,
            params,
            replicates,
            max_evaluations,
            verify_optimum,
            write,
            set,
            threads,
        } => fit(
            scenarios,
            params,
            FitRun {
                replicates,
                max_evaluations,
                verify_optimum,
            },
            write,
            set,
            threads,
        ),
        CalibrateCommand::Profile {
            scenarios,
            params,
            replicates,
            points,
            out,
            set,
            threads,
        } => profile(scenarios, params, replicates, points, out, set, threads),
        CalibrateCommand::Posterior {
            scenarios,
            params,
            replicates,
            draws,
            seed,
            predictive_draws,
            predictive_replicates,
            write,
            out,
            set,
            threads,
        } => super::posterior::posterior(
            scenarios,
            super::posterior::PosteriorRun {
                params,
                replicates,
                draws,
                seed,
                predictive_draws,
                predictive_replicates,
            },
            write,
            out,
            set,
            threads,
        ),
    }
}

/// Every scenario with its targets, for a joint fit or profile.
pub(super) fn fit_trials(
    paths: &[PathBuf],
    set: &[String],
    replicates: u64,
) -> Result<(Vec<calibration::FitTrial>, crate::scenario::Loaded), CliError> {
    let mut trials = Vec::new();
    let mut first = None;
    for path in paths {
        let (l, _) = load_points(path, set, None, None, false)?;
        let targets = targets_of(path, &l.scenario)?;
        let s = &l.scenario;
        trials.push(calibration::FitTrial {
            scenario: s.clone(),
            targets: targets.targets,
            method: method_of(&l),
            replicates: calibration::fit_replicates(
                replicates,
                s.patients_per_replicate(),
                s.run.follow_up_days,
            ),
        });
        first.get_or_insert(l);
    }
    Ok((trials, first.expect("at least one scenario")))
}

fn profile(
    paths: Vec<PathBuf>,
    params: Option<String>,
    replicates: u64,
    points: usize,
    out: Option<PathBuf>,
    set: Vec<String>,
    threads: Option<usize>,
) -> CliResult {
    if !(2..=101).contains(&points) {
        return Err(CliError::Usage(format!(
            "--points: 2 to 101 values per parameter (got {points})"
        )));
    }
    let (trials, loaded) = fit_trials(&paths, &set, replicates)?;
    let s = &loaded.scenario;
    let names = params.unwrap_or_else(|| calibration::DEFAULT_FREE.join(","));
    let free = FreeParameter::parse(&names).map_err(|e| CliError::Usage(e.to_string()))?;
    let out = out.unwrap_or_else(|| PathBuf::from("out").join(&s.name).join("calibration"));
    ensure_dir(&out)?;
    let _lock = super::lock::lock(&out)?;
    let pool = pool(threads, replicates)?;
    let t0 = std::time::Instant::now();
    let profiles = pool.install(|| calibration::profile(&trials, &free, points));
    outln!(
        "{:<36} {:>12} {:>10} {:>11} {:>11}  verdict",
        "parameter",
        "value",
        "distance",
        "rise below",
        "rise above"
    );
    let mut rows = Vec::new();
    for p in &profiles {
        outln!(
            "{:<36} {:>12.6} {:>10.3} {:>11.3} {:>11.3}  {}",
            p.name,
            p.value,
            p.distance,
            p.rise_below,
            p.rise_above,
            p.verdict
        );
        for q in &p.points {
            rows.push(vec![
                p.name.clone(),
                q.value.to_string(),
                q.z.to_string(),
                q.distance.to_string(),
                p.verdict.to_string(),
            ]);
        }
    }
    write_atomic(
        &out.join("profile.csv"),
        &csv_bytes(
            &["parameter", "value", "prior_z", "distance", "verdict"],
            rows.into_iter(),
        )?,
    )?;
    write_json(&out.join("profile.json"), &profiles)?;
    errln!(
        "wrote {} (profile.csv, profile.json) in {:.0} s",
        out.display(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The columns of a target's row from `published` to `n` (both CSVs).
fn simulated_cells(r: &TargetResult) -> [String; 7] {
    [
        r.published.to_string(),
        r.simulated_median.to_string(),
        r.simulated_low.to_string(),
        r.simulated_high.to_string(),
        format!("{:.1}", r.percentile),
        r.pass.to_string(),
        r.n.to_string(),
    ]
}

/// What one scenario's check found.
struct TrialCheck {
    trial: String,
    name: String,
    results: Vec<TargetResult>,
    patterns: Vec<calibration::PatternResult>,
    /// PRIME-HFrEF's built-in targets (fitted by stage 1).
    prime_targets: bool,
}

impl TrialCheck {
    fn failed(&self) -> Vec<&str> {
        self.results
            .iter()
            .filter(|r| !r.pass)
            .map(|r| r.name.as_str())
            .chain(self.patterns.iter().filter(|p| !p.pass).map(|p| p.name))
            .collect()
    }
}

/// The targets of a scenario: its `[calibration]`, or PRIME-HFrEF's when it
/// has none and can be compared with PRIME-HFrEF.
fn targets_of(
    path: &std::path::Path,
    s: &crate::scenario::Scenario,
) -> Result<calibration::TrialTargets, CliError> {
    let t = match &s.calibration {
        Some(t) => t.clone(),
        None => calibration::TrialTargets {
            trial: "PRIME-HFrEF".into(),
            reference: String::new(),
            source: String::new(),
            prime_patterns: true,
            targets: calibration::prime_targets(),
        },
    };
    if t.prime_patterns {
        calibration::check_compatible(s)
            .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
    }
    Ok(t)
}

fn check(
    paths: Vec<PathBuf>,
    replicates: u64,
    strict: bool,
    out: Option<PathBuf>,
    set: Vec<String>,
    threads: Option<usize>,
) -> CliResult {
    if replicates < 40 {
        return Err(CliError::Usage(
            "--replicates: at least 40 simulated trials are needed for a 95% range".into(),
        ));
    }
    // every file is read and checked before anything is simulated
    let mut loaded = Vec::new();
    for path in &paths {
        let (l, _) = load_points(path, &set, None, None, false)?;
        let targets = targets_of(path, &l.scenario)?;
        loaded.push((path.clone(), l, targets));
    }
    let several = loaded.len() > 1;
    let root = out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join("calibration"));
    let pool = pool(threads, replicates)?;
    let t0 = std::time::Instant::now();
    let mut checks = Vec::new();
    for (path, l, targets) in &loaded {
        let s = &l.scenario;
        let dir = match (&out, several) {
            (_, true) => root.join(&s.name),
            (Some(o), false) => o.clone(),
            (None, false) => PathBuf::from("out").join(&s.name).join("calibration"),
        };
        let c = check_one(path, l, targets, replicates, &dir, &pool)?;
        checks.push(c);
    }
    if several {
        ensure_dir(&root)?;
        let header = [
            "trial",
            "scenario",
            "name",
            "tag",
            "kind",
            "unit",
            "published",
            "simulated_median",
            "simulated_low",
            "simulated_high",
            "percentile",
            "pass",
            "n",
        ];
        let rows = checks.iter().flat_map(|c| {
            c.results.iter().map(move |r| {
                let mut row = vec![
                    c.trial.clone(),
                    c.name.clone(),
                    r.name.clone(),
                    r.tag.clone(),
                    super::console::word(&r.kind),
                    r.unit.clone(),
                ];
                row.extend(simulated_cells(r));
                row
            })
        });
        write_atomic(
            &root.join("calibration_trials.csv"),
            &csv_bytes(&header, rows)?,
        )?;
        outln!(
            "\nAll trials\n{:<28} {:<16} {:>8} {:>6} {:>7}  outside the central 95% (or failed)",
            "trial",
            "scenario",
            "targets",
            "inside",
            "outside"
        );
        for c in &checks {
            let failed = c.failed();
            let n = c.results.len() + c.patterns.len();
            outln!(
                "{:<28} {:<16} {:>8} {:>6} {:>7}  {}",
                c.trial,
                c.name,
                n,
                n - failed.len(),
                failed.len(),
                failed.join(", ")
            );
        }
        errln!(
            "wrote {} (calibration_trials.csv) in {:.1} s",
            root.display(),
            t0.elapsed().as_secs_f64()
        );
    }
    let total: usize = checks
        .iter()
        .map(|c| c.results.len() + c.patterns.len())
        .sum();
    let label = |c: &TrialCheck, name: &str| {
        if several {
            format!("{}:{name}", c.name)
        } else {
            name.to_string()
        }
    };
    let labelled: Vec<(String, &TargetResult)> = checks
        .iter()
        .flat_map(|c| c.results.iter().map(move |r| (label(c, &r.name), r)))
        .collect();
    let failed_patterns: Vec<String> = checks
        .iter()
        .flat_map(|c| {
            c.patterns
                .iter()
                .filter(|p| !p.pass)
                .map(move |p| label(c, p.name))
        })
        .collect();
    let family = calibration::family_verdict(&labelled, &failed_patterns);
    // multiplicity: how many `typical` outcome targets a correct model would
    // put outside their central 95% by chance, all trials and those without
    // PRIME-HFrEF's built-in targets
    let c = &family.chance;
    if c.checks > 0 {
        outln!(
            "{} of {} typical outcome targets lie outside their central 95%; were each an independent draw from the model, {:.1} would by chance (binomial 95% range {}-{}; P({} or more) = {:.3}); targets the fit used fall outside less often than that, so a small P is a misfit, not chance",
            c.failed,
            c.checks,
            c.expected,
            c.range_low,
            c.range_high,
            c.failed,
            c.p_at_least_failed
        );
    }
    if several {
        let others: Vec<(String, &TargetResult)> = checks
            .iter()
            .filter(|c| !c.prime_targets)
            .flat_map(|c| c.results.iter().map(move |r| (label(c, &r.name), r)))
            .collect();
        let o = calibration::family_verdict(&others, &[]).chance;
        if o.checks > 0 && o.checks < c.checks {
            outln!(
                "without PRIME-HFrEF's built-in targets: {} of {} outside, {:.1} by chance (binomial 95% range {}-{}; P({} or more) = {:.3})",
                o.failed,
                o.checks,
                o.expected,
                o.range_low,
                o.range_high,
                o.failed,
                o.p_at_least_failed
            );
        }
    }
    outln!(
        "family verdict over {} checks: {} ({} sampled targets, per-side Bonferroni tail {:.2e}: {}; {} outside their 95%: {})",
        total,
        if family.pass { "pass" } else { "FAIL" },
        family.sampled,
        family.tail_limit,
        if family.failed.is_empty() {
            "no target beyond it, every bound and pattern holds".to_string()
        } else {
            format!("failing {}", family.failed.join(", "))
        },
        family.outside_95.len(),
        if family.too_many_outside {
            "more than chance explains"
        } else {
            "within chance"
        }
    );
    if strict && (!family.outside_95.is_empty() || !failed_patterns.is_empty()) {
        let mut all = family.outside_95.clone();
        all.extend(failed_patterns.iter().cloned());
        return Err(CliError::CheckFailed(format!(
            "--strict: {} of {total} checks outside their central 95% or failed: {}",
            all.len(),
            all.join(", ")
        )));
    }
    if family.pass {
        if family.outside_95.is_empty() {
            if several {
                outln!(
                    "all {total} targets and patterns of {} trials pass",
                    checks.len()
                );
            } else {
                outln!(
                    "all {} targets and {} patterns pass",
                    checks[0].results.len(),
                    checks[0].patterns.len()
                );
            }
        } else {
            outln!(
                "the family passes; outside their own central 95% (as chance allows): {}",
                family.outside_95.join(", ")
            );
        }
        Ok(())
    } else {
        let mut why = Vec::new();
        if !family.failed.is_empty() {
            why.push(format!(
                "{} failing on their own: {}",
                family.failed.len(),
                family.failed.join(", ")
            ));
        }
        if family.too_many_outside {
            why.push(format!(
                "{} of {} typical outcome targets outside their 95% (P = {:.3} by chance): {}",
                c.failed,
                c.checks,
                c.p_at_least_failed,
                family.outside_95.join(", ")
            ));
        }
        Err(CliError::CheckFailed(format!(
            "the family of {total} checks fails: {}",
            why.join("; ")
        )))
    }
}

fn check_one(
    path: &std::path::Path,
    loaded: &crate::scenario::Loaded,
    trial: &calibration::TrialTargets,
    replicates: u64,
    out: &std::path::Path,
    pool: &rayon::ThreadPool,
) -> Result<TrialCheck, CliError> {
    let s = &loaded.scenario;
    let targets = &trial.targets;
    let method = method_of(loaded);
    ensure_dir(out)?;
    let _lock = super::lock::lock(out)?;
    errln!(
        "calibration check of {} ({}; {}, sha256 {}, seed {}): {} targets, {replicates} simulated trials",
        s.name,
        trial.trial,
        path.display(),
        &loaded.sha256[..12],
        s.run.seed,
        targets.len()
    );
    let t0 = std::time::Instant::now();
    let (sim, patterns) = pool.install(|| {
        (
            calibration::simulate_targets(s, targets, method, replicates, 0),
            if trial.prime_patterns {
                calibration::patterns(s, method, replicates)
            } else {
                Vec::new()
            },
        )
    });
    let results = calibration::assess(targets, &sim);
    let header = [
        "name",
        "group",
        "description",
        "unit",
        "published",
        "simulated_median",
        "simulated_low",
        "simulated_high",
        "percentile",
        "pass",
        "n",
        "tag",
        "kind",
    ];
    let rows = results.iter().map(|r| {
        let mut row = vec![
            r.name.clone(),
            super::console::word(&r.group),
            r.description.clone(),
            r.unit.clone(),
        ];
        row.extend(simulated_cells(r));
        row.extend([r.tag.clone(), super::console::word(&r.kind)]);
        row
    });
    write_atomic(&out.join("calibration.csv"), &csv_bytes(&header, rows)?)?;
    let json = serde_json::json!({
        "hfsim_version": env!("CARGO_PKG_VERSION"),
        "scenario": s.name,
        "trial": trial.trial,
        "reference": trial.reference,
        "source": trial.source,
        "scenario_sha256": loaded.sha256,
        "seed": s.run.seed,
        "replicates": replicates,
        "failed_replicates": sim.failed_replicates,
        "targets": results.iter().map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            v["simulated"] = serde_json::json!(r.values);
            v
        }).collect::<Vec<_>>(),
        "patterns": patterns,
    });
    write_json(&out.join("calibration.json"), &json)?;
    let mut written = "calibration.csv, calibration.json";
    if let Some(fig) = serde_json::from_value(json)
        .ok()
        .and_then(|f| crate::plots::figures::calibration_panels(&f))
        && super::present::write_figure(out, "calibration", &fig, true)?.is_some()
    {
        written = "calibration.csv, calibration.json, calibration.svg, calibration.png";
    }
    outln!("\n== {} ({})", trial.trial, s.name);
    print_check(&results, &patterns)?;
    errln!(
        "wrote {} ({written}) in {:.1} s",
        out.display(),
        t0.elapsed().as_secs_f64()
    );
    Ok(TrialCheck {
        trial: trial.trial.clone(),
        name: s.name.clone(),
        results,
        patterns,
        prime_targets: trial.prime_patterns,
    })
}

fn print_check(results: &[TargetResult], patterns: &[calibration::PatternResult]) -> CliResult {
    let mut last = None;
    for r in results {
        if last != Some(r.group) {
            let title = match r.group {
                Group::Baseline => "Baseline (Table 1, both arms)",
                Group::Outcome => "Outcomes per arm",
                Group::Imaging => "Imaging availability",
            };
            outln!(
                "\n{title}\n{:<34} {:>10} {:>10} {:>22} {:>6}  ",
                "target",
                "published",
                "median",
                "95% range",
                "pctl"
            );
            last = Some(r.group);
        }
        outln!(
            "{:<34} {:>10.3} {:>10.3} {:>22} {:>6.1}  {}",
            r.name,
            r.published,
            r.simulated_median,
            format!("[{:.3}, {:.3}]", r.simulated_low, r.simulated_high),
            r.percentile,
            if r.pass { "pass" } else { "outside" }
        );
    }
    if !patterns.is_empty() {
        outln!("\nQualitative pattern");
    }
    for p in patterns {
        outln!(
            "{:<36} {:>10.3}  ({})  {}",
            p.name,
            p.value,
            p.criterion,
            if p.pass { "pass" } else { "FAIL" }
        );
    }
    Ok(())
}

/// How `fit` runs: evaluations, simulated trials, or only the optimum check.
struct FitRun {
    replicates: u64,
    max_evaluations: usize,
    verify_optimum: bool,
}

fn fit(
    paths: Vec<PathBuf>,
    params: Option<String>,
    run: FitRun,
    write: Option<PathBuf>,
    set: Vec<String>,
    threads: Option<usize>,
) -> CliResult {
    let FitRun {
        replicates,
        max_evaluations,
        verify_optimum,
    } = run;
    let (trials, loaded) = fit_trials(&paths, &set, replicates)?;
    let names = params.unwrap_or_else(|| calibration::DEFAULT_FREE.join(","));
    let free = FreeParameter::parse(&names).map_err(|e| CliError::Usage(e.to_string()))?;
    if free.is_empty() {
        return Err(CliError::Usage(
            "--params: name at least one model parameter".into(),
        ));
    }
    let pool = pool(threads, replicates)?;
    errln!(
        "fitting {} parameters to {} trials ({}): {} targets ({} in the objective), {replicates} simulated trials per trial and evaluation",
        free.len(),
        trials.len(),
        trials
            .iter()
            .map(|t| t.scenario.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        trials.iter().map(|t| t.targets.len()).sum::<usize>(),
        trials
            .iter()
            .flat_map(|t| &t.targets)
            .filter(|t| t.in_objective)
            .count(),
    );
    for t in &trials {
        errln!(
            "  {:<20} {:>3} targets, {:>4} simulated trials per evaluation",
            t.scenario.name,
            t.targets.len(),
            t.replicates
        );
    }
    let t0 = std::time::Instant::now();
    if verify_optimum {
        const STEP: f64 = 0.1;
        const TOLERANCE: f64 = 0.5;
        let c = pool.install(|| calibration::check_optimum(&trials, &free, STEP));
        outln!(
            "objective at the scenarios' values {:.4}; one step of {STEP} either way:",
            c.objective
        );
        for (name, lo, f_lo, hi, f_hi) in &c.neighbours {
            outln!("  {name:<40} {lo:<12.6} {f_lo:>10.4}   {hi:<12.6} {f_hi:>10.4}");
        }
        errln!("checked in {:.0} s", t0.elapsed().as_secs_f64());
        return if c.largest_drop < TOLERANCE {
            outln!(
                "a local optimum: no neighbour lowers the objective by {TOLERANCE} or more (largest drop {:.4})",
                c.largest_drop
            );
            Ok(())
        } else {
            Err(CliError::CheckFailed(format!(
                "not a local optimum: a neighbour lowers the objective by {:.4}",
                c.largest_drop
            )))
        };
    }
    let result = pool.install(|| {
        calibration::fit(&trials, &free, replicates, max_evaluations, &mut |n, d| {
            if n % 25 == 0 {
                errln!("  evaluation {n}: distance {d:.3}");
            }
        })
    });
    outln!(
        "distance {:.4} + prior penalty {:.4} (start {:.4} + {:.4}) after {} evaluations ({}), {:.0} s",
        result.distance,
        result.penalty,
        result.start_distance,
        result.start_penalty,
        result.evaluations,
        if result.converged {
            "converged"
        } else {
            "stopped at the limit"
        },
        t0.elapsed().as_secs_f64()
    );
    for ((name, v), (_, v0)) in result.parameters.iter().zip(&result.start) {
        outln!("  {name:<40} {v:<14.6} (was {v0})");
    }
    if let Some(w) = write {
        // the values go to the file of the base chain that holds [model]
        // (scenarios/model/calibrated.toml for the shipped scenarios)
        let (model_file, model_text) = loaded
            .source
            .file_writing("model")
            .map(|(f, t)| (f.to_string(), t.to_string()))
            .unwrap_or_else(|| (paths[0].display().to_string(), "[model]\n".to_string()));
        let mut doc: toml_edit::DocumentMut = model_text
            .parse()
            .map_err(|e| CliError::Runtime(anyhow::anyhow!("{model_file}: {e}")))?;
        for (name, v) in &result.parameters {
            let rounded = if *v == 0.0 {
                0.0
            } else {
                let mag = 10f64.powi(5 - v.abs().log10().floor() as i32);
                (v * mag).round() / mag
            };
            crate::scenario::source::set_path(
                &mut doc,
                &format!("model.{name}"),
                toml_edit::Value::from(rounded),
            )
            .map_err(|e| CliError::Runtime(anyhow::anyhow!(e)))?;
        }
        let mut text = doc.to_string();
        let note = format!(
            "# model: fitted by `hfsim calibrate fit {} --params {} --replicates {} --max-evaluations {}` (maximum a posteriori from the prior medians: distance {:.4} + prior penalty {:.4}, {} evaluations)\n",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" "),
            names,
            replicates,
            max_evaluations,
            result.distance,
            result.penalty,
            result.evaluations
        );
        if let Some(old) = text
            .lines()
            .find(|l| l.starts_with("# model: fitted by"))
            .map(|l| format!("{l}\n"))
        {
            text = text.replacen(&old, &note, 1);
        } else {
            text = text.replacen("[model]", &format!("{note}[model]"), 1);
        }
        errln!("the fitted values replace those of {model_file}");
        write_atomic(&w, text.as_bytes())?;
        errln!("wrote {}", w.display());
    }
    Ok(())
}
