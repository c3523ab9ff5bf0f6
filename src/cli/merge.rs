//! `hfsim merge`: combine shard folders into the summary a single run writes.

use super::checkpoint::{DesignState, RunState, STATE_FILE, read_state, write_state};
use super::console::errln;
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
    /// Folder for the merged outputs (not one of the shards' folders).
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Replace another scenario's results in the output folder.
    #[arg(long)]
    pub force: bool,
}

/// Whether two paths name the same folder (when both exist).
fn same_folder(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

pub fn merge(a: MergeArgs) -> CliResult {
    if let Some(d) = a.dirs.iter().find(|d| same_folder(d, &a.out)) {
        return Err(CliError::Usage(format!(
            "--out {} is one of the shards ({}): merging into it would overwrite that shard's checkpoint; write the merged run elsewhere",
            a.out.display(),
            d.display()
        )));
    }
    let mut states: Vec<(PathBuf, RunState)> = Vec::new();
    for d in &a.dirs {
        let p = d.join(STATE_FILE);
        let st = read_state(&p).map_err(|e| {
            CliError::Usage(format!(
                "{}: {e}; rerun that shard to merge it",
                p.display()
            ))
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
    let text = crate::scenario::read_file(&scen_path).map_err(|e| CliError::Scenario(vec![e]))?;
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
    for (d, s) in &states {
        s.check_shape(&points).map_err(|e| {
            CliError::Usage(format!(
                "{}: {e}; rerun that shard",
                d.join(STATE_FILE).display()
            ))
        })?;
    }
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
    let _lock = super::lock::lock(&a.out)?;
    super::folder::prepare(&a.out, &loaded, false, a.force)?;
    let mut summary = build_summary(&loaded, &points, &merged);
    summary.warnings = merged.warnings.clone();
    let audits: Vec<_> = merged.accs().iter().map(|a| a.plausibility).collect();
    let file = if merged.scenario_file.is_empty() {
        &loaded.scenario.name
    } else {
        &merged.scenario_file
    };
    for w in super::results::plausibility_warnings(file, &points, &audits) {
        errln!("{w}");
        summary.warnings.push(w);
    }
    write_outputs(&a.out, &loaded, &points, &summary, &[], &merged.accs())?;
    super::present::write_run_plots(&a.out, &summary, &points, &merged.accs())?;
    merged.wall_time_s = states.iter().map(|(_, s)| s.wall_time_s).sum();
    write_state(&a.out.join(STATE_FILE), &mut merged)?;
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
    errln!(
        "merged {} shards ({} replicates) into {}",
        states.len(),
        first.replicates,
        a.out.display()
    );
    Ok(())
}
