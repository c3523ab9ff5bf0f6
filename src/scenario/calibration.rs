//! `[calibration]`: which published trial a scenario reproduces and the
//! targets its simulated trials are compared with (`hfsim calibrate`).
//!
//! ```toml
//! [calibration]
//! trial = "MSC-HF"
//! reference = "Mathiasen et al., Eur Heart J 2015;36:1744-53"
//! source = "shared/trials.md section 2"
//!
//! [[calibration.targets]]
//! name = "dlvesv_d180_difference"
//! statistic = "change_difference"
//! quantity = "lvesv"
//! modality = "mri"
//! day = 180
//! arm = "msc"
//! control = "placebo"
//! published = -13.0
//! kind = "typical"
//! tag = "S"
//! ```
//! Checked here against the scenario's arms and visits; computed by
//! `crate::calibration::compute`.

use super::error::{IssueKind, suggest};
use super::reader::Issues;
use super::spec::{CalibrationSpec, EventKind, MODALITIES, TargetSpec};
use super::validate::{Arm, TrialDesign};
use crate::calibration::{BUILTIN_TARGETS, Group, Kind, Statistic, Target, TrialTargets};
use crate::model::observation::{Modality, Quantity};

/// `statistic = ...` and what each needs.
pub const STATISTICS: &[(&str, &str)] = &[
    (
        "baseline_mean",
        "mean over all arms of a measurement at its baseline visit (quantity, modality)",
    ),
    ("baseline_sd", "SD over all arms of a baseline measurement"),
    (
        "change_mean",
        "mean change from baseline to `day` in `arm` (quantity, modality, day, arm)",
    ),
    ("change_sd", "SD of the change in `arm`"),
    (
        "change_difference",
        "mean change in `arm` minus mean change in `control`",
    ),
    ("change_t", "Student t of the change, `arm` minus `control`"),
    ("change_within_t", "one-sample t of the change in `arm`"),
    (
        "event_share",
        "share of `arm`'s patients with at least one `event` by `day`",
    ),
    (
        "event_share_ratio",
        "`event_share` of `arm` divided by that of `control`",
    ),
];

const EVENTS: &[(&str, EventKind)] = &[
    ("death", EventKind::Death),
    ("hf_hospitalization", EventKind::HfHospitalization),
    (
        "death_or_hf_hospitalization",
        EventKind::DeathOrHfHospitalization,
    ),
    ("serious_adverse_event", EventKind::SeriousAdverseEvent),
];

const KINDS: &[(&str, Kind)] = &[
    ("typical", Kind::Typical),
    ("lower_bound", Kind::LowerBound),
    ("upper_bound", Kind::UpperBound),
    ("one_sided_upper", Kind::OneSidedUpper),
    ("one_sided_lower", Kind::OneSidedLower),
];

fn err(issues: &Issues, kind: IssueKind, path: impl Into<String>, msg: impl Into<String>) {
    issues
        .borrow_mut()
        .push(super::error::Issue::new(kind, path, msg));
}

fn names<T>(options: &[(&str, T)]) -> String {
    options
        .iter()
        .map(|(k, _)| format!("\"{k}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One of `options` by key, or an issue at `path` naming what is allowed.
fn choose<T: Copy>(
    issues: &Issues,
    path: &str,
    word: Option<&String>,
    options: &[(&str, T)],
    what: &str,
) -> Option<T> {
    let Some(w) = word else {
        err(
            issues,
            IssueKind::Missing,
            path,
            format!(
                "required for this statistic: {what} (one of {})",
                names(options)
            ),
        );
        return None;
    };
    match options.iter().find(|(k, _)| k == w) {
        Some((_, v)) => Some(*v),
        None => {
            let hint = suggest(w, options.iter().map(|(k, _)| *k))
                .map(|s| format!("; did you mean \"{s}\"?"))
                .unwrap_or_default();
            err(
                issues,
                IssueKind::OutOfRange,
                path,
                format!("unknown {what} \"{w}\"{hint} (allowed: {})", names(options)),
            );
            None
        }
    }
}

/// Check `[calibration]` against the scenario's arms (`[control,
/// treatment]`) and visits.
pub fn validate(
    c: &CalibrationSpec,
    arms: &[Arm; 2],
    trial: &TrialDesign,
    follow_up_days: f64,
    issues: &Issues,
) -> Option<TrialTargets> {
    let before = issues.borrow().len();
    let mut targets = Vec::new();
    let mut prime_patterns = false;
    if let Some(b) = &c.builtin {
        match b.as_str() {
            "prime_hfref" => {
                targets = crate::calibration::prime_targets();
                prime_patterns = true;
            }
            other => err(
                issues,
                IssueKind::OutOfRange,
                "calibration.builtin",
                format!(
                    "unknown built-in target set \"{other}\" (allowed: {})",
                    BUILTIN_TARGETS
                        .iter()
                        .map(|s| format!("\"{s}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        }
    }
    let arm_keys: Vec<(&str, usize)> = arms
        .iter()
        .enumerate()
        .map(|(i, a)| (a.key.as_str(), i))
        .collect();
    for t in &c.targets {
        if let Some(target) = validate_target(t, &arm_keys, trial, follow_up_days, issues) {
            if targets.iter().any(|x: &Target| x.name == target.name) {
                err(
                    issues,
                    IssueKind::Inconsistent,
                    format!("{}.name", t.path),
                    format!(
                        "target \"{}\" is defined twice (names must be unique)",
                        target.name
                    ),
                );
            }
            targets.push(target);
        }
    }
    if targets.is_empty() && issues.borrow().len() == before {
        err(
            issues,
            IssueKind::Missing,
            "calibration.targets",
            "[calibration] needs at least one [[calibration.targets]] table (or builtin = \"prime_hfref\")",
        );
    }
    if issues.borrow().len() > before {
        return None;
    }
    Some(TrialTargets {
        trial: c.trial.clone().unwrap_or_default(),
        reference: c.reference.clone(),
        source: c.source.clone(),
        prime_patterns,
        targets,
    })
}

fn validate_target(
    t: &TargetSpec,
    arm_keys: &[(&str, usize)],
    trial: &TrialDesign,
    follow_up_days: f64,
    issues: &Issues,
) -> Option<Target> {
    let before = issues.borrow().len();
    let at = |key: &str| format!("{}.{key}", t.path);
    let name = t.name.clone().unwrap_or_default();
    if t.name.is_some()
        && (name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
    {
        err(
            issues,
            IssueKind::OutOfRange,
            at("name"),
            "use lower-case letters, digits and '_' (snake_case)",
        );
    }
    let statistic = t.statistic.as_ref().and_then(|s| {
        let found = STATISTICS.iter().any(|(k, _)| k == s);
        if !found {
            let hint = suggest(s, STATISTICS.iter().map(|(k, _)| *k))
                .map(|x| format!("; did you mean \"{x}\"?"))
                .unwrap_or_default();
            err(
                issues,
                IssueKind::OutOfRange,
                at("statistic"),
                format!(
                    "unknown statistic \"{s}\"{hint} (allowed: {})",
                    names(STATISTICS)
                ),
            );
        }
        found.then_some(s.as_str())
    })?;
    let needs_arm = statistic != "baseline_mean" && statistic != "baseline_sd";
    let needs_control = matches!(
        statistic,
        "change_difference" | "change_t" | "event_share_ratio"
    );
    let is_event = statistic.starts_with("event_");
    let unused = |key: &str, present: bool, why: &str| {
        if present {
            err(
                issues,
                IssueKind::Inconsistent,
                at(key),
                format!("not used by statistic \"{statistic}\" ({why}); remove it"),
            );
        }
    };
    let arm = if needs_arm {
        choose(issues, &at("arm"), t.arm.as_ref(), arm_keys, "arm")
    } else {
        unused("arm", t.arm.is_some(), "it pools every arm");
        None
    };
    let control = if needs_control {
        let c = choose(issues, &at("control"), t.control.as_ref(), arm_keys, "arm");
        if c.is_some() && c == arm {
            err(
                issues,
                IssueKind::Inconsistent,
                at("control"),
                "must be another arm than `arm`",
            );
        }
        c
    } else {
        unused("control", t.control.is_some(), "it is about one arm");
        None
    };
    let published = t.published.filter(|p| p.is_finite());
    if t.published.is_some() && published.is_none() {
        err(
            issues,
            IssueKind::OutOfRange,
            at("published"),
            "must be a finite number",
        );
    }
    let kind = match &t.kind {
        Some(k) => choose(issues, &at("kind"), Some(k), KINDS, "kind"),
        None => Some(Kind::Typical),
    };
    let tag = match t.tag.as_deref() {
        Some(x @ ("S" | "R")) => Some(x.to_string()),
        Some(other) => {
            err(
                issues,
                IssueKind::OutOfRange,
                at("tag"),
                format!(
                    "unknown tag \"{other}\" (allowed: \"S\" read in a source copy, \"R\" recalled, unverified)"
                ),
            );
            None
        }
        None => {
            err(
                issues,
                IssueKind::Missing,
                at("tag"),
                "required: \"S\" (read in a source copy) or \"R\" (recalled, unverified)",
            );
            None
        }
    };
    let stat = if is_event {
        unused("quantity", t.quantity.is_some(), "it counts events");
        unused("modality", t.modality.is_some(), "it counts events");
        let event = choose(issues, &at("event"), t.event.as_ref(), EVENTS, "event");
        let day = match t.day {
            Some(d) if d > 0.0 && d <= follow_up_days => Some(d),
            Some(d) => {
                err(
                    issues,
                    IssueKind::OutOfRange,
                    at("day"),
                    format!("must be in (0, run.follow_up_days = {follow_up_days}] (got {d})"),
                );
                None
            }
            None => {
                err(
                    issues,
                    IssueKind::Missing,
                    at("day"),
                    "required: events are counted up to this day",
                );
                None
            }
        };
        let (event, day, arm) = (event?, day?, arm?);
        if statistic == "event_share" {
            Statistic::EventShare { arm, event, day }
        } else {
            Statistic::EventShareRatio {
                arm,
                control: control?,
                event,
                day,
            }
        }
    } else {
        unused("event", t.event.is_some(), "it is about a measurement");
        let quantity = choose(
            issues,
            &at("quantity"),
            t.quantity.as_ref(),
            &Quantity::ALL
                .iter()
                .map(|q| (q.key(), *q))
                .collect::<Vec<_>>(),
            "quantity",
        )?;
        let modality = match &t.modality {
            None if quantity.modalities().len() == 1 => Some(quantity.modalities()[0]),
            m => choose(issues, &at("modality"), m.as_ref(), MODALITIES, "modality"),
        }?;
        if !quantity.modalities().contains(&modality) {
            err(
                issues,
                IssueKind::Inconsistent,
                at("modality"),
                format!(
                    "{} is not measured by {} (it is by: {})",
                    quantity.key(),
                    modality_key(modality),
                    quantity
                        .modalities()
                        .iter()
                        .map(|m| modality_key(*m))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            return None;
        }
        let Some(b) = trial.baseline_visit(modality) else {
            err(
                issues,
                IssueKind::Inconsistent,
                at("modality"),
                format!(
                    "no visit measures {} (add it to a visit's `measures`)",
                    modality_key(modality)
                ),
            );
            return None;
        };
        let baseline_day = trial.visits[b].day;
        let baseline = statistic.starts_with("baseline_");
        let day = if baseline {
            match t.day {
                Some(d) if (d - baseline_day).abs() >= 0.5 => {
                    err(
                        issues,
                        IssueKind::Inconsistent,
                        at("day"),
                        format!(
                            "a baseline statistic is at the baseline visit of {} (day {baseline_day}); remove `day` or set it to {baseline_day}",
                            modality_key(modality)
                        ),
                    );
                    return None;
                }
                _ => baseline_day,
            }
        } else {
            let Some(d) = t.day else {
                err(
                    issues,
                    IssueKind::Missing,
                    at("day"),
                    "required: the follow-up visit day of the change",
                );
                return None;
            };
            let days: Vec<String> = trial
                .visits
                .iter()
                .filter(|v| v.measures(modality) && v.day > baseline_day)
                .map(|v| format!("{}", v.day))
                .collect();
            let ok = trial
                .visits
                .iter()
                .any(|v| v.measures(modality) && v.day > baseline_day && (v.day - d).abs() < 0.5);
            if !ok {
                err(
                    issues,
                    IssueKind::Inconsistent,
                    at("day"),
                    format!(
                        "no follow-up visit at day {d} measures {} (visit days that do: {})",
                        modality_key(modality),
                        if days.is_empty() {
                            "none".to_string()
                        } else {
                            days.join(", ")
                        }
                    ),
                );
                return None;
            }
            d
        };
        match statistic {
            "baseline_mean" | "baseline_sd" => Statistic::BaselineMeasured {
                quantity,
                modality,
                day,
                sd: statistic == "baseline_sd",
            },
            "change_mean" | "change_sd" => Statistic::Change {
                arm: arm?,
                quantity,
                modality,
                day,
                sd: statistic == "change_sd",
            },
            "change_difference" => Statistic::ChangeDifference {
                arm: arm?,
                control: control?,
                quantity,
                modality,
                day,
            },
            "change_t" => Statistic::ChangeT {
                arm: arm?,
                control: control?,
                quantity,
                modality,
                day,
            },
            _ => Statistic::ChangeWithinT {
                arm: arm?,
                quantity,
                modality,
                day,
            },
        }
    };
    if issues.borrow().len() > before {
        return None;
    }
    let mut description = if t.description.is_empty() {
        name.replace('_', " ")
    } else {
        t.description.clone()
    };
    if !t.note.is_empty() {
        description = format!("{description} ({})", t.note);
    }
    Some(Target {
        name,
        group: if statistic.starts_with("baseline_") {
            Group::Baseline
        } else {
            Group::Outcome
        },
        description,
        published: published?,
        unit: t.unit.clone(),
        statistic: stat,
        in_objective: t.fit.unwrap_or(true),
        kind: kind?,
        tag: tag?,
    })
}

fn modality_key(m: Modality) -> &'static str {
    MODALITIES
        .iter()
        .find(|(_, x)| *x == m)
        .map(|(k, _)| *k)
        .unwrap_or("?")
}
