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
    /// For every PRIME-HFrEF target: published value, simulated median and 95% range, percentile, pass/fail (exit 1 if any fails).
    Check {
        scenario: PathBuf,
        /// Simulated trials.
        #[arg(long, short = 'r', default_value_t = 1000)]
        replicates: u64,
        /// Output folder (default: out/<scenario name>/calibration).
        #[arg(long, short = 'o')]
        out: Option<PathBuf>,
        #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
        set: Vec<String>,
        #[arg(long, short = 't')]
        threads: Option<usize>,
    },
    /// Re-derive the parameters without direct evidence from the targets (Nelder-Mead, common random numbers).
    Fit {
        scenario: PathBuf,
        /// Comma-separated model parameters to fit (default: the parameters without direct evidence).
        #[arg(long)]
        params: Option<String>,
        /// Simulated trials per evaluation of the objective.
        #[arg(long, short = 'r', default_value_t = 300)]
        replicates: u64,
        /// Most evaluations of the objective.
        #[arg(long, default_value_t = 1200)]
        max_evaluations: usize,
        /// Write the scenario with the fitted values (comments kept) to this file.
        #[arg(long)]
        write: Option<PathBuf>,
        #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
        set: Vec<String>,
        #[arg(long, short = 't')]
        threads: Option<usize>,
    },
    /// One-at-a-time profiles of the fit's data distance through the scenario's values, over each free parameter's prior 90%: identified, weakly identified or not.
    Profile {
        scenario: PathBuf,
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

fn pool(threads: Option<usize>, replicates: u64) -> Result<rayon::ThreadPool, CliError> {
    super::execute::worker_pool(threads, replicates).map(|(p, _)| p)
}

pub fn calibrate(a: CalibrateArgs) -> CliResult {
    match a.what {
        CalibrateCommand::Check {
            scenario,
            replicates,
            out,
            set,
            threads,
        } => check(scenario, replicates, out, set, threads),
        CalibrateCommand::Fit {
            scenario,
            params,
            replicates,
            max_evaluations,
            write,
            set,
            threads,
        } => fit(
            scenario,
            params,
            replicates,
            max_evaluations,
            write,
            set,
            threads,
        ),
        CalibrateCommand::Profile {
            scenario,
            params,
            replicates,
            points,
            out,
            set,
            threads,
        } => profile(scenario, params, replicates, points, out, set, threads),
    }
}

fn profile(
    path: PathBuf,
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
    let (loaded, _) = load_points(&path, &set, None, None, false)?;
    let s = &loaded.scenario;
    calibration::check_compatible(s)
        .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
    let names = params.unwrap_or_else(|| calibration::DEFAULT_FREE.join(","));
    let free = FreeParameter::parse(&names).map_err(|e| CliError::Usage(e.to_string()))?;
    let targets = calibration::prime_targets();
    let method = method_of(&loaded);
    let out = out.unwrap_or_else(|| PathBuf::from("out").join(&s.name).join("calibration"));
    ensure_dir(&out)?;
    let _lock = super::lock::lock(&out)?;
    let pool = pool(threads, replicates)?;
    let t0 = std::time::Instant::now();
    let profiles =
        pool.install(|| calibration::profile(s, &targets, &free, method, replicates, points));
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

fn check(
    path: PathBuf,
    replicates: u64,
    out: Option<PathBuf>,
    set: Vec<String>,
    threads: Option<usize>,
) -> CliResult {
    if replicates < 40 {
        return Err(CliError::Usage(
            "--replicates: at least 40 simulated trials are needed for a 95% range".into(),
        ));
    }
    let (loaded, _) = load_points(&path, &set, None, None, false)?;
    let s = &loaded.scenario;
    calibration::check_compatible(s)
        .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
    let targets = calibration::prime_targets();
    let method = method_of(&loaded);
    let out = out.unwrap_or_else(|| PathBuf::from("out").join(&s.name).join("calibration"));
    ensure_dir(&out)?;
    let _lock = super::lock::lock(&out)?;
    let pool = pool(threads, replicates)?;
    errln!(
        "calibration check of {} (sha256 {}, seed {}): {} targets, {replicates} simulated trials",
        s.name,
        &loaded.sha256[..12],
        s.run.seed,
        targets.len()
    );
    let t0 = std::time::Instant::now();
    let (sim, patterns) = pool.install(|| {
        (
            calibration::simulate_targets(s, &targets, method, replicates, 0),
            calibration::patterns(s, method, replicates),
        )
    });
    let results = calibration::assess(&targets, &sim);
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
    ];
    let rows = results.iter().map(|r| {
        vec![
            r.name.clone(),
            serde_json::to_value(r.group)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            r.description.clone(),
            r.unit.to_string(),
            r.published.to_string(),
            r.simulated_median.to_string(),
            r.simulated_low.to_string(),
            r.simulated_high.to_string(),
            format!("{:.1}", r.percentile),
            r.pass.to_string(),
            r.n.to_string(),
        ]
    });
    write_atomic(&out.join("calibration.csv"), &csv_bytes(&header, rows)?)?;
    let json = serde_json::json!({
        "hfsim_version": env!("CARGO_PKG_VERSION"),
        "scenario": s.name,
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
        && super::present::write_figure(&out, "calibration", &fig, true)?.is_some()
    {
        written = "calibration.csv, calibration.json, calibration.svg, calibration.png";
    }
    print_check(&results, &patterns)?;
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| !r.pass)
        .map(|r| r.name.as_str())
        .chain(patterns.iter().filter(|p| !p.pass).map(|p| p.name))
        .collect();
    errln!(
        "wrote {} ({written}) in {:.1} s",
        out.display(),
        t0.elapsed().as_secs_f64()
    );
    if failed.is_empty() {
        outln!(
            "all {} targets and {} patterns pass",
            results.len(),
            patterns.len()
        );
        Ok(())
    } else {
        Err(CliError::CheckFailed(format!(
            "{} of {} checks fail: {}",
            failed.len(),
            results.len() + patterns.len(),
            failed.join(", ")
        )))
    }
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
            if r.pass { "pass" } else { "FAIL" }
        );
    }
    outln!("\nQualitative pattern");
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

fn fit(
    path: PathBuf,
    params: Option<String>,
    replicates: u64,
    max_evaluations: usize,
    write: Option<PathBuf>,
    set: Vec<String>,
    threads: Option<usize>,
) -> CliResult {
    let (loaded, _) = load_points(&path, &set, None, None, false)?;
    let s = &loaded.scenario;
    calibration::check_compatible(s)
        .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
    let names = params.unwrap_or_else(|| calibration::DEFAULT_FREE.join(","));
    let free = FreeParameter::parse(&names).map_err(|e| CliError::Usage(e.to_string()))?;
    if free.is_empty() {
        return Err(CliError::Usage(
            "--params: name at least one model parameter".into(),
        ));
    }
    let targets = calibration::prime_targets();
    let method = method_of(&loaded);
    let pool = pool(threads, replicates)?;
    errln!(
        "fitting {} parameters of {} to {} targets ({} in the objective), {replicates} trials per evaluation, seed {}",
        free.len(),
        s.name,
        targets.len(),
        targets.iter().filter(|t| t.in_objective).count(),
        s.run.seed
    );
    let t0 = std::time::Instant::now();
    let result = pool.install(|| {
        calibration::fit(
            s,
            &targets,
            &free,
            method,
            replicates,
            max_evaluations,
            &mut |n, d| {
                if n % 25 == 0 {
                    errln!("  evaluation {n}: distance {d:.3}");
                }
            },
        )
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
        let mut doc = loaded.source.doc.clone();
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
            path.display(),
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
            text = text.replacen("\n[model]", &format!("\n{note}[model]"), 1);
        }
        write_atomic(&w, text.as_bytes())?;
        errln!("wrote {}", w.display());
    }
    Ok(())
}
