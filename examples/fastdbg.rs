use hfsim::model::fast::*;
use hfsim::model::simulate::*;
use hfsim::model::state::*;
use hfsim::model::*;
use hfsim::rng::DesignSlot;
use hfsim::solver::dopri5::Dopri5;
fn main() {
    let l = hfsim::scenario::load_file(std::path::Path::new("scenarios/prime_hfref.toml"), &[])
        .unwrap();
    let s = &l.scenario;
    let sampler = hfsim::cohort::CohortSampler::new(s, DesignSlot::Shared);
    let cohort = sampler.enrol(0, 60).unwrap();
    let days: Vec<f64> = (0..=360).map(|d| d as f64).collect();
    let mut worst = vec![(0.0f64, 0usize, 0.0f64, 0usize); N_STATES];
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
        simulate_with(&m, &plan, &Dopri5::tight(), &mut a).unwrap();
        simulate_fast(&m, &plan, &FastOptions::default(), &mut f).unwrap();
        for (k, d) in days.iter().enumerate() {
            for st in 0..N_STATES {
                let (x, y) = (a.samples[k][st], f.samples[k][st]);
                let e = (x - y).abs() / x.abs().max(1e-8);
                if st == LV_LOGIT_EF && e > 1e-3 && *d > 1.0 {
                    println!("p{i} d{d} zL ref {x} fast {y}");
                }
                if e > worst[st].0 {
                    worst[st] = (e, i, *d, 0);
                }
            }
        }
    }
    for st in 0..N_STATES {
        println!(
            "{:>22} worst rel {:.2e} patient {} day {}",
            STATE_INFO[st].0, worst[st].0, worst[st].1, worst[st].2
        );
    }
}
