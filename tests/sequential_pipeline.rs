//! Sequential designs through the pipeline, against rpact 3.3.4.
//!
//! * Null scenario (`tests/fixtures/sequential_null.toml`: both arms given
//!   nothing, 30 patients enrolling at 3 per month, the change in TAPSE at
//!   day 180 by Welch's test at 1/3, 2/3 and all patients with an
//!   O'Brien-Fleming-type boundary), 20,000 replicates simulated by the
//!   whole pipeline (cohort, model, conduct, accrual, data cuts, looks,
//!   reduction): the overall type I error is within 3 Monte Carlo SEs of
//!   alpha = 0.025 and the cumulative crossing probability at each look is
//!   within 3 SEs of rpact's cumulative alpha spent; the same with
//!   sample-size re-estimation at look 2 (`sequential_null_ssr.toml`, the
//!   Cui-Hung-Wang statistic), whose patients are shared with the first
//!   design (common random numbers, simulated once).
//! * Normal endpoint with a fixed effect: synthetic patients (the change at
//!   day 180 normal with SD 1, effect delta; one patient enrolling per day)
//!   through the same looks, bounds, decisions and reduction, 20,000
//!   replicates: power, stopping probabilities per look and the expected
//!   number of patients are within 3 SEs of rpact's `getPowerMeans` and
//!   `getSampleSizeMeans` for the same design
//!   (`scripts/sequential_fixtures/rpact_power_means.R`).

#![allow(clippy::needless_range_loop)]

use hfsim::model::fast::FastOptions;
use hfsim::model::observation::{Modality, Quantity};
use hfsim::rng::{DesignSlot, Purpose, StreamKey};
use hfsim::runner::{Resume, RunOptions, Silent, run_design_points};
use hfsim::sequential::SequentialAcc;
use hfsim::summary::{DesignAcc, PowerEstimate};
use hfsim::trial::measurement::{N_SLOTS, slot};
use hfsim::trial::{Method, PatientRecord, TrialContext, TrialData};
use rand::RngExt;
use rand_distr::StandardNormal;
use serde_json::Value;
use std::path::Path;

const REPLICATES: u64 = 20_000;

fn fixture(name: &str) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(format!("tests/fixtures/sequential/{name}")).unwrap(),
    )
    .unwrap()
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// rpact's cumulative alpha spent for asOF, K = 3, equal spacing, alpha 0.025.
fn rpact_asof_k3_alpha_spent() -> Vec<f64> {
    let fx = fixture("rpact_boundaries.json");
    let d = fx["designs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| {
            d["typeOfDesign"] == "asOF"
                && d["kMax"] == 3
                && d["alpha"] == 0.025
                && d["typeBetaSpending"] == "none"
                && (nums(&d["informationRates"])[0] - 1.0 / 3.0).abs() < 1e-9
        })
        .unwrap();
    nums(&d["alphaSpent"])
}

/// `|p - reference| <= 3 sqrt(reference (1 - reference) / n)`.
fn within_3_se(what: &str, p: &PowerEstimate, reference: f64, n: u64, report: &mut Vec<String>) {
    let se = (reference * (1.0 - reference) / n as f64).sqrt();
    report.push(format!(
        "{what}: {:.5} vs {reference:.5} (3 SE {:.5})",
        p.power,
        3.0 * se
    ));
    assert!(
        (p.power - reference).abs() <= 3.0 * se,
        "{what}: simulated {:.5}, reference {reference:.5}, 3 SE {:.5}",
        p.power,
        3.0 * se
    );
}

#[test]
fn null_type_one_error_and_alpha_spent_match_rpact_also_with_reestimation() {
    let spent = rpact_asof_k3_alpha_spent();
    assert!((spent[0] - 0.0001035).abs() < 1e-7 && (spent[1] - 0.006048).abs() < 1e-6);
    let load = |f: &str| {
        hfsim::scenario::load_file(Path::new(&format!("tests/fixtures/{f}")), &[])
            .unwrap()
            .scenario
    };
    let scenarios = [
        load("sequential_null.toml"),
        load("sequential_null_ssr.toml"),
    ];
    let ctxs: Vec<TrialContext> = scenarios
        .iter()
        .map(|s| {
            TrialContext::new(
                s.clone(),
                DesignSlot::Shared,
                Method::Fast(FastOptions::default()),
            )
        })
        .collect();
    let opts: Vec<RunOptions> = (0..2)
        .map(|_| RunOptions {
            chunk: 512,
            export_replicates: 0,
            failures_allowed: u64::MAX,
        })
        .collect();
    let resumes = scenarios
        .iter()
        .map(|s| Resume {
            acc: DesignAcc::new(s),
            covered_from: 0,
        })
        .collect();
    let (accs, done) = run_design_points(
        &ctxs,
        0..REPLICATES,
        resumes,
        &opts,
        &mut Silent,
        &mut [Vec::new(), Vec::new()],
    )
    .unwrap();
    assert!(done);
    let mut report = Vec::new();
    for (name, s, acc) in [
        ("asOF", &scenarios[0], &accs[0]),
        ("asOF with re-estimation", &scenarios[1], &accs[1]),
    ] {
        let q = hfsim::summary::summarize(s, acc, Default::default())
            .sequential
            .expect("sequential summary");
        assert_eq!(q.replicates, REPLICATES);
        within_3_se(
            &format!("{name}: overall type I error"),
            &q.power,
            0.025,
            REPLICATES,
            &mut report,
        );
        for (k, l) in q.per_look.iter().enumerate() {
            within_3_se(
                &format!("{name}: crossed by look {}", k + 1),
                &l.cumulative_rejection,
                spent[k],
                REPLICATES,
                &mut report,
            );
        }
        // every replicate held the final look; interim looks are rarely skipped
        assert!(q.per_look.iter().all(|l| l.held.power > 0.95), "{name}");
        if let Some(inc) = &q.reestimation_increased {
            report.push(format!(
                "{name}: sample size increased in {:.4}, mean final target {:.2} of 30",
                inc.power,
                q.mean_n_target.unwrap()
            ));
            assert!(
                inc.power > 0.01,
                "re-estimation never increased the sample size"
            );
            assert!(q.n_enrolled_max_seen > 30 && q.n_enrolled_max_seen <= 60);
            assert!(q.expected_n_enrolled.mean > 30.0);
        }
    }
    // the endpoint table reports the sequential decision for the primary
    let s0 = hfsim::summary::summarize(&scenarios[0], &accs[0], Default::default());
    assert_eq!(
        s0.endpoints[0].power.power,
        s0.sequential.as_ref().unwrap().power.power
    );
    eprintln!("{}", report.join("\n"));
}

/// A replicate of synthetic patients: the change at V11 is
/// `N(delta * arm, 1)`; arms alternate in random order within pairs;
/// patient i enrols on day i.
fn synthetic(s: &hfsim::scenario::Scenario, replicate: u64, delta: f64) -> TrialData {
    let n = s.patients_per_replicate() as usize;
    let k = slot(Quantity::Tapse, Modality::Echo).unwrap();
    let mut rng = StreamKey {
        seed: 20261201,
        design: DesignSlot::Shared,
        replicate,
        patient: 0,
        purpose: Purpose::Measurement,
    }
    .rng();
    let visits = s.trial.visits.len();
    let mut patients = Vec::with_capacity(n);
    let mut first = 0u8;
    for i in 0..n {
        if i % 2 == 0 {
            first = u8::from(rng.random::<f64>() < 0.5);
        }
        let arm = if i % 2 == 0 { first } else { 1 - first };
        let z: f64 = rng.sample(StandardNormal);
        let mut measured = vec![f64::NAN; visits * N_SLOTS];
        measured[k] = 10.0;
        measured[N_SLOTS + k] = 10.0 + delta * arm as f64 + z;
        patients.push(PatientRecord {
            index: i as u64,
            enrolment_day: i as f64,
            arm,
            withdrawn: false,
            failed: false,
            followed_until: s.run.follow_up_days,
            dropout_day: None,
            events: Default::default(),
            visit_days: s.trial.visits.iter().map(|v| v.day).collect(),
            measured,
            true_measured: Vec::new(),
            peak_antibody: 0.0,
            ana_positive: false,
            covariates: Vec::new(),
            anticoagulated: false,
            plausibility: Default::default(),
        });
    }
    TrialData {
        replicate,
        patients,
        ..Default::default()
    }
}

#[test]
fn power_and_expected_sample_size_match_rpact_for_a_normal_endpoint() {
    use rayon::prelude::*;
    let fx = fixture("rpact_power_means.json");
    let s = hfsim::scenario::load_file(Path::new("tests/fixtures/sequential_normal.toml"), &[])
        .unwrap()
        .scenario;
    let seq = s.sequential.clone().unwrap();
    assert_eq!(s.patients_per_replicate(), fx["n_max"].as_u64().unwrap());
    // the design's bounds are rpact's
    if let hfsim::sequential::design::Rule::GroupSequential { planned, .. } = &seq.rule {
        let c = nums(&fx["design"]["criticalValues"]);
        let f = nums(&fx["design"]["futilityBounds"]);
        for k in 0..3 {
            assert!((planned.efficacy[k] - c[k]).abs() < 1e-6);
        }
        for k in 0..2 {
            assert!((planned.futility[k].unwrap() - f[k]).abs() < 1e-6);
        }
    }
    let delta = fx["delta"].as_f64().unwrap();
    let records: Vec<_> = (0..REPLICATES)
        .into_par_iter()
        .map(|r| {
            let mut data = synthetic(&s, r, delta);
            hfsim::sequential::conduct::conduct(&s, &seq, &mut data, &mut |_, _| {
                unreachable!("no re-estimation")
            })
            .record
        })
        .collect();
    let mut acc = SequentialAcc::new(seq.looks);
    for r in &records {
        acc.add(r);
    }
    let q = hfsim::sequential::record::summarize(&seq, &acc);
    let p = &fx["power_t"];
    let mut report = Vec::new();
    within_3_se(
        "power",
        &q.power,
        p["overallReject"].as_f64().unwrap(),
        REPLICATES,
        &mut report,
    );
    let reject = nums(&p["rejectPerStage"]);
    let futility = nums(&p["futilityPerStage"]);
    for k in 0..3 {
        within_3_se(
            &format!("stop for efficacy at look {}", k + 1),
            &q.per_look[k].stop_efficacy,
            reject[k],
            REPLICATES,
            &mut report,
        );
    }
    for k in 0..2 {
        within_3_se(
            &format!("stop for futility at look {}", k + 1),
            &q.per_look[k].stop_futility,
            futility[k],
            REPLICATES,
            &mut report,
        );
    }
    // expected number of patients analysed at the stop (rpact assumes
    // outcomes known at once: the patients with the endpoint)
    let n = &q.expected_n_analysed;
    for (what, reference) in [
        (
            "getPowerMeans expected patients",
            p["expectedNumberOfSubjects"].as_f64().unwrap(),
        ),
        (
            "getSampleSizeMeans expected patients under H1",
            fx["sample_size"]["expectedNumberOfSubjectsH1"]
                .as_f64()
                .unwrap(),
        ),
    ] {
        report.push(format!(
            "{what}: {:.3} (MCSE {:.3}) vs {reference:.3}",
            n.mean, n.mcse
        ));
        assert!(
            (n.mean - reference).abs() <= 3.0 * n.mcse,
            "{what}: simulated {:.3} (MCSE {:.3}), rpact {reference:.3}",
            n.mean,
            n.mcse
        );
    }
    // the patients analysed at each look are the planned numbers
    let planned = nums(&fx["sample_size"]["numberOfSubjects"]);
    for r in records.iter().take(200) {
        let expect = planned[r.stopped_look].round() as u64;
        assert_eq!(r.n_analysed, expect, "{r:?}");
    }
    eprintln!("{}", report.join("\n"));
}
