//! Running the design points of a sweep together, with patients shared
//! between design points where their inputs are the same, gives exactly
//! what running each design point alone gives.

use hfsim::model::fast::FastOptions;
use hfsim::rng::DesignSlot;
use hfsim::runner::{Resume, RunOptions, Silent, run_design_point, run_design_points};
use hfsim::scenario::Override;
use hfsim::summary::DesignAcc;
use hfsim::trial::{Method, PatientCache, TrialContext, Workspace, simulate_trial_cached};

fn contexts() -> Vec<TrialContext> {
    let sweep = Override::parse("sweep.axes.\"arms.msc.interval_days\"=[21, 42, 56]").unwrap();
    let loaded = hfsim::scenario::load_file(
        std::path::Path::new("tests/fixtures/small_trial.toml"),
        &[sweep],
    )
    .unwrap();
    hfsim::scenario::design_points(&loaded)
        .unwrap()
        .into_iter()
        .map(|(_, l)| {
            TrialContext::new(
                l.scenario,
                DesignSlot::Shared,
                Method::Fast(FastOptions::default()),
            )
        })
        .collect()
}

#[test]
fn design_points_run_together_equal_design_points_run_alone() {
    let ctxs = contexts();
    assert_eq!(ctxs.len(), 3);
    let opts: Vec<RunOptions> = ctxs
        .iter()
        .map(|_| RunOptions {
            chunk: 5,
            export_replicates: 3,
            failures_allowed: 100,
        })
        .collect();
    let mut alone = Vec::new();
    let mut exports_alone = vec![Vec::new(); 3];
    for (d, ctx) in ctxs.iter().enumerate() {
        let resume = Resume {
            acc: DesignAcc::new(&ctx.scenario),
            covered_from: 0,
        };
        let (acc, done) = run_design_point(
            ctx,
            d,
            0..17,
            resume,
            &opts[d],
            &mut Silent,
            &mut exports_alone[d],
        )
        .unwrap();
        assert!(done);
        alone.push(serde_json::to_string(&acc).unwrap());
    }
    let resumes = ctxs
        .iter()
        .map(|c| Resume {
            acc: DesignAcc::new(&c.scenario),
            covered_from: 0,
        })
        .collect();
    let mut exports_together = vec![Vec::new(); 3];
    let (accs, done) = run_design_points(
        &ctxs,
        0..17,
        resumes,
        &opts,
        &mut Silent,
        &mut exports_together,
    )
    .unwrap();
    assert!(done);
    let together: Vec<String> = accs
        .iter()
        .map(|a| serde_json::to_string(a).unwrap())
        .collect();
    assert_eq!(alone, together);
    assert_eq!(exports_alone, exports_together);
}

#[test]
fn placebo_patients_are_shared_between_design_points() {
    let ctxs = contexts();
    assert_eq!(
        ctxs[0].arm_fingerprints[0], ctxs[1].arm_fingerprints[0],
        "placebo does not depend on the MSC interval"
    );
    assert_ne!(
        ctxs[0].arm_fingerprints[1], ctxs[1].arm_fingerprints[1],
        "MSC patients do"
    );
    let mut cache = PatientCache::default();
    let mut ws = Workspace::default();
    let a = simulate_trial_cached(&ctxs[0], 0, &mut ws, &mut cache).unwrap();
    assert_eq!(cache.hits, 0);
    let b = simulate_trial_cached(&ctxs[1], 0, &mut ws, &mut cache).unwrap();
    let placebo = a.patients.iter().filter(|p| p.arm == 0).count() as u64;
    assert_eq!(cache.hits, placebo);
    for (x, y) in a.patients.iter().zip(&b.patients) {
        if x.arm == 0 {
            // (missing measurements are NaN, so compare representations)
            assert_eq!(format!("{x:?}"), format!("{y:?}"));
        }
    }
}
