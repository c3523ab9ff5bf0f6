//! Sequential designs: the Bayesian rules against R, Bayesian and yes/no
//! designs through the pipeline, reproducibility across threads and shards
//! (with sample-size re-estimation, whose extra patients are simulated only
//! when needed), and clear errors for bad `[trial.sequential]` tables.

use hfsim::model::fast::FastOptions;
use hfsim::rng::DesignSlot;
use hfsim::runner::{Resume, RunOptions, Silent, run_design_point};
use hfsim::scenario::{Location, Override};
use hfsim::sequential::bayes::{
    Beta, beta_predictive_success, normal_posterior, normal_predictive_success,
    prob_difference_exceeds,
};
use hfsim::summary::DesignAcc;
use hfsim::trial::{Method, TrialContext};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bayes_fixture() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string("tests/fixtures/sequential/bayes_reference.json").unwrap(),
    )
    .unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn prior(c: &Value) -> Option<(f64, f64)> {
    c["prior_sd"].as_f64().map(|sd| (f(&c["prior_mean"]), sd))
}

#[test]
fn the_conjugate_normal_posterior_probability_matches_its_closed_form_to_1e_12() {
    let fx = bayes_fixture();
    let cases = fx["normal"].as_array().unwrap();
    assert!(cases.len() >= 50);
    let mut worst: f64 = 0.0;
    for c in cases {
        let post = normal_posterior(prior(c), f(&c["estimate"]), f(&c["se"]));
        let p = post.prob_exceeds(f(&c["threshold"]));
        let r = f(&c["probability"]);
        worst = worst.max((p - r).abs());
        assert!((p - r).abs() <= 1e-12, "{c}: {p} vs {r}");
        // R's numerical integration of prior x likelihood agrees too
        assert!((r - f(&c["numerical"])).abs() < 1e-9);
    }
    eprintln!("conjugate normal posterior: largest difference from R {worst:.1e}");
}

#[test]
fn predictive_and_beta_binomial_probabilities_match_r() {
    let fx = bayes_fixture();
    let mut worst = [0.0f64; 3];
    for c in fx["normal_predictive"].as_array().unwrap() {
        let p = normal_predictive_success(
            prior(c),
            f(&c["estimate"]),
            f(&c["se"]),
            f(&c["info_final"]),
            f(&c["threshold"]),
            f(&c["success"]),
        );
        let r = f(&c["probability"]);
        worst[0] = worst[0].max((p - r).abs());
        assert!((p - r).abs() < 1e-9, "{c}: {p} vs {r}");
    }
    let beta = |a: &Value, b: &Value| Beta { a: f(a), b: f(b) };
    for c in fx["beta"].as_array().unwrap() {
        let p = prob_difference_exceeds(
            beta(&c["ax"], &c["bx"]),
            beta(&c["ay"], &c["by"]),
            f(&c["threshold"]),
        );
        let r = f(&c["probability"]);
        worst[1] = worst[1].max((p - r).abs());
        assert!((p - r).abs() < 1e-10, "{c}: {p} vs {r}");
    }
    for c in fx["beta_predictive"].as_array().unwrap() {
        let p = beta_predictive_success(
            beta(&c["ax"], &c["bx"]),
            beta(&c["ay"], &c["by"]),
            c["m_x"].as_u64().unwrap(),
            c["m_y"].as_u64().unwrap(),
            f(&c["threshold"]),
            f(&c["success"]),
        );
        let r = f(&c["probability"]);
        worst[2] = worst[2].max((p - r).abs());
        assert!((p - r).abs() < 1e-10, "{c}: {p} vs {r}");
    }
    eprintln!(
        "largest differences from R: normal predictive {:.1e}, beta posterior {:.1e}, beta-binomial predictive {:.1e}",
        worst[0], worst[1], worst[2]
    );
}

fn run_summary(file: &str, set: &[&str], replicates: u64) -> hfsim::sequential::SequentialSummary {
    let overrides: Vec<Override> = set.iter().map(|s| Override::parse(s).unwrap()).collect();
    let s = hfsim::scenario::load_file(Path::new(file), &overrides)
        .unwrap()
        .scenario;
    let ctx = TrialContext::new(
        s.clone(),
        DesignSlot::Shared,
        Method::Fast(FastOptions::default()),
    );
    let (acc, done) = run_design_point(
        &ctx,
        0,
        0..replicates,
        Resume {
            acc: DesignAcc::new(&s),
            covered_from: 0,
        },
        &RunOptions {
            chunk: 256,
            export_replicates: 0,
            failures_allowed: u64::MAX,
        },
        &mut Silent,
        &mut Vec::new(),
    )
    .unwrap();
    assert!(done);
    hfsim::summary::summarize(&s, &acc, Default::default())
        .sequential
        .unwrap()
}

#[test]
fn bayesian_rules_run_through_the_pipeline_for_normal_and_yes_no_endpoints() {
    // normal likelihood, flat prior: under the null the success rate stays
    // near the one-sided 0.025 of the nominal levels, and the predictive
    // probability stops many trials for futility at the interim looks
    let q = run_summary("tests/fixtures/sequential_bayes.toml", &[], 2000);
    assert!(q.power.power < 0.06, "{:?}", q.power);
    let futility: f64 = q.per_look.iter().map(|l| l.stop_futility.power).sum();
    assert!(futility > 0.3, "futility stops {futility}");
    assert!(q.expected_n_enrolled.mean <= 30.0);
    assert!(q.per_look[0].efficacy_bound == Some(0.999));
    // beta-binomial on a yes/no endpoint (any serious adverse event by day 360)
    let q = run_summary(
        "tests/fixtures/sequential_bayes.toml",
        &[
            "trial.sequential.primary=sae_fisher",
            "endpoints[4].alternative=less",
            "endpoints[4].alpha=0.025",
            "trial.sequential.bayesian.efficacy_probability=0.95",
        ],
        600,
    );
    assert!(q.design.contains("Bayesian") && q.primary == "sae_fisher");
    assert!(q.power.power < 0.1, "{:?}", q.power);
    // the looks wait for complete windows: the mean look day is after the
    // 360-day window of the first tenth of the patients
    assert!(q.per_look[0].day_mean.unwrap() > 360.0);
}

fn hfsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hfsim"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hfsim-seq-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn run_ok(args: &[&str]) {
    let out = hfsim().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "hfsim {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sequential_runs_are_identical_across_threads_and_shards() {
    let file = "tests/fixtures/sequential_null_ssr.toml";
    let common = ["--replicates", "30", "--no-progress", "--no-plots"];
    let dirs: Vec<PathBuf> = ["t1", "t2", "s0", "s1", "m"]
        .iter()
        .map(|n| tmp(n))
        .collect();
    let d = |i: usize| dirs[i].to_str().unwrap().to_string();
    let mut a = vec!["run", file, "--threads", "1", "--out"];
    let (d0, d1, d2, d3, d4) = (d(0), d(1), d(2), d(3), d(4));
    a.push(&d0);
    a.extend(common);
    run_ok(&a);
    let mut b = vec!["run", file, "--threads", "2", "--out", &d1];
    b.extend(common);
    run_ok(&b);
    for (i, dir) in [(0, &d2), (1, &d3)] {
        let shard = format!("{i}/2");
        let mut c = vec!["run", file, "--out", dir, "--shard", &shard];
        c.extend(common);
        run_ok(&c);
    }
    run_ok(&["merge", &d2, &d3, "--out", &d4]);
    let read = |i: usize| std::fs::read_to_string(dirs[i].join("summary.json")).unwrap();
    assert_eq!(read(0), read(1), "1 thread vs 2 threads");
    assert_eq!(read(0), read(4), "one run vs two shards merged");
    let v: Value = serde_json::from_str(&read(0)).unwrap();
    let q = &v["design_points"][0]["sequential"];
    assert_eq!(q["replicates"], 30);
    assert!(q["per_look"].as_array().unwrap().len() == 3);
    assert!(
        std::fs::read_to_string(dirs[0].join("sequential.csv"))
            .unwrap()
            .starts_with("design_point,look,")
    );
    for dir in &dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn bad_sequential_tables_are_explained_with_file_line_and_key() {
    let dir = tmp("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let base = std::fs::canonicalize("tests/fixtures/small_trial.toml").unwrap();
    let write = |name: &str, body: &str| {
        let p = dir.join(name);
        std::fs::write(
            &p,
            format!(
                "[scenario]\nbase = \"{}\"\nname = \"bad\"\n\n{body}",
                base.display()
            ),
        )
        .unwrap();
        p
    };
    let messages = |p: &Path| {
        let e = hfsim::scenario::load_file(p, &[]).unwrap_err();
        for i in &e.issues {
            assert!(
                matches!(
                    i.location,
                    Location::File { .. } | Location::OtherFile { .. }
                ),
                "{i:?} has no line"
            );
        }
        e.issues
            .iter()
            .map(|i| format!("{}: {}", i.path, i.message))
            .collect::<Vec<_>>()
    };
    // a two-sided primary endpoint and no accrual
    let m = messages(&write(
        "a.toml",
        "[trial.sequential]\nprimary = \"delta_tapse_d180\"\nlooks = 3\n",
    ));
    assert!(
        m.iter()
            .any(|x| x.contains("endpoints[5].alternative") && x.contains("one-sided alternative")),
        "{m:?}"
    );
    assert!(
        m.iter()
            .any(|x| x.starts_with("trial.accrual") && x.contains("staggered entry")),
        "{m:?}"
    );
    // unknown primary (with a suggestion), fractions not ending at 1,
    // an unknown key, a bad accrual
    let m = messages(&write(
        "b.toml",
        "[trial.accrual]\nrate_per_month = -2\n\n[trial.sequential]\nprimary = \"delta_tapse_d18\"\ninformation_fractions = [0.5, 0.9]\nfutlity = \"none\"\n",
    ));
    assert!(
        m.iter()
            .any(|x| x.contains("did you mean \"delta_tapse_d180\"")),
        "{m:?}"
    );
    assert!(
        m.iter()
            .any(|x| x.contains("trial.sequential.futlity") && x.contains("futility")),
        "{m:?}"
    );
    assert!(
        m.iter().any(|x| x.contains("trial.accrual.rate_per_month")),
        "{m:?}"
    );
    // the fractions are checked once the primary is known
    let m = messages(&write(
        "c.toml",
        "[trial.accrual]\nrate_per_month = 2\n\n[trial.sequential]\nprimary = \"death_or_hfh\"\ninformation_fractions = [0.5, 0.9]\n\n[trial.sequential.reestimation]\nat_look = 1\n",
    ));
    assert!(
        m.iter()
            .any(|x| x.contains("information_fractions") && x.contains("end with 1")),
        "{m:?}"
    );
    assert!(m.iter().any(|x| x.contains("planned_events")), "{m:?}");
    assert!(
        m.iter()
            .any(|x| x.contains("reestimation") && x.contains("event-driven")),
        "{m:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sequential_keys_can_be_swept() {
    let dir = tmp("sweep");
    std::fs::create_dir_all(&dir).unwrap();
    let base = std::fs::canonicalize("tests/fixtures/sequential_null.toml").unwrap();
    let file = dir.join("sweep.toml");
    std::fs::write(
        &file,
        format!(
            "[scenario]\nbase = \"{}\"\nname = \"sequential_sweep\"\n\n[trial.sequential]\nfutility = \"conditional_power\"\nconditional_power_threshold = 0.1\n\n[sweep.axes]\n\"trial.sequential.conditional_power_threshold\" = [0.02, 0.3]\n\"trial.sequential.information_fractions\" = [[0.25, 0.6, 1.0], [0.5, 0.75, 1.0]]\n",
            base.display()
        ),
    )
    .unwrap();
    let out = dir.join("out");
    run_ok(&[
        "sweep",
        file.to_str().unwrap(),
        "--replicates",
        "80",
        "--no-progress",
        "--out",
        out.to_str().unwrap(),
    ]);
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let points = v["design_points"].as_array().unwrap();
    assert_eq!(points.len(), 4);
    let futility = |i: usize| -> f64 {
        points[i]["sequential"]["per_look"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["stop_futility"]["power"].as_f64().unwrap())
            .sum()
    };
    // a higher conditional-power threshold stops more null trials for futility
    assert!(
        futility(2) > futility(0) + 0.05,
        "{} {}",
        futility(2),
        futility(0)
    );
    assert!(
        futility(3) > futility(1) + 0.05,
        "{} {}",
        futility(3),
        futility(1)
    );
    // the first look moves with the swept fractions
    let first = |i: usize| {
        points[i]["sequential"]["per_look"][0]["planned_fraction"]
            .as_f64()
            .unwrap()
    };
    assert_eq!((first(0), first(1)), (0.25, 0.5));
    let csv = std::fs::read_to_string(out.join("sequential.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 4 * 3);
    assert!(out.join("sequential.png").exists() && out.join("power_curves.png").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
