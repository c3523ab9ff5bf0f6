//! `hfsim merge`: combine shard folders into the summary a single run writes.

use super::checkpoint::{DesignState, RunState, STATE_FILE};
use super::output::{ensure_dir, write_json};
use super::results::{build_summary, write_outputs};
use super::{CliError, CliResult};
use crate::summary::DesignAcc;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// Output folders of the shards (each holds state.json and scenario.resolved.toml).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Folder for the merged outputs.
    #[arg(long, short = 'o')]
    pub out: PathBuf,
}

pub fn merge(a: MergeArgs) -> CliResult {
    let mut states: Vec<(PathBuf, RunState)> = Vec::new();
    for d in &a.dirs {
        let p = d.join(STATE_FILE);
        let text = std::fs::read_to_string(&p)
            .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", p.display())))?;
        let st: RunState = serde_json::from_str(&text).map_err(|e| {
            CliError::Usage(format!("{} is not an hfsim state file: {e}", p.display()))
        })?;
        states.push((d.clone(), st));
    }
    let (first_dir, first) = &states[0];
    for (d, s) in &states[1..] {
        if s.scenario_sha256 != first.scenario_sha256 {
            return Err(CliError::Usage(format!(
                "{} was run on a different scenario than {} (sha256 {} vs {}): refusing to merge",
                d.display(),
                first_dir.display(),
                &s.scenario_sha256[..12],
                &first.scenario_sha256[..12]
            )));
        }
        if s.seed != first.seed {
            return Err(CliError::Usage(format!(
                "{} used seed {}, {} used seed {}: refusing to merge",
                d.display(),
                s.seed,
                first_dir.display(),
                first.seed
            )));
        }
        if s.replicates != first.replicates || s.design_points.len() != first.design_points.len() {
            return Err(CliError::Usage(format!(
                "{} and {} differ in replicates or design points",
                d.display(),
                first_dir.display()
            )));
        }
    }
    for (d, s) in &states {
        if !s.complete() {
            return Err(CliError::Usage(format!(
                "{} is incomplete (interrupted?): finish it with `hfsim run ... --resume` first",
                d.display()
            )));
        }
    }
    // Every replicate exactly once.
    let mut ranges: Vec<(u64, u64, &PathBuf)> = states
        .iter()
        .map(|(d, s)| (s.range.0, s.range.1, d))
        .collect();
    ranges.sort();
    let mut next = 0;
    for (lo, hi, d) in &ranges {
        if *lo > next {
            return Err(CliError::Usage(format!(
                "replicates {next}..{lo} are missing (no shard covers them)"
            )));
        }
        if *lo < next {
            return Err(CliError::Usage(format!(
                "{} overlaps another shard (replicates {lo}..{next} twice)",
                d.display()
            )));
        }
        next = *hi;
    }
    if next != first.replicates {
        return Err(CliError::Usage(format!(
            "replicates {next}..{} are missing (no shard covers them)",
            first.replicates
        )));
    }
    // The scenario, as resolved by the shards.
    let scen_path = first_dir.join("scenario.resolved.toml");
    let text = std::fs::read_to_string(&scen_path)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", scen_path.display())))?;
    let loaded = crate::scenario::load_str(&scen_path.display().to_string(), &text, &[])
        .map_err(|e| CliError::Scenario(vec![e]))?;
    if loaded.sha256 != first.scenario_sha256 {
        return Err(CliError::Usage(format!(
            "{} does not match the shards' scenario hash",
            scen_path.display()
        )));
    }
    let points =
        crate::scenario::design_points(&loaded).map_err(|e| CliError::Scenario(vec![e]))?;
    let mut merged = RunState {
        shard: None,
        range: (0, first.replicates),
        design_points: points
            .iter()
            .enumerate()
            .map(|(i, (_, l))| DesignState {
                index: i,
                covered: (0, first.replicates),
                acc: DesignAcc::new(&l.scenario),
            })
            .collect(),
        ..first.clone()
    };
    for (_, s) in &states {
        for (m, d) in merged.design_points.iter_mut().zip(&s.design_points) {
            m.acc.merge(&d.acc);
        }
    }
    ensure_dir(&a.out)?;
    let summary = build_summary(&loaded, &points, &merged);
    write_outputs(&a.out, &loaded, &points, &summary, &[], &merged.accs())?;
    super::present::write_run_plots(&a.out, &summary, &points, &merged.accs())?;
    write_json(&a.out.join(STATE_FILE), &merged)?;
    let manifest = serde_json::json!({
        "hfsim_version": env!("CARGO_PKG_VERSION"),
        "git_commit": option_env!("HFSIM_GIT_COMMIT").filter(|c| !c.is_empty()),
        "command": std::env::args().collect::<Vec<_>>(),
        "merged_from": a.dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>(),
        "scenario": loaded.scenario.name,
        "scenario_sha256": loaded.sha256,
        "seed": first.seed,
        "replicates": first.replicates,
    });
    write_json(&a.out.join("manifest.json"), &manifest)?;
    eprintln!(
        "merged {} shards ({} replicates) into {}",
        states.len(),
        first.replicates,
        a.out.display()
    );
    Ok(())
}
