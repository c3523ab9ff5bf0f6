//! A replicate of a sequential trial, from the cohort to the record the
//! summary reduces: enrol the cohort (up to the largest sample size
//! re-estimation allows, simulated only as far as needed), conduct the looks
//! (`conduct`), then evaluate every endpoint on the data as they were at the
//! stopping analysis. The primary endpoint's decision is the sequential one;
//! the other endpoints are reported at the stop (yes/no outcomes over the
//! patients whose window is complete by then).

use super::conduct::conduct;
use super::design::yes_no_window;
use crate::evaluation::{Rejection, ReplicateRecord, evaluate};
use crate::runner::ReplicateExport;
use crate::trial::cut::{complete_at, cut_at};
use crate::trial::{
    PatientCache, TrialContext, TrialData, Workspace, enrol_cohort, simulate_cohort,
};

/// Simulate and evaluate one replicate of a scenario with `[trial.sequential]`.
pub fn run(
    ctx: &TrialContext,
    replicate: u64,
    ws: &mut Workspace,
    export: bool,
    mut cache: Option<&mut PatientCache>,
) -> (ReplicateRecord, Option<ReplicateExport>) {
    let s = &ctx.scenario;
    let seq = s
        .sequential
        .as_ref()
        .expect("called for sequential scenarios only");
    let cohort = match enrol_cohort(ctx, replicate, seq.n_max() as usize) {
        Ok(c) => c,
        Err(e) => return crate::runner::failed_replicate(replicate, e.to_string()),
    };
    let mut data = TrialData {
        replicate,
        ..Default::default()
    };
    simulate_cohort(
        ctx,
        replicate,
        &cohort,
        0..seq.n_planned as usize,
        ws,
        cache.as_deref_mut(),
        &mut data,
    );
    let conducted = conduct(s, seq, &mut data, &mut |d: &mut TrialData, n: usize| {
        let from = d.patients.len();
        simulate_cohort(
            ctx,
            replicate,
            &cohort,
            from..n,
            ws,
            cache.as_deref_mut(),
            d,
        );
    });
    let stop = conducted.stop_day;
    let cut = cut_at(&data, stop);
    let (mut rec, mut ex) = crate::runner::evaluate_data(ctx, replicate, &cut, export);
    // yes/no outcomes: the patients whose window is complete at the stop
    let mut windows: Vec<f64> = s
        .endpoints
        .iter()
        .filter_map(|ep| yes_no_window(ep, &s.trial, s.run.follow_up_days))
        .collect();
    windows.sort_by(f64::total_cmp);
    windows.dedup();
    for w in windows {
        let complete = evaluate(s, &complete_at(&data, stop, w), &mut |_, _, _| {});
        for (i, ep) in s.endpoints.iter().enumerate() {
            if yes_no_window(ep, &s.trial, s.run.follow_up_days) == Some(w) {
                rec.endpoints[i] = complete.endpoints[i].clone();
            }
        }
    }
    // the primary endpoint's decision is the sequential one (its one-sided
    // alternative points the favourable way)
    let primary = &mut rec.endpoints[seq.primary];
    primary.reject = conducted.record.rejected;
    primary.rejection = conducted.record.rejected.then_some(Rejection::Favourable);
    rec.families = s
        .families
        .iter()
        .map(|f| {
            let p: Vec<f64> = f
                .endpoints
                .iter()
                .map(|&k| crate::analysis::p_value_or_one(&rec.endpoints[k].outcome))
                .collect();
            crate::analysis::multiplicity::reject(&p, f.alpha, f.procedure)
        })
        .collect();
    // the work done is that of every patient simulated, not only those enrolled by the stop
    rec.patients_simulated = data.patients.iter().filter(|p| !p.withdrawn).count() as u64;
    rec.plausibility = crate::plausibility::tally_patients(&data.patients);
    rec.failures = data.failures.clone();
    rec.stats = data.stats;
    rec.screened = data.screened;
    if let Some(ex) = ex.as_mut() {
        ex.looks = conducted
            .record
            .looks
            .iter()
            .map(|l| (replicate, l.clone()))
            .collect();
    }
    rec.sequential = Some(conducted.record);
    (rec, ex)
}
