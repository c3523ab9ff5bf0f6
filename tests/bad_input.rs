//! Bad input gets a clear answer: every problem of a scenario at once, each
//! with file, line, key path and what is allowed; exit code 2; no panic.
//! The cases and messages are listed in docs/validation.md (regenerate with
//! `HFSIM_PRINT_BAD_INPUT=1 cargo test --release --test bad_input -- --nocapture`).

use std::path::{Path, PathBuf};
use std::process::Command;

const SMALL: &str = "tests/fixtures/small_trial.toml";

fn hfsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hfsim"))
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hfsim-bad-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// (case, edit of the small trial: (from, to) replacements, extra args, expected substrings)
type Case = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    Vec<&'static str>,
    Vec<&'static str>,
);

fn cases() -> Vec<Case> {
    vec![
        (
            "unknown key with a suggestion",
            vec![(
                "n_doses = 3\ninterval_days = 42\ninfusion_duration_hours = 1\npremedication = \"methylprednisolone\"\ninfusion",
                "n_dose = 3\ninterval_days = 42\ninfusion_duration_hours = 1\npremedication = \"methylprednisolone\"\ninfusion",
            )],
            vec![],
            vec!["arms.msc.n_dose: unknown key; did you mean `n_doses`?"],
        ),
        (
            "unknown value with a suggestion",
            vec![("test = \"welch\"", "test = \"welsh\"")],
            vec![],
            vec!["endpoints[0].test: \"welsh\" is not allowed (did you mean \"welch\"?); allowed:"],
        ),
        (
            "wrong type",
            vec![("n_per_arm = 8", "n_per_arm = \"eight\"")],
            vec![],
            vec!["trial.n_per_arm: expected a whole number, found a string"],
        ),
        (
            "missing required key, named with its table",
            vec![("seed = 20260326\n", "")],
            vec![],
            vec!["run.seed: required key `seed` (a whole number) is missing in [run]"],
        ),
        (
            "negative dose",
            vec![("dose_cells_per_kg = 1.0e6", "dose_cells_per_kg = -1.0e6")],
            vec![],
            vec!["arms.msc.dose_cells_per_kg: must be in [0, 1e10] cells/kg (got -1000000)"],
        ),
        (
            "interval 0",
            vec![],
            vec!["--set", "arms.msc.interval_days=0"],
            vec![
                "--set arms.msc.interval_days=0: arms.msc.interval_days: must be in (0, 3650] days (got 0)",
            ],
        ),
        (
            "alpha outside (0, 1)",
            vec![],
            vec!["--set", "endpoints[1].alpha=1.5"],
            vec!["endpoints[1].alpha: must be in (0, 1) (got 1.5)"],
        ),
        (
            "SD <= 0",
            vec![("mean = 57.1\nsd = 12.3", "mean = 57.1\nsd = 0")],
            vec![],
            vec!["population.covariates.age_years.sd: must be > 0 (got 0)"],
        ),
        (
            "correlation matrix not positive definite",
            vec![
                ("rho = -0.45", "rho = -0.99"),
                (
                    "rho = 0.30\n\n[[population.correlations]]\na = \"lvef_percent\"\nb = \"nt_probnp_ng_per_l\"",
                    "rho = 0.99\n\n[[population.correlations]]\na = \"lvef_percent\"\nb = \"nt_probnp_ng_per_l\"",
                ),
            ],
            vec![],
            vec!["population.correlations: the correlation matrix is not positive definite"],
        ),
        (
            "visit day beyond follow-up",
            vec![],
            vec!["--set", "trial.visits[11].day=400"],
            vec!["trial.visits[11].day: must be within follow-up, 0..=360 (got 400)"],
        ),
        (
            "endpoint on a visit without that measurement",
            vec![],
            vec!["--set", "endpoints[0].visit=V3"],
            vec!["endpoints[0].visit: visit \"V3\" has no mri measurement"],
        ),
        (
            "sweep axis on a key that does not exist",
            vec![],
            vec!["--set", "sweep.axes.\"arms.msc.interval_dayz\"=[14, 28]"],
            vec!["unknown key; did you mean `interval_days`?"],
        ),
        (
            "sweep axis on a table that does not exist",
            vec![],
            vec!["--set", "sweep.axes.\"arms.mcs.interval_days\"=[14, 28]"],
            vec!["does not name a key of an existing table"],
        ),
        (
            "run too large",
            vec![],
            vec!["--set", "run.replicates=100000000000"],
            vec!["exceeds run.max_simulated_patients", "--force"],
        ),
        (
            "TOML syntax error, located",
            vec![("seed = 20260326", "seed = = 20260326")],
            vec![],
            vec!["TOML syntax error"],
        ),
        (
            "bad --set syntax",
            vec![],
            vec!["--set", "trial.n_per_arm"],
            vec!["--set 'trial.n_per_arm': expected key.path=value"],
        ),
        (
            "--set index out of range",
            vec![],
            vec!["--set", "endpoints[99].test=welch"],
            vec!["index [99] is out of range: there are 12 entries"],
        ),
        (
            "unknown model parameter",
            vec![],
            vec!["--set", "model.rv_emax=0.1"],
            vec!["model.rv_emax: unknown model parameter; did you mean `rv_repair_emax_per_day`?"],
        ),
        (
            "model parameter out of range",
            vec![],
            vec!["--set", "model.lung_cell_half_life_days=-2"],
            vec!["model.lung_cell_half_life_days: must be in [0.01, 30] day (got -2)"],
        ),
        (
            "ANCOVA with an explicit change-from-baseline analysis",
            vec![],
            vec![
                "--set",
                "endpoints[2].test=ancova",
                "--set",
                "endpoints[2].analysis=change_from_baseline",
            ],
            vec![
                "endpoints[2].test: analysis = \"baseline_adjusted\" goes with test = \"ancova\" and only with it",
            ],
        ),
        (
            "test that does not fit the endpoint",
            vec![],
            vec!["--set", "endpoints[9].test=welch"],
            vec!["endpoints[9].test: \"welch\" does not fit this endpoint; allowed: logrank"],
        ),
        (
            "block size not a multiple of the allocation",
            vec![],
            vec!["--set", "trial.block_size=5"],
            vec![
                "trial.block_size: must be a positive multiple of the summed allocation weights (2) (got 5)",
            ],
        ),
        (
            "last dose after follow-up",
            vec![],
            vec!["--set", "arms.msc.n_doses=12"],
            vec![
                "arms.msc.n_doses: the last dose (day 462) falls at or after the end of follow-up (day 360)",
            ],
        ),
    ]
}

fn validate(path: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let out = hfsim()
        .arg("validate")
        .arg(path)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_bad_scenario_case_gets_a_located_message_and_exit_code_2() {
    let d = dir("cases");
    let base = std::fs::read_to_string(SMALL).unwrap();
    let print = std::env::var("HFSIM_PRINT_BAD_INPUT").is_ok();
    for (i, (name, edits, extra, expected)) in cases().into_iter().enumerate() {
        let mut text = base.clone();
        for (from, to) in &edits {
            assert!(
                text.contains(from),
                "case '{name}': the fixture no longer contains {from:?}"
            );
            text = text.replacen(from, to, 1);
        }
        let path = d.join(format!("case{i}.toml"));
        std::fs::write(&path, &text).unwrap();
        let (code, msg) = validate(&path, &extra);
        assert_eq!(code, Some(2), "case '{name}': exit code {code:?}\n{msg}");
        for e in &expected {
            assert!(msg.contains(e), "case '{name}': expected {e:?} in\n{msg}");
        }
        // every line names where the problem is
        for line in msg.lines().skip(1) {
            assert!(
                line.contains(".toml:")
                    || line.contains("--set ")
                    || line.contains("(sweep point")
                    || line.trim_start().starts_with(&path.display().to_string()),
                "case '{name}': unlocated line {line:?}"
            );
        }
        if print {
            let located: Vec<&str> = msg.lines().skip(1).map(|l| l.trim()).collect();
            println!(
                "| {name} | `{}` |",
                located
                    .join("`<br>`")
                    .replace(&d.display().to_string(), "…")
            );
        }
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn several_problems_are_reported_together() {
    let d = dir("many");
    let text = std::fs::read_to_string(SMALL)
        .unwrap()
        .replace("n_per_arm = 8", "n_per_arm = 0")
        .replace("test = \"welch\"", "test = \"welsh\"")
        .replace("mean = 57.1\nsd = 12.3", "mean = 57.1\nsd = -1");
    let p = d.join("many.toml");
    std::fs::write(&p, text).unwrap();
    let (code, msg) = validate(&p, &[]);
    assert_eq!(code, Some(2));
    assert!(
        msg.contains("3 problems found") || msg.contains("problems found"),
        "{msg}"
    );
    for e in ["trial.n_per_arm", "endpoints[0].test", "age_years.sd"] {
        assert!(msg.contains(e), "{e} missing from\n{msg}");
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn unreadable_and_unwritable_paths_are_named() {
    let d = dir("paths");
    // a directory instead of a file
    let (code, msg) = validate(&d, &[]);
    assert_eq!(code, Some(2));
    assert!(msg.contains("is a directory"), "{msg}");
    // not UTF-8
    let bin = d.join("binary.toml");
    std::fs::write(&bin, [0xff, 0xfe, 0x00, 0x41]).unwrap();
    let (code, msg) = validate(&bin, &[]);
    assert_eq!(code, Some(2));
    assert!(msg.contains("not UTF-8"), "{msg}");
    // output folder is a file
    let file = d.join("afile");
    std::fs::write(&file, "x").unwrap();
    let out = hfsim()
        .args([
            "run",
            SMALL,
            "--replicates",
            "2",
            "--no-progress",
            "--out",
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!(
        "cannot use {} as the output folder: it is a file",
        file.display()
    )));
    // no permission to create the output folder (skipped when running as root, which may write anywhere)
    let locked = d.join("locked");
    std::fs::create_dir_all(&locked).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o500)).unwrap();
    if std::fs::write(locked.join("probe"), "x").is_err() {
        let target = locked.join("out");
        let out = hfsim()
            .args([
                "run",
                SMALL,
                "--replicates",
                "2",
                "--no-progress",
                "--out",
                target.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains(&target.display().to_string()));
    }
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
    // a device is never replaced by the atomic rename (e.g. --out /dev/full)
    if Path::new("/dev/full").exists() {
        let out = hfsim()
            .args([
                "simulate-patient",
                SMALL,
                "--arm",
                "msc",
                "--out",
                "/dev/full",
            ])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .contains("cannot write /dev/full: it exists and is not a regular file"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        use std::os::unix::fs::FileTypeExt;
        assert!(
            std::fs::metadata("/dev/full")
                .unwrap()
                .file_type()
                .is_char_device(),
            "/dev/full must still be a device"
        );
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn command_line_errors_are_explained_with_exit_code_2() {
    for (args, expected) in [
        (vec!["run"], "required"),
        (
            vec!["run", SMALL, "--replicates", "many"],
            "invalid value 'many'",
        ),
        (vec!["run", SMALL, "--shard", "4/4"], "need 0 <= I < N"),
        (
            vec!["run", SMALL, "--threads", "0", "--replicates", "2"],
            "--threads must be at least 1",
        ),
        (
            vec![
                "simulate-patient",
                SMALL,
                "--arm",
                "mcs",
                "--out",
                "/tmp/x.csv",
            ],
            "--arm mcs: no such arm; arms: placebo, msc",
        ),
        (
            vec![
                "power",
                "means",
                "--mean-treatment",
                "1",
                "--mean-control",
                "0",
                "--sd",
                "-1",
                "--n",
                "10",
            ],
            "sd_t must be positive",
        ),
        (vec!["nonsense"], "unrecognized subcommand"),
    ] {
        let out = hfsim().args(&args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(expected),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
