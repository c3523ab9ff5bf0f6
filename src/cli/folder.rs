//! The output folder of a run holds one run's files.
//!
//! - Its default name says what ran: `out/<scenario name>`, followed by the
//!   `--set` overrides (`out/prime_hfref+arms.msc.interval_days=28`), so a
//!   variant never overwrites the scenario's own results.
//! - Before a run writes anything, the files a previous run left there are
//!   removed ([`RUN_FILES`]: only hfsim's own files; `calibration/`,
//!   `search/` and anything else stay), so that every file present after
//!   the run is from this run, and an interrupted run leaves no earlier
//!   `summary.json` that looks like its result.
//! - A folder holding the results of a different resolved scenario, or an
//!   interrupted run that could be resumed, is not replaced without
//!   `--force`; the refusal says what differs.

use super::CliError;
use super::checkpoint::STATE_FILE;
use super::console::errln;
use crate::scenario::Loaded;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Files a run, sweep or merge writes (and earlier versions wrote), all
/// removed before a run writes the folder anew. `state.json` is handled
/// separately (it may be resumed).
pub const RUN_FILES: &[&str] = &[
    "summary.json",
    "results.csv",
    "effects.csv",
    "manifest.json",
    "scenario.resolved.toml",
    "patients.csv",
    "tests.csv",
    "events.csv",
    "power_forest.svg",
    "power_forest.png",
    "power_curves.svg",
    "power_curves.png",
    "effects.svg",
    "effects.png",
    "sequential.csv",
    "looks.csv",
    "sequential.svg",
    "sequential.png",
    "report.html",
    "power.csv",
    "sweep.csv",
];

/// Longest folder name made from overrides (longer ones use a hash).
const MAX_NAME: usize = 100;

/// The default output folder: `out/<name>`, and `+<key>=<value>` for each
/// `--set` (quotes dropped, other characters than letters, digits and
/// `._=-` become `_`; names longer than 100 characters become
/// `+set-<hash>`).
pub fn default_out(name: &str, set: &[String]) -> PathBuf {
    if set.is_empty() {
        return PathBuf::from("out").join(name);
    }
    let clean = |s: &str| -> String {
        let s = match s.split_once('=') {
            Some((k, v)) => format!("{}={}", k.trim(), v.trim()),
            None => s.trim().to_string(),
        };
        s.chars()
            .filter(|c| *c != '"' && *c != '\'')
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._=-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let mut folder = name.to_string();
    for s in set {
        folder.push('+');
        folder.push_str(&clean(s.trim()));
    }
    if folder.len() > MAX_NAME {
        let hash = crate::scenario::hex(&Sha256::digest(set.join("\n").as_bytes()));
        folder = format!("{name}+set-{}", &hash[..12]);
    }
    PathBuf::from("out").join(folder)
}

/// What a previous run left in a folder.
struct Previous {
    scenario: String,
    sha256: String,
    /// Its resolved scenario, if present (to say what differs).
    resolved: Option<String>,
    /// An interrupted (or shard) checkpoint: replicates done of all.
    checkpoint: Option<(u64, u64, bool)>,
}

fn previous_run(dir: &Path) -> Option<Previous> {
    let read = |name: &str| {
        crate::input::read_text(
            &dir.join(name),
            crate::input::MAX_STATE_BYTES,
            "output file",
        )
        .ok()
    };
    let state = read(STATE_FILE).and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
    let manifest =
        read("manifest.json").and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
    let from = state.as_ref().or(manifest.as_ref())?;
    let text = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(String::from);
    let checkpoint = state.as_ref().and_then(|s| {
        let points = s.get("design_points")?.as_array()?;
        let range = s.get("range")?.as_array()?;
        let (lo, hi) = (range.first()?.as_u64()?, range.get(1)?.as_u64()?);
        let done: u64 = points
            .iter()
            .filter_map(|d| {
                let c = d.get("covered")?.as_array()?;
                Some(c.get(1)?.as_u64()?.saturating_sub(c.first()?.as_u64()?))
            })
            .sum();
        let all = (hi - lo.min(hi)) * points.len() as u64;
        Some((done, all, done == all))
    });
    Some(Previous {
        scenario: text(from, "scenario").unwrap_or_default(),
        sha256: text(from, "scenario_sha256").unwrap_or_default(),
        resolved: read("scenario.resolved.toml"),
        checkpoint,
    })
}

/// Flatten a TOML document into `key.path -> value` (for the difference).
fn flatten(doc: &toml_edit::DocumentMut) -> BTreeMap<String, String> {
    fn walk(prefix: &str, item: &toml_edit::Item, out: &mut BTreeMap<String, String>) {
        if let Some(t) = item.as_table_like() {
            for (k, v) in t.iter() {
                let p = if prefix.is_empty() {
                    k.to_string()
                } else {
                    format!("{prefix}.{k}")
                };
                walk(&p, v, out);
            }
        } else if let Some(a) = item.as_array_of_tables() {
            for (i, t) in a.iter().enumerate() {
                for (k, v) in t.iter() {
                    walk(&format!("{prefix}[{i}].{k}"), v, out);
                }
            }
        } else if let Some(v) = item.as_value() {
            out.insert(prefix.to_string(), v.to_string().trim().to_string());
        }
    }
    let mut out = BTreeMap::new();
    walk("", doc.as_item(), &mut out);
    out
}

/// The keys in which two resolved scenarios differ (at most `max`).
fn differences(old: &str, new: &str, max: usize) -> Vec<String> {
    let (Ok(a), Ok(b)) = (
        old.parse::<toml_edit::DocumentMut>(),
        new.parse::<toml_edit::DocumentMut>(),
    ) else {
        return Vec::new();
    };
    let (a, b) = (flatten(&a), flatten(&b));
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .take(max)
        .map(|k| {
            let show = |v: Option<&String>| v.cloned().unwrap_or_else(|| "(not set)".into());
            format!("{k}: {} then, {} now", show(a.get(k)), show(b.get(k)))
        })
        .collect()
}

/// Make `dir` ready for a run of `loaded`: refuse (without `force`) to
/// replace another scenario's results or an interrupted run; remove the
/// previous run's files (and its checkpoint, unless resuming).
pub fn prepare(dir: &Path, loaded: &Loaded, resume: bool, force: bool) -> Result<(), CliError> {
    if !resume && let Some(prev) = previous_run(dir) {
        let same = prev.sha256 == loaded.sha256;
        if !same && !force {
            let diff = prev
                .resolved
                .as_deref()
                .map(|old| differences(old, &loaded.resolved, 6))
                .unwrap_or_default();
            return Err(CliError::Usage(format!(
                "{} holds the results of another scenario ({}, sha256 {}{}); write elsewhere with --out, or pass --force to replace them",
                dir.display(),
                prev.scenario,
                &prev.sha256[..12.min(prev.sha256.len())],
                if diff.is_empty() {
                    String::new()
                } else {
                    format!("; it differs in {}", diff.join("; "))
                }
            )));
        }
        if let Some((done, all, false)) = prev.checkpoint
            && same
            && !force
        {
            return Err(CliError::Usage(format!(
                "{} holds an interrupted run of this scenario ({done} of {all} replicates done): continue it with --resume, or pass --force to start afresh",
                dir.display()
            )));
        }
        if force && (!same || prev.checkpoint.is_some_and(|c| !c.2)) {
            errln!(
                "note: replacing the results of {} in {} (--force)",
                prev.scenario,
                dir.display()
            );
        }
    }
    let mut names: Vec<&str> = RUN_FILES.to_vec();
    if !resume {
        names.push(STATE_FILE);
    }
    for name in names {
        let p = dir.join(name);
        if std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_file()) {
            std::fs::remove_file(&p).map_err(|e| {
                CliError::Runtime(anyhow::anyhow!(
                    "cannot remove the previous run's {}: {e}",
                    p.display()
                ))
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_folders_name_the_overrides() {
        assert_eq!(default_out("prime", &[]), PathBuf::from("out/prime"));
        assert_eq!(
            default_out(
                "prime",
                &[
                    "arms.msc.interval_days=28".into(),
                    "trial.n_per_arm = 40".into()
                ]
            ),
            PathBuf::from("out/prime+arms.msc.interval_days=28+trial.n_per_arm=40")
        );
        let long = vec![format!("model.x={}", "9".repeat(200))];
        let p = default_out("prime", &long);
        assert!(
            p.to_str().unwrap().starts_with("out/prime+set-") && p.to_str().unwrap().len() < 40,
            "{p:?}"
        );
        // a path separator never escapes the folder
        assert_eq!(
            default_out(
                "p",
                &["scenario.name=../x".into(), "a.b=\"heparin\"".into()]
            ),
            PathBuf::from("out/p+scenario.name=.._x+a.b=heparin")
        );
    }

    #[test]
    fn differences_name_the_changed_keys() {
        let d = differences(
            "[run]\nseed = 1\nreplicates = 100\n[arms.msc]\nn_doses = 3\n",
            "[run]\nseed = 1\nreplicates = 2000\n[arms.msc]\nn_doses = 3\ninterval_days = 28\n",
            6,
        );
        assert_eq!(
            d,
            vec![
                "arms.msc.interval_days: (not set) then, 28 now".to_string(),
                "run.replicates: 100 then, 2000 now".to_string()
            ]
        );
    }
}
