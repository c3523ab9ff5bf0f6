//! The fast path agrees with the reference integration (Dopri5, rtol 1e-11)
//! on every observable and on the cumulative hazards, for patients drawn
//! from the PRIME-HFrEF cohort under every route and a range of regimens.
//!
//! Stated tolerance (docs/performance.md): relative 1e-4 on volumes, EFs,
//! TAPSE, NT-proBNP, walk distance, D-dimer, INR and antibody at every
//! sample day (absolute floor 1e-9), and on the daily cumulative hazards.
//! Measured worst cases (docs/model.md, Integration): 5.2e-5 on RVEF at day
//! 21 of a PRIME-regimen patient, 4.8e-5 for 4e6 cells/kg with heparin,
//! 2.2e-6 for placebo, 1.6e-6 for strong RV responders.

mod common;

use hfsim::model::fast::{FastOptions, LINEAR_BLOCKS, linear_residual, simulate_fast};
use hfsim::model::simulate::{SimulationPlan, Trajectory, simulate_with};
use hfsim::model::state::{LUNG, RV_CHAIN_1, RV_CHAIN_2, RV_CHAIN_3, RV_REPAIR, State};
use hfsim::model::*;
use hfsim::rng::DesignSlot;
use hfsim::solver::dopri5::Dopri5;

const TOL: f64 = 1e-4;

fn observables(o: &Observables) -> [(&'static str, f64); 12] {
    [
        ("lvef", o.lvef_percent),
        ("lvedv", o.lvedv_ml),
        ("lvesv", o.lvesv_ml),
        ("rvef", o.rvef_percent),
        ("rvedv", o.rvedv_ml),
        ("rvesv", o.rvesv_ml),
        ("tapse", o.tapse_mm),
        ("nt_probnp", o.ntprobnp_ng_per_l),
        ("walk", o.six_minute_walk_m),
        ("d_dimer", o.ddimer_mg_per_l),
        ("inr", o.inr),
        ("antibody", o.antibody),
    ]
}

use common::{prime, regimens};

/// The largest relative difference between the reference and the fast path
/// for one patient, over every observable at every sample day and, with
/// `hazards`, every daily cumulative hazard, and where it is.
fn largest_difference(
    model: &PatientModel,
    dose_days: &[f64],
    days: &[f64],
    hazards: bool,
) -> (f64, String, usize) {
    let plan = SimulationPlan {
        dose_days,
        sample_days: days,
        end_day: 360.0,
    };
    let (mut r, mut f) = (Trajectory::default(), Trajectory::default());
    simulate_with(model, &plan, &Dopri5::tight(), &mut r).expect("reference");
    simulate_fast(model, &plan, &FastOptions::default(), &mut f)
        .unwrap_or_else(|e| panic!("fast path failed: {e:?}"));
    let mut worst = (0.0, String::new(), 0);
    let mut note = |err: f64, what: String| {
        worst.2 += 1;
        if err > worst.0 {
            worst.0 = err;
            worst.1 = what;
        }
    };
    for (k, &d) in days.iter().enumerate() {
        let (a, b) = (
            observables(&model.observables(d, &r.samples[k])),
            observables(&model.observables(d, &f.samples[k])),
        );
        for ((q, x), (_, y)) in a.iter().zip(b.iter()) {
            let err = (x - y).abs() / x.abs().max(1e-9);
            note(err, format!("{q} at day {d}: reference {x}, fast {y}"));
        }
    }
    if hazards {
        for day in 0..=360 {
            for c in 0..3 {
                let (x, y) = (r.hazard_grid[day][c], f.hazard_grid[day][c]);
                let err = (x - y).abs() / x.abs().max(1e-9);
                note(
                    err,
                    format!("cumulative hazard {c} at day {day}: reference {x}, fast {y}"),
                );
            }
        }
    }
    worst
}

#[test]
fn fast_path_matches_reference_integration_on_every_observable() {
    let loaded = prime();
    let s = &loaded.scenario;
    let sampler = hfsim::cohort::CohortSampler::new(s, DesignSlot::Shared);
    let cohort = sampler.enrol(3, 24).unwrap();
    // visit days, plus days between grid nodes (visit windows)
    let mut days: Vec<f64> = s.trial.visits.iter().map(|v| v.day).collect();
    days.extend([0.5, 3.3, 43.7, 100.25, 359.9]);
    let mut worst: (f64, String) = (0.0, String::new());
    let mut compared = 0;
    for (name, reg) in regimens() {
        let mut largest: f64 = 0.0;
        for (i, c) in cohort.iter().enumerate() {
            if i % 3 != 0 && name != "prime" {
                continue; // every patient for the PRIME regimen, a third for the others
            }
            let p = sampler.sample_params(&s.model, 3, c.index);
            let model = PatientModel::new(&p, &sampler.baseline(c), &reg);
            let (err, what, n) = largest_difference(&model, &reg.dose_days, &days, true);
            compared += n;
            largest = largest.max(err);
            if err > worst.0 {
                worst = (err, format!("{name}, patient {i}, {what}"));
            }
        }
        println!("{name:>24}: largest relative difference {largest:.2e}");
    }
    println!("worst: {}", worst.1);
    assert!(compared > 10_000);
    assert!(
        worst.0 < TOL,
        "largest relative difference {:.2e}: {}",
        worst.0,
        worst.1
    );
}

/// Strong responders from the tail of the between-patient distribution of
/// `rv_repair_emax_per_day` (log-normal, omega 1.2: 1 patient in 1,000 above
/// 4/day) make the repair state stiff; the fast path must shorten its step
/// or hand them to the reference integrator, never diverge.
#[test]
fn fast_path_stays_accurate_for_stiff_strong_responders() {
    let loaded = prime();
    let s = &loaded.scenario;
    let sampler = hfsim::cohort::CohortSampler::new(s, DesignSlot::Shared);
    let cohort = sampler.enrol(5, 4).unwrap();
    let days: Vec<f64> = s.trial.visits.iter().map(|v| v.day).collect();
    let reg = &regimens()[0].1;
    let mut worst: (f64, String) = (0.0, String::new());
    for emax in [0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 6.0, 12.0] {
        for c in &cohort {
            let mut p = sampler.sample_params(&s.model, 5, c.index);
            p.0[hfsim::model::params::P::RvRepairEmax as usize] = emax;
            let model = PatientModel::new(&p, &sampler.baseline(c), reg);
            let (err, what, _) = largest_difference(&model, &reg.dose_days, &days, false);
            if err > worst.0 {
                worst = (err, format!("emax {emax}, patient {}, {what}", c.index));
            }
        }
    }
    println!(
        "strong responders: largest relative difference {:.2e} ({})",
        worst.0, worst.1
    );
    assert!(
        worst.0 < TOL,
        "largest relative difference {:.2e}: {}",
        worst.0,
        worst.1
    );
}

#[test]
fn fast_path_conserves_cells_and_gives_placebo_for_zero_dose() {
    let loaded = prime();
    let s = &loaded.scenario;
    let sampler = hfsim::cohort::CohortSampler::new(s, DesignSlot::Shared);
    let c = &sampler.enrol(0, 1).unwrap()[0];
    let p = sampler.sample_params(&s.model, 0, c.index);
    let days: Vec<f64> = (0..=36).map(|i| i as f64 * 10.0).collect();
    let msc = &s.arms[1].regimen;
    let model = PatientModel::new(&p, &sampler.baseline(c), msc);
    let mut f = Trajectory::default();
    simulate_fast(
        &model,
        &SimulationPlan {
            dose_days: &msc.dose_days,
            sample_days: &days,
            end_day: 360.0,
        },
        &FastOptions::default(),
        &mut f,
    )
    .unwrap();
    for (k, &d) in days.iter().enumerate() {
        let given = msc.dose_days.iter().filter(|&&x| x < d).count() as f64;
        let total = hfsim::model::kinetics::Kinetics::total_cells(&f.samples[k]);
        assert!((total - given).abs() < 1e-9, "day {d}: {total} vs {given}");
    }
    let mut zero = msc.clone();
    zero.dose_cells_per_kg = 0.0;
    let placebo = &s.arms[0].regimen;
    let (mut a, mut b) = (Trajectory::default(), Trajectory::default());
    let run = |r: &Regimen, out: &mut Trajectory| {
        simulate_fast(
            &PatientModel::new(&p, &sampler.baseline(c), r),
            &SimulationPlan {
                dose_days: &r.dose_days,
                sample_days: &days,
                end_day: 360.0,
            },
            &FastOptions::default(),
            out,
        )
        .unwrap()
    };
    run(&zero, &mut a);
    run(placebo, &mut b);
    assert_eq!(a.samples, b.samples);
    assert_eq!(a.hazard_grid, b.hazard_grid);
}

/// The structural alternatives of repair (linear exposure-response up to
/// the ceiling, durable repair, both) on the PRIME regimen and the others:
/// the fast path is built from the same `Paracrine::drives` and repair
/// rates, so it must agree as closely as on the default structure.
#[test]
fn fast_path_matches_reference_under_the_structural_alternatives() {
    use hfsim::model::params::P;
    let loaded = prime();
    let s = &loaded.scenario;
    let sampler = hfsim::cohort::CohortSampler::new(s, DesignSlot::Shared);
    let cohort = sampler.enrol(7, 8).unwrap();
    let mut days: Vec<f64> = s.trial.visits.iter().map(|v| v.day).collect();
    days.extend([0.5, 3.3, 43.7, 100.25, 359.9]);
    let mut worst: (f64, String) = (0.0, String::new());
    let mut changed = 0;
    for (linear, durable) in [(1.0, 0.0), (0.0, 1.0), (1.0, 1.0)] {
        for (name, reg) in regimens() {
            for c in &cohort {
                let mut p = sampler.sample_params(&s.model, 7, c.index);
                let base = PatientModel::new(&p, &sampler.baseline(c), &reg);
                p.0[P::RepairExposureResponse as usize] = linear;
                p.0[P::RepairDurability as usize] = durable;
                let model = PatientModel::new(&p, &sampler.baseline(c), &reg);
                if model.paracrine != base.paracrine {
                    changed += 1;
                }
                let (err, what, _) = largest_difference(&model, &reg.dose_days, &days, true);
                if err > worst.0 {
                    worst = (
                        err,
                        format!(
                            "linear {linear}, durable {durable}, {name}, patient {}: {what}",
                            c.index
                        ),
                    );
                }
            }
        }
    }
    println!(
        "structural alternatives: largest relative difference {:.2e} ({})",
        worst.0, worst.1
    );
    assert!(changed > 0, "the switches reach the model");
    assert!(
        worst.0 < TOL,
        "largest relative difference {:.2e}: {}",
        worst.0,
        worst.1
    );
}

/// The fast path takes the matrices of its linear blocks from the model's
/// own right-hand side (each mechanism's equations, probed with unit
/// states). That is exact only if the block states' equations are linear in
/// the block's states and nothing else: checked at random states (every
/// state, slow and coagulation ones included, set at random) for every
/// regimen and a range of patients. A mechanism that makes a block row
/// nonlinear fails here before it can make the fast path wrong.
/// The fast path probes `PatientModel::linear_rhs` for its matrices; it
/// must be the whole right-hand side on every block row, bit for bit (a
/// mechanism that wrote a block row outside it would show here), and leave
/// the other rows alone.
#[test]
fn linear_rhs_is_the_rhs_on_every_block_row() {
    use rand::{RngExt, SeedableRng};
    let loaded = prime();
    let s = &loaded.scenario;
    let sampler = hfsim::cohort::CohortSampler::new(s, DesignSlot::Shared);
    let cohort = sampler.enrol(6, 8).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
    let rows: Vec<usize> = LINEAR_BLOCKS
        .iter()
        .flat_map(|b| b.iter().copied())
        .collect();
    let mut checked = 0;
    for (_, reg) in regimens() {
        for c in &cohort {
            let p = sampler.sample_params(&s.model, 6, c.index);
            let model = PatientModel::new(&p, &sampler.baseline(c), &reg);
            for _ in 0..3 {
                let mut y = model.initial_state();
                for v in y.iter_mut() {
                    *v += rng.random_range(0.0..3.0);
                }
                let input = hfsim::model::patient::InfusionInput {
                    viable_rate: rng.random_range(0.0..30.0),
                    lysed_rate: rng.random_range(0.0..3.0),
                    acute_rate: rng.random_range(0.0..3.0),
                    sustained_rate: rng.random_range(0.0..3.0),
                };
                let t = rng.random_range(0.0..360.0);
                let (mut full, mut linear) = ([0.0; 26], [f64::NAN; 26]);
                model.rhs(t, &y, &mut full, &input);
                model.linear_rhs(&y, &mut linear, &input);
                for &i in &rows {
                    assert_eq!(full[i].to_bits(), linear[i].to_bits(), "row {i}");
                }
                for i in (0..26).filter(|i| !rows.contains(i)) {
                    let written = !linear[i].is_nan();
                    // the cumulative clearance is the kinetics' own bookkeeping row
                    assert!(
                        !written || i == hfsim::model::state::CLEARED,
                        "linear_rhs writes row {i}, not a block row"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 200);
}

#[test]
fn linear_blocks_are_linear_in_their_own_states() {
    use rand::{RngExt, SeedableRng};
    let loaded = prime();
    let s = &loaded.scenario;
    let sampler = hfsim::cohort::CohortSampler::new(s, DesignSlot::Shared);
    let cohort = sampler.enrol(5, 12).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
    let mut worst: f64 = 0.0;
    let mut checked = 0;
    for (_, reg) in regimens() {
        for c in cohort.iter() {
            let p = sampler.sample_params(&s.model, 5, c.index);
            let model = PatientModel::new(&p, &sampler.baseline(c), &reg);
            for _ in 0..4 {
                let mut y = model.initial_state();
                for v in y.iter_mut() {
                    *v += rng.random_range(0.0..3.0);
                }
                for block in LINEAR_BLOCKS {
                    worst = worst.max(linear_residual(&model, &y, block));
                }
                checked += 1;
            }
        }
    }
    println!("{checked} states, worst relative residual {worst:.1e}");
    assert!(checked > 400);
    assert!(
        worst < 1e-13,
        "block rows are not linear in the block states: {worst:.2e}"
    );
    // the check sees a nonlinear row: the pulmonary chain with the RV repair
    // state (its drive is an Emax of the chain's output) is not linear
    let c = &cohort[0];
    let model = PatientModel::new(
        &sampler.sample_params(&s.model, 5, c.index),
        &sampler.baseline(c),
        &regimens()[0].1,
    );
    let y: State = std::array::from_fn(|i| 0.5 + i as f64 * 0.1);
    let with_repair = [LUNG, RV_CHAIN_1, RV_CHAIN_2, RV_CHAIN_3, RV_REPAIR];
    let r = linear_residual(&model, &y, &with_repair);
    assert!(r > 1e-3, "a nonlinear row went unseen: {r:.1e}");
}
