//! Recurrent events: the Andersen–Gill / Lin–Wei–Yang–Ying (LWYY) model,
//! a Cox model on counting-process intervals with a robust (sandwich)
//! variance clustered by patient, as
//! `survival::coxph(Surv(start, stop, event) ~ arm + cluster(id))`.
//!
//! Each patient contributes intervals (start, stop], at risk at time t when
//! start < t ≤ stop; an interval ending in an event has `event = true`.
//! With the arm indicator x ∈ {0, 1} as the only covariate, the risk sets at
//! each distinct event time reduce to counts: S0 = n_c + n_t e^β,
//! S1 = n_t e^β, and the d tied events (d_t treated) use **Efron's**
//! approximation: for k = 0..d−1, w = k/d, D_k = S0 − w(d_c + d_t e^β),
//! x̄_k = (S1 − w d_t e^β)/D_k;
//! ℓ(β) = Σ [d_t β − Σ_k ln D_k], U = Σ [d_t − Σ_k x̄_k],
//! I = Σ Σ_k x̄_k (1 − x̄_k). β̂ by Newton–Raphson from 0 (step halving,
//! steps capped at 2).
//!
//! Robust variance: V = I⁻¹ (Σ_i U_i²) I⁻¹ with U_i the sum of patient i's
//! score residuals ∫ (x_i − x̄(t)) dM_i(t), with Efron's weights as in
//! `survival`'s `agscore3`: a patient at risk but without an event at t gets
//! −e^{βx} Σ_k (x − x̄_k)/D_k; a patient with an event at t gets
//! Σ_k (x − x̄_k)/d − e^{βx} Σ_k (1 − k/d)(x − x̄_k)/D_k. No small-sample
//! factor (coxph's D'D).
//!
//! * estimate: the rate ratio e^β̂ (the ratio of mean event frequencies);
//! * statistic: z = (β̂ − margin)/SE_robust, normal p-values (coxph's robust
//!   Wald "z"); df `None`.
//!
//! Not analysable: an empty arm, a non-finite time or an interval with
//! stop ≤ start ([`NotAnalysable::NonFinite`]), no events, a robust SE of
//! 0 (below 1e-8 of the model-based SE, e.g. one patient per arm:
//! [`NotAnalysable::ZeroVariance`]), or an infinite
//! MLE ([`NotAnalysable::MonotoneLikelihood`]: no control event while a
//! treated patient is at risk, or no treated event while a control patient
//! is at risk).

use super::{Alternative, ArmRole, NotAnalysable, TestOutcome, TestResult, normal_p_value};

/// One at-risk interval of one patient.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Patient index (clusters the robust variance); any numbering.
    pub subject: u32,
    pub treated: bool,
    pub start: f64,
    pub stop: f64,
    /// The interval ends in an event.
    pub event: bool,
}

/// A converged Andersen–Gill fit.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct AgFit {
    pub log_rate_ratio: f64,
    /// 1/√I (the model-based, "naive" SE).
    pub se_naive: f64,
    /// Sandwich SE clustered by subject.
    pub se_robust: f64,
    pub log_likelihood: f64,
    pub iterations: u32,
}

/// Counts at one distinct event time.
#[derive(Debug, Clone, Copy)]
struct EventTime {
    time: f64,
    at_risk: [f64; 2],
    events: [f64; 2],
}

fn risk_table(iv: &[Interval]) -> Vec<EventTime> {
    let mut times: Vec<f64> = iv.iter().filter(|i| i.event).map(|i| i.stop).collect();
    times.sort_by(f64::total_cmp);
    times.dedup();
    // per arm: sorted starts and stops
    let mut starts = [Vec::new(), Vec::new()];
    let mut stops = [Vec::new(), Vec::new()];
    let mut ev = [Vec::new(), Vec::new()];
    for i in iv {
        let a = usize::from(i.treated);
        starts[a].push(i.start);
        stops[a].push(i.stop);
        if i.event {
            ev[a].push(i.stop);
        }
    }
    for a in 0..2 {
        starts[a].sort_by(f64::total_cmp);
        stops[a].sort_by(f64::total_cmp);
        ev[a].sort_by(f64::total_cmp);
    }
    // number of values >= t, and == t
    let ge = |v: &[f64], t: f64| (v.len() - v.partition_point(|&x| x < t)) as f64;
    let eq =
        |v: &[f64], t: f64| (v.partition_point(|&x| x <= t) - v.partition_point(|&x| x < t)) as f64;
    times
        .iter()
        .map(|&t| EventTime {
            time: t,
            at_risk: [0, 1].map(|a| ge(&stops[a], t) - ge(&starts[a], t)),
            events: [0, 1].map(|a| eq(&ev[a], t)),
        })
        .collect()
}

/// ℓ, U, I at β.
fn derivatives(table: &[EventTime], beta: f64) -> (f64, f64, f64) {
    let r = beta.exp();
    let (mut ll, mut u, mut info) = (0.0, 0.0, 0.0);
    for e in table {
        let d = e.events[0] + e.events[1];
        let s0 = e.at_risk[0] + e.at_risk[1] * r;
        let s1 = e.at_risk[1] * r;
        let (e0, e1) = (e.events[0] + e.events[1] * r, e.events[1] * r);
        ll += e.events[1] * beta;
        u += e.events[1];
        let n = d as usize;
        for k in 0..n {
            let w = k as f64 / d;
            let den = s0 - w * e0;
            let xbar = (s1 - w * e1) / den;
            ll -= den.ln();
            u -= xbar;
            info += xbar * (1.0 - xbar);
        }
    }
    (ll, u, info)
}

fn mle_exists(table: &[EventTime]) -> bool {
    let control_event_with_treated = table
        .iter()
        .any(|e| e.events[0] > 0.0 && e.at_risk[1] > 0.0);
    let treated_event_with_control = table
        .iter()
        .any(|e| e.events[1] > 0.0 && e.at_risk[0] > 0.0);
    control_event_with_treated && treated_event_with_control
}

fn check(iv: &[Interval]) -> Result<(), NotAnalysable> {
    if iv
        .iter()
        .any(|i| !(i.start.is_finite() && i.stop.is_finite() && i.stop > i.start))
    {
        return Err(NotAnalysable::NonFinite);
    }
    for (treated, arm) in [(true, ArmRole::Treatment), (false, ArmRole::Control)] {
        if !iv.iter().any(|i| i.treated == treated) {
            return Err(NotAnalysable::TooFewObservations {
                arm,
                found: 0,
                required: 1,
            });
        }
    }
    if !iv.iter().any(|i| i.event) {
        return Err(NotAnalysable::NoEvents);
    }
    Ok(())
}

/// Fit the model (see the module docs).
pub fn fit(intervals: &[Interval]) -> Result<AgFit, NotAnalysable> {
    check(intervals)?;
    let table = risk_table(intervals);
    if !mle_exists(&table) {
        return Err(NotAnalysable::MonotoneLikelihood);
    }
    let mut beta = 0.0;
    let (mut ll, mut u, mut info) = derivatives(&table, beta);
    let mut iterations = 0;
    for it in 1..=200 {
        iterations = it;
        if info <= 0.0 {
            return Err(NotAnalysable::ZeroVariance);
        }
        let mut step = (u / info).clamp(-2.0, 2.0);
        let mut next = derivatives(&table, beta + step);
        let mut halvings = 0;
        while next.0 < ll - 1e-12 * ll.abs() && halvings < 60 {
            step *= 0.5;
            next = derivatives(&table, beta + step);
            halvings += 1;
        }
        beta += step;
        (ll, u, info) = next;
        if step.abs() < 1e-13 * beta.abs().max(1.0) {
            break;
        }
    }
    if !(beta.is_finite() && beta.abs() <= 20.0) || info <= 0.0 {
        return Err(NotAnalysable::MonotoneLikelihood);
    }
    let se_robust = robust_se(intervals, &table, beta, info);
    Ok(AgFit {
        log_rate_ratio: beta,
        se_naive: 1.0 / info.sqrt(),
        se_robust,
        log_likelihood: ll,
        iterations,
    })
}

/// Sandwich SE from the per-subject sums of score residuals.
fn robust_se(intervals: &[Interval], table: &[EventTime], beta: f64, info: f64) -> f64 {
    let r = beta.exp();
    let m = table.len();
    // per event time and arm: Σ_k h_k (x − x̄_k), Σ_k w_k h_k (x − x̄_k),
    // Σ_k (x − x̄_k)/d
    let mut at_risk_term = [vec![0.0; m], vec![0.0; m]];
    let mut event_term = [vec![0.0; m], vec![0.0; m]];
    for (j, e) in table.iter().enumerate() {
        let d = e.events[0] + e.events[1];
        let s0 = e.at_risk[0] + e.at_risk[1] * r;
        let s1 = e.at_risk[1] * r;
        let (e0, e1) = (e.events[0] + e.events[1] * r, e.events[1] * r);
        for x in 0..2 {
            let score = if x == 1 { r } else { 1.0 };
            let xf = x as f64;
            let (mut a, mut b, mut c) = (0.0, 0.0, 0.0);
            for k in 0..d as usize {
                let w = k as f64 / d;
                let den = s0 - w * e0;
                let xbar = (s1 - w * e1) / den;
                a += (xf - xbar) / den;
                b += w * (xf - xbar) / den;
                c += (xf - xbar) / d;
            }
            at_risk_term[x][j] = a;
            event_term[x][j] = c + score * b;
        }
    }
    // prefix sums of the at-risk term over event times
    let cum: [Vec<f64>; 2] = [0, 1].map(|x| {
        let mut v = Vec::with_capacity(m + 1);
        v.push(0.0);
        let mut acc = 0.0;
        for &a in &at_risk_term[x] {
            acc += a;
            v.push(acc);
        }
        v
    });
    let times: Vec<f64> = table.iter().map(|e| e.time).collect();
    let n_subjects = intervals.iter().map(|i| i.subject).max().unwrap_or(0) as usize + 1;
    let mut resid = vec![0.0; n_subjects];
    for i in intervals {
        let x = usize::from(i.treated);
        let score = if i.treated { r } else { 1.0 };
        let lo = times.partition_point(|&t| t <= i.start);
        let hi = times.partition_point(|&t| t <= i.stop);
        let mut v = -score * (cum[x][hi] - cum[x][lo]);
        if i.event {
            v += event_term[x][hi - 1];
        }
        resid[i.subject as usize] += v;
    }
    let s: f64 = resid.iter().map(|u| u * u).sum();
    s.sqrt() / info
}

/// LWYY test of the rate ratio (robust Wald z; `margin` = null ln RR).
#[must_use = "the outcome says whether the test rejected"]
pub fn lwyy(intervals: &[Interval], alt: Alternative, margin: f64) -> TestOutcome {
    let f = fit(intervals)?;
    let z = (f.log_rate_ratio - margin) / f.se_robust;
    // a robust variance of 0 (up to rounding): e.g. one patient per arm
    if !z.is_finite()
        || f.se_robust.partial_cmp(&(1e-8 * f.se_naive)) != Some(std::cmp::Ordering::Greater)
    {
        return Err(NotAnalysable::ZeroVariance);
    }
    Ok(TestResult {
        estimate: f.log_rate_ratio.exp(),
        statistic: z,
        p_value: normal_p_value(z, alt),
        df: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(subject: u32, treated: bool, start: f64, stop: f64, event: bool) -> Interval {
        Interval {
            subject,
            treated,
            start,
            stop,
            event,
        }
    }

    /// One interval per patient: the Andersen–Gill fit is the Cox fit of
    /// the log-rank module (same partial likelihood, Efron ties).
    #[test]
    fn one_interval_per_patient_is_the_cox_model() {
        use crate::analysis::SurvivalObs;
        let t = [
            (2.0, true),
            (3.0, false),
            (5.0, true),
            (5.0, true),
            (8.0, false),
        ];
        let c = [
            (1.0, true),
            (2.0, true),
            (4.0, true),
            (5.0, true),
            (6.0, false),
        ];
        let mut v = Vec::new();
        for (k, &(time, event)) in t.iter().enumerate() {
            v.push(iv(k as u32, true, 0.0, time, event));
        }
        for (k, &(time, event)) in c.iter().enumerate() {
            v.push(iv(10 + k as u32, false, 0.0, time, event));
        }
        let f = fit(&v).unwrap();
        let so = |a: &[(f64, bool)]| -> Vec<SurvivalObs> {
            a.iter()
                .map(|&(time, event)| SurvivalObs { time, event })
                .collect()
        };
        let cox = crate::analysis::logrank::cox_fit(&so(&t), &so(&c)).unwrap();
        assert!((f.log_rate_ratio - cox.log_hazard_ratio).abs() < 1e-12);
        assert!((f.se_naive - cox.se_log_hazard_ratio).abs() < 1e-12);
    }

    #[test]
    fn no_events_and_monotone_data_are_not_analysable() {
        let v = [iv(0, true, 0.0, 1.0, false), iv(1, false, 0.0, 2.0, false)];
        assert_eq!(fit(&v), Err(NotAnalysable::NoEvents));
        let v = [
            iv(0, true, 0.0, 1.0, false),
            iv(1, false, 0.0, 0.5, true),
            iv(1, false, 0.5, 2.0, false),
        ];
        assert_eq!(fit(&v), Err(NotAnalysable::MonotoneLikelihood));
        let v = [iv(0, true, 1.0, 1.0, true), iv(1, false, 0.0, 2.0, true)];
        assert_eq!(fit(&v), Err(NotAnalysable::NonFinite));
    }
}
