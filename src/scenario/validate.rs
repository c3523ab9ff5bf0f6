//! Turn a [`ScenarioSpec`] into a checked [`Scenario`]: ranges, references
//! between sections, the correlation matrix, the schedule. Every problem is
//! recorded; nothing is simulated until there are none.

use super::error::{IssueKind, suggest};
use super::reader::Issues;
use super::spec::*;
use crate::analysis::Alternative;
use crate::model::observation::{Modality, Quantity};
use crate::model::params::{ModelParams, P, PARAMS};
use crate::model::{Regimen, Route};
use serde::Serialize;

/// Covariates the patient model reads, by name.
pub mod covariate_names {
    pub const AGE: &str = "age_years";
    pub const LVEF: &str = "lvef_percent";
    pub const LVEDV: &str = "lvedv_ml";
    pub const RVEDV: &str = "rvedv_ml";
    pub const TAPSE: &str = "tapse_mm";
    pub const NTPROBNP: &str = "nt_probnp_ng_per_l";
    pub const WALK: &str = "six_minute_walk_m";
    pub const DDIMER: &str = "d_dimer_mg_per_l";
    pub const NYHA_III: &str = "nyha_iii";
    pub const ISCHAEMIC: &str = "ischaemic";
    pub const AF: &str = "atrial_fibrillation";
    pub const DEVICE: &str = "device";
    /// Required continuous covariates.
    pub const CONTINUOUS: [&str; 8] = [AGE, LVEF, LVEDV, RVEDV, TAPSE, NTPROBNP, WALK, DDIMER];
    /// Required yes/no covariates.
    pub const BINARY: [&str; 3] = [NYHA_III, ISCHAEMIC, AF];
}

/// Positions of the model's covariates in `Population::covariates`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ModelCovariates {
    pub age: usize,
    pub lvef: usize,
    pub lvedv: usize,
    pub rvedv: usize,
    pub tapse: usize,
    pub ntprobnp: usize,
    pub walk: usize,
    pub ddimer: usize,
    pub nyha_iii: usize,
    pub ischaemic: usize,
    pub af: usize,
    pub device: Option<usize>,
}

/// A checked inclusion criterion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Criterion {
    pub covariate: usize,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub equals: Option<bool>,
    /// Measured at screening with this error model (None: true value).
    pub screened_as: Option<(Quantity, Modality)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Population {
    pub covariates: Vec<CovariateSpec>,
    /// Lower Cholesky factor of the latent correlation matrix (row major).
    pub cholesky: Vec<Vec<f64>>,
    pub criteria: Vec<Criterion>,
    pub model: ModelCovariates,
    pub max_screening_factor: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Arm {
    pub key: String,
    pub label: String,
    pub weight: u64,
    #[serde(skip)]
    pub regimen: Regimen,
    pub spec: ArmSpec,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Visit {
    pub name: String,
    pub day: f64,
    pub measures: Vec<Modality>,
}

impl Visit {
    pub fn measures(&self, m: Modality) -> bool {
        self.measures.contains(&m)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrialDesign {
    pub n_per_arm: u64,
    pub randomization: Randomization,
    /// Binary covariates to stratify on (indices into the covariates).
    pub strata: Vec<usize>,
    pub early_withdrawal_probability: f64,
    pub dropout_per_day: f64,
    pub visit_window_days: f64,
    /// Visits in day order.
    pub visits: Vec<Visit>,
    pub imaging: ImagingSpec,
    /// When patients enrol (`None`: all on day 0).
    pub accrual: Option<crate::trial::accrual::Accrual>,
}

impl TrialDesign {
    /// Index of the baseline visit for a modality: the earliest visit measuring it.
    pub fn baseline_visit(&self, m: Modality) -> Option<usize> {
        self.visits.iter().position(|v| v.measures(m))
    }
}

/// A checked endpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Endpoint {
    pub name: String,
    pub measure: Measure,
    /// Follow-up visit (continuous endpoints; optional upper window for D-dimer).
    pub visit: Option<usize>,
    /// Baseline visit (continuous endpoints).
    pub baseline_visit: Option<usize>,
    pub analysis: AnalysisKind,
    pub test: TestKind,
    pub alpha: f64,
    pub alternative: Alternative,
    pub uln_mg_per_l: f64,
    /// End of the observation window for events (day).
    pub by_day: f64,
    /// Direction, role, margin and effect scale.
    pub options: super::endpoint_options::EndpointOptions,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Family {
    pub name: String,
    pub procedure: Procedure,
    pub endpoints: Vec<usize>,
    pub alpha: f64,
}

/// A scenario that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub run: RunSpec,
    pub population: Population,
    pub background: BackgroundSpec,
    /// `[control, treatment]`.
    pub arms: [Arm; 2],
    pub trial: TrialDesign,
    pub model: ModelParams,
    pub endpoints: Vec<Endpoint>,
    pub families: Vec<Family>,
    /// Interim analyses (`[trial.sequential]`).
    pub sequential: Option<crate::sequential::SequentialDesign>,
    /// Priors of typical values (`[uncertainty]`): assurance.
    pub uncertainty: Option<crate::uncertainty::Uncertainty>,
    /// The published trial reproduced and its targets (`[calibration]`).
    pub calibration: Option<crate::calibration::TrialTargets>,
}

impl Scenario {
    pub fn control(&self) -> &Arm {
        &self.arms[0]
    }
    pub fn treatment(&self) -> &Arm {
        &self.arms[1]
    }
    /// Patients randomized per replicate.
    pub fn patients_per_replicate(&self) -> u64 {
        self.trial.n_per_arm * (self.arms[0].weight + self.arms[1].weight)
    }
    /// Last day of follow-up.
    pub fn follow_up_days(&self) -> f64 {
        self.run.follow_up_days
    }
}

fn err(issues: &Issues, kind: IssueKind, path: impl Into<String>, msg: impl Into<String>) {
    issues
        .borrow_mut()
        .push(super::error::Issue::new(kind, path, msg));
}

fn prob(issues: &Issues, path: &str, x: f64) {
    if !(0.0..=1.0).contains(&x) {
        err(
            issues,
            IssueKind::OutOfRange,
            path,
            format!("must be a probability in [0, 1] (got {x})"),
        );
    }
}

/// Validate. Returns `None` if any problem was recorded.
pub fn validate(spec: &ScenarioSpec, issues: &Issues) -> Option<Scenario> {
    let before = issues.borrow().len();
    let run = &spec.run;
    if run.replicates == 0 {
        err(
            issues,
            IssueKind::OutOfRange,
            "run.replicates",
            "must be at least 1",
        );
    }
    if !(run.follow_up_days > 0.0 && run.follow_up_days <= 3650.0) {
        err(
            issues,
            IssueKind::OutOfRange,
            "run.follow_up_days",
            format!("must be in (0, 3650] days (got {})", run.follow_up_days),
        );
    }
    if !(run.rtol > 0.0 && run.rtol < 0.1) {
        err(
            issues,
            IssueKind::OutOfRange,
            "run.rtol",
            format!("must be in (0, 0.1) (got {})", run.rtol),
        );
    }
    if run.atol <= 0.0 {
        err(
            issues,
            IssueKind::OutOfRange,
            "run.atol",
            format!("must be > 0 (got {})", run.atol),
        );
    }
    prob(issues, "run.failure_budget", run.failure_budget);

    let model = validate_model(spec, issues);
    let uncertainty = spec
        .uncertainty
        .as_ref()
        .and_then(|u| validate_uncertainty(u, &model, run.replicates, issues));
    if uncertainty.is_some() && spec.trial.sequential.is_some() {
        err(
            issues,
            IssueKind::Inconsistent,
            "uncertainty",
            "[uncertainty] with [trial.sequential] is not supported yet (assurance of sequential designs): remove one",
        );
    }
    let population = validate_population(&spec.population, issues);
    validate_background(&spec.background, issues);
    let arms = validate_arms(spec, &model, issues);
    let trial = validate_trial(spec, &arms, issues);
    let endpoints = trial
        .as_ref()
        .map(|t| validate_endpoints(spec, t, issues))
        .unwrap_or_default();
    let families = validate_families(spec, &endpoints, issues);
    let sequential = match (&spec.trial.sequential, &trial, &arms) {
        (Some(q), Some(t), Some(a)) => crate::sequential::design::validate(
            q,
            &endpoints,
            t,
            [a[0].weight, a[1].weight],
            run.follow_up_days,
            issues,
        ),
        _ => None,
    };

    let calibration = match (&spec.calibration, &arms, &trial) {
        (Some(c), Some(a), Some(t)) => {
            super::calibration::validate(c, a, t, run.follow_up_days, issues)
        }
        _ => None,
    };
    if let (Some(arms), Some(trial)) = (&arms, &trial) {
        let per_rep = sequential
            .as_ref()
            .map_or(trial.n_per_arm * (arms[0].weight + arms[1].weight), |q| {
                q.n_max()
            });
        let total = (per_rep as u128) * (run.replicates as u128);
        if total > run.max_simulated_patients as u128 {
            err(
                issues,
                IssueKind::OutOfRange,
                "run.replicates",
                format!(
                    "{} replicates x {per_rep} patients = {total} simulated patients exceeds run.max_simulated_patients = {} (raise it, or pass --force)",
                    run.replicates, run.max_simulated_patients
                ),
            );
        }
    }
    if spec.name.is_empty() {
        // already reported as missing by the reader
    }
    if issues.borrow().len() > before {
        return None;
    }
    Some(Scenario {
        name: spec.name.clone(),
        description: spec.description.clone(),
        run: spec.run.clone(),
        population: population?,
        background: spec.background.clone(),
        arms: arms?,
        trial: trial?,
        model,
        endpoints,
        families,
        sequential,
        uncertainty,
        calibration,
    })
}

/// `[uncertainty]`: every prior a distribution of a known parameter's
/// typical value, truncated to the parameter's allowed range.
fn validate_uncertainty(
    u: &super::spec::UncertaintySpec,
    model: &ModelParams,
    replicates: u64,
    issues: &Issues,
) -> Option<crate::uncertainty::Uncertainty> {
    use super::spec::PRIOR_DISTRIBUTIONS;
    use crate::uncertainty::prior::{Distribution, Prior};
    use crate::uncertainty::{UncertainParameter, Uncertainty};
    let before = issues.borrow().len();
    let names: Vec<&str> = PARAMS.iter().map(|p| p.name).collect();
    let mut params: Vec<UncertainParameter> = Vec::new();
    for ps in &u.parameters {
        let path = format!("uncertainty.parameters.{}", ps.parameter);
        let Some(p) = P::from_name(&ps.parameter) else {
            let hint = suggest(&ps.parameter, names.iter().copied())
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            err(
                issues,
                IssueKind::UnknownKey,
                path,
                format!("unknown model parameter{hint} (`hfsim model` lists them)"),
            );
            continue;
        };
        let Some(word) = &ps.distribution else {
            continue; // reported missing by the reader
        };
        let Some(&(_, needed)) = PRIOR_DISTRIBUTIONS.iter().find(|(w, _)| w == word) else {
            let allowed: Vec<&str> = PRIOR_DISTRIBUTIONS.iter().map(|d| d.0).collect();
            err(
                issues,
                IssueKind::OutOfRange,
                format!("{path}.distribution"),
                format!(
                    "unknown distribution `{word}`; allowed: {}",
                    allowed.join(", ")
                ),
            );
            continue;
        };
        let get = |f: &str| ps.values.iter().find(|v| v.0 == f).map(|v| v.1);
        let mut complete = true;
        for f in needed {
            if get(f).is_none() {
                complete = false;
                err(
                    issues,
                    IssueKind::Missing,
                    format!("{path}.{f}"),
                    format!("a {word} prior needs {}", needed.join(" and ")),
                );
            }
        }
        for (f, _) in &ps.values {
            if !needed.contains(f) && *f != "lower" && *f != "upper" {
                err(
                    issues,
                    IssueKind::UnknownKey,
                    format!("{path}.{f}"),
                    format!(
                        "not a parameter of a {word} prior (it takes {}, and optionally lower and upper)",
                        needed.join(" and ")
                    ),
                );
                complete = false;
            }
        }
        if !complete {
            continue;
        }
        let v = |f: &str| get(f).unwrap_or(f64::NAN);
        let distribution = match word.as_str() {
            "normal" => Distribution::Normal {
                mean: v("mean"),
                sd: v("sd"),
            },
            "log_normal" => Distribution::LogNormal {
                median: v("median"),
                sd_log: v("sd_log"),
            },
            "logit_normal" => Distribution::LogitNormal {
                median: v("median"),
                sd_logit: v("sd_logit"),
            },
            "uniform" => Distribution::Uniform {
                low: v("low"),
                high: v("high"),
            },
            "bernoulli" => Distribution::Bernoulli { p: v("p") },
            _ => Distribution::Point { value: v("value") },
        };
        // a structural choice takes 0 or 1: a bernoulli (weighted choice) or
        // a point prior; a bernoulli prior suits nothing else
        let structure = p.info().unit == "structure";
        let fits = match distribution {
            Distribution::Bernoulli { .. } => structure,
            Distribution::Point { value } => !structure || value == 0.0 || value == 1.0,
            _ => !structure,
        };
        if !fits {
            err(
                issues,
                IssueKind::Inconsistent,
                format!("{path}.distribution"),
                if structure {
                    format!(
                        "{} is a structural choice (0 or 1): use distribution = \"bernoulli\" with p, the weight of structure 1, or a point at 0 or 1",
                        p.info().name
                    )
                } else {
                    "a bernoulli prior is a weighted choice between the two values of a structural parameter (repair_exposure_response, repair_durability); this parameter is continuous".to_string()
                },
            );
            continue;
        }
        // truncated to the parameter's range (inside the open interval of a
        // logit-scale parameter)
        let info = p.info();
        let (mut lo, mut hi) = (info.min, info.max);
        if let Some((a, b)) = model.bpv[p as usize].open_interval() {
            let margin = 1e-9 * (b - a);
            lo = lo.max(a + margin);
            hi = hi.min(b - margin);
        }
        for (f, bound) in [("lower", get("lower")), ("upper", get("upper"))] {
            if let Some(x) = bound.filter(|&x| x < lo || x > hi) {
                err(
                    issues,
                    IssueKind::OutOfRange,
                    format!("{path}.{f}"),
                    format!(
                        "must be within the parameter's range [{}, {}] {} (got {x})",
                        info.min, info.max, info.unit
                    ),
                );
            }
        }
        let lower = get("lower").unwrap_or(lo).max(lo);
        let upper = get("upper").unwrap_or(hi).min(hi);
        match Prior::new(distribution, Some(lower), Some(upper)) {
            Ok(prior) => {
                if params.iter().any(|q| q.parameter == p) {
                    err(issues, IssueKind::Inconsistent, path, "given twice");
                } else {
                    params.push(UncertainParameter {
                        parameter: p,
                        prior,
                    });
                }
            }
            Err(e) => err(issues, IssueKind::OutOfRange, path, e.to_string()),
        }
    }
    let mut correlations = Vec::new();
    match &u.posterior_file {
        Some(Err(message)) => err(
            issues,
            IssueKind::Io,
            "uncertainty.posterior",
            message.clone(),
        ),
        Some(Ok(file)) => {
            let (drawn, rho) = file.copula();
            let offset = params.len();
            for q in drawn {
                if params.iter().any(|e| e.parameter == q.parameter) {
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        format!("uncertainty.parameters.{}", q.parameter.info().name),
                        "also drawn from the posterior file (uncertainty.posterior): give each parameter one distribution",
                    );
                } else {
                    params.push(q);
                }
            }
            correlations.extend(rho.into_iter().map(|(i, j, r)| (i + offset, j + offset, r)));
        }
        None => {}
    }
    let sceptical = u.sceptical.unwrap_or(1.0);
    if !(0.0..=1.0).contains(&sceptical) {
        err(
            issues,
            IssueKind::OutOfRange,
            "uncertainty.sceptical",
            format!(
                "must be in [0, 1]: the factor on the cell-effect parameters ({}) in every world, 1 leaving them as drawn, 0 removing the cell effect (got {sceptical})",
                crate::uncertainty::CELL_EFFECT
                    .iter()
                    .map(|p| p.info().name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    let power_every = u
        .power_every
        .unwrap_or_else(|| crate::uncertainty::default_power_every(replicates));
    let u_between_trial = u.between_trial.unwrap_or(true);
    if power_every == 0 {
        err(
            issues,
            IssueKind::OutOfRange,
            "uncertainty.power_every",
            "must be a whole number >= 1: the trial at the central values (for power) runs in every k-th replicate, every replicate in its world (for assurance); 1 runs both in every replicate (got 0)",
        );
    }
    for c in &u.correlations {
        let path = format!("uncertainty.correlations[{}]", c.index);
        let (Some(between), Some(rho)) = (&c.between, c.rho) else {
            continue;
        };
        let idx: Vec<Option<usize>> = between
            .iter()
            .map(|n| params.iter().position(|q| q.parameter.info().name == n))
            .collect();
        match idx[..] {
            [Some(i), Some(j)] if i != j => {
                if !(rho > -1.0 && rho < 1.0) {
                    err(
                        issues,
                        IssueKind::OutOfRange,
                        format!("{path}.rho"),
                        format!("must be in (-1, 1) (got {rho})"),
                    );
                } else {
                    correlations.push((i, j, rho));
                }
            }
            _ => err(
                issues,
                IssueKind::Inconsistent,
                format!("{path}.between"),
                format!(
                    "needs two different parameters of [uncertainty.parameters] (got {between:?})"
                ),
            ),
        }
    }
    if issues.borrow().len() > before {
        return None;
    }
    if params.is_empty() {
        err(
            issues,
            IssueKind::Missing,
            "uncertainty.parameters",
            "at least one uncertain parameter (or posterior = \"FILE\")",
        );
        return None;
    }
    match Uncertainty::new(params, &correlations) {
        Ok(u) => Some(
            u.with_sceptical(sceptical)
                .with_power_every(power_every)
                .with_between_trial(u_between_trial),
        ),
        Err(e) => {
            err(
                issues,
                IssueKind::OutOfRange,
                "uncertainty.correlations",
                e.to_string(),
            );
            None
        }
    }
}

fn validate_model(spec: &ScenarioSpec, issues: &Issues) -> ModelParams {
    let mut m = ModelParams::default();
    let names: Vec<&str> = PARAMS.iter().map(|p| p.name).collect();
    let unknown = |key: &str, path: String| {
        let hint = suggest(key, names.iter().copied())
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        err(
            issues,
            IssueKind::UnknownKey,
            path,
            format!("unknown model parameter{hint} (`hfsim model` lists them)"),
        );
    };
    for (key, value) in &spec.model {
        let path = format!("model.{key}");
        match P::from_name(key) {
            Some(p) => {
                let info = p.info();
                if info.unit == "structure" && *value != 0.0 && *value != 1.0 {
                    err(
                        issues,
                        IssueKind::OutOfRange,
                        path,
                        format!(
                            "a structural choice: 0 or 1 ({}; got {value})",
                            info.description
                        ),
                    );
                } else if *value < info.min || *value > info.max {
                    err(
                        issues,
                        IssueKind::OutOfRange,
                        path,
                        format!(
                            "must be in [{}, {}] {} (got {value})",
                            info.min, info.max, info.unit
                        ),
                    );
                } else if let Some((lo, hi)) = m.bpv[p as usize].open_interval() {
                    if *value <= lo || *value >= hi {
                        // the range the parameter table gives, without the
                        // ends the logit scale excludes
                        let from = if lo >= info.min {
                            format!("({lo}")
                        } else {
                            format!("[{}", info.min)
                        };
                        let to = if hi <= info.max {
                            format!("{hi})")
                        } else {
                            format!("{}]", info.max)
                        };
                        err(
                            issues,
                            IssueKind::OutOfRange,
                            path,
                            format!(
                                "must be in {from}, {to} {}: it varies between patients on the logit scale, which excludes {lo} and {hi} (got {value})",
                                info.unit
                            ),
                        );
                    } else {
                        m.set(p, *value);
                    }
                } else {
                    m.set(p, *value);
                }
            }
            None => unknown(key, path),
        }
    }
    for (key, omega) in &spec.variability {
        let path = format!("model.variability.{key}");
        match P::from_name(key) {
            Some(p) => match m.bpv[p as usize].with_omega(*omega) {
                Some(b) if *omega >= 0.0 && *omega <= 5.0 => m.bpv[p as usize] = b,
                Some(_) => err(
                    issues,
                    IssueKind::OutOfRange,
                    path,
                    format!("omega must be in [0, 5] (got {omega})"),
                ),
                None => {
                    let varying: Vec<&str> = crate::model::params::ALL
                        .iter()
                        .filter(|q| m.bpv[**q as usize] != crate::model::params::Bpv::None)
                        .map(|q| q.info().name)
                        .collect();
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        path,
                        format!(
                            "this parameter does not vary between patients; these do: {}",
                            varying.join(", ")
                        ),
                    )
                }
            },
            None => unknown(key, path),
        }
    }
    m.correlation = validate_model_correlations(spec, &m, issues);
    // Rates that must stay meaningful together.
    let ab = m.get(P::RvRepairHalfLife);
    if ab <= 0.0 {
        err(
            issues,
            IssueKind::OutOfRange,
            "model.rv_repair_half_life_days",
            "must be > 0",
        );
    }
    m
}

fn validate_population(p: &PopulationSpec, issues: &Issues) -> Option<Population> {
    use covariate_names as cn;
    let before = issues.borrow().len();
    let idx = |name: &str| p.covariates.iter().position(|c| c.name == name);
    for c in &p.covariates {
        let path = format!("population.covariates.{}", c.name);
        match c.marginal {
            Marginal::Normal { sd, .. } if sd <= 0.0 => err(
                issues,
                IssueKind::OutOfRange,
                format!("{path}.sd"),
                format!("must be > 0 (got {sd})"),
            ),
            Marginal::Lognormal { sdlog, .. } if sdlog <= 0.0 => err(
                issues,
                IssueKind::OutOfRange,
                format!("{path}.log_sd"),
                format!("must be > 0 (got {sdlog})"),
            ),
            Marginal::Bernoulli { probability } => {
                prob(issues, &format!("{path}.probability"), probability)
            }
            _ => {}
        }
        if matches!(c.marginal, Marginal::Bernoulli { .. }) && (c.min.is_some() || c.max.is_some())
        {
            err(
                issues,
                IssueKind::Inconsistent,
                format!("{path}.min"),
                "bounds apply to continuous covariates only",
            );
        }
        if let (Some(lo), Some(hi)) = (c.min, c.max)
            && lo >= hi
        {
            err(
                issues,
                IssueKind::OutOfRange,
                format!("{path}.max"),
                format!("must be greater than min ({lo}) (got {hi})"),
            );
        }
        if let Marginal::Lognormal { .. } = c.marginal
            && let Some(lo) = c.min
            && lo < 0.0
        {
            err(
                issues,
                IssueKind::OutOfRange,
                format!("{path}.min"),
                "a lognormal covariate is positive; min must be >= 0",
            );
        }
    }
    for (i, a) in p.covariates.iter().enumerate() {
        if p.covariates[..i].iter().any(|b| b.name == a.name) {
            err(
                issues,
                IssueKind::Inconsistent,
                format!("population.covariates.{}", a.name),
                "defined twice",
            );
        }
    }
    let missing: std::cell::RefCell<Vec<String>> = Default::default();
    let need = |name: &str, binary: bool| -> Option<usize> {
        match idx(name) {
            Some(i) => {
                let is_bin = matches!(p.covariates[i].marginal, Marginal::Bernoulli { .. });
                if is_bin != binary {
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        format!("population.covariates.{name}"),
                        if binary {
                            "the model reads this as yes/no: use distribution = \"bernoulli\""
                        } else {
                            "the model reads this as a number: use a normal or lognormal distribution"
                        },
                    );
                }
                Some(i)
            }
            None if p.unreadable.iter().any(|u| u == name) => None,
            None => {
                missing.borrow_mut().push(format!(
                    "{name} ({})",
                    if binary {
                        "bernoulli"
                    } else {
                        "normal or lognormal"
                    }
                ));
                None
            }
        }
    };
    let found = (
        need(cn::AGE, false),
        need(cn::LVEF, false),
        need(cn::LVEDV, false),
        need(cn::RVEDV, false),
        need(cn::TAPSE, false),
        need(cn::NTPROBNP, false),
        need(cn::WALK, false),
        need(cn::DDIMER, false),
        need(cn::NYHA_III, true),
        need(cn::ISCHAEMIC, true),
        need(cn::AF, true),
    );
    if !missing.borrow().is_empty() {
        err(
            issues,
            IssueKind::Missing,
            "population.covariates",
            format!(
                "the model needs these covariates, which are missing: {}",
                missing.borrow().join(", ")
            ),
        );
    }
    let model = match found {
        (
            Some(age),
            Some(lvef),
            Some(lvedv),
            Some(rvedv),
            Some(tapse),
            Some(ntprobnp),
            Some(walk),
            Some(ddimer),
            Some(nyha_iii),
            Some(ischaemic),
            Some(af),
        ) => Some(ModelCovariates {
            age,
            lvef,
            lvedv,
            rvedv,
            tapse,
            ntprobnp,
            walk,
            ddimer,
            nyha_iii,
            ischaemic,
            af,
            device: idx(cn::DEVICE),
        }),
        _ => None,
    };
    if let Some(d) = idx(cn::DEVICE)
        && !matches!(p.covariates[d].marginal, Marginal::Bernoulli { .. })
    {
        err(
            issues,
            IssueKind::Inconsistent,
            "population.covariates.device",
            "use distribution = \"bernoulli\" (has an implanted device)",
        );
    }
    if let Some(c) = idx(cn::LVEF)
        && let Some(cov) = p.covariates.get(c)
        && (cov.min.is_none_or(|m| m < 1.0) || cov.max.is_none_or(|m| m > 99.0))
    {
        err(
            issues,
            IssueKind::Inconsistent,
            format!("population.covariates.{}", cov.name),
            "set min and max within 1-99 (an ejection fraction in percent)",
        );
    }
    // Correlation matrix.
    let names: Vec<&str> = p.covariates.iter().map(|c| c.name.as_str()).collect();
    let pairs: Vec<CorrelationPair> = p
        .correlations
        .iter()
        .enumerate()
        .map(|(n, c)| {
            let path = format!("population.correlations[{n}]");
            let find = |name: &str, key: &str| -> Option<usize> {
                let i = idx(name);
                if i.is_none() {
                    let hint = suggest(name, names.iter().copied())
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                    err(
                        issues,
                        IssueKind::UnknownKey,
                        format!("{path}.{key}"),
                        format!("no covariate named `{name}`{hint}"),
                    );
                }
                i
            };
            let (a, b) = (find(&c.a, "a"), find(&c.b, "b"));
            CorrelationPair {
                path,
                spec: c,
                a,
                b,
            }
        })
        .collect();
    let cholesky = correlation_factor(
        p.covariates.len(),
        &pairs,
        "population.correlations",
        "covariate",
        issues,
    )
    .unwrap_or_default();
    // Inclusion criteria.
    let mut criteria = Vec::new();
    for c in &p.inclusion {
        let path = format!("population.inclusion.{}", c.covariate);
        let Some(i) = idx(&c.covariate) else {
            let names: Vec<&str> = p.covariates.iter().map(|c| c.name.as_str()).collect();
            let hint = suggest(&c.covariate, names.iter().copied())
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            err(
                issues,
                IssueKind::UnknownKey,
                path,
                format!("no covariate named `{}`{hint}", c.covariate),
            );
            continue;
        };
        let binary = matches!(p.covariates[i].marginal, Marginal::Bernoulli { .. });
        if binary && (c.min.is_some() || c.max.is_some()) {
            err(
                issues,
                IssueKind::Inconsistent,
                path.clone(),
                "a yes/no covariate takes `equals = true|false`, not min/max",
            );
        }
        if !binary && c.equals.is_some() {
            err(
                issues,
                IssueKind::Inconsistent,
                path.clone(),
                "a numeric covariate takes min and/or max, not `equals`",
            );
        }
        if c.min.is_none() && c.max.is_none() && c.equals.is_none() {
            err(
                issues,
                IssueKind::Missing,
                path.clone(),
                "give min, max or equals",
            );
        }
        if let (Some(lo), Some(hi)) = (c.min, c.max)
            && lo > hi
        {
            err(
                issues,
                IssueKind::OutOfRange,
                format!("{path}.max"),
                format!("must be >= min ({lo}) (got {hi})"),
            );
        }
        let screened_as = if p.screening_measurement_error {
            match c.covariate.as_str() {
                cn::LVEF => Some((Quantity::Lvef, Modality::Echo)),
                cn::TAPSE => Some((Quantity::Tapse, Modality::Echo)),
                cn::NTPROBNP => Some((Quantity::NtProbnp, Modality::Lab)),
                cn::WALK => Some((Quantity::SixMinuteWalk, Modality::WalkTest)),
                cn::DDIMER => Some((Quantity::DDimer, Modality::Lab)),
                cn::LVEDV => Some((Quantity::Lvedv, Modality::Echo)),
                _ => None,
            }
        } else {
            None
        };
        criteria.push(Criterion {
            covariate: i,
            min: c.min,
            max: c.max,
            equals: c.equals,
            screened_as,
        });
    }
    if p.max_screening_factor < 1.0 {
        err(
            issues,
            IssueKind::OutOfRange,
            "population.max_screening_factor",
            format!("must be >= 1 (got {})", p.max_screening_factor),
        );
    }
    if issues.borrow().len() > before {
        return None;
    }
    Some(Population {
        covariates: p.covariates.clone(),
        cholesky,
        criteria,
        model: model?,
        max_screening_factor: p.max_screening_factor,
    })
}

/// Lower Cholesky factor, or `None` if not positive definite.
/// One pair of a `[[... .correlations]]` table: its key path, what was
/// written, and its two members resolved to indices (`None` when a name was
/// refused, already reported).
struct CorrelationPair<'a> {
    path: String,
    spec: &'a crate::scenario::spec::CorrelationSpec,
    a: Option<usize>,
    b: Option<usize>,
}

/// The lower Cholesky factor of the correlation matrix of `k` variables
/// given by `pairs`, or `None` after reporting what is wrong: `rho` outside
/// (-1, 1), a `what` paired with itself, a pair given twice, or a matrix
/// that is not positive definite (at `table`).
fn correlation_factor(
    k: usize,
    pairs: &[CorrelationPair],
    table: &str,
    what: &str,
    issues: &Issues,
) -> Option<Vec<Vec<f64>>> {
    let mut r = vec![vec![0.0; k]; k];
    for (i, row) in r.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    let mut seen: Vec<(usize, usize)> = Vec::new();
    let mut ok = true;
    for c in pairs {
        let rho = c.spec.rho;
        if !(rho > -1.0 && rho < 1.0) {
            err(
                issues,
                IssueKind::OutOfRange,
                format!("{}.rho", c.path),
                format!("must be in (-1, 1) (got {rho})"),
            );
            ok = false;
            continue;
        }
        let (Some(a), Some(b)) = (c.a, c.b) else {
            ok = false;
            continue;
        };
        if a == b {
            err(
                issues,
                IssueKind::Inconsistent,
                format!("{}.b", c.path),
                format!("a {what} cannot be correlated with itself"),
            );
            ok = false;
        } else if seen.contains(&(a.min(b), a.max(b))) {
            err(
                issues,
                IssueKind::Inconsistent,
                c.path.clone(),
                format!("the pair ({}, {}) is given twice", c.spec.a, c.spec.b),
            );
            ok = false;
        } else {
            seen.push((a.min(b), a.max(b)));
            r[a][b] = rho;
            r[b][a] = rho;
        }
    }
    if !ok {
        return None;
    }
    let l = cholesky(&r);
    if l.is_none() {
        err(
            issues,
            IssueKind::Inconsistent,
            table,
            "the correlation matrix is not positive definite: some correlations contradict each other (e.g. a~b = 0.9, b~c = 0.9, a~c = -0.9)",
        );
    }
    l
}

/// `[[model.correlations]]`: pairs of parameters that vary between patients,
/// with the correlation of their deviates; checked for unknown or
/// non-varying parameters, then as any correlation table
/// ([`correlation_factor`]).
fn validate_model_correlations(
    spec: &ScenarioSpec,
    m: &ModelParams,
    issues: &Issues,
) -> Option<crate::model::params::EtaCorrelation> {
    use crate::model::params::{Bpv, EtaCorrelation, MAX_CORRELATED};
    if spec.model_correlations.is_empty() {
        return None;
    }
    let names: Vec<&str> = PARAMS.iter().map(|p| p.name).collect();
    let resolved: Vec<(String, Option<P>, Option<P>)> = spec
        .model_correlations
        .iter()
        .enumerate()
        .map(|(n, c)| {
            let path = format!("model.correlations[{n}]");
            let find = |name: &str, key: &str| -> Option<P> {
                let Some(p) = P::from_name(name) else {
                    let hint = suggest(name, names.iter().copied())
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                    err(
                        issues,
                        IssueKind::UnknownKey,
                        format!("{path}.{key}"),
                        format!(
                            "unknown model parameter `{name}`{hint} (`hfsim model` lists them)"
                        ),
                    );
                    return None;
                };
                if m.bpv[p as usize] == Bpv::None {
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        format!("{path}.{key}"),
                        format!(
                            "`{name}` does not vary between patients, so its deviate cannot be correlated (`hfsim model` marks those that vary)"
                        ),
                    );
                    return None;
                }
                Some(p)
            };
            let (a, b) = (find(&c.a, "a"), find(&c.b, "b"));
            (path, a, b)
        })
        .collect();
    // the correlated parameters in table order, so that the factor does not
    // depend on the order of the pairs
    let mut params: Vec<P> = resolved
        .iter()
        .flat_map(|(_, a, b)| [*a, *b])
        .flatten()
        .collect();
    params.sort_by_key(|p| *p as usize);
    params.dedup();
    if params.len() > MAX_CORRELATED {
        err(
            issues,
            IssueKind::OutOfRange,
            "model.correlations",
            format!(
                "at most {MAX_CORRELATED} parameters can be correlated (got {})",
                params.len()
            ),
        );
        return None;
    }
    let at = |p: Option<P>| p.and_then(|p| params.iter().position(|q| *q == p));
    let pairs: Vec<CorrelationPair> = resolved
        .iter()
        .zip(&spec.model_correlations)
        .map(|((path, a, b), c)| CorrelationPair {
            path: path.clone(),
            spec: c,
            a: at(*a),
            b: at(*b),
        })
        .collect();
    let l = correlation_factor(
        params.len(),
        &pairs,
        "model.correlations",
        "parameter",
        issues,
    )?;
    let pairs = resolved
        .iter()
        .zip(&spec.model_correlations)
        .filter_map(|((_, a, b), c)| Some(((*a)?, (*b)?, c.rho)))
        .collect();
    Some(EtaCorrelation {
        params,
        cholesky: l.into_iter().flatten().collect(),
        pairs,
    })
}

pub fn cholesky(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let d = a[i][i] - s;
                if d <= 1e-10 {
                    return None;
                }
                l[i][j] = d.sqrt();
            } else {
                l[i][j] = (a[i][j] - s) / l[j][j];
            }
        }
    }
    Some(l)
}

fn validate_background(b: &BackgroundSpec, issues: &Issues) {
    prob(
        issues,
        "background.anticoagulant_share_with_af",
        b.anticoagulant_share_with_af,
    );
    prob(
        issues,
        "background.anticoagulant_share_without_af",
        b.anticoagulant_share_without_af,
    );
    prob(issues, "background.vka_share", b.vka_share);
    let mut ras = 0.0;
    for g in &b.gdmt {
        let path = format!("background.gdmt.{}", g.class.key());
        prob(issues, &format!("{path}.share"), g.share);
        if g.on_therapy_days_min < 0.0 {
            err(
                issues,
                IssueKind::OutOfRange,
                format!("{path}.on_therapy_days_min"),
                "must be >= 0",
            );
        }
        if g.on_therapy_days_max < g.on_therapy_days_min {
            err(
                issues,
                IssueKind::OutOfRange,
                format!("{path}.on_therapy_days_max"),
                format!("must be >= on_therapy_days_min ({})", g.on_therapy_days_min),
            );
        }
        if matches!(
            g.class,
            crate::model::GdmtClass::Arni | crate::model::GdmtClass::AceiArb
        ) {
            ras += g.share;
        }
    }
    if ras > 1.0 + 1e-12 {
        err(
            issues,
            IssueKind::Inconsistent,
            "background.gdmt",
            format!("arni and acei_arb are alternatives: their shares add to {ras}, more than 1"),
        );
    }
}

fn validate_arms(spec: &ScenarioSpec, model: &ModelParams, issues: &Issues) -> Option<[Arm; 2]> {
    let before = issues.borrow().len();
    if spec.arms.len() != 2 {
        err(
            issues,
            IssueKind::Inconsistent,
            "arms",
            format!(
                "hfsim compares two arms (one control, one treatment); found {}",
                spec.arms.len()
            ),
        );
        return None;
    }
    let follow_up = spec.run.follow_up_days;
    let mut out = Vec::new();
    for a in &spec.arms {
        let path = format!("arms.{}", a.key);
        if a.dose_cells_per_kg < 0.0 || a.dose_cells_per_kg > 1e10 {
            err(
                issues,
                IssueKind::OutOfRange,
                format!("{path}.dose_cells_per_kg"),
                format!(
                    "must be in [0, 1e10] cells/kg (got {})",
                    a.dose_cells_per_kg
                ),
            );
        }
        if a.n_doses > 1000 {
            err(
                issues,
                IssueKind::OutOfRange,
                format!("{path}.n_doses"),
                format!("must be at most 1000 (got {})", a.n_doses),
            );
        }
        let interval = a.interval_days.unwrap_or(0.0);
        if let Some(i) = a.interval_days
            && !(i > 0.0 && i <= 3650.0)
        {
            err(
                issues,
                IssueKind::OutOfRange,
                format!("{path}.interval_days"),
                format!("must be in (0, 3650] days (got {i})"),
            );
        }
        if a.first_dose_day < 0.0 {
            err(
                issues,
                IssueKind::OutOfRange,
                format!("{path}.first_dose_day"),
                "must be >= 0",
            );
        }
        if !(0.0..=72.0).contains(&a.infusion_duration_hours) {
            err(
                issues,
                IssueKind::OutOfRange,
                format!("{path}.infusion_duration_hours"),
                format!(
                    "must be in [0, 72] hours (got {})",
                    a.infusion_duration_hours
                ),
            );
        }
        if a.n_doses > 1
            && a.route.is_infusion()
            && a.infusion_duration_hours / 24.0 >= interval
            && interval > 0.0
        {
            err(
                issues,
                IssueKind::Inconsistent,
                format!("{path}.interval_days"),
                "infusions would overlap: the interval must be longer than the infusion",
            );
        }
        let last = a.first_dose_day + (a.n_doses.max(1) - 1) as f64 * interval;
        if a.n_doses > 0 && last >= follow_up {
            err(
                issues,
                IssueKind::Inconsistent,
                format!("{path}.n_doses"),
                format!(
                    "the last dose (day {last}) falls at or after the end of follow-up (day {follow_up})"
                ),
            );
        }
        if a.allocation_weight == 0 || a.allocation_weight > 100 {
            err(
                issues,
                IssueKind::OutOfRange,
                format!("{path}.allocation_weight"),
                format!("must be in 1..=100 (got {})", a.allocation_weight),
            );
        }
        if a.route == Route::EpicardialPatch && a.n_doses > 1 {
            err(
                issues,
                IssueKind::Inconsistent,
                format!("{path}.n_doses"),
                "an epicardial patch is implanted once (n_doses = 1)",
            );
        }
        // (n_doses beyond the limit was reported above; build no schedule for it)
        let dose_days: Vec<f64> = (0..if a.n_doses <= 1000 { a.n_doses } else { 0 })
            .map(|i| a.first_dose_day + i as f64 * interval)
            .collect();
        out.push(Arm {
            key: a.key.clone(),
            label: a.label.clone(),
            weight: a.allocation_weight,
            regimen: Regimen {
                route: a.route,
                dose_cells_per_kg: a.dose_cells_per_kg,
                dose_days,
                infusion_duration_days: a.infusion_duration_hours / 24.0,
                premedication: a.premedication,
                infusion_anticoagulation: a.infusion_anticoagulation,
                donor: a.donor,
                immunosuppression: a.immunosuppression,
                product: a.product,
            },
            spec: a.clone(),
        });
    }
    let controls = spec.arms.iter().filter(|a| a.role == Role::Control).count();
    if controls != 1 {
        err(
            issues,
            IssueKind::Inconsistent,
            "arms",
            format!(
                "exactly one arm needs role = \"control\" and one role = \"treatment\" (found {controls} control)"
            ),
        );
    }
    // Route retention fractions must not exceed the dose.
    let p = crate::model::PatientParams::typical(model);
    for (key, total) in [
        (
            "ic_heart_retention_fraction + ic_lung_fraction",
            p.get(P::IcHeartRetention) + p.get(P::IcLungFraction),
        ),
        (
            "te_heart_retention_fraction + te_lung_fraction",
            p.get(P::TeHeartRetention) + p.get(P::TeLungFraction),
        ),
    ] {
        if total > 1.0 {
            err(
                issues,
                IssueKind::Inconsistent,
                "model",
                format!("{key} = {total} exceeds 1 (the shares of a dose)"),
            );
        }
    }
    if issues.borrow().len() > before {
        return None;
    }
    out.sort_by_key(|a| if a.spec.role == Role::Control { 0 } else { 1 });
    let treatment = out.pop()?;
    let control = out.pop()?;
    Some([control, treatment])
}

/// Always returns the design (so endpoints can be checked against it);
/// problems are recorded.
fn validate_trial(
    spec: &ScenarioSpec,
    arms: &Option<[Arm; 2]>,
    issues: &Issues,
) -> Option<TrialDesign> {
    let covariates = &spec.population.covariates;
    let t = &spec.trial;
    let follow_up = spec.run.follow_up_days;
    if t.n_per_arm == 0 || t.n_per_arm > 100_000 {
        err(
            issues,
            IssueKind::OutOfRange,
            "trial.n_per_arm",
            format!("must be in 1..=100000 (got {})", t.n_per_arm),
        );
    }
    let _ = arms;
    if let Randomization::PermutedBlock { block_size } = t.randomization {
        let w: u64 = spec
            .arms
            .iter()
            .map(|a| a.allocation_weight)
            .sum::<u64>()
            .max(1);
        if block_size == 0 || block_size % w != 0 {
            err(
                issues,
                IssueKind::OutOfRange,
                "trial.block_size",
                format!(
                    "must be a positive multiple of the summed allocation weights ({w}) (got {block_size})"
                ),
            );
        }
    }
    let mut strata = Vec::new();
    for (i, s) in t.stratify_by.iter().enumerate() {
        match covariates.iter().position(|c| &c.name == s) {
            Some(k) if matches!(covariates[k].marginal, Marginal::Bernoulli { .. }) => {
                strata.push(k)
            }
            Some(_) => err(
                issues,
                IssueKind::Inconsistent,
                format!("trial.stratify_by[{i}]"),
                format!("`{s}` is numeric; stratify on yes/no covariates"),
            ),
            None => err(
                issues,
                IssueKind::UnknownKey,
                format!("trial.stratify_by[{i}]"),
                format!("no covariate named `{s}`"),
            ),
        }
    }
    if strata.len() > 6 {
        err(
            issues,
            IssueKind::OutOfRange,
            "trial.stratify_by",
            "at most 6 stratification factors",
        );
    }
    prob(
        issues,
        "trial.early_withdrawal_probability",
        t.early_withdrawal_probability,
    );
    if !(0.0..=10.0).contains(&t.dropout_per_year) {
        err(
            issues,
            IssueKind::OutOfRange,
            "trial.dropout_per_year",
            format!(
                "must be a hazard in [0, 10] per year (got {})",
                t.dropout_per_year
            ),
        );
    }
    if !(0.0..=60.0).contains(&t.visit_window_days) {
        err(
            issues,
            IssueKind::OutOfRange,
            "trial.visit_window_days",
            format!("must be in [0, 60] days (got {})", t.visit_window_days),
        );
    }
    let im = &t.imaging;
    prob(
        issues,
        "trial.imaging.mri_available_share",
        im.mri_available_share,
    );
    prob(
        issues,
        "trial.imaging.mri_missing_probability",
        im.mri_missing_probability,
    );
    prob(
        issues,
        "trial.imaging.echo_missing_probability",
        im.echo_missing_probability,
    );
    prob(
        issues,
        "trial.imaging.lab_missing_probability",
        im.lab_missing_probability,
    );
    prob(
        issues,
        "trial.imaging.walk_missing_probability",
        im.walk_missing_probability,
    );
    let mut visits = Vec::new();
    for (i, v) in t.visits.iter().enumerate() {
        let path = format!("trial.visits[{i}]");
        if v.name.is_empty() {
            err(
                issues,
                IssueKind::Missing,
                format!("{path}.name"),
                "a visit needs a name",
            );
        }
        if t.visits[..i].iter().any(|w| w.name == v.name) {
            err(
                issues,
                IssueKind::Inconsistent,
                format!("{path}.name"),
                format!("visit name \"{}\" is used twice", v.name),
            );
        }
        if !(0.0..=follow_up).contains(&v.day) {
            err(
                issues,
                IssueKind::OutOfRange,
                format!("{path}.day"),
                format!("must be within follow-up, 0..={follow_up} (got {})", v.day),
            );
        }
        visits.push(Visit {
            name: v.name.clone(),
            day: v.day,
            measures: v.measures.clone(),
        });
    }
    visits.sort_by(|a, b| a.day.total_cmp(&b.day));
    if visits.first().is_none_or(|v| v.day != 0.0) {
        err(
            issues,
            IssueKind::Missing,
            "trial.visits",
            "a baseline visit at day 0 is required",
        );
    }
    Some(TrialDesign {
        n_per_arm: t.n_per_arm,
        randomization: t.randomization,
        strata,
        early_withdrawal_probability: t.early_withdrawal_probability,
        dropout_per_day: t.dropout_per_year / 365.25,
        visit_window_days: t.visit_window_days,
        visits,
        imaging: t.imaging.clone(),
        accrual: t
            .accrual
            .as_ref()
            .and_then(|a| crate::trial::accrual::validate(a, issues)),
    })
}

fn validate_endpoints(spec: &ScenarioSpec, trial: &TrialDesign, issues: &Issues) -> Vec<Endpoint> {
    let follow_up = spec.run.follow_up_days;
    let mut out = Vec::new();
    let visit_names: Vec<&str> = trial.visits.iter().map(|v| v.name.as_str()).collect();
    if spec.endpoints.is_empty() {
        return out;
    }
    for (i, e) in spec.endpoints.iter().enumerate() {
        let path = format!("endpoints[{i}]");
        if e.name.is_empty() {
            // reported as missing by the reader
        } else if spec.endpoints[..i].iter().any(|f| f.name == e.name) {
            err(
                issues,
                IssueKind::Inconsistent,
                format!("{path}.name"),
                format!("endpoint name \"{}\" is used twice", e.name),
            );
        }
        if !(e.alpha > 0.0 && e.alpha < 1.0) {
            err(
                issues,
                IssueKind::OutOfRange,
                format!("{path}.alpha"),
                format!("must be in (0, 1) (got {})", e.alpha),
            );
        }
        let visit = match &e.visit {
            Some(name) => match trial.visits.iter().position(|v| &v.name == name) {
                Some(k) => Some(k),
                None => {
                    let hint = suggest(name, visit_names.iter().copied())
                        .map(|s| format!(" (did you mean \"{s}\"?)"))
                        .unwrap_or_default();
                    err(
                        issues,
                        IssueKind::UnknownKey,
                        format!("{path}.visit"),
                        format!(
                            "no visit named \"{name}\"{hint}; visits: {}",
                            visit_names.join(", ")
                        ),
                    );
                    None
                }
            },
            None => None,
        };
        let mut baseline_visit = None;
        let tests_ok: &[TestKind];
        match e.measure {
            Measure::Continuous { quantity, modality } => {
                if !quantity.modalities().contains(&modality) {
                    let allowed: Vec<&str> =
                        quantity.modalities().iter().map(|m| m.key()).collect();
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        format!("{path}.modality"),
                        format!(
                            "{} is not measured by {}; allowed: {}",
                            quantity.key(),
                            modality.key(),
                            allowed.join(", ")
                        ),
                    );
                }
                match (visit, &e.visit) {
                    (Some(k), _) => {
                        if !trial.visits[k].measures(modality) {
                            err(
                                issues,
                                IssueKind::Inconsistent,
                                format!("{path}.visit"),
                                format!(
                                    "visit \"{}\" has no {} measurement (its measures: {:?})",
                                    trial.visits[k].name,
                                    modality.key(),
                                    trial.visits[k]
                                        .measures
                                        .iter()
                                        .map(|m| m.key())
                                        .collect::<Vec<_>>()
                                ),
                            );
                        }
                        baseline_visit = trial.baseline_visit(modality);
                        if baseline_visit.is_none_or(|b| trial.visits[b].day >= trial.visits[k].day)
                        {
                            err(
                                issues,
                                IssueKind::Inconsistent,
                                format!("{path}.visit"),
                                format!(
                                    "no {} measurement before visit \"{}\" to serve as baseline",
                                    modality.key(),
                                    trial.visits[k].name
                                ),
                            );
                        }
                    }
                    (None, None) => err(
                        issues,
                        IssueKind::Missing,
                        format!("{path}.visit"),
                        "a continuous endpoint needs the follow-up `visit`",
                    ),
                    _ => {}
                }
                if e.analysis == AnalysisKind::LogChangeFromBaseline
                    && !quantity.is_positive_skewed()
                    && !matches!(
                        quantity,
                        Quantity::Lvedv | Quantity::Lvesv | Quantity::Rvedv | Quantity::Rvesv
                    )
                {
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        format!("{path}.analysis"),
                        "log change is for positive skewed quantities (nt_probnp, d_dimer, volumes)",
                    );
                }
                if matches!(
                    e.analysis,
                    AnalysisKind::TimeToEvent
                        | AnalysisKind::Proportion
                        | AnalysisKind::RecurrentEvents
                        | AnalysisKind::Hierarchical
                ) {
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        format!("{path}.analysis"),
                        "a measured quantity is analysed as change_from_baseline, log_change_from_baseline, value or baseline_adjusted",
                    );
                }
                if (e.test == TestKind::Ancova) != (e.analysis == AnalysisKind::BaselineAdjusted) {
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        format!("{path}.test"),
                        "analysis = \"baseline_adjusted\" goes with test = \"ancova\" and only with it",
                    );
                }
                tests_ok = &[
                    TestKind::Welch,
                    TestKind::Student,
                    TestKind::Wilcoxon,
                    TestKind::Ancova,
                    TestKind::Mmrm,
                ];
            }
            Measure::Event { event } => {
                match e.analysis {
                    AnalysisKind::TimeToEvent => tests_ok = &[TestKind::Logrank],
                    AnalysisKind::RecurrentEvents => {
                        tests_ok = &[TestKind::NegativeBinomial, TestKind::Lwyy];
                        super::endpoint_options::check_recurrent(event, &path, issues);
                    }
                    AnalysisKind::Proportion => {
                        tests_ok = &[TestKind::Fisher, TestKind::ProportionsZ]
                    }
                    _ => {
                        err(
                            issues,
                            IssueKind::Inconsistent,
                            format!("{path}.analysis"),
                            "an event endpoint is analysed as \"time_to_event\" (log-rank), \"proportion\" (Fisher, z-test) or \"recurrent_events\" (negative_binomial, lwyy)",
                        );
                        tests_ok = &[];
                    }
                }
                if e.visit.is_some() {
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        format!("{path}.visit"),
                        "event endpoints use `by_day`, not `visit`",
                    );
                }
            }
            Measure::Hierarchy => {
                if e.analysis != AnalysisKind::Hierarchical {
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        format!("{path}.analysis"),
                        "a hierarchical composite is analysed as \"hierarchical\" (test = \"win_ratio\")",
                    );
                }
                if e.visit.is_some() {
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        format!("{path}.visit"),
                        "a hierarchical composite names its visits in `components`",
                    );
                }
                tests_ok = &[TestKind::WinRatio];
            }
            Measure::Binary { outcome } => {
                if e.analysis != AnalysisKind::Proportion {
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        format!("{path}.analysis"),
                        "a yes/no outcome is analysed as \"proportion\"",
                    );
                }
                tests_ok = &[TestKind::Fisher, TestKind::ProportionsZ];
                if outcome == BinaryKind::DDimerAboveUln {
                    if e.uln_mg_per_l.is_nan() || e.uln_mg_per_l <= 0.0 {
                        err(
                            issues,
                            IssueKind::OutOfRange,
                            format!("{path}.uln_mg_per_l"),
                            "must be > 0",
                        );
                    }
                    if !trial
                        .visits
                        .iter()
                        .any(|v| v.measures(Modality::Lab) && v.day > 0.0)
                    {
                        err(
                            issues,
                            IssueKind::Inconsistent,
                            format!("{path}.quantity"),
                            "no lab visit after day 0 to measure D-dimer on",
                        );
                    }
                }
            }
        }
        if !tests_ok.is_empty() && !tests_ok.contains(&e.test) {
            let names: Vec<&str> = tests_ok.iter().map(|t| t.key()).collect();
            err(
                issues,
                IssueKind::Inconsistent,
                format!("{path}.test"),
                format!(
                    "\"{}\" does not fit this endpoint; allowed: {}",
                    e.test.key(),
                    names.join(", ")
                ),
            );
        }
        let by_day = e.by_day.unwrap_or(follow_up);
        if !(by_day > 0.0 && by_day <= follow_up) {
            err(
                issues,
                IssueKind::OutOfRange,
                format!("{path}.by_day"),
                format!("must be in (0, {follow_up}] (got {by_day})"),
            );
        }
        let options = super::endpoint_options::validate(e, &path, trial, visit, issues);
        out.push(Endpoint {
            name: e.name.clone(),
            measure: e.measure,
            visit,
            baseline_visit,
            analysis: e.analysis,
            test: e.test,
            alpha: e.alpha,
            alternative: e.alternative,
            uln_mg_per_l: e.uln_mg_per_l,
            by_day,
            options,
        });
    }
    out
}

fn validate_families(spec: &ScenarioSpec, endpoints: &[Endpoint], issues: &Issues) -> Vec<Family> {
    let mut out = Vec::new();
    for (i, f) in spec.families.iter().enumerate() {
        let path = format!("multiplicity.families[{i}]");
        if !(f.alpha > 0.0 && f.alpha < 1.0) {
            err(
                issues,
                IssueKind::OutOfRange,
                format!("{path}.alpha"),
                format!("must be in (0, 1) (got {})", f.alpha),
            );
        }
        if f.endpoints.is_empty() {
            err(
                issues,
                IssueKind::Missing,
                format!("{path}.endpoints"),
                "list at least one endpoint",
            );
        }
        let mut idx = Vec::new();
        for (j, name) in f.endpoints.iter().enumerate() {
            match endpoints.iter().position(|e| &e.name == name) {
                Some(k) if idx.contains(&k) => err(
                    issues,
                    IssueKind::Inconsistent,
                    format!("{path}.endpoints[{j}]"),
                    format!("\"{name}\" is listed twice"),
                ),
                Some(k) => idx.push(k),
                None => {
                    let names: Vec<&str> = endpoints.iter().map(|e| e.name.as_str()).collect();
                    let hint = suggest(name, names.iter().copied())
                        .map(|s| format!(" (did you mean \"{s}\"?)"))
                        .unwrap_or_default();
                    err(
                        issues,
                        IssueKind::UnknownKey,
                        format!("{path}.endpoints[{j}]"),
                        format!("no endpoint named \"{name}\"{hint}"),
                    );
                }
            }
        }
        if spec.families[..i].iter().any(|g| g.name == f.name) {
            err(
                issues,
                IssueKind::Inconsistent,
                format!("{path}.name"),
                format!("family name \"{}\" is used twice", f.name),
            );
        }
        out.push(Family {
            name: f.name.clone(),
            procedure: f.procedure,
            endpoints: idx,
            alpha: f.alpha,
        });
    }
    out
}
