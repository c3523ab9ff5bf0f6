//! `hfsim calibrate posterior`: calibration as inference
//! (`crate::calibration::posterior`). Writes the weighted draws as a
//! posterior file (`crate::uncertainty::posterior`) and, in the output
//! folder, `posterior.json` (the approximation, per-parameter summaries,
//! correlations, the predictive check), `posterior_parameters.csv` and
//! `posterior_predictive.csv`.

use super::calibrate::{fit_trials, pool};
use super::console::{errln, outln};
use super::output::{csv_bytes, ensure_dir, write_atomic, write_json};
use super::{CliError, CliResult};
use crate::calibration::FreeParameter;
use crate::calibration::posterior::{self, DEFAULT_PARAMETERS, Settings};
use crate::uncertainty::posterior::PosteriorFile;
use std::path::PathBuf;

/// How `calibrate posterior` runs.
pub struct PosteriorRun {
    pub params: Option<String>,
    pub replicates: u64,
    pub draws: usize,
    pub seed: u64,
    pub predictive_draws: usize,
    pub predictive_replicates: u64,
}

pub fn posterior(
    paths: Vec<PathBuf>,
    run: PosteriorRun,
    write: Option<PathBuf>,
    out: Option<PathBuf>,
    set: Vec<String>,
    threads: Option<usize>,
) -> CliResult {
    if run.draws < 10 {
        return Err(CliError::Usage("--draws: at least 10".into()));
    }
    if (run.predictive_draws as u64) * run.predictive_replicates < 40 {
        return Err(CliError::Usage(
            "--predictive-draws x --predictive-replicates: at least 40 simulated trials are needed for a 95% range".into(),
        ));
    }
    let (trials, _) = fit_trials(&paths, &set, run.replicates)?;
    let names = run
        .params
        .clone()
        .unwrap_or_else(|| DEFAULT_PARAMETERS.join(","));
    let free = FreeParameter::parse(&names).map_err(|e| CliError::Usage(e.to_string()))?;
    if free.is_empty() {
        return Err(CliError::Usage(
            "--params: name at least one model parameter".into(),
        ));
    }
    let pool = pool(threads, run.replicates)?;
    let settings = Settings {
        draws: run.draws,
        seed: run.seed,
        ..Settings::default()
    };
    let d = free.len();
    errln!(
        "posterior of {d} parameters given {} trials: {} evaluations of the synthetic likelihood ({} simulated trials per trial and evaluation), then {} x {} predictive trials",
        trials.len(),
        1 + 2 * d + d * (d - 1) / 2 + run.draws,
        run.replicates,
        run.predictive_draws,
        run.predictive_replicates
    );
    let t0 = std::time::Instant::now();
    let post = pool
        .install(|| {
            posterior::posterior(&trials, &free, &settings, &mut |n, total| {
                if n % 20 == 0 || n == total {
                    errln!(
                        "  evaluation {n}/{total} ({:.0} s)",
                        t0.elapsed().as_secs_f64()
                    );
                }
            })
        })
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let a = &post.approximation;
    outln!(
        "{} draws, effective sample size {:.1}, {} evaluations, {:.0} s",
        a.draws.len(),
        a.effective_sample_size,
        a.evaluations,
        t0.elapsed().as_secs_f64()
    );
    outln!(
        "{:<34} {:>12} {:>25} {:>12} {:>25}",
        "parameter",
        "prior med.",
        "prior 90%",
        "post. med.",
        "posterior 90%"
    );
    for s in &post.summary {
        outln!(
            "{:<34} {:>12.5} {:>25} {:>12.5} {:>25}",
            s.name,
            s.prior_median,
            format!("{:.4} - {:.4}", s.prior_low, s.prior_high),
            s.posterior_median,
            format!("{:.4} - {:.4}", s.posterior_low, s.posterior_high)
        );
    }
    let mut strong = Vec::new();
    for i in 0..d {
        for j in 0..i {
            let r = post.correlations[i * d + j];
            if r.abs() >= 0.3 {
                strong.push(format!(
                    "{} ~ {}: {r:+.2}",
                    post.summary[i].name, post.summary[j].name
                ));
            }
        }
    }
    outln!(
        "posterior correlations of |rho| >= 0.3 (of the prior deviates): {}",
        if strong.is_empty() {
            "none".to_string()
        } else {
            strong.join("; ")
        }
    );
    let t1 = std::time::Instant::now();
    let checks = pool.install(|| {
        posterior::predictive(
            &trials,
            &post,
            run.predictive_draws,
            run.predictive_replicates,
            run.seed,
        )
    });
    let mut rows = Vec::new();
    let mut failed = Vec::new();
    outln!(
        "posterior predictive check ({:.0} s): published value among trials simulated from the posterior",
        t1.elapsed().as_secs_f64()
    );
    for c in &checks {
        for r in &c.results {
            if !r.pass {
                failed.push(format!("{}/{}", c.trial, r.name));
            }
            rows.push(vec![
                c.trial.clone(),
                r.name.clone(),
                r.tag.clone(),
                format!("{:?}", r.kind).to_lowercase(),
                format!("{}", r.published),
                format!("{:.6}", r.simulated_median),
                format!("{:.6}", r.simulated_low),
                format!("{:.6}", r.simulated_high),
                format!("{:.1}", r.percentile),
                r.pass.to_string(),
            ]);
        }
        let n_pass = c.results.iter().filter(|r| r.pass).count();
        outln!(
            "  {:<22} {n_pass}/{} targets inside",
            c.trial,
            c.results.len()
        );
    }
    // the same family verdict as `calibrate check`
    let labelled: Vec<(String, &crate::calibration::TargetResult)> = checks
        .iter()
        .flat_map(|c| {
            c.results
                .iter()
                .map(move |r| (format!("{}/{}", c.trial, r.name), r))
        })
        .collect();
    let family = crate::calibration::family_verdict(&labelled, &[]);
    let command = format!(
        "hfsim calibrate posterior {} --params {} --replicates {} --draws {} --seed {} --predictive-draws {} --predictive-replicates {}{}",
        paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" "),
        names,
        run.replicates,
        run.draws,
        run.seed,
        run.predictive_draws,
        run.predictive_replicates,
        write
            .as_ref()
            .map(|w| format!(" --write {}", w.display()))
            .unwrap_or_default()
    );
    let n_targets: usize = checks.iter().map(|c| c.results.len()).sum();
    let file = PosteriorFile {
        header: vec![
            ("method".into(), "laplace_importance (Gaussian synthetic likelihood at common random numbers; Laplace proposal at the recorded fit, t(5) with a 20% defensive prior component; self-normalized importance weights)".into()),
            (
                "trials".into(),
                paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            ("seed".into(), run.seed.to_string()),
            ("command".into(), command.clone()),
            ("draws".into(), a.draws.len().to_string()),
            (
                "effective_sample_size".into(),
                format!("{:.1}", a.effective_sample_size),
            ),
            (
                "predictive_check".into(),
                format!(
                    "{} of {n_targets} published values inside the central 95% ({} x {} simulated trials)",
                    n_targets - failed.len(),
                    run.predictive_draws,
                    run.predictive_replicates
                ),
            ),
            ("version".into(), format!("{}{}", env!("CARGO_PKG_VERSION"), option_env!("HFSIM_GIT_COMMIT").filter(|c| !c.is_empty()).map(|c| format!(" ({c})")).unwrap_or_default())),
        ],
        parameters: post.parameters.clone(),
        weights: a.weights.clone(),
        distance: a.distance.clone(),
        values: post.values.clone(),
    };
    let dir = out.unwrap_or_else(|| PathBuf::from("out/calibration/posterior"));
    ensure_dir(&dir)?;
    write_atomic(&dir.join("posterior.csv"), file.to_csv().as_bytes())?;
    let params_rows: Vec<Vec<String>> = post
        .summary
        .iter()
        .map(|s| {
            vec![
                s.name.clone(),
                s.unit.clone(),
                format!("{}", s.start),
                format!("{}", s.prior_median),
                format!("{}", s.prior_low),
                format!("{}", s.prior_high),
                format!("{}", s.posterior_median),
                format!("{}", s.posterior_low),
                format!("{}", s.posterior_high),
            ]
        })
        .collect();
    write_atomic(
        &dir.join("posterior_parameters.csv"),
        &csv_bytes(
            &[
                "parameter",
                "unit",
                "start",
                "prior_median",
                "prior_low_90",
                "prior_high_90",
                "posterior_median",
                "posterior_low_90",
                "posterior_high_90",
            ],
            params_rows.into_iter(),
        )?,
    )?;
    write_atomic(
        &dir.join("posterior_predictive.csv"),
        &csv_bytes(
            &[
                "trial",
                "target",
                "tag",
                "kind",
                "published",
                "simulated_median",
                "simulated_low_95",
                "simulated_high_95",
                "percentile",
                "pass",
            ],
            rows.into_iter(),
        )?,
    )?;
    write_json(
        &dir.join("posterior.json"),
        &serde_json::json!({
            "command": command,
            "settings": settings,
            "parameters": post.summary,
            "correlations": post.correlations,
            "mode": a.mode,
            "centre": a.centre,
            "covariance": a.covariance,
            "effective_sample_size": a.effective_sample_size,
            "evaluations": a.evaluations,
            "predictive_failures": failed,
            "predictive_family": family,
        }),
    )?;
    errln!("wrote {}", dir.display());
    if let Some(w) = &write {
        write_atomic(w, file.to_csv().as_bytes())?;
        errln!("wrote {}", w.display());
    }
    if failed.is_empty() {
        outln!("every published value lies inside its posterior predictive central 95%");
        return Ok(());
    }
    let ch = &family.chance;
    outln!(
        "{} published values outside their posterior predictive central 95% ({}); {} of {} typical outcome targets, {:.1} by chance (P({} or more) = {:.3}); beyond the Bonferroni tail {:.2e} or a bound failing: {}",
        failed.len(),
        failed.join(", "),
        ch.failed,
        ch.checks,
        ch.expected,
        ch.failed,
        ch.p_at_least_failed,
        family.tail_limit,
        if family.failed.is_empty() {
            "none".to_string()
        } else {
            family.failed.join(", ")
        }
    );
    if family.pass {
        outln!(
            "the family of predictive checks passes (as calibrate check: docs/validation.md \"Chance or misfit\")"
        );
        Ok(())
    } else {
        Err(CliError::CheckFailed(format!(
            "the family of posterior predictive checks fails: {}{}",
            if family.failed.is_empty() {
                String::new()
            } else {
                format!("failing on their own {}; ", family.failed.join(", "))
            },
            if family.too_many_outside {
                format!("{} outside their 95%, more than chance explains", ch.failed)
            } else {
                "the count outside is within chance".to_string()
            }
        )))
    }
}
