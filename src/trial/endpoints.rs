//! What each endpoint analyses, extracted from a simulated trial.
//!
//! Patients who withdrew before follow-up or whose integration failed are
//! not analysed (the full analysis set of PRIME-HFrEF: randomized patients
//! with a post-baseline assessment). Continuous endpoints need both the
//! baseline and the follow-up measurement (complete cases, as in the paper).
//! Event endpoints follow each patient to the earliest of dropout, the end of
//! follow-up and `by_day`; death censors HF hospitalization (competing
//! risk); a serious adverse event is a non-HF serious event or death.

use super::measurement::slot;
use super::{PatientRecord, TrialData};
use crate::analysis::SurvivalObs;
use crate::model::observation::{Modality, Quantity};
use crate::scenario::Scenario;
use crate::scenario::spec::{AnalysisKind, BinaryKind, EventKind, Measure};
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

/// Per-arm data of one endpoint (`[control, treatment]`).
#[derive(Debug, Clone, PartialEq)]
pub enum EndpointData {
    Continuous([Vec<ContinuousObs>; 2]),
    Survival([Vec<EventObs>; 2]),
    Binary([Vec<(u64, bool)>; 2]),
}

impl EndpointData {
    /// Patients analysed per arm.
    pub fn n_analyzed(&self) -> [usize; 2] {
        match self {
            EndpointData::Continuous(a) => [a[0].len(), a[1].len()],
            EndpointData::Survival(a) => [a[0].len(), a[1].len()],
            EndpointData::Binary(a) => [a[0].len(), a[1].len()],
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

/// Extract one endpoint's data.
pub fn extract(ep: &Endpoint, scenario: &Scenario, data: &TrialData) -> EndpointData {
    match ep.measure {
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
