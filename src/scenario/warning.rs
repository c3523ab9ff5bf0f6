//! Warnings: what a scenario may do but probably should not (a slip, a
//! value far from any evidence, an unblinded schedule). Unlike problems
//! ([`super::Issue`]), warnings never stop a run: `validate`, `run` and
//! `sweep` print them with file, line and key, and they are written into
//! `summary.json` (`warnings`) and `report.html`.
//!
//! Other checks add warnings through the same small API: write a function
//! `fn(&Scenario, &mut Warnings)` and list it in [`CHECKS`] (or push to the
//! [`Warnings`] of a loaded scenario); locating them in the file and
//! reporting them is done for every warning alike.

use super::error::Location;
use super::spec::Role;
use super::validate::Scenario;
use crate::model::Route;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a warning is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// A value far outside the range given to patients (see [`EVIDENCE`]).
    OutsideEvidence,
    /// The arms' dosing schedules differ: the placebo no longer blinds the
    /// schedule, and visits timed to the doses of one arm miss the other's.
    SchedulesDiffer,
    /// A `--set` override replaced a sweep axis (the override wins).
    OverrideReplacesAxis,
    /// The scenario leaves the model's applicability domain.
    ApplicabilityDomain,
    /// A value that is possible but implausible.
    Plausibility,
}

/// One warning, located like a problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    pub kind: WarningKind,
    /// The scenario file (or the base file the key is written in).
    pub file: String,
    /// Line and column in `file`, when the key is written there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// The `--set` override or sweep design point it comes from, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Key path (`arms.msc.interval_days`).
    pub key: String,
    pub message: String,
}

impl Warning {
    /// A warning at `key`, to be located by [`Warning::locate`].
    pub fn new(kind: WarningKind, key: impl Into<String>, message: impl Into<String>) -> Warning {
        Warning {
            kind,
            file: String::new(),
            line: None,
            column: None,
            origin: None,
            key: key.into(),
            message: message.into(),
        }
    }

    /// Fill in where the key is.
    pub fn locate(&mut self, file: &str, location: Location) {
        self.file = file.to_string();
        match location {
            Location::File { line, column } => {
                self.line = Some(line);
                self.column = Some(column);
            }
            Location::OtherFile { file, line, column } => {
                self.file = file;
                self.line = Some(line);
                self.column = Some(column);
            }
            Location::Override(text) => self.origin = Some(format!("--set {text}")),
            Location::DesignPoint(label) => self.origin = Some(format!("sweep point {label}")),
            Location::Unknown => {}
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "warning: ")?;
        match (&self.origin, self.line) {
            (Some(o), _) if o.starts_with("--set") => write!(f, "{o}: ")?,
            (o, Some(line)) => {
                write!(f, "{}:{line}:{}", self.file, self.column.unwrap_or(1))?;
                if let Some(o) = o {
                    write!(f, " ({o})")?;
                }
                write!(f, ": ")?;
            }
            (Some(o), None) => write!(f, "{} ({o}): ", self.file)?,
            (None, None) => write!(f, "{}: ", self.file)?,
        }
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// The warnings of a scenario, in the order found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Warnings(pub Vec<Warning>);

impl Warnings {
    pub fn push(&mut self, kind: WarningKind, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(Warning::new(kind, key, message));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &Warning> {
        self.0.iter()
    }
}

/// Every check that produces warnings from a checked scenario.
pub const CHECKS: &[fn(&Scenario, &mut Warnings)] = &[
    outside_evidence,
    schedules_differ,
    crate::calibration::domain::check,
];

/// Run every check of [`CHECKS`].
pub fn check(s: &Scenario) -> Warnings {
    let mut w = Warnings::default();
    for c in CHECKS {
        c(s, &mut w);
    }
    w
}

/// Which arms a row of [`EVIDENCE`] applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applies {
    /// Arms given cells by one of these routes (a dose of 0 is a placebo and
    /// never warned about).
    Routes(&'static [Route]),
}

/// The range of an arm setting that has been given to patients, and where
/// that comes from. A value more than [`FAR_FACTOR`] times beyond it (below
/// `low / FAR_FACTOR` or above `high * FAR_FACTOR`) is warned about.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvidenceRange {
    /// The key under `[arms.<key>]`.
    pub key: &'static str,
    pub unit: &'static str,
    pub applies: Applies,
    /// Studied range; `None` where one side has no limit.
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// The source, or "assumption: ..." where there is none.
    pub source: &'static str,
}

/// How far beyond the studied range a value must be to be warned about.
pub const FAR_FACTOR: f64 = 2.0;

const INFUSED: &[Route] = &[Route::Intravenous, Route::Intracoronary];

/// The evidence ranges of the arm settings (human trials unless stated;
/// /work/shared/trials.md and the PRIME-HFrEF paper).
pub const EVIDENCE: &[EvidenceRange] = &[
    EvidenceRange {
        key: "dose_cells_per_kg",
        unit: "cells/kg",
        applies: Applies::Routes(&[Route::Intravenous]),
        low: Some(0.5e6),
        high: Some(5.0e6),
        source: "IV MSC 0.5, 1.6 and 5 x 10^6 cells/kg (Hare, JACC 2009;54:2277); 1.5 x 10^6 (Butler, Circ Res 2017); 1 x 10^6 (PRIME-HFrEF, RIMECARD)",
    },
    EvidenceRange {
        key: "dose_cells_per_kg",
        unit: "cells/kg",
        applies: Applies::Routes(&[Route::Transendocardial, Route::Intracoronary]),
        low: Some(0.28e6),
        high: Some(8.6e6),
        source: "20 to 600 million cells in one procedure (POSEIDON, JAMA 2012; CHART-1, EHJ 2017), per kg at 70 kg; intracoronary: assumption, the same range",
    },
    EvidenceRange {
        key: "dose_cells_per_kg",
        unit: "cells/kg",
        applies: Applies::Routes(&[Route::EpicardialPatch]),
        low: Some(2.0e6),
        high: Some(12.0e6),
        source: "BioVAT-HF (Nature 2025): top dose 10 +/- 2 million cells/kg; lower end: assumption (the lower steps of its dose finding)",
    },
    EvidenceRange {
        key: "interval_days",
        unit: "days",
        applies: Applies::Routes(&[
            Route::Intravenous,
            Route::Intracoronary,
            Route::Transendocardial,
        ]),
        low: Some(28.0),
        high: Some(180.0),
        source: "repeated MSC doses about monthly (COPD, PRIME-HFrEF ref. 11), every 6 weeks (PRIME-HFrEF), 3 months apart (Hoang 2024), 6 months apart (trials.md section 11); 14 days only in mice (Guo 2018)",
    },
    EvidenceRange {
        key: "infusion_duration_hours",
        unit: "hours",
        applies: Applies::Routes(INFUSED),
        low: None,
        high: Some(2.0),
        source: "assumption: IV cell infusions are given over minutes to about 2 hours",
    },
];

fn arm_value(a: &super::spec::ArmSpec, key: &str) -> Option<f64> {
    match key {
        "dose_cells_per_kg" => Some(a.dose_cells_per_kg),
        "interval_days" => a.interval_days.filter(|_| a.n_doses > 1),
        "infusion_duration_hours" => Some(a.infusion_duration_hours),
        _ => None,
    }
}

fn fmt_value(x: f64) -> String {
    if x != 0.0 && (x.abs() >= 1e5 || x.abs() < 1e-3) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// Arm settings far outside [`EVIDENCE`].
pub fn outside_evidence(s: &Scenario, w: &mut Warnings) {
    for arm in &s.arms {
        let a = &arm.spec;
        if a.dose_cells_per_kg == 0.0 || a.n_doses == 0 {
            continue;
        }
        for row in EVIDENCE {
            let Applies::Routes(routes) = row.applies;
            if !routes.contains(&a.route) {
                continue;
            }
            let Some(x) = arm_value(a, row.key) else {
                continue;
            };
            let below = row.low.is_some_and(|lo| x < lo / FAR_FACTOR);
            let above = row.high.is_some_and(|hi| x > hi * FAR_FACTOR);
            if !(below || above) {
                continue;
            }
            let range = match (row.low, row.high) {
                (Some(lo), Some(hi)) => format!("{} to {}", fmt_value(lo), fmt_value(hi)),
                (None, Some(hi)) => format!("up to {}", fmt_value(hi)),
                (Some(lo), None) => format!("from {}", fmt_value(lo)),
                (None, None) => continue,
            };
            let hint = match (row.key, below) {
                ("interval_days", true) => " (weeks written as days?)",
                ("infusion_duration_hours", false) if x >= 24.0 => " (minutes written as hours?)",
                _ => "",
            };
            w.push(
                WarningKind::OutsideEvidence,
                format!("arms.{}.{}", a.key, row.key),
                format!(
                    "{} {} is far {} the range given to patients by this route ({range} {}){hint}; evidence: {}",
                    fmt_value(x),
                    row.unit,
                    if below { "below" } else { "above" },
                    row.unit,
                    row.source
                ),
            );
        }
    }
}

fn days(list: &[f64]) -> String {
    list.iter()
        .map(|d| fmt_value(*d))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The treatment arm's dosing schedule differs from the control arm's.
pub fn schedules_differ(s: &Scenario, w: &mut Warnings) {
    let (c, t) = (&s.arms[0], &s.arms[1]);
    if c.spec.role != Role::Control {
        return;
    }
    let (cd, td) = (&c.regimen.dose_days, &t.regimen.dose_days);
    let same_days = cd.len() == td.len() && cd.iter().zip(td).all(|(a, b)| a == b);
    let same_duration = c.spec.infusion_duration_hours == t.spec.infusion_duration_hours
        || cd.is_empty()
        || td.is_empty();
    if same_days && same_duration {
        return;
    }
    // which key differs: the number of doses, the interval or the first day
    let key = if cd.len() != td.len() {
        "n_doses"
    } else if c.spec.first_dose_day != t.spec.first_dose_day {
        "first_dose_day"
    } else if !same_days {
        "interval_days"
    } else {
        "infusion_duration_hours"
    };
    let mut message = if same_days {
        format!(
            "infusions last {} hours in arm {} but {} hours in arm {}: the placebo no longer blinds the treatment",
            fmt_value(t.spec.infusion_duration_hours),
            t.key,
            fmt_value(c.spec.infusion_duration_hours),
            c.key
        )
    } else {
        format!(
            "arm {} is dosed on days {} but arm {} on days {}: the placebo no longer blinds the schedule (give both arms the same n_doses, interval_days and first_dose_day)",
            t.key,
            days(td),
            c.key,
            if cd.is_empty() {
                "none".into()
            } else {
                days(cd)
            }
        )
    };
    // visits timed to the doses of one arm only (on the day or within 7 days after)
    let near = |day: f64, doses: &[f64]| doses.iter().any(|&d| day >= d && day <= d + 7.0);
    let tied: Vec<String> = s
        .trial
        .visits
        .iter()
        .filter(|v| v.day > 0.0 && near(v.day, cd) != near(v.day, td))
        .map(|v| format!("{} (day {})", v.name, fmt_value(v.day)))
        .collect();
    if !same_days && !tied.is_empty() {
        message.push_str(&format!(
            "; visits timed to the doses of one arm only: {}",
            tied.join(", ")
        ));
    }
    w.push(
        WarningKind::SchedulesDiffer,
        format!("arms.{}.{key}", t.key),
        message,
    );
}
