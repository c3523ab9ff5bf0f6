//! The plausibility audit: is the model's true state a state a living
//! patient can be in?
//!
//! At every attended visit of every simulated patient who was neither
//! withdrawn nor failed (both arms), the model's true (noise-free) values
//! are compared with the limits of [`PLAUSIBLE`]: limits of physiology,
//! wider than normal ranges (docs/model.md, "Plausibility audit"). Measured
//! values are not audited: measurement error legitimately takes them beyond
//! any limit. For patients of an arm given no cells, each volume's change
//! from its day-0 value is audited as well, at every attended visit after
//! day 0: `(V_t / V_0 - 1) / max(1, t / 365)` must lie within ±0.40 (no
//! more than 40% change in a year without therapy, pro rata beyond a year).
//!
//! Counting is done per patient into a fixed-size [`AuditTally`] (no
//! allocation in the hot loop), summed per arm into the replicate record and
//! the design point's accumulator. Counts are integers and extremes are
//! taken by `f64::total_cmp`, so merging is exact and order-independent:
//! `summary.json` is the same for any thread count, shards and resumes.

use crate::model::{Observables, Quantity};
use crate::runner::{RunError, RunOptions, Silent};
use crate::scenario::Scenario;
use crate::trial::measurement::true_value;
use crate::trial::{Method, PatientRecord, TrialContext};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};

/// A design point is warned about when more than this share of its audited
/// patient-visits has any audited value outside its range.
pub const WARN_FRACTION: f64 = 0.001;

/// Growth limit of a volume without cell therapy: a share of the day-0
/// value per year (at least one year). Decreases are reverse remodelling by
/// GDMT, which every simulated patient takes, and are not limited (a
/// relative change cannot fall below -1).
pub const UNTREATED_CHANGE_PER_YEAR: f64 = 0.40;

/// What an audited observable reads from the model's true state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audited {
    /// The quantity's true value at the visit.
    Level(Quantity),
    /// In an arm given no cells, at a visit on day `t > 0`: the relative
    /// change of the quantity from day 0 per year, at least one year:
    /// `(V_t / V_0 - 1) / max(1, t / 365)`.
    ChangeUntreated(Quantity),
}

/// The range a living patient's true value can lie in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlausibleRange {
    /// Key in `summary.json`.
    pub observable: &'static str,
    pub audited: Audited,
    pub unit: &'static str,
    /// Inclusive limits (`-inf` / `+inf` for an open side).
    pub low: f64,
    pub high: f64,
    pub source: &'static str,
}

impl PlausibleRange {
    /// Inside the range (limits included); NaN is outside.
    #[inline]
    pub fn contains(&self, x: f64) -> bool {
        x >= self.low && x <= self.high
    }

    fn limit(x: f64) -> Option<f64> {
        x.is_finite().then_some(x)
    }
}

const LANG_2015: &str = "limit of physiology, wider than the normal range of ASE/EACVI chamber quantification (Lang et al., J Am Soc Echocardiogr 2015;28:1-39)";
const KAWEL_2020: &str = "limit of physiology, wider than the CMR reference ranges (Kawel-Boehm et al., J Cardiovasc Magn Reson 2020;22:87)";
const CHANGE: &str = "limit of hfsim issue 13 on dilation: untreated remodelling in stable HFrEF is slow (Kramer et al., J Am Coll Cardiol 2010;56:392-406); every simulated patient takes GDMT, and reverse remodelling under it legitimately shrinks volumes by more than 40% a year in super-responders (LVEF normalises in 10-40% of patients, Wilcox 2020; PROVE-HF LVESVi -26% on average), so only growth is limited";

/// The audited observables and their ranges (docs/model.md lists the same table).
pub const PLAUSIBLE: [PlausibleRange; N_AUDITED] = [
    PlausibleRange {
        observable: "lvef",
        audited: Audited::Level(Quantity::Lvef),
        unit: "%",
        low: 5.0,
        high: 75.0,
        source: LANG_2015,
    },
    PlausibleRange {
        observable: "rvef",
        audited: Audited::Level(Quantity::Rvef),
        unit: "%",
        low: 5.0,
        high: 75.0,
        source: KAWEL_2020,
    },
    PlausibleRange {
        observable: "lvedv",
        audited: Audited::Level(Quantity::Lvedv),
        unit: "mL",
        low: 40.0,
        high: f64::INFINITY,
        source: LANG_2015,
    },
    PlausibleRange {
        observable: "lvesv",
        audited: Audited::Level(Quantity::Lvesv),
        unit: "mL",
        low: 15.0,
        high: f64::INFINITY,
        source: LANG_2015,
    },
    PlausibleRange {
        observable: "rvedv",
        audited: Audited::Level(Quantity::Rvedv),
        unit: "mL",
        low: 40.0,
        high: f64::INFINITY,
        source: KAWEL_2020,
    },
    PlausibleRange {
        observable: "rvesv",
        audited: Audited::Level(Quantity::Rvesv),
        unit: "mL",
        low: 10.0,
        high: f64::INFINITY,
        source: KAWEL_2020,
    },
    PlausibleRange {
        observable: "tapse",
        audited: Audited::Level(Quantity::Tapse),
        unit: "mm",
        low: 3.0,
        high: 32.0,
        source: LANG_2015,
    },
    PlausibleRange {
        observable: "nt_probnp",
        audited: Audited::Level(Quantity::NtProbnp),
        unit: "ng/L",
        low: 10.0,
        high: f64::INFINITY,
        source: "assay lower limit: Roche Elecsys proBNP II measures from 5-10 ng/L (method sheet); a true value below it is below what any patient has been measured at",
    },
    PlausibleRange {
        observable: "lvedv_change_untreated",
        audited: Audited::ChangeUntreated(Quantity::Lvedv),
        unit: "fraction of day 0 per year",
        low: -1.0,
        high: UNTREATED_CHANGE_PER_YEAR,
        source: CHANGE,
    },
    PlausibleRange {
        observable: "lvesv_change_untreated",
        audited: Audited::ChangeUntreated(Quantity::Lvesv),
        unit: "fraction of day 0 per year",
        low: -1.0,
        high: UNTREATED_CHANGE_PER_YEAR,
        source: CHANGE,
    },
    PlausibleRange {
        observable: "rvedv_change_untreated",
        audited: Audited::ChangeUntreated(Quantity::Rvedv),
        unit: "fraction of day 0 per year",
        low: -1.0,
        high: UNTREATED_CHANGE_PER_YEAR,
        source: CHANGE,
    },
    PlausibleRange {
        observable: "rvesv_change_untreated",
        audited: Audited::ChangeUntreated(Quantity::Rvesv),
        unit: "fraction of day 0 per year",
        low: -1.0,
        high: UNTREATED_CHANGE_PER_YEAR,
        source: CHANGE,
    },
];

/// Number of audited observables.
pub const N_AUDITED: usize = 12;

/// Counts and extremes of one observable.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ObservableTally {
    pub n_checked: u64,
    pub n_outside: u64,
    /// Smallest and largest finite value checked (`None` when none was).
    /// Kept in checkpoints as text that reads back to the same bits.
    #[serde(with = "exact_f64")]
    pub min: Option<f64>,
    #[serde(with = "exact_f64")]
    pub max: Option<f64>,
}

/// An optional `f64` as its shortest round-trip text (`str::parse` is
/// correctly rounded; serde_json's own float parsing may be one unit in the
/// last place off), so a resumed checkpoint has the same extremes.
mod exact_f64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match x {
            Some(v) => s.serialize_some(&format!("{v:?}")),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|t| t.parse::<f64>().map_err(serde::de::Error::custom))
            .transpose()
    }
}

impl ObservableTally {
    /// Check `x` against `range`; returns true when it is outside. A value
    /// that is not finite is outside and left out of the extremes.
    #[inline]
    pub fn add(&mut self, x: f64, range: &PlausibleRange) -> bool {
        self.n_checked += 1;
        if x.is_finite() {
            self.min = Some(match self.min {
                Some(m) if m.total_cmp(&x).is_le() => m,
                _ => x,
            });
            self.max = Some(match self.max {
                Some(m) if m.total_cmp(&x).is_ge() => m,
                _ => x,
            });
        }
        let outside = !range.contains(x);
        self.n_outside += u64::from(outside);
        outside
    }

    /// Add another tally (exact, order-independent).
    pub fn merge(&mut self, o: &ObservableTally) {
        self.n_checked += o.n_checked;
        self.n_outside += o.n_outside;
        let pick =
            |a: Option<f64>, b: Option<f64>, keep_a: fn(std::cmp::Ordering) -> bool| match (a, b) {
                (Some(x), Some(y)) => Some(if keep_a(x.total_cmp(&y)) { x } else { y }),
                (x, None) => x,
                (None, y) => y,
            };
        self.min = pick(self.min, o.min, std::cmp::Ordering::is_le);
        self.max = pick(self.max, o.max, std::cmp::Ordering::is_ge);
    }
}

/// The audit of a patient, an arm of a replicate or an arm of a design point.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct AuditTally {
    /// Patient-visits audited, and those with any value outside its range.
    pub visits_checked: u64,
    pub visits_outside: u64,
    /// Per observable, in [`PLAUSIBLE`] order.
    pub observables: [ObservableTally; N_AUDITED],
}

impl AuditTally {
    /// Audit the true state `obs` at an attended visit on patient day
    /// `day`; `untreated_day0` is the patient's true state on day 0 when
    /// the arm gives no cells (`None` otherwise).
    #[inline]
    pub fn audit_visit(
        &mut self,
        day: f64,
        obs: &Observables,
        untreated_day0: Option<&Observables>,
    ) {
        let mut outside = false;
        for (tally, range) in self.observables.iter_mut().zip(&PLAUSIBLE) {
            match range.audited {
                Audited::Level(q) => outside |= tally.add(true_value(q, obs), range),
                Audited::ChangeUntreated(q) => {
                    if let Some(v0) = untreated_day0
                        && day > 0.0
                    {
                        let change =
                            (true_value(q, obs) / true_value(q, v0) - 1.0) / (day / 365.0).max(1.0);
                        outside |= tally.add(change, range);
                    }
                }
            }
        }
        self.visits_checked += 1;
        self.visits_outside += u64::from(outside);
    }

    /// Add another tally (exact, order-independent).
    pub fn merge(&mut self, o: &AuditTally) {
        self.visits_checked += o.visits_checked;
        self.visits_outside += o.visits_outside;
        for (a, b) in self.observables.iter_mut().zip(&o.observables) {
            a.merge(b);
        }
    }
}

/// The audit per arm (`[control, treatment]`).
pub type ArmAudits = [AuditTally; 2];

/// The patients' audits summed per arm.
pub fn tally_patients(patients: &[PatientRecord]) -> ArmAudits {
    let mut out = ArmAudits::default();
    for p in patients {
        out[usize::from(p.arm.min(1))].merge(&p.plausibility);
    }
    out
}

/// Share of the audited patient-visits (both arms) with any value outside
/// its range (0 when none was audited).
pub fn fraction_outside(arms: &ArmAudits) -> f64 {
    let checked: u64 = arms.iter().map(|a| a.visits_checked).sum();
    let outside: u64 = arms.iter().map(|a| a.visits_outside).sum();
    if checked == 0 {
        0.0
    } else {
        outside as f64 / checked as f64
    }
}

/// One observable of one arm in `summary.json`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ObservableSummary {
    pub n_checked: u64,
    pub n_outside: u64,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub unit: &'static str,
}

/// The observables of one arm, in [`PLAUSIBLE`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmSummary(pub Vec<(&'static str, ObservableSummary)>);

impl Serialize for ArmSummary {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// The audit of a design point in `summary.json`: per arm key, per
/// observable; then the patient-visits audited and the share outside.
#[derive(Debug, Clone, PartialEq)]
pub struct PlausibilitySummary {
    pub arms: Vec<(String, ArmSummary)>,
    pub patient_visits_checked: u64,
    pub patient_visits_outside: u64,
    pub fraction_outside: f64,
}

impl Serialize for PlausibilitySummary {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.arms.len() + 3))?;
        for (k, v) in &self.arms {
            m.serialize_entry(k, v)?;
        }
        m.serialize_entry("patient_visits_checked", &self.patient_visits_checked)?;
        m.serialize_entry("patient_visits_outside", &self.patient_visits_outside)?;
        m.serialize_entry("fraction_outside", &self.fraction_outside)?;
        m.end()
    }
}

impl PlausibilitySummary {
    pub fn of(arm_keys: [&str; 2], arms: &ArmAudits) -> PlausibilitySummary {
        PlausibilitySummary {
            arms: arm_keys
                .iter()
                .zip(arms)
                .map(|(key, a)| {
                    let obs = PLAUSIBLE
                        .iter()
                        .zip(&a.observables)
                        .map(|(r, t)| {
                            (
                                r.observable,
                                ObservableSummary {
                                    n_checked: t.n_checked,
                                    n_outside: t.n_outside,
                                    min: t.min,
                                    max: t.max,
                                    low: PlausibleRange::limit(r.low),
                                    high: PlausibleRange::limit(r.high),
                                    unit: r.unit,
                                },
                            )
                        })
                        .collect();
                    (key.to_string(), ArmSummary(obs))
                })
                .collect(),
            patient_visits_checked: arms.iter().map(|a| a.visits_checked).sum(),
            patient_visits_outside: arms.iter().map(|a| a.visits_outside).sum(),
            fraction_outside: fraction_outside(arms),
        }
    }
}

/// Significant digits for a message.
fn short(x: f64) -> String {
    if x == 0.0 || (x.abs() >= 0.01 && x.abs() < 1e5) {
        let s = format!("{x:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        format!("{x:.3e}")
    }
}

/// The warning text for a design point's audit when more than
/// [`WARN_FRACTION`] of its patient-visits fall outside (`None` otherwise):
/// the share, and per observable outside its range the counts and extremes
/// per arm.
pub fn warning_message(arm_keys: [&str; 2], arms: &ArmAudits) -> Option<String> {
    let fraction = fraction_outside(arms);
    if fraction <= WARN_FRACTION {
        return None;
    }
    let checked: u64 = arms.iter().map(|a| a.visits_checked).sum();
    let outside: u64 = arms.iter().map(|a| a.visits_outside).sum();
    let mut parts = Vec::new();
    for (k, r) in PLAUSIBLE.iter().enumerate() {
        let per_arm: Vec<String> = arm_keys
            .iter()
            .zip(arms)
            .filter(|(_, a)| a.observables[k].n_outside > 0)
            .map(|(key, a)| {
                let t = &a.observables[k];
                format!(
                    "{} of {} in {key} (range {} to {})",
                    t.n_outside,
                    t.n_checked,
                    t.min.map_or("-".into(), short),
                    t.max.map_or("-".into(), short)
                )
            })
            .collect();
        if per_arm.is_empty() {
            continue;
        }
        let limits = match (PlausibleRange::limit(r.low), PlausibleRange::limit(r.high)) {
            (Some(l), Some(h)) => format!("{} to {}", short(l), short(h)),
            (Some(l), None) => format!(">= {}", short(l)),
            (None, Some(h)) => format!("<= {}", short(h)),
            (None, None) => "any".into(),
        };
        parts.push(format!(
            "{} (plausible {limits} {}): {}",
            r.observable,
            r.unit,
            per_arm.join(", ")
        ));
    }
    Some(format!(
        "{outside} of {checked} audited patient-visits ({:.2}%, more than {}%) have a true (noise-free) model value outside the physiological ranges of docs/model.md: {}",
        100.0 * fraction,
        100.0 * WARN_FRACTION,
        parts.join("; ")
    ))
}

/// The audit of design points without the rest of a run: replicates
/// `0..replicates` of each scenario (the design points of one run, in
/// order), simulated and evaluated exactly as `hfsim run` does them, so the
/// counts equal those of a run's `summary.json` over the same replicates.
/// A design point whose patients fail beyond the scenario's failure budget,
/// or a replicate that cannot enrol, is an error.
pub fn audit(points: &[&Scenario], replicates: u64) -> Result<Vec<ArmAudits>, RunError> {
    let ctxs: Vec<TrialContext> = points
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let slot = if s.run.common_random_numbers {
                crate::rng::DesignSlot::Shared
            } else {
                crate::rng::DesignSlot::Independent(i as u64)
            };
            TrialContext::new((*s).clone(), slot, Method::for_scenario(s))
        })
        .collect();
    let opts: Vec<RunOptions> = points
        .iter()
        .map(|s| RunOptions {
            chunk: 64,
            export_replicates: 0,
            failures_allowed: (s.run.failure_budget
                * (s.patients_per_replicate() * replicates) as f64)
                .floor() as u64,
        })
        .collect();
    let resumes = points
        .iter()
        .map(|s| crate::runner::Resume {
            acc: crate::summary::DesignAcc::new(s),
            covered_from: 0,
        })
        .collect();
    let mut exports = vec![Vec::new(); points.len()];
    let (accs, _) = crate::runner::run_design_points(
        &ctxs,
        0..replicates,
        resumes,
        &opts,
        &mut Silent,
        &mut exports,
    )?;
    Ok(accs.into_iter().map(|a| a.plausibility).collect())
}
