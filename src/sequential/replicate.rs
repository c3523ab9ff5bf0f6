//! A replicate of a sequential trial, from the cohort to the record the
//! summary reduces: enrol the cohort (up to the largest sample size
//! re-estimation allows, simulated only as far as needed), conduct the looks
//! (`conduct`), then evaluate every endpoint on the data as they were at the
//! stopping analysis. The primary endpoint's decision is the sequential one;
//! the other endpoints are reported at the stop (yes/no outcomes over the
//! patients whose window is complete by then).

use super::conduct::conduct;
use super::design::yes_no_window;
use crate::evaluation::{EndpointOutcome, ReplicateRecord, rejects, run_test};
use crate::runner::ReplicateExport;
use crate::trial::cut::{complete_at, cut_at};
use crate::trial::endpoints::extract;
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
    for (i, ep) in s.endpoints.iter().enumerate() {
        let Some(window) = yes_no_window(ep, &s.trial, s.run.follow_up_days) else {
            continue;
        };
        let d = extract(ep, s, &complete_at(&data, stop, window));
        let outcome = run_test(ep, &d);
        rec.endpoints[i] = EndpointOutcome {
            reject: rejects(&outcome, ep.alpha),
            n: d.n_analyzed(),
            events: d.events(),
            moments: None,
            outcome,
        };
    }
    rec.endpoints[seq.primary].reject = conducted.record.rejected;
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
