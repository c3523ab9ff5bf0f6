//! Endpoint keys for the heart-failure endpoints: direction (`favourable`),
//! `role`, `margin`, the negative binomial `p_value`, the win-ratio
//! `components` and `win_measure`, and the visits of an MMRM. Read by
//! `spec::read_endpoint`, checked here into [`EndpointOptions`] so that
//! `spec.rs` and `validate.rs` only call in.

use super::error::IssueKind;
use super::reader::{Issues, Reader};
use super::spec::AnalysisKind;
use super::spec::{BinaryKind, EndpointSpec, EventKind, Measure, TestKind};
use super::validate::TrialDesign;
use crate::analysis::Alternative;
use crate::analysis::direction::{EffectScale, EndpointRole, Favourable};
use crate::analysis::negbin::NbPValue;
use crate::analysis::win_ratio::WinMeasure;
use crate::model::observation::Modality;
use crate::model::observation::Quantity;
use crate::trial::hierarchy::{Component, MAX_COMPONENTS};
use serde::Serialize;

/// The keys this module reads in an `[[endpoints]]` table.
pub const KEYS: &[&str] = &[
    "favourable",
    "role",
    "margin",
    "p_value",
    "components",
    "win_measure",
];

/// Keys of one `[[endpoints.components]]` table.
pub const COMPONENT_KEYS: &[&str] = &[
    "quantity",
    "compare",
    "modality",
    "visit",
    "analysis",
    "favourable",
    "margin",
];

pub const WIN_MEASURES: &[(&str, WinMeasure)] = &[
    ("win_ratio", WinMeasure::WinRatio),
    ("win_odds", WinMeasure::WinOdds),
    ("net_benefit", WinMeasure::NetBenefit),
];

pub const FAVOURABLE: &[(&str, Favourable)] =
    &[("lower", Favourable::Lower), ("higher", Favourable::Higher)];
pub const P_VALUES: &[(&str, NbPValue)] = &[
    ("wald", NbPValue::Wald),
    ("likelihood_ratio", NbPValue::LikelihoodRatio),
];
pub const ROLES: &[(&str, EndpointRole)] = &[
    ("efficacy", EndpointRole::Efficacy),
    ("safety", EndpointRole::Safety),
];

/// The new endpoint keys as written.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct EndpointOptionsSpec {
    pub favourable: Option<Favourable>,
    pub role: Option<EndpointRole>,
    /// Null value of a one-sided test (endpoint units; log scale for ratios).
    pub margin: Option<f64>,
    /// Negative binomial: Wald or likelihood-ratio p-value.
    pub p_value: Option<NbPValue>,
    /// Win ratio: the components in order of priority.
    pub components: Vec<ComponentSpec>,
    pub win_measure: Option<WinMeasure>,
}

/// One component of a hierarchy as written.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct ComponentSpec {
    pub quantity: Option<String>,
    pub compare: Option<String>,
    pub modality: Option<Modality>,
    pub visit: Option<String>,
    pub analysis: Option<AnalysisKind>,
    pub favourable: Option<Favourable>,
    pub margin: Option<f64>,
}

/// Read the keys of [`KEYS`] from an endpoint table.
pub fn read(t: &Reader) -> EndpointOptionsSpec {
    EndpointOptionsSpec {
        favourable: t.choice("favourable", FAVOURABLE),
        role: t.choice("role", ROLES),
        margin: t.f64("margin"),
        p_value: t.choice("p_value", P_VALUES),
        components: t
            .tables("components")
            .iter()
            .map(|c| {
                let s = ComponentSpec {
                    quantity: c.req_string("quantity"),
                    compare: c.string("compare"),
                    modality: c.choice("modality", super::spec::MODALITIES),
                    visit: c.string("visit"),
                    analysis: c.choice("analysis", super::spec::ANALYSES),
                    favourable: c.choice("favourable", FAVOURABLE),
                    margin: c.f64("margin"),
                };
                c.finish(COMPONENT_KEYS);
                s
            })
            .collect(),
        win_measure: t.choice("win_measure", WIN_MEASURES),
    }
}

/// The checked options of an endpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndpointOptions {
    pub favourable: Favourable,
    pub role: EndpointRole,
    pub margin: Option<f64>,
    pub effect_scale: EffectScale,
    /// Negative binomial p-value (Wald unless the file says otherwise).
    pub p_value: NbPValue,
    /// Win ratio: the checked components and the measure tested.
    pub components: Vec<Component>,
    pub win_measure: WinMeasure,
    /// MMRM: the post-baseline visits modelled (trial visit indices, in day
    /// order) and the position of the endpoint's visit among them.
    pub mmrm_visits: Vec<usize>,
    pub mmrm_effect_visit: usize,
}

/// Which direction favours treatment when the file does not say.
pub fn default_favourable(measure: &Measure) -> Favourable {
    match measure {
        Measure::Continuous { quantity, .. } => match quantity {
            Quantity::Lvef | Quantity::Rvef | Quantity::Tapse | Quantity::SixMinuteWalk => {
                Favourable::Higher
            }
            Quantity::Lvedv
            | Quantity::Lvesv
            | Quantity::Rvedv
            | Quantity::Rvesv
            | Quantity::NtProbnp
            | Quantity::DDimer
            | Quantity::Inr => Favourable::Lower,
        },
        Measure::Event { .. } | Measure::Binary { .. } => Favourable::Lower,
        Measure::Hierarchy => Favourable::Higher,
    }
}

/// Whether an endpoint measures harm when the file does not say.
pub fn default_role(measure: &Measure) -> EndpointRole {
    match measure {
        Measure::Continuous {
            quantity: Quantity::DDimer | Quantity::Inr,
            ..
        } => EndpointRole::Safety,
        Measure::Event {
            event: EventKind::SeriousAdverseEvent,
        } => EndpointRole::Safety,
        Measure::Binary {
            outcome: BinaryKind::AnaPositive | BinaryKind::DDimerAboveUln,
        } => EndpointRole::Safety,
        _ => EndpointRole::Efficacy,
    }
}

/// The scale of a test's estimate.
pub fn effect_scale(test: TestKind, win: WinMeasure) -> EffectScale {
    match test {
        TestKind::Logrank | TestKind::NegativeBinomial | TestKind::Lwyy => EffectScale::Ratio,
        TestKind::WinRatio if win != WinMeasure::NetBenefit => EffectScale::Ratio,
        _ => EffectScale::Difference,
    }
}

/// Tests that accept a margin (a shifted null hypothesis).
pub const MARGIN_TESTS: &[TestKind] = &[
    TestKind::Welch,
    TestKind::Student,
    TestKind::Wilcoxon,
    TestKind::Ancova,
    TestKind::Logrank,
    TestKind::NegativeBinomial,
    TestKind::Lwyy,
    TestKind::WinRatio,
    TestKind::Mmrm,
];

fn err(issues: &Issues, kind: IssueKind, path: String, msg: impl Into<String>) {
    issues
        .borrow_mut()
        .push(super::error::Issue::new(kind, path, msg));
}

/// Check the options of endpoint `e` (at `path`, e.g. `endpoints[3]`).
pub fn validate(
    e: &EndpointSpec,
    path: &str,
    trial: &TrialDesign,
    visit: Option<usize>,
    issues: &Issues,
) -> EndpointOptions {
    let o = &e.options;
    if e.measure == Measure::Hierarchy && o.favourable == Some(Favourable::Lower) {
        err(
            issues,
            IssueKind::Inconsistent,
            format!("{path}.favourable"),
            "a win ratio above 1 favours treatment: favourable is \"higher\" (give each component's direction in `components`)",
        );
    }
    let favourable = o
        .favourable
        .unwrap_or_else(|| default_favourable(&e.measure));
    let role = o.role.unwrap_or_else(|| default_role(&e.measure));
    let one_sided = e.alternative != Alternative::TwoSided;
    if one_sided && role == EndpointRole::Efficacy && e.alternative != favourable.alternative() {
        err(
            issues,
            IssueKind::Inconsistent,
            format!("{path}.alternative"),
            format!(
                "a one-sided efficacy test points the favourable way: favourable = \"{}\" goes with alternative = \"{}\" (set `favourable`, or `role = \"safety\"` to test for harm)",
                favourable.key(),
                match favourable.alternative() {
                    Alternative::Less => "less",
                    _ => "greater",
                }
            ),
        );
    }
    if let Some(m) = o.margin {
        if !m.is_finite() {
            err(
                issues,
                IssueKind::OutOfRange,
                format!("{path}.margin"),
                format!("must be a finite number (got {m})"),
            );
        }
        if !one_sided {
            err(
                issues,
                IssueKind::Inconsistent,
                format!("{path}.margin"),
                "a margin is the null value of a one-sided test: set alternative = \"less\" or \"greater\"",
            );
        }
        if !MARGIN_TESTS.contains(&e.test) {
            let names: Vec<&str> = MARGIN_TESTS.iter().map(|t| t.key()).collect();
            err(
                issues,
                IssueKind::Inconsistent,
                format!("{path}.margin"),
                format!(
                    "test \"{}\" has no margin; margins work with {}",
                    e.test.key(),
                    names.join(", ")
                ),
            );
        }
    }
    if o.p_value.is_some() && e.test != TestKind::NegativeBinomial {
        err(
            issues,
            IssueKind::Inconsistent,
            format!("{path}.p_value"),
            "`p_value` (\"wald\" or \"likelihood_ratio\") is for test = \"negative_binomial\"",
        );
    }
    if o.p_value == Some(NbPValue::LikelihoodRatio) && o.margin.is_some() {
        err(
            issues,
            IssueKind::Inconsistent,
            format!("{path}.margin"),
            "a margin is tested by the Wald statistic: use p_value = \"wald\"",
        );
    }
    let win_measure = o.win_measure.unwrap_or(WinMeasure::WinRatio);
    let components = if e.measure == Measure::Hierarchy {
        validate_components(e, path, trial, issues)
    } else {
        for (key, given) in [
            ("components", !o.components.is_empty()),
            ("win_measure", o.win_measure.is_some()),
        ] {
            if given {
                err(
                    issues,
                    IssueKind::Inconsistent,
                    format!("{path}.{key}"),
                    "for quantity = \"hierarchical_composite\" (test = \"win_ratio\") only",
                );
            }
        }
        Vec::new()
    };
    let (mmrm_visits, mmrm_effect_visit) = match (e.test, e.measure, visit) {
        (TestKind::Mmrm, Measure::Continuous { modality, .. }, Some(v)) => {
            mmrm_visits_of(e, path, trial, modality, v, issues)
        }
        _ => (Vec::new(), 0),
    };
    EndpointOptions {
        favourable,
        role,
        margin: o.margin,
        effect_scale: effect_scale(e.test, win_measure),
        p_value: o.p_value.unwrap_or(NbPValue::Wald),
        components,
        win_measure,
        mmrm_visits,
        mmrm_effect_visit,
    }
}

/// The post-baseline visits measuring the modality, up to and including
/// the last one (the MMRM models them all and reports the named visit).
fn mmrm_visits_of(
    e: &EndpointSpec,
    path: &str,
    trial: &TrialDesign,
    modality: Modality,
    visit: usize,
    issues: &Issues,
) -> (Vec<usize>, usize) {
    if !matches!(
        e.analysis,
        AnalysisKind::ChangeFromBaseline | AnalysisKind::LogChangeFromBaseline
    ) {
        err(
            issues,
            IssueKind::Inconsistent,
            format!("{path}.analysis"),
            "an MMRM models the change from baseline: analysis = \"change_from_baseline\" or \"log_change_from_baseline\"",
        );
    }
    let Some(base) = trial.baseline_visit(modality) else {
        return (Vec::new(), 0);
    };
    let visits: Vec<usize> = (0..trial.visits.len())
        .filter(|&k| {
            k != base
                && trial.visits[k].measures(modality)
                && trial.visits[k].day > trial.visits[base].day
        })
        .collect();
    if visits.len() > crate::analysis::mmrm::MAX_VISITS {
        err(
            issues,
            IssueKind::OutOfRange,
            format!("{path}.test"),
            format!(
                "an MMRM models at most {} post-baseline visits; {} visits measure {}",
                crate::analysis::mmrm::MAX_VISITS,
                visits.len(),
                modality.key()
            ),
        );
    }
    let pos = visits.iter().position(|&k| k == visit).unwrap_or(0);
    (visits, pos)
}

/// Check the components of a hierarchy.
fn validate_components(
    e: &EndpointSpec,
    path: &str,
    trial: &TrialDesign,
    issues: &Issues,
) -> Vec<Component> {
    let comps = &e.options.components;
    if comps.is_empty() {
        err(
            issues,
            IssueKind::Missing,
            format!("{path}.components"),
            "a hierarchical composite lists its components in priority order, e.g. [[endpoints.components]] quantity = \"death\"",
        );
    }
    if comps.len() > MAX_COMPONENTS {
        err(
            issues,
            IssueKind::OutOfRange,
            format!("{path}.components"),
            format!("at most {MAX_COMPONENTS} components"),
        );
    }
    let mut out = Vec::new();
    for (i, c) in comps.iter().enumerate().take(MAX_COMPONENTS) {
        let cp = format!("{path}.components[{i}]");
        let Some(q) = c.quantity.as_deref() else {
            continue;
        };
        let event_only = |what: &str| {
            for (key, given) in [
                ("modality", c.modality.is_some()),
                ("visit", c.visit.is_some()),
                ("analysis", c.analysis.is_some()),
                ("favourable", c.favourable.is_some()),
                ("margin", c.margin.is_some()),
            ] {
                if given {
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        format!("{cp}.{key}"),
                        format!("not used by the {what} component"),
                    );
                }
            }
        };
        match q {
            "death" => {
                event_only("death");
                if c.compare.as_deref().is_some_and(|x| x != "time") {
                    err(
                        issues,
                        IssueKind::OutOfRange,
                        format!("{cp}.compare"),
                        "death is compared by time (later death wins)",
                    );
                }
                out.push(Component::Death);
            }
            "hf_hospitalization" => {
                event_only("HF hospitalization");
                match c.compare.as_deref().unwrap_or("count") {
                    "count" => out.push(Component::HfHospitalizationCount),
                    "time" => out.push(Component::HfHospitalizationTime),
                    other => err(
                        issues,
                        IssueKind::OutOfRange,
                        format!("{cp}.compare"),
                        format!(
                            "\"{other}\": HF hospitalizations are compared by \"count\" (fewer win) or \"time\" (of the first)"
                        ),
                    ),
                }
            }
            word => {
                let Some(quantity) = Quantity::ALL.iter().find(|x| x.key() == word).copied() else {
                    let mut allowed: Vec<&str> = vec!["death", "hf_hospitalization"];
                    allowed.extend(Quantity::ALL.iter().map(|x| x.key()));
                    err(
                        issues,
                        IssueKind::OutOfRange,
                        format!("{cp}.quantity"),
                        format!(
                            "\"{word}\" is not a component; allowed: {}",
                            allowed.join(", ")
                        ),
                    );
                    continue;
                };
                if c.compare.is_some() {
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        format!("{cp}.compare"),
                        "`compare` is for hf_hospitalization and death",
                    );
                }
                let modality = c.modality.unwrap_or_else(|| quantity.modalities()[0]);
                if !quantity.modalities().contains(&modality) {
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        format!("{cp}.modality"),
                        format!("{} is not measured by {}", quantity.key(), modality.key()),
                    );
                    continue;
                }
                let Some(slot) = crate::trial::measurement::slot(quantity, modality) else {
                    continue;
                };
                let Some(vname) = c.visit.as_deref() else {
                    err(
                        issues,
                        IssueKind::Missing,
                        format!("{cp}.visit"),
                        "a measured component needs the follow-up `visit`",
                    );
                    continue;
                };
                let Some(visit) = trial.visits.iter().position(|v| v.name == vname) else {
                    err(
                        issues,
                        IssueKind::UnknownKey,
                        format!("{cp}.visit"),
                        format!("no visit named \"{vname}\""),
                    );
                    continue;
                };
                let base = trial.baseline_visit(modality);
                let ok = trial.visits[visit].measures(modality)
                    && base.is_some_and(|b| trial.visits[b].day < trial.visits[visit].day);
                if !ok {
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        format!("{cp}.visit"),
                        format!(
                            "visit \"{vname}\" needs a {} measurement and an earlier baseline",
                            modality.key()
                        ),
                    );
                    continue;
                }
                let analysis = c.analysis.unwrap_or(AnalysisKind::ChangeFromBaseline);
                if !matches!(
                    analysis,
                    AnalysisKind::ChangeFromBaseline
                        | AnalysisKind::LogChangeFromBaseline
                        | AnalysisKind::Value
                ) {
                    err(
                        issues,
                        IssueKind::OutOfRange,
                        format!("{cp}.analysis"),
                        "\"change_from_baseline\", \"log_change_from_baseline\" or \"value\"",
                    );
                }
                let margin = c.margin.unwrap_or(0.0);
                if !(margin >= 0.0 && margin.is_finite()) {
                    err(
                        issues,
                        IssueKind::OutOfRange,
                        format!("{cp}.margin"),
                        format!(
                            "a difference this small or smaller is a tie: must be >= 0 (got {margin})"
                        ),
                    );
                }
                out.push(Component::Continuous {
                    slot,
                    baseline_visit: base.unwrap_or(0),
                    visit,
                    analysis,
                    favourable: c.favourable.unwrap_or_else(|| {
                        default_favourable(&Measure::Continuous { quantity, modality })
                    }),
                    margin,
                });
            }
        }
    }
    out
}

/// Recurrent-event endpoints count HF hospitalizations, and CV death too
/// for the composite.
pub fn check_recurrent(event: EventKind, path: &str, issues: &Issues) {
    if !matches!(
        event,
        EventKind::HfHospitalization | EventKind::DeathOrHfHospitalization
    ) {
        err(
            issues,
            IssueKind::Inconsistent,
            format!("{path}.quantity"),
            "recurrent events are \"hf_hospitalization\" (every HF hospitalization; death ends follow-up) or \"death_or_hf_hospitalization\" (every HF hospitalization and CV death)",
        );
    }
}
