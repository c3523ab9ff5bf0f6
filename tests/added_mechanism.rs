//! A mechanism added outside `src/model/`, here in the test itself, is
//! solved by both paths from its one declaration, without touching either
//! integrator (issue 12; docs/model.md, "How to add a mechanism").
//!
//! The mechanism: circulating high-sensitivity troponin T after cell
//! infusions, a marker a modeller might want beside D-dimer. Three states:
//!
//! - `troponin` (ng/L): cleared with a half-life of 10 hours toward a
//!   wall-stress level that rises with the LV end-diastolic volume
//!   (`tn0 (EDV / EDV0)^1.5`), plus release by microemboli proportional to
//!   the procoagulant states (IBMIR and the sustained response): nonlinear in
//!   a slow state, linear in two fast ones;
//! - `rv_exposure` (signal-days): the time integral of the last RV paracrine
//!   delay-chain compartment (fast after each dose);
//! - `procedure_marker`: each dose adds the viable cells it delivers, which
//!   then wane with a half-life of 30 days (a dose-triggered jump).
//!
//! Agreement is required to 1e-4 relative (floor 1e-9), the fast path's
//! tolerance for the patient's own observables (`tests/fast_path.rs`).

mod common;

use common::prime;
use hfsim::model::added::{
    AddedMechanism, AddedState, MAX_ADDED_STATES, simulate_added_fast, simulate_added_reference,
};
use hfsim::model::fast::{FastOptions, simulate_fast};
use hfsim::model::patient::DoseAmounts;
use hfsim::model::simulate::{SimulationPlan, Trajectory, simulate_with};
use hfsim::model::state::{IBMIR, LV_LOG_EDV, RV_CHAIN_3, SUSTAINED, State};
use hfsim::model::*;
use hfsim::rng::DesignSlot;
use hfsim::solver::dopri5::Dopri5;

const TOL: f64 = 1e-4;

struct Troponin {
    /// Clearance (1/day).
    k_clear: f64,
    /// Wall-stress level at the baseline LV volume (ng/L).
    tn0: f64,
    /// ln of the baseline LVEDV.
    ln_edv0: f64,
    /// Release per unit procoagulant state (ng/L per day per mg/L).
    release: f64,
    /// Waning of the procedure marker (1/day).
    k_wane: f64,
    /// The clearance the fast path is told (the true one unless a test lies).
    declared_rate: f64,
}

impl Troponin {
    fn for_patient(model: &PatientModel) -> Troponin {
        let k_clear = std::f64::consts::LN_2 / (10.0 / 24.0);
        Troponin {
            k_clear,
            tn0: 18.0,
            ln_edv0: model.initial_state()[LV_LOG_EDV],
            release: 40.0,
            k_wane: std::f64::consts::LN_2 / 30.0,
            declared_rate: k_clear,
        }
    }
}

impl AddedMechanism for Troponin {
    fn initial(&self, _model: &PatientModel) -> AddedState {
        let mut own = [0.0; MAX_ADDED_STATES];
        own[0] = self.tn0;
        own
    }

    fn rhs(&self, _t: f64, p: &State, own: &AddedState, d: &mut AddedState) {
        let wall = self.tn0 * (1.5 * (p[LV_LOG_EDV] - self.ln_edv0)).exp();
        d[0] = self.k_clear * (wall - own[0]) + self.release * (p[IBMIR] + p[SUSTAINED]).max(0.0);
        d[1] = p[RV_CHAIN_3];
        d[2] = -self.k_wane * own[2];
    }

    fn on_dose(&self, _p: &State, dose: &DoseAmounts, own: &mut AddedState) {
        own[2] += dose.viable;
    }

    fn largest_rate(&self) -> f64 {
        self.declared_rate
    }
}

/// The fast-path comparison's regimens (`tests/common`) and adipose MSC
/// given intracoronary (another product and route).
fn regimens() -> Vec<(&'static str, Regimen)> {
    let mut all = common::regimens();
    let mut adipose = all[0].1.clone();
    adipose.route = Route::Intracoronary;
    adipose.product = Product::AdiposeMsc;
    all.push(("adipose_intracoronary", adipose));
    all
}

/// The reference integrator for the joined system: tight tolerances, and
/// steps of at most a quarter day (troponin's clearance, 1.66/day, makes the
/// long steps of the follow-up's tail stiff for an explicit method: with
/// steps of up to half a day `ode_solvers` detects stiffness in one patient).
fn reference() -> Dopri5 {
    Dopri5 {
        h_max: 0.25,
        ..Dopri5::tight()
    }
}

/// The largest relative difference of the added states between the two
/// paths over the sample days, and where.
fn largest_difference(
    model: &PatientModel,
    mechanism: &Troponin,
    plan: &SimulationPlan,
) -> (f64, String) {
    let r = simulate_added_reference(model, mechanism, plan, &reference()).expect("reference");
    let f = simulate_added_fast(model, mechanism, plan, &FastOptions::default()).expect("fast");
    let mut worst = (0.0, String::new());
    for (k, &d) in plan.sample_days.iter().enumerate() {
        for (j, name) in ["troponin", "rv_exposure", "procedure_marker"]
            .iter()
            .enumerate()
        {
            let (x, y) = (r.samples[k][j], f.samples[k][j]);
            let err = (x - y).abs() / x.abs().max(1e-9);
            if err > worst.0 {
                worst = (err, format!("{name} at day {d}: reference {x}, fast {y}"));
            }
        }
    }
    worst
}

fn days() -> Vec<f64> {
    // visits, the day after each PRIME infusion, and days between nodes
    vec![
        0.0, 0.5, 1.0, 3.3, 7.0, 14.0, 42.0, 43.0, 43.7, 84.0, 85.0, 100.25, 180.0, 270.0, 359.9,
        360.0,
    ]
}

#[test]
fn an_added_mechanism_gets_both_paths_to_agree() {
    let loaded = prime();
    let s = &loaded.scenario;
    let sampler = hfsim::cohort::CohortSampler::new(s, DesignSlot::Shared);
    let cohort = sampler.enrol(7, 6).unwrap();
    let days = days();
    let mut worst: (f64, String) = (0.0, String::new());
    for (name, reg) in regimens() {
        let mut largest: f64 = 0.0;
        for c in &cohort {
            let p = sampler.sample_params(&s.model, 7, c.index);
            let model = PatientModel::new(&p, &sampler.baseline(c), &reg);
            let mechanism = Troponin::for_patient(&model);
            let plan = SimulationPlan {
                dose_days: &reg.dose_days,
                sample_days: &days,
                end_day: 360.0,
            };
            let (err, what) = largest_difference(&model, &mechanism, &plan);
            largest = largest.max(err);
            if err > worst.0 {
                worst = (err, format!("{name}, patient {}, {what}", c.index));
            }
        }
        println!("{name:>24}: largest relative difference {largest:.2e}");
    }
    println!("worst: {}", worst.1);
    assert!(
        worst.0 < TOL,
        "largest relative difference {:.2e}: {}",
        worst.0,
        worst.1
    );
}

/// The mechanism reads the patient and does not change it: the fast path's
/// patient is exactly `simulate_fast`'s, and the reference's patient agrees
/// with the reference without the mechanism to the integrator's tolerance.
/// Doses add to the procedure marker and infusions raise troponin.
#[test]
fn an_added_mechanism_leaves_the_patient_alone_and_sees_the_doses() {
    let loaded = prime();
    let s = &loaded.scenario;
    let sampler = hfsim::cohort::CohortSampler::new(s, DesignSlot::Shared);
    let c = &sampler.enrol(2, 1).unwrap()[0];
    let p = sampler.sample_params(&s.model, 2, c.index);
    let reg = &regimens()[0].1;
    let model = PatientModel::new(&p, &sampler.baseline(c), reg);
    let mechanism = Troponin::for_patient(&model);
    let days = days();
    let plan = SimulationPlan {
        dose_days: &reg.dose_days,
        sample_days: &days,
        end_day: 360.0,
    };
    let added = simulate_added_fast(&model, &mechanism, &plan, &FastOptions::default()).unwrap();
    let mut alone = Trajectory::default();
    simulate_fast(&model, &plan, &FastOptions::default(), &mut alone).unwrap();
    assert_eq!(added.patient.samples, alone.samples);
    assert_eq!(added.patient.hazard_grid, alone.hazard_grid);

    let joined = simulate_added_reference(&model, &mechanism, &plan, &reference()).unwrap();
    let mut reference = Trajectory::default();
    simulate_with(&model, &plan, &Dopri5::tight(), &mut reference).unwrap();
    for (a, b) in joined.patient.samples.iter().zip(&reference.samples) {
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() <= 1e-7 * x.abs().max(1e-6), "{i}: {x} vs {y}");
        }
    }

    // samples at a dose day come before the dose; the day after, the marker
    // holds the viable cells delivered and troponin has risen
    let at = |d: f64| days.iter().position(|&x| x == d).unwrap();
    for path in [&added, &joined] {
        assert_eq!(path.samples[at(0.0)][2], 0.0);
        let given = model.dose_amounts(&model.initial_state()).viable;
        assert!(given > 0.0);
        let wane = (-mechanism.k_wane * 1.0).exp();
        assert!(
            (path.samples[at(1.0)][2] - given * wane).abs() < 1e-6 * given,
            "{} {}",
            path.samples[at(1.0)][2],
            given * wane
        );
        assert!(path.samples[at(0.5)][0] > mechanism.tn0 * 1.01);
        // the second dose: what the state before it (antibody primed by the
        // first) lets survive, added on top of what remains of the first
        let second = model.dose_amounts(&path.patient.samples[at(42.0)]).viable;
        assert!(second > 0.0 && second < given);
        let expected = (path.samples[at(42.0)][2] + second) * wane;
        assert!(
            (path.samples[at(43.0)][2] - expected).abs() < 1e-6 * expected,
            "{} vs {expected}",
            path.samples[at(43.0)][2]
        );
    }
}

/// The fast path's step rests on the declared rate: a mechanism that
/// understates it (clearance 1.66/day declared as 0.001/day) is stepped
/// too coarsely and the agreement test catches it.
#[test]
fn an_understated_rate_is_caught_by_the_agreement_test() {
    let loaded = prime();
    let s = &loaded.scenario;
    let sampler = hfsim::cohort::CohortSampler::new(s, DesignSlot::Shared);
    let c = &sampler.enrol(7, 1).unwrap()[0];
    let p = sampler.sample_params(&s.model, 7, c.index);
    let reg = &regimens()[0].1;
    let model = PatientModel::new(&p, &sampler.baseline(c), reg);
    let mut mechanism = Troponin::for_patient(&model);
    mechanism.declared_rate = 1e-3;
    let days = days();
    let plan = SimulationPlan {
        dose_days: &reg.dose_days,
        sample_days: &days,
        end_day: 360.0,
    };
    let (err, what) = largest_difference(&model, &mechanism, &plan);
    println!("understated rate: {err:.2e} ({what})");
    assert!(err > 10.0 * TOL, "{err:.2e}: {what}");
}
