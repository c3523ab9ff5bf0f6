//! The plausibility audit (src/plausibility.rs, the hook in
//! `trial::simulate_patient`, summary.json `plausibility`, the warnings of
//! `hfsim run` and `hfsim validate`):
//! * the tallies count values at the limits as inside, beyond them (and NaN)
//!   as outside, keep the finite extremes, and merge exactly in any order;
//! * a patient-visit counts once however many of its values are outside;
//!   the untreated change is per year beyond one year, only after day 0 and
//!   only for an arm given no cells;
//! * in a simulated trial every attended visit of every patient neither
//!   withdrawn nor failed is audited on the true values (those the trial
//!   measures with error lie within the audited extremes);
//! * `plausibility::audit` gives the counts of `hfsim run`'s summary.json;
//! * a population outside physiology is warned about by `run` and
//!   `validate` and counted in summary.json; summary.json is byte-identical
//!   on 1 and 2 threads.

use hfsim::model::Observables;
use hfsim::plausibility::{
    ArmAudits, AuditTally, Audited, ObservableTally, PLAUSIBLE, WARN_FRACTION, audit,
    fraction_outside, warning_message,
};
use hfsim::rng::DesignSlot;
use hfsim::trial::measurement::{N_SLOTS, SLOTS};
use hfsim::trial::{Method, TrialContext, Workspace, simulate_trial};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const SMALL: &str = "tests/fixtures/small_trial.toml";

/// Every baseline LVEDV below the 40 mL limit (the model starts each
/// patient at the true baseline), whatever the model's dynamics.
const TINY_LV: [&str; 8] = [
    "--set",
    "population.covariates.lvedv_ml.mean=35",
    "--set",
    "population.covariates.lvedv_ml.sd=2",
    "--set",
    "population.covariates.lvedv_ml.min=30",
    "--set",
    "population.covariates.lvedv_ml.max=39",
];

fn hfsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hfsim"))
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hfsim-plausibility-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn index(name: &str) -> usize {
    PLAUSIBLE
        .iter()
        .position(|r| r.observable == name)
        .unwrap_or_else(|| panic!("{name} is audited"))
}

/// A state inside every range.
fn normal_state() -> Observables {
    Observables {
        lvef_percent: 30.0,
        lvedv_ml: 200.0,
        lvesv_ml: 140.0,
        rvef_percent: 40.0,
        rvedv_ml: 180.0,
        rvesv_ml: 108.0,
        tapse_mm: 16.0,
        ntprobnp_ng_per_l: 2000.0,
        six_minute_walk_m: 400.0,
        ddimer_mg_per_l: 0.4,
        inr: 1.0,
        antibody: 0.0,
        rv_signal: 0.0,
        lv_signal: 0.0,
    }
}

#[test]
fn tally_counts_limits_as_inside_and_beyond_them_as_outside() {
    let lvef = &PLAUSIBLE[index("lvef")];
    assert_eq!((lvef.low, lvef.high), (5.0, 75.0));
    let mut t = ObservableTally::default();
    // (value, outside)
    for (x, out) in [
        (5.0, false),
        (75.0, false),
        (40.0, false),
        (4.999, true),
        (75.001, true),
        (f64::NAN, true),
        (f64::INFINITY, true),
    ] {
        assert_eq!(t.add(x, lvef), out, "{x}");
    }
    assert_eq!((t.n_checked, t.n_outside), (7, 4));
    // extremes of the finite values only
    assert_eq!((t.min, t.max), (Some(4.999), Some(75.001)));
    // an open upper side: any large volume is inside, below 40 mL is not
    let lvedv = &PLAUSIBLE[index("lvedv")];
    let mut v = ObservableTally::default();
    assert!(!v.add(40.0, lvedv) && !v.add(1e6, lvedv) && v.add(39.99, lvedv));
    assert_eq!((v.n_checked, v.n_outside), (3, 1));
    assert_eq!(ObservableTally::default().min, None);
}

#[test]
fn a_visit_counts_once_and_untreated_change_is_per_year_after_day_0() {
    let day0 = normal_state();
    let mut t = AuditTally::default();
    // day 0: levels only, no change checked even for an untreated patient
    t.audit_visit(0.0, &day0, Some(&day0));
    assert_eq!((t.visits_checked, t.visits_outside), (1, 0));
    assert_eq!(t.observables[index("lvedv_change_untreated")].n_checked, 0);
    // day 180: LVEF 80% and LVESV 10 mL: one visit outside (levels); the
    // LVESV fall of 93% is reverse remodelling, not limited (growth only)
    let mut s = normal_state();
    s.lvef_percent = 80.0;
    s.lvesv_ml = 10.0;
    t.audit_visit(180.0, &s, Some(&day0));
    assert_eq!((t.visits_checked, t.visits_outside), (2, 1));
    assert_eq!(t.observables[index("lvef")].n_outside, 1);
    assert_eq!(t.observables[index("lvesv")].n_outside, 1);
    let c = &t.observables[index("lvesv_change_untreated")];
    assert_eq!((c.n_checked, c.n_outside), (1, 0));
    assert!((c.min.unwrap() - (10.0 / 140.0 - 1.0)).abs() < 1e-15);
    // day 730: LVEDV -70% in two years: inside (falls are not limited);
    // -60% at day 365: inside; +40% exactly at day 200: inside; +50% at
    // day 365: outside; +70% at day 730 is +35% a year: inside
    let mut s = normal_state();
    s.lvedv_ml = 60.0;
    t.audit_visit(730.0, &s, Some(&day0));
    assert_eq!((t.visits_checked, t.visits_outside), (3, 1));
    let c = &t.observables[index("lvedv_change_untreated")];
    assert_eq!((c.n_checked, c.n_outside), (2, 0));
    assert!((c.min.unwrap() - (-0.35)).abs() < 1e-15, "{:?}", c.min);
    s.lvedv_ml = 80.0;
    t.audit_visit(365.0, &s, Some(&day0));
    assert_eq!(t.visits_outside, 1);
    s.lvedv_ml = 280.0;
    t.audit_visit(200.0, &s, Some(&day0));
    assert_eq!(t.visits_outside, 1);
    s.lvedv_ml = 300.0;
    t.audit_visit(365.0, &s, Some(&day0));
    assert_eq!(t.visits_outside, 2);
    s.lvedv_ml = 340.0;
    t.audit_visit(730.0, &s, Some(&day0));
    assert_eq!(t.visits_outside, 2);
    assert_eq!(
        t.observables[index("lvedv_change_untreated")].max,
        Some(300.0 / 200.0 - 1.0)
    );
    // a treated patient: no change audited at all
    let mut treated = AuditTally::default();
    let mut s = normal_state();
    s.rvesv_ml = 1.0;
    treated.audit_visit(180.0, &s, None);
    assert_eq!((treated.visits_checked, treated.visits_outside), (1, 1));
    for r in ["lvedv", "lvesv", "rvedv", "rvesv"] {
        assert_eq!(
            treated.observables[index(&format!("{r}_change_untreated"))].n_checked,
            0
        );
    }
}

#[test]
fn a_tally_reads_back_from_its_checkpoint_text_bit_for_bit() {
    let mut t = ObservableTally::default();
    let range = &PLAUSIBLE[index("lvef")];
    for x in [
        12.748941332033391,
        0.1 + 0.2,
        5e-324,
        1.7976931348623157e308,
        -0.0,
    ] {
        t.add(x, range);
    }
    let text = serde_json::to_string(&t).unwrap();
    let back: ObservableTally = serde_json::from_str(&text).unwrap();
    assert_eq!(back.min.map(f64::to_bits), t.min.map(f64::to_bits));
    assert_eq!(back.max.map(f64::to_bits), t.max.map(f64::to_bits));
    assert_eq!(back, t);
    let empty: ObservableTally =
        serde_json::from_str(&serde_json::to_string(&ObservableTally::default()).unwrap()).unwrap();
    assert_eq!(empty, ObservableTally::default());
}

#[test]
fn merging_is_exact_in_any_order() {
    let values: Vec<f64> = (0..600)
        .map(|i| ((i * 7919) % 1013) as f64 * 0.0987 - 3.0)
        .chain([0.0, -0.0, 75.0, 5.0, f64::NAN])
        .collect();
    let range = &PLAUSIBLE[index("lvef")];
    let mut whole = ObservableTally::default();
    values.iter().for_each(|&x| {
        whole.add(x, range);
    });
    let chunks: Vec<ObservableTally> = values
        .chunks(37)
        .map(|c| {
            let mut t = ObservableTally::default();
            c.iter().for_each(|&x| {
                t.add(x, range);
            });
            t
        })
        .collect();
    let mut forward = ObservableTally::default();
    chunks.iter().for_each(|c| forward.merge(c));
    let mut backward = ObservableTally::default();
    chunks.iter().rev().for_each(|c| backward.merge(c));
    assert_eq!(forward, whole);
    assert_eq!(backward, whole);
    // the bits too (-0.0 and 0.0 are ordered by total_cmp)
    assert_eq!(
        forward.min.map(f64::to_bits),
        backward.min.map(f64::to_bits)
    );
    assert_eq!(whole.n_checked, 605);
    // the same for whole audits
    let states: Vec<(f64, Observables)> = (0..50)
        .map(|i| {
            let mut s = normal_state();
            s.lvef_percent = 20.0 + 1.3 * i as f64;
            s.lvesv_ml = 200.0 - 4.0 * i as f64;
            (i as f64 * 10.0, s)
        })
        .collect();
    let day0 = normal_state();
    let tally = |xs: &[(f64, Observables)]| {
        let mut t = AuditTally::default();
        xs.iter()
            .for_each(|(d, s)| t.audit_visit(*d, s, Some(&day0)));
        t
    };
    let mut a = tally(&states[..17]);
    a.merge(&tally(&states[17..]));
    let mut b = tally(&states[30..]);
    b.merge(&tally(&states[..30]));
    assert_eq!(a, tally(&states));
    assert_eq!(b, a);
    assert!(a.visits_outside > 0 && a.visits_outside < a.visits_checked);
}

#[test]
fn warned_only_above_one_in_a_thousand_patient_visits() {
    let mut arms = ArmAudits::default();
    arms[0].visits_checked = 600;
    arms[1].visits_checked = 400;
    arms[1].visits_outside = 1;
    arms[1].observables[index("tapse")] = ObservableTally {
        n_checked: 400,
        n_outside: 1,
        min: Some(10.0),
        max: Some(33.5),
    };
    assert_eq!(fraction_outside(&arms), WARN_FRACTION);
    assert_eq!(warning_message(["placebo", "msc"], &arms), None);
    arms[1].visits_outside = 2;
    arms[1].observables[index("tapse")].n_outside = 2;
    let m = warning_message(["placebo", "msc"], &arms).expect("2 of 1000 is warned about");
    assert!(
        m.contains("2 of 1000") && m.contains("tapse") && m.contains("2 of 400 in msc"),
        "{m}"
    );
    assert!(m.contains("33.5") && m.contains("3 to 32 mm"), "{m}");
    assert!(!m.contains("placebo") && !m.contains("lvef"), "{m}");
    assert_eq!(fraction_outside(&ArmAudits::default()), 0.0);
}

fn small_context(keep_true_values: bool) -> TrialContext {
    let loaded = hfsim::scenario::load_file(Path::new(SMALL), &[]).unwrap();
    let s = loaded.scenario;
    let method = Method::for_scenario(&s);
    let mut ctx = TrialContext::new(s, DesignSlot::Shared, method);
    ctx.keep_true_values = keep_true_values;
    ctx
}

#[test]
fn every_attended_visit_of_a_simulated_patient_is_audited_on_true_values() {
    let ctx = small_context(true);
    let lvef_slots: Vec<usize> = (0..N_SLOTS)
        .filter(|&k| SLOTS[k].0 == hfsim::model::Quantity::Lvef)
        .collect();
    let (mut audited, mut measured_outside_audit) = (0, 0);
    let mut ws = Workspace::default();
    for replicate in 0..10 {
        let data = simulate_trial(&ctx, replicate, &mut ws).unwrap();
        for p in &data.patients {
            let t = &p.plausibility;
            if p.withdrawn || p.failed {
                assert_eq!(*t, AuditTally::default(), "patient {}", p.index);
                continue;
            }
            let attended = p
                .visit_days
                .iter()
                .filter(|&&d| d <= p.followed_until && p.events.death.is_none_or(|x| d < x))
                .count() as u64;
            assert_eq!(t.visits_checked, attended, "patient {}", p.index);
            for (r, o) in PLAUSIBLE.iter().zip(&t.observables) {
                if matches!(r.audited, Audited::Level(_)) {
                    assert_eq!(o.n_checked, attended, "{}", r.observable);
                }
            }
            let after_day0 = p
                .visit_days
                .iter()
                .filter(|&&d| {
                    d > 0.0 && d <= p.followed_until && p.events.death.is_none_or(|x| d < x)
                })
                .count() as u64;
            let change = t.observables[index("lvesv_change_untreated")].n_checked;
            // placebo (arm 0) is given no cells, msc (arm 1) is
            assert_eq!(change, if p.arm == 0 { after_day0 } else { 0 });
            // the true values measured lie within the audited extremes; the
            // measured ones need not
            let lvef = &t.observables[index("lvef")];
            let (lo, hi) = (lvef.min.unwrap(), lvef.max.unwrap());
            for v in 0..p.visit_days.len() {
                for &k in &lvef_slots {
                    let truth = p.true_measured[v * N_SLOTS + k];
                    if truth.is_finite() {
                        assert!(lo <= truth && truth <= hi, "{truth} not in [{lo}, {hi}]");
                        let m = p.measured[v * N_SLOTS + k];
                        measured_outside_audit += usize::from(m < lo || m > hi);
                    }
                }
            }
            audited += 1;
        }
    }
    assert!(audited > 100, "{audited}");
    assert!(
        measured_outside_audit > 0,
        "measurement error never left the true range"
    );
}

fn run(out: &Path, extra: &[&str]) -> (Value, String) {
    let o = hfsim()
        .args([
            "run",
            SMALL,
            "--replicates",
            "12",
            "--no-progress",
            "--no-plots",
            "--out",
        ])
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{err}");
    let text = std::fs::read_to_string(out.join("summary.json")).unwrap();
    (serde_json::from_str(&text).unwrap(), err)
}

#[test]
fn audit_gives_the_counts_of_a_run() {
    let out = dir("audit");
    let (summary, _) = run(&out, &[]);
    // (run.replicates does not change the patients: the audit takes the count)
    let loaded = hfsim::scenario::load_file(Path::new(SMALL), &[]).unwrap();
    let audits = audit(&[&loaded.scenario], 12).unwrap();
    let p = &summary["design_points"][0]["plausibility"];
    for (a, key) in ["placebo", "msc"].iter().enumerate() {
        for (k, r) in PLAUSIBLE.iter().enumerate() {
            let o = &p[key][r.observable];
            let t = &audits[0][a].observables[k];
            assert_eq!(
                o["n_checked"].as_u64(),
                Some(t.n_checked),
                "{key} {}",
                r.observable
            );
            assert_eq!(
                o["n_outside"].as_u64(),
                Some(t.n_outside),
                "{key} {}",
                r.observable
            );
            // (serde_json reads floats to within an ulp or so)
            let near = |j: &Value, x: Option<f64>| match (j.as_f64(), x) {
                (Some(a), Some(b)) => (a - b).abs() <= 1e-15 * b.abs(),
                (a, b) => a == b,
            };
            assert!(near(&o["min"], t.min), "{key} {}: {o} {t:?}", r.observable);
            assert!(near(&o["max"], t.max), "{key} {}: {o} {t:?}", r.observable);
            assert_eq!(o["unit"].as_str(), Some(r.unit));
            assert_eq!(o["low"].as_f64(), r.low.is_finite().then_some(r.low));
            assert_eq!(o["high"].as_f64(), r.high.is_finite().then_some(r.high));
        }
    }
    let f = fraction_outside(&audits[0]);
    assert!(
        (p["fraction_outside"].as_f64().unwrap() - f).abs() <= 1e-15 * f,
        "{f}"
    );
    let outside: u64 = audits[0].iter().map(|a| a.visits_outside).sum();
    assert_eq!(p["patient_visits_outside"].as_u64(), Some(outside));
    let checked: u64 = audits[0].iter().map(|a| a.visits_checked).sum();
    assert!(checked > 500, "{checked}");
    assert_eq!(p["patient_visits_checked"].as_u64(), Some(checked));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn an_implausible_population_is_warned_about_by_run_and_validate() {
    let out = dir("tiny");
    let (summary, err) = run(&out, &TINY_LV);
    assert!(
        err.contains("warning") && err.contains("patient-visits") && err.contains("lvedv"),
        "{err}"
    );
    let d = &summary["design_points"][0]["plausibility"];
    for arm in ["placebo", "msc"] {
        let lvedv = &d[arm]["lvedv"];
        assert!(lvedv["n_outside"].as_u64().unwrap() > 0, "{lvedv}");
        assert!(lvedv["min"].as_f64().unwrap() < 40.0, "{lvedv}");
    }
    assert!(d["fraction_outside"].as_f64().unwrap() > WARN_FRACTION);
    let warnings = summary["warnings"]
        .as_array()
        .expect("warnings in summary.json");
    let w = warnings
        .iter()
        .find(|w| w["kind"] == "plausibility")
        .expect("a plausibility warning");
    assert_eq!(w["key"], "model");
    assert!(
        w["message"]
            .as_str()
            .unwrap()
            .contains("lvedv (plausible >= 40 mL)")
    );
    // validate audits a few replicates and warns likewise
    let o = hfsim()
        .args(["validate", SMALL])
        .args(TINY_LV)
        .output()
        .unwrap();
    assert!(o.status.success());
    let (stdout, stderr) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(stderr.contains("lvedv (plausible >= 40 mL)"), "{stderr}");
    assert!(
        stdout.contains("1 warning") && stdout.contains("plausibility audit: 20 replicates"),
        "{stdout}"
    );
    // without the audit nothing is simulated and nothing is warned
    let o = hfsim()
        .args(["validate", SMALL, "--audit-replicates", "0"])
        .args(TINY_LV)
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(!String::from_utf8_lossy(&o.stderr).contains("patient-visits"));
    assert!(!String::from_utf8_lossy(&o.stdout).contains("plausibility audit"));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn the_audit_is_the_same_on_one_and_two_threads() {
    let (a, b) = (dir("t1"), dir("t2"));
    let (one, _) = run(&a, &["--threads", "1", "--chunk", "5"]);
    let (_, _) = run(&b, &["--threads", "2", "--chunk", "3"]);
    assert_eq!(
        std::fs::read(a.join("summary.json")).unwrap(),
        std::fs::read(b.join("summary.json")).unwrap()
    );
    let p = &one["design_points"][0]["plausibility"];
    assert!(p["msc"]["lvef"]["n_checked"].as_u64().unwrap() > 0, "{p}");
    let _ = (std::fs::remove_dir_all(&a), std::fs::remove_dir_all(&b));
}

/// Issue 13 point 2: every shipped scenario keeps at least 99.9% of its
/// audited patient-visits inside the physiological ranges (every design
/// point, both arms; 20 replicates each, as `hfsim validate` audits them),
/// the published trials of `scenarios/trials/` included.
#[test]
fn every_shipped_scenario_passes_the_plausibility_audit() {
    let mut checked = 0;
    let entries = std::fs::read_dir("scenarios")
        .unwrap()
        .chain(std::fs::read_dir("scenarios/trials").unwrap());
    for entry in entries {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let loaded = hfsim::scenario::load_file(&path, &[]).unwrap();
        let points = hfsim::scenario::design_points(&loaded).unwrap();
        let scenarios: Vec<&hfsim::scenario::Scenario> =
            points.iter().map(|(_, l)| &l.scenario).collect();
        let audits = audit(&scenarios, 20).unwrap();
        for (k, arms) in audits.iter().enumerate() {
            let f = hfsim::plausibility::fraction_outside(arms);
            assert!(
                f <= hfsim::plausibility::WARN_FRACTION,
                "{} design point {k}: {:.3}% of patient-visits outside: {}",
                path.display(),
                100.0 * f,
                hfsim::plausibility::warning_message(["control", "treatment"], arms)
                    .unwrap_or_default()
            );
            // (BioVAT-HF: 15 treated patients and a one-patient placeholder control)
            assert!(arms.iter().map(|a| a.visits_checked).sum::<u64>() > 500);
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} scenarios found");
}
