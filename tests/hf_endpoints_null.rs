//! The heart-failure endpoint tests under the null, through the whole
//! pipeline (cohort, model, conduct, events, analysis): 20,000 seeded
//! replicates of `tests/fixtures/null_hf_endpoints.toml` (both arms without
//! cells, 75 per arm). Each new test must reject within 3 Monte Carlo SEs of
//! alpha (among the replicates it could analyse).
//!
//! Also recorded, not hidden: LWYY when treatment changes death but not
//! the hospitalization rate (a kernel-level simulation below): death ends
//! follow-up, so a treatment that kills patients earlier "prevents"
//! hospitalizations and LWYY on hospitalizations alone sees a benefit.

use hfsim::analysis::Alternative;
use hfsim::analysis::recurrent::{self, Interval};
use hfsim::model::fast::FastOptions;
use hfsim::rng::DesignSlot;
use hfsim::runner::run_replicate;
use hfsim::trial::{Method, TrialContext, Workspace};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::Exp1;
use rayon::prelude::*;

const REPLICATES: u64 = 20_000;
const ALPHA: f64 = 0.05;

#[test]
fn heart_failure_tests_reject_at_their_size_under_the_null() {
    let loaded = hfsim::scenario::load_file(
        std::path::Path::new("tests/fixtures/null_hf_endpoints.toml"),
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let s = loaded.scenario.clone();
    let ctx = TrialContext::new(
        s.clone(),
        DesignSlot::Shared,
        Method::Fast(FastOptions::default()),
    );
    let records: Vec<_> = (0..REPLICATES)
        .into_par_iter()
        .map_init(Workspace::default, |ws, r| {
            run_replicate(&ctx, r, ws, false).0
        })
        .collect();
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for (k, ep) in s.endpoints.iter().enumerate() {
        let ok: Vec<_> = records
            .iter()
            .filter(|r| r.endpoints[k].outcome.is_ok())
            .collect();
        let n = ok.len() as f64;
        let rate = ok.iter().filter(|r| r.endpoints[k].reject).count() as f64 / n;
        let se = (ALPHA * (1.0 - ALPHA) / n).sqrt();
        let events: f64 = records
            .iter()
            .map(|r| r.endpoints[k].events.map_or(0, |e| e[0] + e[1]) as f64)
            .sum::<f64>()
            / REPLICATES as f64;
        report.push(format!(
            "{}: {rate:.4} (n {n}, 3 MCSE {:.4}, events per trial {events:.1})",
            ep.name,
            3.0 * se
        ));
        if ep.test == hfsim::scenario::spec::TestKind::NegativeBinomial {
            // The simulated counts are not negative binomial (at most
            // MAX_HFH = 8 hospitalizations per patient, recurrence hazard):
            // the NB fit overstates the dispersion and both NB tests are
            // conservative at any n (docs/statistics.md: 0.046/0.044 here,
            // 0.041/0.040 at 300 per arm; R's glm.nb gives the same
            // decisions). Required: not anti-conservative, and conservative
            // by at most 0.01. Their size on negative binomial data is
            // checked at 3 MCSE by `negative_binomial_rejects_at_its_size_on_nb_data`.
            if rate > ALPHA + 3.0 * se || rate < ALPHA - 0.01 {
                failures.push(format!(
                    "{}: {rate:.4} not in [{}, {ALPHA} + 3 SE]",
                    ep.name,
                    ALPHA - 0.01
                ));
            }
        } else if ep.test != hfsim::scenario::spec::TestKind::Logrank
            && (rate - ALPHA).abs() > 3.0 * se
        {
            failures.push(format!("{}: {rate:.4} not within 3 SE of {ALPHA}", ep.name));
        }
        assert!(
            n > 0.99 * REPLICATES as f64,
            "{}: too many not analysable",
            ep.name
        );
    }
    eprintln!(
        "null rejection rates over {REPLICATES} replicates:\n  {}",
        report.join("\n  ")
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The negative binomial tests on negative binomial data (gamma-Poisson
/// counts, the mean and dispersion of the null scenario's: 1.33
/// hospitalizations per patient-year and alpha = 0.8; 75 per arm; 85% followed
/// for the whole year, the others for 1 to 11 whole months): Wald and LR reject
/// within 3 MCSE of alpha over 20,000 replicates.
#[test]
fn negative_binomial_rejects_at_its_size_on_nb_data() {
    use hfsim::analysis::negbin::{self, CountObs, NbPValue};
    use rand_distr::{Distribution, Gamma, Poisson};
    let (rate_per_year, dispersion, n) = (1.33, 0.8, 75);
    let gamma = Gamma::new(1.0 / dispersion, dispersion).unwrap();
    let rejected: Vec<[bool; 2]> = (0..REPLICATES)
        .into_par_iter()
        .map(|r| {
            let mut rng = ChaCha8Rng::seed_from_u64(20261202);
            rng.set_stream(r);
            let mut arm = || -> Vec<CountObs> {
                (0..n)
                    .map(|_| {
                        let years: f64 = if rng.random::<f64>() < 0.85 {
                            1.0
                        } else {
                            rng.random_range(1..12u32) as f64 / 12.0
                        };
                        let mean = rate_per_year * years * gamma.sample(&mut rng);
                        let count = if mean > 0.0 {
                            Poisson::new(mean).unwrap().sample(&mut rng)
                        } else {
                            0.0
                        };
                        CountObs {
                            count,
                            exposure: years,
                        }
                    })
                    .collect()
            };
            let (t, c) = (arm(), arm());
            [NbPValue::Wald, NbPValue::LikelihoodRatio].map(|m| {
                negbin::test(&t, &c, Alternative::TwoSided, m, 0.0).is_ok_and(|o| o.p_value < ALPHA)
            })
        })
        .collect();
    let se = (ALPHA * (1.0 - ALPHA) / REPLICATES as f64).sqrt();
    for (k, what) in ["Wald", "LR"].iter().enumerate() {
        let rate = rejected.iter().filter(|r| r[k]).count() as f64 / REPLICATES as f64;
        eprintln!(
            "negative binomial {what} on NB data: rejects {rate:.4} (3 MCSE {:.4})",
            3.0 * se
        );
        assert!((rate - ALPHA).abs() <= 3.0 * se, "{what}: {rate}");
    }
}

/// Hospitalizations at 1 per year in both arms, death 0.2 per year on
/// control and 0.6 per year on treatment, 150 per arm, 2 years: LWYY on
/// hospitalizations (death censoring) estimates a rate ratio of 1 on average
/// (the rate among the living is unchanged) but the composite with death
/// (death counted as an event) sees the harm. Recorded in
/// docs/statistics.md.
#[test]
fn lwyy_when_treatment_changes_only_death() {
    let mut rng = ChaCha8Rng::seed_from_u64(20261201);
    let (reps, n, years) = (2000, 150, 2.0);
    let (mut rej_hfh, mut rej_comp, mut log_hfh, mut log_comp) = (0, 0, 0.0, 0.0);
    let mut fewer_events = 0.0;
    for _ in 0..reps {
        let mut hfh = Vec::new();
        let mut comp = Vec::new();
        let mut events = [0usize; 2];
        for (arm, arm_events) in events.iter_mut().enumerate() {
            for p in 0..n {
                let subject = (arm * n + p) as u32;
                let death_rate = if arm == 1 { 0.6 } else { 0.2 };
                let death: f64 = rng.sample::<f64, _>(Exp1) / death_rate;
                let end = death.min(years);
                let mut t = 0.0;
                let mut start = 0.0;
                loop {
                    t += rng.sample::<f64, _>(Exp1);
                    if t >= end {
                        break;
                    }
                    *arm_events += 1;
                    for v in [&mut hfh, &mut comp] {
                        v.push(Interval {
                            subject,
                            treated: arm == 1,
                            start,
                            stop: t,
                            event: true,
                        });
                    }
                    start = t;
                }
                hfh.push(Interval {
                    subject,
                    treated: arm == 1,
                    start,
                    stop: end,
                    event: false,
                });
                comp.push(Interval {
                    subject,
                    treated: arm == 1,
                    start,
                    stop: end,
                    event: death < years,
                });
            }
        }
        fewer_events += (events[1] as f64) / (events[0] as f64);
        let a = recurrent::lwyy(&hfh, Alternative::TwoSided, 0.0).unwrap();
        let b = recurrent::lwyy(&comp, Alternative::TwoSided, 0.0).unwrap();
        rej_hfh += usize::from(a.p_value < ALPHA);
        rej_comp += usize::from(b.p_value < ALPHA);
        log_hfh += a.estimate.ln();
        log_comp += b.estimate.ln();
    }
    let r = reps as f64;
    eprintln!(
        "treatment triples death only: treated/control hospitalizations {:.3}; LWYY on hospitalizations: geometric mean RR {:.3}, rejects {:.3}; LWYY with death in the composite: RR {:.3}, rejects {:.3}",
        fewer_events / r,
        (log_hfh / r).exp(),
        rej_hfh as f64 / r,
        (log_comp / r).exp(),
        rej_comp as f64 / r
    );
    // fewer hospitalizations are observed on treatment (earlier deaths) ...
    assert!(fewer_events / r < 0.85);
    // ... yet LWYY's rate among patients still followed is unbiased
    assert!(((log_hfh / r).exp() - 1.0).abs() < 0.03);
    assert!((rej_hfh as f64 / r - ALPHA).abs() < 3.0 * (ALPHA * 0.95 / r).sqrt() + 0.005);
    // the composite detects the harm
    assert!((log_comp / r).exp() > 1.1 && rej_comp as f64 / r > 0.5);
}
