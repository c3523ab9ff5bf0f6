//! `hfsim search`: the smallest (or, if power falls with it, largest) value
//! of a numeric scenario key whose power on one endpoint reaches a target.

use super::console::{errln, outln};
use super::execute::method_of;
use super::output::{csv_bytes, ensure_dir, fmt_opt, write_atomic, write_json};
use super::run::load_points;
use super::{CliError, CliResult};
use crate::rng::DesignSlot;
use crate::runner::{Resume, RunOptions, Silent, run_design_point};
use crate::scenario::Loaded;
use crate::search::{
    Direction, Grid, SearchError, SearchOptions, SearchResult, SearchStatus, search,
};
use crate::summary::DesignAcc;
use crate::trial::TrialContext;
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;
use toml_edit::Value;

/// What `search` (and `sweep`'s curves) aim at: the power at the central
/// parameter values, or the assurance over the worlds of `[uncertainty]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Criterion {
    #[default]
    Power,
    Assurance,
}

impl Criterion {
    pub fn word(&self) -> &'static str {
        match self {
            Criterion::Power => "power",
            Criterion::Assurance => "assurance",
        }
    }

    /// Refuse assurance on a scenario without `[uncertainty]`.
    pub fn check(&self, s: &crate::scenario::Scenario, file: &std::path::Path) -> CliResult {
        if *self == Criterion::Assurance && s.uncertainty.is_none() {
            return Err(CliError::Usage(format!(
                "--criterion assurance: {} has no [uncertainty] section, so there are no worlds to average over; add priors for the uncertain model parameters (docs/scenarios.md, [uncertainty]) or use --criterion power",
                file.display()
            )));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Args)]
pub struct SearchArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Endpoint whose power is targeted (default: the only endpoint).
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Power (or, with --criterion assurance, assurance) to reach.
    #[arg(long, default_value_t = 0.8)]
    pub target_power: f64,
    /// Search on the power at the central values, or on the assurance over
    /// the worlds of [uncertainty] (its MCSE then drives the bracketing).
    #[arg(long, value_enum, default_value_t = Criterion::Power)]
    pub criterion: Criterion,
    /// Numeric scenario key to search over (power must change monotonically with it).
    #[arg(long, default_value = "trial.n_per_arm", value_name = "KEY.PATH")]
    pub over: String,
    /// Smallest value searched (default: a quarter of the scenario's value, at least 1 for integers).
    #[arg(long)]
    pub min: Option<f64>,
    /// Largest value searched (default: five times the scenario's value).
    #[arg(long)]
    pub max: Option<f64>,
    /// Grid spacing (default: 1 for integer keys, 1/100 of the range otherwise).
    #[arg(long)]
    pub step: Option<f64>,
    /// Evenly spaced values evaluated before bisecting (the power curve's skeleton).
    #[arg(long, default_value_t = 6)]
    pub coarse: u64,
    /// Simulated trials per evaluated value (overrides run.replicates).
    #[arg(long, short = 'r')]
    pub replicates: Option<u64>,
    /// Seed (overrides run.seed).
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores).
    #[arg(long, short = 't')]
    pub threads: Option<usize>,
    /// Output folder (default: out/<scenario name>/search).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// Print nothing while searching.
    #[arg(long)]
    pub no_progress: bool,
    /// Override any scenario value (repeatable).
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub set: Vec<String>,
    /// Do not write search.svg and search.png.
    #[arg(long)]
    pub no_plots: bool,
    /// Search even if an evaluation exceeds run.max_simulated_patients.
    #[arg(long)]
    pub force: bool,
}

/// The value of a key in the scenario document, if set there.
fn get_value<'a>(doc: &'a toml_edit::DocumentMut, path: &str) -> Option<&'a Value> {
    use crate::scenario::source::Step;
    enum Cur<'a> {
        Item(&'a toml_edit::Item),
        Table(&'a toml_edit::Table),
    }
    let steps = crate::scenario::source::parse_path(path).ok()?;
    let mut cur = Cur::Item(doc.as_item());
    for s in &steps {
        cur = match (s, cur) {
            (Step::Key(k), Cur::Item(i)) => Cur::Item(i.as_table_like()?.get(k)?),
            (Step::Key(k), Cur::Table(t)) => Cur::Item(t.get(k)?),
            (Step::Index(n), Cur::Item(i)) => match i.as_array_of_tables() {
                Some(a) => Cur::Table(a.get(*n)?),
                None => return i.as_array()?.get(*n),
            },
            (Step::Index(_), Cur::Table(_)) => return None,
        };
    }
    match cur {
        Cur::Item(i) => i.as_value(),
        Cur::Table(_) => None,
    }
}

/// The endpoint named by `--endpoint` (the only one if not given).
pub fn endpoint_index(names: &[&str], wanted: Option<&str>) -> Result<usize, CliError> {
    match wanted {
        Some(n) => names.iter().position(|x| *x == n).ok_or_else(|| {
            CliError::Usage(format!(
                "--endpoint {n}: no such endpoint; endpoints: {}",
                names.join(", ")
            ))
        }),
        None if names.len() == 1 => Ok(0),
        None => Err(CliError::Usage(format!(
            "--endpoint is needed (the scenario has {} endpoints: {})",
            names.len(),
            names.join(", ")
        ))),
    }
}

struct Point {
    acc: DesignAcc,
    seconds: f64,
}

fn usage(e: SearchError) -> CliError {
    CliError::Usage(e.to_string())
}

impl From<SearchError> for CliError {
    fn from(e: SearchError) -> Self {
        usage(e)
    }
}

pub fn search_cmd(a: SearchArgs) -> CliResult {
    let started = Instant::now();
    let (loaded, _) = load_points(&a.scenario, &a.set, a.seed, a.replicates, true)?;
    let s = &loaded.scenario;
    a.criterion.check(s, &a.scenario)?;
    let crit = a.criterion.word();
    if loaded.spec.sweep.is_some() {
        errln!(
            "note: the scenario's [sweep] is ignored: search varies {} on the base design",
            a.over
        );
    }
    // the endpoint
    let names: Vec<&str> = s.endpoints.iter().map(|e| e.name.as_str()).collect();
    let ep = endpoint_index(&names, a.endpoint.as_deref())?;
    // the key and its grid
    let current = get_value(&loaded.source.doc, &a.over);
    let (integer, value) = match current {
        Some(Value::Integer(i)) => (true, Some(*i.value() as f64)),
        Some(Value::Float(f)) => (false, Some(*f.value())),
        Some(other) => {
            return Err(CliError::Usage(format!(
                "--over {}: not a numeric key (its value is {})",
                a.over,
                other.to_string().trim()
            )));
        }
        None => {
            if a.min.is_none() || a.max.is_none() {
                return Err(CliError::Usage(format!(
                    "--over {}: the scenario does not set this key; give --min and --max",
                    a.over
                )));
            }
            let whole = |x: Option<f64>| x.is_none_or(|v| v.fract() == 0.0);
            (whole(a.min) && whole(a.max) && whole(a.step), None)
        }
    };
    let (min, max) = match (a.min, a.max, value) {
        (Some(lo), Some(hi), _) => (lo, hi),
        (lo, hi, Some(v)) if v > 0.0 => {
            let lo = lo.unwrap_or(if integer {
                (v / 4.0).round().max(1.0)
            } else {
                v / 4.0
            });
            (lo, hi.unwrap_or(v * 5.0))
        }
        _ => {
            return Err(CliError::Usage(format!(
                "--over {}: give --min and --max (the scenario's value is not positive)",
                a.over
            )));
        }
    };
    let step = a.step.unwrap_or(if integer {
        1.0
    } else {
        crate::summary::nice_step((max - min) / 100.0)
    });
    let grid = Grid::new(min, max, step, integer)?;
    if !(a.target_power > 0.0 && a.target_power < 1.0) {
        return Err(SearchError::BadTarget(a.target_power).into());
    }
    let to_value = |v: f64| {
        if integer {
            Value::from(v as i64)
        } else {
            Value::from(v)
        }
    };
    let at = |v: f64| -> Result<Loaded, CliError> {
        let mut src = loaded.source.clone();
        crate::scenario::source::set_path(&mut src.doc, &a.over, to_value(v))
            .map_err(|e| CliError::Usage(format!("--over {}: {e}", a.over)))?;
        src.design_label = Some(format!("{}={}", a.over, crate::plots::format_tick(v)));
        let l = crate::scenario::check(src).map_err(|e| CliError::Scenario(vec![e]))?;
        let n = l.scenario.patients_per_replicate() as u128 * l.scenario.run.replicates as u128;
        if !a.force && n > l.scenario.run.max_simulated_patients as u128 {
            return Err(CliError::Usage(format!(
                "{}={}: {n} simulated patients per evaluation exceeds run.max_simulated_patients = {}; lower --max or --replicates, or pass --force",
                a.over,
                crate::plots::format_tick(v),
                l.scenario.run.max_simulated_patients
            )));
        }
        Ok(l)
    };
    // every value is checked before anything is simulated (small grids)
    if grid.count <= 1000 {
        for k in 0..grid.count {
            at(grid.value(k))?;
        }
    } else {
        at(grid.value(0))?;
        at(grid.value(grid.last()))?;
    }
    let replicates = s.run.replicates;
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(&s.name).join("search"));
    ensure_dir(&out)?;
    let _lock = super::lock::lock(&out)?;
    let (pool, threads) = super::execute::worker_pool(a.threads, replicates)?;
    errln!(
        "hfsim {}: search on {} (sha256 {}), endpoint {}, target {crit} {}, {} over [{}, {}] step {} ({} values), {} simulated trials per value, seed {}, {} threads",
        env!("CARGO_PKG_VERSION"),
        s.name,
        &loaded.sha256[..12],
        names[ep],
        a.target_power,
        a.over,
        crate::plots::format_tick(min),
        crate::plots::format_tick(grid.value(grid.last())),
        crate::plots::format_tick(step),
        grid.count,
        replicates,
        s.run.seed,
        threads
    );
    let mut points: BTreeMap<u64, Point> = BTreeMap::new();
    let mut n_eval = 0u64;
    let mut evaluate = |v: f64| -> Result<(u64, u64), CliError> {
        let t0 = Instant::now();
        let l = at(v)?;
        let slot = if l.scenario.run.common_random_numbers {
            DesignSlot::Shared
        } else {
            DesignSlot::Independent(n_eval)
        };
        n_eval += 1;
        let per_rep = l.scenario.patients_per_replicate();
        let opts = RunOptions {
            chunk: 64,
            export_replicates: 0,
            failures_allowed: (l.scenario.run.failure_budget
                * (per_rep * l.scenario.run.replicates) as f64)
                .floor() as u64,
        };
        let ctx = TrialContext::new(l.scenario.clone(), slot, method_of(&l));
        let (acc, _) = pool
            .install(|| {
                run_design_point(
                    &ctx,
                    0,
                    0..l.scenario.run.replicates,
                    Resume {
                        acc: DesignAcc::new(&l.scenario),
                        covered_from: 0,
                    },
                    &opts,
                    &mut Silent,
                    &mut Vec::new(),
                )
            })
            .map_err(|e| {
                CliError::Runtime(anyhow::anyhow!(
                    "{}={}: {e}",
                    a.over,
                    crate::plots::format_tick(v)
                ))
            })?;
        // efficacy: the power to reject in favour of treatment; with
        // assurance, the same counted over the replicates' worlds
        let safety = l.scenario.endpoints[ep].options.role
            == crate::analysis::direction::EndpointRole::Safety;
        let (rej, n) = match a.criterion {
            Criterion::Power => {
                let e = &acc.endpoints[ep];
                (
                    if safety {
                        e.rejections
                    } else {
                        e.rejections_favourable
                    },
                    e.replicates,
                )
            }
            Criterion::Assurance => {
                let w = acc
                    .assurance
                    .as_ref()
                    .and_then(|w| w.get(ep))
                    .ok_or_else(|| {
                        CliError::Usage(format!(
                            "{}={}: no [uncertainty] at this value",
                            a.over,
                            crate::plots::format_tick(v)
                        ))
                    })?;
                (
                    if safety {
                        w.rejections
                    } else {
                        w.rejections_favourable
                    },
                    w.replicates,
                )
            }
        };
        let seconds = t0.elapsed().as_secs_f64();
        if !a.no_progress {
            let p = crate::summary::PowerEstimate::from_counts(rej, n);
            errln!(
                "  {} = {:<10} {crit} {:.3} [{:.3}, {:.3}]  ({:.1} s)",
                a.over,
                crate::plots::format_tick(v),
                p.power,
                p.power_ci_low,
                p.power_ci_high,
                seconds
            );
        }
        points.insert(v.to_bits(), Point { acc, seconds });
        Ok((rej, n))
    };
    let result = search(
        grid,
        SearchOptions {
            target_power: a.target_power,
            coarse_points: a.coarse,
        },
        &mut evaluate,
    )?;

    // outputs
    // the criterion's columns are named by it (power or assurance)
    let named = |k: &str| k.replacen("power", crit, 1);
    let header: Vec<String> = [
        "value",
        "power",
        "power_mcse",
        "power_ci_low",
        "power_ci_high",
        "rejections",
        "replicates",
        "n_not_analysable",
        "effect_mean",
        "effect_sd",
        "order",
        "seconds",
    ]
    .iter()
    .map(|k| named(k))
    .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows = result.evaluations.iter().map(|e| {
        let p = &points[&e.value.to_bits()];
        let acc = &p.acc.endpoints[ep];
        let summary = crate::summary::summarize(s, &p.acc, serde_json::Map::new());
        let es = &summary.endpoints[ep];
        vec![
            crate::plots::format_tick(e.value),
            e.power.to_string(),
            e.power_mcse().to_string(),
            e.power_ci_low.to_string(),
            e.power_ci_high.to_string(),
            e.rejections.to_string(),
            e.replicates.to_string(),
            acc.not_analysable.values().sum::<u64>().to_string(),
            fmt_opt(es.effect_mean),
            fmt_opt(es.effect_sd),
            e.order.to_string(),
            format!("{:.3}", p.seconds),
        ]
    });
    write_atomic(&out.join("search.csv"), &csv_bytes(&header, rows)?)?;
    let json = serde_json::json!({
        "hfsim_version": env!("CARGO_PKG_VERSION"),
        "git_commit": option_env!("HFSIM_GIT_COMMIT").filter(|c| !c.is_empty()),
        "command": std::env::args().collect::<Vec<_>>(),
        "scenario": s.name,
        "scenario_file": a.scenario.display().to_string(),
        "scenario_sha256": loaded.sha256,
        "seed": s.run.seed,
        "replicates_per_value": replicates,
        "common_random_numbers": s.run.common_random_numbers,
        "endpoint": names[ep],
        "criterion": crit,
        "key": a.over,
        "grid": grid,
        "result": result,
        "wall_time_s": started.elapsed().as_secs_f64(),
    });
    write_json(&out.join("search.json"), &json)?;
    write_atomic(
        &out.join("scenario.resolved.toml"),
        loaded.resolved.as_bytes(),
    )?;
    let mut files = vec!["search.csv", "search.json", "scenario.resolved.toml"];
    if !a.no_plots
        && let Some(fig) =
            crate::plots::figures::search_curve(&result, &a.over, names[ep], &s.name, crit)
        && super::present::write_figure(&out, "search", &fig, true)?.is_some()
    {
        files.push("search.svg/.png");
    }
    print_result(&result, &a.over, names[ep], crit)?;
    errln!(
        "wrote {} ({}) in {:.1} s; {} values evaluated",
        out.display(),
        files.join(", "),
        started.elapsed().as_secs_f64(),
        result.evaluations.len()
    );
    Ok(())
}

fn print_result(r: &SearchResult, key: &str, endpoint: &str, crit: &str) -> CliResult {
    let f = crate::plots::format_tick;
    outln!(
        "{:>12} {:>9} {:>17} {:>7} {:>10}",
        key.rsplit('.').next().unwrap_or(key),
        crit,
        "95% CI",
        "MCSE",
        "trials"
    );
    for e in &r.evaluations {
        let mark = if Some(e.value) == r.answer {
            "  <- answer"
        } else {
            ""
        };
        outln!(
            "{:>12} {:>9.3} {:>17} {:>7.4} {:>10}{mark}",
            f(e.value),
            e.power,
            format!("[{:.3}, {:.3}]", e.power_ci_low, e.power_ci_high),
            e.power_mcse(),
            e.replicates
        );
    }
    let which = if r.direction == Direction::Increasing {
        "smallest"
    } else {
        "largest"
    };
    let trend = if r.direction == Direction::Increasing {
        "increases"
    } else {
        "decreases"
    };
    outln!("\n{crit} of {endpoint} {trend} with {key}");
    match (r.status, r.answer) {
        (SearchStatus::NotReached, _) | (_, None) => {
            let best = r.evaluations.iter().map(|e| e.power).fold(0.0, f64::max);
            outln!(
                "target {crit} {} is NOT reached in the range searched (highest estimated {crit} {best:.3}); widen --min/--max",
                r.target_power
            );
        }
        (status, Some(a)) => {
            let e = r.at(a).expect("the answer was evaluated");
            outln!(
                "{which} {key} reaching {crit} {}: {} ({crit} {:.3}, 95% CI [{:.3}, {:.3}]){}",
                r.target_power,
                f(a),
                e.power,
                e.power_ci_low,
                e.power_ci_high,
                if status == SearchStatus::ReachedAtBound {
                    "; already at the end of the range searched: widen it to see where it falls below the target"
                } else {
                    ""
                }
            );
            if let Some(u) = r.uncertainty(&|x| f(x)) {
                outln!("{}", u.replace(" power ", &format!(" {crit} ")));
            }
        }
    }
    Ok(())
}
