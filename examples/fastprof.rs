use hfsim::model::fast::*;
use hfsim::model::simulate::*;
use hfsim::model::*;
use hfsim::rng::DesignSlot;
fn main() {
    let step: f64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap())
        .unwrap_or(1.0);
    let reps: usize = std::env::args()
        .nth(2)
        .map(|s| s.parse().unwrap())
        .unwrap_or(50);
    let l = hfsim::scenario::load_file(std::path::Path::new("scenarios/prime_hfref.toml"), &[])
        .unwrap();
    let s = &l.scenario;
    let sampler = hfsim::cohort::CohortSampler::new(s, DesignSlot::Shared);
    let cohort = sampler.enrol(0, 40).unwrap();
    let days: Vec<f64> = s.trial.visits.iter().map(|v| v.day).collect();
    let models: Vec<(PatientModel, usize)> = cohort
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let p = sampler.sample_params(&s.model, 0, c.index);
            (
                PatientModel::new(&p, &sampler.baseline(c), &s.arms[i % 2].regimen),
                i % 2,
            )
        })
        .collect();
    let mut f = Trajectory::default();
    let only: Option<usize> = std::env::args().nth(3).map(|s| s.parse().unwrap());
    let models: Vec<_> = models
        .into_iter()
        .filter(|(_, a)| only.is_none_or(|o| o == *a))
        .collect();
    let t0 = std::time::Instant::now();
    let mut acc = 0.0;
    for _ in 0..reps {
        for (m, arm) in &models {
            let reg = &s.arms[*arm].regimen;
            let plan = SimulationPlan {
                dose_days: &reg.dose_days,
                sample_days: &days,
                end_day: 360.0,
            };
            simulate_fast(
                m,
                &plan,
                &FastOptions {
                    step_days: step,
                    ..Default::default()
                },
                &mut f,
            )
            .unwrap();
            acc += f.hazard_grid[360][0];
        }
    }
    let per = t0.elapsed().as_secs_f64() / (reps * models.len()) as f64;
    println!("{:.2} us per patient ({acc:.3})", per * 1e6);
}
