//! Direction, margins and safety endpoints (issue 15, point 4).
//!
//! * `hfsim power means` with a margin reproduces rpact 3.3.4
//!   `getPowerMeans(thetaH0 = -5, alternative = 0, stDev = 10,
//!   maxNumberOfSubjects = 200, sided = 1, alpha = 0.025)` = 0.940427182325
//!   (`scripts/hf_endpoint_fixtures/generate.R` prints it and writes
//!   `tests/fixtures/hf_endpoints/rpact_power.json`);
//! * detected harm is not power: at a toxic dose the LVEF endpoint rejects,
//!   and the rejections are counted as harmful, not favourable;
//! * one-sided endpoints reject only the favourable way, and a margin shifts
//!   the null exactly as the shifted data would;
//! * scenario checks: a one-sided efficacy test against its favourable
//!   direction, a margin on a two-sided test, a margin on Fisher's test.

use hfsim::analysis::direction::{EffectScale, EndpointRole, Favourable};
use hfsim::model::fast::FastOptions;
use hfsim::rng::DesignSlot;
use hfsim::runner::run_replicate;
use hfsim::scenario::{Override, load_file};
use hfsim::summary::{DesignAcc, summarize};
use hfsim::trial::{Method, TrialContext, Workspace};
use std::path::Path;
use std::process::Command;

fn rpact_reference() -> f64 {
    let path = format!(
        "{}/tests/fixtures/hf_endpoints/rpact_power.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("json");
    v["power"].as_f64().expect("power")
}

#[test]
fn power_means_with_a_margin_reproduces_rpact() {
    let reference = rpact_reference();
    assert!((reference - 0.9404271823).abs() < 1e-10);
    let out = Command::new(env!("CARGO_BIN_EXE_hfsim"))
        .args([
            "power",
            "means",
            "--mean-treatment",
            "0",
            "--mean-control",
            "0",
            "--sd",
            "10",
            "--n",
            "100",
            "--test",
            "student",
            "--alternative",
            "greater",
            "--alpha",
            "0.025",
            "--margin",
            "-5",
        ])
        .output()
        .expect("run hfsim");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8_lossy(&out.stdout);
    let p: f64 = s
        .strip_prefix("power = ")
        .and_then(|r| r.split_whitespace().next())
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("unexpected output: {s}"));
    assert!(
        (p - reference).abs() < 1e-6,
        "power {p} vs rpact {reference}"
    );
    // a margin without a one-sided alternative is refused
    let out = Command::new(env!("CARGO_BIN_EXE_hfsim"))
        .args([
            "power",
            "means",
            "--mean-treatment",
            "0",
            "--mean-control",
            "0",
            "--sd",
            "10",
            "--n",
            "100",
            "--margin",
            "-5",
        ])
        .output()
        .expect("run hfsim");
    assert_eq!(out.status.code(), Some(2));
}

fn run(file: &str, sets: &[&str], replicates: u64) -> (hfsim::scenario::Loaded, DesignAcc) {
    let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
    let loaded = load_file(Path::new(file), &overrides).unwrap_or_else(|e| panic!("{e}"));
    let s = loaded.scenario.clone();
    let ctx = TrialContext::new(
        s.clone(),
        DesignSlot::Shared,
        Method::Fast(FastOptions::default()),
    );
    let mut acc = DesignAcc::new(&s);
    let mut ws = Workspace::default();
    for r in 0..replicates {
        acc.add(&run_replicate(&ctx, r, &mut ws, false).0);
    }
    (loaded, acc)
}

/// The example: 1e8 cells/kg damages the LV. The LVEF endpoint
/// rejects in some trials (model v2 bounds the injury above an LVEF floor:
/// in 20% at 20 patients per arm), and those rejections are harm.
#[test]
fn detected_harm_is_not_counted_as_favourable_power() {
    let (loaded, acc) = run(
        "scenarios/prime_hfref.toml",
        &["arms.msc.dose_cells_per_kg=1e8"],
        200,
    );
    let sum = summarize(&loaded.scenario, &acc, Default::default());
    let lvef = sum
        .endpoints
        .iter()
        .find(|e| e.name == "delta_lvef_mri_d360")
        .unwrap();
    assert_eq!(lvef.favourable, Favourable::Higher);
    // (model v2 bounds injury above an LVEF floor, so the harm saturates)
    assert!(lvef.effect_mean.unwrap() < -3.0, "{:?}", lvef.effect_mean);
    assert!(lvef.power.power > 0.1, "{}", lvef.power.power);
    assert!(
        lvef.power_harmful > 0.1 && lvef.power_favourable < 0.1 * lvef.power_harmful,
        "harmful {} favourable {}",
        lvef.power_harmful,
        lvef.power_favourable
    );
    assert!(
        (lvef.power_harmful + lvef.power_favourable - lvef.power.power).abs() < 1e-12,
        "two-sided: every rejection has a direction"
    );
    // the safety endpoints are labelled, the HR is summarised on the log scale
    let sae = sum.endpoints.iter().find(|e| e.name == "any_sae").unwrap();
    assert_eq!(sae.role, EndpointRole::Safety);
    let dd = sum
        .endpoints
        .iter()
        .find(|e| e.name == "ddimer_above_uln")
        .unwrap();
    assert_eq!(dd.role, EndpointRole::Safety);
    let hr = sum
        .endpoints
        .iter()
        .find(|e| e.name == "death_or_hfh")
        .unwrap();
    assert_eq!(hr.effect_scale, EffectScale::Ratio);
    let (gm, med) = (hr.effect_mean.unwrap(), hr.effect_median.unwrap());
    assert!(gm > 0.0 && med > 0.0 && (gm.ln() - med.ln()).abs() < 1.0);
}

/// One-sided efficacy endpoints count only favourable rejections; a
/// non-inferiority margin (+10 mL on a volume, lower favourable) rejects in
/// every trial the superiority test rejects in, and in more (same trials:
/// common random numbers).
#[test]
fn one_sided_and_margin_rejections_are_favourable() {
    let plain = run(
        "scenarios/prime_hfref.toml",
        &["endpoints[2].alternative=less"],
        300,
    );
    let shifted = run(
        "scenarios/prime_hfref.toml",
        &["endpoints[2].alternative=less", "endpoints[2].margin=10"],
        300,
    );
    let [a, b] = [&plain, &shifted].map(|(l, acc)| summarize(&l.scenario, acc, Default::default()));
    for e in [&a.endpoints[2], &b.endpoints[2]] {
        assert_eq!(e.power_harmful, 0.0);
        assert_eq!(e.power_favourable, e.power.power);
    }
    assert_eq!(b.endpoints[2].margin, Some(10.0));
    assert!(b.endpoints[2].power.power > a.endpoints[2].power.power);
    // the estimate is reported unshifted (to rounding: the margin is added
    // to and taken from the estimate)
    let (ea, eb) = (
        a.endpoints[2].effect_mean.unwrap(),
        b.endpoints[2].effect_mean.unwrap(),
    );
    assert!((ea - eb).abs() <= 1e-12 * ea.abs(), "{ea} vs {eb}");
}

#[test]
fn margins_and_directions_are_checked() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["endpoints[2].alternative=greater"],
            "endpoints[2].alternative",
        ),
        (&["endpoints[2].margin=5"], "endpoints[2].margin"),
        (
            &["endpoints[10].margin=0.1", "endpoints[10].alternative=less"],
            "endpoints[10].margin",
        ),
        (&["endpoints[0].favourable=up"], "endpoints[0].favourable"),
    ];
    for (sets, key) in cases {
        let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
        let e = load_file(Path::new("scenarios/prime_hfref.toml"), &overrides)
            .expect_err("must be refused");
        let text = e.to_string();
        assert!(text.contains(key), "{sets:?}: {text}");
    }
    // a one-sided safety test for harm is allowed
    let ok = [
        "endpoints[10].alternative=greater",
        "endpoints[2].favourable=higher",
        "endpoints[2].alternative=greater",
    ];
    let overrides: Vec<Override> = ok.iter().map(|s| Override::parse(s).unwrap()).collect();
    load_file(Path::new("scenarios/prime_hfref.toml"), &overrides).unwrap();
}
