//! Assurance under `[uncertainty]` (src/uncertainty, the world pass of
//! src/runner.rs, summary.json's `assurance` fields):
//! * a zero-width uncertainty (point priors at the central values) gives
//!   `assurance` equal to `power` to the last digit, on 1 and 2 threads and
//!   through shards and `merge`;
//! * a point prior away from the central value gives the power of the
//!   scenario with that value in `[model]`, exactly (the world is applied to
//!   the same patient streams);
//! * on a normal toy problem (effect ~ N(mu0, tau^2), known sigma, n per
//!   arm) the worlds' rejection rate matches the closed form
//!   Phi((mu0 - z_(1-alpha) SE) / sqrt(SE^2 + tau^2)), SE = sigma sqrt(2/n),
//!   within 3 Monte Carlo SEs;
//! * the true effect per world (the endpoint's estimator on the world's
//!   trial without measurement error): equal to the estimate, world by
//!   world, when the endpoint's measurement error is set to zero; less
//!   spread than the estimate otherwise; its distribution and the power by
//!   bins of it exact through threads, shards, merge and resume;
//! * bad `[uncertainty]` tables get a message with the key and what is allowed.

use hfsim::analysis::{Alternative, ttest};
use hfsim::model::params::P;
use hfsim::rng::{DesignSlot, Purpose, StreamKey};
use hfsim::summary::PowerEstimate;
use hfsim::uncertainty::prior::{Distribution, Prior};
use hfsim::uncertainty::{UncertainParameter, Uncertainty};
use rand::RngExt;
use rand_distr::StandardNormal;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const SMALL: &str = "tests/fixtures/small_trial.toml";

fn hfsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hfsim"))
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hfsim-assurance-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn scenario(name: &str, extra: &str) -> PathBuf {
    let d = dir(name);
    let text = std::fs::read_to_string(SMALL).unwrap();
    let p = d.join("scenario.toml");
    std::fs::write(&p, format!("{text}\n{extra}\n")).unwrap();
    p
}

fn run(s: &Path, out: &Path, args: &[&str]) -> Value {
    let o = hfsim()
        .args([
            "run",
            s.to_str().unwrap(),
            "--no-progress",
            "--no-plots",
            "--out",
        ])
        .arg(out)
        .args(["--replicates", "60"])
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    summary(out)
}

fn summary(out: &Path) -> Value {
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let o = v.as_object_mut().unwrap();
    for k in ["hfsim_version", "wall_seconds", "run"] {
        o.remove(k);
    }
    v
}

/// The summary of the scenario run as two shards and merged.
fn sharded(s: &Path) -> Value {
    let (a, b, m) = (
        s.with_file_name("s0"),
        s.with_file_name("s1"),
        s.with_file_name("m"),
    );
    run(s, &a, &["--shard", "0/2"]);
    run(s, &b, &["--shard", "1/2"]);
    let o = hfsim()
        .args(["merge", a.to_str().unwrap(), b.to_str().unwrap(), "--out"])
        .arg(&m)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    summary(&m)
}

fn endpoints(v: &Value) -> &Vec<Value> {
    v["design_points"][0]["endpoints"].as_array().unwrap()
}

fn point_priors(values: &[(P, f64)]) -> String {
    values
        .iter()
        .map(|(p, x)| {
            format!(
                "[uncertainty.parameters.{}]\ndistribution = \"point\"\nvalue = {x:e}\n",
                p.info().name
            )
        })
        .collect()
}

#[test]
fn zero_width_uncertainty_gives_assurance_equal_to_power() {
    let central = [
        (P::RvRepairEmax, P::RvRepairEmax.info().default),
        (P::RvRepairHalfLife, P::RvRepairHalfLife.info().default),
    ];
    let s = scenario("zero", &point_priors(&central));
    let one = run(&s, &s.with_file_name("one"), &["--threads", "1"]);
    let two = run(&s, &s.with_file_name("two"), &["--threads", "2"]);
    assert_eq!(one["design_points"], two["design_points"]);
    let mut checked = 0;
    for e in endpoints(&one) {
        assert_eq!(e["assurance"], e["power"], "{}", e["name"]);
        assert_eq!(e["assurance_mcse"], e["power_mcse"]);
        assert_eq!(e["assurance_ci_low"], e["power_ci_low"]);
        assert_eq!(e["assurance_favourable"], e["power_favourable"]);
        assert_eq!(e["world_effect_mean"], e["effect_mean"]);
        assert_eq!(e["worlds"], e["replicates"]);
        checked += 1;
    }
    assert!(checked >= 3);
    // shards and merge give the same summary
    assert_eq!(sharded(&s)["design_points"], one["design_points"]);
    // with power_every = 4 every world is still the central values, so
    // every replicate counts for power: the same summary as k = 1
    let every4 = scenario(
        "zero-every4",
        &format!("[uncertainty]\npower_every = 4\n{}", point_priors(&central)),
    );
    let four = run(&every4, &every4.with_file_name("four"), &[]);
    assert_eq!(four["design_points"], one["design_points"]);
    assert!(four["design_points"][0].get("power_replicates").is_none());
}

/// Without `power_every` a run keeps at least 2,500 replicates at the
/// central values (power's MCSE <= 0.010) and runs the others in their
/// world only: k = max(1, floor(replicates / 2500)), from the replicates
/// after `--replicates`/`--set`.
#[test]
fn the_default_power_every_keeps_2500_central_replicates() {
    let s = scenario("default-every", RV_PRIOR);
    let k = |replicates: u64| {
        let o = hfsim::scenario::Override::parse(&format!("run.replicates={replicates}")).unwrap();
        let l = hfsim::scenario::load_file(&s, &[o]).unwrap();
        l.scenario.uncertainty.as_ref().unwrap().power_every
    };
    assert_eq!(k(60), 1);
    assert_eq!(k(2500), 1);
    assert_eq!(k(4999), 1);
    assert_eq!(k(5000), 2);
    assert_eq!(k(10_000), 4);
    assert_eq!(k(100_000), 40);
    let stated = scenario(
        "stated-every",
        &format!("[uncertainty]\npower_every = 1\n{RV_PRIOR}"),
    );
    let o = hfsim::scenario::Override::parse("run.replicates=10000").unwrap();
    let l = hfsim::scenario::load_file(&stated, &[o]).unwrap();
    assert_eq!(l.scenario.uncertainty.as_ref().unwrap().power_every, 1);
}

/// Between-trial spread (`between_trial_efficacy_sd`, docs/model.md): with
/// point priors every world is still a trial drawn from the population of
/// trials, so the worlds' true effects spread and assurance is no longer
/// power; `between_trial = false` takes that out and gives power exactly.
#[test]
fn worlds_draw_the_trials_own_deviation_unless_told_not_to() {
    let central = [(P::RvRepairEmax, P::RvRepairEmax.info().default)];
    let model = "[model]\nbetween_trial_efficacy_sd = 0.8\n";
    let off = scenario(
        "between-off",
        &format!(
            "{model}[uncertainty]\nbetween_trial = false\n{}",
            point_priors(&central)
        ),
    );
    let on = scenario("between-on", &format!("{model}{}", point_priors(&central)));
    let a = run(&off, &off.with_file_name("off"), &[]);
    let b = run(&on, &on.with_file_name("on"), &[]);
    let mut spread = 0;
    for (e, f) in endpoints(&a).iter().zip(endpoints(&b)) {
        assert_eq!(e["assurance"], e["power"], "{}", e["name"]);
        assert_eq!(e["world_effect_mean"], e["effect_mean"], "{}", e["name"]);
        // power (the typical trial) is the same with and without the spread
        assert_eq!(e["power"], f["power"], "{}", e["name"]);
        if f["world_effect_mean"] != f["effect_mean"] {
            spread += 1;
        }
    }
    assert!(
        spread >= 1,
        "the trial's own deviation changes some world's effect"
    );
}

#[test]
fn a_point_prior_gives_the_power_of_that_value() {
    // the RV repair rate and its persistence set far from the central values
    let values = [(P::RvRepairEmax, 0.004), (P::RvRepairHalfLife, 90.0)];
    let s = scenario("point", &point_priors(&values));
    let world = run(&s, &s.with_file_name("world"), &[]);
    let model: String = values
        .iter()
        .map(|(p, x)| format!("{} = {x:e}\n", p.info().name))
        .collect();
    let text = std::fs::read_to_string(SMALL).unwrap();
    assert!(
        !text.contains("\n[model]"),
        "the fixture has no [model] table"
    );
    let fixed = scenario("fixed", &format!("[model]\n{model}"));
    let at = run(&fixed, &fixed.with_file_name("fixed"), &[]);
    let mut differs = false;
    for (w, f) in endpoints(&world).iter().zip(endpoints(&at)) {
        assert_eq!(w["assurance"], f["power"], "{}", w["name"]);
        assert_eq!(w["world_effect_mean"], f["effect_mean"], "{}", w["name"]);
        differs |= w["assurance"] != w["power"];
    }
    assert!(differs, "the world changes some endpoint's rejection rate");
}

#[test]
fn normal_toy_assurance_matches_the_closed_form() {
    let (mu0, tau, sigma, n, alpha) = (0.3, 0.15, 1.0, 200usize, 0.025);
    let prior = Prior::plain(Distribution::Normal { mean: mu0, sd: tau }).unwrap();
    let u = Uncertainty::new(
        vec![UncertainParameter {
            parameter: P::RvRepairEmax,
            prior,
        }],
        &[],
    )
    .unwrap();
    let replicates = 20_000u64;
    let mut rejections = 0;
    for r in 0..replicates {
        let effect = prior.at_normal(u.world_normals(31, r)[0]);
        let arm = |a: u64, shift: f64| -> Vec<f64> {
            let mut rng = StreamKey {
                seed: 31,
                design: DesignSlot::Shared,
                replicate: r,
                patient: a,
                purpose: Purpose::Measurement,
            }
            .rng();
            (0..n)
                .map(|_| shift + sigma * rng.sample::<f64, _>(StandardNormal))
                .collect()
        };
        let (control, treated) = (arm(0, 0.0), arm(1, effect));
        let t = ttest::welch(&treated, &control, Alternative::Greater).unwrap();
        if t.p_value < alpha {
            rejections += 1;
        }
    }
    let est = PowerEstimate::from_counts(rejections, replicates);
    let se = sigma * (2.0 / n as f64).sqrt();
    let z = 1.959963984540054; // qnorm(0.975)
    let closed = normal_cdf((mu0 - z * se) / (se * se + tau * tau).sqrt());
    println!(
        "toy assurance {:.4} (MCSE {:.4}), closed form {closed:.4}",
        est.power, est.power_mcse
    );
    assert!(
        (est.power - closed).abs() <= 3.0 * est.power_mcse,
        "simulated {} (MCSE {}), closed form {closed}",
        est.power,
        est.power_mcse
    );
    // and not the power at mu0 (the test can tell the two apart)
    let power_at_mu0 = normal_cdf((mu0 - z * se) / se);
    assert!((est.power - power_at_mu0).abs() > 5.0 * est.power_mcse);
}

/// A genuine prior on the RV repair rate (log-normal, sd_log 0.5).
const RV_PRIOR: &str = "[uncertainty.parameters.rv_repair_emax_per_day]\ndistribution = \"log_normal\"\nmedian = 0.01\nsd_log = 0.5\n";

const MEASURED: [&str; 9] = [
    "delta_lvef_mri_d360",
    "delta_lvef_echo_d360",
    "delta_rvesv_mri_d180",
    "delta_rvedv_mri_d180",
    "delta_rvesv_mri_d360",
    "delta_tapse_d180",
    "delta_tapse_d360",
    "delta_6mwd_d360",
    "delta_ntprobnp_d360",
];

fn by_name<'a>(v: &'a Value, name: &str) -> &'a Value {
    endpoints(v)
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no endpoint {name}"))
}

#[test]
fn without_measurement_error_the_true_effect_is_the_estimate() {
    // MRI RVESV measured without error: each world's true effect is its
    // estimate, so their means agree exactly and every world is binned
    let s = scenario("exact", &format!("[model]\nmri_rvesv_cv = 0\n{RV_PRIOR}"));
    let v = run(&s, &s.with_file_name("out"), &[]);
    for name in ["delta_rvesv_mri_d180", "delta_rvesv_mri_d360"] {
        let e = by_name(&v, name);
        let t = &e["true_effect"];
        assert_eq!(t["mean"], e["world_effect_mean"], "{name}");
        assert_eq!(t["sd"], e["world_effect_sd"], "{name}");
        // worlds whose trial could be analysed (the others never reject)
        assert!(t["worlds"].as_u64().unwrap() > 30, "{name}: {t}");
        let bins = e["power_by_true_effect"].as_array().unwrap();
        let worlds: u64 = bins.iter().map(|b| b["worlds"].as_u64().unwrap()).sum();
        let rejections: u64 = bins.iter().map(|b| b["rejections"].as_u64().unwrap()).sum();
        assert_eq!(worlds, t["worlds"].as_u64().unwrap());
        let rate = rejections as f64 / e["worlds"].as_u64().unwrap() as f64;
        assert!(
            (rate - e["assurance"].as_f64().unwrap()).abs() < 1e-12,
            "{name}: the bins hold every world's decision ({rate})"
        );
        // quantiles in order, bins contiguous
        let q: Vec<f64> = ["q05", "q25", "q50", "q75", "q95"]
            .iter()
            .map(|k| t[*k].as_f64().unwrap())
            .collect();
        assert!(q.windows(2).all(|w| w[0] <= w[1]), "{name}: {q:?}");
        for w in bins.windows(2) {
            assert_eq!(w[0]["high"], w[1]["low"], "{name}");
        }
        for b in bins {
            let (n, r) = (
                b["worlds"].as_u64().unwrap(),
                b["rejections"].as_u64().unwrap(),
            );
            if n > 0 {
                let p = r as f64 / n as f64;
                // (serde_json may read a float an ulp off)
                assert!((b["rejection_rate"].as_f64().unwrap() - p).abs() <= 1e-15 * p.max(1.0));
                let mcse = (p * (1.0 - p) / n as f64).sqrt();
                assert!((b["rejection_mcse"].as_f64().unwrap() - mcse).abs() < 1e-15);
            }
        }
    }
    // with measurement error the truth is less spread than the estimate
    let mut tighter = 0;
    for name in MEASURED {
        let e = by_name(&v, name);
        let (t, w) = (
            e["true_effect"]["sd"].as_f64().unwrap(),
            e["world_effect_sd"].as_f64().unwrap(),
        );
        println!("{name}: true effect sd {t:.4}, estimate sd {w:.4}");
        if !name.starts_with("delta_rvesv") {
            assert_ne!(e["true_effect"]["mean"], e["world_effect_mean"], "{name}");
            tighter += u32::from(t < w);
        }
    }
    assert_eq!(tighter, 7, "every endpoint with measurement error");
    // endpoints that are not measured quantities have no true effect
    for name in ["death_or_hfh", "any_sae", "ddimer_above_uln"] {
        let e = by_name(&v, name);
        assert!(e.get("true_effect").is_none(), "{name}");
        assert!(e.get("power_by_true_effect").is_none(), "{name}");
        assert!(e.get("assurance").is_some(), "{name}");
    }
}

/// `[uncertainty] power_every = 4`: every replicate in its world (the
/// assurance of every endpoint exactly as with 1), the trial at the central
/// values in replicates 0, 4, 8, ... only (power is their share of
/// rejections, as read from the full run's tests.csv); threads, chunks and
/// shards give the same summary.
#[test]
fn power_every_runs_the_central_trial_in_every_kth_replicate() {
    let all = scenario("every1", RV_PRIOR);
    let some = scenario(
        "every4",
        &format!("[uncertainty]\npower_every = 4\n{RV_PRIOR}"),
    );
    let full = run(
        &all,
        &all.with_file_name("full"),
        &["--export-replicates", "60"],
    );
    let one = run(&some, &some.with_file_name("one"), &["--threads", "1"]);
    let two = run(
        &some,
        &some.with_file_name("two"),
        &["--threads", "2", "--chunk", "7"],
    );
    assert_eq!(one["design_points"], two["design_points"]);
    assert_eq!(one["design_points"][0]["power_replicates"], 15);
    assert!(full["design_points"][0].get("power_replicates").is_none());
    let tests = std::fs::read_to_string(all.with_file_name("full").join("tests.csv")).unwrap();
    let mut checked = 0;
    for (a, b) in endpoints(&full).iter().zip(endpoints(&one)) {
        let name = a["name"].as_str().unwrap();
        for k in [
            "assurance",
            "assurance_mcse",
            "assurance_ci_low",
            "assurance_ci_high",
            "worlds",
            "world_effect_mean",
            "true_effect",
        ] {
            assert_eq!(a[k], b[k], "{name} {k}");
        }
        assert_eq!(b["replicates"], 15, "{name}");
        let rejected = tests
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|f| f[1] == name && f[0].parse::<u64>().unwrap() % 4 == 0)
            .filter(|f| f[6] == "1")
            .count();
        assert_eq!(
            b["power"].as_f64().unwrap(),
            rejected as f64 / 15.0,
            "{name}"
        );
        checked += 1;
    }
    assert!(checked >= 3);
    assert_eq!(sharded(&some)["design_points"], one["design_points"]);
    // a replicate exported in full runs at the central values too: 0, 1, 2
    // and every 4th, and tests.csv holds the three
    let exported = some.with_file_name("exported");
    let ex = run(&some, &exported, &["--export-replicates", "3"]);
    assert_eq!(ex["design_points"][0]["power_replicates"], 17);
    let tests = std::fs::read_to_string(exported.join("tests.csv")).unwrap();
    let mut reps: Vec<u64> = tests
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    reps.dedup();
    assert_eq!(reps, [0, 1, 2]);
}

#[test]
fn true_effects_are_exact_through_threads_shards_and_resume() {
    let s = scenario("exact-runs", RV_PRIOR);
    let one = run(&s, &s.with_file_name("one"), &["--threads", "1"]);
    let two = run(
        &s,
        &s.with_file_name("two"),
        &["--threads", "2", "--chunk", "7"],
    );
    assert_eq!(one["design_points"], two["design_points"]);
    let e = by_name(&one, "delta_rvesv_mri_d180");
    assert!(
        e["power_by_true_effect"].as_array().unwrap().len() >= 3,
        "{e}"
    );
    // (the drivers' strata, compared with the rest below)
    assert_eq!(e["drivers"].as_array().unwrap().len(), 1, "{e}");
    // shards and merge
    assert_eq!(sharded(&s)["design_points"], one["design_points"]);
    // interrupted, then resumed
    let cut = s.with_file_name("cut");
    let o = hfsim()
        .args([
            "run",
            s.to_str().unwrap(),
            "--no-progress",
            "--no-plots",
            "--out",
        ])
        .arg(&cut)
        .args([
            "--replicates",
            "60",
            "--chunk",
            "8",
            "--stop-after-chunks",
            "3",
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let resumed = run(&s, &cut, &["--chunk", "8", "--resume"]);
    assert_eq!(resumed["design_points"], one["design_points"]);
    // the console says it
    let o = hfsim()
        .args([
            "run",
            s.to_str().unwrap(),
            "--no-progress",
            "--no-plots",
            "--out",
        ])
        .arg(s.with_file_name("console"))
        .args(["--replicates", "20"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("true effect (no measurement error) median"),
        "{text}"
    );
}

/// The drivers of `summary.json`: the RV repair rate explains a clear share
/// of the RVESV endpoint's true effect across the worlds, the rate of
/// non-HF serious adverse events none (within its error).
#[test]
fn drivers_name_the_parameter_that_moves_the_true_effect() {
    let s = scenario(
        "drivers",
        &format!(
            "{}\n[uncertainty.parameters.sae_rate_per_year]\ndistribution = \"uniform\"\nlow = 0.05\nhigh = 0.5\n",
            RV_PRIOR.replace("sd_log = 0.5", "sd_log = 1.0")
        ),
    );
    let out = s.with_file_name("out");
    let o = hfsim()
        .args(["run", s.to_str().unwrap(), "--no-progress", "--no-plots"])
        .args(["--replicates", "1000", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // the console names it
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("true effect varies most with rv_repair_emax_per_day "),
        "{text}"
    );
    assert!(!text.contains("varies most with sae_rate"), "{text}");
    let v = summary(&out);
    let e = by_name(&v, "delta_rvesv_mri_d180");
    let d = e["drivers"].as_array().unwrap();
    println!("{d:#?}");
    assert_eq!(d.len(), 2);
    assert_eq!(d[0]["parameter"], "rv_repair_emax_per_day");
    let f = |x: &Value, k: &str| x[k].as_f64().unwrap();
    assert!(
        f(&d[0], "true_effect_first_order") > 3.0 * f(&d[0], "true_effect_first_order_se"),
        "{d:?}"
    );
    assert_eq!(d[1]["parameter"], "sae_rate_per_year");
    assert!(
        f(&d[1], "true_effect_first_order").abs() < 3.0 * f(&d[1], "true_effect_first_order_se"),
        "{d:?}"
    );
    // an endpoint without a true effect still gets the decision's indices
    let events = by_name(&v, "any_sae")["drivers"].as_array().unwrap();
    assert!(events[0].get("true_effect_first_order").is_none());
    assert!(events[0]["rejection_first_order"].is_number());
}

fn normal_cdf(x: f64) -> f64 {
    // Phi via the complementary error function (Abramowitz-Stegun 7.1.26
    // is too coarse; this is W. J. Cody's rational approximation through
    // erfc as in the standard library of many languages)
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    // Numerical Recipes erfcc (fractional error below 1.2e-7), enough for a
    // reference whose own Monte Carlo error is 3.5e-3
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.26551223
            + t * (1.00002368
                + t * (0.37409196
                    + t * (0.09678418
                        + t * (-0.18628806
                            + t * (0.27886807
                                + t * (-1.13520398
                                    + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[test]
fn bad_uncertainty_tables_are_explained() {
    let cases: &[(&str, &str)] = &[
        (
            "[uncertainty.parameters.rv_repair_emax]\ndistribution = \"normal\"\nmean = 0.1\nsd = 0.01\n",
            "uncertainty.parameters.rv_repair_emax: unknown model parameter; did you mean `rv_repair_emax_per_day`?",
        ),
        (
            "[uncertainty.parameters.rv_repair_emax_per_day]\ndistribution = \"gamma\"\nmean = 0.1\n",
            "uncertainty.parameters.rv_repair_emax_per_day.distribution: unknown distribution `gamma`; allowed: normal, log_normal, logit_normal, uniform, point",
        ),
        (
            "[uncertainty.parameters.rv_repair_emax_per_day]\ndistribution = \"log_normal\"\nmedian = 0.1\n",
            "uncertainty.parameters.rv_repair_emax_per_day.sd_log: a log_normal prior needs median and sd_log",
        ),
        (
            "[uncertainty.parameters.rv_repair_emax_per_day]\ndistribution = \"uniform\"\nlow = 0.0\nhigh = 0.5\nsd = 1\n",
            "uncertainty.parameters.rv_repair_emax_per_day.sd: not a parameter of a uniform prior",
        ),
        (
            "[uncertainty.parameters.rv_repair_emax_per_day]\ndistribution = \"normal\"\nmean = 0.1\nsd = 0.1\nupper = 5\n",
            "uncertainty.parameters.rv_repair_emax_per_day.upper: must be within the parameter's range [0, 1]",
        ),
        (
            "[uncertainty.parameters.rv_repair_emax_per_day]\ndistribution = \"normal\"\nmean = 0.1\nsd = -1\n",
            "uncertainty.parameters.rv_repair_emax_per_day: the sd must be positive and finite (got -1)",
        ),
        (
            "[uncertainty.parameters.rv_repair_emax_per_day]\ndistribution = \"normal\"\nmean = 0.1\nsd = 0.1\n[[uncertainty.correlations]]\nbetween = [\"rv_repair_emax_per_day\", \"lv_repair_emax_per_day\"]\nrho = 0.5\n",
            "uncertainty.correlations[0].between: needs two different parameters of [uncertainty.parameters]",
        ),
        (
            "[uncertainty]\n",
            "uncertainty.parameters: required key `parameters`",
        ),
        (
            "[uncertainty]\npower_every = 0\n[uncertainty.parameters.rv_repair_emax_per_day]\ndistribution = \"normal\"\nmean = 0.1\nsd = 0.01\n",
            "uncertainty.power_every: must be a whole number >= 1",
        ),
    ];
    for (i, (extra, expect)) in cases.iter().enumerate() {
        let s = scenario(&format!("bad{i}"), extra);
        let o = hfsim().args(["validate"]).arg(&s).output().unwrap();
        let text =
            String::from_utf8_lossy(&o.stderr).to_string() + &String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(2), "case {i}: {text}");
        assert!(
            text.contains(expect),
            "case {i}: expected {expect:?} in\n{text}"
        );
        // file:line:column: key
        let tag = "scenario.toml:";
        assert!(
            text.match_indices(tag)
                .any(|(at, _)| text[at + tag.len()..].starts_with(|c: char| c.is_ascii_digit())),
            "case {i}: a line number in\n{text}"
        );
    }
}

fn search(s: &Path, out: &Path, args: &[&str]) -> std::process::Output {
    hfsim()
        .args([
            "search",
            s.to_str().unwrap(),
            "--no-progress",
            "--no-plots",
            "--out",
        ])
        .arg(out)
        .args([
            "--endpoint",
            "delta_rvesv_mri_d180",
            "--over",
            "trial.n_per_arm",
            "--min",
            "3",
            "--max",
            "14",
            "--replicates",
            "60",
        ])
        .args(args)
        .output()
        .unwrap()
}

fn search_json(out: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("search.json")).unwrap()).unwrap()
}

#[test]
fn search_on_assurance_counts_the_worlds() {
    // a wide prior on the RV repair rate: assurance differs from power
    let s = scenario(
        "search",
        "[uncertainty.parameters.rv_repair_emax_per_day]\ndistribution = \"log_normal\"\nmedian = 0.004\nsd_log = 1.0\n",
    );
    let o = search(&s, &s.with_file_name("a"), &["--criterion", "assurance"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("reaching assurance 0.8")
            || text.contains("target assurance 0.8 is NOT reached"),
        "{text}"
    );
    let a = search_json(&s.with_file_name("a"));
    assert_eq!(a["criterion"], "assurance");
    let csv = std::fs::read_to_string(s.with_file_name("a").join("search.csv")).unwrap();
    assert!(
        csv.starts_with("value,assurance,assurance_mcse,assurance_ci_low"),
        "{csv}"
    );
    // each evaluation's counts are the run's favourable rejections in the worlds
    let evals = a["result"]["evaluations"].as_array().unwrap();
    assert!(evals.len() >= 3);
    let mut differs = false;
    for e in evals.iter().take(3) {
        let n = e["value"].as_f64().unwrap() as u64;
        let run_out = s.with_file_name(format!("run{n}"));
        let v = run(&s, &run_out, &["--set", &format!("trial.n_per_arm={n}")]);
        let ep = by_name(&v, "delta_rvesv_mri_d180");
        let worlds = ep["worlds"].as_u64().unwrap();
        assert_eq!(e["replicates"].as_u64().unwrap(), worlds);
        let fav = (ep["assurance_favourable"].as_f64().unwrap() * worlds as f64).round() as u64;
        assert_eq!(e["rejections"].as_u64().unwrap(), fav, "n = {n}");
        let pow = (ep["power_favourable"].as_f64().unwrap() * worlds as f64).round() as u64;
        differs |= pow != fav;
    }
    assert!(differs, "assurance and power differ somewhere on the grid");
    // with power, the same search finds another answer or other counts
    let o = search(&s, &s.with_file_name("p"), &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let p = search_json(&s.with_file_name("p"));
    assert_eq!(p["criterion"], "power");
    assert_ne!(p["result"], a["result"]);
}

#[test]
fn search_on_a_zero_width_uncertainty_gives_the_power_answer() {
    let central = [(P::RvRepairEmax, P::RvRepairEmax.info().default)];
    let s = scenario("search-zero", &point_priors(&central));
    let (a, p) = (s.with_file_name("a"), s.with_file_name("p"));
    assert!(
        search(&s, &a, &["--criterion", "assurance"])
            .status
            .success()
    );
    assert!(search(&s, &p, &["--criterion", "power"]).status.success());
    assert_eq!(search_json(&a)["result"], search_json(&p)["result"]);
}

#[test]
fn assurance_criterion_needs_uncertainty() {
    let s = scenario("search-none", "");
    let o = search(&s, &s.with_file_name("a"), &["--criterion", "assurance"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--criterion assurance") && err.contains("no [uncertainty] section"),
        "{err}"
    );
    // the interval sweep without the posterior worlds it inherits
    let plain = s.with_file_name("plain_sweep.toml");
    std::fs::write(
        &plain,
        format!(
            "uncertainty = false\n[scenario]\nbase = \"{}\"\nname = \"plain_sweep\"\n",
            std::fs::canonicalize("scenarios/interval_sweep.toml")
                .unwrap()
                .display()
        ),
    )
    .unwrap();
    let o = hfsim()
        .args([
            "sweep",
            plain.to_str().unwrap(),
            "--no-progress",
            "--no-plots",
            "--replicates",
            "4",
            "--criterion",
            "assurance",
            "--out",
        ])
        .arg(s.with_file_name("sweep"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--criterion assurance") && err.contains("no [uncertainty] section"),
        "{err}"
    );
}

#[test]
fn sweep_on_assurance_draws_assurance_curves() {
    let s = scenario(
        "sweep",
        &format!(
            "[sweep]\nmode = \"factorial\"\n[sweep.axes]\n\"trial.n_per_arm\" = [4, 8]\n{RV_PRIOR}"
        ),
    );
    let out = s.with_file_name("out");
    let o = hfsim()
        .args([
            "sweep",
            s.to_str().unwrap(),
            "--no-progress",
            "--replicates",
            "20",
            "--criterion",
            "assurance",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let svg = std::fs::read_to_string(out.join("power_curves.svg")).unwrap();
    assert!(
        svg.contains("assurance by"),
        "the title names the criterion"
    );
    let o = hfsim()
        .args([
            "sweep",
            s.to_str().unwrap(),
            "--no-progress",
            "--replicates",
            "20",
            "--out",
        ])
        .arg(s.with_file_name("power"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let svg = std::fs::read_to_string(s.with_file_name("power").join("power_curves.svg")).unwrap();
    assert!(svg.contains("power by") && !svg.contains("assurance by"));
}
