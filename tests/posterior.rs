//! Calibration as inference and its use in a scenario:
//! * `hfsim calibrate posterior` writes a posterior file (weighted draws,
//!   a header naming method, trials, seed and command), reproducibly, with
//!   its summaries and a posterior predictive check, and exits 1 when the
//!   family of predictive checks fails (as `calibrate check`);
//! * `[uncertainty] posterior = "FILE"` draws the worlds from such a file:
//!   a file whose mass sits on one draw gives the power of the scenario
//!   with that draw's values in `[model]`, exactly;
//! * `sceptical = f` multiplies the cell-effect parameters of every world
//!   by `f` (exactly: the power of the scenario with those values);
//! * bad posterior files and sceptical factors are explained with the key.

use hfsim::model::params::P;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const SMALL: &str = "tests/fixtures/small_trial.toml";

fn hfsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hfsim"))
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hfsim-posterior-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn scenario(d: &Path, extra: &str) -> PathBuf {
    let text = std::fs::read_to_string(SMALL).unwrap();
    let p = d.join("scenario.toml");
    std::fs::write(&p, format!("{text}\n{extra}\n")).unwrap();
    p
}

fn run(s: &Path, out: &Path) -> Value {
    let o = hfsim()
        .args([
            "run",
            s.to_str().unwrap(),
            "--no-progress",
            "--no-plots",
            "--out",
        ])
        .arg(out)
        .args(["--replicates", "40"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

fn endpoints(v: &Value) -> &Vec<Value> {
    v["design_points"][0]["endpoints"].as_array().unwrap()
}

/// A posterior file over the RV and LV repair rates: 20 draws, all the
/// weight on draw 7 when `one` is set.
fn posterior_file(one: bool) -> String {
    let mut s = String::from(
        "# method = laplace_importance\n# trials = x.toml\n# seed = 1\n# command = hfsim calibrate posterior x.toml\ndraw,weight,distance,rv_repair_emax_per_day,lv_repair_emax_per_day\n",
    );
    for k in 0..20 {
        let w = if one {
            if k == 7 { 1.0 } else { 0.0 }
        } else {
            0.05
        };
        s.push_str(&format!(
            "{k},{w},1.0,{},{}\n",
            0.002 + 0.001 * k as f64,
            0.001 + 0.0005 * k as f64
        ));
    }
    s
}

#[test]
fn a_posterior_with_its_mass_on_one_draw_gives_the_power_of_that_draw() {
    let d = dir("one");
    std::fs::write(d.join("post.csv"), posterior_file(true)).unwrap();
    let s = scenario(&d, "[uncertainty]\nposterior = \"post.csv\"\n");
    let world = run(&s, &d.join("world"));
    let fixed = dir("one-fixed");
    // draw 7's values, as the file writes them
    let f = scenario(
        &fixed,
        &format!(
            "[model]\nrv_repair_emax_per_day = {}\nlv_repair_emax_per_day = {}\n",
            0.002 + 0.001 * 7.0,
            0.001 + 0.0005 * 7.0
        ),
    );
    let at = run(&f, &fixed.join("out"));
    let mut differs = false;
    for (w, f) in endpoints(&world).iter().zip(endpoints(&at)) {
        assert_eq!(w["assurance"], f["power"], "{}", w["name"]);
        assert_eq!(w["world_effect_mean"], f["effect_mean"], "{}", w["name"]);
        differs |= w["assurance"] != w["power"];
    }
    assert!(
        differs,
        "the drawn rates change some endpoint's rejection rate"
    );
    // a spread posterior gives worlds that differ from each other
    std::fs::write(d.join("post.csv"), posterior_file(false)).unwrap();
    let spread = run(&s, &d.join("spread"));
    assert!(
        endpoints(&spread)
            .iter()
            .zip(endpoints(&world))
            .any(|(a, b)| a["world_effect_mean"] != b["world_effect_mean"]),
        "spread worlds change the true effects"
    );
}

#[test]
fn a_sceptical_factor_multiplies_the_cell_effect_of_every_world() {
    let rv = P::RvRepairEmax.info().default;
    let lv = P::LvRepairEmax.info().default;
    let point = |p: P, v: f64| {
        format!(
            "[uncertainty.parameters.{}]\ndistribution = \"point\"\nvalue = {v:e}\n",
            p.info().name
        )
    };
    for (factor, tag) in [(0.0, "zero"), (0.5, "half")] {
        let d = dir(&format!("sceptical-{tag}"));
        let s = scenario(
            &d,
            &format!(
                "[uncertainty]\nsceptical = {factor:?}\n{}",
                point(P::RvRepairEmax, rv)
            ),
        );
        let world = run(&s, &d.join("world"));
        let fixed = dir(&format!("sceptical-{tag}-fixed"));
        let f = scenario(
            &fixed,
            &format!(
                "[model]\nrv_repair_emax_per_day = {:e}\nlv_repair_emax_per_day = {:e}\npatch_contractility_gain = {:e}\n",
                rv * factor,
                lv * factor,
                P::PatchContractilityGain.info().default * factor
            ),
        );
        let at = run(&f, &fixed.join("out"));
        let mut differs = false;
        for (w, f) in endpoints(&world).iter().zip(endpoints(&at)) {
            assert_eq!(w["assurance"], f["power"], "{tag}: {}", w["name"]);
            differs |= w["assurance"] != w["power"];
        }
        assert!(
            differs,
            "{tag}: the sceptical worlds differ from the central values"
        );
    }
}

#[test]
fn bad_posteriors_and_sceptical_factors_are_explained() {
    let d = dir("bad");
    std::fs::write(
        d.join("bad.csv"),
        posterior_file(false).replace("\n4,0.05,", "\n4,-0.05,"),
    )
    .unwrap();
    std::fs::write(d.join("good.csv"), posterior_file(false)).unwrap();
    let cases: &[(&str, &str)] = &[
        (
            "[uncertainty]\nsceptical = 1.5\nposterior = \"good.csv\"\n",
            "uncertainty.sceptical: must be in [0, 1]",
        ),
        (
            "[uncertainty]\nposterior = \"missing.csv\"\n",
            "uncertainty.posterior: cannot read the posterior file",
        ),
        (
            "[uncertainty]\nposterior = \"bad.csv\"\n",
            "line 10: weight must be finite and not negative",
        ),
        (
            "[uncertainty]\nposterior = \"good.csv\"\n[uncertainty.parameters.rv_repair_emax_per_day]\ndistribution = \"point\"\nvalue = 0.01\n",
            "uncertainty.parameters.rv_repair_emax_per_day: also drawn from the posterior file",
        ),
        (
            "[uncertainty]\nsceptical = 0.5\n",
            "or posterior = \"FILE\"",
        ),
    ];
    for (i, (extra, expect)) in cases.iter().enumerate() {
        let s = scenario(&d, extra);
        let o = hfsim().args(["validate"]).arg(&s).output().unwrap();
        let text =
            String::from_utf8_lossy(&o.stderr).to_string() + &String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(2), "case {i}: {text}");
        assert!(
            text.contains(expect),
            "case {i}: expected {expect:?} in\n{text}"
        );
    }
    // a good file validates
    let s = scenario(
        &d,
        "[uncertainty]\nposterior = \"good.csv\"\nsceptical = 0.5\n",
    );
    let o = hfsim().args(["validate"]).arg(&s).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // a file in another folder that builds on it and adds a prior keeps the
    // base's posterior, found beside the base (not beside itself)
    let elsewhere = d.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let derived = elsewhere.join("derived.toml");
    std::fs::write(
        &derived,
        format!(
            "[scenario]\nbase = {:?}\nname = \"derived\"\n\n[uncertainty.parameters.repair_durability]\ndistribution = \"bernoulli\"\np = 0.3\n",
            s.to_str().unwrap()
        ),
    )
    .unwrap();
    let o = hfsim().args(["validate"]).arg(&derived).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn calibrate_posterior(out: &Path, write: &Path) -> std::process::Output {
    hfsim()
        .args([
            "calibrate",
            "posterior",
            "scenarios/trials/prime_hfref.toml",
            "scenarios/trials/trident.toml",
            "--params",
            "rv_repair_emax_per_day,gdmt_response",
            "--replicates",
            "40",
            "--draws",
            "24",
            "--predictive-draws",
            "30",
            "--threads",
            "2",
            "--out",
        ])
        .arg(out)
        .arg("--write")
        .arg(write)
        .output()
        .unwrap()
}

#[test]
fn calibrate_posterior_writes_a_reproducible_file_a_scenario_can_use() {
    let d = dir("cli");
    let (a, b) = (d.join("a.csv"), d.join("b.csv"));
    let o = calibrate_posterior(&d.join("out-a"), &a);
    let text = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    // exit 0 (every target inside) or 1 (some outside), never a crash
    assert!(matches!(o.status.code(), Some(0) | Some(1)), "{text}");
    assert!(text.contains("effective sample size"), "{text}");
    assert!(text.contains("posterior predictive check"), "{text}");
    let o2 = calibrate_posterior(&d.join("out-b"), &b);
    assert_eq!(o.status.code(), o2.status.code());
    let (fa, fb) = (
        std::fs::read_to_string(&a).unwrap(),
        std::fs::read_to_string(&b).unwrap(),
    );
    let strip = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with("# command") && !l.starts_with("# version"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&fa), strip(&fb), "same seed, same draws");
    for key in [
        "# method = laplace_importance",
        "# trials = scenarios/trials/prime_hfref.toml scenarios/trials/trident.toml",
        "# seed = 1",
        "# command = hfsim calibrate posterior",
    ] {
        assert!(fa.contains(key), "{key} in\n{fa}");
    }
    let rows: Vec<&str> = fa.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        rows[0],
        "draw,weight,distance,rv_repair_emax_per_day,gdmt_response"
    );
    assert_eq!(rows.len(), 25);
    let weights: f64 = rows[1..]
        .iter()
        .map(|r| r.split(',').nth(1).unwrap().parse::<f64>().unwrap())
        .sum();
    assert!((weights - 1.0).abs() < 1e-9);
    // the summaries
    let out = d.join("out-a");
    let params = std::fs::read_to_string(out.join("posterior_parameters.csv")).unwrap();
    assert!(params.starts_with("parameter,unit,start,prior_median"));
    assert_eq!(params.lines().count(), 3);
    let predictive = std::fs::read_to_string(out.join("posterior_predictive.csv")).unwrap();
    assert!(
        predictive.lines().count() > 40,
        "one row per target of both trials"
    );
    let failures = predictive.lines().filter(|l| l.ends_with(",false")).count();
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("posterior.json")).unwrap())
            .unwrap();
    let family = &json["predictive_family"];
    assert_eq!(
        family["outside_95"].as_array().unwrap().len(),
        failures,
        "the family lists the targets outside"
    );
    assert_eq!(
        family["pass"].as_bool().unwrap(),
        o.status.code() == Some(0),
        "exit code follows the family verdict"
    );
    assert_eq!(json["parameters"].as_array().unwrap().len(), 2);
    assert_eq!(json["correlations"].as_array().unwrap().len(), 4);
    // a scenario uses it
    let s = scenario(
        &d,
        &format!("[uncertainty]\nposterior = \"{}\"\n", a.display()),
    );
    let v = hfsim().args(["validate"]).arg(&s).output().unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
}
