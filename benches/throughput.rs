//! Throughput of hfsim (criterion). `cargo bench` for figures;
//! `cargo test --benches` runs each once as a smoke test.
//!
//! * one patient over 360 days, per route, fast path (`Throughput::Elements(1)`);
//! * the same patient with the straightforward approach: `ode_solvers` Dopri5
//!   per segment (the reference path), side by side;
//! * one PRIME-HFrEF trial replicate (40 patients, all 12 endpoints analysed);
//! * a run of N replicates on 1 and 2 threads (thread scaling).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hfsim::model::fast::{FastOptions, simulate_fast};
use hfsim::model::simulate::{SimulationPlan, Trajectory, simulate_with};
use hfsim::model::*;
use hfsim::rng::DesignSlot;
use hfsim::runner::{Resume, RunOptions, Silent, run_design_point};
use hfsim::solver::dopri5::Dopri5;
use hfsim::summary::DesignAcc;
use hfsim::trial::{Method, TrialContext, Workspace, simulate_trial};
use std::hint::black_box;

fn prime() -> hfsim::scenario::Loaded {
    hfsim::scenario::load_file(std::path::Path::new("scenarios/prime_hfref.toml"), &[])
        .expect("default scenario")
}

fn patient(c: &mut Criterion) {
    let l = prime();
    let s = &l.scenario;
    let sampler = hfsim::cohort::CohortSampler::new(s, DesignSlot::Shared);
    let cand = &sampler.enrol(0, 1).unwrap()[0];
    let params = sampler.sample_params(&s.model, 0, cand.index);
    let baseline = sampler.baseline(cand);
    let days: Vec<f64> = s.trial.visits.iter().map(|v| v.day).collect();
    let msc = s.arms[1].regimen.clone();
    let with = |route: Route, doses: Vec<f64>, dose: f64| Regimen {
        route,
        dose_days: doses,
        dose_cells_per_kg: dose,
        ..msc.clone()
    };
    let regimens = [
        ("iv_three_infusions", msc.clone()),
        ("placebo", s.arms[0].regimen.clone()),
        (
            "intracoronary",
            with(Route::Intracoronary, vec![0.0, 42.0, 84.0], 1e6),
        ),
        (
            "transendocardial",
            with(Route::Transendocardial, vec![0.0], 1e6),
        ),
        (
            "epicardial_patch",
            with(Route::EpicardialPatch, vec![0.0], 5e6),
        ),
    ];
    let mut g = c.benchmark_group("patient_360_days");
    g.throughput(Throughput::Elements(1));
    let mut out = Trajectory::default();
    for (name, reg) in &regimens {
        let model = PatientModel::new(&params, &baseline, reg);
        let plan = SimulationPlan {
            dose_days: &reg.dose_days,
            sample_days: &days,
            end_day: 360.0,
        };
        g.bench_function(BenchmarkId::new("fast", name), |b| {
            b.iter(|| {
                simulate_fast(black_box(&model), &plan, &FastOptions::default(), &mut out).unwrap();
                black_box(out.hazard_grid[360][0])
            })
        });
    }
    // The straightforward approach, for comparison: ode_solvers Dopri5 per segment.
    let model = PatientModel::new(&params, &baseline, &msc);
    let plan = SimulationPlan {
        dose_days: &msc.dose_days,
        sample_days: &days,
        end_day: 360.0,
    };
    g.bench_function(
        BenchmarkId::new("reference_dopri5", "iv_three_infusions"),
        |b| {
            b.iter(|| {
                simulate_with(black_box(&model), &plan, &Dopri5::default(), &mut out).unwrap();
                black_box(out.hazard_grid[360][0])
            })
        },
    );
    g.finish();
}

fn replicate(c: &mut Criterion) {
    let l = prime();
    let fast = Method::Fast(FastOptions::default());
    let ctx = TrialContext::new(l.scenario.clone(), DesignSlot::Shared, fast);
    let mut g = c.benchmark_group("trial_replicate");
    g.throughput(Throughput::Elements(ctx.scenario.patients_per_replicate()));
    let mut ws = Workspace::default();
    let mut r = 0u64;
    g.bench_function("prime_hfref_simulate_and_analyse", |b| {
        b.iter(|| {
            r += 1;
            let data = simulate_trial(&ctx, r, &mut ws).unwrap();
            black_box(hfsim::evaluation::evaluate(
                &ctx.scenario,
                &data,
                &mut |_, _, _| {},
            ))
        })
    });
    g.finish();
}

fn scenario(c: &mut Criterion) {
    let l = prime();
    let n: u64 = 200;
    let mut g = c.benchmark_group("scenario_replicates");
    g.sample_size(10);
    g.throughput(Throughput::Elements(
        n * l.scenario.patients_per_replicate(),
    ));
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let ctx = TrialContext::new(
            l.scenario.clone(),
            DesignSlot::Shared,
            Method::Fast(FastOptions::default()),
        );
        let opts = RunOptions {
            chunk: 64,
            export_replicates: 0,
            failures_allowed: 1000,
        };
        g.bench_function(
            BenchmarkId::new("prime_hfref_200_replicates", format!("{threads}_threads")),
            |b| {
                b.iter(|| {
                    pool.install(|| {
                        let resume = Resume {
                            acc: DesignAcc::new(&ctx.scenario),
                            covered_from: 0,
                        };
                        run_design_point(&ctx, 0, 0..n, resume, &opts, &mut Silent, &mut Vec::new())
                            .unwrap()
                    })
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, patient, replicate, scenario);
criterion_main!(benches);
