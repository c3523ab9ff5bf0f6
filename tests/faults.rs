//! Faults and a new user's friction (issue 17): tampered checkpoints,
//! concurrent runs, signals, closed pipes, thread requests, output folders
//! that hold other runs, sweeps narrowed from the command line, and what a
//! person reads (console table, manifest, results.csv, report). Each test
//! failed before the fix it covers; all run the small trial with a few
//! replicates.

use hfsim::cli::checkpoint::{RunState, write_state};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const SMALL: &str = "tests/fixtures/small_trial.toml";

fn hfsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hfsim"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hfsim-faults-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(args: &[&str]) -> Output {
    hfsim().args(args).output().expect("run hfsim")
}

fn ok(args: &[&str]) -> Output {
    let out = run(args);
    assert!(
        out.status.success(),
        "hfsim {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&read(p)).unwrap()
}

/// A small sweep over the small trial: 2 intervals x 2 anticoagulation options.
fn sweep_file(dir: &Path) -> PathBuf {
    let base = std::fs::canonicalize(SMALL).unwrap();
    let p = dir.join("small_sweep.toml");
    std::fs::write(
        &p,
        format!(
            "[scenario]\nbase = \"{}\"\nname = \"small_sweep\"\n\n[sweep.axes]\n\"arms.msc.interval_days\" = [28, 42]\n\"arms.msc.infusion_anticoagulation\" = [\"none\", \"heparin\"]\n",
            base.display()
        ),
    )
    .unwrap();
    p
}

/// An interrupted run of 20 replicates (8 done) in `dir`.
fn interrupted(dir: &Path) {
    let o = run(&[
        "run",
        SMALL,
        "--replicates",
        "20",
        "--chunk",
        "4",
        "--stop-after-chunks",
        "2",
        "--no-progress",
        "--no-plots",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
}

fn resume(dir: &Path) -> Output {
    run(&[
        "run",
        SMALL,
        "--replicates",
        "20",
        "--chunk",
        "4",
        "--no-progress",
        "--no-plots",
        "--resume",
        "--out",
        dir.to_str().unwrap(),
    ])
}

/// Finding 3: a checkpoint is trusted only if its format, checksum and
/// numbers hold; changes made with a valid checksum are caught by the
/// consistency checks, and hand edits by the checksum.
#[test]
fn a_tampered_checkpoint_is_refused_on_resume() {
    let dir = tmp("tamper");
    interrupted(&dir);
    let state_path = dir.join("state.json");
    let good = read(&state_path);
    let state: RunState = serde_json::from_str(&good).unwrap();
    type Edit = fn(&mut RunState);
    let edits: Vec<(&str, Edit, &str)> = vec![
        (
            "more rejections than replicates",
            |s| s.design_points[0].acc.endpoints[0].rejections = 99,
            "rejections among",
        ),
        (
            "a covered range beyond the run",
            |s| s.design_points[0].covered = (0, 90_000),
            "covers replicates 0..90000, not a part of 0..20",
        ),
        (
            "a reversed covered range",
            |s| s.design_points[0].covered = (8, 0),
            "covers replicates 8..0",
        ),
        (
            "a changed replicate count in the accumulator",
            |s| s.design_points[0].acc.replicates = 7,
            "its accumulator holds 7 replicates but it covers 8",
        ),
        (
            "a range that is not the run's",
            |s| s.range = (0, 19),
            "its range of replicates 0..19 is not that of 20 replicates",
        ),
    ];
    for (what, edit, expected) in edits {
        let mut s = state.clone();
        edit(&mut s);
        write_state(&state_path, &mut s).unwrap();
        let o = resume(&dir);
        assert_eq!(o.status.code(), Some(2), "{what}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("--resume refused") && stderr(&o).contains(expected),
            "{what}: {}",
            stderr(&o)
        );
    }
    // a hand edit (checksum not renewed), an unknown format
    std::fs::write(
        &state_path,
        good.replacen("\"screened\": ", "\"screened\": 1", 1),
    )
    .unwrap();
    let o = resume(&dir);
    assert!(
        stderr(&o).contains("its checksum does not match its contents"),
        "{}",
        stderr(&o)
    );
    std::fs::write(
        &state_path,
        good.replacen("\"format\": 2", "\"format\": 99", 1),
    )
    .unwrap();
    let o = resume(&dir);
    assert!(
        stderr(&o).contains("it is in format 99, which hfsim"),
        "{}",
        stderr(&o)
    );
    // the genuine checkpoint still resumes
    std::fs::write(&state_path, &good).unwrap();
    assert!(resume(&dir).status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Findings 3 and 10: merge checks every shard's checkpoint and refuses to
/// write into one of its inputs.
#[test]
fn merge_checks_its_shards_and_never_writes_into_one() {
    let dir = tmp("merge");
    let shards: Vec<PathBuf> = (0..2).map(|i| dir.join(format!("s{i}"))).collect();
    for (i, d) in shards.iter().enumerate() {
        ok(&[
            "run",
            SMALL,
            "--replicates",
            "6",
            "--shard",
            &format!("{i}/2"),
            "--no-progress",
            "--out",
            d.to_str().unwrap(),
        ]);
    }
    let (a, b) = (shards[0].to_str().unwrap(), shards[1].to_str().unwrap());
    let before = read(&shards[0].join("state.json"));
    let o = run(&["merge", a, b, "--out", a]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is one of the shards")
            && stderr(&o).contains("would overwrite that shard's checkpoint"),
        "{}",
        stderr(&o)
    );
    assert_eq!(read(&shards[0].join("state.json")), before);
    // a shard with more rejections than replicates (valid checksum)
    let p = shards[1].join("state.json");
    let mut s: RunState = serde_json::from_str(&read(&p)).unwrap();
    s.design_points[0].acc.endpoints[2].rejections = 5;
    write_state(&p, &mut s).unwrap();
    let merged = dir.join("merged");
    let o = run(&["merge", a, b, "--out", merged.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("endpoint 2: 5 rejections among"),
        "{}",
        stderr(&o)
    );
    assert!(!merged.join("summary.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Finding 6: a folder in use is refused with its holder named; a lock
/// left by a process that has ended is taken over with a note; the lock is
/// gone after a run.
#[test]
fn the_output_folder_is_locked() {
    let dir = tmp("lock");
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let host = hfsim::cli::lock::host_name();
    let holder = |pid: u32| {
        serde_json::json!({
            "pid": pid,
            "host": host,
            "started_utc": "2026-01-01T00:00:00Z",
            "command": "hfsim run other.toml",
        })
        .to_string()
    };
    let lock = out.join(".hfsim.lock");
    // held by a running process (this test)
    std::fs::write(&lock, holder(std::process::id())).unwrap();
    let args = [
        "run",
        SMALL,
        "--replicates",
        "2",
        "--no-progress",
        "--no-plots",
        "--out",
        out.to_str().unwrap(),
    ];
    let o = run(&args);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "is in use by process {} on host {host} (started 2026-01-01T00:00:00Z: hfsim run other.toml)",
            std::process::id()
        )),
        "{}",
        stderr(&o)
    );
    assert!(!out.join("summary.json").exists());
    // held by a process that has ended
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    std::fs::write(&lock, holder(dead)).unwrap();
    let o = ok(&args);
    assert!(
        stderr(&o).contains(&format!("process {dead} on host {host}"))
            && stderr(&o).contains("is no longer running; taking it over"),
        "{}",
        stderr(&o)
    );
    assert!(out.join("summary.json").is_file() && !lock.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Finding 5: thread requests are capped (and said so), and a closed
/// standard output ends a command quietly.
#[test]
fn threads_are_capped_and_a_closed_stdout_ends_quietly() {
    let dir = tmp("threads");
    let o = ok(&[
        "run",
        SMALL,
        "--replicates",
        "3",
        "--threads",
        "1500",
        "--no-progress",
        "--no-plots",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        stderr(&o).contains("note: --threads 1500 capped at"),
        "{}",
        stderr(&o)
    );
    let threads = json(&dir.join("manifest.json"))["threads"]
        .as_u64()
        .unwrap();
    assert!((1..=3).contains(&threads), "{threads}");
    // stdout is a pipe whose reader is gone before anything is written
    let dir = dir.join("closed");
    for args in [
        vec!["model"],
        vec!["validate", SMALL],
        vec![
            "run",
            SMALL,
            "--replicates",
            "2",
            "--no-progress",
            "--no-plots",
            "--out",
            dir.to_str().unwrap(),
        ],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = hfsim()
            .args(&args)
            .stdout(Stdio::from(writer))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Finding 9: SIGTERM (pre-emption by Slurm or Kubernetes) saves a
/// checkpoint and exits like Ctrl-C.
#[test]
fn sigterm_saves_a_checkpoint_like_ctrl_c() {
    let dir = tmp("sigterm");
    let out = dir.join("out");
    let child = hfsim()
        .args([
            "run",
            SMALL,
            "--replicates",
            "100000",
            "--threads",
            "1",
            "--chunk",
            "2",
            "--no-progress",
            "--no-plots",
            "--out",
            out.to_str().unwrap(),
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // the lock is taken just before the simulation starts
    let t0 = std::time::Instant::now();
    while !out.join(".hfsim.lock").exists() {
        assert!(t0.elapsed().as_secs() < 60, "the run did not start");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(stderr(&o).contains("--resume"), "{}", stderr(&o));
    let state: RunState = serde_json::from_str(&read(&out.join("state.json"))).unwrap();
    assert!(!state.complete() && state.replicates_done() > 0);
    assert!(!out.join(".hfsim.lock").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Finding 11: a replicate that cannot enrol its patients stops the run
/// with an error (as the docs say) instead of counting as not rejecting.
#[test]
fn a_replicate_that_cannot_enrol_stops_the_run() {
    let dir = tmp("enrol");
    let o = run(&[
        "run",
        SMALL,
        "--replicates",
        "20",
        "--set",
        "population.max_screening_factor=1",
        "--no-progress",
        "--no-plots",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("could not enrol its patients: screened")
            && stderr(&o).contains("raise population.max_screening_factor"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.join("summary.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Finding 8: every file in the output folder is from one run.
#[test]
fn an_output_folder_holds_one_run() {
    let dir = tmp("folder");
    let scen = sweep_file(&dir);
    let out = dir.join("out");
    let o = out.to_str().unwrap();
    ok(&[
        "sweep",
        scen.to_str().unwrap(),
        "--replicates",
        "4",
        "--no-progress",
        "--report",
        "--out",
        o,
    ]);
    assert!(out.join("report.html").is_file() && out.join("power_curves.svg").is_file());
    // another scenario into the same folder: refused, with what differs
    let other = [
        "run",
        SMALL,
        "--replicates",
        "4",
        "--no-progress",
        "--no-plots",
        "--out",
        o,
    ];
    let r = run(&other);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(
        stderr(&r).contains("holds the results of another scenario (small_sweep")
            && stderr(&r).contains("scenario.name: \"small_sweep\" then, \"small_trial\" now")
            && stderr(&r).contains("--force"),
        "{}",
        stderr(&r)
    );
    // with --force the previous run's files are gone
    let mut forced = other.to_vec();
    forced.push("--force");
    ok(&forced);
    for f in ["report.html", "power_curves.svg", "power_curves.png"] {
        assert!(
            !out.join(f).exists(),
            "{f} of the previous run is still there"
        );
    }
    assert_eq!(json(&out.join("summary.json"))["scenario"], "small_trial");
    // an interrupted rerun leaves no earlier summary behind
    let cut = [
        "run",
        SMALL,
        "--replicates",
        "20",
        "--chunk",
        "4",
        "--stop-after-chunks",
        "1",
        "--no-progress",
        "--no-plots",
        "--force",
        "--out",
        o,
    ];
    assert_eq!(run(&cut).status.code(), Some(130));
    assert!(!out.join("summary.json").exists() && !out.join("results.csv").exists());
    // an interrupted run is not discarded by a rerun without --resume
    let d2 = dir.join("out2");
    interrupted(&d2);
    let r = run(&[
        "run",
        SMALL,
        "--replicates",
        "20",
        "--chunk",
        "4",
        "--no-progress",
        "--no-plots",
        "--out",
        d2.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(
        stderr(&r).contains("holds an interrupted run of this scenario (8 of 20 replicates done): continue it with --resume"),
        "{}",
        stderr(&r)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Finding 8: with --set and no --out the default folder names the overrides.
#[test]
fn the_default_folder_names_the_overrides() {
    let dir = tmp("default");
    let small = std::fs::canonicalize(SMALL).unwrap();
    let o = hfsim()
        .current_dir(&dir)
        .args([
            "run",
            small.to_str().unwrap(),
            "--replicates",
            "2",
            "--no-progress",
            "--no-plots",
            "--set",
            "arms.msc.interval_days=28",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        dir.join("out/small_trial+arms.msc.interval_days=28/summary.json")
            .is_file()
    );
    assert!(!dir.join("out/small_trial").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Finding 7: `--set` on a swept key wins (with a warning), and `--point K`
/// runs design point K alone, with the same numbers as in the whole sweep
/// (common random numbers).
#[test]
fn a_swept_key_can_be_set_and_one_design_point_run() {
    let dir = tmp("point");
    let scen = sweep_file(&dir);
    let s = scen.to_str().unwrap();
    let all = dir.join("all");
    ok(&[
        "sweep",
        s,
        "--replicates",
        "6",
        "--no-progress",
        "--no-plots",
        "--out",
        all.to_str().unwrap(),
    ]);
    let one = dir.join("one");
    let o = ok(&[
        "run",
        s,
        "--point",
        "3",
        "--replicates",
        "6",
        "--no-progress",
        "--no-plots",
        "--out",
        one.to_str().unwrap(),
    ]);
    assert!(
        stderr(&o).contains("design point 3 of 4: arms.msc.interval_days=42, arms.msc.infusion_anticoagulation=\"heparin\""),
        "{}",
        stderr(&o)
    );
    let (a, b) = (
        json(&all.join("summary.json")),
        json(&one.join("summary.json")),
    );
    assert_eq!(b["design_points"].as_array().unwrap().len(), 1);
    assert_eq!(
        a["design_points"][3]["endpoints"], b["design_points"][0]["endpoints"],
        "design point 3 alone differs from the sweep's"
    );
    let set = dir.join("set");
    let o = ok(&[
        "sweep",
        s,
        "--replicates",
        "6",
        "--set",
        "arms.msc.interval_days=42",
        "--no-progress",
        "--no-plots",
        "--out",
        set.to_str().unwrap(),
    ]);
    assert!(
        stderr(&o).contains("warning: --set arms.msc.interval_days=42: arms.msc.interval_days: replaces the sweep axis `arms.msc.interval_days` = [28, 42]: every design point uses 42"),
        "{}",
        stderr(&o)
    );
    let c = json(&set.join("summary.json"));
    assert_eq!(c["design_points"].as_array().unwrap().len(), 2);
    assert_eq!(
        a["design_points"][3]["endpoints"],
        c["design_points"][1]["endpoints"]
    );
    assert_eq!(c["warnings"][0]["kind"], "override_replaces_axis");
    // out of range
    let o = run(&["run", s, "--point", "4", "--replicates", "2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--point 4: the sweep has 4 design points (0 to 3)"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Finding 16: after a resume, the manifest's speed covers every segment.
#[test]
fn a_resumed_run_reports_its_speed_over_every_segment() {
    let dir = tmp("speed");
    interrupted(&dir);
    assert!(resume(&dir).status.success());
    let m = json(&dir.join("manifest.json"));
    let state: RunState = serde_json::from_str(&read(&dir.join("state.json"))).unwrap();
    assert_eq!(m["segments"], 2);
    let patients = m["patients_simulated"].as_u64().unwrap() as f64;
    let pps = m["patients_per_second"].as_u64().expect("a whole number") as f64;
    assert!(
        (pps - patients / state.wall_time_s).abs() <= 1.0,
        "{pps} vs {} patients in {} s",
        patients,
        state.wall_time_s
    );
    let wall = m["wall_time_s"].as_f64().unwrap();
    assert!(
        (wall * 1000.0 - (wall * 1000.0).round()).abs() < 1e-6,
        "wall time rounded to ms: {wall}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Findings 17 and 18: the console table states alpha, sides and units; a
/// sweep prints one compact table; results.csv is one long table with the
/// same columns for every scenario.
#[test]
fn what_a_person_reads_is_compact_and_says_its_units() {
    let dir = tmp("read");
    let single = dir.join("single");
    let o = ok(&[
        "run",
        SMALL,
        "--replicates",
        "4",
        "--no-progress",
        "--no-plots",
        "--out",
        single.to_str().unwrap(),
    ]);
    let table = String::from_utf8_lossy(&o.stdout);
    let rvesv = table
        .lines()
        .find(|l| l.starts_with("delta_rvesv_mri_d180"))
        .unwrap();
    assert!(
        rvesv.contains("0.05 two-sided") && rvesv.contains(" mL "),
        "{table}"
    );
    assert!(table.lines().next().unwrap().contains("alpha"), "{table}");
    let csv = read(&single.join("results.csv"));
    let header = csv.lines().next().unwrap();
    assert_eq!(
        header,
        "design_point,endpoint,role,test,alpha,alternative,replicates,power,power_mcse,power_ci_low,power_ci_high,power_favourable,power_favourable_mcse,power_harmful,power_harmful_mcse,n_analysable,n_not_analysable,effect_measure,effect_scale,effect_mean,effect_sd,effect_median,effect_q025,effect_q975,analytic_power,control_arm,treatment_arm,control_n_mean,treatment_n_mean,control_mean,treatment_mean,control_sd,treatment_sd,control_event_rate,treatment_event_rate,assurance,assurance_mcse,assurance_ci_low,assurance_ci_high"
    );
    assert!(!header.contains("placebo") && !header.contains("msc"));
    assert!(csv.lines().nth(1).unwrap().contains(",placebo,msc,"));
    assert!(!single.join("power.csv").exists() && !single.join("sweep.csv").exists());
    let scen = sweep_file(&dir);
    let sweep = dir.join("sweep");
    let o = ok(&[
        "sweep",
        scen.to_str().unwrap(),
        "--replicates",
        "4",
        "--no-progress",
        "--no-plots",
        "--out",
        sweep.to_str().unwrap(),
    ]);
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.lines().count() < 40,
        "a sweep of 4 points x 12 endpoints prints {} lines:\n{table}",
        table.lines().count()
    );
    assert!(
        table.contains("E12") && table.contains("interval_days"),
        "{table}"
    );
    let csv = read(&sweep.join("results.csv"));
    assert!(csv.starts_with(
        "design_point,arms.msc.interval_days,arms.msc.infusion_anticoagulation,endpoint,role,test,"
    ));
    assert_eq!(csv.lines().count(), 1 + 4 * 12);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Findings 15 and 19: warnings reach summary.json and the report; the
/// report has a shading scale for its heat map, says when no calibration
/// is shown, and labels bound targets as bounds.
#[test]
fn the_report_shows_warnings_its_scale_and_what_is_not_shown() {
    let dir = tmp("report");
    let scen = sweep_file(&dir);
    let out = dir.join("out");
    ok(&[
        "sweep",
        scen.to_str().unwrap(),
        "--replicates",
        "4",
        "--no-progress",
        "--report",
        "--out",
        out.to_str().unwrap(),
    ]);
    let summary = json(&out.join("summary.json"));
    let w = &summary["warnings"][0];
    assert_eq!(w["kind"], "schedules_differ");
    assert_eq!(w["key"], "arms.msc.interval_days");
    assert!(
        w["message"]
            .as_str()
            .unwrap()
            .contains("(design points 0, 1 of 4)")
    );
    let html = read(&out.join("report.html"));
    assert!(
        html.contains("<h2 id=\"warnings\">Warnings</h2>"),
        "warnings section"
    );
    assert!(html.contains("Shading: power"), "heat map scale");
    assert!(
        html.contains("No calibration is shown: no calibration.json was found"),
        "missing calibration said"
    );
    // a calibration with a bound target
    let cal = dir.join("calibration.json");
    std::fs::write(
        &cal,
        serde_json::json!({
            "scenario": "small_sweep", "seed": 1, "replicates": 40,
            "targets": [{
                "name": "ddimer_d180_msc_median", "group": "outcome",
                "description": "median D-dimer at day 180, at most the upper limit of normal",
                "unit": "mg/L", "published": 0.5, "kind": "upper_bound",
                "simulated": [0.3, 0.4, 0.45], "simulated_mean": 0.38,
                "simulated_median": 0.4, "simulated_low": 0.3, "simulated_high": 0.45,
                "percentile": 90.0, "pass": true
            }],
            "patterns": []
        })
        .to_string(),
    )
    .unwrap();
    let run_out = dir.join("single");
    ok(&[
        "run",
        SMALL,
        "--replicates",
        "2",
        "--no-progress",
        "--report",
        "--calibration",
        cal.to_str().unwrap(),
        "--out",
        run_out.to_str().unwrap(),
    ]);
    let html = read(&run_out.join("report.html"));
    assert!(
        html.contains("upper bound 0.500"),
        "bound target shown as a bound"
    );
    // no warnings, no section (the plausibility audit of the model may
    // warn here: then the section shows it)
    let single = json(&run_out.join("summary.json"));
    let warned = single["warnings"].as_array().is_some_and(|w| !w.is_empty());
    assert_eq!(
        html.contains("<h2 id=\"warnings\">"),
        warned,
        "a warnings section exactly when summary.json has warnings"
    );
    if warned {
        assert!(
            html.contains("patient-visits"),
            "the plausibility warning shown"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Finding 2: design points keep their checked scenario but not their
/// document, so memory grows with the number of points, not its square.
#[test]
fn design_points_do_not_keep_the_sweep_document() {
    let base = std::fs::canonicalize(SMALL).unwrap();
    let values: Vec<String> = (1..=400).map(|i| i.to_string()).collect();
    let text = format!(
        "[scenario]\nbase = \"{}\"\nname = \"wide\"\n\n[sweep]\nmode = \"zip\"\n\n[sweep.axes]\n\"run.seed\" = [{}]\n",
        base.display(),
        values.join(", ")
    );
    let dir = tmp("wide");
    let p = dir.join("wide.toml");
    std::fs::write(&p, text).unwrap();
    let loaded = hfsim::scenario::load_file(&p, &[]).unwrap();
    let points = hfsim::scenario::design_points(&loaded).unwrap();
    assert_eq!(points.len(), 400);
    for (dp, l) in &points {
        assert!(l.resolved.is_empty() && l.source.doc.is_empty());
        assert!(l.spec.sweep.is_none());
        assert_eq!(l.scenario.run.seed, dp.index as u64 + 1);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Finding 19: overlapping power curves differ in marker and dash.
#[test]
fn overlapping_power_curves_are_told_apart() {
    use hfsim::plots::Layer;
    let dir = tmp("curves");
    let scen = sweep_file(&dir);
    let loaded = hfsim::scenario::load_file(&scen, &[]).unwrap();
    let points = hfsim::scenario::design_points(&loaded).unwrap();
    let state = RunState {
        format: 2,
        hfsim_version: String::new(),
        scenario: String::new(),
        scenario_sha256: loaded.sha256.clone(),
        seed: 1,
        replicates: 0,
        shard: None,
        range: (0, 0),
        design_points: points
            .iter()
            .enumerate()
            .map(|(i, (_, l))| hfsim::cli::checkpoint::DesignState {
                index: i,
                covered: (0, 0),
                acc: hfsim::summary::DesignAcc::new(&l.scenario),
            })
            .collect(),
        wall_time_s: 0.0,
        segments: 1,
        checksum: String::new(),
        warnings: Vec::new(),
        scenario_file: String::new(),
    };
    let summary = hfsim::cli::results::build_summary(&loaded, &points, &state);
    let fig = hfsim::plots::figures::power_curves(&summary, &points, false).unwrap();
    let lines: Vec<(bool, Option<hfsim::plots::Marker>)> = fig.panels[0]
        .layers
        .iter()
        .filter_map(|l| match l {
            Layer::Line { dashed, marker, .. } => Some((*dashed, *marker)),
            _ => None,
        })
        .collect();
    assert_eq!(lines.len(), 2, "one line per anticoagulation option");
    assert_ne!(lines[0], lines[1], "the two lines look alike: {lines:?}");
    assert!(lines[0].1.is_some() && lines[1].1.is_some());
    let _ = std::fs::remove_dir_all(&dir);
}
