//! The checked sequential design of a scenario (`[trial.sequential]`).

use super::boundaries::{Boundaries, Efficacy, Futility, GroupSequential};
use super::spec::{
    BetaSpendingKind, EfficacyKind, FutilityKind, RuleKind, SequentialSpec, TimingKind,
};
use super::spending::Spending;
use crate::analysis::Alternative;
use crate::scenario::error::{Issue, IssueKind, suggest};
use crate::scenario::reader::Issues;
use crate::scenario::spec::{AnalysisKind, BinaryKind, Measure, TestKind};
use crate::scenario::validate::{Endpoint, TrialDesign};
use crate::trial::accrual::DAYS_PER_MONTH;
use serde::Serialize;

/// What the primary endpoint is, for cutting data at a look.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PrimaryKind {
    /// A measured change or value at a visit (index into the visits).
    Continuous { visit: usize },
    /// Time to an event (log-rank): information is the number of events.
    TimeToEvent,
    /// A yes/no outcome known at the end of a window (patient day): at a
    /// look only patients whose window is complete are analysed.
    YesNo { window_day: f64 },
}

/// When the looks happen.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "timing", rename_all = "snake_case")]
pub enum Timing {
    /// Every look at a share of the planned information (the last 1).
    Information { fractions: Vec<f64> },
    /// Interim looks at these calendar days; the final when all data are in.
    Calendar { days: Vec<f64> },
    /// Interim looks at these primary event counts; the final at the planned events.
    Events { counts: Vec<u64> },
}

/// Bayesian decision rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bayes {
    /// Normal prior `(mean, sd)` on the benefit; `None`: flat.
    pub prior: Option<(f64, f64)>,
    /// Beta prior `(a, b)` on each arm's proportion (yes/no endpoints).
    pub beta_prior: (f64, f64),
    /// Benefit the posterior probability is of exceeding.
    pub threshold: f64,
    /// Posterior probability needed for success, per look.
    pub efficacy_probability: Vec<f64>,
    /// Stop for futility when the posterior probability is below this.
    pub futility_probability: Option<f64>,
    /// Stop for futility when the predictive probability of success is below this.
    pub futility_predictive: Option<f64>,
}

/// The rule applied at each look.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    GroupSequential {
        design: GroupSequential,
        planned: Boundaries,
    },
    Bayesian(Bayes),
}

/// Sample-size re-estimation by conditional power (promising zone) with the
/// Cui-Hung-Wang weighted inverse-normal statistic after the look.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reestimation {
    /// 0-based look at which the sample size is re-estimated.
    pub at_look: usize,
    pub min_conditional_power: f64,
    pub target_conditional_power: f64,
    pub max_sample_size_factor: f64,
    /// Largest number of patients (planned times the factor).
    pub n_max: u64,
}

/// A checked sequential design.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SequentialDesign {
    /// Index of the primary endpoint.
    pub primary: usize,
    pub primary_name: String,
    pub kind: PrimaryKind,
    /// The endpoint's one-sided alternative (efficacy direction).
    pub alternative: Alternative,
    /// One-sided alpha (the primary endpoint's).
    pub alpha: f64,
    pub looks: usize,
    pub timing: Timing,
    /// Planned information fraction of each look (for calendar looks, from
    /// the expected accrual; the bounds are recomputed at the observed ones).
    pub planned_fractions: Vec<f64>,
    /// Maximum information of an event endpoint (events).
    pub planned_events: Option<u64>,
    pub rule: Rule,
    pub reestimation: Option<Reestimation>,
    /// Patients planned (without re-estimation).
    pub n_planned: u64,
    /// Planned patients per arm `[control, treatment]`.
    pub n_planned_per_arm: [u64; 2],
}

impl SequentialDesign {
    /// Largest number of patients a replicate may enrol.
    pub fn n_max(&self) -> u64 {
        self.reestimation
            .as_ref()
            .map_or(self.n_planned, |r| r.n_max)
    }

    /// Short description (`asOF, 3 looks, futility bsOF non-binding`).
    pub fn describe(&self) -> String {
        let timing = match &self.timing {
            Timing::Information { .. } => "at information fractions".to_string(),
            Timing::Calendar { .. } => "at calendar months".to_string(),
            Timing::Events { .. } => "at event counts".to_string(),
        };
        let rule = match &self.rule {
            Rule::GroupSequential { design, .. } => {
                let fut = match design.futility {
                    Futility::None => String::new(),
                    Futility::BetaSpending { spending, binding } => format!(
                        ", futility by beta spending {} ({})",
                        spending.label().replacen("as", "bs", 1),
                        match binding {
                            super::Binding::Binding => "binding",
                            super::Binding::NonBinding => "non-binding",
                        }
                    ),
                    Futility::ConditionalPower { threshold, under } => format!(
                        ", futility if conditional power < {threshold} ({})",
                        match under {
                            super::Trend::CurrentTrend => "current trend",
                            super::Trend::Design => "design effect",
                        }
                    ),
                };
                format!(
                    "group-sequential, efficacy {}{fut}",
                    design.efficacy.label()
                )
            }
            Rule::Bayesian(b) => format!(
                "Bayesian, success if P(benefit > {}) >= {}",
                b.threshold,
                b.efficacy_probability
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join("/")
            ),
        };
        let ssr = if self.reestimation.is_some() {
            ", sample-size re-estimation (promising zone, Cui-Hung-Wang)"
        } else {
            ""
        };
        format!(
            "{} looks {timing} on {}, one-sided alpha {}, {rule}{ssr}",
            self.looks, self.primary_name, self.alpha
        )
    }
}

fn err(issues: &Issues, kind: IssueKind, path: &str, msg: impl Into<String>) {
    issues.borrow_mut().push(Issue::new(kind, path, msg));
}

const P: &str = "trial.sequential";

fn key(k: &str) -> String {
    format!("{P}.{k}")
}

/// Check `[trial.sequential]` against the endpoints and the trial.
pub fn validate(
    s: &SequentialSpec,
    endpoints: &[Endpoint],
    trial: &TrialDesign,
    weights: [u64; 2],
    follow_up_days: f64,
    issues: &Issues,
) -> Option<SequentialDesign> {
    let before = issues.borrow().len();
    let name = s.primary.clone()?;
    let Some(primary) = endpoints.iter().position(|e| e.name == name) else {
        let names: Vec<&str> = endpoints.iter().map(|e| e.name.as_str()).collect();
        let hint = suggest(&name, names.iter().copied())
            .map(|m| format!(" (did you mean \"{m}\"?)"))
            .unwrap_or_default();
        err(
            issues,
            IssueKind::UnknownKey,
            &key("primary"),
            format!(
                "no endpoint named \"{name}\"{hint}; endpoints: {}",
                names.join(", ")
            ),
        );
        return None;
    };
    let ep = &endpoints[primary];
    let ep_path = format!("endpoints[{primary}]");
    if ep.alternative == Alternative::TwoSided {
        err(
            issues,
            IssueKind::Inconsistent,
            &format!("{ep_path}.alternative"),
            format!(
                "the primary endpoint of [trial.sequential] (\"{name}\") needs a one-sided alternative, \"greater\" or \"less\" (the efficacy direction), with its one-sided alpha (e.g. alpha = 0.025)"
            ),
        );
    }
    if !(ep.alpha > 0.0 && ep.alpha < 0.5) {
        err(
            issues,
            IssueKind::OutOfRange,
            &format!("{ep_path}.alpha"),
            format!(
                "the one-sided alpha of a sequential primary endpoint must be in (0, 0.5) (got {})",
                ep.alpha
            ),
        );
    }
    if matches!(
        ep.test,
        TestKind::NegativeBinomial | TestKind::Lwyy | TestKind::WinRatio | TestKind::Mmrm
    ) {
        err(
            issues,
            IssueKind::Inconsistent,
            &key("primary"),
            format!(
                "the primary endpoint \"{name}\" uses test = \"{}\", which interim looks do not support yet; a sequential primary endpoint uses welch, student, wilcoxon, ancova, logrank, fisher or proportions_z (the {} endpoint can stay a secondary endpoint)",
                ep.test.key(),
                ep.test.key()
            ),
        );
        return None;
    }
    let kind = match (ep.measure, yes_no_window(ep, trial, follow_up_days)) {
        (_, Some(window_day)) => PrimaryKind::YesNo { window_day },
        (Measure::Continuous { .. }, None) => PrimaryKind::Continuous {
            visit: ep.visit.expect("validated continuous endpoint"),
        },
        _ => PrimaryKind::TimeToEvent,
    };
    if let Measure::Binary {
        outcome: BinaryKind::AnaPositive,
    } = ep.measure
    {
        err(
            issues,
            IssueKind::Inconsistent,
            &key("primary"),
            "ana_positive is recorded as a status at the end of follow-up and cannot be analysed at interim looks",
        );
    }
    let n_planned_per_arm = [trial.n_per_arm * weights[0], trial.n_per_arm * weights[1]];
    let n_planned = n_planned_per_arm[0] + n_planned_per_arm[1];

    // Looks and their timing.
    let interims = |v: &Option<Vec<f64>>| v.as_ref().map(|x| x.len() + 1);
    let implied = match s.timing {
        TimingKind::Information => s.information_fractions.as_ref().map(|f| f.len()),
        TimingKind::Calendar => interims(&s.calendar_months),
        TimingKind::Events => interims(&s.event_counts),
    };
    for (k, t) in [
        ("information_fractions", TimingKind::Information),
        ("calendar_months", TimingKind::Calendar),
        ("event_counts", TimingKind::Events),
    ] {
        if s.given.iter().any(|g| g == k) && s.timing != t {
            err(
                issues,
                IssueKind::Inconsistent,
                &key(k),
                format!(
                    "only used with timing = \"{}\" (timing is \"{}\")",
                    timing_word(t),
                    timing_word(s.timing)
                ),
            );
        }
    }
    let looks = match (s.looks, implied) {
        (Some(l), Some(i)) if l as usize != i => {
            err(
                issues,
                IssueKind::Inconsistent,
                &key("looks"),
                format!("{l} looks, but the timing lists {i} (interim looks and the final one)"),
            );
            i
        }
        (_, Some(i)) => i,
        (Some(l), None) if s.timing == TimingKind::Information => l as usize,
        (_, None) => {
            let (k, what) = match s.timing {
                TimingKind::Information => (
                    "looks",
                    "the number of looks (equally spaced), or information_fractions = [0.5, 1]",
                ),
                TimingKind::Calendar => (
                    "calendar_months",
                    "the calendar months of the interim looks, e.g. [12, 24]",
                ),
                TimingKind::Events => (
                    "event_counts",
                    "the primary event counts of the interim looks, e.g. [20, 40]",
                ),
            };
            err(
                issues,
                IssueKind::Missing,
                &key(k),
                format!("required key `{k}` ({what}) is missing in [{P}]"),
            );
            return None;
        }
    };
    if !(1..=20).contains(&looks) {
        err(
            issues,
            IssueKind::OutOfRange,
            &key("looks"),
            format!("1 to 20 looks (got {looks})"),
        );
        return None;
    }
    if kind == PrimaryKind::TimeToEvent && s.planned_events.is_none() {
        err(
            issues,
            IssueKind::Missing,
            &key("planned_events"),
            format!(
                "the primary endpoint \"{name}\" is a time to event: give planned_events, the number of events at the final analysis (the maximum information)"
            ),
        );
    }
    if kind != PrimaryKind::TimeToEvent && s.planned_events.is_some() {
        err(
            issues,
            IssueKind::Inconsistent,
            &key("planned_events"),
            "only for a time-to-event primary endpoint",
        );
    }
    if let Some(e) = s.planned_events
        && e == 0
    {
        err(
            issues,
            IssueKind::OutOfRange,
            &key("planned_events"),
            "must be at least 1",
        );
    }
    let staggered = trial.accrual.is_some();
    let timing = match s.timing {
        TimingKind::Information => {
            let f = s
                .information_fractions
                .clone()
                .unwrap_or_else(|| (1..=looks).map(|k| k as f64 / looks as f64).collect());
            let ok = f.iter().all(|&t| t > 0.0 && t <= 1.0)
                && f.windows(2).all(|w| w[1] > w[0])
                && f.last() == Some(&1.0);
            if !ok {
                err(
                    issues,
                    IssueKind::OutOfRange,
                    &key("information_fractions"),
                    format!(
                        "must increase strictly within (0, 1] and end with 1, one per look (got {f:?})"
                    ),
                );
            }
            Timing::Information { fractions: f }
        }
        TimingKind::Calendar => {
            let m = s.calendar_months.clone().unwrap_or_default();
            if m.iter().any(|&x| !(x > 0.0 && x <= 1200.0)) || m.windows(2).any(|w| w[1] <= w[0]) {
                err(
                    issues,
                    IssueKind::OutOfRange,
                    &key("calendar_months"),
                    format!("must increase strictly within (0, 1200] months (got {m:?})"),
                );
            }
            Timing::Calendar {
                days: m.iter().map(|x| x * DAYS_PER_MONTH).collect(),
            }
        }
        TimingKind::Events => {
            let c = s.event_counts.clone().unwrap_or_default();
            if kind != PrimaryKind::TimeToEvent {
                err(
                    issues,
                    IssueKind::Inconsistent,
                    &key("timing"),
                    "timing = \"events\" needs a time-to-event primary endpoint",
                );
            }
            let planned = s.planned_events.unwrap_or(u64::MAX) as f64;
            if c.iter()
                .any(|&x| !(x >= 1.0 && x.fract() == 0.0 && x < planned))
                || c.windows(2).any(|w| w[1] <= w[0])
            {
                err(
                    issues,
                    IssueKind::OutOfRange,
                    &key("event_counts"),
                    format!("whole numbers increasing strictly, below planned_events (got {c:?})"),
                );
            }
            Timing::Events {
                counts: c.iter().map(|&x| x as u64).collect(),
            }
        }
    };
    if looks > 1 && !staggered && kind != PrimaryKind::TimeToEvent {
        err(
            issues,
            IssueKind::Missing,
            "trial.accrual",
            format!(
                "interim looks at \"{name}\" need staggered entry: without [trial.accrual] every patient enrols on day 0 and has the endpoint on the same day, so no interim look could see part of the data"
            ),
        );
    }
    // Planned information fractions.
    let planned_fractions: Vec<f64> = match &timing {
        Timing::Information { fractions } => fractions.clone(),
        Timing::Events { counts } => {
            let total = s.planned_events.unwrap_or(1).max(1) as f64;
            counts
                .iter()
                .map(|&c| c as f64 / total)
                .chain([1.0])
                .collect()
        }
        Timing::Calendar { days } => match (kind, &trial.accrual) {
            (PrimaryKind::TimeToEvent, _) | (_, None) => {
                (1..=looks).map(|k| k as f64 / looks as f64).collect()
            }
            (_, Some(acc)) => {
                let horizon = match kind {
                    PrimaryKind::Continuous { visit } => trial.visits[visit].day,
                    PrimaryKind::YesNo { window_day } => window_day,
                    PrimaryKind::TimeToEvent => 0.0,
                };
                let f: Vec<f64> = days
                    .iter()
                    .map(|&d| (acc.expected_by(d - horizon) / n_planned as f64).min(1.0))
                    .chain([1.0])
                    .collect();
                if f[..looks - 1].iter().any(|&x| x <= 0.0 || x >= 1.0)
                    || f.windows(2).any(|w| w[1] <= w[0])
                {
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        &key("calendar_months"),
                        format!(
                            "with the accrual the expected shares of patients with \"{name}\" observed at these months are {:?}: every interim look needs some but not all of the data",
                            f.iter()
                                .map(|x| (x * 1000.0).round() / 1000.0)
                                .collect::<Vec<_>>()
                        ),
                    );
                }
                f
            }
        },
    };

    let reestimation = s.reestimation.as_ref().and_then(|r| {
        let rp = |k: &str| format!("{P}.reestimation.{k}");
        let mut ok = true;
        if s.rule != RuleKind::GroupSequential {
            err(
                issues,
                IssueKind::Inconsistent,
                &key("reestimation"),
                "sample-size re-estimation goes with rule = \"group_sequential\"",
            );
            ok = false;
        }
        if kind == PrimaryKind::TimeToEvent {
            err(
                issues,
                IssueKind::Inconsistent,
                &key("reestimation"),
                "sample-size re-estimation is for patient-count endpoints (continuous or yes/no), not event-driven ones",
            );
            ok = false;
        }
        if looks < 2 {
            err(
                issues,
                IssueKind::Inconsistent,
                &key("reestimation"),
                "needs an interim look",
            );
            return None;
        }
        let at = r.at_look.unwrap_or(looks as u64 - 1);
        if !(1..looks as u64).contains(&at) {
            err(
                issues,
                IssueKind::OutOfRange,
                &rp("at_look"),
                format!("an interim look, 1 to {} (got {at})", looks - 1),
            );
            ok = false;
        }
        if !(r.target_conditional_power > 0.0 && r.target_conditional_power < 1.0) {
            err(
                issues,
                IssueKind::OutOfRange,
                &rp("target_conditional_power"),
                format!("must be in (0, 1) (got {})", r.target_conditional_power),
            );
            ok = false;
        }
        if !(r.min_conditional_power > 0.0
            && r.min_conditional_power < r.target_conditional_power)
        {
            err(
                issues,
                IssueKind::OutOfRange,
                &rp("min_conditional_power"),
                format!(
                    "must be in (0, target_conditional_power = {}) (got {})",
                    r.target_conditional_power, r.min_conditional_power
                ),
            );
            ok = false;
        }
        if !(1.0..=10.0).contains(&r.max_sample_size_factor) {
            err(
                issues,
                IssueKind::OutOfRange,
                &rp("max_sample_size_factor"),
                format!("must be in [1, 10] (got {})", r.max_sample_size_factor),
            );
            ok = false;
        }
        ok.then(|| Reestimation {
            at_look: at as usize - 1,
            min_conditional_power: r.min_conditional_power,
            target_conditional_power: r.target_conditional_power,
            max_sample_size_factor: r.max_sample_size_factor,
            n_max: (n_planned as f64 * r.max_sample_size_factor).floor() as u64,
        })
    });
    let gamma_of = |what: &str, k: &str, v: Option<f64>| -> f64 {
        v.unwrap_or_else(|| {
            err(
                issues,
                IssueKind::Missing,
                &key(k),
                format!("{what} needs `{k}`"),
            );
            0.0
        })
    };
    let rule = match s.rule {
        RuleKind::GroupSequential => {
            if s.bayesian.is_some() {
                err(
                    issues,
                    IssueKind::Inconsistent,
                    &key("bayesian"),
                    "only used with rule = \"bayesian\"",
                );
            }
            let efficacy = match s.efficacy {
                EfficacyKind::Of => Efficacy::OBrienFleming,
                EfficacyKind::Pocock => Efficacy::Pocock,
                EfficacyKind::Asof => Efficacy::Spending {
                    spending: Spending::OBrienFleming,
                },
                EfficacyKind::Asp => Efficacy::Spending {
                    spending: Spending::Pocock,
                },
                EfficacyKind::Ashsd => Efficacy::Spending {
                    spending: Spending::HwangShihDeCani {
                        gamma: gamma_of("efficacy = \"ashsd\"", "gamma", s.gamma),
                    },
                },
                EfficacyKind::Askd => Efficacy::Spending {
                    spending: Spending::Power {
                        rho: gamma_of("efficacy = \"askd\" (rho)", "gamma", s.gamma),
                    },
                },
            };
            if matches!(efficacy, Efficacy::OBrienFleming | Efficacy::Pocock)
                && s.timing == TimingKind::Calendar
            {
                err(
                    issues,
                    IssueKind::Inconsistent,
                    &key("efficacy"),
                    "classical bounds are fixed at the planned information; with calendar looks (information known only at the look) use a spending function: \"asof\", \"asp\", \"ashsd\" or \"askd\"",
                );
            }
            let futility = match s.futility {
                FutilityKind::None => Futility::None,
                FutilityKind::BetaSpending => Futility::BetaSpending {
                    spending: match s.beta_spending {
                        BetaSpendingKind::Bsof => Spending::OBrienFleming,
                        BetaSpendingKind::Bsp => Spending::Pocock,
                        BetaSpendingKind::Bshsd => Spending::HwangShihDeCani {
                            gamma: gamma_of(
                                "beta_spending = \"bshsd\"",
                                "gamma_beta",
                                s.gamma_beta,
                            ),
                        },
                        BetaSpendingKind::Bskd => Spending::Power {
                            rho: gamma_of(
                                "beta_spending = \"bskd\" (rho)",
                                "gamma_beta",
                                s.gamma_beta,
                            ),
                        },
                    },
                    binding: s.futility_binding,
                },
                FutilityKind::ConditionalPower => Futility::ConditionalPower {
                    threshold: s.conditional_power_threshold.unwrap_or_else(|| {
                        err(
                            issues,
                            IssueKind::Missing,
                            &key("conditional_power_threshold"),
                            "futility = \"conditional_power\" needs conditional_power_threshold (e.g. 0.1)",
                        );
                        0.1
                    }),
                    under: s.conditional_power_under,
                },
            };
            let unused = |k: &str, when: &str| {
                if s.given.iter().any(|g| g == k) {
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        &key(k),
                        format!("only used with {when}"),
                    );
                }
            };
            if s.futility != FutilityKind::BetaSpending {
                unused("beta_spending", "futility = \"beta_spending\"");
                unused("gamma_beta", "futility = \"beta_spending\"");
                unused("futility_binding", "futility = \"beta_spending\"");
            }
            if s.futility != FutilityKind::ConditionalPower {
                unused(
                    "conditional_power_threshold",
                    "futility = \"conditional_power\"",
                );
                unused(
                    "conditional_power_under",
                    "futility = \"conditional_power\"",
                );
            }
            if !matches!(s.efficacy, EfficacyKind::Ashsd | EfficacyKind::Askd) {
                unused("gamma", "efficacy = \"ashsd\" or \"askd\"");
            }
            let design = GroupSequential {
                alpha: ep.alpha,
                beta: s.beta,
                fractions: planned_fractions.clone(),
                efficacy,
                futility,
            };
            if issues.borrow().len() > before {
                return None;
            }
            match design.compute() {
                Ok(planned) => Rule::GroupSequential { design, planned },
                Err(e) => {
                    err(issues, IssueKind::OutOfRange, P, e.to_string());
                    return None;
                }
            }
        }
        RuleKind::Bayesian => {
            for k in [
                "efficacy",
                "gamma",
                "futility",
                "beta_spending",
                "gamma_beta",
                "futility_binding",
                "conditional_power_threshold",
                "conditional_power_under",
            ] {
                if s.given.iter().any(|g| g == k) {
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        &key(k),
                        "only used with rule = \"group_sequential\" (the Bayesian rule is set in [trial.sequential.bayesian])",
                    );
                }
            }
            let b = s.bayesian.clone().unwrap_or(super::spec::BayesianSpec {
                prior_mean: 0.0,
                prior_sd: None,
                prior_a: 1.0,
                prior_b: 1.0,
                threshold: 0.0,
                efficacy_probability: vec![0.975],
                futility_probability: None,
                futility_predictive_probability: None,
                given: Vec::new(),
            });
            let bp = |k: &str| format!("{P}.bayesian.{k}");
            let yes_no = matches!(kind, PrimaryKind::YesNo { .. });
            for k in ["prior_mean", "prior_sd"] {
                if yes_no && b.given.iter().any(|g| g == k) {
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        &bp(k),
                        "a yes/no primary endpoint has a beta prior per arm: use prior_a and prior_b",
                    );
                }
            }
            for k in ["prior_a", "prior_b"] {
                if !yes_no && b.given.iter().any(|g| g == k) {
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        &bp(k),
                        "a beta prior is for yes/no endpoints; this primary endpoint has a normal prior on its effect (prior_mean, prior_sd)",
                    );
                }
            }
            if let Some(sd) = b.prior_sd
                && sd <= 0.0
            {
                err(
                    issues,
                    IssueKind::OutOfRange,
                    &bp("prior_sd"),
                    format!("must be > 0 (omit it for a flat prior) (got {sd})"),
                );
            }
            for (k, v) in [("prior_a", b.prior_a), ("prior_b", b.prior_b)] {
                if !(v > 0.0 && v <= 1e6) {
                    err(
                        issues,
                        IssueKind::OutOfRange,
                        &bp(k),
                        format!("must be in (0, 1e6] (got {v})"),
                    );
                }
            }
            if yes_no && b.threshold.abs() >= 1.0 {
                err(
                    issues,
                    IssueKind::OutOfRange,
                    &bp("threshold"),
                    format!(
                        "a difference in proportions lies in (-1, 1) (got {})",
                        b.threshold
                    ),
                );
            }
            let eff = match b.efficacy_probability.len() {
                1 => vec![b.efficacy_probability[0]; looks],
                n if n == looks => b.efficacy_probability.clone(),
                n => {
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        &bp("efficacy_probability"),
                        format!("give one probability or one per look ({looks}), not {n}"),
                    );
                    vec![0.975; looks]
                }
            };
            if eff.iter().any(|&p| !(p > 0.5 && p < 1.0)) {
                err(
                    issues,
                    IssueKind::OutOfRange,
                    &bp("efficacy_probability"),
                    format!("each must be in (0.5, 1) (got {eff:?})"),
                );
            }
            for (k, v) in [
                ("futility_probability", b.futility_probability),
                (
                    "futility_predictive_probability",
                    b.futility_predictive_probability,
                ),
            ] {
                if let Some(v) = v
                    && !(v > 0.0 && v < 0.5)
                {
                    err(
                        issues,
                        IssueKind::OutOfRange,
                        &bp(k),
                        format!("must be in (0, 0.5) (got {v})"),
                    );
                }
            }
            Rule::Bayesian(Bayes {
                prior: b.prior_sd.map(|sd| (b.prior_mean, sd)),
                beta_prior: (b.prior_a, b.prior_b),
                threshold: b.threshold,
                efficacy_probability: eff,
                futility_probability: b.futility_probability,
                futility_predictive: b.futility_predictive_probability,
            })
        }
    };
    if issues.borrow().len() > before {
        return None;
    }
    Some(SequentialDesign {
        primary,
        primary_name: name,
        kind,
        alternative: ep.alternative,
        alpha: ep.alpha,
        looks,
        timing,
        planned_fractions,
        planned_events: s.planned_events,
        rule,
        reestimation,
        n_planned,
        n_planned_per_arm,
    })
}

/// The window (patient days) at whose end a yes/no outcome is known:
/// `Some` for yes/no endpoints and events analysed as proportions.
pub fn yes_no_window(ep: &Endpoint, trial: &TrialDesign, follow_up_days: f64) -> Option<f64> {
    match ep.measure {
        Measure::Continuous { .. } => None,
        Measure::Event { .. }
            if matches!(
                ep.analysis,
                AnalysisKind::TimeToEvent | AnalysisKind::RecurrentEvents
            ) =>
        {
            None
        }
        Measure::Event { .. } => Some(ep.by_day),
        Measure::Binary { outcome } => Some(match (outcome, ep.visit) {
            (BinaryKind::DDimerAboveUln, Some(v)) => trial.visits[v].day,
            _ => follow_up_days,
        }),
        Measure::Hierarchy => None,
    }
}

fn timing_word(t: TimingKind) -> &'static str {
    match t {
        TimingKind::Information => "information",
        TimingKind::Calendar => "calendar",
        TimingKind::Events => "events",
    }
}
