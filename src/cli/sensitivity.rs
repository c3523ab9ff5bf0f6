//! `hfsim sensitivity`: which uncertain parameter decides the design's
//! answer? Morris elementary effects or Sobol' indices (`crate::sensitivity`)
//! of an endpoint's power and mean estimated effect over the parameters of
//! the scenario's `[uncertainty]`, each design point a set of typical values
//! (the priors' quantiles at a point of the unit hypercube; correlations are
//! not used: the indices assume independent inputs) run for `--replicates`
//! trials on the same patient streams (common random numbers). Writes
//! `sensitivity.csv` and `.json`, and the tornado and index charts
//! (`crate::plots::sensitivity`).

use super::console::{errln, outln};
use super::execute::{method_of, worker_pool};
use super::output::{csv_bytes, ensure_dir, write_atomic, write_json};
use super::present::write_figure;
use super::run::load_points;
use super::search::endpoint_index;
use super::{CliError, CliResult};
use crate::analysis::direction::EndpointRole;
use crate::plots::sensitivity as plots;
use crate::rng::{DesignSlot, Purpose, StreamKey, TRIAL_LEVEL};
use crate::runner::{Resume, RunOptions, Silent, run_design_point};
use crate::sensitivity::morris::{self, MorrisDesign, MorrisEffects};
use crate::sensitivity::saltelli::{self, SaltelliDesign, SobolIndices};
use crate::sensitivity::table::{self, IndexTable, OutputIndices, RunInfo};
use crate::summary::DesignAcc;
use crate::trial::TrialContext;
use clap::{Args, ValueEnum};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Morris elementary effects (mu*, sigma): screening, few evaluations.
    Morris,
    /// Sobol' first-order and total indices (Saltelli design, bootstrap intervals).
    Sobol,
}

#[derive(Debug, Clone, Args)]
pub struct SensitivityArgs {
    /// Scenario file (TOML) with an [uncertainty] section.
    pub scenario: PathBuf,
    /// Endpoint analysed (default: the only endpoint).
    #[arg(long)]
    pub endpoint: Option<String>,
    #[arg(long, value_enum, default_value = "morris")]
    pub method: Method,
    /// Morris trajectories, or Sobol' base rows (each costs inputs + 1, or inputs + 2, design points).
    #[arg(long, default_value_t = 20)]
    pub samples: usize,
    /// Grid levels of the Morris design (even).
    #[arg(long, default_value_t = 4)]
    pub levels: usize,
    /// Bootstrap resamples of the Sobol' intervals.
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: usize,
    /// Simulated trials per design point.
    #[arg(long, short = 'r', default_value_t = 50)]
    pub replicates: u64,
    /// Seed (overrides run.seed).
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores).
    #[arg(long, short = 't')]
    pub threads: Option<usize>,
    /// Output folder (default: out/<scenario name>/sensitivity).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// Override any scenario value (repeatable).
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub set: Vec<String>,
    /// Print nothing while running.
    #[arg(long)]
    pub no_progress: bool,
}

/// The two outputs analysed.
const OUTPUTS: [&str; 2] = ["power", "effect"];

#[derive(Debug, serde::Serialize)]
struct PointRow {
    values: Vec<f64>,
    power: f64,
    effect: Option<f64>,
}

#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
enum Analysis {
    Morris(MorrisEffects),
    Sobol(SobolIndices),
}

#[derive(Debug, serde::Serialize)]
struct Report {
    scenario: String,
    scenario_sha256: String,
    endpoint: String,
    /// `power`: the share rejecting in favour of treatment (any rejection
    /// for a safety endpoint); `effect`: the mean estimated effect (on the
    /// log scale for ratios).
    outputs: [&'static str; 2],
    method: Method,
    parameters: Vec<serde_json::Value>,
    seed: u64,
    replicates_per_point: u64,
    samples: usize,
    levels: Option<usize>,
    bootstrap: Option<usize>,
    evaluations: usize,
    power: Option<Analysis>,
    effect: Option<Analysis>,
    /// Why an output could not be analysed (e.g. no variance).
    not_analysed: Vec<String>,
    points: Vec<PointRow>,
    wall_seconds: f64,
}

pub fn sensitivity(a: SensitivityArgs) -> CliResult {
    let started = Instant::now();
    let (loaded, _) = load_points(&a.scenario, &a.set, a.seed, Some(a.replicates), false)?;
    let s = &loaded.scenario;
    let Some(unc) = &s.uncertainty else {
        return Err(CliError::Usage(format!(
            "{}: no [uncertainty] section: sensitivity analyses the parameters given priors there (docs/scenarios.md)",
            a.scenario.display()
        )));
    };
    let names: Vec<&str> = s.endpoints.iter().map(|e| e.name.as_str()).collect();
    let ep = endpoint_index(&names, a.endpoint.as_deref())?;
    let k = unc.parameters.len();
    let seed = s.run.seed;
    let stream = |replicate: u64| {
        StreamKey {
            seed,
            design: DesignSlot::Shared,
            replicate,
            patient: TRIAL_LEVEL,
            purpose: Purpose::Sensitivity,
        }
        .rng()
    };
    let usage = |e: crate::sensitivity::SensitivityError| CliError::Usage(e.to_string());
    let (unit_points, morris_design, sobol_design) = match a.method {
        Method::Morris => {
            let d = MorrisDesign::new(k, a.samples, a.levels).map_err(usage)?;
            (d.points(&mut stream(1)), Some(d), None)
        }
        Method::Sobol => {
            let d = SaltelliDesign::new(k, a.samples).map_err(usage)?;
            (d.points(), None, Some(d))
        }
    };
    // a Morris level l / (p - 1) is the middle of the l-th of p strata of
    // equal probability (the grid's ends would be the priors' extremes); a
    // Sobol' coordinate is a probability itself
    let probability = |x: f64| match &morris_design {
        Some(d) => (x * (d.levels as f64 - 1.0) + 0.5) / d.levels as f64,
        None => x,
    };
    let values: Vec<Vec<f64>> = unit_points
        .iter()
        .map(|u| {
            unc.parameters
                .iter()
                .zip(u)
                .map(|(p, &x)| p.prior.quantile(probability(x)))
                .collect()
        })
        .collect();
    let total = values.len() as u128 * a.replicates as u128 * s.patients_per_replicate() as u128;
    if total > s.run.max_simulated_patients as u128 {
        return Err(CliError::Usage(format!(
            "{} design points x {} replicates x {} patients = {total} simulated patients exceeds run.max_simulated_patients = {} (lower --samples or --replicates, or raise it)",
            values.len(),
            a.replicates,
            s.patients_per_replicate(),
            s.run.max_simulated_patients
        )));
    }
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(&s.name).join("sensitivity"));
    ensure_dir(&out)?;
    let _lock = super::lock::lock(&out)?;
    let (pool, threads) = worker_pool(a.threads, values.len() as u64)?;
    let param_names: Vec<&str> = unc
        .parameters
        .iter()
        .map(|p| p.parameter.info().name)
        .collect();
    if !a.no_progress {
        errln!(
            "hfsim {}: sensitivity of {} on {} (sha256 {}): {:?}, {} parameters ({}), {} design points x {} trials, seed {seed}, {threads} threads",
            env!("CARGO_PKG_VERSION"),
            names[ep],
            s.name,
            &loaded.sha256[..12],
            a.method,
            k,
            param_names.join(", "),
            values.len(),
            a.replicates,
        );
    }
    let method = method_of(&loaded);
    let role = s.endpoints[ep].options.role;
    let evaluate = |v: &Vec<f64>| -> Result<PointRow, CliError> {
        let mut sc = s.clone();
        sc.uncertainty = None;
        for (p, &x) in unc.parameters.iter().zip(v) {
            sc.model.set(p.parameter, x);
        }
        // the design point is a world: a sceptical uncertainty shrinks its
        // cell effect as it shrinks every assurance world's
        unc.shrink(&mut sc.model);
        let opts = RunOptions {
            chunk: 64,
            export_replicates: 0,
            failures_allowed: (sc.run.failure_budget
                * (sc.patients_per_replicate() * a.replicates) as f64)
                .floor() as u64,
        };
        let acc0 = DesignAcc::new(&sc);
        let ctx = TrialContext::new(sc, DesignSlot::Shared, method);
        let (acc, _) = run_design_point(
            &ctx,
            0,
            0..a.replicates,
            Resume {
                acc: acc0,
                covered_from: 0,
            },
            &opts,
            &mut Silent,
            &mut Vec::new(),
        )
        .map_err(|e| CliError::Runtime(anyhow::anyhow!("parameters {v:?}: {e}")))?;
        let e = &acc.endpoints[ep];
        let rejections = match role {
            EndpointRole::Safety => e.rejections,
            EndpointRole::Efficacy => e.rejections_favourable,
        };
        Ok(PointRow {
            values: v.clone(),
            power: rejections as f64 / e.replicates.max(1) as f64,
            effect: (e.estimate_n > 0).then(|| e.estimate_sum.value() / e.estimate_n as f64),
        })
    };
    let points: Vec<PointRow> = pool.install(|| {
        values
            .par_iter()
            .map(evaluate)
            .collect::<Result<Vec<_>, _>>()
    })?;
    let mut not_analysed = Vec::new();
    let outputs: [Vec<f64>; 2] = [
        points.iter().map(|p| p.power).collect(),
        points
            .iter()
            .map(|p| p.effect.unwrap_or(f64::NAN))
            .collect(),
    ];
    let mut analyses: Vec<Option<Analysis>> = Vec::new();
    for (o, y) in OUTPUTS.iter().zip(&outputs) {
        let r = match (&morris_design, &sobol_design) {
            (Some(d), _) => morris::analyze(d, &unit_points, y).map(Analysis::Morris),
            (_, Some(d)) => {
                saltelli::analyze(d, y, a.bootstrap, &mut stream(2)).map(Analysis::Sobol)
            }
            _ => unreachable!("one design is made"),
        };
        match r {
            Ok(x) => analyses.push(Some(x)),
            Err(e) => {
                not_analysed.push(format!("{o}: {e}"));
                analyses.push(None);
            }
        }
    }
    let effect = analyses.pop().flatten();
    let power = analyses.pop().flatten();
    // tables
    let table = IndexTable {
        method: match a.method {
            Method::Morris => table::Method::Morris,
            Method::Sobol => table::Method::Sobol,
        },
        outputs: OUTPUTS
            .iter()
            .zip([&power, &effect])
            .filter_map(|(o, an)| match an {
                Some(Analysis::Morris(m)) => Some(OutputIndices::morris(o, &param_names, m)),
                Some(Analysis::Sobol(x)) => Some(OutputIndices::sobol(o, &param_names, x)),
                None => None,
            })
            .collect(),
    };
    let csv = csv_bytes(&table::CSV_HEADER, table.csv_rows().into_iter())?;
    write_atomic(&out.join("sensitivity.csv"), &csv)?;
    let report = Report {
        scenario: s.name.clone(),
        scenario_sha256: loaded.sha256.clone(),
        endpoint: names[ep].to_string(),
        outputs: OUTPUTS,
        method: a.method,
        parameters: unc
            .parameters
            .iter()
            .map(|p| serde_json::json!({"name": p.parameter.info().name, "prior": p.prior}))
            .collect(),
        seed,
        replicates_per_point: a.replicates,
        samples: a.samples,
        levels: morris_design.map(|d| d.levels),
        bootstrap: sobol_design.map(|_| a.bootstrap),
        evaluations: points.len(),
        power,
        effect,
        not_analysed,
        points,
        wall_seconds: started.elapsed().as_secs_f64(),
    };
    write_json(&out.join("sensitivity.json"), &report)?;
    let mut files = vec!["sensitivity.json", "sensitivity.csv"];
    let info = RunInfo {
        scenario: report.scenario.clone(),
        endpoint: report.endpoint.clone(),
        method: table.method,
        samples: report.samples,
        replicates: report.replicates_per_point,
        evaluations: report.evaluations,
        seed,
        levels: report.levels,
        bootstrap: report.bootstrap,
        not_analysed: report.not_analysed.clone(),
    };
    for (name, written, fig) in [
        ("tornado", "tornado.svg/.png", plots::tornado(&table, &info)),
        (
            "indices",
            "indices.svg/.png",
            plots::index_bars(&table, &info),
        ),
    ] {
        let drawn = match fig {
            Ok(fig) => write_figure(&out, name, &fig, true)?.is_some(),
            Err(e) => {
                errln!("warning: {name}.svg not drawn: {e}");
                false
            }
        };
        if drawn {
            files.push(written);
        } else {
            remove_stale(&out, name)?;
        }
    }
    // console
    outln!(
        "sensitivity of {} ({:?}; {} design points x {} trials): power = share rejecting in favour of treatment, effect = mean estimate",
        names[ep],
        a.method,
        report.evaluations,
        a.replicates
    );
    for (o, an) in OUTPUTS.iter().zip([&report.power, &report.effect]) {
        match an {
            Some(Analysis::Morris(m)) => {
                let mut order: Vec<usize> = (0..k).collect();
                order.sort_by(|&x, &y| m.mu_star[y].total_cmp(&m.mu_star[x]));
                for i in order {
                    outln!(
                        "  {o:<6} {:<36} mu* {:>10.4}  sigma {:>10.4}  mu {:>10.4}",
                        param_names[i],
                        m.mu_star[i],
                        m.sigma[i],
                        m.mu[i]
                    );
                }
            }
            Some(Analysis::Sobol(x)) => {
                let mut order: Vec<usize> = (0..k).collect();
                order.sort_by(|&p, &q| x.total[q].value.total_cmp(&x.total[p].value));
                for i in order {
                    let (f, t) = (x.first_order[i], x.total[i]);
                    outln!(
                        "  {o:<6} {:<36} first order {:>7.3} [{:.3}, {:.3}]  total {:>7.3} [{:.3}, {:.3}]",
                        param_names[i],
                        f.value,
                        f.ci_low,
                        f.ci_high,
                        t.value,
                        t.ci_low,
                        t.ci_high
                    );
                }
            }
            None => {}
        }
    }
    for n in &report.not_analysed {
        outln!("  not analysed: {n}");
    }
    errln!(
        "wrote {} ({}) in {:.1} s",
        out.display(),
        files.join(", "),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A chart not drawn this time leaves no earlier one behind.
fn remove_stale(out: &Path, name: &str) -> Result<(), CliError> {
    for ext in ["svg", "png"] {
        let p = out.join(format!("{name}.{ext}"));
        match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(CliError::Runtime(anyhow::anyhow!(
                    "cannot remove the earlier {}: {e}",
                    p.display()
                )));
            }
            _ => {}
        }
    }
    Ok(())
}
