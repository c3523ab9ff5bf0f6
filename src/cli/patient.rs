//! `hfsim simulate-patient`: one virtual patient's trajectories as CSV.

use super::console::errln;
use super::output::{csv_bytes, write_atomic};
use super::{CliError, CliResult};
use crate::model::PatientModel;
use crate::model::kinetics::Kinetics;
use crate::model::simulate::{SimulationPlan, Trajectory, simulate_with};
use crate::model::state::{N_STATES, STATE_INFO};
use crate::rng::DesignSlot;
use crate::solver::dopri5::Dopri5;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct SimulatePatientArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Arm to give (its key under [arms], e.g. msc or placebo).
    #[arg(long)]
    pub arm: String,
    /// Which enrolled patient (0 = the first of the replicate).
    #[arg(long, default_value_t = 0)]
    pub patient: u64,
    /// Which replicate's cohort to take the patient from.
    #[arg(long, default_value_t = 0)]
    pub replicate: u64,
    /// Seed (overrides run.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output CSV file.
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Output spacing in days.
    #[arg(long, default_value_t = 0.25)]
    pub step: f64,
    /// Override a scenario value (repeatable).
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub set: Vec<String>,
}

pub fn simulate_patient(a: SimulatePatientArgs) -> CliResult {
    if !(a.step > 0.0 && a.step <= 30.0) {
        return Err(CliError::Usage(format!(
            "--step must be in (0, 30] days (got {})",
            a.step
        )));
    }
    let (loaded, _) = super::run::load_points(&a.scenario, &a.set, a.seed, None, true)?;
    let s = &loaded.scenario;
    let arm = s.arms.iter().position(|x| x.key == a.arm).ok_or_else(|| {
        CliError::Usage(format!(
            "--arm {}: no such arm; arms: {}",
            a.arm,
            s.arms
                .iter()
                .map(|x| x.key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let sampler = crate::cohort::CohortSampler::new(s, DesignSlot::Shared);
    let cohort = sampler
        .enrol(a.replicate, (a.patient + 1) as usize)
        .map_err(|e| CliError::Runtime(anyhow::anyhow!("{e}")))?;
    let cand = cohort.last().expect("enrolled");
    let params = sampler.sample_params(&s.model, a.replicate, cand.index);
    let baseline = sampler.baseline(cand);
    let regimen = &s.arms[arm].regimen;
    let model = PatientModel::new(&params, &baseline, regimen);
    let end = s.run.follow_up_days;
    let n = (end / a.step).floor() as usize;
    let days: Vec<f64> = (0..=n).map(|i| i as f64 * a.step).collect();
    let plan = SimulationPlan {
        dose_days: &regimen.dose_days,
        sample_days: &days,
        end_day: end,
    };
    let mut traj = Trajectory::default();
    simulate_with(&model, &plan, &Dopri5::tight(), &mut traj)
        .map_err(|e| CliError::Runtime(anyhow::anyhow!("integration failed: {e}")))?;
    let obs_names = [
        "lvef_percent",
        "lvedv_ml",
        "lvesv_ml",
        "rvef_percent",
        "rvedv_ml",
        "rvesv_ml",
        "tapse_mm",
        "nt_probnp_ng_per_l",
        "six_minute_walk_m",
        "d_dimer_mg_per_l",
        "inr",
        "rv_signal",
        "lv_signal",
        "total_cells_given",
    ];
    let mut header: Vec<&str> = vec!["day"];
    header.extend(STATE_INFO.iter().map(|(n, _, _)| *n));
    header.extend(obs_names);
    let rows = days.iter().zip(traj.samples.iter()).map(|(d, y)| {
        let o = model.observables(*d, y);
        let mut r = vec![format!("{d}")];
        r.extend((0..N_STATES).map(|i| format!("{}", y[i])));
        r.extend(
            [
                o.lvef_percent,
                o.lvedv_ml,
                o.lvesv_ml,
                o.rvef_percent,
                o.rvedv_ml,
                o.rvesv_ml,
                o.tapse_mm,
                o.ntprobnp_ng_per_l,
                o.six_minute_walk_m,
                o.ddimer_mg_per_l,
                o.inr,
                o.rv_signal,
                o.lv_signal,
                Kinetics::total_cells(y),
            ]
            .iter()
            .map(|x| format!("{x}")),
        );
        r
    });
    write_atomic(&a.out, &csv_bytes(&header, rows)?)?;
    let b = &baseline;
    errln!(
        "patient {} of replicate {} (screening number {}), arm {}: age {:.0}, LVEF {:.1}%, LVEDV {:.0} mL, RVEDV {:.0} mL, TAPSE {:.1} mm, NT-proBNP {:.0}, anticoagulant {}; wrote {} ({} rows, {} solver steps)",
        a.patient,
        a.replicate,
        cand.index,
        a.arm,
        b.age_years,
        b.lvef_percent,
        b.lvedv_ml,
        b.rvedv_ml,
        b.tapse_mm,
        b.ntprobnp_ng_per_l,
        super::console::word(&b.anticoagulant),
        a.out.display(),
        days.len(),
        traj.stats.accepted_steps
    );
    Ok(())
}
