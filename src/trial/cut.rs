//! A trial's data as seen on a calendar day (an interim data cut).
//!
//! Patients are simulated over their whole follow-up; an analysis on
//! calendar day `T` sees, of a patient enrolled on day `e <= T`, only what
//! happened up to patient day `T - e`: the cut treats that as an
//! administrative loss to follow-up (dropout day and followed-until
//! capped, measurements at later visits removed, later events removed), so
//! every endpoint's extraction handles it as it handles dropout. Patients
//! enrolled after `T` are not in the cut. (`ana_positive` is recorded as a
//! status at the end of follow-up and is not cut.)

use super::measurement::N_SLOTS;
use super::{PatientRecord, TrialData};

/// The record of one patient as seen `follow` days after enrolment.
pub fn cut_patient(p: &PatientRecord, follow: f64) -> PatientRecord {
    let mut q = p.clone();
    q.followed_until = q.followed_until.min(follow);
    q.dropout_day = Some(q.dropout_day.map_or(follow, |d| d.min(follow)));
    for (v, &day) in p.visit_days.iter().enumerate() {
        if day > follow {
            q.measured[v * N_SLOTS..(v + 1) * N_SLOTS].fill(f64::NAN);
            if let Some(t) = q.true_measured.get_mut(v * N_SLOTS..(v + 1) * N_SLOTS) {
                t.fill(f64::NAN);
            }
        }
    }
    let e = &mut q.events;
    if e.death.is_some_and(|d| d > follow) {
        e.death = None;
    }
    if e.first_sae.is_some_and(|d| d > follow) {
        e.first_sae = None;
    }
    e.n_hfh = e.hfh[..e.n_hfh]
        .iter()
        .take_while(|&&h| h <= follow)
        .count();
    q
}

/// The data on calendar day `day`.
pub fn cut_at(data: &TrialData, day: f64) -> TrialData {
    TrialData {
        replicate: data.replicate,
        patients: data
            .patients
            .iter()
            .filter(|p| p.enrolment_day <= day)
            .map(|p| cut_patient(p, day - p.enrolment_day))
            .collect(),
        failures: data.failures.clone(),
        stats: data.stats,
        screened: data.screened,
    }
}

/// The patients whose window of `window_day` days is complete on calendar
/// day `day` (yes/no outcomes known at the end of a window), uncut.
pub fn complete_at(data: &TrialData, day: f64, window_day: f64) -> TrialData {
    TrialData {
        replicate: data.replicate,
        patients: data
            .patients
            .iter()
            .filter(|p| p.enrolment_day + window_day <= day)
            .cloned()
            .collect(),
        failures: data.failures.clone(),
        stats: data.stats,
        screened: data.screened,
    }
}
