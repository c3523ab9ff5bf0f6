//! The hierarchical composite of a win-ratio endpoint: what each patient
//! brings to the comparison, and how a treated-control pair is decided
//! (Finkelstein–Schoenfeld on the shared follow-up).
//!
//! For a pair, T = the shorter of the two follow-ups. The components are
//! taken in order until one decides the pair:
//!
//! * **death**: a death within T loses to no death; two deaths within T:
//!   the later wins; none (or the same day): next component;
//! * **HF hospitalization, time**: the same with the first hospitalization
//!   within T;
//! * **HF hospitalization, count**: fewer hospitalizations within T wins;
//! * **continuous** (a change from baseline or a value at a visit): the
//!   difference in the favourable direction must exceed the component's
//!   margin (|difference| ≤ margin is a tie); a pair with a missing value
//!   ties on it.
//!
//! A pair no component decides is a tie.

use super::PatientRecord;
use super::endpoints::RecurrentObs;
use crate::analysis::direction::Favourable;
use crate::analysis::win_ratio::PairOutcome;
use crate::model::events::MAX_HFH;
use crate::scenario::spec::AnalysisKind;

/// Most components in one hierarchy.
pub const MAX_COMPONENTS: usize = 8;

/// One checked component of a hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Component {
    Death,
    HfHospitalizationTime,
    HfHospitalizationCount,
    Continuous {
        /// Measurement slot (`trial::measurement::slot`).
        slot: usize,
        baseline_visit: usize,
        visit: usize,
        analysis: AnalysisKind,
        favourable: Favourable,
        /// Differences up to this size are ties (endpoint units, ≥ 0).
        margin: f64,
    },
}

/// What one patient brings to the comparison (no heap).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WinObs {
    pub patient: u64,
    /// End of follow-up (day): `by_day`, dropout or death.
    pub follow_up: f64,
    /// Death day, if within follow-up.
    pub death: Option<f64>,
    pub hfh: [f64; MAX_HFH],
    pub n_hfh: usize,
    /// Continuous components in order (NaN when missing).
    pub values: [f64; MAX_COMPONENTS],
}

impl WinObs {
    pub fn hospitalizations(&self) -> &[f64] {
        &self.hfh[..self.n_hfh]
    }
}

/// A patient's data for a hierarchy; `None` without follow-up.
pub fn observe(p: &PatientRecord, components: &[Component], by_day: f64) -> Option<WinObs> {
    let ev = super::endpoints::recurrent_observation(
        p,
        crate::scenario::spec::EventKind::HfHospitalization,
        by_day,
    )?;
    let RecurrentObs { end, .. } = ev;
    let death = p.events.death.filter(|&d| d <= end);
    let mut o = WinObs {
        patient: p.index,
        follow_up: end,
        death,
        hfh: [0.0; MAX_HFH],
        n_hfh: 0,
        values: [f64::NAN; MAX_COMPONENTS],
    };
    for &t in ev.events() {
        if o.n_hfh < MAX_HFH {
            o.hfh[o.n_hfh] = t;
            o.n_hfh += 1;
        }
    }
    for (k, c) in components.iter().enumerate() {
        if let Component::Continuous {
            slot,
            baseline_visit,
            visit,
            analysis,
            ..
        } = *c
        {
            let (b, f) = (p.value(baseline_visit, slot), p.value(visit, slot));
            o.values[k] = match analysis {
                AnalysisKind::Value => f,
                AnalysisKind::LogChangeFromBaseline if b > 0.0 && f > 0.0 => f.ln() - b.ln(),
                AnalysisKind::LogChangeFromBaseline => f64::NAN,
                _ => f - b,
            };
        }
    }
    Some(o)
}

/// `earlier event loses`: `a` and `b` are event days within the shared
/// follow-up (or none).
fn by_time(a: Option<f64>, b: Option<f64>) -> Option<PairOutcome> {
    match (a, b) {
        (None, None) => None,
        (Some(_), None) => Some(PairOutcome::Loss),
        (None, Some(_)) => Some(PairOutcome::Win),
        (Some(x), Some(y)) if x > y => Some(PairOutcome::Win),
        (Some(x), Some(y)) if x < y => Some(PairOutcome::Loss),
        _ => None,
    }
}

/// Decide a treated (`t`) vs control (`c`) pair.
pub fn compare(t: &WinObs, c: &WinObs, components: &[Component]) -> PairOutcome {
    let shared = t.follow_up.min(c.follow_up);
    let within = |x: Option<f64>| x.filter(|&d| d <= shared);
    for (k, comp) in components.iter().enumerate() {
        let decided = match *comp {
            Component::Death => by_time(within(t.death), within(c.death)),
            Component::HfHospitalizationTime => by_time(
                within(t.hospitalizations().first().copied()),
                within(c.hospitalizations().first().copied()),
            ),
            Component::HfHospitalizationCount => {
                let count = |o: &WinObs| {
                    o.hospitalizations()
                        .iter()
                        .filter(|&&h| h <= shared)
                        .count()
                };
                let (a, b) = (count(t), count(c));
                match a.cmp(&b) {
                    std::cmp::Ordering::Less => Some(PairOutcome::Win),
                    std::cmp::Ordering::Greater => Some(PairOutcome::Loss),
                    std::cmp::Ordering::Equal => None,
                }
            }
            Component::Continuous {
                favourable, margin, ..
            } => {
                let (a, b) = (t.values[k], c.values[k]);
                if a.is_finite() && b.is_finite() {
                    let d = match favourable {
                        Favourable::Higher => a - b,
                        Favourable::Lower => b - a,
                    };
                    if d > margin {
                        Some(PairOutcome::Win)
                    } else if d < -margin {
                        Some(PairOutcome::Loss)
                    } else {
                        None
                    }
                } else {
                    None
                }
            }
        };
        if let Some(o) = decided {
            return o;
        }
    }
    PairOutcome::Tie
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(follow_up: f64, death: Option<f64>, hfh: &[f64], value: f64) -> WinObs {
        let mut o = WinObs {
            patient: 0,
            follow_up,
            death,
            hfh: [0.0; MAX_HFH],
            n_hfh: hfh.len(),
            values: [f64::NAN; MAX_COMPONENTS],
        };
        o.hfh[..hfh.len()].copy_from_slice(hfh);
        o.values[2] = value;
        o
    }

    const H: [Component; 3] = [
        Component::Death,
        Component::HfHospitalizationCount,
        Component::Continuous {
            slot: 0,
            baseline_visit: 0,
            visit: 1,
            analysis: AnalysisKind::ChangeFromBaseline,
            favourable: Favourable::Higher,
            margin: 5.0,
        },
    ];

    #[test]
    fn pairs_are_decided_on_the_shared_follow_up() {
        // control died at 200, treated followed to 360 alive: win
        assert_eq!(
            compare(
                &obs(360.0, None, &[], 0.0),
                &obs(200.0, Some(200.0), &[], 0.0),
                &H
            ),
            PairOutcome::Win
        );
        // treated dropped out at 100: the control's death at 200 is beyond
        // the shared follow-up; one HFH each before 100; walk +20 vs +10
        assert_eq!(
            compare(
                &obs(100.0, None, &[50.0], 20.0),
                &obs(200.0, Some(200.0), &[60.0, 150.0], 10.0),
                &H
            ),
            PairOutcome::Win
        );
        // within the margin: tie
        assert_eq!(
            compare(
                &obs(360.0, None, &[], 14.0),
                &obs(360.0, None, &[], 10.0),
                &H
            ),
            PairOutcome::Tie
        );
        // more hospitalizations lose
        assert_eq!(
            compare(
                &obs(360.0, None, &[10.0, 20.0], 50.0),
                &obs(360.0, None, &[30.0], 0.0),
                &H
            ),
            PairOutcome::Loss
        );
        // missing value: tie on it
        assert_eq!(
            compare(
                &obs(360.0, None, &[], f64::NAN),
                &obs(360.0, None, &[], 0.0),
                &H
            ),
            PairOutcome::Tie
        );
    }
}
