//! The scenario as written: every section read from TOML with type checks.
//! Range and consistency checks happen in `validate`.

use super::error::IssueKind;
use super::reader::{Issues, Reader};
use crate::analysis::Alternative;
pub use crate::analysis::multiplicity::Procedure;
use crate::model::observation::{Modality, Quantity};
use crate::model::{
    Donor, GdmtClass, Immunosuppression, InfusionAnticoagulation, Premedication, Product, Route,
};
use serde::Serialize;
use toml_edit::{DocumentMut, Value};

/// How a patient is simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SolverMethod {
    /// Exact linear blocks, RK4 for the slow nonlinear states (see
    /// `model::fast` and docs/performance.md).
    Fast,
    /// `ode_solvers` Dopri5 on the full system.
    Reference,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSpec {
    pub seed: u64,
    pub replicates: u64,
    pub follow_up_days: f64,
    pub common_random_numbers: bool,
    pub solver: SolverMethod,
    pub rtol: f64,
    pub atol: f64,
    /// Share of simulated patients whose solve may fail before a run stops.
    pub failure_budget: f64,
    /// Refuse runs simulating more patients than this (replicates x
    /// patients x design points) unless forced.
    pub max_simulated_patients: u64,
}

/// Marginal distribution of a covariate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "distribution", rename_all = "snake_case")]
pub enum Marginal {
    Normal {
        mean: f64,
        sd: f64,
    },
    /// Parameters of the log: `ln X ~ N(meanlog, sdlog^2)`.
    Lognormal {
        meanlog: f64,
        sdlog: f64,
    },
    Bernoulli {
        probability: f64,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CovariateSpec {
    pub name: String,
    pub marginal: Marginal,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CorrelationSpec {
    pub a: String,
    pub b: String,
    pub rho: f64,
}

/// An inclusion criterion on one covariate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionSpec {
    pub covariate: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub equals: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PopulationSpec {
    pub covariates: Vec<CovariateSpec>,
    pub correlations: Vec<CorrelationSpec>,
    pub inclusion: Vec<CriterionSpec>,
    /// Apply inclusion criteria to a screening measurement (with the
    /// measurement error of echo, lab or walk test) rather than true values.
    pub screening_measurement_error: bool,
    /// Give up if more than this many candidates per enrolled patient fail screening.
    pub max_screening_factor: f64,
    /// Covariates present in the file that could not be read (already reported).
    pub unreadable: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GdmtSpec {
    pub class: GdmtClass,
    pub share: f64,
    pub on_therapy_days_min: f64,
    pub on_therapy_days_max: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackgroundSpec {
    pub anticoagulant_share_with_af: f64,
    pub anticoagulant_share_without_af: f64,
    pub vka_share: f64,
    pub gdmt: Vec<GdmtSpec>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Control,
    Treatment,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmSpec {
    pub key: String,
    pub label: String,
    pub role: Role,
    pub route: Route,
    pub dose_cells_per_kg: f64,
    pub n_doses: u64,
    /// `None` when not given (then only one dose is allowed).
    pub interval_days: Option<f64>,
    pub first_dose_day: f64,
    pub infusion_duration_hours: f64,
    pub premedication: Premedication,
    pub infusion_anticoagulation: InfusionAnticoagulation,
    pub donor: Donor,
    pub immunosuppression: Immunosuppression,
    pub product: Product,
    pub allocation_weight: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Randomization {
    Simple,
    PermutedBlock { block_size: u64 },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VisitSpec {
    pub name: String,
    pub day: f64,
    pub measures: Vec<Modality>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImagingSpec {
    pub mri_available_share: f64,
    pub device_excludes_mri: bool,
    pub mri_missing_probability: f64,
    pub echo_missing_probability: f64,
    pub lab_missing_probability: f64,
    pub walk_missing_probability: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrialSpec {
    pub n_per_arm: u64,
    pub randomization: Randomization,
    pub stratify_by: Vec<String>,
    pub early_withdrawal_probability: f64,
    pub dropout_per_year: f64,
    pub visit_window_days: f64,
    pub visits: Vec<VisitSpec>,
    pub imaging: ImagingSpec,
    /// `[trial.accrual]`: when patients enrol (calendar time).
    pub accrual: Option<crate::trial::accrual::AccrualSpec>,
    /// `[trial.sequential]`: interim analyses.
    pub sequential: Option<crate::sequential::spec::SequentialSpec>,
}

/// Clinical events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    DeathOrHfHospitalization,
    Death,
    HfHospitalization,
    SeriousAdverseEvent,
}

/// Patient-level yes/no outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BinaryKind {
    AnaPositive,
    DDimerAboveUln,
}

/// What an endpoint measures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Measure {
    Continuous {
        quantity: Quantity,
        modality: Modality,
    },
    Event {
        event: EventKind,
    },
    Binary {
        outcome: BinaryKind,
    },
    /// A hierarchy of components compared pair by pair (win ratio).
    Hierarchy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnalysisKind {
    ChangeFromBaseline,
    LogChangeFromBaseline,
    Value,
    BaselineAdjusted,
    TimeToEvent,
    Proportion,
    /// Every HF hospitalization (and CV death for the composite).
    RecurrentEvents,
    /// Pairwise comparison over an ordered list of components.
    Hierarchical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    Welch,
    Student,
    Wilcoxon,
    Ancova,
    Logrank,
    Fisher,
    ProportionsZ,
    NegativeBinomial,
    Lwyy,
    WinRatio,
    Mmrm,
}

impl TestKind {
    pub fn key(&self) -> &'static str {
        match self {
            TestKind::Welch => "welch",
            TestKind::Student => "student",
            TestKind::Wilcoxon => "wilcoxon",
            TestKind::Ancova => "ancova",
            TestKind::Logrank => "logrank",
            TestKind::Fisher => "fisher",
            TestKind::ProportionsZ => "proportions_z",
            TestKind::NegativeBinomial => "negative_binomial",
            TestKind::Lwyy => "lwyy",
            TestKind::WinRatio => "win_ratio",
            TestKind::Mmrm => "mmrm",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndpointSpec {
    pub name: String,
    pub measure: Measure,
    pub visit: Option<String>,
    pub analysis: AnalysisKind,
    pub test: TestKind,
    pub alpha: f64,
    pub alternative: Alternative,
    /// Upper limit of normal for `d_dimer_above_uln` (mg/L).
    pub uln_mg_per_l: f64,
    /// Administrative end of an event endpoint (day).
    pub by_day: Option<f64>,
    /// Direction, role, margin (see `endpoint_options`).
    pub options: super::endpoint_options::EndpointOptionsSpec,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FamilySpec {
    pub name: String,
    pub procedure: Procedure,
    pub endpoints: Vec<String>,
    pub alpha: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SweepMode {
    Factorial,
    Zip,
}

#[derive(Debug, Clone)]
pub struct SweepSpec {
    pub mode: SweepMode,
    /// `(key path, values)` in file order.
    pub axes: Vec<(String, Vec<Value>)>,
}

#[derive(Debug, Clone)]
pub struct ScenarioSpec {
    pub name: String,
    pub description: String,
    pub run: RunSpec,
    pub population: PopulationSpec,
    pub background: BackgroundSpec,
    pub arms: Vec<ArmSpec>,
    pub trial: TrialSpec,
    /// `(parameter key, value)` overrides of typical values.
    pub model: Vec<(String, f64)>,
    /// `(parameter key, omega)` overrides of between-patient variability.
    pub variability: Vec<(String, f64)>,
    /// `[[model.correlations]]`: correlations of parameters' between-patient
    /// deviates.
    pub model_correlations: Vec<CorrelationSpec>,
    pub endpoints: Vec<EndpointSpec>,
    pub families: Vec<FamilySpec>,
    pub sweep: Option<SweepSpec>,
    /// `[uncertainty]` (priors of typical values; `crate::uncertainty`).
    pub uncertainty: Option<UncertaintySpec>,
    /// `[calibration]`: the published trial this scenario reproduces and its targets.
    pub calibration: Option<CalibrationSpec>,
}

/// `[calibration]` as read (checked in `scenario::calibration`).
#[derive(Debug, Clone, Default)]
pub struct CalibrationSpec {
    pub trial: Option<String>,
    pub reference: String,
    pub source: String,
    /// A built-in target set (`"prime_hfref"`).
    pub builtin: Option<String>,
    pub targets: Vec<TargetSpec>,
}

/// `[[calibration.targets]]` as read.
#[derive(Debug, Clone, Default)]
pub struct TargetSpec {
    /// Key path of the table (for messages), e.g. `calibration.targets[2]`.
    pub path: String,
    pub name: Option<String>,
    pub description: String,
    pub statistic: Option<String>,
    pub quantity: Option<String>,
    pub modality: Option<String>,
    pub event: Option<String>,
    pub day: Option<f64>,
    pub arm: Option<String>,
    pub control: Option<String>,
    pub published: Option<f64>,
    pub unit: String,
    pub kind: Option<String>,
    pub tag: Option<String>,
    pub note: String,
    pub fit: Option<bool>,
}

/// Keys of a `[[calibration.targets]]` table.
pub const TARGET_KEYS: &[&str] = &[
    "name",
    "description",
    "statistic",
    "quantity",
    "modality",
    "event",
    "day",
    "arm",
    "control",
    "published",
    "unit",
    "kind",
    "tag",
    "note",
    "fit",
];

fn read_calibration(t: &Reader) -> CalibrationSpec {
    let targets = t
        .tables("targets")
        .iter()
        .map(|r| {
            let s = TargetSpec {
                path: r.path.clone(),
                name: r.req_string("name"),
                description: r.string("description").unwrap_or_default(),
                statistic: r.req_string("statistic"),
                quantity: r.string("quantity"),
                modality: r.string("modality"),
                event: r.string("event"),
                day: r.f64("day"),
                arm: r.string("arm"),
                control: r.string("control"),
                published: r.req_f64("published"),
                unit: r.string("unit").unwrap_or_default(),
                kind: r.string("kind"),
                tag: r.string("tag"),
                note: r.string("note").unwrap_or_default(),
                fit: r.bool("fit"),
            };
            r.finish(TARGET_KEYS);
            s
        })
        .collect();
    let c = CalibrationSpec {
        trial: t.req_string("trial"),
        reference: t.string("reference").unwrap_or_default(),
        source: t.string("source").unwrap_or_default(),
        builtin: t.string("builtin"),
        targets,
    };
    t.finish(&["trial", "reference", "source", "builtin", "targets"]);
    c
}

/// `[uncertainty]` as read.
#[derive(Debug, Clone, Default)]
pub struct UncertaintySpec {
    pub parameters: Vec<PriorSpec>,
    pub correlations: Vec<PriorCorrelationSpec>,
    /// `posterior = "FILE"` as written (relative to the file that writes it).
    pub posterior: Option<String>,
    /// The posterior file, read by `scenario::check` (or why it could not be).
    pub posterior_file: Option<Result<crate::uncertainty::posterior::PosteriorFile, String>>,
    /// `sceptical = f`: the cell-effect parameters of every world times `f`.
    pub sceptical: Option<f64>,
    /// `power_every = k`: power at the central values from every `k`-th replicate.
    pub power_every: Option<u64>,
    /// `between_trial = false`: worlds leave out the trial's own deviation.
    pub between_trial: Option<bool>,
}

/// `[uncertainty.parameters.<parameter>]`.
#[derive(Debug, Clone)]
pub struct PriorSpec {
    pub parameter: String,
    pub distribution: Option<String>,
    /// The numeric fields given, in [`PRIOR_FIELDS`] order.
    pub values: Vec<(&'static str, f64)>,
}

/// `[[uncertainty.correlations]]` (its position among them).
#[derive(Debug, Clone)]
pub struct PriorCorrelationSpec {
    pub index: usize,
    pub between: Option<Vec<String>>,
    pub rho: Option<f64>,
}

/// Prior distributions and the fields each needs.
pub const PRIOR_DISTRIBUTIONS: &[(&str, &[&str])] = &[
    ("normal", &["mean", "sd"]),
    ("log_normal", &["median", "sd_log"]),
    ("logit_normal", &["median", "sd_logit"]),
    ("uniform", &["low", "high"]),
    ("point", &["value"]),
    ("bernoulli", &["p"]),
];

/// Every numeric field of a prior table (`lower`/`upper`: truncation).
pub const PRIOR_FIELDS: &[&str] = &[
    "mean", "sd", "median", "sd_log", "sd_logit", "low", "high", "value", "p", "lower", "upper",
];

pub const ROUTES: &[(&str, Route)] = &[
    ("intravenous", Route::Intravenous),
    ("intracoronary", Route::Intracoronary),
    ("transendocardial", Route::Transendocardial),
    ("epicardial_patch", Route::EpicardialPatch),
];
pub const PREMEDICATIONS: &[(&str, Premedication)] = &[
    ("none", Premedication::None),
    ("methylprednisolone", Premedication::Methylprednisolone),
];
pub const INFUSION_ANTICOAGULATION: &[(&str, InfusionAnticoagulation)] = &[
    ("none", InfusionAnticoagulation::None),
    ("heparin", InfusionAnticoagulation::Heparin),
];
/// `[arms.X] product` (in the order of [`Product::ALL`]).
pub fn products() -> Vec<(&'static str, Product)> {
    Product::ALL.iter().map(|p| (p.key(), *p)).collect()
}
pub const DONORS: &[(&str, Donor)] = &[
    ("allogeneic", Donor::Allogeneic),
    ("autologous", Donor::Autologous),
];
pub const IMMUNOSUPPRESSION: &[(&str, Immunosuppression)] = &[
    ("none", Immunosuppression::None),
    ("standard", Immunosuppression::Standard),
];
pub const ROLES: &[(&str, Role)] = &[("control", Role::Control), ("treatment", Role::Treatment)];
pub const MODALITIES: &[(&str, Modality)] = &[
    ("mri", Modality::Mri),
    ("echo", Modality::Echo),
    ("lab", Modality::Lab),
    ("walk_test", Modality::WalkTest),
];
pub const TESTS: &[(&str, TestKind)] = &[
    ("welch", TestKind::Welch),
    ("student", TestKind::Student),
    ("wilcoxon", TestKind::Wilcoxon),
    ("ancova", TestKind::Ancova),
    ("logrank", TestKind::Logrank),
    ("fisher", TestKind::Fisher),
    ("proportions_z", TestKind::ProportionsZ),
    ("negative_binomial", TestKind::NegativeBinomial),
    ("lwyy", TestKind::Lwyy),
    ("win_ratio", TestKind::WinRatio),
    ("mmrm", TestKind::Mmrm),
];
pub const ANALYSES: &[(&str, AnalysisKind)] = &[
    ("change_from_baseline", AnalysisKind::ChangeFromBaseline),
    (
        "log_change_from_baseline",
        AnalysisKind::LogChangeFromBaseline,
    ),
    ("value", AnalysisKind::Value),
    ("baseline_adjusted", AnalysisKind::BaselineAdjusted),
    ("time_to_event", AnalysisKind::TimeToEvent),
    ("proportion", AnalysisKind::Proportion),
    ("recurrent_events", AnalysisKind::RecurrentEvents),
    ("hierarchical", AnalysisKind::Hierarchical),
];
pub const ALTERNATIVES: &[(&str, Alternative)] = &[
    ("two_sided", Alternative::TwoSided),
    ("greater", Alternative::Greater),
    ("less", Alternative::Less),
];
pub const PROCEDURES: &[(&str, Procedure)] = &[
    ("bonferroni", Procedure::Bonferroni),
    ("holm", Procedure::Holm),
    ("fixed_sequence", Procedure::FixedSequence),
];
pub const SOLVERS: &[(&str, SolverMethod)] = &[
    ("fast", SolverMethod::Fast),
    ("reference", SolverMethod::Reference),
];

/// Every word accepted as an endpoint `quantity`.
pub fn measure_words() -> Vec<&'static str> {
    let mut v: Vec<&str> = Quantity::ALL.iter().map(|q| q.key()).collect();
    v.extend([
        "death_or_hf_hospitalization",
        "death",
        "hf_hospitalization",
        "serious_adverse_event",
        "ana_positive",
        "d_dimer_above_uln",
        "hierarchical_composite",
    ]);
    v
}

/// Longest scenario name (it names the output folder).
pub const MAX_NAME_CHARS: usize = 64;

const TOP_KEYS: &[&str] = &[
    "scenario",
    "run",
    "population",
    "background",
    "arms",
    "trial",
    "model",
    "endpoints",
    "multiplicity",
    "sweep",
    "uncertainty",
    "calibration",
];

/// Read the whole document. Problems go to `issues`; the returned spec has
/// defaults where something could not be read.
pub fn read(doc: &DocumentMut, issues: &Issues) -> ScenarioSpec {
    let top = Reader::new("", doc.as_table(), issues);
    let (name, description) = match top.req_table("scenario") {
        Some(t) => {
            let n = t.req_string("name").unwrap_or_default();
            if n.is_empty() && t.has("name") {
                t.issue(
                    IssueKind::OutOfRange,
                    "name",
                    "must not be empty (it names the output folder, out/<name>)",
                );
            } else if n.chars().count() > MAX_NAME_CHARS {
                t.issue(
                    IssueKind::OutOfRange,
                    "name",
                    format!(
                        "at most {MAX_NAME_CHARS} characters (found {}; it names the output folder)",
                        n.chars().count()
                    ),
                );
            } else if !n
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                t.issue(
                    IssueKind::OutOfRange,
                    "name",
                    "use letters, digits, '_' and '-' only (it names the output folder)",
                );
            }
            let d = t.string("description").unwrap_or_default();
            let _ = t.item("base"); // resolved when the file is loaded
            t.finish(&["name", "description", "base"]);
            (n, d)
        }
        None => (String::new(), String::new()),
    };
    let run = read_run(top.req_table("run"));
    let population = read_population(top.req_table("population"));
    let background = read_background(top.table("background"));
    let arms = read_arms(top.req_table("arms"));
    let trial = read_trial(top.req_table("trial"));
    let (model, variability, model_correlations) = read_model(top.table("model"));
    let endpoints: Vec<EndpointSpec> = top.tables("endpoints").iter().map(read_endpoint).collect();
    if !top.has("endpoints") {
        top.missing("endpoints", "one or more [[endpoints]] tables");
    }
    let families = match top.table("multiplicity") {
        Some(m) => {
            let f = m.tables("families").iter().map(read_family).collect();
            m.finish(&["families"]);
            f
        }
        None => Vec::new(),
    };
    let sweep = top.table("sweep").map(|s| read_sweep(&s));
    // `uncertainty = false` (before the first table of a file) removes an
    // [uncertainty] inherited from a base scenario
    let removed = top
        .item("uncertainty")
        .and_then(|i| i.as_bool())
        .is_some_and(|b| !b);
    let uncertainty = if removed {
        None
    } else {
        top.table("uncertainty").map(|u| read_uncertainty(&u))
    };
    let calibration = top.table("calibration").map(|c| read_calibration(&c));
    top.finish(TOP_KEYS);
    ScenarioSpec {
        name,
        description,
        run,
        population,
        background,
        arms,
        trial,
        model,
        variability,
        model_correlations,
        endpoints,
        families,
        sweep,
        uncertainty,
        calibration,
    }
}

fn read_uncertainty(t: &Reader) -> UncertaintySpec {
    let mut spec = UncertaintySpec::default();
    if let Some(ps) = t.table("parameters") {
        for key in ps.keys() {
            let Some(p) = ps.table(&key) else { continue };
            let distribution = p.req_string("distribution");
            let values = PRIOR_FIELDS
                .iter()
                .filter_map(|&f| p.f64(f).map(|x| (f, x)))
                .collect();
            let mut known = vec!["distribution"];
            known.extend_from_slice(PRIOR_FIELDS);
            p.finish(&known);
            spec.parameters.push(PriorSpec {
                parameter: key,
                distribution,
                values,
            });
        }
    } else if !t.has("parameters") && !t.has("posterior") {
        t.missing(
            "parameters",
            "a table [uncertainty.parameters.<model parameter>] per uncertain parameter, or posterior = \"FILE\" (a file of `hfsim calibrate posterior`)",
        );
    }
    spec.posterior = t.string("posterior");
    spec.sceptical = t.f64("sceptical");
    spec.power_every = t.u64("power_every");
    spec.between_trial = t.bool("between_trial");
    for (index, c) in t.tables("correlations").iter().enumerate() {
        spec.correlations.push(PriorCorrelationSpec {
            index,
            between: c.string_array("between"),
            rho: c.req_f64("rho"),
        });
        if !c.has("between") {
            c.missing(
                "between",
                "the two parameters, e.g. between = [\"a\", \"b\"]",
            );
        }
        c.finish(&["between", "rho"]);
    }
    t.finish(&[
        "parameters",
        "correlations",
        "posterior",
        "sceptical",
        "power_every",
        "between_trial",
    ]);
    spec
}

fn read_run(t: Option<Reader>) -> RunSpec {
    let mut r = RunSpec {
        seed: 0,
        replicates: 1000,
        follow_up_days: 360.0,
        common_random_numbers: true,
        solver: SolverMethod::Fast,
        rtol: 1e-8,
        atol: 1e-10,
        failure_budget: 0.001,
        max_simulated_patients: 2_000_000_000,
    };
    let Some(t) = t else { return r };
    r.seed = t.req_u64("seed").unwrap_or(0);
    r.replicates = t.u64_or("replicates", r.replicates);
    r.follow_up_days = t.f64_or("follow_up_days", r.follow_up_days);
    r.common_random_numbers = t.bool_or("common_random_numbers", true);
    r.solver = t.choice_or("solver", SOLVERS, r.solver);
    r.rtol = t.f64_or("rtol", r.rtol);
    r.atol = t.f64_or("atol", r.atol);
    r.failure_budget = t.f64_or("failure_budget", r.failure_budget);
    r.max_simulated_patients = t.u64_or("max_simulated_patients", r.max_simulated_patients);
    t.finish(&[]);
    r
}

fn read_marginal(t: &Reader) -> Option<Marginal> {
    let dist = t.req_choice(
        "distribution",
        &[("normal", 0), ("lognormal", 1), ("bernoulli", 2)],
    )?;
    match dist {
        0 => Some(Marginal::Normal {
            mean: t.req_f64("mean")?,
            sd: t.req_f64("sd")?,
        }),
        1 => {
            if t.has("median") || t.has("log_sd") {
                let median = t.req_f64("median")?;
                let log_sd = t.req_f64("log_sd")?;
                if median <= 0.0 {
                    t.issue(
                        IssueKind::OutOfRange,
                        "median",
                        format!("must be > 0 for a lognormal (got {median})"),
                    );
                    return None;
                }
                Some(Marginal::Lognormal {
                    meanlog: median.ln(),
                    sdlog: log_sd,
                })
            } else {
                let mean = t.req_f64("mean")?;
                let sd = t.req_f64("sd")?;
                if mean <= 0.0 {
                    t.issue(
                        IssueKind::OutOfRange,
                        "mean",
                        format!("must be > 0 for a lognormal (got {mean})"),
                    );
                    return None;
                }
                if sd <= 0.0 {
                    t.issue(
                        IssueKind::OutOfRange,
                        "sd",
                        format!("must be > 0 (got {sd})"),
                    );
                    return None;
                }
                let s2 = (1.0 + (sd / mean).powi(2)).ln();
                Some(Marginal::Lognormal {
                    meanlog: mean.ln() - s2 / 2.0,
                    sdlog: s2.sqrt(),
                })
            }
        }
        _ => Some(Marginal::Bernoulli {
            probability: t.req_f64("probability")?,
        }),
    }
}

fn read_population(t: Option<Reader>) -> PopulationSpec {
    let mut p = PopulationSpec {
        covariates: Vec::new(),
        correlations: Vec::new(),
        inclusion: Vec::new(),
        screening_measurement_error: true,
        max_screening_factor: 50.0,
        unreadable: Vec::new(),
    };
    let Some(t) = t else { return p };
    if let Some(c) = t.req_table("covariates") {
        for name in c.keys() {
            let Some(ct) = c.table(&name) else {
                p.unreadable.push(name.clone());
                continue;
            };
            match read_marginal(&ct) {
                Some(marginal) => p.covariates.push(CovariateSpec {
                    name: name.clone(),
                    marginal,
                    min: ct.f64("min"),
                    max: ct.f64("max"),
                }),
                None => p.unreadable.push(name.clone()),
            }
            ct.finish(&[
                "distribution",
                "mean",
                "sd",
                "median",
                "log_sd",
                "probability",
                "min",
                "max",
            ]);
        }
        c.finish(&[]);
    }
    for ct in t.tables("correlations") {
        if let (Some(a), Some(b), Some(rho)) =
            (ct.req_string("a"), ct.req_string("b"), ct.req_f64("rho"))
        {
            p.correlations.push(CorrelationSpec { a, b, rho });
        }
        ct.finish(&["a", "b", "rho"]);
    }
    if let Some(inc) = t.table("inclusion") {
        for name in inc.keys() {
            let Some(ct) = inc.table(&name) else { continue };
            p.inclusion.push(CriterionSpec {
                covariate: name.clone(),
                min: ct.f64("min"),
                max: ct.f64("max"),
                equals: ct.bool("equals"),
            });
            ct.finish(&["min", "max", "equals"]);
        }
        inc.finish(&[]);
    }
    p.screening_measurement_error = t.bool_or("screening_measurement_error", true);
    p.max_screening_factor = t.f64_or("max_screening_factor", p.max_screening_factor);
    t.finish(&[
        "covariates",
        "correlations",
        "inclusion",
        "screening_measurement_error",
        "max_screening_factor",
    ]);
    p
}

fn read_background(t: Option<Reader>) -> BackgroundSpec {
    let mut b = BackgroundSpec {
        anticoagulant_share_with_af: 0.0,
        anticoagulant_share_without_af: 0.0,
        vka_share: 0.5,
        gdmt: Vec::new(),
    };
    let Some(t) = t else { return b };
    b.anticoagulant_share_with_af = t.f64_or("anticoagulant_share_with_af", 0.0);
    b.anticoagulant_share_without_af = t.f64_or("anticoagulant_share_without_af", 0.0);
    b.vka_share = t.f64_or("vka_share", 0.5);
    if let Some(g) = t.table("gdmt") {
        let classes: Vec<(&str, GdmtClass)> =
            GdmtClass::ALL.iter().map(|c| (c.key(), *c)).collect();
        for key in g.keys() {
            let Some(class) = classes.iter().find(|(k, _)| *k == key).map(|(_, c)| *c) else {
                g.item(&key);
                let names: Vec<&str> = classes.iter().map(|(k, _)| *k).collect();
                let hint = super::error::suggest(&key, names.iter().copied())
                    .map(|m| format!(" (did you mean `{m}`?)"))
                    .unwrap_or_default();
                g.issue(
                    IssueKind::UnknownKey,
                    &key,
                    format!("unknown GDMT class{hint}; allowed: {}", names.join(", ")),
                );
                continue;
            };
            let Some(ct) = g.table(&key) else { continue };
            let share = ct.req_f64("share").unwrap_or(0.0);
            let min = ct.f64_or("on_therapy_days_min", 365.0);
            let max = ct.f64_or("on_therapy_days_max", min);
            ct.finish(&["share", "on_therapy_days_min", "on_therapy_days_max"]);
            b.gdmt.push(GdmtSpec {
                class,
                share,
                on_therapy_days_min: min,
                on_therapy_days_max: max,
            });
        }
    }
    t.finish(&[
        "anticoagulant_share_with_af",
        "anticoagulant_share_without_af",
        "vka_share",
        "gdmt",
    ]);
    b
}

const ARM_KEYS: &[&str] = &[
    "label",
    "role",
    "route",
    "dose_cells_per_kg",
    "n_doses",
    "interval_days",
    "first_dose_day",
    "infusion_duration_hours",
    "premedication",
    "infusion_anticoagulation",
    "donor",
    "immunosuppression",
    "product",
    "allocation_weight",
];

fn read_arms(t: Option<Reader>) -> Vec<ArmSpec> {
    let Some(t) = t else { return Vec::new() };
    let mut arms = Vec::new();
    for key in t.keys() {
        let Some(a) = t.table(&key) else { continue };
        let role = a.req_choice("role", ROLES);
        let arm = ArmSpec {
            key: key.clone(),
            label: a.string("label").unwrap_or_else(|| key.clone()),
            role: role.unwrap_or(Role::Treatment),
            route: a.choice_or("route", ROUTES, Route::Intravenous),
            dose_cells_per_kg: a.req_f64("dose_cells_per_kg").unwrap_or(0.0),
            n_doses: a.u64_or("n_doses", 1),
            interval_days: a.f64("interval_days"),
            first_dose_day: a.f64_or("first_dose_day", 0.0),
            infusion_duration_hours: a.f64_or("infusion_duration_hours", 1.0),
            premedication: a.choice_or("premedication", PREMEDICATIONS, Premedication::None),
            infusion_anticoagulation: a.choice_or(
                "infusion_anticoagulation",
                INFUSION_ANTICOAGULATION,
                InfusionAnticoagulation::None,
            ),
            donor: a.choice_or("donor", DONORS, Donor::Allogeneic),
            immunosuppression: a.choice_or(
                "immunosuppression",
                IMMUNOSUPPRESSION,
                Immunosuppression::None,
            ),
            product: a.choice_or("product", &products(), Product::UcMsc),
            allocation_weight: a.u64_or("allocation_weight", 1),
        };
        if arm.n_doses > 1 && !a.has("interval_days") {
            a.missing(
                "interval_days",
                "days between doses, needed when n_doses > 1",
            );
        }
        a.finish(ARM_KEYS);
        arms.push(arm);
    }
    t.finish(&[]);
    arms
}

fn read_trial(t: Option<Reader>) -> TrialSpec {
    let mut tr = TrialSpec {
        n_per_arm: 20,
        randomization: Randomization::PermutedBlock { block_size: 4 },
        stratify_by: Vec::new(),
        early_withdrawal_probability: 0.0,
        dropout_per_year: 0.0,
        visit_window_days: 0.0,
        visits: Vec::new(),
        imaging: ImagingSpec {
            mri_available_share: 1.0,
            device_excludes_mri: true,
            mri_missing_probability: 0.0,
            echo_missing_probability: 0.0,
            lab_missing_probability: 0.0,
            walk_missing_probability: 0.0,
        },
        accrual: None,
        sequential: None,
    };
    let Some(t) = t else { return tr };
    tr.n_per_arm = t.req_u64("n_per_arm").unwrap_or(0);
    let method = t.choice_or("randomization", &[("simple", 0), ("permuted_block", 1)], 1);
    tr.randomization = if method == 0 {
        Randomization::Simple
    } else {
        Randomization::PermutedBlock {
            block_size: t.u64_or("block_size", 4),
        }
    };
    if method == 0 && t.has("block_size") {
        t.issue(
            IssueKind::Inconsistent,
            "block_size",
            "only used with randomization = \"permuted_block\"",
        );
    }
    tr.stratify_by = t.string_array("stratify_by").unwrap_or_default();
    tr.early_withdrawal_probability = t.f64_or("early_withdrawal_probability", 0.0);
    tr.dropout_per_year = t.f64_or("dropout_per_year", 0.0);
    tr.visit_window_days = t.f64_or("visit_window_days", 0.0);
    for v in t.tables("visits") {
        let name = v.req_string("name").unwrap_or_default();
        let day = v.req_f64("day").unwrap_or(0.0);
        let mut measures = Vec::new();
        if let Some(words) = v.string_array("measures") {
            for (i, w) in words.iter().enumerate() {
                match MODALITIES.iter().find(|(k, _)| k == w) {
                    Some((_, m)) => measures.push(*m),
                    None => {
                        let names: Vec<&str> = MODALITIES.iter().map(|(k, _)| *k).collect();
                        v.issue(
                            IssueKind::OutOfRange,
                            &format!("measures[{i}]"),
                            format!("\"{w}\" is not a modality; allowed: {}", names.join(", ")),
                        );
                    }
                }
            }
        } else if !v.has("measures") {
            v.missing(
                "measures",
                "an array of modalities, e.g. [\"mri\", \"echo\", \"lab\", \"walk_test\"]",
            );
        }
        v.finish(&["name", "day", "measures"]);
        tr.visits.push(VisitSpec {
            name,
            day,
            measures,
        });
    }
    if !t.has("visits") {
        t.missing("visits", "one or more [[trial.visits]] tables");
    }
    if let Some(im) = t.table("imaging") {
        let i = &mut tr.imaging;
        i.mri_available_share = im.f64_or("mri_available_share", 1.0);
        i.device_excludes_mri = im.bool_or("device_excludes_mri", true);
        i.mri_missing_probability = im.f64_or("mri_missing_probability", 0.0);
        i.echo_missing_probability = im.f64_or("echo_missing_probability", 0.0);
        i.lab_missing_probability = im.f64_or("lab_missing_probability", 0.0);
        i.walk_missing_probability = im.f64_or("walk_missing_probability", 0.0);
        im.finish(&[]);
    }
    tr.accrual = t.table("accrual").map(|a| crate::trial::accrual::read(&a));
    tr.sequential = t
        .table("sequential")
        .map(|q| crate::sequential::spec::read(&q));
    t.finish(&[
        "n_per_arm",
        "randomization",
        "block_size",
        "stratify_by",
        "early_withdrawal_probability",
        "dropout_per_year",
        "visit_window_days",
        "visits",
        "imaging",
        "accrual",
        "sequential",
    ]);
    tr
}

/// `(parameter key, value)` pairs.
type KeyValues = Vec<(String, f64)>;

fn read_model(t: Option<Reader>) -> (KeyValues, KeyValues, Vec<CorrelationSpec>) {
    let (mut values, mut omegas, mut correlations) = (Vec::new(), Vec::new(), Vec::new());
    let Some(t) = t else {
        return (values, omegas, correlations);
    };
    for ct in t.tables("correlations") {
        if let (Some(a), Some(b), Some(rho)) =
            (ct.req_string("a"), ct.req_string("b"), ct.req_f64("rho"))
        {
            correlations.push(CorrelationSpec { a, b, rho });
        }
        ct.finish(&["a", "b", "rho"]);
    }
    for key in t.keys() {
        if key == "correlations" {
            continue;
        }
        if key == "variability" {
            if let Some(v) = t.table("variability") {
                for k in v.keys() {
                    if let Some(x) = v.f64(&k) {
                        omegas.push((k.clone(), x));
                    }
                }
            }
            continue;
        }
        if let Some(x) = t.f64(&key) {
            values.push((key.clone(), x));
        }
    }
    (values, omegas, correlations)
}

fn read_endpoint(t: &Reader) -> EndpointSpec {
    let name = t.req_string("name").unwrap_or_default();
    let words = measure_words();
    let qword = t.req_string("quantity");
    let mut measure = Measure::Event {
        event: EventKind::Death,
    };
    let mut default_analysis = AnalysisKind::ChangeFromBaseline;
    let mut default_test = TestKind::Welch;
    if let Some(q) = &qword {
        if let Some(quantity) = Quantity::ALL.iter().find(|x| x.key() == q) {
            let modality = if quantity.modalities().len() == 1 && !t.has("modality") {
                Some(quantity.modalities()[0])
            } else {
                t.req_choice("modality", MODALITIES)
            };
            measure = Measure::Continuous {
                quantity: *quantity,
                modality: modality.unwrap_or(Modality::Mri),
            };
        } else {
            let ev = match q.as_str() {
                "death_or_hf_hospitalization" => Some(Measure::Event {
                    event: EventKind::DeathOrHfHospitalization,
                }),
                "death" => Some(Measure::Event {
                    event: EventKind::Death,
                }),
                "hf_hospitalization" => Some(Measure::Event {
                    event: EventKind::HfHospitalization,
                }),
                "serious_adverse_event" => Some(Measure::Event {
                    event: EventKind::SeriousAdverseEvent,
                }),
                "ana_positive" => Some(Measure::Binary {
                    outcome: BinaryKind::AnaPositive,
                }),
                "d_dimer_above_uln" => Some(Measure::Binary {
                    outcome: BinaryKind::DDimerAboveUln,
                }),
                "hierarchical_composite" => Some(Measure::Hierarchy),
                _ => None,
            };
            match ev {
                Some(m) => {
                    measure = m;
                    match m {
                        Measure::Event { .. } => {
                            default_analysis = AnalysisKind::TimeToEvent;
                            default_test = TestKind::Logrank;
                        }
                        Measure::Hierarchy => {
                            default_analysis = AnalysisKind::Hierarchical;
                            default_test = TestKind::WinRatio;
                        }
                        _ => {
                            default_analysis = AnalysisKind::Proportion;
                            default_test = TestKind::Fisher;
                        }
                    }
                }
                None => {
                    let hint = super::error::suggest(q, words.iter().copied())
                        .map(|m| format!(" (did you mean \"{m}\"?)"))
                        .unwrap_or_default();
                    t.issue(
                        IssueKind::OutOfRange,
                        "quantity",
                        format!(
                            "\"{q}\" is not a quantity{hint}; allowed: {}",
                            words.join(", ")
                        ),
                    );
                }
            }
        }
    }
    let test = t.choice_or("test", TESTS, default_test);
    let analysis_default = match test {
        TestKind::Ancova => AnalysisKind::BaselineAdjusted,
        TestKind::NegativeBinomial | TestKind::Lwyy => AnalysisKind::RecurrentEvents,
        _ => default_analysis,
    };
    let analysis = t.choice_or("analysis", ANALYSES, analysis_default);
    let e = EndpointSpec {
        name,
        measure,
        visit: t.string("visit"),
        analysis,
        test,
        alpha: t.f64_or("alpha", 0.05),
        alternative: t.choice_or("alternative", ALTERNATIVES, Alternative::TwoSided),
        uln_mg_per_l: t.f64_or("uln_mg_per_l", 0.5),
        by_day: t.f64("by_day"),
        options: super::endpoint_options::read(t),
    };
    let mut known = vec![
        "name",
        "quantity",
        "modality",
        "visit",
        "analysis",
        "test",
        "alpha",
        "alternative",
        "uln_mg_per_l",
        "by_day",
    ];
    known.extend_from_slice(super::endpoint_options::KEYS);
    t.finish(&known);
    e
}

fn read_family(t: &Reader) -> FamilySpec {
    let f = FamilySpec {
        name: t.req_string("name").unwrap_or_default(),
        procedure: t
            .req_choice("procedure", PROCEDURES)
            .unwrap_or(Procedure::Holm),
        endpoints: t.string_array("endpoints").unwrap_or_default(),
        alpha: t.f64_or("alpha", 0.05),
    };
    if !t.has("endpoints") {
        t.missing(
            "endpoints",
            "the endpoint names of the family, in testing order",
        );
    }
    t.finish(&["name", "procedure", "endpoints", "alpha"]);
    f
}

fn read_sweep(t: &Reader) -> SweepSpec {
    let mode = t.choice_or(
        "mode",
        &[("factorial", SweepMode::Factorial), ("zip", SweepMode::Zip)],
        SweepMode::Factorial,
    );
    let mut axes = Vec::new();
    match t.table("axes") {
        Some(a) => {
            for key in a.keys() {
                match a.item(&key).and_then(|i| i.as_array()) {
                    Some(arr) if !arr.is_empty() => {
                        axes.push((key.clone(), arr.iter().cloned().collect()))
                    }
                    _ => a.issue(
                        IssueKind::WrongType,
                        &key,
                        "expected a non-empty array of values to sweep over",
                    ),
                }
            }
        }
        None => t.missing("axes", "a table of key path = [values]"),
    }
    t.finish(&["mode", "axes"]);
    SweepSpec { mode, axes }
}
