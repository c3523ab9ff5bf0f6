//! The checkpoint of a run, `state.json`: the exact accumulators of every
//! design point and the replicates they cover. Written during a run (resume
//! after an interruption) and by every shard (`hfsim merge`).
//!
//! A checkpoint is trusted only after checks: its `format` is this
//! version's, a SHA-256 `checksum` over the accumulators matches (a file
//! edited by hand or damaged is refused), and the numbers agree with each
//! other (covered ranges inside the run's replicates and in order, counts
//! that add up, no more rejections than replicates) and with the scenario
//! (design points, endpoints, families).

use super::output::write_json;
use crate::scenario::{DesignPoint, Loaded};
use crate::summary::DesignAcc;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::ops::Range;
use std::path::Path;

/// The checkpoint's file name in the output folder.
pub const STATE_FILE: &str = "state.json";

/// The `format` this version writes and reads (1: without checksum).
pub const STATE_FORMAT: u32 = 2;

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
    /// Wall time of the run's segments so far (a resumed run adds up).
    #[serde(default)]
    pub wall_time_s: f64,
    /// Segments so far: 1, plus one per `--resume`.
    #[serde(default)]
    pub segments: u32,
    /// SHA-256 of `design_points` as written (hex).
    #[serde(default)]
    pub checksum: String,
    /// The scenario's warnings as the first segment found them (a resumed
    /// run and a merge report the same).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<crate::scenario::Warning>,
    /// The scenario file as the first segment named it (the plausibility
    /// warning's file, the same in a resumed run and a merge).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scenario_file: String,
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

    /// Replicates done, summed over design points.
    pub fn replicates_done(&self) -> u64 {
        self.design_points
            .iter()
            .map(|d| d.covered.1 - d.covered.0)
            .sum()
    }

    /// The accumulators, in design point order.
    pub fn accs(&self) -> Vec<&DesignAcc> {
        self.design_points.iter().map(|d| &d.acc).collect()
    }

    /// The checksum of the design points as they are now.
    pub fn compute_checksum(&self) -> String {
        let bytes = serde_json::to_vec(&self.design_points).unwrap_or_default();
        crate::scenario::hex(&Sha256::digest(&bytes))
    }

    /// Internal consistency (see the module documentation).
    pub fn check_consistency(&self) -> Result<(), String> {
        let (lo, hi) = self.range;
        if let Some((i, n)) = self.shard
            && (n == 0 || i >= n)
        {
            return Err(format!("shard {i}/{n} is not a shard (need 0 <= I < N)"));
        }
        if (lo..hi) != shard_range(self.replicates, self.shard) {
            return Err(format!(
                "its range of replicates {lo}..{hi} is not that of {} replicates{}",
                self.replicates,
                self.shard
                    .map(|(i, n)| format!(", shard {i}/{n}"))
                    .unwrap_or_default()
            ));
        }
        for (k, d) in self.design_points.iter().enumerate() {
            let at = format!("design point {k}");
            if d.index != k {
                return Err(format!("{at} is listed as {}", d.index));
            }
            let (a, b) = d.covered;
            if a != lo || b < a || b > hi {
                return Err(format!(
                    "{at} covers replicates {a}..{b}, not a part of {lo}..{hi} starting at {lo}"
                ));
            }
            check_acc(&d.acc, b - a).map_err(|e| format!("{at}: {e}"))?;
        }
        Ok(())
    }

    /// The design points, endpoints and families agree with the scenario's.
    pub fn check_shape(&self, points: &[(DesignPoint, Loaded)]) -> Result<(), String> {
        if self.design_points.len() != points.len() {
            return Err(format!(
                "it has {} design points, the scenario {}",
                self.design_points.len(),
                points.len()
            ));
        }
        for (k, (d, (_, l))) in self.design_points.iter().zip(points).enumerate() {
            let s = &l.scenario;
            if d.acc.endpoints.len() != s.endpoints.len()
                || d.acc.families.len() != s.families.len()
                || d.acc
                    .families
                    .iter()
                    .zip(&s.families)
                    .any(|(a, f)| a.per_endpoint.len() != f.endpoints.len())
            {
                return Err(format!(
                    "design point {k} has {} endpoints and {} families, the scenario {} and {}",
                    d.acc.endpoints.len(),
                    d.acc.families.len(),
                    s.endpoints.len(),
                    s.families.len()
                ));
            }
        }
        Ok(())
    }
}

/// The counts of one design point add up over `replicates` replicates.
fn check_acc(acc: &DesignAcc, replicates: u64) -> Result<(), String> {
    if acc.replicates != replicates {
        return Err(format!(
            "its accumulator holds {} replicates but it covers {replicates}",
            acc.replicates
        ));
    }
    let failed: u64 = acc.replicates_failed.values().sum();
    if failed > replicates {
        return Err(format!("{failed} failed replicates of {replicates}"));
    }
    if acc.power_skipped > replicates {
        return Err(format!(
            "{} replicates in their world only, of {replicates}",
            acc.power_skipped
        ));
    }
    // the endpoints count the replicates at the central values
    let replicates = acc.power_replicates();
    let pf: u64 = acc.patients_failed.values().sum();
    if pf > acc.patients_simulated {
        return Err(format!(
            "{pf} failed patients of {} simulated",
            acc.patients_simulated
        ));
    }
    for (j, e) in acc.endpoints.iter().enumerate() {
        let na: u64 = e.not_analysable.values().sum();
        let bins: u64 = e.estimate_bins.values().sum();
        let problem = if e.replicates != replicates {
            Some(format!("{} replicates of {replicates}", e.replicates))
        } else if e.rejections > e.analysable {
            Some(format!(
                "{} rejections among {} analysable replicates",
                e.rejections, e.analysable
            ))
        } else if e.analysable.checked_add(na) != Some(e.replicates) {
            Some(format!(
                "{} analysable and {na} not analysable replicates do not add up to {}",
                e.analysable, e.replicates
            ))
        } else if e.estimate_n.checked_add(e.estimate_out_of_range) != Some(e.analysable) {
            Some(format!(
                "{} estimates (and {} out of range) for {} analysable replicates",
                e.estimate_n, e.estimate_out_of_range, e.analysable
            ))
        } else if bins != e.estimate_n {
            Some(format!(
                "{bins} estimates in the effect bins but {} estimates",
                e.estimate_n
            ))
        } else if e.arm_stat_n.iter().any(|&n| n > e.replicates) {
            Some("more arm statistics than replicates".to_string())
        } else {
            None
        };
        if let Some(p) = problem {
            return Err(format!("endpoint {j}: {p}"));
        }
    }
    for (j, f) in acc.families.iter().enumerate() {
        if f.any > replicates || f.all > f.any || f.per_endpoint.iter().any(|&c| c > replicates) {
            return Err(format!(
                "family {j}: {} replicates with any and {} with all endpoints rejecting, of {replicates}",
                f.any, f.all
            ));
        }
    }
    Ok(())
}

/// Write a checkpoint (atomically), with its checksum.
pub fn write_state(path: &Path, state: &mut RunState) -> anyhow::Result<()> {
    state.format = STATE_FORMAT;
    state.checksum = state.compute_checksum();
    write_json(path, state)
}

/// Read a checkpoint: a regular file of at most [`crate::input::MAX_STATE_BYTES`],
/// of this version's format, whose checksum matches and whose numbers are
/// consistent. The error says what is wrong (without the file name).
pub fn read_state(path: &Path) -> Result<RunState, String> {
    let text = crate::input::read_text(path, crate::input::MAX_STATE_BYTES, "checkpoint")
        .map_err(|e| e.to_string())?;
    #[derive(Deserialize)]
    struct Format {
        format: Option<u64>,
    }
    let f: Format = serde_json::from_str(&text)
        .map_err(|e| format!("not an hfsim checkpoint (state.json): {e}"))?;
    match f.format {
        Some(f) if f == STATE_FORMAT as u64 => {}
        Some(f) => {
            return Err(format!(
                "it is in format {f}, which hfsim {} does not read (it writes and reads format {STATE_FORMAT}): it was written by another version of hfsim",
                env!("CARGO_PKG_VERSION")
            ));
        }
        None => return Err("not an hfsim checkpoint (state.json): no `format`".into()),
    }
    let state: RunState = serde_json::from_str(&text)
        .map_err(|e| format!("not an hfsim checkpoint (state.json): {e}"))?;
    if state.checksum != state.compute_checksum() {
        return Err(
            "its checksum does not match its contents: it was edited or damaged since hfsim wrote it"
                .into(),
        );
    }
    state
        .check_consistency()
        .map_err(|e| format!("it is inconsistent: {e}"))?;
    Ok(state)
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

/// A checkpoint may only continue the same run.
pub fn check_resumable(old: &RunState, new: &RunState) -> Result<(), String> {
    if old.scenario_sha256 != new.scenario_sha256 {
        return Err(format!(
            "the scenario changed since the checkpoint (sha256 {} then, {} now)",
            &old.scenario_sha256[..12.min(old.scenario_sha256.len())],
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
