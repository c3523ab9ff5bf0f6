//! The evaluation model: what each simulated trial concludes.
//!
//! For every endpoint: extract its data (`trial::endpoints`), run the test
//! the scenario names, decide at the endpoint's alpha. For every multiplicity
//! family: the procedure's decisions over its endpoints. A data set a test
//! cannot analyse is recorded with its reason and never rejects.

use crate::analysis::{self, Alternative, NotAnalysable, TestOutcome, TestResult};
use crate::scenario::Scenario;
use crate::scenario::spec::TestKind;
use crate::scenario::validate::Endpoint;
use crate::solver::SolverStats;
use crate::trial::endpoints::{EndpointData, extract};
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
    /// Patients analysed `[control, treatment]`.
    pub n: [usize; 2],
    /// Events per arm (event and yes/no endpoints).
    pub events: Option<[usize; 2]>,
    /// Moments of the analysed values (continuous endpoints).
    pub moments: Option<[ArmMoments; 2]>,
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
}

/// Run the scenario's test on one endpoint's data.
pub fn run_test(ep: &Endpoint, data: &EndpointData) -> TestOutcome {
    let alt: Alternative = ep.alternative;
    match (data, ep.test) {
        (EndpointData::Continuous(a), test) => {
            let t: Vec<f64> = a[1].iter().map(|o| o.value).collect();
            let c: Vec<f64> = a[0].iter().map(|o| o.value).collect();
            match test {
                TestKind::Welch => analysis::ttest::welch(&t, &c, alt),
                TestKind::Student => analysis::ttest::student(&t, &c, alt),
                TestKind::Wilcoxon => {
                    analysis::wilcoxon::rank_sum(&t, &c, alt, analysis::wilcoxon::Method::Auto)
                }
                TestKind::Ancova => {
                    let tp: Vec<(f64, f64)> = a[1].iter().map(|o| (o.baseline, o.value)).collect();
                    let cp: Vec<(f64, f64)> = a[0].iter().map(|o| (o.baseline, o.value)).collect();
                    analysis::ancova::treatment_effect(&tp, &cp, alt)
                }
                _ => unreachable!("validated: continuous endpoints use t, Wilcoxon or ANCOVA"),
            }
        }
        (EndpointData::Survival(_), _) => {
            analysis::logrank::test(&data.survival_obs(1), &data.survival_obs(0), alt)
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
            _ => None,
        };
        endpoints.push(EndpointOutcome {
            reject: rejects(&outcome, ep.alpha),
            n: d.n_analyzed(),
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
    }
}
