//! `[trial.sequential]` as written (checked in [`super::design`]).

use super::boundaries::{Binding, Trend};
use crate::scenario::reader::Reader;
use serde::Serialize;

/// The decision rule at each look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// Efficacy and futility bounds on the Z scale.
    GroupSequential,
    /// Posterior (and predictive) probabilities.
    Bayesian,
}

/// When the looks happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimingKind {
    /// When a share of the planned patients have the primary endpoint
    /// observed (events: a share of the planned events).
    Information,
    /// At calendar months since the start of enrolment.
    Calendar,
    /// At counts of primary events (event endpoints).
    Events,
}

/// Efficacy boundary as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EfficacyKind {
    Of,
    Pocock,
    Asof,
    Asp,
    Ashsd,
    Askd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FutilityKind {
    None,
    BetaSpending,
    ConditionalPower,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BetaSpendingKind {
    Bsof,
    Bsp,
    Bshsd,
    Bskd,
}

pub const RULES: &[(&str, RuleKind)] = &[
    ("group_sequential", RuleKind::GroupSequential),
    ("bayesian", RuleKind::Bayesian),
];
pub const TIMINGS: &[(&str, TimingKind)] = &[
    ("information", TimingKind::Information),
    ("calendar", TimingKind::Calendar),
    ("events", TimingKind::Events),
];
pub const EFFICACY: &[(&str, EfficacyKind)] = &[
    ("of", EfficacyKind::Of),
    ("pocock", EfficacyKind::Pocock),
    ("asof", EfficacyKind::Asof),
    ("asp", EfficacyKind::Asp),
    ("ashsd", EfficacyKind::Ashsd),
    ("askd", EfficacyKind::Askd),
];
pub const FUTILITY: &[(&str, FutilityKind)] = &[
    ("none", FutilityKind::None),
    ("beta_spending", FutilityKind::BetaSpending),
    ("conditional_power", FutilityKind::ConditionalPower),
];
pub const BETA_SPENDING: &[(&str, BetaSpendingKind)] = &[
    ("bsof", BetaSpendingKind::Bsof),
    ("bsp", BetaSpendingKind::Bsp),
    ("bshsd", BetaSpendingKind::Bshsd),
    ("bskd", BetaSpendingKind::Bskd),
];
pub const BINDING: &[(&str, Binding)] = &[
    ("non_binding", Binding::NonBinding),
    ("binding", Binding::Binding),
];
pub const TRENDS: &[(&str, Trend)] = &[
    ("current_trend", Trend::CurrentTrend),
    ("design", Trend::Design),
];

/// `[trial.sequential.reestimation]`: sample-size re-estimation by
/// conditional power (promising zone).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReestimationSpec {
    /// 1-based interim look (default: the last interim look).
    pub at_look: Option<u64>,
    pub min_conditional_power: f64,
    pub target_conditional_power: f64,
    pub max_sample_size_factor: f64,
}

/// `[trial.sequential.bayesian]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BayesianSpec {
    pub prior_mean: f64,
    pub prior_sd: Option<f64>,
    pub prior_a: f64,
    pub prior_b: f64,
    pub threshold: f64,
    pub efficacy_probability: Vec<f64>,
    pub futility_probability: Option<f64>,
    pub futility_predictive_probability: Option<f64>,
    /// Keys given (to flag those that do not apply to the primary endpoint).
    pub given: Vec<String>,
}

/// `[trial.sequential]` as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SequentialSpec {
    pub primary: Option<String>,
    pub rule: RuleKind,
    pub looks: Option<u64>,
    pub timing: TimingKind,
    pub information_fractions: Option<Vec<f64>>,
    pub calendar_months: Option<Vec<f64>>,
    pub event_counts: Option<Vec<f64>>,
    pub planned_events: Option<u64>,
    pub efficacy: EfficacyKind,
    pub gamma: Option<f64>,
    pub beta: f64,
    pub futility: FutilityKind,
    pub beta_spending: BetaSpendingKind,
    pub gamma_beta: Option<f64>,
    pub futility_binding: Binding,
    pub conditional_power_threshold: Option<f64>,
    pub conditional_power_under: Trend,
    pub reestimation: Option<ReestimationSpec>,
    pub bayesian: Option<BayesianSpec>,
    /// Keys given (to flag those that do not apply).
    pub given: Vec<String>,
}

const KEYS: &[&str] = &[
    "primary",
    "rule",
    "looks",
    "timing",
    "information_fractions",
    "calendar_months",
    "event_counts",
    "planned_events",
    "efficacy",
    "gamma",
    "beta",
    "futility",
    "beta_spending",
    "gamma_beta",
    "futility_binding",
    "conditional_power_threshold",
    "conditional_power_under",
    "reestimation",
    "bayesian",
];

/// A number or an array of numbers.
fn number_or_array(t: &Reader, key: &str) -> Option<Vec<f64>> {
    if t.item(key).is_some_and(|i| i.as_array().is_some()) {
        t.f64_array(key)
    } else {
        t.f64(key).map(|x| vec![x])
    }
}

/// Read `[trial.sequential]`.
pub fn read(t: &Reader) -> SequentialSpec {
    let given: Vec<String> = t.keys();
    let reestimation = t.table("reestimation").map(|r| {
        let s = ReestimationSpec {
            at_look: r.u64("at_look"),
            min_conditional_power: r.f64_or("min_conditional_power", 0.36),
            target_conditional_power: r.f64_or("target_conditional_power", 0.8),
            max_sample_size_factor: r.f64_or("max_sample_size_factor", 2.0),
        };
        r.finish(&[
            "at_look",
            "min_conditional_power",
            "target_conditional_power",
            "max_sample_size_factor",
        ]);
        s
    });
    let bayesian = t.table("bayesian").map(|b| {
        let s = BayesianSpec {
            given: b.keys(),
            prior_mean: b.f64_or("prior_mean", 0.0),
            prior_sd: b.f64("prior_sd"),
            prior_a: b.f64_or("prior_a", 1.0),
            prior_b: b.f64_or("prior_b", 1.0),
            threshold: b.f64_or("threshold", 0.0),
            efficacy_probability: number_or_array(&b, "efficacy_probability")
                .unwrap_or_else(|| vec![0.975]),
            futility_probability: b.f64("futility_probability"),
            futility_predictive_probability: b.f64("futility_predictive_probability"),
        };
        b.finish(&[
            "prior_mean",
            "prior_sd",
            "prior_a",
            "prior_b",
            "threshold",
            "efficacy_probability",
            "futility_probability",
            "futility_predictive_probability",
        ]);
        s
    });
    let spec = SequentialSpec {
        primary: t.req_string("primary"),
        rule: t.choice_or("rule", RULES, RuleKind::GroupSequential),
        looks: t.u64("looks"),
        timing: t.choice_or("timing", TIMINGS, TimingKind::Information),
        information_fractions: t.f64_array("information_fractions"),
        calendar_months: t.f64_array("calendar_months"),
        event_counts: t.f64_array("event_counts"),
        planned_events: t.u64("planned_events"),
        efficacy: t.choice_or("efficacy", EFFICACY, EfficacyKind::Asof),
        gamma: t.f64("gamma"),
        beta: t.f64_or("beta", 0.2),
        futility: t.choice_or("futility", FUTILITY, FutilityKind::None),
        beta_spending: t.choice_or("beta_spending", BETA_SPENDING, BetaSpendingKind::Bsof),
        gamma_beta: t.f64("gamma_beta"),
        futility_binding: t.choice_or("futility_binding", BINDING, Binding::NonBinding),
        conditional_power_threshold: t.f64("conditional_power_threshold"),
        conditional_power_under: t.choice_or(
            "conditional_power_under",
            TRENDS,
            Trend::CurrentTrend,
        ),
        reestimation,
        bayesian,
        given,
    };
    t.finish(KEYS);
    spec
}
