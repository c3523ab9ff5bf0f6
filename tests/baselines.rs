//! Whole-scenario regression baselines: every file in `scenarios/`, run
//! with a fixed seed and a small replicate count, must reproduce its pinned
//! summary in `tests/baselines/<file>.json`. Changing a baseline is a
//! deliberate act: `scripts/update_baselines.sh` (or
//! `HFSIM_UPDATE_BASELINES=1 cargo test --release --test baselines`), then
//! review the diff. Numbers are compared to 1e-9 relative (the last digits of
//! libm may differ between machines); everything else exactly.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const REPLICATES: &str = "40";
const SEED: &str = "1";

fn close(a: &Value, b: &Value, path: &str, diffs: &mut Vec<String>) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            if (x - y).abs() > 1e-9 * x.abs().max(y.abs()).max(1e-300) {
                diffs.push(format!("{path}: baseline {x}, now {y}"));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => close(u, v, &format!("{path}.{k}"), diffs),
                    (u, v) => diffs.push(format!("{path}.{k}: baseline {u:?}, now {v:?}")),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                close(u, v, &format!("{path}[{i}]"), diffs);
            }
        }
        _ if a == b => {}
        _ => diffs.push(format!("{path}: baseline {a}, now {b}")),
    }
}

fn run(scenario: &Path, out: &Path) -> Value {
    let o = Command::new(env!("CARGO_BIN_EXE_hfsim"))
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--replicates",
            REPLICATES,
            "--seed",
            SEED,
            "--no-progress",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}: {}",
        scenario.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("hfsim_version");
    v
}

#[test]
fn every_scenario_reproduces_its_pinned_summary() {
    let update = std::env::var("HFSIM_UPDATE_BASELINES").is_ok();
    let mut failures = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir("scenarios")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for f in &files {
        let stem = f.file_stem().unwrap().to_string_lossy().to_string();
        let out =
            std::env::temp_dir().join(format!("hfsim-baseline-{}-{stem}", std::process::id()));
        let now = run(f, &out);
        let _ = std::fs::remove_dir_all(&out);
        let pinned = Path::new("tests/baselines").join(format!("{stem}.json"));
        if update {
            std::fs::write(&pinned, serde_json::to_string_pretty(&now).unwrap() + "\n").unwrap();
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&pinned) else {
            failures.push(format!(
                "{}: no baseline {} (run scripts/update_baselines.sh and review it)",
                f.display(),
                pinned.display()
            ));
            continue;
        };
        let base: Value = serde_json::from_str(&text).unwrap();
        let mut diffs = Vec::new();
        close(&base, &now, &stem, &mut diffs);
        if !diffs.is_empty() {
            failures.push(format!("{} differs from its baseline ({} values; first: {}). If the change is intended, run scripts/update_baselines.sh and review the diff.", f.display(), diffs.len(), diffs.iter().take(5).cloned().collect::<Vec<_>>().join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
