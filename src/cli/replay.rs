//! `hfsim replay`: re-simulate exactly one patient of one replicate, with
//! diagnostics (baseline, parameters, conduct, both integrators, events,
//! measurements). Failed patients are listed in summary.json
//! (`failure_examples`) with their design point, replicate and screening number.

use super::console::{errln, outln};
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
    outln!(
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
    outln!("\nbaseline (true values):");
    for (c, v) in s.population.covariates.iter().zip(&r.candidate.covariates) {
        outln!("  {:<28} {v:.4}", c.name);
    }
    outln!(
        "  {:<28} {}",
        "anticoagulant",
        super::console::word(&r.candidate.anticoagulant)
    );
    outln!(
        "  {:<28} {:?}",
        "gdmt days on (arni, acei_arb, bb, mra, sglt2i)",
        r.candidate.gdmt.days_on
    );
    outln!("\nparameters that vary between patients:");
    for p in s.model.varying() {
        outln!(
            "  {:<40} {:.6} (typical {})",
            p.info().name,
            r.params.get(p),
            s.model.get(p)
        );
    }
    let rec = &r.record;
    let day = super::console::day;
    outln!(
        "\nconduct: withdrawn {}, dropout day {}, followed until day {:.1}",
        rec.withdrawn,
        day(rec.dropout_day),
        rec.followed_until
    );
    outln!(
        "events: HF hospitalizations on days {}, death on day {}, first SAE on day {}, ANA positive {}",
        if rec.events.n_hfh == 0 {
            "none".to_string()
        } else {
            rec.events.hfh[..rec.events.n_hfh]
                .iter()
                .map(|d| format!("{d:.1}"))
                .collect::<Vec<_>>()
                .join(", ")
        },
        day(rec.events.death),
        day(rec.events.first_sae),
        rec.ana_positive
    );
    if !r.failures.is_empty() {
        outln!(
            "\nINTEGRATION FAILED: {}",
            r.failures
                .iter()
                .map(|f| format!("{} (arm {})", f.failure, f.arm))
                .collect::<Vec<_>>()
                .join("; ")
        );
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
    let status = |r: &Result<(), crate::solver::SolveFailure>| match r {
        Ok(()) => "ok".to_string(),
        Err(e) => format!("failed: {e}"),
    };
    outln!(
        "\nreference Dopri5: {}, stats {:?}",
        status(&rr.map(|_| ())),
        reference.stats
    );
    outln!(
        "fast path:        {}, stats {:?}",
        status(&rf.map(|_| ())),
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
        outln!(
            "largest relative difference fast vs reference: {:.2e} ({})",
            worst.0,
            worst.1
        );
    }
    outln!("\nmeasurements (visit day: values; blank = not measured):");
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
        outln!(
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
        errln!("wrote {}", out.display());
    }
    Ok(())
}
