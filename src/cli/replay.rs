//! `hfsim replay`: re-simulate exactly one patient of one replicate, with
//! diagnostics (baseline, parameters, conduct, both integrators, events,
//! measurements). Failed patients are listed in summary.json
//! (`failure_examples`) with their design point, replicate and screening number.

use super::execute::method_of;
use super::output::{csv_bytes, write_atomic};
use super::run::load_points;
use super::{CliError, CliResult};
use crate::model::fast::{FastOptions, simulate_fast};
use crate::model::simulate::{SimulationPlan, Trajectory, simulate_with};
use crate::model::state::{N_STATES, STATE_INFO};
use crate::rng::DesignSlot;
use crate::solver::dopri5::Dopri5;
use crate::trial::TrialContext;
use crate::trial::measurement::SLOTS;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// Scenario file (the one the run used).
    pub scenario: PathBuf,
    /// Design point index (0 for a scenario without a sweep).
    #[arg(long, default_value_t = 0)]
    pub design: usize,
    #[arg(long)]
    pub replicate: u64,
    /// Screening number of the patient (as in failure_examples and patients.csv).
    #[arg(long)]
    pub patient: u64,
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub set: Vec<String>,
    #[arg(long)]
    pub seed: Option<u64>,
    /// Also write the state trajectory (reference integrator, daily) to this CSV.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
}

pub fn replay(a: ReplayArgs) -> CliResult {
    let (loaded, points) = load_points(&a.scenario, &a.set, a.seed, None, true)?;
    let (point, l) = points.get(a.design).ok_or_else(|| {
        CliError::Usage(format!(
            "--design {}: the scenario has {} design point(s)",
            a.design,
            points.len()
        ))
    })?;
    let s = &l.scenario;
    let slot = if s.run.common_random_numbers {
        DesignSlot::Shared
    } else {
        DesignSlot::Independent(a.design as u64)
    };
    let ctx = TrialContext::new(s.clone(), slot, method_of(l));
    let r = crate::trial::replay_patient(&ctx, a.replicate, a.patient).map_err(CliError::Usage)?;
    println!(
        "scenario {} (sha256 {}), seed {}, design point {} ({}), replicate {}, patient {} (enrolled #{}), arm {}",
        s.name,
        &loaded.sha256[..12],
        s.run.seed,
        a.design,
        point.label(),
        a.replicate,
        a.patient,
        r.position,
        s.arms[r.arm as usize].key
    );
    println!("\nbaseline (true values):");
    for (c, v) in s.population.covariates.iter().zip(&r.candidate.covariates) {
        println!("  {:<28} {v:.4}", c.name);
    }
    println!("  {:<28} {:?}", "anticoagulant", r.candidate.anticoagulant);
    println!(
        "  {:<28} {:?}",
        "gdmt days on (arni, acei_arb, bb, mra, sglt2i)", r.candidate.gdmt.days_on
    );
    println!("\nparameters that vary between patients:");
    for p in s.model.varying() {
        println!(
            "  {:<40} {:.6} (typical {})",
            p.info().name,
            r.params.get(p),
            s.model.get(p)
        );
    }
    let rec = &r.record;
    println!(
        "\nconduct: withdrawn {}, dropout day {:?}, followed until day {:.1}",
        rec.withdrawn, rec.dropout_day, rec.followed_until
    );
    println!(
        "events: HF hospitalizations {:?}, death {:?}, first SAE {:?}, ANA positive {}",
        &rec.events.hfh[..rec.events.n_hfh],
        rec.events.death,
        rec.events.first_sae,
        rec.ana_positive
    );
    if !r.failures.is_empty() {
        println!("\nINTEGRATION FAILED: {:?}", r.failures);
    }
    // Both integrators on the same patient.
    let regimen = &ctx.regimens[r.arm as usize];
    let end = s.run.follow_up_days;
    let days: Vec<f64> = (0..=end.floor() as usize).map(|d| d as f64).collect();
    let plan = SimulationPlan {
        dose_days: &regimen.dose_days,
        sample_days: &days,
        end_day: end,
    };
    let (mut reference, mut fast) = (Trajectory::default(), Trajectory::default());
    let rr = simulate_with(
        &r.model,
        &plan,
        &Dopri5 {
            rtol: s.run.rtol,
            atol: s.run.atol,
            ..Dopri5::default()
        },
        &mut reference,
    );
    let rf = simulate_fast(&r.model, &plan, &FastOptions::default(), &mut fast);
    println!(
        "\nreference Dopri5: {:?}, stats {:?}",
        rr.map(|_| "ok"),
        reference.stats
    );
    println!(
        "fast path:        {:?}, stats {:?}",
        rf.map(|_| "ok"),
        fast.stats
    );
    if rr.is_ok() && rf.is_ok() {
        let mut worst = (0.0f64, String::new());
        for (k, d) in days.iter().enumerate() {
            let (a, b) = (
                r.model.observables(*d, &reference.samples[k]),
                r.model.observables(*d, &fast.samples[k]),
            );
            for (n, x, y) in [
                ("lvef", a.lvef_percent, b.lvef_percent),
                ("rvesv", a.rvesv_ml, b.rvesv_ml),
                ("ddimer", a.ddimer_mg_per_l, b.ddimer_mg_per_l),
                ("ntprobnp", a.ntprobnp_ng_per_l, b.ntprobnp_ng_per_l),
            ] {
                let e = (x - y).abs() / x.abs().max(1e-9);
                if e > worst.0 {
                    worst = (e, format!("{n} at day {d}"));
                }
            }
        }
        println!(
            "largest relative difference fast vs reference: {:.2e} ({})",
            worst.0, worst.1
        );
    }
    println!("\nmeasurements (visit day: values; blank = not measured):");
    for (v, visit) in s.trial.visits.iter().enumerate() {
        let vals: Vec<String> = SLOTS
            .iter()
            .enumerate()
            .filter_map(|(k, (q, m))| {
                let x = rec.value(v, k);
                x.is_finite()
                    .then(|| format!("{}/{}={x:.3}", q.key(), m.key()))
            })
            .collect();
        println!(
            "  {} day {:.1}: {}",
            visit.name,
            rec.visit_days[v],
            vals.join(" ")
        );
    }
    if let Some(out) = a.out {
        let mut header: Vec<&str> = vec!["day"];
        header.extend(STATE_INFO.iter().map(|(n, _, _)| *n));
        let rows = days.iter().zip(reference.samples.iter()).map(|(d, y)| {
            let mut row = vec![format!("{d}")];
            row.extend((0..N_STATES).map(|i| format!("{}", y[i])));
            row
        });
        write_atomic(&out, &csv_bytes(&header, rows)?)?;
        eprintln!("wrote {}", out.display());
    }
    Ok(())
}
