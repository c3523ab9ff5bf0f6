//! The binary end to end on a small trial: the output contract, exit codes,
//! reproducibility across thread counts, resume and shards.

use std::path::{Path, PathBuf};
use std::process::Command;

const SMALL: &str = "tests/fixtures/small_trial.toml";

fn hfsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hfsim"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hfsim-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn run_ok(args: &[&str]) -> std::process::Output {
    let out = hfsim().args(args).output().expect("run hfsim");
    assert!(
        out.status.success(),
        "hfsim {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn run_writes_the_output_contract() {
    let dir = tmp("contract");
    let d = dir.to_str().unwrap();
    run_ok(&[
        "run",
        SMALL,
        "--replicates",
        "12",
        "--out",
        d,
        "--no-progress",
        "--export-replicates",
        "2",
    ]);
    let summary: serde_json::Value =
        serde_json::from_str(&read(&dir.join("summary.json"))).unwrap();
    assert_eq!(summary["scenario"], "small_trial");
    assert_eq!(summary["replicates"], 12);
    assert!(summary["hfsim_version"].is_string());
    assert!(summary["seed"].is_u64());
    let dp = &summary["design_points"][0];
    assert!(dp["design"].as_object().unwrap().is_empty());
    let eps = dp["endpoints"].as_array().unwrap();
    assert_eq!(eps.len(), 12);
    for e in eps {
        for key in [
            "name",
            "test",
            "alpha",
            "power",
            "power_mcse",
            "power_ci_low",
            "power_ci_high",
            "n_analyzed_mean",
        ] {
            assert!(!e[key].is_null(), "missing {key} in {e}");
        }
        let p = e["power"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p));
        assert!(
            e["power_ci_low"].as_f64().unwrap() <= p && p <= e["power_ci_high"].as_f64().unwrap()
        );
        assert!(
            e["n_analyzed_mean"]["placebo"].is_number() && e["n_analyzed_mean"]["msc"].is_number()
        );
    }
    let first = &eps[0];
    assert!(first["effect_mean"].is_number() && first["effect_sd"].is_number());
    let power = read(&dir.join("results.csv"));
    assert!(
        power.starts_with(
            "design_point,endpoint,role,test,alpha,alternative,replicates,power,power_mcse,power_ci_low,power_ci_high"
        ),
        "{power}"
    );
    assert_eq!(power.lines().count(), 13);
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&dir.join("manifest.json"))).unwrap();
    for key in [
        "hfsim_version",
        "scenario_sha256",
        "seed",
        "replicates",
        "threads",
        "generator",
        "solver",
        "wall_time_s",
        "patients_per_second",
    ] {
        assert!(!manifest[key].is_null(), "manifest lacks {key}");
    }
    assert_eq!(manifest["scenario_sha256"].as_str().unwrap().len(), 64);
    let patients = read(&dir.join("patients.csv"));
    assert!(
        patients
            .starts_with("replicate,patient,arm,endpoint,value,baseline,time_days,event,visit\n")
    );
    let reps: std::collections::BTreeSet<&str> = patients
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(reps.into_iter().collect::<Vec<_>>(), vec!["0", "1"]);
    assert!(
        patients
            .lines()
            .any(|l| l.contains(",death_or_hfh,") && (l.ends_with(",1,") || l.ends_with(",0,")))
    );
    let tests = read(&dir.join("tests.csv"));
    assert!(tests.starts_with("replicate,endpoint,test,estimate,statistic,p_value,reject\n"));
    assert_eq!(tests.lines().count(), 1 + 2 * 12);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn one_thread_equals_two_threads() {
    let (a, b) = (tmp("t1"), tmp("t2"));
    run_ok(&[
        "run",
        SMALL,
        "--replicates",
        "20",
        "--threads",
        "1",
        "--out",
        a.to_str().unwrap(),
        "--no-progress",
        "--chunk",
        "3",
    ]);
    run_ok(&[
        "run",
        SMALL,
        "--replicates",
        "20",
        "--threads",
        "2",
        "--out",
        b.to_str().unwrap(),
        "--no-progress",
        "--chunk",
        "7",
    ]);
    assert_eq!(read(&a.join("summary.json")), read(&b.join("summary.json")));
    assert_eq!(read(&a.join("results.csv")), read(&b.join("results.csv")));
    let _ = (std::fs::remove_dir_all(&a), std::fs::remove_dir_all(&b));
}

#[test]
fn an_interrupted_run_resumes_to_the_same_summary() {
    let (full, cut) = (tmp("full"), tmp("cut"));
    run_ok(&[
        "run",
        SMALL,
        "--replicates",
        "20",
        "--out",
        full.to_str().unwrap(),
        "--no-progress",
        "--chunk",
        "4",
    ]);
    let out = hfsim()
        .args([
            "run",
            SMALL,
            "--replicates",
            "20",
            "--out",
            cut.to_str().unwrap(),
            "--no-progress",
            "--chunk",
            "4",
            "--stop-after-chunks",
            "2",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(130));
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(msg.contains("--resume") && msg.contains("8 of 20"), "{msg}");
    assert!(
        !cut.join("summary.json").exists(),
        "no summary from an interrupted run"
    );
    run_ok(&[
        "run",
        SMALL,
        "--replicates",
        "20",
        "--out",
        cut.to_str().unwrap(),
        "--no-progress",
        "--chunk",
        "4",
        "--resume",
    ]);
    assert_eq!(
        read(&full.join("summary.json")),
        read(&cut.join("summary.json"))
    );
    // A changed scenario cannot resume the checkpoint.
    let out = hfsim()
        .args([
            "run",
            SMALL,
            "--replicates",
            "20",
            "--out",
            cut.to_str().unwrap(),
            "--no-progress",
            "--resume",
            "--set",
            "arms.msc.interval_days=28",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("scenario changed"));
    let _ = (
        std::fs::remove_dir_all(&full),
        std::fs::remove_dir_all(&cut),
    );
}

#[test]
fn four_shards_merged_equal_one_run() {
    let one = tmp("one");
    run_ok(&[
        "run",
        SMALL,
        "--replicates",
        "18",
        "--out",
        one.to_str().unwrap(),
        "--no-progress",
    ]);
    let shards: Vec<PathBuf> = (0..4).map(|i| tmp(&format!("shard{i}"))).collect();
    for (i, d) in shards.iter().enumerate() {
        run_ok(&[
            "run",
            SMALL,
            "--replicates",
            "18",
            "--out",
            d.to_str().unwrap(),
            "--no-progress",
            "--shard",
            &format!("{i}/4"),
        ]);
    }
    let merged = tmp("merged");
    let mut args: Vec<String> = vec!["merge".into()];
    args.extend(shards.iter().map(|d| d.display().to_string()));
    args.extend(["--out".into(), merged.display().to_string()]);
    run_ok(&args.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    assert_eq!(
        read(&one.join("summary.json")),
        read(&merged.join("summary.json"))
    );
    // the plausibility audit is part of what merges exactly (counts and
    // extremes of every shard's patients)
    let v: serde_json::Value = serde_json::from_str(&read(&merged.join("summary.json"))).unwrap();
    let lvef = &v["design_points"][0]["plausibility"]["msc"]["lvef"];
    assert!(
        lvef["n_checked"].as_u64().unwrap() > 0 && lvef["max"].is_f64(),
        "{lvef}"
    );
    // Missing or duplicated shards are refused.
    let out = hfsim()
        .args([
            "merge",
            shards[0].to_str().unwrap(),
            shards[2].to_str().unwrap(),
            "--out",
            merged.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing"));
    let out = hfsim()
        .args([
            "merge",
            shards[0].to_str().unwrap(),
            shards[0].to_str().unwrap(),
            "--out",
            merged.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("overlaps"));
    for d in shards.iter().chain([&one, &merged]) {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn validate_reports_problems_with_file_line_and_key() {
    let ok = hfsim().args(["validate", SMALL]).output().unwrap();
    assert!(ok.status.success());
    let dir = tmp("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    let text = read(Path::new(SMALL)).replace("interval_days = 42\ninfusion_duration_hours = 1\npremedication = \"methylprednisolone\"\ninfusion_anticoagulation", "interval_dayz = 42\ninfusion_duration_hours = 1\npremedication = \"methylprednisolone\"\ninfusion_anticoagulation").replace("test = \"welch\"", "test = \"welsh\"");
    std::fs::write(&bad, text).unwrap();
    let out = hfsim()
        .args(["validate", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(
        msg.contains("arms.msc.interval_dayz: unknown key; did you mean `interval_days`?"),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("{}:", bad.display()))
            && msg
                .contains("endpoints[0].test: \"welsh\" is not allowed (did you mean \"welch\"?)"),
        "{msg}"
    );
    let missing = hfsim().args(["run", "no/such/file.toml"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no/such/file.toml: file not found"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn set_overrides_change_the_run_and_bad_ones_are_explained() {
    let out = hfsim()
        .args(["validate", SMALL, "--set", "arms.msc.interval_days=0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(msg.contains("--set arms.msc.interval_days=0: arms.msc.interval_days: must be in (0, 3650] days (got 0)"), "{msg}");
    let out = hfsim()
        .args(["validate", SMALL, "--set", "nonsense"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected key.path=value"));
}

#[test]
fn every_scenario_in_the_library_validates() {
    let mut n = 0;
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "toml") {
            let out = hfsim()
                .args(["validate", p.to_str().unwrap()])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}:\n{}",
                p.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            n += 1;
        }
    }
    assert!(n >= 1);
}

#[test]
fn power_command_reproduces_the_prime_post_hoc_power() {
    let out = run_ok(&[
        "power",
        "means",
        "--mean-treatment",
        "-39.46",
        "--mean-control",
        "3.46",
        "--sd-treatment",
        "59.85",
        "--sd-control",
        "16.26",
        "--n-treatment",
        "20",
        "--n-control",
        "19",
    ]);
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.starts_with("power = 0.8393"), "{s}");
}

#[test]
fn a_scenario_can_extend_a_base_and_errors_point_to_the_right_file() {
    let dir = tmp("base");
    std::fs::create_dir_all(&dir).unwrap();
    let base = std::fs::canonicalize(SMALL).unwrap();
    let derived = dir.join("derived.toml");
    std::fs::write(
        &derived,
        format!(
            "[scenario]\nbase = \"{}\"\nname = \"derived\"\n\n[arms.msc]\ninterval_days = 28\n",
            base.display()
        ),
    )
    .unwrap();
    let out = hfsim()
        .args(["validate", derived.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let short = dir.join("short.toml");
    std::fs::write(
        &short,
        format!(
            "[scenario]\nbase = \"{}\"\nname = \"short\"\n\n[run]\nfollow_up_days = 100\n",
            base.display()
        ),
    )
    .unwrap();
    let out = hfsim()
        .args(["validate", short.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(
        msg.contains(&format!("{}:", base.display()))
            && msg.contains("(base of")
            && msg.contains("must be within follow-up"),
        "{msg}"
    );
    let missing = dir.join("orphan.toml");
    std::fs::write(&missing, "[scenario]\nbase = \"nope.toml\"\nname = \"x\"\n").unwrap();
    let out = hfsim()
        .args(["validate", missing.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the base scenario"));
    let _ = std::fs::remove_dir_all(&dir);
}
