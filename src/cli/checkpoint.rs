//! The checkpoint of a run, `state.json`: the exact accumulators of every
//! design point and the replicates they cover. Written during a run (resume
//! after an interruption) and by every shard (`hfsim merge`).

use crate::summary::DesignAcc;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// The checkpoint's file name in the output folder.
pub const STATE_FILE: &str = "state.json";

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
