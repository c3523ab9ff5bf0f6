use hfsim::model::fast::*;
use hfsim::model::simulate::*;
use hfsim::model::*;
use hfsim::rng::DesignSlot;
use hfsim::solver::dopri5::Dopri5;
fn main() {
    let step: f64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap())
        .unwrap_or(1.0);
    let l = hfsim::scenario::load_file(std::path::Path::new("scenarios/prime_hfref.toml"), &[])
        .unwrap();
    let s = &l.scenario;
    let sampler = hfsim::cohort::CohortSampler::new(s, DesignSlot::Shared);
    let cohort = sampler.enrol(0, 200).unwrap();
    let days: Vec<f64> = s
        .trial
        .visits
        .iter()
        .map(|v| v.day)
        .chain([3.5, 100.25])
        .collect();
    let mut worst = [0.0f64; 12];
    let names = [
        "lvef", "lvedv", "lvesv", "rvef", "rvedv", "rvesv", "tapse", "ntp", "walk", "ddimer",
        "inr", "cumhaz",
    ];
    let (mut tf, mut tr) = (0.0, 0.0);
    for (i, c) in cohort.iter().enumerate() {
        let p = sampler.sample_params(&s.model, 0, c.index);
        let b = sampler.baseline(c);
        let reg = &s.arms[i % 2].regimen;
        let m = PatientModel::new(&p, &b, reg);
        let plan = SimulationPlan {
            dose_days: &reg.dose_days,
            sample_days: &days,
            end_day: 360.0,
        };
        let (mut a, mut f) = (Trajectory::default(), Trajectory::default());
        let t0 = std::time::Instant::now();
        simulate_with(&m, &plan, &Dopri5::tight(), &mut a).unwrap();
        tr += t0.elapsed().as_secs_f64();
        let t0 = std::time::Instant::now();
        for _ in 0..10 {
            simulate_fast(
                &m,
                &plan,
                &FastOptions {
                    step_days: step,
                    ..Default::default()
                },
                &mut f,
            )
            .unwrap();
        }
        tf += t0.elapsed().as_secs_f64() / 10.0;
        for (k, d) in days.iter().enumerate() {
            let oa = m.observables(*d, &a.samples[k]);
            let of = m.observables(*d, &f.samples[k]);
            let va = [
                oa.lvef_percent,
                oa.lvedv_ml,
                oa.lvesv_ml,
                oa.rvef_percent,
                oa.rvedv_ml,
                oa.rvesv_ml,
                oa.tapse_mm,
                oa.ntprobnp_ng_per_l,
                oa.six_minute_walk_m,
                oa.ddimer_mg_per_l,
                oa.inr,
            ];
            let vf = [
                of.lvef_percent,
                of.lvedv_ml,
                of.lvesv_ml,
                of.rvef_percent,
                of.rvedv_ml,
                of.rvesv_ml,
                of.tapse_mm,
                of.ntprobnp_ng_per_l,
                of.six_minute_walk_m,
                of.ddimer_mg_per_l,
                of.inr,
            ];
            for q in 0..11 {
                worst[q] = worst[q].max(((va[q] - vf[q]) / va[q].abs().max(1e-9)).abs());
            }
        }
        for dday in 0..=360 {
            for c in 0..3 {
                let (x, y) = (a.hazard_grid[dday][c], f.hazard_grid[dday][c]);
                worst[11] = worst[11].max((x - y).abs() / x.abs().max(1e-6));
            }
        }
    }
    for q in 0..12 {
        println!("{:>8} max rel diff {:.2e}", names[q], worst[q]);
    }
    println!(
        "per patient: reference(tight) {:.1} us, fast {:.1} us",
        tr / 200.0 * 1e6,
        tf / 200.0 * 1e6
    );
}
