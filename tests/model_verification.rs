//! Verification of the patient model at two levels (the third, double
//! programming against an independent scipy implementation, is in
//! `model_double_programming.rs`):
//!
//! 1. exact solutions: after a bolus the cell, chain, coagulation and
//!    immune states form a linear system whose solution is `exp(A t) x0`;
//!    the integrated model must match it (matrix built from docs/model.md);
//! 2. invariants: mass balance, non-negativity, physiological bounds under
//!    extreme parameters, zero dose equals placebo, monotone dose response.

use hfsim::model::kinetics::LN2;
use hfsim::model::simulate::{SimulationPlan, Trajectory, simulate_with};
use hfsim::model::state::*;
use hfsim::model::*;
use hfsim::solver::dopri5::Dopri5;
use hfsim::solver::expm::{expm, matvec};

fn baseline() -> Baseline {
    let gdmt = GdmtHistory {
        days_on: [Some(120.0), None, Some(400.0), Some(300.0), Some(100.0)],
    };
    Baseline {
        age_years: 58.0,
        nyha_iii: true,
        ischaemic: false,
        lvef_percent: 25.0,
        lvedv_ml: 260.0,
        rvedv_ml: 190.0,
        tapse_mm: 14.5,
        ntprobnp_ng_per_l: 2500.0,
        six_minute_walk_m: 400.0,
        ddimer_mg_per_l: 0.4,
        anticoagulant: Anticoagulant::None,
        gdmt,
    }
}

fn regimen(dose: f64, days: &[f64], infusion_days: f64) -> Regimen {
    Regimen {
        route: Route::Intravenous,
        dose_cells_per_kg: dose,
        dose_days: days.to_vec(),
        infusion_duration_days: infusion_days,
        premedication: Premedication::Methylprednisolone,
        infusion_anticoagulation: InfusionAnticoagulation::None,
        donor: Donor::Allogeneic,
        immunosuppression: Immunosuppression::None,
        product: hfsim::model::Product::UcMsc,
    }
}

fn simulate(
    params: &PatientParams,
    b: &Baseline,
    r: &Regimen,
    days: &[f64],
) -> (PatientModel, Trajectory) {
    let m = PatientModel::new(params, b, r);
    let mut t = Trajectory::default();
    simulate_with(
        &m,
        &SimulationPlan {
            dose_days: &r.dose_days,
            sample_days: days,
            end_day: 360.0,
        },
        &Dopri5::tight(),
        &mut t,
    )
    .expect("solve");
    (m, t)
}

/// The linear block (states 0..=16) after a bolus at day 0, as a matrix
/// written from docs/model.md sections 1-4.
#[test]
fn linear_subsystem_matches_the_matrix_exponential() {
    let mp = ModelParams::default();
    let p = PatientParams::typical(&mp);
    let b = baseline();
    let r = regimen(1.0e6, &[0.0], 0.0); // bolus
    let days = [0.25, 1.0, 3.0, 7.0, 14.0, 30.0, 60.0];
    let (_, traj) = simulate(&p, &b, &r, &days);
    let g = |q: P| p.get(q);
    // rates
    let e = g(P::IvLungExtraction);
    let f_h = (1.0 - e) * g(P::IvHeartHoming);
    let f_d = 1.0 - e - f_h;
    let unblocked = 1.0; // no anticoagulant, no heparin
    let k_l = LN2 / g(P::LungCellHalfLife) * (1.0 + g(P::IbmirLungClearanceIncrease) * unblocked);
    let k_h = LN2 / g(P::HeartCellHalfLife);
    let k_d = LN2 / g(P::DebrisHalfLife);
    let k_mat = LN2 / g(P::PatchMaturationHalfLife);
    let rho = g(P::PatchRejectionFactor);
    let k_loss = LN2 / g(P::PatchGraftLossHalfLife) * rho;
    let k_mloss = LN2 / g(P::PatchMatureLossHalfLife) * rho;
    let m = 1.0 - g(P::MethylprednisoloneParacrineDamping);
    let k = g(P::ParacrineTransitRate);
    let phi = g(P::LungToLvSignalFraction);
    let phi_g = g(P::PatchParacrineFraction);
    let k_i = LN2 / g(P::IbmirHalfLife);
    let k_c = LN2 / g(P::SustainedProcoagHalfLife);
    let kappa = g(P::MicrovascularInjuryRate);
    let gamma = g(P::ImmunePrimingGain)
        * g(P::Immunogenicity)
        * (1.0 - g(P::MethylprednisoloneImmuneDamping));
    let k_b = 1.0 / g(P::ImmuneDelay);
    let k_ab = LN2 / g(P::AntibodyHalfLife);
    const N: usize = 17;
    let mut a = [[0.0; N]; N];
    a[LUNG][LUNG] = -k_l;
    a[HEART][HEART] = -k_h;
    a[DEBRIS][LUNG] = k_l;
    a[DEBRIS][HEART] = k_h;
    a[DEBRIS][GRAFT] = k_loss;
    a[DEBRIS][GRAFT_MATURE] = k_mloss;
    a[DEBRIS][DEBRIS] = -k_d;
    a[CLEARED][DEBRIS] = k_d;
    a[GRAFT][GRAFT] = -(k_mat + k_loss);
    a[GRAFT_MATURE][GRAFT] = k_mat;
    a[GRAFT_MATURE][GRAFT_MATURE] = -k_mloss;
    a[RV_CHAIN_1][LUNG] = m;
    a[RV_CHAIN_1][RV_CHAIN_1] = -k;
    a[RV_CHAIN_2][RV_CHAIN_1] = k;
    a[RV_CHAIN_2][RV_CHAIN_2] = -k;
    a[RV_CHAIN_3][RV_CHAIN_2] = k;
    a[RV_CHAIN_3][RV_CHAIN_3] = -k;
    a[LV_CHAIN_1][HEART] = m;
    a[LV_CHAIN_1][LUNG] = m * phi;
    a[LV_CHAIN_1][GRAFT] = m * phi_g;
    a[LV_CHAIN_1][LV_CHAIN_1] = -k;
    a[LV_CHAIN_2][LV_CHAIN_1] = k;
    a[LV_CHAIN_2][LV_CHAIN_2] = -k;
    a[LV_CHAIN_3][LV_CHAIN_2] = k;
    a[LV_CHAIN_3][LV_CHAIN_3] = -k;
    a[IBMIR][IBMIR] = -k_i;
    a[SUSTAINED][SUSTAINED] = -k_c;
    a[INJURY][SUSTAINED] = kappa;
    a[PRIMING][LUNG] = gamma;
    a[PRIMING][HEART] = gamma;
    a[PRIMING][GRAFT] = gamma;
    a[PRIMING][PRIMING] = -k_b;
    a[ANTIBODY][PRIMING] = k_b;
    a[ANTIBODY][ANTIBODY] = -k_ab;
    // initial state right after the bolus (dose 1.0 per kg, no antibody yet)
    let mut x0 = [0.0; N];
    x0[LUNG] = e;
    x0[HEART] = f_h;
    x0[DEBRIS] = f_d;
    x0[IBMIR] = g(P::IbmirDdimerGain);
    x0[SUSTAINED] = g(P::SustainedDdimerGain) * g(P::SustainedDdimerBaseFraction);
    for (i, &t) in days.iter().enumerate() {
        let mut at = a;
        for row in at.iter_mut() {
            for v in row.iter_mut() {
                *v *= t;
            }
        }
        let exact = matvec(&expm(&at), &x0);
        for s in 0..N {
            let got = traj.samples[i][s];
            let tol = 1e-7 * exact[s].abs().max(1e-6);
            assert!(
                (got - exact[s]).abs() <= tol,
                "state {} ({}) at day {t}: model {got:e}, exact {:e}",
                s,
                STATE_INFO[s].0,
                exact[s]
            );
        }
    }
}

/// An Erlang chain: the pulmonary signal after a bolus is the convolution
/// of the lung exponential with the gamma(3, k) kernel; closed form for
/// distinct rates a != k: P3(t) = m L0 k^2 [e^{-at}/(k-a)^3 - e^{-kt} (1/(k-a)^3 + t/(k-a)^2 + t^2/(2(k-a)))].
#[test]
fn delay_chain_matches_its_closed_form() {
    let mp = ModelParams::default();
    let p = PatientParams::typical(&mp);
    let b = baseline();
    let r = regimen(1.0e6, &[0.0], 0.0);
    let days = [2.0, 7.0, 14.0, 21.0, 42.0, 56.0];
    let (model, traj) = simulate(&p, &b, &r, &days);
    let a = model.kinetics.k_lung;
    let k = model.paracrine.k_transit;
    let l0 = model.kinetics.delivery.to_lung;
    let m = model.paracrine.premedication_factor;
    let d = k - a;
    for (i, &t) in days.iter().enumerate() {
        let exact = m
            * l0
            * k
            * k
            * ((-a * t).exp() / d.powi(3)
                - (-k * t).exp() * (1.0 / d.powi(3) + t / d.powi(2) + t * t / (2.0 * d)));
        let got = traj.samples[i][RV_CHAIN_3];
        assert!(
            (got - exact).abs() <= 1e-8 * exact.abs().max(1e-9),
            "day {t}: {got} vs {exact}"
        );
    }
    // peak of the signal about two weeks after the dose, a few percent left at 8 weeks
    let s: Vec<f64> = days
        .iter()
        .enumerate()
        .map(|(i, _)| traj.samples[i][RV_CHAIN_3])
        .collect();
    assert!(s[2] > s[1] && s[2] > s[4], "peak near day 14: {s:?}");
    assert!(s[5] < 0.2 * s[2], "mostly gone by day 56: {s:?}");
}

#[test]
fn cells_are_conserved_and_states_stay_non_negative() {
    let mp = ModelParams::default();
    let p = PatientParams::typical(&mp);
    let b = baseline();
    let r = regimen(1.0e6, &[0.0, 42.0, 84.0], 1.0 / 24.0);
    let days: Vec<f64> = (0..=72).map(|i| i as f64 * 5.0).collect();
    let (_, traj) = simulate(&p, &b, &r, &days);
    for (i, &t) in days.iter().enumerate() {
        let y = &traj.samples[i];
        let given = [0.0, 42.0, 84.0].iter().filter(|&&d| d < t).count() as f64 * 1.0;
        let total = hfsim::model::kinetics::Kinetics::total_cells(y);
        assert!(
            (total - given).abs() < 1e-8,
            "day {t}: {total} cells accounted, {given} given"
        );
        for s in 0..=INJURY {
            assert!(
                y[s] >= -1e-10,
                "state {} negative at day {t}: {}",
                STATE_INFO[s].0,
                y[s]
            );
        }
    }
    let g = traj
        .hazard_grid
        .windows(2)
        .all(|w| (0..3).all(|c| w[1][c] >= w[0][c]));
    assert!(g, "cumulative hazards never decrease");
}

#[test]
fn extreme_parameters_keep_the_heart_physiological() {
    let mut mp = ModelParams::default();
    mp.set(P::RvRepairEmax, 1.0);
    mp.set(P::LvRepairEmax, 1.0);
    mp.set(P::MicrovascularInjuryRate, 0.5);
    mp.set(P::SustainedDdimerGain, 100.0);
    mp.set(P::LvProgressionEf, -5.0);
    mp.set(P::RvProgressionEdv, 5.0);
    let p = PatientParams::typical(&mp);
    let r = regimen(1.0e8, &[0.0, 14.0, 28.0, 42.0], 1.0 / 24.0);
    let days: Vec<f64> = (0..=36).map(|i| i as f64 * 10.0).collect();
    let (model, traj) = simulate(&p, &baseline(), &r, &days);
    for (i, &t) in days.iter().enumerate() {
        let o = model.observables(t, &traj.samples[i]);
        for (name, v) in [("LVEF", o.lvef_percent), ("RVEF", o.rvef_percent)] {
            assert!(
                (0.0..=100.0).contains(&v) && v.is_finite(),
                "{name} {v} at day {t}"
            );
        }
        for v in [
            o.lvedv_ml,
            o.lvesv_ml,
            o.rvedv_ml,
            o.rvesv_ml,
            o.ntprobnp_ng_per_l,
            o.ddimer_mg_per_l,
            o.inr,
            o.tapse_mm,
            o.six_minute_walk_m,
        ] {
            assert!(v.is_finite() && v >= 0.0, "{o:?} at day {t}");
        }
        assert!(o.lvesv_ml <= o.lvedv_ml && o.rvesv_ml <= o.rvedv_ml);
    }
}

#[test]
fn zero_dose_is_identical_to_placebo() {
    let mp = ModelParams::default();
    let p = PatientParams::typical(&mp);
    let b = baseline();
    let days: Vec<f64> = vec![0.0, 1.0, 43.0, 91.0, 180.0, 360.0];
    let placebo = regimen(0.0, &[0.0, 42.0, 84.0], 1.0 / 24.0);
    let mut zero = regimen(0.0, &[0.0, 42.0, 84.0], 1.0 / 24.0);
    zero.infusion_anticoagulation = InfusionAnticoagulation::Heparin;
    let (_, a) = simulate(&p, &b, &placebo, &days);
    let (_, z) = simulate(&p, &b, &zero, &days);
    assert_eq!(a.samples, z.samples);
    assert_eq!(a.hazard_grid, z.hazard_grid);
    // No doses at all: same trajectories (integrated in other segments, so to solver precision).
    let none = regimen(1.0e6, &[], 0.0);
    let (_, n) = simulate(&p, &b, &none, &days);
    for (x, y) in a.samples.iter().zip(&n.samples) {
        for s in 0..N_STATES {
            assert!(
                (x[s] - y[s]).abs() <= 1e-9 * x[s].abs().max(1.0),
                "state {s}: {} vs {}",
                x[s],
                y[s]
            );
        }
    }
}

#[test]
fn rv_benefit_grows_with_dose_over_the_tested_range() {
    let mp = ModelParams::default();
    let p = PatientParams::typical(&mp);
    let b = baseline();
    let days = [0.0, 180.0, 360.0];
    let mut last_q = -1.0;
    let mut last_rvesv = f64::INFINITY;
    for dose in [0.0, 1.0e5, 2.5e5, 5.0e5, 1.0e6, 2.0e6, 4.0e6] {
        let (m, t) = simulate(
            &p,
            &b,
            &regimen(dose, &[0.0, 42.0, 84.0], 1.0 / 24.0),
            &days,
        );
        let q = t.samples[1][RV_REPAIR];
        let rvesv = m.observables(180.0, &t.samples[1]).rvesv_ml;
        assert!(
            q > last_q,
            "Q at day 180 not increasing at dose {dose}: {q} <= {last_q}"
        );
        assert!(
            rvesv < last_rvesv,
            "RVESV at day 180 not decreasing at dose {dose}"
        );
        last_q = q;
        last_rvesv = rvesv;
    }
}

#[test]
fn a_stable_untreated_patient_stays_put() {
    let mut mp = ModelParams::default();
    for q in [P::LvProgressionEf, P::LvProgressionEdv, P::RvProgressionEdv] {
        mp.set(q, 0.0);
    }
    let p = PatientParams::typical(&mp);
    let mut b = baseline();
    b.gdmt = GdmtHistory::default();
    let (m, t) = simulate(&p, &b, &regimen(0.0, &[0.0], 0.0), &[0.0, 180.0, 360.0]);
    let o0 = m.observables(0.0, &t.samples[0]);
    let o1 = m.observables(360.0, &t.samples[2]);
    assert!(
        (o0.lvef_percent - o1.lvef_percent).abs() < 1e-9
            && (o0.rvesv_ml - o1.rvesv_ml).abs() < 1e-9
    );
    // a long-stable GDMT patient hardly moves; a recently started one improves
    let mut stable = baseline();
    stable.gdmt.days_on = [Some(3000.0), None, Some(3000.0), Some(3000.0), Some(3000.0)];
    let mut recent = baseline();
    recent.gdmt.days_on = [Some(30.0), None, Some(3000.0), Some(3000.0), Some(30.0)];
    let gain = |b: &Baseline| {
        let (m, t) = simulate(&p, b, &regimen(0.0, &[0.0], 0.0), &[0.0, 360.0]);
        m.observables(360.0, &t.samples[1]).lvef_percent
            - m.observables(0.0, &t.samples[0]).lvef_percent
    };
    let (gs, gr) = (gain(&stable), gain(&recent));
    assert!(gs.abs() < 0.2, "long-stable GDMT: dLVEF {gs}");
    assert!(gr > 3.0, "recent ARNI + SGLT2i: dLVEF {gr}");
}

#[test]
fn every_parameter_is_documented() {
    let doc = std::fs::read_to_string("docs/model.md").expect("docs/model.md");
    let missing: Vec<&str> = hfsim::model::params::PARAMS
        .iter()
        .map(|p| p.name)
        .filter(|n| !doc.contains(&format!("`{n}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "parameters missing from docs/model.md (regenerate the table with `hfsim model --format markdown`): {missing:?}"
    );
}
