//! The evaluation model: what each simulated trial concludes.
//!
//! For every endpoint: extract its data (`trial::endpoints`), run the test
//! the scenario names, decide at the endpoint's alpha. For every multiplicity
//! family: the procedure's decisions over its endpoints. A data set a test
//! cannot analyse is recorded with its reason and never rejects.

use crate::analysis::direction::Direction;
use crate::analysis::{self, Alternative, NotAnalysable, TestOutcome, TestResult};
use crate::scenario::Scenario;
use crate::scenario::spec::TestKind;
use crate::scenario::validate::Endpoint;
use crate::solver::SolverStats;
use crate::trial::endpoints::{EndpointData, RecurrentObs, extract};
use crate::trial::{PatientFailure, TrialData};

/// Per-arm summary of continuous data (for analytic power and calibration).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ArmMoments {
    pub n: usize,
    pub mean: f64,
    /// Sample SD (NaN when n < 2).
    pub sd: f64,
}

impl ArmMoments {
    pub fn of(values: impl Iterator<Item = f64>) -> ArmMoments {
        let v: Vec<f64> = values.collect();
        let n = v.len();
        if n == 0 {
            return ArmMoments {
                n,
                mean: f64::NAN,
                sd: f64::NAN,
            };
        }
        let mean = v.iter().sum::<f64>() / n as f64;
        let sd = if n > 1 {
            (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            f64::NAN
        };
        ArmMoments { n, mean, sd }
    }
}

/// What one endpoint concluded in one trial.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointOutcome {
    pub outcome: TestOutcome,
    /// Rejected at the endpoint's own alpha.
    pub reject: bool,
    /// Which way it rejected (`None` without a rejection).
    pub rejection: Option<Rejection>,
    /// The estimate on the endpoint's summary scale (the log for ratios);
    /// `None` when not analysable or not finite there.
    pub summary_effect: Option<f64>,
    /// Patients analysed `[control, treatment]`.
    pub n: [usize; 2],
    /// Events per arm (event and yes/no endpoints).
    pub events: Option<[usize; 2]>,
    /// Moments of the analysed values (continuous endpoints).
    pub moments: Option<[ArmMoments; 2]>,
}

/// Which way a rejection went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// In the direction favouring treatment.
    Favourable,
    /// In the direction favouring control (detected harm).
    Harmful,
    /// The statistic sat exactly at its null value (not seen in practice).
    Undirected,
}

/// Everything one replicate contributes to the summary.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicateRecord {
    pub replicate: u64,
    /// Why the whole replicate could not be simulated (e.g. enrolment failed).
    pub replicate_failure: Option<String>,
    pub endpoints: Vec<EndpointOutcome>,
    /// Decisions per family, in the family's endpoint order.
    pub families: Vec<Vec<bool>>,
    pub patients_simulated: u64,
    pub failures: Vec<PatientFailure>,
    pub screened: u64,
    pub stats: SolverStats,
    /// The sequential design's outcome (`[trial.sequential]`).
    pub sequential: Option<crate::sequential::SequentialRecord>,
    /// The same trial in the replicate's world (`[uncertainty]`): per endpoint.
    pub world: Option<WorldRecord>,
    /// The plausibility audit of every simulated patient, per arm
    /// (`[control, treatment]`, [`crate::plausibility`]).
    pub plausibility: crate::plausibility::ArmAudits,
    /// The trial at the central values was not run in this replicate
    /// (`[uncertainty] power_every`): only `world` holds results.
    pub power_skipped: bool,
}

/// What assurance needs of a replicate run in its world.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldRecord {
    pub endpoints: Vec<WorldOutcome>,
    /// Patients of the world run that could not be simulated.
    pub patients_failed: u64,
    /// Per uncertain parameter, the stratum of its draw in this world
    /// ([`crate::uncertainty::stratum`]).
    pub strata: Vec<u8>,
}

/// One endpoint of a world run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorldOutcome {
    pub reject: bool,
    pub rejection: Option<Rejection>,
    /// The estimate on the endpoint's summary scale, if analysable.
    pub summary_effect: Option<f64>,
    /// The true effect in this world (summary scale): the endpoint's own
    /// estimator on the same trial without measurement error
    /// ([`true_effects`]); `None` for endpoints that are not measured
    /// quantities, or when the noise-free data cannot be analysed.
    pub true_effect: Option<f64>,
}

impl WorldRecord {
    /// From the record of the world run and the endpoints' true effects
    /// (one per endpoint, or empty for none), in a world whose draws fell
    /// in `strata`.
    pub fn of(r: &ReplicateRecord, true_effects: &[Option<f64>], strata: Vec<u8>) -> WorldRecord {
        WorldRecord {
            endpoints: r
                .endpoints
                .iter()
                .enumerate()
                .map(|(i, o)| WorldOutcome {
                    reject: o.reject,
                    rejection: o.rejection,
                    summary_effect: o.outcome.is_ok().then_some(o.summary_effect).flatten(),
                    true_effect: true_effects.get(i).copied().flatten(),
                })
                .collect(),
            patients_failed: r.failures.len() as u64,
            strata,
        }
    }
}

/// The true treatment effect of each endpoint in one simulated trial, on the
/// endpoint's summary scale: the endpoint's own estimator (difference in
/// means, Hodges-Lehmann shift, ANCOVA or MMRM treatment coefficient) on
/// `noise_free`, the same trial with every measured value replaced by its
/// true value (`PatientRecord::measure_without_error`): same patients, arms,
/// visits, missing scans and dropout, no measurement error. Defined for
/// endpoints of a measured quantity (`Measure::Continuous`); event, yes/no
/// and hierarchical endpoints have no measurement error to remove and get
/// `None`, as does a noise-free data set the estimator cannot analyse.
pub fn true_effects(s: &Scenario, noise_free: &TrialData) -> Vec<Option<f64>> {
    s.endpoints
        .iter()
        .map(|ep| {
            if !matches!(
                ep.measure,
                crate::scenario::spec::Measure::Continuous { .. }
            ) {
                return None;
            }
            let d = extract(ep, s, noise_free);
            run_test(ep, &d)
                .ok()
                .and_then(|r| ep.options.effect_scale.summarised(r.estimate))
        })
        .collect()
}

/// Run the scenario's test on one endpoint's data. With a margin `m` the
/// null hypothesis is "effect = m" (a one-sided test): the treatment values
/// are shifted by −m for the t-tests, ANCOVA and the rank-sum test (whose
/// estimate is then shifted back), and the log-rank endpoint is tested by
/// the Cox Wald statistic (ln HR − m)/SE.
pub fn run_test(ep: &Endpoint, data: &EndpointData) -> TestOutcome {
    let alt: Alternative = ep.alternative;
    let margin = ep.options.margin.unwrap_or(0.0);
    match (data, ep.test) {
        (EndpointData::Continuous(a), test) => {
            let t: Vec<f64> = a[1].iter().map(|o| o.value - margin).collect();
            let c: Vec<f64> = a[0].iter().map(|o| o.value).collect();
            let shifted = match test {
                TestKind::Welch => analysis::ttest::welch(&t, &c, alt),
                TestKind::Student => analysis::ttest::student(&t, &c, alt),
                TestKind::Wilcoxon => {
                    analysis::wilcoxon::rank_sum(&t, &c, alt, analysis::wilcoxon::Method::Auto)
                }
                TestKind::Ancova => {
                    let tp: Vec<(f64, f64)> = a[1]
                        .iter()
                        .map(|o| (o.baseline, o.value - margin))
                        .collect();
                    let cp: Vec<(f64, f64)> = a[0].iter().map(|o| (o.baseline, o.value)).collect();
                    analysis::ancova::treatment_effect(&tp, &cp, alt)
                }
                _ => unreachable!("validated: continuous endpoints use t, Wilcoxon or ANCOVA"),
            };
            shifted.map(|r| TestResult {
                estimate: r.estimate + margin,
                ..r
            })
        }
        (EndpointData::Survival(_), _) => {
            let (t, c) = (data.survival_obs(1), data.survival_obs(0));
            match ep.options.margin {
                None => analysis::logrank::test(&t, &c, alt),
                Some(m) => cox_wald_with_margin(&t, &c, m, alt),
            }
        }
        (EndpointData::Recurrent(a), TestKind::NegativeBinomial) => {
            let counts = |arm: &[RecurrentObs]| -> Vec<analysis::negbin::CountObs> {
                arm.iter()
                    .map(|o| analysis::negbin::CountObs {
                        count: o.n_events as f64,
                        exposure: o.end,
                    })
                    .collect()
            };
            analysis::negbin::test(
                &counts(&a[1]),
                &counts(&a[0]),
                alt,
                ep.options.p_value,
                margin,
            )
        }
        (EndpointData::Recurrent(a), _) => {
            analysis::recurrent::lwyy(&counting_process(a), alt, margin)
        }
        (EndpointData::Hierarchy(a), _) => {
            let comps = &ep.options.components;
            let stats = analysis::win_ratio::compare(&a[1], &a[0], |t, c| {
                crate::trial::hierarchy::compare(t, c, comps)
            })?;
            analysis::win_ratio::test(&stats, ep.options.win_measure, margin, alt)
        }
        (EndpointData::Repeated(a), _) => {
            let obs: Vec<analysis::mmrm::MmrmObs> =
                a[1].iter().chain(&a[0]).map(|(_, o)| *o).collect();
            analysis::mmrm::test(
                &obs,
                ep.options.mmrm_visits.len(),
                ep.options.mmrm_effect_visit,
                alt,
                margin,
            )
        }
        (EndpointData::Binary(_), test) => {
            let ev = data.events().expect("binary data has events");
            let n = data.n_analyzed();
            let (te, tn, ce, cn) = (ev[1] as u64, n[1] as u64, ev[0] as u64, n[0] as u64);
            match test {
                TestKind::ProportionsZ => analysis::proportions::diff_z(te, tn, ce, cn, alt),
                _ => analysis::fisher::exact(te, tn, ce, cn, alt),
            }
        }
    }
}

/// Counting-process intervals of both arms (patients numbered in order).
pub fn counting_process(arms: &[Vec<RecurrentObs>; 2]) -> Vec<analysis::recurrent::Interval> {
    let mut out = Vec::with_capacity(
        arms.iter()
            .flat_map(|a| a.iter().map(|o| o.n_events + 1))
            .sum(),
    );
    let mut subject = 0u32;
    for (arm, obs) in arms.iter().enumerate() {
        for o in obs {
            o.intervals(|start, stop, event| {
                out.push(analysis::recurrent::Interval {
                    subject,
                    treated: arm == 1,
                    start,
                    stop,
                    event,
                })
            });
            subject += 1;
        }
    }
    out
}

/// Cox Wald test of ln HR = `margin`: statistic (ln HR − margin)/SE,
/// estimate the hazard ratio.
fn cox_wald_with_margin(
    t: &[analysis::SurvivalObs],
    c: &[analysis::SurvivalObs],
    margin: f64,
    alt: Alternative,
) -> TestOutcome {
    let table = analysis::logrank::RiskTable::new(t, c)?;
    let (o_t, o_c) = table.events();
    if o_t + o_c == 0.0 {
        return Err(NotAnalysable::NoEvents);
    }
    let fit = table.cox_fit().ok_or(NotAnalysable::MonotoneLikelihood)?;
    let z = (fit.log_hazard_ratio - margin) / fit.se_log_hazard_ratio;
    if !z.is_finite() {
        return Err(NotAnalysable::ZeroVariance);
    }
    Ok(TestResult {
        estimate: fit.hazard_ratio,
        statistic: z,
        p_value: analysis::normal_p_value(z, alt),
        df: None,
    })
}

/// The direction of a rejection: the alternative's for a one-sided test,
/// otherwise the side of its null value the test statistic lies on (the
/// rank-sum U about n_t n_c / 2; the difference in proportions for the
/// binary tests, whose statistic is an odds ratio).
pub fn rejection_direction(ep: &Endpoint, n: [usize; 2], result: &TestResult) -> Option<Direction> {
    if let Some(d) = Direction::of_alternative(ep.alternative) {
        return Some(d);
    }
    match ep.test {
        TestKind::Wilcoxon => Direction::of(result.statistic, (n[0] * n[1]) as f64 / 2.0),
        TestKind::Fisher | TestKind::ProportionsZ => Direction::of(result.estimate, 0.0),
        _ => Direction::of(result.statistic, 0.0),
    }
}

/// Decide at `alpha` (the p-value is already for the endpoint's alternative).
pub fn rejects(outcome: &TestOutcome, alpha: f64) -> bool {
    matches!(outcome, Ok(TestResult { p_value, .. }) if *p_value < alpha)
}

/// Evaluate every endpoint and family of one simulated trial. `keep` is
/// called with each endpoint's data (for exports); pass a no-op otherwise.
pub fn evaluate(
    s: &Scenario,
    data: &TrialData,
    keep: &mut dyn FnMut(usize, &EndpointData, &TestOutcome),
) -> ReplicateRecord {
    let mut endpoints = Vec::with_capacity(s.endpoints.len());
    for (i, ep) in s.endpoints.iter().enumerate() {
        let d = extract(ep, s, data);
        let outcome = run_test(ep, &d);
        keep(i, &d, &outcome);
        let moments = match &d {
            EndpointData::Continuous(a) => Some([
                ArmMoments::of(a[0].iter().map(|o| o.value)),
                ArmMoments::of(a[1].iter().map(|o| o.value)),
            ]),
            // MMRM: the complete cases at the reported visit
            EndpointData::Repeated(a) => {
                let v = ep.options.mmrm_effect_visit;
                let at = |arm: &[(u64, analysis::mmrm::MmrmObs)]| {
                    ArmMoments::of(
                        arm.iter()
                            .map(|(_, o)| o.values[v])
                            .filter(|x| x.is_finite())
                            .collect::<Vec<_>>()
                            .into_iter(),
                    )
                };
                Some([at(&a[0]), at(&a[1])])
            }
            _ => None,
        };
        let reject = rejects(&outcome, ep.alpha);
        let n = d.n_analyzed();
        let rejection = match &outcome {
            Ok(r) if reject => Some(match rejection_direction(ep, n, r) {
                Some(d) if d.is_favourable(ep.options.favourable) => Rejection::Favourable,
                Some(_) => Rejection::Harmful,
                None => Rejection::Undirected,
            }),
            _ => None,
        };
        let summary_effect = outcome
            .as_ref()
            .ok()
            .and_then(|r| ep.options.effect_scale.summarised(r.estimate));
        endpoints.push(EndpointOutcome {
            reject,
            rejection,
            summary_effect,
            n,
            events: d.events(),
            moments,
            outcome,
        });
    }
    let families = s
        .families
        .iter()
        .map(|f| {
            let p: Vec<f64> = f
                .endpoints
                .iter()
                .map(|&k| analysis::p_value_or_one(&endpoints[k].outcome))
                .collect();
            analysis::multiplicity::reject(&p, f.alpha, f.procedure)
        })
        .collect();
    ReplicateRecord {
        replicate: data.replicate,
        replicate_failure: None,
        endpoints,
        families,
        patients_simulated: data.patients.iter().filter(|p| !p.withdrawn).count() as u64,
        failures: data.failures.clone(),
        screened: data.screened,
        stats: data.stats,
        sequential: None,
        world: None,
        plausibility: crate::plausibility::tally_patients(&data.patients),
        power_skipped: false,
    }
}

/// Short key of a not-analysable reason (summary counts).
pub fn reason_key(r: &NotAnalysable) -> &'static str {
    match r {
        NotAnalysable::TooFewObservations { .. } => "too_few_observations",
        NotAnalysable::ZeroVariance => "zero_variance",
        NotAnalysable::NoEvents => "no_events",
        NotAnalysable::NonFinite => "non_finite",
        NotAnalysable::Overflow => "overflow",
        NotAnalysable::SingularDesign => "singular_design",
        NotAnalysable::InvalidCounts { .. } => "invalid_counts",
        NotAnalysable::MonotoneLikelihood => "monotone_likelihood",
        NotAnalysable::DegenerateRatio => "degenerate_ratio",
        NotAnalysable::TooFewAtVisit { .. } => "too_few_at_visit",
        NotAnalysable::NotConverged => "not_converged",
    }
}
