//! The command line (the only module that does I/O).
//!
//! Exit codes: 0 success (also when standard output is closed early, as in
//! `hfsim model | head`); 1 failure at run time (a file cannot be written,
//! the failure budget was exceeded, a calibration target missed, the output
//! folder is in use); 2 usage or scenario error (nothing was simulated); 130
//! interrupted by Ctrl-C or SIGTERM (the finished work is kept; rerun with
//! `--resume`).

pub mod boundaries;
pub mod calibrate;
pub mod checkpoint;
pub mod console;
pub mod execute;
pub mod folder;
pub mod lock;
pub mod merge;
pub mod output;
pub mod patient;
pub mod posterior;
pub mod power;
pub mod present;
pub mod progress;
pub mod replay;
pub mod results;
pub mod run;
pub mod search;
pub mod sensitivity;
pub mod sequential;
pub mod sweep;
pub mod table;

use crate::scenario::ScenarioErrors;
use clap::{Parser, Subcommand};
use console::{errln, outln};
use std::path::PathBuf;

/// Error of a command, mapped to an exit code.
#[derive(Debug)]
pub enum CliError {
    /// Bad arguments or scenario: exit 2.
    Usage(String),
    Scenario(Vec<ScenarioErrors>),
    /// Failure at run time: exit 1.
    Runtime(anyhow::Error),
    /// Stopped by Ctrl-C after saving: exit 130.
    Interrupted(String),
    /// A check that ran and failed (e.g. calibration): exit 1, message printed.
    CheckFailed(String),
    /// Standard output was closed by its reader (`hfsim model | head`): exit
    /// 0, nothing printed.
    OutputClosed,
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        CliError::Runtime(e)
    }
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) | CliError::Scenario(_) => 2,
            CliError::Runtime(_) | CliError::CheckFailed(_) => 1,
            CliError::Interrupted(_) => 130,
            CliError::OutputClosed => 0,
        }
    }

    pub fn report(&self) {
        match self {
            CliError::Usage(m) => errln!("error: {m}"),
            CliError::Scenario(list) => {
                for e in list {
                    errln!("{}", e.to_string().trim_end());
                }
            }
            CliError::Runtime(e) => errln!("error: {e:#}"),
            CliError::Interrupted(m) => errln!("{m}"),
            CliError::CheckFailed(m) => errln!("{m}"),
            CliError::OutputClosed => {}
        }
    }
}

pub type CliResult = Result<(), CliError>;

#[derive(Debug, Parser)]
#[command(
    name = "hfsim",
    version,
    about = "In-silico clinical trials of cell therapy in heart failure with reduced ejection fraction",
    long_about = "hfsim simulates randomized trials of mesenchymal stem cell therapy in HFrEF: virtual cohorts, a mechanistic \
patient model (cell kinetics, paracrine signal, coagulation, GDMT, remodelling, events), trial conduct and the analysis a \
statistician would run, repeated thousands of times to estimate power.\n\nExit codes: 0 ok, 1 run-time failure, 2 usage or \
scenario error, 130 interrupted (resume with --resume).",
    after_help = "Start with: hfsim run scenarios/prime_hfref.toml"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario's trial many times and estimate power per endpoint.
    Run(run::RunArgs),
    /// Run every design point of a scenario's [sweep]; writes results.csv with a row per design point and endpoint, and power curves, besides what `run` writes.
    Sweep(sweep::SweepArgs),
    /// Find the smallest value of a numeric key (e.g. trial.n_per_arm) whose power on an endpoint reaches a target.
    Search(search::SearchArgs),
    /// Which parameter of the scenario's [uncertainty] decides an endpoint's power: Morris elementary effects or Sobol' indices; writes sensitivity.json and sensitivity.csv.
    Sensitivity(sensitivity::SensitivityArgs),
    /// Check scenario files and print every problem, then audit the plausibility of a few simulated replicates.
    Validate {
        /// Scenario files (TOML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Override a scenario value (repeatable), as in `run`.
        #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
        set: Vec<String>,
        /// Replicates per design point of the plausibility audit (at most run.replicates and about 20000 simulated patients per file; 0: no audit, nothing is simulated).
        #[arg(long, value_name = "N", default_value_t = 20)]
        audit_replicates: u64,
    },
    /// List the model parameters with units, defaults, variability and sources.
    Model {
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: ModelFormat,
    },
    /// Write one virtual patient's trajectories (every state and observable) as CSV.
    SimulatePatient(patient::SimulatePatientArgs),
    /// Classical (analytic) power or sample size from summary statistics, like pwr or G*Power.
    Power(power::PowerArgs),
    /// Group-sequential boundaries: critical values, alpha spent, futility bounds, inflation factor (as rpact).
    Boundaries(boundaries::BoundariesArgs),
    /// Combine the output folders of `run --shard I/N` into one summary.
    Merge(merge::MergeArgs),
    /// Compare a scenario with PRIME-HFrEF (check) or re-derive its free parameters (fit).
    Calibrate(calibrate::CalibrateArgs),
    /// Re-simulate one patient of one replicate exactly, with diagnostics (e.g. a failed patient).
    Replay(replay::ReplayArgs),
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ModelFormat {
    Table,
    Csv,
    Markdown,
}

/// Parse arguments, run, and return the exit code.
pub fn main_entry() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            if let Some(tip) = argument_tip(&e) {
                errln!("\n  tip: a similar argument exists: '--{tip}'");
            }
            return code;
        }
    };
    match dispatch(cli).and_then(|()| console::flush_out()) {
        Ok(()) => 0,
        Err(e) => {
            e.report();
            e.exit_code()
        }
    }
}

/// For an unknown `--option` that clap found nothing similar to, the
/// option of the same command whose name contains it or is closest
/// (`hfsim power means --power` suggests `--target-power`).
fn argument_tip(e: &clap::Error) -> Option<String> {
    use clap::CommandFactory;
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::UnknownArgument || e.get(ContextKind::SuggestedArg).is_some() {
        return None;
    }
    let Some(ContextValue::String(given)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let word = given.strip_prefix("--")?.split('=').next()?;
    // the subcommand the arguments name
    let mut cmd = Cli::command();
    for a in std::env::args().skip(1) {
        match cmd.find_subcommand(&a) {
            Some(sub) => cmd = sub.clone(),
            None if a.starts_with('-') => break,
            None => {}
        }
    }
    let longs: Vec<String> = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter_map(|a| a.get_long().map(String::from))
        .collect();
    crate::scenario::error::suggest(word, longs.iter().map(|s| s.as_str())).map(String::from)
}

fn dispatch(cli: Cli) -> CliResult {
    match cli.command {
        Command::Run(a) => run::run(a),
        Command::Sweep(a) => sweep::sweep(a),
        Command::Search(a) => search::search_cmd(a),
        Command::Sensitivity(a) => sensitivity::sensitivity(a),
        Command::Validate {
            files,
            set,
            audit_replicates,
        } => validate(&files, &set, audit_replicates),
        Command::Model { format } => model_table(format),
        Command::SimulatePatient(a) => patient::simulate_patient(a),
        Command::Power(a) => power::power(a),
        Command::Boundaries(a) => boundaries::boundaries(a),
        Command::Merge(a) => merge::merge(a),
        Command::Calibrate(a) => calibrate::calibrate(a),
        Command::Replay(a) => replay::replay(a),
    }
}

/// Parse `--set` arguments.
pub fn parse_overrides(set: &[String]) -> Result<Vec<crate::scenario::Override>, CliError> {
    set.iter()
        .map(|s| {
            crate::scenario::Override::parse(s).map_err(|e| CliError::Usage(format!("--set {e}")))
        })
        .collect()
}

/// Simulated patients per file the audit of `hfsim validate` stays within
/// (at least one replicate of the first design point is audited).
const AUDIT_PATIENTS: u64 = 20_000;

/// What `hfsim validate` audits of a scenario: `(design points,
/// replicates)` within [`AUDIT_PATIENTS`], or `None` for no audit.
fn audit_size(points: usize, per_replicate: u64, replicates: u64) -> Option<(usize, u64)> {
    if replicates == 0 || points == 0 {
        return None;
    }
    let per_rep = per_replicate.max(1);
    let all = (points as u64).saturating_mul(per_rep);
    let r = replicates.min((AUDIT_PATIENTS / all).max(1));
    let p = if all.saturating_mul(r) > AUDIT_PATIENTS {
        ((AUDIT_PATIENTS / per_rep) as usize).clamp(1, points)
    } else {
        points
    };
    Some((p, r))
}

/// The plausibility audit of `hfsim validate`: its warnings and a line saying
/// what was audited.
fn validate_audit(
    points: &[(crate::scenario::DesignPoint, crate::scenario::Loaded)],
    audit_replicates: u64,
) -> (Vec<crate::scenario::Warning>, Option<String>) {
    let Some((_, first)) = points.first() else {
        return (Vec::new(), None);
    };
    let s = &first.scenario;
    let Some((n_points, replicates)) = audit_size(
        points.len(),
        s.patients_per_replicate(),
        audit_replicates.min(s.run.replicates),
    ) else {
        return (Vec::new(), None);
    };
    let audited = &points[..n_points];
    let scenarios: Vec<&crate::scenario::Scenario> =
        audited.iter().map(|(_, l)| &l.scenario).collect();
    let which = if points.len() == 1 {
        String::new()
    } else if n_points == points.len() {
        format!(" of each of the {} design points", points.len())
    } else {
        format!(" of the first {n_points} of {} design points", points.len())
    };
    match crate::plausibility::audit(&scenarios, replicates) {
        Ok(audits) => {
            let checked: u64 = audits
                .iter()
                .flat_map(|a| a.iter().map(|t| t.visits_checked))
                .sum();
            let outside: u64 = audits
                .iter()
                .flat_map(|a| a.iter().map(|t| t.visits_outside))
                .sum();
            let worst = audits
                .iter()
                .map(crate::plausibility::fraction_outside)
                .fold(0.0, f64::max);
            let line = format!(
                "  plausibility audit: {replicates} replicate{}{which}, {outside} of {checked} patient-visits outside the physiological ranges ({:.2}% at worst in a design point; warned above {}%)",
                if replicates == 1 { "" } else { "s" },
                100.0 * worst,
                100.0 * crate::plausibility::WARN_FRACTION
            );
            (
                results::plausibility_warnings(&first.source.file, audited, &audits),
                Some(line),
            )
        }
        Err(e) => {
            let mut w = crate::scenario::Warning::new(
                crate::scenario::WarningKind::Plausibility,
                "model",
                format!(
                    "the plausibility audit ({replicates} replicates{which}) could not run: {e}"
                ),
            );
            w.file = first.source.file.clone();
            (vec![w], None)
        }
    }
}

fn validate(files: &[PathBuf], set: &[String], audit_replicates: u64) -> CliResult {
    let overrides = parse_overrides(set)?;
    let mut errors = Vec::new();
    for f in files {
        match crate::scenario::load_file(f, &overrides)
            .and_then(|l| crate::scenario::design_points(&l).map(|p| (l, p)))
        {
            Ok((l, points)) => {
                let extra = if points.len() > 1 {
                    format!(", {} design points", points.len())
                } else {
                    String::new()
                };
                let mut warnings = crate::scenario::run_warnings(&l, &points);
                let (audit_warnings, audit_line) = validate_audit(&points, audit_replicates);
                warnings.extend(audit_warnings);
                for w in &warnings {
                    errln!("{w}");
                }
                outln!(
                    "{}: ok ({} endpoints, {} patients per replicate, {} replicates{extra}; sha256 {}){}",
                    f.display(),
                    l.scenario.endpoints.len(),
                    l.scenario.patients_per_replicate(),
                    l.scenario.run.replicates,
                    &l.sha256[..12],
                    match warnings.len() {
                        0 => String::new(),
                        1 => ", 1 warning".into(),
                        n => format!(", {n} warnings"),
                    }
                );
                if let Some(line) = audit_line {
                    outln!("{line}");
                }
                // the design points (run one with `run --point K`)
                if points.len() > 1 && points.len() <= 50 {
                    for (p, _) in &points {
                        outln!("  design point {}: {}", p.index, p.label());
                    }
                }
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CliError::Scenario(errors))
    }
}

fn model_table(format: ModelFormat) -> CliResult {
    use crate::model::params::{Bpv, PARAMS};
    let bpv = |b: &Bpv| match b {
        Bpv::None => "-".to_string(),
        Bpv::LogNormal { omega } => format!("lognormal {omega}"),
        Bpv::LogitNormal { omega } => format!("logit-normal {omega}"),
        Bpv::BoundedLogitNormal {
            omega,
            lower,
            upper,
        } => format!("logit-normal {omega} on ({lower}, {upper})"),
    };
    let prior = |name: &str| -> String {
        use crate::uncertainty::prior::Distribution::*;
        let Some(p) = crate::model::params::P::from_name(name) else {
            return String::new();
        };
        let Some(row) = crate::model::priors::row_of(p) else {
            return String::new();
        };
        let mut text = match row.distribution {
            Normal { mean, sd } => format!("normal(mean {mean}, sd {sd})"),
            LogNormal { median, sd_log } => {
                format!("log-normal(median {median}, sd of log {sd_log})")
            }
            LogitNormal { median, sd_logit } => {
                format!("logit-normal(median {median}, sd of logit {sd_logit})")
            }
            Uniform { low, high } => format!("uniform({low}, {high})"),
            Point { value } => format!("point({value})"),
            Bernoulli { p } => format!("bernoulli(p {p})"),
            Empirical { quantiles } => format!(
                "empirical(median {}, range {} to {})",
                quantiles[quantiles.len() / 2],
                quantiles[0],
                quantiles[quantiles.len() - 1]
            ),
        };
        if row.lower.is_some() || row.upper.is_some() {
            text.push_str(&format!(
                " on [{}, {}]",
                row.lower.map_or("-inf".into(), |v| v.to_string()),
                row.upper.map_or("inf".into(), |v| v.to_string())
            ));
        }
        if let Some(d) = crate::model::priors::prior_of(p) {
            let (lo, hi) = crate::model::priors::interval(&d, 0.9);
            text.push_str(&format!(", 90% [{lo:.4}, {hi:.4}]"));
        }
        text
    };
    match format {
        ModelFormat::Csv => {
            outln!("name,unit,default,variability,min,max,mechanism,source,description,prior");
            for p in PARAMS {
                let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
                outln!(
                    "{},{},{},{},{},{},{},{},{},{}",
                    p.name,
                    q(p.unit),
                    p.default,
                    q(&bpv(&p.bpv)),
                    p.min,
                    p.max,
                    p.mechanism.title().to_lowercase().replace(' ', "_"),
                    q(p.source),
                    q(p.description),
                    q(&prior(p.name))
                );
            }
        }
        ModelFormat::Markdown => {
            let mut last = None;
            for p in PARAMS {
                if last != Some(p.mechanism) {
                    outln!(
                        "\n### {}\n\n| name | unit | default | variability | description | source |\n|---|---|---|---|---|---|",
                        p.mechanism.title()
                    );
                    last = Some(p.mechanism);
                }
                outln!(
                    "| `{}` | {} | {} | {} | {} | {} |",
                    p.name,
                    p.unit,
                    p.default,
                    bpv(&p.bpv),
                    p.description,
                    p.source
                );
            }
            outln!(
                "\n### Priors (`src/model/priors.rs`)\n\nThe typical values the evidence does not pin down: every parameter `hfsim calibrate fit` frees and those that set the answer to regimen questions. The fit is maximum a posteriori under these priors, from their medians.\n\n| name | unit | prior | source |\n|---|---|---|---|"
            );
            for row in crate::model::priors::PRIORS {
                let info = row.param.info();
                // no backticks: tools read the parameter table above by
                // its `name` rows (tests/model_reference/reference_model.py)
                outln!(
                    "| {} | {} | {} | {} |",
                    info.name,
                    info.unit,
                    prior(info.name),
                    row.source
                );
            }
        }
        ModelFormat::Table => {
            let mut last = None;
            for p in PARAMS {
                if last != Some(p.mechanism) {
                    outln!("\n{}", p.mechanism.title());
                    last = Some(p.mechanism);
                }
                outln!(
                    "  {:<42} {:>10} {:<26} {:<18} {}",
                    p.name,
                    p.default,
                    p.unit,
                    bpv(&p.bpv),
                    p.description
                );
                outln!("  {:<42} source: {}", "", p.source);
                let pr = prior(p.name);
                if !pr.is_empty() {
                    outln!("  {:<42} prior: {pr}", "");
                }
            }
        }
    }
    Ok(())
}
