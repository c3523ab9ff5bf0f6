//! The applicability domain of the calibrated model: what the published
//! trials it was fitted to (`scenarios/trials/`) gave their patients. A
//! scenario that leaves it is an extrapolation, and `validate`, `run` and
//! `sweep` say so for each key that leaves it (a warning, written to
//! `summary.json` and the report like every warning).
//!
//! [`DOMAIN`] is written here once and checked against the trial files by
//! a test (`tests/trials.rs`), so that it cannot drift from them.

use crate::model::{Product, Route};
use crate::scenario::validate::Scenario;
use crate::scenario::warning::{WarningKind, Warnings};
use serde::Serialize;

/// What the calibration trials covered (the arms given cells).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Domain {
    /// Route and product combinations given.
    pub given: Vec<(Route, Product)>,
    /// Per route, the lowest and highest dose per administration (cells/kg).
    pub dose_cells_per_kg: Vec<(Route, f64, f64)>,
    /// Most administrations in one arm.
    pub max_doses: u64,
    /// Intervals between repeated doses (days), lowest and highest.
    pub interval_days: (f64, f64),
    /// Follow-up (days), shortest and longest.
    pub follow_up_days: (f64, f64),
}

/// The domain of `scenarios/trials/` (12 trials).
pub fn calibrated() -> Domain {
    use Product::*;
    use Route::*;
    Domain {
        given: vec![
            (Intravenous, UcMsc),
            (Intravenous, BmMsc),
            (Transendocardial, BmMsc),
            (Transendocardial, AdiposeMsc),
            (Transendocardial, Mpc),
            (Transendocardial, Cardiopoietic),
            (Transendocardial, IxmyelocelT),
            (EpicardialPatch, EngineeredHeartMuscle),
        ],
        dose_cells_per_kg: vec![
            (Intravenous, 1.0e6, 1.5e6),
            (Transendocardial, 2.5e5, 7.5e6),
            (EpicardialPatch, 1.0e7, 1.0e7),
        ],
        max_doses: 3,
        interval_days: (42.0, 42.0),
        follow_up_days: (90.0, 1095.0),
    }
}

/// The domain the given trial scenarios cover.
pub fn of_trials<'a>(trials: impl IntoIterator<Item = &'a Scenario>) -> Domain {
    let mut d = Domain {
        given: Vec::new(),
        dose_cells_per_kg: Vec::new(),
        max_doses: 0,
        interval_days: (f64::INFINITY, f64::NEG_INFINITY),
        follow_up_days: (f64::INFINITY, f64::NEG_INFINITY),
    };
    for s in trials {
        let f = s.run.follow_up_days;
        d.follow_up_days = (d.follow_up_days.0.min(f), d.follow_up_days.1.max(f));
        for arm in s.arms.iter().map(|a| &a.spec) {
            if arm.dose_cells_per_kg <= 0.0 || arm.n_doses == 0 {
                continue;
            }
            if !d.given.contains(&(arm.route, arm.product)) {
                d.given.push((arm.route, arm.product));
            }
            let x = arm.dose_cells_per_kg;
            match d.dose_cells_per_kg.iter_mut().find(|r| r.0 == arm.route) {
                Some(r) => {
                    r.1 = r.1.min(x);
                    r.2 = r.2.max(x);
                }
                None => d.dose_cells_per_kg.push((arm.route, x, x)),
            }
            d.max_doses = d.max_doses.max(arm.n_doses);
            if let (Some(i), true) = (arm.interval_days, arm.n_doses > 1) {
                d.interval_days = (d.interval_days.0.min(i), d.interval_days.1.max(i));
            }
        }
    }
    d
}

fn g(x: f64) -> String {
    if x != 0.0 && (x.abs() >= 1e5 || x.abs() < 1e-3) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// Warn for every key of `s` that leaves the calibrated domain.
pub fn check(s: &Scenario, w: &mut Warnings) {
    let d = calibrated();
    let note = "the calibration trials (scenarios/trials/, docs/validation.md section 3) did not cover it: the answer is an extrapolation of the model";
    for arm in s.arms.iter().map(|a| &a.spec) {
        if arm.dose_cells_per_kg <= 0.0 || arm.n_doses == 0 {
            continue;
        }
        let at = |key: &str| format!("arms.{}.{key}", arm.key);
        if !d.given.contains(&(arm.route, arm.product)) {
            let routes: Vec<&str> = d
                .given
                .iter()
                .filter(|(_, p)| *p == arm.product)
                .map(|(r, _)| r.name())
                .collect();
            w.push(
                WarningKind::ApplicabilityDomain,
                at("product"),
                format!(
                    "product \"{}\" by route \"{}\" is outside the calibrated domain (the trials gave it {}); {note}",
                    arm.product.key(),
                    arm.route.name(),
                    if routes.is_empty() {
                        "by no route".to_string()
                    } else {
                        format!("by: {}", routes.join(", "))
                    }
                ),
            );
        }
        if let Some(&(_, lo, hi)) = d.dose_cells_per_kg.iter().find(|r| r.0 == arm.route) {
            let x = arm.dose_cells_per_kg;
            if x < lo * (1.0 - 1e-9) || x > hi * (1.0 + 1e-9) {
                w.push(
                    WarningKind::ApplicabilityDomain,
                    at("dose_cells_per_kg"),
                    format!(
                        "{} cells/kg per dose by route \"{}\" is outside the calibrated domain ({} to {} cells/kg); {note}",
                        g(x),
                        arm.route.name(),
                        g(lo),
                        g(hi)
                    ),
                );
            }
        }
        if arm.n_doses > d.max_doses {
            w.push(
                WarningKind::ApplicabilityDomain,
                at("n_doses"),
                format!(
                    "{} doses is outside the calibrated domain (at most {}); {note}",
                    arm.n_doses, d.max_doses
                ),
            );
        }
        if let (Some(i), true) = (arm.interval_days, arm.n_doses > 1) {
            let (lo, hi) = d.interval_days;
            if i < lo || i > hi {
                w.push(
                    WarningKind::ApplicabilityDomain,
                    at("interval_days"),
                    format!(
                        "an interval of {} days between doses is outside the calibrated domain ({} to {} days: only PRIME-HFrEF gave repeated doses); {note}",
                        g(i),
                        g(lo),
                        g(hi)
                    ),
                );
            }
        }
    }
    let (lo, hi) = d.follow_up_days;
    let f = s.run.follow_up_days;
    if f < lo || f > hi {
        w.push(
            WarningKind::ApplicabilityDomain,
            "run.follow_up_days",
            format!(
                "{} days of follow-up is outside the calibrated domain ({} to {} days); {note}",
                g(f),
                g(lo),
                g(hi)
            ),
        );
    }
}
