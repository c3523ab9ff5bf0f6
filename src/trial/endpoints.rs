//! What each endpoint analyses, extracted from a simulated trial.
//!
//! Patients who withdrew before follow-up or whose integration failed are
//! not analysed (the full analysis set of PRIME-HFrEF: randomized patients
//! with a post-baseline assessment). Continuous endpoints need both the
//! baseline and the follow-up measurement (complete cases, as in the paper).
//! Event endpoints follow each patient to the earliest of dropout, the end of
//! follow-up and `by_day`; death censors HF hospitalization (competing
//! risk); a serious adverse event is a non-HF serious event or death.

use super::hierarchy::WinObs;
use super::measurement::slot;
use super::{PatientRecord, TrialData};
use crate::analysis::SurvivalObs;
use crate::analysis::mmrm::{MAX_VISITS, MmrmObs};
use crate::model::events::MAX_HFH;
use crate::model::observation::{Modality, Quantity};
use crate::scenario::Scenario;
use crate::scenario::spec::{AnalysisKind, BinaryKind, EventKind, Measure, TestKind};
use crate::scenario::validate::Endpoint;

/// One analysed continuous observation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContinuousObs {
    pub patient: u64,
    pub baseline: f64,
    /// What the test analyses (change, log change or value).
    pub value: f64,
}

/// One analysed time-to-event observation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventObs {
    pub patient: u64,
    pub time: f64,
    pub event: bool,
}

/// Most events one patient contributes to a recurrent-event endpoint:
/// every simulated HF hospitalization and death.
pub const MAX_RECURRENT: usize = MAX_HFH + 1;

/// One patient's recurrent events (no heap: a fixed array).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecurrentObs {
    pub patient: u64,
    /// End of observation (day): `by_day`, dropout or death.
    pub end: f64,
    pub n_events: usize,
    /// Event days in increasing order; the last is death when `death`.
    pub times: [f64; MAX_RECURRENT],
    /// Death (CV death of the composite) is the last event.
    pub death: bool,
}

impl RecurrentObs {
    pub fn events(&self) -> &[f64] {
        &self.times[..self.n_events]
    }

    /// Counting-process intervals (start, stop, event): one per event and
    /// a censored tail up to `end` (none after a death). An event on the day
    /// of the previous one (not seen with continuous times) is skipped.
    pub fn intervals(&self, mut f: impl FnMut(f64, f64, bool)) {
        let mut start = 0.0;
        for &t in self.events() {
            if t > start {
                f(start, t, true);
                start = t;
            }
        }
        if self.end > start && !self.death {
            f(start, self.end, false);
        }
    }
}

/// Per-arm data of one endpoint (`[control, treatment]`).
#[derive(Debug, Clone, PartialEq)]
pub enum EndpointData {
    Continuous([Vec<ContinuousObs>; 2]),
    Survival([Vec<EventObs>; 2]),
    Binary([Vec<(u64, bool)>; 2]),
    Recurrent([Vec<RecurrentObs>; 2]),
    /// Win ratio: each patient's data for the hierarchy.
    Hierarchy([Vec<WinObs>; 2]),
    /// MMRM: (patient, changes at the modelled visits).
    Repeated([Vec<(u64, MmrmObs)>; 2]),
}

impl EndpointData {
    /// Patients analysed per arm.
    pub fn n_analyzed(&self) -> [usize; 2] {
        match self {
            EndpointData::Continuous(a) => [a[0].len(), a[1].len()],
            EndpointData::Survival(a) => [a[0].len(), a[1].len()],
            EndpointData::Binary(a) => [a[0].len(), a[1].len()],
            EndpointData::Recurrent(a) => [a[0].len(), a[1].len()],
            EndpointData::Hierarchy(a) => [a[0].len(), a[1].len()],
            EndpointData::Repeated(a) => [a[0].len(), a[1].len()],
        }
    }

    /// Events (or yes answers) per arm for event and binary endpoints.
    pub fn events(&self) -> Option<[usize; 2]> {
        match self {
            EndpointData::Continuous(_) => None,
            EndpointData::Survival(a) => Some([
                a[0].iter().filter(|o| o.event).count(),
                a[1].iter().filter(|o| o.event).count(),
            ]),
            EndpointData::Binary(a) => Some([
                a[0].iter().filter(|o| o.1).count(),
                a[1].iter().filter(|o| o.1).count(),
            ]),
            EndpointData::Recurrent(a) => Some([
                a[0].iter().map(|o| o.n_events).sum(),
                a[1].iter().map(|o| o.n_events).sum(),
            ]),
            EndpointData::Hierarchy(_) | EndpointData::Repeated(_) => None,
        }
    }

    pub fn survival_obs(&self, arm: usize) -> Vec<SurvivalObs> {
        match self {
            EndpointData::Survival(a) => a[arm]
                .iter()
                .map(|o| SurvivalObs {
                    time: o.time,
                    event: o.event,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

fn analysed(p: &PatientRecord) -> bool {
    !p.withdrawn && !p.failed
}

/// Time and indicator of an event kind for one patient, observed until `end`.
pub fn event_observation(p: &PatientRecord, kind: EventKind, end: f64) -> (f64, bool) {
    let death = p.events.death;
    let first_hfh = p.events.first_hfh();
    let event_time = match kind {
        EventKind::DeathOrHfHospitalization => [death, first_hfh]
            .into_iter()
            .flatten()
            .fold(None, |a: Option<f64>, t| Some(a.map_or(t, |a| a.min(t)))),
        EventKind::Death => death,
        EventKind::HfHospitalization => first_hfh,
        EventKind::SeriousAdverseEvent => [death, p.events.first_sae]
            .into_iter()
            .flatten()
            .fold(None, |a: Option<f64>, t| Some(a.map_or(t, |a| a.min(t)))),
    };
    let observed_until = p.dropout_day.map_or(end, |d| d.min(end));
    match event_time {
        Some(t) if t <= observed_until => (t, true),
        _ => {
            // competing death censors the other event kinds
            let censor = match (kind, death) {
                (EventKind::HfHospitalization, Some(d)) => d.min(observed_until),
                _ => observed_until,
            };
            (censor, false)
        }
    }
}

/// A patient's HF hospitalizations up to the earliest of `by_day`,
/// dropout and death, and death itself for the composite. `None` without
/// follow-up.
pub fn recurrent_observation(
    p: &PatientRecord,
    kind: EventKind,
    by_day: f64,
) -> Option<RecurrentObs> {
    let observed_until = p.dropout_day.map_or(by_day, |d| d.min(by_day));
    let death = p.events.death.filter(|&d| d <= observed_until);
    let end = death.unwrap_or(observed_until);
    if end.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    let mut o = RecurrentObs {
        patient: p.index,
        end,
        n_events: 0,
        times: [0.0; MAX_RECURRENT],
        death: false,
    };
    for &t in &p.events.hfh[..p.events.n_hfh] {
        if t <= end && (death.is_none() || t < end) {
            o.times[o.n_events] = t;
            o.n_events += 1;
        }
    }
    if let (Some(d), EventKind::DeathOrHfHospitalization) = (death, kind) {
        o.times[o.n_events] = d;
        o.n_events += 1;
        o.death = true;
    }
    Some(o)
}

/// Extract one endpoint's data.
pub fn extract(ep: &Endpoint, scenario: &Scenario, data: &TrialData) -> EndpointData {
    match ep.measure {
        Measure::Hierarchy => {
            let mut arms: [Vec<WinObs>; 2] = [Vec::new(), Vec::new()];
            for p in data.patients.iter().filter(|p| analysed(p)) {
                if let Some(o) = super::hierarchy::observe(p, &ep.options.components, ep.by_day) {
                    arms[p.arm as usize].push(o);
                }
            }
            EndpointData::Hierarchy(arms)
        }
        Measure::Continuous { quantity, modality } if ep.test == TestKind::Mmrm => {
            let k = slot(quantity, modality).expect("validated pair");
            let b = ep.baseline_visit.expect("validated");
            let mut arms: [Vec<(u64, MmrmObs)>; 2] = [Vec::new(), Vec::new()];
            for p in data.patients.iter().filter(|p| analysed(p)) {
                let base = p.value(b, k);
                if !base.is_finite() {
                    continue;
                }
                let mut o = MmrmObs {
                    treated: p.arm == 1,
                    baseline: base,
                    values: [f64::NAN; MAX_VISITS],
                };
                let mut any = false;
                for (j, &v) in ep.options.mmrm_visits.iter().enumerate() {
                    let f = p.value(v, k);
                    o.values[j] = match ep.analysis {
                        AnalysisKind::LogChangeFromBaseline if base > 0.0 && f > 0.0 => {
                            f.ln() - base.ln()
                        }
                        AnalysisKind::LogChangeFromBaseline => f64::NAN,
                        _ => f - base,
                    };
                    any |= o.values[j].is_finite();
                }
                if any {
                    arms[p.arm as usize].push((p.index, o));
                }
            }
            EndpointData::Repeated(arms)
        }
        Measure::Continuous { quantity, modality } => {
            let k = slot(quantity, modality).expect("validated pair");
            let (b, f) = (
                ep.baseline_visit.expect("validated"),
                ep.visit.expect("validated"),
            );
            let mut arms: [Vec<ContinuousObs>; 2] = [Vec::new(), Vec::new()];
            for p in data.patients.iter().filter(|p| analysed(p)) {
                let (base, follow) = (p.value(b, k), p.value(f, k));
                if !(base.is_finite() && follow.is_finite()) {
                    continue;
                }
                let value = match ep.analysis {
                    AnalysisKind::ChangeFromBaseline => follow - base,
                    AnalysisKind::LogChangeFromBaseline => {
                        if base <= 0.0 || follow <= 0.0 {
                            continue;
                        }
                        follow.ln() - base.ln()
                    }
                    _ => follow,
                };
                arms[p.arm as usize].push(ContinuousObs {
                    patient: p.index,
                    baseline: base,
                    value,
                });
            }
            EndpointData::Continuous(arms)
        }
        Measure::Event { event } if ep.analysis == AnalysisKind::RecurrentEvents => {
            let mut arms: [Vec<RecurrentObs>; 2] = [Vec::new(), Vec::new()];
            for p in data.patients.iter().filter(|p| analysed(p)) {
                if let Some(o) = recurrent_observation(p, event, ep.by_day) {
                    arms[p.arm as usize].push(o);
                }
            }
            EndpointData::Recurrent(arms)
        }
        Measure::Event { event } => {
            let mut surv: [Vec<EventObs>; 2] = [Vec::new(), Vec::new()];
            let mut bin: [Vec<(u64, bool)>; 2] = [Vec::new(), Vec::new()];
            for p in data.patients.iter().filter(|p| analysed(p)) {
                let (time, happened) = event_observation(p, event, ep.by_day);
                surv[p.arm as usize].push(EventObs {
                    patient: p.index,
                    time,
                    event: happened,
                });
                bin[p.arm as usize].push((p.index, happened));
            }
            if ep.analysis == AnalysisKind::TimeToEvent {
                EndpointData::Survival(surv)
            } else {
                EndpointData::Binary(bin)
            }
        }
        Measure::Binary { outcome } => {
            let mut arms: [Vec<(u64, bool)>; 2] = [Vec::new(), Vec::new()];
            let k = slot(Quantity::DDimer, Modality::Lab).expect("slot");
            let window_end = ep
                .visit
                .map_or(f64::INFINITY, |v| scenario.trial.visits[v].day);
            for p in data.patients.iter().filter(|p| analysed(p)) {
                match outcome {
                    BinaryKind::AnaPositive => arms[p.arm as usize].push((p.index, p.ana_positive)),
                    BinaryKind::DDimerAboveUln => {
                        let first_dose = scenario.arms[p.arm as usize]
                            .regimen
                            .dose_days
                            .first()
                            .copied()
                            .unwrap_or(0.0);
                        let mut seen = false;
                        let mut above = false;
                        for (v, visit) in scenario.trial.visits.iter().enumerate() {
                            if visit.day <= first_dose || visit.day > window_end {
                                continue;
                            }
                            let x = p.value(v, k);
                            if x.is_finite() {
                                seen = true;
                                above |= x > ep.uln_mg_per_l;
                            }
                        }
                        if seen {
                            arms[p.arm as usize].push((p.index, above));
                        }
                    }
                }
            }
            EndpointData::Binary(arms)
        }
    }
}
