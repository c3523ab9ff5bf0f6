//! The designer-facing tools end to end on the small trial: `sweep`,
//! `search`, plots, `--report`, calibration panels, and the common random
//! numbers that make differences between designs precise.

use hfsim::rng::DesignSlot;
use hfsim::runner::run_replicate;
use hfsim::scenario::{Override, load_file};
use hfsim::trial::{TrialContext, Workspace};
use std::path::{Path, PathBuf};
use std::process::Command;

const SMALL: &str = "tests/fixtures/small_trial.toml";

fn hfsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hfsim"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hfsim-designer-{}-{name}", std::process::id()));
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

/// A sweep over the small trial: 2 intervals x 2 anticoagulation options.
fn sweep_scenario(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
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

#[test]
fn sweep_writes_results_csv_plots_and_a_self_contained_report() {
    let dir = tmp("sweep");
    let scen = sweep_scenario(&dir);
    let out = dir.join("out");
    run_ok(&[
        "sweep",
        scen.to_str().unwrap(),
        "--replicates",
        "8",
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
        "--report",
    ]);
    let csv = read(&out.join("results.csv"));
    let header = csv.lines().next().unwrap();
    assert_eq!(
        header,
        "design_point,arms.msc.interval_days,arms.msc.infusion_anticoagulation,endpoint,role,test,alpha,alternative,replicates,power,power_mcse,power_ci_low,power_ci_high,power_favourable,power_favourable_mcse,power_harmful,power_harmful_mcse,n_analysable,n_not_analysable,effect_measure,effect_scale,effect_mean,effect_sd,effect_median,effect_q025,effect_q975,analytic_power,control_arm,treatment_arm,control_n_mean,treatment_n_mean,control_mean,treatment_mean,control_sd,treatment_sd,control_event_rate,treatment_event_rate,assurance,assurance_mcse,assurance_ci_low,assurance_ci_high"
    );
    assert_eq!(
        csv.lines().count(),
        1 + 4 * 12,
        "4 design points x 12 endpoints"
    );
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("0,28,none,delta_lvef_mri_d360,efficacy,welch,0.05,two_sided,8,"),
        "{csv}"
    );
    for f in [
        "summary.json",
        "results.csv",
        "effects.csv",
        "manifest.json",
        "power_curves.svg",
        "power_curves.png",
        "effects.svg",
        "effects.png",
        "report.html",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let png = std::fs::read(out.join("power_curves.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = read(&out.join("power_curves.svg"));
    assert!(
        svg.contains("power by interval_days")
            && svg.contains("infusion_anticoagulation = heparin")
    );
    let summary: serde_json::Value =
        serde_json::from_str(&read(&out.join("summary.json"))).unwrap();
    assert_eq!(summary["design_points"].as_array().unwrap().len(), 4);
    let effects = read(&out.join("effects.csv"));
    assert!(effects.starts_with("design_point,arms.msc.interval_days,arms.msc.infusion_anticoagulation,endpoint,effect,bin_low,bin_high,count\n"));
    // every analysed estimate is counted once
    let counted: u64 = effects
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("0,") && l.contains(",delta_tapse_d180,"))
        .map(|l| l.rsplit(',').next().unwrap().parse::<u64>().unwrap())
        .sum();
    let analysable = summary["design_points"][0]["endpoints"][5]["n_analysable"]
        .as_u64()
        .unwrap();
    assert_eq!(
        summary["design_points"][0]["endpoints"][5]["name"],
        "delta_tapse_d180"
    );
    assert_eq!(counted, analysable);

    let html = read(&out.join("report.html"));
    assert_self_contained(&html);
    assert!(
        html.contains("<h2 id=\"power\">Power</h2>")
            && html.contains("delta_rvesv_mri_d180")
            && html.contains("At a glance")
    );
    assert!(html.matches("<svg").count() >= 2, "plots inline");
    let _ = std::fs::remove_dir_all(&dir);
}

fn assert_self_contained(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"));
    for bad in [
        "src=\"http",
        "href=\"http",
        "src=\"//",
        "href=\"//",
        "<script",
        "<link",
        "url(http",
        "@import",
    ] {
        assert!(
            !html.contains(bad),
            "report.html is not self-contained: contains {bad}"
        );
    }
    // the only links are anchors within the page
    for part in html.split("href=\"").skip(1) {
        assert!(
            part.starts_with('#'),
            "external link: {}",
            &part[..part.len().min(60)]
        );
    }
}

#[test]
fn sweep_refuses_a_scenario_without_a_sweep() {
    let out = hfsim()
        .args([
            "sweep",
            SMALL,
            "--replicates",
            "2",
            "--out",
            tmp("nosweep").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(
        msg.contains("has no [sweep]") && msg.contains("hfsim run"),
        "{msg}"
    );
    assert!(!tmp("nosweep").join("summary.json").exists());
}

#[test]
fn sweep_outputs_do_not_depend_on_threads_or_interruption() {
    let dir = tmp("sweep-repro");
    let scen = sweep_scenario(&dir);
    let (a, b) = (dir.join("a"), dir.join("b"));
    let s = scen.to_str().unwrap();
    run_ok(&[
        "sweep",
        s,
        "--replicates",
        "12",
        "--threads",
        "1",
        "--chunk",
        "5",
        "--out",
        a.to_str().unwrap(),
        "--no-progress",
        "--no-plots",
    ]);
    let cut = hfsim()
        .args([
            "sweep",
            s,
            "--replicates",
            "12",
            "--threads",
            "2",
            "--chunk",
            "4",
            "--out",
            b.to_str().unwrap(),
            "--no-progress",
            "--no-plots",
            "--stop-after-chunks",
            "3",
        ])
        .output()
        .unwrap();
    assert_eq!(cut.status.code(), Some(130));
    run_ok(&[
        "sweep",
        s,
        "--replicates",
        "12",
        "--threads",
        "2",
        "--chunk",
        "4",
        "--out",
        b.to_str().unwrap(),
        "--no-progress",
        "--no-plots",
        "--resume",
    ]);
    for f in ["summary.json", "results.csv", "effects.csv"] {
        assert_eq!(read(&a.join(f)), read(&b.join(f)), "{f} differs");
    }
    // three shards merged: the same summary and effect distributions, and the plots
    let shards: Vec<PathBuf> = (0..3).map(|i| dir.join(format!("shard{i}"))).collect();
    for (i, d) in shards.iter().enumerate() {
        run_ok(&[
            "sweep",
            s,
            "--replicates",
            "12",
            "--out",
            d.to_str().unwrap(),
            "--no-progress",
            "--shard",
            &format!("{i}/3"),
        ]);
        assert!(
            !d.join("power_curves.svg").exists(),
            "no plots of a part of the replicates"
        );
    }
    let merged = dir.join("merged");
    let mut args: Vec<&str> = vec!["merge"];
    args.extend(shards.iter().map(|d| d.to_str().unwrap()));
    args.extend(["--out", merged.to_str().unwrap()]);
    run_ok(&args);
    for f in ["summary.json", "effects.csv", "results.csv"] {
        assert_eq!(
            read(&a.join(f)),
            read(&merged.join(f)),
            "merged {f} differs"
        );
    }
    assert!(merged.join("power_curves.png").is_file() && merged.join("effects.svg").is_file());
    assert!(!a.join("power_curves.svg").exists(), "--no-plots");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_single_run_draws_a_forest_chart_and_effect_histograms() {
    let out = tmp("forest");
    run_ok(&[
        "run",
        SMALL,
        "--replicates",
        "10",
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
    ]);
    let svg = read(&out.join("power_forest.svg"));
    assert!(
        svg.contains("power per endpoint")
            && svg.contains("delta_rvesv_mri_d180 (welch)")
            && svg.contains("family rv_volumes: any")
    );
    let eff = read(&out.join("effects.svg"));
    assert!(eff.contains("difference in mean change (mL)") && eff.contains("hazard ratio"));
    assert!(out.join("power_forest.png").is_file() && out.join("effects.png").is_file());
    assert!(!out.join("report.html").exists(), "no report unless asked");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn calibration_check_draws_panels_and_the_report_shows_them() {
    let dir = tmp("calib");
    let cal = dir.join("calibration");
    // may pass or fail its targets with so few trials: exit 0 or 1, never 2
    let out = hfsim()
        .args([
            "calibrate",
            "check",
            SMALL,
            "--replicates",
            "40",
            "--out",
            cal.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "calibration.json",
        "calibration.csv",
        "calibration.svg",
        "calibration.png",
    ] {
        assert!(cal.join(f).is_file(), "{f} missing");
    }
    let svg = read(&cal.join("calibration.svg"));
    assert!(svg.contains("baseline_age_mean: pass") || svg.contains("baseline_age_mean: FAIL"));
    // picked up from <out>/calibration/ by --report
    run_ok(&[
        "run",
        SMALL,
        "--replicates",
        "6",
        "--out",
        dir.to_str().unwrap(),
        "--no-progress",
        "--report",
        "--no-plots",
    ]);
    let html = read(&dir.join("report.html"));
    assert_self_contained(&html);
    assert!(
        html.contains("Calibration to PRIME-HFrEF")
            && html.contains("baseline_age_mean")
            && html.contains("drvesv_mri_d180_msc_mean")
    );
    assert!(
        !dir.join("power_forest.svg").exists(),
        "--no-plots writes no plot files, the report still shows them"
    );
    assert!(html.contains("<svg"));
    // an explicit --calibration that does not exist is refused before simulating
    let out = hfsim()
        .args([
            "run",
            SMALL,
            "--replicates",
            "2",
            "--out",
            dir.join("x").to_str().unwrap(),
            "--report",
            "--calibration",
            "no/such/calibration.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/calibration.json"));
    assert!(!dir.join("x").join("summary.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn search_finds_the_smallest_n_per_arm_for_a_target_power() {
    let out = tmp("search");
    let o = run_ok(&[
        "search",
        SMALL,
        "--endpoint",
        "delta_tapse_d180",
        "--target-power",
        "0.4",
        "--over",
        "trial.n_per_arm",
        "--min",
        "4",
        "--max",
        "40",
        "--replicates",
        "60",
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("power of delta_tapse_d180 increases with trial.n_per_arm"),
        "{stdout}"
    );
    let json: serde_json::Value = serde_json::from_str(&read(&out.join("search.json"))).unwrap();
    let r = &json["result"];
    assert_eq!(r["direction"], "increasing");
    assert_eq!(r["status"], "found", "{stdout}");
    let answer = r["answer"].as_f64().unwrap();
    assert!(
        (5.0..=40.0).contains(&answer) && answer.fract() == 0.0,
        "{answer}"
    );
    assert!(
        stdout.contains(&format!(
            "smallest trial.n_per_arm reaching power 0.4: {answer}"
        )),
        "{stdout}"
    );
    // the answer reaches the target and the value below it does not
    let evals = r["evaluations"].as_array().unwrap();
    let at = |v: f64| {
        evals
            .iter()
            .find(|e| e["value"].as_f64() == Some(v))
            .map(|e| e["power"].as_f64().unwrap())
    };
    assert!(at(answer).unwrap() >= 0.4);
    assert!(at(answer - 1.0).unwrap() < 0.4);
    let lo = r["plausible_from"].as_f64().unwrap();
    assert!(lo <= answer);
    let csv = read(&out.join("search.csv"));
    assert!(
        csv.starts_with("value,power,power_mcse,power_ci_low,power_ci_high,rejections,replicates,")
    );
    assert_eq!(csv.lines().count(), 1 + evals.len());
    assert!(out.join("search.svg").is_file() && out.join("search.png").is_file());
    // the same search again gives the same curve (common random numbers, fixed seed)
    let again = tmp("search2");
    run_ok(&[
        "search",
        SMALL,
        "--endpoint",
        "delta_tapse_d180",
        "--target-power",
        "0.4",
        "--min",
        "4",
        "--max",
        "40",
        "--replicates",
        "60",
        "--out",
        again.to_str().unwrap(),
        "--no-progress",
        "--no-plots",
        "--threads",
        "1",
    ]);
    let strip = |s: String| {
        s.lines()
            .map(|l| l.rsplit_once(',').unwrap().0.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        strip(csv),
        strip(read(&again.join("search.csv"))),
        "same evaluations whatever the threads (seconds column aside)"
    );
    let _ = (
        std::fs::remove_dir_all(&out),
        std::fs::remove_dir_all(&again),
    );
}

#[test]
fn search_explains_bad_requests() {
    let bad = |args: &[&str], needle: &str| {
        let mut all = vec!["search", SMALL, "--replicates", "4", "--out"];
        let d = tmp("search-bad");
        all.push(d.to_str().unwrap());
        all.extend(args);
        let out = hfsim().args(&all).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let msg = String::from_utf8_lossy(&out.stderr);
        assert!(msg.contains(needle), "{args:?}: {msg}");
    };
    bad(&["--endpoint", "nope"], "--endpoint nope: no such endpoint");
    bad(&[], "--endpoint is needed");
    bad(
        &[
            "--endpoint",
            "death_or_hfh",
            "--over",
            "arms.msc.premedication",
        ],
        "not a numeric key",
    );
    bad(
        &["--endpoint", "death_or_hfh", "--min", "10", "--max", "5"],
        "must be below --max",
    );
    bad(
        &["--endpoint", "death_or_hfh", "--min", "0", "--max", "5"],
        "n_per_arm",
    );
    bad(
        &["--endpoint", "death_or_hfh", "--target-power", "1.2"],
        "--target-power",
    );
    bad(
        &[
            "--endpoint",
            "death_or_hfh",
            "--over",
            "arms.msc.first_dose_day",
        ],
        "give --min and --max",
    );
}

/// Reject indicators of one endpoint over `reps` replicates of the small
/// trial at two dosing intervals, with common or independent random numbers.
fn paired_rejections(common: bool, reps: u64) -> Vec<(bool, bool)> {
    let load = |interval: u32| {
        let o = [
            Override::parse(&format!("arms.msc.interval_days={interval}")).unwrap(),
            Override::parse("trial.n_per_arm=20").unwrap(),
        ];
        load_file(Path::new(SMALL), &o).unwrap()
    };
    let designs = [load(35), load(42)];
    let ctx: Vec<TrialContext> = designs
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let slot = if common {
                DesignSlot::Shared
            } else {
                DesignSlot::Independent(i as u64)
            };
            TrialContext::new(l.scenario.clone(), slot, hfsim::cli::execute::method_of(l))
        })
        .collect();
    let ep = designs[0]
        .scenario
        .endpoints
        .iter()
        .position(|e| e.name == "delta_tapse_d180")
        .unwrap();
    let mut ws = Workspace::default();
    (0..reps)
        .map(|r| {
            let a = run_replicate(&ctx[0], r, &mut ws, false).0;
            let b = run_replicate(&ctx[1], r, &mut ws, false).0;
            (a.endpoints[ep].reject, b.endpoints[ep].reject)
        })
        .collect()
}

/// Monte Carlo standard error of the difference in power between the two
/// designs, from the per-replicate paired differences.
fn se_of_difference(pairs: &[(bool, bool)]) -> (f64, f64) {
    let n = pairs.len() as f64;
    let d: Vec<f64> = pairs
        .iter()
        .map(|&(a, b)| f64::from(u8::from(a)) - f64::from(u8::from(b)))
        .collect();
    let mean = d.iter().sum::<f64>() / n;
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

#[test]
fn common_random_numbers_shrink_the_error_of_a_difference_between_close_designs() {
    // Two close designs (MSC every 35 vs every 42 days): with common random
    // numbers the same patients (covariates, parameters, measurement error,
    // randomization) are in both, so most trials reach the same decision and
    // the paired difference in power is estimated far more precisely than
    // with independent patients per design.
    let reps = 300;
    let crn = paired_rejections(true, reps);
    let ind = paired_rejections(false, reps);
    let (d_crn, se_crn) = se_of_difference(&crn);
    let (d_ind, se_ind) = se_of_difference(&ind);
    let power = |p: &[(bool, bool)]| p.iter().filter(|x| x.0).count() as f64 / p.len() as f64;
    eprintln!(
        "power at 35 d: {:.3} (CRN) {:.3} (independent); difference {d_crn:.4} +/- {se_crn:.4} with CRN, {d_ind:.4} +/- {se_ind:.4} independent; SE ratio {:.3}",
        power(&crn),
        power(&ind),
        se_crn / se_ind
    );
    // the endpoint is neither always nor never rejected, so the comparison means something
    assert!((0.15..0.85).contains(&power(&crn)), "{}", power(&crn));
    assert!(
        se_crn < 0.6 * se_ind,
        "CRN SE {se_crn:.4} vs independent {se_ind:.4}"
    );
    // and the shared patients make the two designs agree in most trials
    let agree = crn.iter().filter(|x| x.0 == x.1).count() as f64 / reps as f64;
    assert!(agree > 0.85, "{agree}");
}

/// Issue 14 point 5: the report states the design's answer in a paragraph a
/// protocol could quote: power at the calibrated values, assurance under
/// [uncertainty], the parameters that drive it (from a sensitivity analysis
/// in the output folder) and where the scenario leaves the calibrated domain.
#[test]
fn the_report_states_power_assurance_drivers_and_the_domain() {
    let dir = tmp("answer");
    let out = dir.join("plain");
    // PRIME-HFrEF without the posterior worlds it ships with
    let plain = dir.join("plain.toml");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        &plain,
        format!(
            "uncertainty = false\n[scenario]\nbase = \"{}\"\nname = \"prime_plain\"\n",
            std::fs::canonicalize("scenarios/prime_hfref.toml")
                .unwrap()
                .display()
        ),
    )
    .unwrap();
    run_ok(&[
        "run",
        plain.to_str().unwrap(),
        "--replicates",
        "20",
        "--set",
        "arms.msc.interval_days=28",
        "--set",
        "arms.placebo.interval_days=28",
        "--report",
        "--out",
        out.to_str().unwrap(),
    ]);
    let html = read(&out.join("report.html"));
    assert!(html.contains("The design's answer"), "no answer section");
    assert!(html.contains("<code>delta_rvesv_mri_d180</code>: power "));
    assert!(html.contains("has no <code>[uncertainty]</code>"));
    assert!(html.contains("No sensitivity analysis was found"));
    assert!(
        !html.contains("id=\"sensitivity\"") && !html.contains("href=\"#sensitivity\""),
        "a Sensitivity section without a sensitivity analysis"
    );
    assert!(
        html.contains("leaves the calibrated domain at <code>arms.msc.interval_days</code>"),
        "domain warning missing from the answer"
    );
    // with [uncertainty] and a sensitivity analysis in the output folder
    let out = dir.join("assurance");
    run_ok(&[
        "sensitivity",
        "scenarios/assurance_prime.toml",
        "--endpoint",
        "delta_rvesv_mri_d180",
        "--method",
        "morris",
        "--samples",
        "2",
        "--replicates",
        "10",
        "--out",
        out.join("sensitivity").to_str().unwrap(),
    ]);
    run_ok(&[
        "run",
        "scenarios/assurance_prime.toml",
        "--replicates",
        "20",
        "--report",
        "--out",
        out.to_str().unwrap(),
    ]);
    let html = read(&out.join("report.html"));
    assert!(html.contains("; assurance "), "no assurance in the answer");
    assert!(html.contains("over the uncertainty of the model parameters"));
    assert!(html.contains("drive the power of <code>delta_rvesv_mri_d180</code> most are <code>"));
    assert!(html.contains("Morris mu*"));
    // and the Sensitivity section: how it was run, the indices per output
    // (every uncertain parameter a row), the tornado chart inline
    assert!(html.contains("<a href=\"#sensitivity\">Sensitivity</a>"));
    let at = html
        .find("<h2 id=\"sensitivity\">Sensitivity</h2>")
        .expect("no Sensitivity section");
    let sec = &html[at..at + html[at..].find("<h2 id=\"plots\">").unwrap()];
    assert!(sec.contains("Morris elementary effects (2 trajectories on a 4-level grid)"));
    assert!(sec.contains("x 10 simulated trials"));
    assert!(sec.contains(
        "<th class=\"num\">mu*</th><th class=\"num\">sigma</th><th class=\"num\">mu</th>"
    ));
    for p in [
        "rv_repair_emax_per_day",
        "rv_repair_half_life_days",
        "rv_progression_log_edv_per_year",
    ] {
        assert!(
            sec.contains(&format!("<tr><td><code>{p}</code></td>")),
            "no row of {p}"
        );
    }
    assert!(sec.contains("<figure><svg ") && sec.contains("Tornado chart"));
    assert!(html.contains("Every setting lies inside the domain"));
    // without a sensitivity run, the worlds themselves name what moves the
    // true effect (given-data first-order indices), where clearly above chance
    let worlds = dir.join("worlds");
    run_ok(&[
        "run",
        "scenarios/prime_hfref.toml",
        "--replicates",
        "1000",
        "--no-plots",
        "--report",
        "--out",
        worlds.to_str().unwrap(),
    ]);
    let html = read(&worlds.join("report.html"));
    assert!(html.contains("No sensitivity analysis was found"));
    assert!(html.contains("first-order indices from the assurance worlds themselves"));
    assert!(
        html.contains("its true effect varies most with <code>rv_"),
        "no driver named in the answer"
    );
    // results.csv carries the assurance beside the power (empty without [uncertainty])
    let column = |csv: &str, name: &str| -> Vec<String> {
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let k = header.iter().position(|h| *h == name).unwrap();
        lines
            .map(|l| l.split(',').nth(k).unwrap_or("").to_string())
            .collect()
    };
    let with = read(&out.join("results.csv"));
    let a = column(&with, "assurance");
    assert!(a.iter().all(|x| x.parse::<f64>().is_ok()), "{a:?}");
    assert!(
        column(&with, "assurance_ci_high")
            .iter()
            .all(|x| x.parse::<f64>().is_ok())
    );
    let without = read(&dir.join("plain").join("results.csv"));
    assert!(column(&without, "assurance").iter().all(|x| x.is_empty()));
    let _ = std::fs::remove_dir_all(&dir);
}
