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
        // issue 17
        (
            "empty scenario name",
            vec![],
            vec!["--set", "scenario.name=\"\""],
            vec!["scenario.name: must not be empty (it names the output folder"],
        ),
        (
            "replicates far too many, said as such",
            vec![],
            vec!["--set", "run.replicates=1e18"],
            vec!["run.replicates: must be at most 9000000000000000 (found 1e18)"],
        ),
        (
            "a fraction where a whole number is needed, reported once",
            vec![("n_per_arm = 8", "n_per_arm = 60.5")],
            vec![],
            vec!["trial.n_per_arm: must be a whole number (found 60.5)"],
        ),
        (
            "a logit-normal parameter at the end of its range",
            vec![],
            vec!["--set", "model.iv_lung_extraction_fraction=0"],
            vec![
                "model.iv_lung_extraction_fraction: must be in (0, 0.999] fraction: it varies between patients on the logit scale, which excludes 0 and 1 (got 0)",
            ],
        ),
        (
            "a word in capitals",
            vec![],
            vec!["--set", "endpoints[0].modality=\"MRI\""],
            vec!["\"MRI\" is not allowed (did you mean \"mri\"?)"],
        ),
        (
            "a test by its textbook name",
            vec![],
            vec!["--set", "endpoints[1].test=\"t-test\""],
            vec!["\"t-test\" is not allowed (did you mean \"welch\"?)"],
        ),
        (
            "sweep axis on run.replicates",
            vec![],
            vec!["--set", "sweep.axes.\"run.replicates\"=[2, 50]"],
            vec![
                "`run.replicates` cannot be a sweep axis: every design point runs the same replicates",
            ],
        ),
        (
            "sweep axis on scenario.base",
            vec![],
            vec!["--set", "sweep.axes.\"scenario.base\"=[\"other.toml\"]"],
            vec!["`scenario.base` cannot be a sweep axis"],
        ),
        (
            "sweep axis on sweep.mode",
            vec![],
            vec![
                "--set",
                "sweep.axes.\"sweep.mode\"=[\"zip\", \"factorial\"]",
            ],
            vec!["`sweep.mode` cannot be a sweep axis: the sweep cannot sweep itself"],
        ),
        (
            "--set scenario.base",
            vec![],
            vec!["--set", "scenario.base=other.toml"],
            vec!["scenario.base: the base is read with the file and cannot be set with --set"],
        ),
        (
            "--set of an integer beyond TOML's range",
            vec![],
            vec!["--set", "run.seed=18446744073709551615"],
            vec!["18446744073709551615 is beyond the range of TOML integers"],
        ),
        (
            "--set with a line break",
            vec![],
            vec!["--set", "trial.n_per_arm=9\n[run]\nseed=1"],
            vec!["contains a control character ('\\n'); give one key.path=value per --set"],
        ),
    ]
}

/// 64 two-valued axes (2^64 points) and one axis of 10,001 values: refused
/// before any point is built.
#[test]
fn design_points_are_counted_before_they_are_built() {
    let mut many: Vec<String> = Vec::new();
    for i in 0..64 {
        many.push("--set".into());
        many.push(format!("sweep.axes.\"model.x{i}\"=[1, 2]"));
    }
    let args: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
    let (code, msg) = validate(Path::new(SMALL), &args);
    assert_eq!(code, Some(2), "{msg}");
    assert!(
        msg.contains(
            "the full factorial of 64 axes has more than 18446744073709551615 design points"
        ),
        "{msg}"
    );
    let values: Vec<String> = (0..10_001).map(|i| i.to_string()).collect();
    let wide = format!("sweep.axes.\"run.seed\"=[{}]", values.join(","));
    let (code, msg) = validate(Path::new(SMALL), &["--set", &wide]);
    assert_eq!(code, Some(2), "{msg}");
    assert!(
        msg.contains("the sweep has 10001 design points (10001); at most 10000"),
        "{msg}"
    );
}

/// A value the reader could not read gets one message, not a second one
/// about the default that stood in for it.
#[test]
fn an_unreadable_value_gets_one_message() {
    let d = dir("once");
    let p = d.join("frac.toml");
    let text = std::fs::read_to_string(SMALL)
        .unwrap()
        .replace("n_per_arm = 8", "n_per_arm = 60.5");
    std::fs::write(&p, text).unwrap();
    let (code, msg) = validate(&p, &[]);
    assert_eq!(code, Some(2));
    assert!(msg.contains("1 problem found"), "{msg}");
    assert!(!msg.contains("1..=100000"), "{msg}");
    let _ = std::fs::remove_dir_all(&d);
}

/// Plausible slips are warnings (exit 0, located), not errors.
#[test]
fn plausible_slips_are_warned_about_not_refused() {
    for (set, expected) in [
        (
            "arms.msc.interval_days=6",
            "arms.msc.interval_days: 6 days is far below the range given to patients by this route (28 to 180 days) (weeks written as days?)",
        ),
        (
            "arms.msc.infusion_duration_hours=60",
            "arms.msc.infusion_duration_hours: 60 hours is far above the range given to patients by this route (up to 2 hours) (minutes written as hours?)",
        ),
        (
            "arms.msc.dose_cells_per_kg=1e8",
            "arms.msc.dose_cells_per_kg: 1e8 cells/kg is far above the range given to patients by this route (5e5 to 5e6 cells/kg)",
        ),
        (
            "arms.msc.interval_days=28",
            "arms.msc.interval_days: arm msc is dosed on days 0, 28, 56 but arm placebo on days 0, 42, 84: the placebo no longer blinds the schedule",
        ),
    ] {
        let (code, msg) = validate(Path::new(SMALL), &["--set", set]);
        assert_eq!(code, Some(0), "{set}: {msg}");
        assert!(
            msg.contains(&format!("warning: --set {set}: {expected}")),
            "{set}: {msg}"
        );
    }
    // the schedule warning names the visits timed to the placebo's doses
    let (_, msg) = validate(Path::new(SMALL), &["--set", "arms.msc.interval_days=28"]);
    assert!(
        msg.contains("visits timed to the doses of one arm only: V5 (day 42)"),
        "{msg}"
    );
    // the library's default scenario has none (the scenario's own checks:
    // the plausibility audit of the model is tests/plausibility.rs's)
    let (code, msg) = validate(
        Path::new("scenarios/prime_hfref.toml"),
        &["--audit-replicates", "0"],
    );
    assert_eq!(code, Some(0));
    assert!(!msg.contains("warning"), "{msg}");
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

/// Run hfsim and give up (killing it) after `secs`: a read that never ends
/// fails the test instead of hanging it.
fn within(secs: u64, args: &[&str]) -> (Option<i32>, String) {
    let mut child = hfsim()
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return (status.code(), err);
        }
        if start.elapsed().as_secs() >= secs {
            let _ = child.kill();
            let _ = child.wait();
            panic!("hfsim {args:?} did not finish within {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Devices, pipes, huge files and odd base chains: refused at once with the
/// file and the reason (issue 17, findings 1 and 14).
#[test]
fn devices_pipes_huge_files_and_base_chains_are_handled() {
    let d = dir("files");
    let small = std::fs::canonicalize(SMALL).unwrap();
    // a device, directly and as a base
    if Path::new("/dev/zero").exists() {
        let (code, msg) = within(10, &["validate", "/dev/zero"]);
        assert_eq!(code, Some(2), "{msg}");
        assert!(
            msg.contains("/dev/zero: is not a regular file (a device, pipe or socket)"),
            "{msg}"
        );
        let z = d.join("zero_base.toml");
        std::fs::write(&z, "[scenario]\nbase = \"/dev/zero\"\nname = \"z\"\n").unwrap();
        let (code, msg) = within(10, &["validate", z.to_str().unwrap()]);
        assert_eq!(code, Some(2), "{msg}");
        assert!(
            msg.contains("zero_base.toml:2:1: scenario.base: cannot read the base scenario /dev/zero: is not a regular file"),
            "{msg}"
        );
        let (code, msg) = within(
            10,
            &["run", SMALL, "--report", "--calibration", "/dev/zero"],
        );
        assert_eq!(code, Some(2), "{msg}");
        assert!(
            msg.contains("--calibration: cannot read /dev/zero: is not a regular file"),
            "{msg}"
        );
    }
    // a FIFO nobody writes to
    let fifo = d.join("pipe.toml");
    if Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        let (code, msg) = within(10, &["validate", fifo.to_str().unwrap()]);
        assert_eq!(code, Some(2), "{msg}");
        assert!(msg.contains("is not a regular file"), "{msg}");
    }
    // larger than the cap (1 MiB)
    let big = d.join("big.toml");
    let mut text = std::fs::read_to_string(SMALL).unwrap();
    text.push_str(&format!("# {}\n", "x".repeat(1 << 20)));
    std::fs::write(&big, &text).unwrap();
    let (code, msg) = within(10, &["validate", big.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{msg}");
    assert!(
        msg.contains("more than a scenario file may have (1048576 bytes)"),
        "{msg}"
    );
    // invalid UTF-8: line, column and byte
    let bad = d.join("latin1.toml");
    let mut bytes = b"[scenario]\nname = \"caf".to_vec();
    bytes.push(0xe9);
    bytes.extend_from_slice(b"\"\n");
    std::fs::write(&bad, bytes).unwrap();
    let (code, msg) = within(10, &["validate", bad.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{msg}");
    assert!(
        msg.contains("latin1.toml:2:12: not UTF-8 text: invalid byte 0xe9 (byte 22)"),
        "{msg}"
    );
    // a chain of 6 bases is fine; a cycle is named as one
    for i in 1..=5 {
        std::fs::write(
            d.join(format!("chain{i}.toml")),
            format!(
                "[scenario]\nbase = \"chain{}.toml\"\nname = \"chain{i}\"\n",
                i + 1
            ),
        )
        .unwrap();
    }
    std::fs::write(
        d.join("chain6.toml"),
        format!(
            "[scenario]\nbase = \"{}\"\nname = \"chain6\"\n",
            small.display()
        ),
    )
    .unwrap();
    let (code, msg) = within(10, &["validate", d.join("chain1.toml").to_str().unwrap()]);
    assert_eq!(code, Some(0), "{msg}");
    std::fs::write(
        d.join("loop_a.toml"),
        "[scenario]\nbase = \"loop_b.toml\"\nname = \"a\"\n",
    )
    .unwrap();
    std::fs::write(
        d.join("loop_b.toml"),
        "[scenario]\nbase = \"loop_a.toml\"\nname = \"b\"\n",
    )
    .unwrap();
    let (code, msg) = within(10, &["validate", d.join("loop_a.toml").to_str().unwrap()]);
    assert_eq!(code, Some(2), "{msg}");
    assert!(
        msg.contains("the base scenarios form a cycle:")
            && msg.contains("loop_a.toml -> ")
            && msg.contains("loop_b.toml -> "),
        "{msg}"
    );
    // a dangling symbolic link as the output folder
    let link = d.join("dangling");
    std::os::unix::fs::symlink(d.join("nowhere"), &link).unwrap();
    let (code, msg) = within(
        30,
        &[
            "run",
            SMALL,
            "--replicates",
            "2",
            "--no-progress",
            "--out",
            link.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(1), "{msg}");
    assert!(
        msg.contains("it is a symbolic link to") && msg.contains("which does not exist"),
        "{msg}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

/// An endpoint added in a derived file is located in that file, and a
/// multiplicity family of the base broken by a replaced endpoint list is
/// named, with the way out (issue 17, findings 14 and 20).
#[test]
fn derived_endpoints_are_located_in_the_derived_file_and_can_extend_the_base() {
    let d = dir("derived");
    let small = std::fs::canonicalize(SMALL).unwrap();
    let head = format!(
        "[scenario]\nbase = \"{}\"\nname = \"derived\"\n\n",
        small.display()
    );
    let endpoint = |table: &str, name: &str, visit: &str| {
        format!(
            "[[{table}]]\nname = \"{name}\"\nquantity = \"tapse\"\nmodality = \"echo\"\n{visit}\n"
        )
    };
    // [[endpoints_extend]] keeps the base's 12 endpoints and its family
    let ext = d.join("extend.toml");
    std::fs::write(
        &ext,
        format!(
            "{head}{}",
            endpoint("endpoints_extend", "delta_tapse_d90", "visit = \"V11\"")
        ),
    )
    .unwrap();
    let out = hfsim()
        .args(["validate", ext.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("ok (13 endpoints"), "{stdout}");
    // an extended endpoint without its visit: the derived file's line
    std::fs::write(
        &ext,
        format!(
            "{head}{}{}",
            endpoint("endpoints_extend", "delta_tapse_d90", "visit = \"V11\""),
            endpoint("endpoints_extend", "no_visit", "")
        ),
    )
    .unwrap();
    let (code, msg) = validate(&ext, &[]);
    assert_eq!(code, Some(2));
    assert!(
        msg.contains("extend.toml:10:1: endpoints[13].visit: a continuous endpoint needs the follow-up `visit`"),
        "{msg}"
    );
    // [[endpoints]] replaces the list: the same in a replaced list, and the
    // base's family that names the base's endpoints is explained
    let rep = d.join("replace.toml");
    std::fs::write(
        &rep,
        format!(
            "{head}{}{}",
            endpoint("endpoints", "delta_tapse_d180", "visit = \"V11\""),
            endpoint("endpoints", "no_visit", "")
        ),
    )
    .unwrap();
    let (code, msg) = validate(&rep, &[]);
    assert_eq!(code, Some(2));
    assert!(
        msg.contains("replace.toml:10:1: endpoints[1].visit: a continuous endpoint needs the follow-up `visit`"),
        "{msg}"
    );
    assert!(
        msg.contains("the family \"rv_volumes\" comes from the base scenario, and this file's [[endpoints]] replaces the base's list; add endpoints with [[endpoints_extend]]"),
        "{msg}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

/// Rust spellings never reach the user, and a misspelt option gets a hint.
#[test]
fn messages_use_the_files_spellings_and_options_get_a_hint() {
    let out = hfsim()
        .args(["power", "means", "--power", "0.8"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(
        msg.contains("tip: a similar argument exists: '--target-power'"),
        "{msg}"
    );
    let d = dir("spell");
    let csv = d.join("p.csv");
    let out = hfsim()
        .args([
            "simulate-patient",
            SMALL,
            "--arm",
            "msc",
            "--out",
            csv.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{msg}");
    assert!(
        msg.contains("anticoagulant none;")
            || msg.contains("anticoagulant vka;")
            || msg.contains("anticoagulant noac;"),
        "{msg}"
    );
    let _ = std::fs::remove_dir_all(&d);
}
