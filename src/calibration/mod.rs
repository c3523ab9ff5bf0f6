//! Calibration to PRIME-HFrEF: is the published trial a typical draw from
//! the simulated ones?
//!
//! Each target is a trial-level statistic (an arm's mean change, an SD, a
//! count of patients with an event, the number with an MRI...). The trial
//! is simulated as it was run (the scenario's n, imaging availability,
//! visits) many times; the published value must lie within the central 95%
//! of the simulated distribution (`check`). `fit` re-derives the parameters
//! without direct evidence by Nelder–Mead on the standardized distance
//! between the simulated means and the published values, with common random
//! numbers (the same patients at every evaluation) so that the objective is
//! smooth. Targets are Part A of `shared/evidence.md`.

pub mod domain;
pub mod nelder_mead;
pub mod posterior;

use crate::evaluation::ArmMoments;
use crate::model::observation::{Modality, Quantity};
use crate::model::params::{P, PARAMS};
use crate::rng::DesignSlot;
use crate::scenario::Scenario;
use crate::scenario::spec::EventKind;
use crate::trial::measurement::slot;
use crate::trial::{Method, PatientRecord, TrialContext, TrialData, Workspace, simulate_trial};
use crate::uncertainty::between_trial;
use rayon::prelude::*;
use serde::Serialize;
use thiserror::Error;

/// What a target is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// Table 1 (pooled over arms).
    Baseline,
    /// Outcomes and laboratory course per arm.
    Outcome,
    /// Imaging availability (patients with a scan).
    Imaging,
}

/// How a trial-level statistic is computed.
#[derive(Debug, Clone, PartialEq)]
pub enum Statistic {
    /// Mean or SD over both arms of a baseline measurement at day 0.
    BaselineMeasured {
        quantity: Quantity,
        modality: Modality,
        day: f64,
        sd: bool,
    },
    /// Mean or SD over both arms of a true baseline covariate.
    BaselineCovariate {
        name: &'static str,
        sd: bool,
    },
    /// Share of patients with a yes/no covariate.
    BaselineShare {
        name: &'static str,
    },
    BaselineAnticoagulated,
    /// Mean or SD in one arm of the change of a measurement from day 0 to `day`.
    Change {
        arm: usize,
        quantity: Quantity,
        modality: Modality,
        day: f64,
        sd: bool,
    },
    /// Mean or SD in one arm of a lab value at `day`.
    Value {
        arm: usize,
        quantity: Quantity,
        modality: Modality,
        day: f64,
        sd: bool,
    },
    /// Mean change from baseline at `day` in `arm` minus that in `control`.
    ChangeDifference {
        arm: usize,
        control: usize,
        quantity: Quantity,
        modality: Modality,
        day: f64,
    },
    /// Student's t (pooled variance) of the change from baseline at `day`,
    /// `arm` minus `control`.
    ChangeT {
        arm: usize,
        control: usize,
        quantity: Quantity,
        modality: Modality,
        day: f64,
    },
    /// One-sample t of the change from baseline at `day` in one arm.
    ChangeWithinT {
        arm: usize,
        quantity: Quantity,
        modality: Modality,
        day: f64,
    },
    /// Wilcoxon rank-sum z of the change from baseline at `day` (normal
    /// approximation, `arm` minus `control`, sign of the Hodges-Lehmann
    /// shift): `sign * z(1 - p / 2)` from the two-sided p-value.
    ChangeRankZ {
        arm: usize,
        control: usize,
        quantity: Quantity,
        modality: Modality,
        day: f64,
    },
    /// Share of the arm's patients with at least one `event` by `day`.
    EventShare {
        arm: usize,
        event: EventKind,
        day: f64,
    },
    /// `EventShare` in `arm` divided by that in `control`.
    EventShareRatio {
        arm: usize,
        control: usize,
        event: EventKind,
        day: f64,
    },
    Deaths {
        arm: usize,
        day: f64,
    },
    /// Patients with a serious adverse event (non-HF SAE or death).
    SaePatients {
        arm: usize,
        day: f64,
    },
    AnaPositive {
        arm: usize,
    },
    /// Patients with a measurement at `day` (and at baseline).
    Measured {
        arm: usize,
        quantity: Quantity,
        modality: Modality,
        day: f64,
    },
    /// Median in one arm of a lab value at `day`, among patients without
    /// background anticoagulation.
    MedianUnanticoagulated {
        arm: usize,
        quantity: Quantity,
        modality: Modality,
        day: f64,
    },
    /// Mean in one arm of a lab value at `day`, among patients without
    /// background anticoagulation.
    MeanUnanticoagulated {
        arm: usize,
        quantity: Quantity,
        modality: Modality,
        day: f64,
    },
}

/// How the published value constrains the simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The published value must be a typical draw (central 95%).
    Typical,
    /// The simulated mean must not exceed the value (a qualitative statement).
    UpperBound,
    /// The simulated mean must reach the value (a qualitative statement).
    LowerBound,
    /// The published value bounds the statistic from above (the trial
    /// counted more than the model's statistic does, e.g. all SAEs against
    /// non-HF SAEs): it must not lie below the simulated central 95%.
    OneSidedUpper,
    /// The published value bounds the statistic from below (e.g. a t
    /// statistic reported only as "p < 0.0001"): it must not lie above the
    /// simulated central 95%.
    OneSidedLower,
}

/// One calibration target.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub name: String,
    pub group: Group,
    pub description: String,
    pub published: f64,
    pub unit: String,
    pub statistic: Statistic,
    /// Used in the `fit` objective.
    pub in_objective: bool,
    pub kind: Kind,
    /// `S` (read in a source copy) or `R` (recalled, unverified), as in
    /// `shared/trials.md`.
    pub tag: String,
}

/// The published trial a scenario reproduces (`[calibration]`) and its targets.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialTargets {
    pub trial: String,
    pub reference: String,
    pub source: String,
    /// The PRIME-HFrEF qualitative patterns are checked too (`builtin = "prime_hfref"`).
    pub prime_patterns: bool,
    pub targets: Vec<Target>,
}

/// Built-in target sets (`[calibration] builtin`).
pub const BUILTIN_TARGETS: &[&str] = &["prime_hfref"];

#[derive(Debug, Clone, PartialEq, Error)]
pub enum CalibrationError {
    #[error("the scenario lacks what calibration to PRIME-HFrEF needs: {0}")]
    Incompatible(String),
    #[error("{0}")]
    Cohort(String),
    #[error("unknown parameter `{0}` for --params (`hfsim model` lists them)")]
    UnknownParameter(String),
}

/// (key, label, published means, published SDs, quantity, modality, day, unit)
type PerArmRow = (
    &'static str,
    &'static str,
    [f64; 2],
    [f64; 2],
    Quantity,
    Modality,
    f64,
    &'static str,
);

/// Per replicate: mean and median D-dimer of unanticoagulated MSC patients
/// per lab visit, and the MSC - placebo differences in dRVESV and dLVEF.
type PatternRow = (Vec<f64>, f64, f64, Vec<f64>);

/// The PRIME-HFrEF targets (Han et al. 2026; shared/evidence.md Part A).
/// Arm 0 is placebo, arm 1 UC-MSC.
pub fn prime_targets() -> Vec<Target> {
    use Modality::*;
    use Quantity::*;
    use Statistic::*;
    let mut t = Vec::new();
    let mut add = |name: &str,
                   group: Group,
                   description: &str,
                   published: f64,
                   unit: &'static str,
                   statistic: Statistic,
                   fit: bool| {
        t.push(Target {
            name: name.into(),
            group,
            description: description.into(),
            published,
            unit: unit.to_string(),
            statistic,
            in_objective: fit,
            kind: Kind::Typical,
            tag: "S".into(),
        });
    };
    // Table 1, pooled over arms (n = 39): means and SDs.
    let pooled = [
        ("age", "age", 57.10, 12.31, "years"),
        ("lvef", "LVEF (echo)", 26.08, 6.72, "%"),
        ("lvedv", "LVEDV (echo)", 246.63, 98.33, "mL"),
        ("lvesv", "LVESV (echo)", 185.56, 86.95, "mL"),
        ("tapse", "TAPSE", 16.21, 4.50, "mm"),
        ("walk", "6-minute walk", 410.67, 45.71, "m"),
        ("egfr", "eGFR", 74.61, 26.26, "mL/min/1.73m2"),
        ("ntprobnp", "NT-proBNP", 2969.3, 4250.8, "ng/L"),
        ("ddimer", "D-dimer (day 1)", 0.45, 0.45, "mg/L"),
    ];
    for (key, label, mean, sd, unit) in pooled {
        for (is_sd, value) in [(false, mean), (true, sd)] {
            let stat = match key {
                "age" => BaselineCovariate {
                    name: "age_years",
                    sd: is_sd,
                },
                "egfr" => BaselineCovariate {
                    name: "egfr_ml_min_1_73m2",
                    sd: is_sd,
                },
                "lvef" => BaselineMeasured {
                    quantity: Lvef,
                    modality: Echo,
                    day: 0.0,
                    sd: is_sd,
                },
                "lvedv" => BaselineMeasured {
                    quantity: Lvedv,
                    modality: Echo,
                    day: 0.0,
                    sd: is_sd,
                },
                "lvesv" => BaselineMeasured {
                    quantity: Lvesv,
                    modality: Echo,
                    day: 0.0,
                    sd: is_sd,
                },
                "tapse" => BaselineMeasured {
                    quantity: Tapse,
                    modality: Echo,
                    day: 0.0,
                    sd: is_sd,
                },
                "walk" => BaselineMeasured {
                    quantity: SixMinuteWalk,
                    modality: WalkTest,
                    day: 0.0,
                    sd: is_sd,
                },
                "ntprobnp" => BaselineMeasured {
                    quantity: NtProbnp,
                    modality: Lab,
                    day: 0.0,
                    sd: is_sd,
                },
                _ => BaselineMeasured {
                    quantity: DDimer,
                    modality: Lab,
                    day: 1.0,
                    sd: is_sd,
                },
            };
            let name = format!("baseline_{key}_{}", if is_sd { "sd" } else { "mean" });
            add(
                &name,
                Group::Baseline,
                &format!(
                    "{label}, {} over both arms (Table 1)",
                    if is_sd { "SD" } else { "mean" }
                ),
                value,
                unit,
                stat,
                false,
            );
        }
    }
    for (name, label, share) in [
        ("male", "men", 28.0 / 39.0),
        ("diabetes", "diabetes", 9.0 / 39.0),
        ("ischaemic", "ischaemic heart disease", 16.0 / 39.0),
        ("atrial_fibrillation", "atrial fibrillation", 13.0 / 39.0),
    ] {
        add(
            &format!("baseline_{name}_share"),
            Group::Baseline,
            &format!("share with {label} (Table 1)"),
            share,
            "share",
            BaselineShare { name },
            false,
        );
    }
    add(
        "baseline_anticoagulant_share",
        Group::Baseline,
        "share on VKA/NOAC (Table 1)",
        13.0 / 39.0,
        "share",
        BaselineAnticoagulated,
        false,
    );
    // Outcomes per arm.
    let arms = [(0usize, "placebo"), (1usize, "msc")];
    let per_arm: [PerArmRow; 3] = [
        (
            "dlvef_mri_d360",
            "change in LVEF by MRI at day 360",
            [12.63, 8.73],
            [6.99, 8.81],
            Lvef,
            Mri,
            360.0,
            "EF points",
        ),
        (
            "drvesv_mri_d180",
            "change in RVESV by MRI at day 180",
            [3.46, -39.46],
            [16.26, 59.85],
            Rvesv,
            Mri,
            180.0,
            "mL",
        ),
        (
            "drvedv_mri_d180",
            "change in RVEDV by MRI at day 180",
            [20.00, -24.44],
            [34.13, 44.75],
            Rvedv,
            Mri,
            180.0,
            "mL",
        ),
    ];
    for (key, label, means, sds, q, m, day, unit) in per_arm {
        for (a, arm) in arms {
            add(
                &format!("{key}_{arm}_mean"),
                Group::Outcome,
                &format!("{label}, {arm} mean"),
                means[a],
                unit,
                Change {
                    arm: a,
                    quantity: q,
                    modality: m,
                    day,
                    sd: false,
                },
                true,
            );
            add(
                &format!("{key}_{arm}_sd"),
                Group::Outcome,
                &format!("{label}, {arm} SD"),
                sds[a],
                unit,
                Change {
                    arm: a,
                    quantity: q,
                    modality: m,
                    day,
                    sd: true,
                },
                true,
            );
        }
    }
    add(
        "drvesv_mri_d360_msc_mean",
        Group::Outcome,
        "change in RVESV by MRI at day 360, MSC mean",
        -50.31,
        "mL",
        Change {
            arm: 1,
            quantity: Rvesv,
            modality: Mri,
            day: 360.0,
            sd: false,
        },
        true,
    );
    add(
        "drvesv_mri_d360_msc_sd",
        Group::Outcome,
        "change in RVESV by MRI at day 360, MSC SD",
        72.60,
        "mL",
        Change {
            arm: 1,
            quantity: Rvesv,
            modality: Mri,
            day: 360.0,
            sd: true,
        },
        true,
    );
    // TAPSE (echo) and NT-proBNP: reported as p-values only (Fig. 5d and
    // the text of Han et al.), turned into the statistic of the test the
    // paper used, at its degrees of freedom.
    let t_of = |p_two_sided: f64, df: f64| crate::analysis::special::t_isf(0.5 * p_two_sided, df);
    for (day, p, n) in [(180.0, 0.071, [18.0, 19.0]), (360.0, 0.068, [19.0, 18.0])] {
        add(
            &format!("dtapse_echo_d{day}_t"),
            Group::Outcome,
            &format!(
                "change in TAPSE at day {day}, MSC vs placebo Student t (P = {p}, n = {} vs {}, Fig. 5d)",
                n[1], n[0]
            ),
            t_of(p, n[0] + n[1] - 2.0),
            "t",
            ChangeT {
                arm: 1,
                control: 0,
                quantity: Tapse,
                modality: Echo,
                day,
            },
            true,
        );
    }
    for (day, p, n) in [(180.0, 0.043, 19.0), (360.0, 0.023, 18.0)] {
        add(
            &format!("dtapse_echo_d{day}_msc_t"),
            Group::Outcome,
            &format!("change in TAPSE at day {day}, MSC one-sample t (P = {p}, n = {n})"),
            t_of(p, n - 1.0),
            "t",
            ChangeWithinT {
                arm: 1,
                quantity: Tapse,
                modality: Echo,
                day,
            },
            true,
        );
    }
    // NT-proBNP: the unadjusted rank-sum P = 0.035 (MSC fell more) was not
    // significant after adjusting for the imbalanced baseline (MSC 4001 vs
    // placebo 1883 ng/L, regression to the mean not excluded). Only its
    // direction is a target: the simulated mean z must not be positive.
    add(
        "dntprobnp_d360_rank_z",
        Group::Outcome,
        "change in NT-proBNP at day 360, MSC vs placebo rank-sum z: at most 0 (direction of the unadjusted P = 0.035, z = -2.11; not significant after adjusting for baseline), not fitted",
        0.0,
        "z",
        ChangeRankZ {
            arm: 1,
            control: 0,
            quantity: NtProbnp,
            modality: Lab,
            day: 360.0,
        },
        false,
    );
    add(
        "d6mwd_d360_msc_mean",
        Group::Outcome,
        "change in 6-minute walk at day 360, MSC mean",
        41.86,
        "m",
        Change {
            arm: 1,
            quantity: SixMinuteWalk,
            modality: WalkTest,
            day: 360.0,
            sd: false,
        },
        true,
    );
    for (a, arm) in arms {
        let (events, deaths, sae, ana) = if a == 0 {
            (5.0 / 19.0, 0.0, 2.0, 1.0)
        } else {
            (6.0 / 20.0, 2.0, 4.0, 6.0)
        };
        add(
            &format!("death_or_hfh_{arm}_share"),
            Group::Outcome,
            &format!("share with death or HF hospitalization by day 360, {arm}"),
            events,
            "share",
            EventShare {
                arm: a,
                event: EventKind::DeathOrHfHospitalization,
                day: 360.0,
            },
            true,
        );
        add(
            &format!("deaths_{arm}"),
            Group::Outcome,
            &format!("deaths by day 360, {arm}"),
            deaths,
            "patients",
            Deaths { arm: a, day: 360.0 },
            true,
        );
        add(
            &format!("sae_patients_{arm}"),
            Group::Outcome,
            &format!("patients with a serious adverse event, {arm}"),
            sae,
            "patients",
            SaePatients { arm: a, day: 360.0 },
            true,
        );
        add(
            &format!("ana_positive_{arm}"),
            Group::Outcome,
            &format!("ANA-positive patients, {arm}"),
            ana,
            "patients",
            AnaPositive { arm: a },
            true,
        );
    }
    let dd = [[0.50, 0.24, 0.32], [0.41, 0.75, 0.57]];
    let dd_sd = [[0.46, 0.16, 0.21], [0.44, 1.32, 0.95]];
    for (a, arm) in arms {
        for (k, day) in [1.0, 91.0, 360.0].into_iter().enumerate() {
            add(
                &format!("ddimer_d{day}_{arm}_mean"),
                Group::Outcome,
                &format!("D-dimer at day {day}, {arm} mean (Table 3)"),
                dd[a][k],
                "mg/L",
                Value {
                    arm: a,
                    quantity: DDimer,
                    modality: Lab,
                    day,
                    sd: false,
                },
                true,
            );
        }
        add(
            &format!("ddimer_d91_{arm}_sd"),
            Group::Outcome,
            &format!("D-dimer at day 91, {arm} SD (Table 3)"),
            dd_sd[a][1],
            "mg/L",
            Value {
                arm: a,
                quantity: DDimer,
                modality: Lab,
                day: 91.0,
                sd: true,
            },
            true,
        );
    }
    // "Back in the normal range by day 180" (the typical patient without anticoagulants).
    let mut bounds = Vec::new();
    for day in [180.0, 360.0] {
        bounds.push(Target {
            name: format!("ddimer_median_unanticoagulated_d{day}_msc"),
            group: Group::Outcome,
            description: format!("median D-dimer at day {day} of MSC patients without anticoagulants, at most the upper limit of normal"),
            published: 0.5,
            unit: "mg/L".into(),
            statistic: Statistic::MedianUnanticoagulated { arm: 1, quantity: DDimer, modality: Lab, day },
            in_objective: true,
            kind: Kind::UpperBound,
            tag: "S".into(),
        });
    }
    // "Raised to pathological levels after the 2nd infusion and through the
    // 3rd" (patients without anticoagulants carried the rise).
    for day in [49.0, 63.0, 84.0, 91.0] {
        bounds.push(Target {
            name: format!("ddimer_mean_unanticoagulated_d{day}_msc"),
            group: Group::Outcome,
            description: format!("mean D-dimer at day {day} of MSC patients without anticoagulants, above the upper limit of normal"),
            published: 0.5,
            unit: "mg/L".into(),
            statistic: Statistic::MeanUnanticoagulated { arm: 1, quantity: DDimer, modality: Lab, day },
            in_objective: true,
            kind: Kind::LowerBound,
            tag: "S".into(),
        });
    }
    // Imaging availability (patients with a scan at baseline and follow-up).
    let counts = [
        (
            "n_lv_mri_d360",
            Lvef,
            Mri,
            360.0,
            [13.0, 14.0],
            "LV MRI at day 360",
        ),
        (
            "n_rv_mri_d180",
            Rvesv,
            Mri,
            180.0,
            [12.0, 14.0],
            "RV MRI at day 180",
        ),
        (
            "n_rv_mri_d360",
            Rvesv,
            Mri,
            360.0,
            [11.0, 14.0],
            "RV MRI at day 360",
        ),
        (
            "n_echo_d360",
            Lvef,
            Echo,
            360.0,
            [19.0, 18.0],
            "echo at day 360",
        ),
    ];
    for (key, q, m, day, n, label) in counts {
        for (a, arm) in arms {
            add(
                &format!("{key}_{arm}"),
                Group::Imaging,
                &format!("patients with {label}, {arm}"),
                n[a],
                "patients",
                Measured {
                    arm: a,
                    quantity: q,
                    modality: m,
                    day,
                },
                true,
            );
        }
    }
    t.extend(bounds);
    for x in t.iter_mut().filter(|x| x.name == "dntprobnp_d360_rank_z") {
        x.kind = Kind::UpperBound;
    }
    t
}

fn visit_at(s: &Scenario, day: f64) -> Option<usize> {
    s.trial
        .visits
        .iter()
        .position(|v| (v.day - day).abs() < 0.5)
}

/// Compute one statistic on one simulated trial (None when it cannot be
/// computed, e.g. fewer than two patients for an SD).
pub fn compute(s: &Scenario, data: &TrialData, st: &Statistic) -> Option<f64> {
    let fas = || {
        data.patients
            .iter()
            .filter(|p: &&PatientRecord| !p.withdrawn && !p.failed)
    };
    let moments = |vals: Vec<f64>, sd: bool| {
        let m = ArmMoments::of(vals.into_iter());
        let v = if sd { m.sd } else { m.mean };
        v.is_finite().then_some(v)
    };
    let cov = |name: &str| s.population.covariates.iter().position(|c| c.name == name);
    // changes from baseline at `day` in arm `a` (finite values only)
    let changes =
        |a: usize, quantity: Quantity, modality: Modality, day: f64| -> Option<Vec<f64>> {
            let (v, k) = (visit_at(s, day)?, slot(quantity, modality)?);
            let b = s.trial.baseline_visit(modality)?;
            Some(
                fas()
                    .filter(|p| p.arm as usize == a)
                    .map(|p| p.value(v, k) - p.value(b, k))
                    .filter(|x| x.is_finite())
                    .collect(),
            )
        };
    let event_share = |a: usize, event: EventKind, day: f64| {
        let v: Vec<f64> = fas()
            .filter(|p| p.arm as usize == a)
            .map(|p| {
                let (_, e) = crate::trial::endpoints::event_observation(p, event, day);
                f64::from(u8::from(e))
            })
            .collect();
        moments(v, false)
    };
    match *st {
        Statistic::BaselineMeasured {
            quantity,
            modality,
            day,
            sd,
        } => {
            let (v, k) = (visit_at(s, day)?, slot(quantity, modality)?);
            moments(
                fas()
                    .map(|p| p.value(v, k))
                    .filter(|x| x.is_finite())
                    .collect(),
                sd,
            )
        }
        Statistic::BaselineCovariate { name, sd } => {
            let i = cov(name)?;
            moments(fas().map(|p| p.covariates[i]).collect(), sd)
        }
        Statistic::BaselineShare { name } => {
            let i = cov(name)?;
            moments(fas().map(|p| p.covariates[i]).collect(), false)
        }
        Statistic::BaselineAnticoagulated => moments(
            fas()
                .map(|p| f64::from(u8::from(p.anticoagulated)))
                .collect(),
            false,
        ),
        Statistic::Change {
            arm,
            quantity,
            modality,
            day,
            sd,
        } => moments(changes(arm, quantity, modality, day)?, sd),
        Statistic::Value {
            arm,
            quantity,
            modality,
            day,
            sd,
        } => {
            let (v, k) = (visit_at(s, day)?, slot(quantity, modality)?);
            moments(
                fas()
                    .filter(|p| p.arm as usize == arm)
                    .map(|p| p.value(v, k))
                    .filter(|x| x.is_finite())
                    .collect(),
                sd,
            )
        }
        Statistic::ChangeDifference {
            arm,
            control,
            quantity,
            modality,
            day,
        } => {
            let a = moments(changes(arm, quantity, modality, day)?, false)?;
            let c = moments(changes(control, quantity, modality, day)?, false)?;
            Some(a - c)
        }
        Statistic::ChangeT {
            arm,
            control,
            quantity,
            modality,
            day,
        } => {
            let r = crate::analysis::ttest::student(
                &changes(arm, quantity, modality, day)?,
                &changes(control, quantity, modality, day)?,
                crate::analysis::Alternative::TwoSided,
            )
            .ok()?;
            r.statistic.is_finite().then_some(r.statistic)
        }
        Statistic::ChangeWithinT {
            arm,
            quantity,
            modality,
            day,
        } => {
            let vals = changes(arm, quantity, modality, day)?;
            let m = ArmMoments::of(vals.iter().copied());
            let t = m.mean / (m.sd / (vals.len() as f64).sqrt());
            (vals.len() >= 2 && t.is_finite()).then_some(t)
        }
        Statistic::ChangeRankZ {
            arm,
            control,
            quantity,
            modality,
            day,
        } => {
            let (t, c) = (
                changes(arm, quantity, modality, day)?,
                changes(control, quantity, modality, day)?,
            );
            let r = crate::analysis::wilcoxon::rank_sum(
                &t,
                &c,
                crate::analysis::Alternative::TwoSided,
                crate::analysis::wilcoxon::Method::Normal,
            )
            .ok()?;
            let shift = crate::analysis::wilcoxon::hodges_lehmann(&t, &c)?;
            let z = crate::analysis::special::norm_isf(0.5 * r.p_value.max(1e-300));
            Some(if shift < 0.0 { -z } else { z })
        }
        Statistic::EventShare { arm, event, day } => event_share(arm, event, day),
        Statistic::EventShareRatio {
            arm,
            control,
            event,
            day,
        } => {
            let (a, c) = (
                event_share(arm, event, day)?,
                event_share(control, event, day)?,
            );
            (c > 0.0).then(|| a / c)
        }
        Statistic::Deaths { arm, day } => Some(
            fas()
                .filter(|p| p.arm as usize == arm)
                .filter(|p| {
                    crate::trial::endpoints::event_observation(
                        p,
                        crate::scenario::spec::EventKind::Death,
                        day,
                    )
                    .1
                })
                .count() as f64,
        ),
        Statistic::SaePatients { arm, day } => Some(
            fas()
                .filter(|p| p.arm as usize == arm)
                .filter(|p| {
                    crate::trial::endpoints::event_observation(
                        p,
                        crate::scenario::spec::EventKind::SeriousAdverseEvent,
                        day,
                    )
                    .1
                })
                .count() as f64,
        ),
        Statistic::AnaPositive { arm } => Some(
            fas()
                .filter(|p| p.arm as usize == arm && p.ana_positive)
                .count() as f64,
        ),
        Statistic::MeanUnanticoagulated {
            arm,
            quantity,
            modality,
            day,
        } => {
            let (v, k) = (visit_at(s, day)?, slot(quantity, modality)?);
            let x: Vec<f64> = fas()
                .filter(|p| p.arm as usize == arm && !p.anticoagulated)
                .map(|p| p.value(v, k))
                .filter(|x| x.is_finite())
                .collect();
            moments(x, false)
        }
        Statistic::MedianUnanticoagulated {
            arm,
            quantity,
            modality,
            day,
        } => {
            let (v, k) = (visit_at(s, day)?, slot(quantity, modality)?);
            let mut x: Vec<f64> = fas()
                .filter(|p| p.arm as usize == arm && !p.anticoagulated)
                .map(|p| p.value(v, k))
                .filter(|x| x.is_finite())
                .collect();
            x.sort_by(f64::total_cmp);
            (!x.is_empty()).then(|| quantile(&x, 0.5))
        }
        Statistic::Measured {
            arm,
            quantity,
            modality,
            day,
        } => {
            let (v, k) = (visit_at(s, day)?, slot(quantity, modality)?);
            let b = s.trial.baseline_visit(modality)?;
            Some(
                fas()
                    .filter(|p| {
                        p.arm as usize == arm
                            && p.value(v, k).is_finite()
                            && p.value(b, k).is_finite()
                    })
                    .count() as f64,
            )
        }
    }
}

/// Check that a scenario can be compared with PRIME-HFrEF.
pub fn check_compatible(s: &Scenario) -> Result<(), CalibrationError> {
    for day in [0.0, 1.0, 49.0, 63.0, 84.0, 91.0, 180.0, 360.0] {
        if visit_at(s, day).is_none() {
            return Err(CalibrationError::Incompatible(format!(
                "a visit at day {day} (PRIME-HFrEF V0, V2, V10, V11, V12)"
            )));
        }
    }
    if s.run.follow_up_days < 360.0 {
        return Err(CalibrationError::Incompatible(
            "360 days of follow-up".into(),
        ));
    }
    Ok(())
}

/// The simulated distribution of every target.
#[derive(Debug, Clone)]
pub struct Simulated {
    /// `values[k]`: the statistic of target k in every replicate where it could be computed.
    pub values: Vec<Vec<f64>>,
    pub replicates: u64,
    pub failed_replicates: u64,
}

/// Simulate `replicates` trials (in parallel, results in replicate order).
pub fn simulate_targets(
    s: &Scenario,
    targets: &[Target],
    method: Method,
    replicates: u64,
    seed_offset: u64,
) -> Simulated {
    let mut scenario = s.clone();
    scenario.run.seed = s.run.seed.wrapping_add(seed_offset);
    let ctx = TrialContext::new(scenario, DesignSlot::Shared, method);
    let heterogeneous = between_trial::is_heterogeneous(&ctx.scenario.model);
    let rows: Vec<Option<Vec<Option<f64>>>> = (0..replicates)
        .into_par_iter()
        .map_init(Workspace::default, |ws, r| {
            // Each simulated trial is a trial drawn from the population of
            // trials: its own deviation from the typical trial.
            let own;
            let ctx = if heterogeneous {
                let mut c = ctx.clone();
                between_trial::draw_into(&mut c.scenario.model, c.scenario.run.seed, r);
                own = c;
                &own
            } else {
                &ctx
            };
            simulate_trial(ctx, r, ws).ok().map(|d| {
                targets
                    .iter()
                    .map(|t| compute(&ctx.scenario, &d, &t.statistic))
                    .collect()
            })
        })
        .collect();
    let mut values = vec![Vec::with_capacity(replicates as usize); targets.len()];
    let mut failed = 0;
    for row in rows {
        match row {
            Some(r) => {
                for (k, v) in r.into_iter().enumerate() {
                    if let Some(x) = v {
                        values[k].push(x);
                    }
                }
            }
            None => failed += 1,
        }
    }
    Simulated {
        values,
        replicates,
        failed_replicates: failed,
    }
}

/// Where the published value falls in a simulated distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetResult {
    pub name: String,
    pub group: Group,
    pub description: String,
    pub unit: String,
    pub tag: String,
    pub published: f64,
    pub simulated_median: f64,
    pub simulated_mean: f64,
    pub simulated_low: f64,
    pub simulated_high: f64,
    /// Mid-rank percentile of the published value (0-100).
    pub percentile: f64,
    pub pass: bool,
    pub kind: Kind,
    /// Replicates in which the statistic could be computed.
    pub n: usize,
    #[serde(skip)]
    pub values: Vec<f64>,
}

/// Quantile by linear interpolation of the sorted sample.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (i, f) = (pos.floor() as usize, pos.fract());
    if i + 1 < sorted.len() {
        sorted[i] + f * (sorted[i + 1] - sorted[i])
    } else {
        sorted[i]
    }
}

/// Where `published` falls among simulated values: the counts below it and
/// equal to it, `P(X <= published)` and `P(X >= published)`.
fn tails(values: &[f64], published: f64) -> (f64, f64, f64, f64) {
    let nf = values.len().max(1) as f64;
    let below = values.iter().filter(|&&x| x < published).count() as f64;
    let equal = values.iter().filter(|&&x| x == published).count() as f64;
    (below, equal, (below + equal) / nf, (nf - below) / nf)
}

/// Compare each target with its simulated distribution. A target passes if
/// the published value is not in either 2.5% tail: `P(X <= published) >=
/// 0.025` and `P(X >= published) >= 0.025` (works for counts too).
pub fn assess(targets: &[Target], sim: &Simulated) -> Vec<TargetResult> {
    targets
        .iter()
        .zip(&sim.values)
        .map(|(t, v)| {
            let mut s = v.clone();
            s.sort_by(f64::total_cmp);
            let n = s.len();
            let (below, equal, p_le, p_ge) = tails(&s, t.published);
            let nf = n.max(1) as f64;
            let mean = s.iter().sum::<f64>() / nf;
            let pass = match t.kind {
                Kind::Typical => n >= 20 && p_le >= 0.025 && p_ge >= 0.025,
                Kind::UpperBound => n >= 20 && mean <= t.published,
                Kind::LowerBound => n >= 20 && mean >= t.published,
                Kind::OneSidedUpper => n >= 20 && p_le >= 0.025,
                Kind::OneSidedLower => n >= 20 && p_ge >= 0.025,
            };
            TargetResult {
                name: t.name.clone(),
                group: t.group,
                description: t.description.clone(),
                unit: t.unit.clone(),
                tag: t.tag.clone(),
                published: t.published,
                simulated_median: quantile(&s, 0.5),
                simulated_mean: mean,
                simulated_low: quantile(&s, 0.025),
                simulated_high: quantile(&s, 0.975),
                percentile: 100.0 * (below + 0.5 * equal) / nf,
                pass,
                kind: t.kind,
                n,
                values: s,
            }
        })
        .collect()
}

/// A qualitative pattern the model has to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatternResult {
    pub name: &'static str,
    pub description: &'static str,
    pub value: f64,
    pub criterion: &'static str,
    pub pass: bool,
}

/// The qualitative patterns of PRIME-HFrEF, on the mean over replicates.
pub fn patterns(s: &Scenario, method: Method, replicates: u64) -> Vec<PatternResult> {
    let ctx = TrialContext::new(s.clone(), DesignSlot::Shared, method);
    let k = slot(Quantity::DDimer, Modality::Lab).expect("slot");
    let lab_days: Vec<(usize, f64)> = s
        .trial
        .visits
        .iter()
        .enumerate()
        .filter(|(_, v)| v.measures(Modality::Lab))
        .map(|(i, v)| (i, v.day))
        .collect();
    // per replicate: mean D-dimer of non-anticoagulated MSC patients per lab visit; RV and LV differences
    let rows: Vec<Option<PatternRow>> = (0..replicates)
        .into_par_iter()
        .map_init(Workspace::default, |ws, r| {
            let d = simulate_trial(&ctx, r, ws).ok()?;
            let per_visit: Vec<Vec<f64>> = lab_days
                .iter()
                .map(|&(v, _)| {
                    let mut x: Vec<f64> = d
                        .patients
                        .iter()
                        .filter(|p| !p.withdrawn && !p.failed && p.arm == 1 && !p.anticoagulated)
                        .map(|p| p.value(v, k))
                        .filter(|x| x.is_finite())
                        .collect();
                    x.sort_by(f64::total_cmp);
                    x
                })
                .collect();
            let dd: Vec<f64> = per_visit
                .iter()
                .map(|x| {
                    if x.is_empty() {
                        f64::NAN
                    } else {
                        x.iter().sum::<f64>() / x.len() as f64
                    }
                })
                .collect();
            let med: Vec<f64> = per_visit.iter().map(|x| quantile(x, 0.5)).collect();
            let ch = |arm: usize, q: Quantity, day: f64| {
                compute(
                    &ctx.scenario,
                    &d,
                    &Statistic::Change {
                        arm,
                        quantity: q,
                        modality: Modality::Mri,
                        day,
                        sd: false,
                    },
                )
            };
            let rv = ch(1, Quantity::Rvesv, 360.0)? - ch(0, Quantity::Rvesv, 360.0)?;
            let lv = ch(1, Quantity::Lvef, 360.0)? - ch(0, Quantity::Lvef, 360.0)?;
            Some((dd, rv, lv, med))
        })
        .collect();
    let ok: Vec<&PatternRow> = rows.iter().flatten().collect();
    let mean_at = |day_lo: f64, day_hi: f64| -> f64 {
        let mut vals = Vec::new();
        for (i, &(_, day)) in lab_days.iter().enumerate() {
            if day >= day_lo && day <= day_hi {
                let xs: Vec<f64> = ok
                    .iter()
                    .map(|r| r.0[i])
                    .filter(|x| x.is_finite())
                    .collect();
                if !xs.is_empty() {
                    vals.push(xs.iter().sum::<f64>() / xs.len() as f64);
                }
            }
        }
        if vals.is_empty() {
            f64::NAN
        } else {
            vals.iter().cloned().fold(f64::INFINITY, f64::min)
        }
    };
    let high = mean_at(43.0, 91.0);
    // "back in the normal range": the typical (median) patient, averaged over replicates
    let late = {
        let xs: Vec<f64> = lab_days
            .iter()
            .enumerate()
            .filter(|(_, d)| d.1 >= 180.0)
            .map(|(i, _)| {
                let v: Vec<f64> = ok
                    .iter()
                    .map(|r| r.3[i])
                    .filter(|x| x.is_finite())
                    .collect();
                v.iter().sum::<f64>() / v.len().max(1) as f64
            })
            .collect();
        xs.into_iter().fold(f64::NEG_INFINITY, f64::max)
    };
    let rv: Vec<f64> = {
        let mut v: Vec<f64> = ok.iter().map(|r| r.1).collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let lv: Vec<f64> = {
        let mut v: Vec<f64> = ok.iter().map(|r| r.2).collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let uln = 0.5;
    vec![
        PatternResult {
            name: "ddimer_raised_after_second_infusion",
            description: "mean D-dimer of MSC patients without anticoagulants above the upper limit of normal at every lab visit from the 2nd infusion through day 91",
            value: high,
            criterion: "lowest visit mean > 0.5 mg/L",
            pass: high > uln,
        },
        PatternResult {
            name: "ddimer_normal_by_day_180",
            description: "median D-dimer of MSC patients without anticoagulants back in the normal range at days 180 and 360",
            value: late,
            criterion: "highest visit median < 0.5 mg/L",
            pass: late < uln,
        },
        PatternResult {
            name: "rv_benefit_persists_at_day_360",
            description: "median difference (MSC - placebo) in mean change of RVESV at day 360",
            value: quantile(&rv, 0.5),
            criterion: "< 0 mL",
            pass: quantile(&rv, 0.5) < 0.0,
        },
        PatternResult {
            name: "no_lv_benefit",
            description: "median difference (MSC - placebo) in mean change of LVEF by MRI at day 360",
            value: quantile(&lv, 0.5),
            criterion: "< +2 EF points",
            pass: quantile(&lv, 0.5) < 2.0,
        },
    ]
}

/// A parameter being fitted (on the log scale for positive parameters).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FreeParameter {
    pub param: P,
    /// Searched on the log scale (parameters that cannot be negative).
    pub log_scale: bool,
    /// Searched on the logit scale (fractions in [0, 1]).
    pub logit_scale: bool,
}

impl FreeParameter {
    pub fn parse(names: &str) -> Result<Vec<FreeParameter>, CalibrationError> {
        names
            .split(',')
            .map(|n| n.trim())
            .filter(|n| !n.is_empty())
            .map(|n| {
                let p = P::from_name(n)
                    .ok_or_else(|| CalibrationError::UnknownParameter(n.to_string()))?;
                let info = p.info();
                Ok(FreeParameter {
                    param: p,
                    log_scale: info.min >= 0.0,
                    logit_scale: info.min == 0.0 && info.max == 1.0 && info.unit == "fraction",
                })
            })
            .collect()
    }
    fn to_internal(self, v: f64) -> f64 {
        if self.logit_scale {
            let p = v.clamp(1e-12, 1.0 - 1e-12);
            (p / (1.0 - p)).ln()
        } else if self.log_scale {
            v.max(1e-12).ln()
        } else {
            v
        }
    }
    /// Where the fit starts: the prior median, or the table default for a
    /// parameter without a prior.
    pub fn start(self) -> f64 {
        crate::model::priors::prior_of(self.param).map_or(self.param.info().default, |p| p.median())
    }
    fn to_value(self, x: f64) -> f64 {
        let info = self.param.info();
        let v = if self.logit_scale {
            1.0 / (1.0 + (-x).exp())
        } else if self.log_scale {
            x.exp()
        } else {
            x
        };
        v.clamp(info.min, info.max)
    }
}

/// The prior part of the fit's objective at internal coordinates `x`:
/// `sum z_i^2`, `z_i` the prior deviate of each free parameter's value
/// (`model::priors::deviate`); a value outside a prior's support costs 1e6.
pub fn prior_penalty(free: &[FreeParameter], x: &[f64]) -> f64 {
    free.iter()
        .zip(x)
        .filter_map(|(f, &xi)| {
            let prior = crate::model::priors::prior_of(f.param)?;
            Some(crate::model::priors::deviate(&prior, f.to_value(xi)).map_or(1e6, |z| z * z))
        })
        .sum()
}

/// Outcome of a fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitResult {
    pub parameters: Vec<(String, f64)>,
    pub start: Vec<(String, f64)>,
    /// The data part of the objective at the optimum (sum of squared
    /// standardized gaps).
    pub distance: f64,
    /// The prior part at the optimum: `sum z_i^2` over the free parameters
    /// with a prior (`model::priors`); the fit minimizes `distance + penalty`
    /// (maximum a posteriori under a Gaussian synthetic likelihood).
    pub penalty: f64,
    pub start_distance: f64,
    pub start_penalty: f64,
    pub evaluations: usize,
    pub converged: bool,
    pub replicates: u64,
}

/// The data distance, `-2 log` of a Gaussian synthetic likelihood (Wood
/// 2010) up to a constant: over objective targets of the typical kind,
/// `((m - published) / s)^2 + ln(s^2 / s0^2)`, with `m` and `s` the
/// simulated mean and SD at these parameters and `s0` (`scale`) the SD at
/// the prior medians (so the log term is 0 there and the distance keeps its
/// scale). The log term is what makes a spread identifiable: a parameter
/// that widens the simulated trials (the between-trial SDs) lowers the
/// squared gaps and pays for it in `ln s^2`. `s` is floored at `s0 / 5` (a
/// statistic that stops varying would otherwise gain without bound). Bounds
/// and one-sided targets are hinges, `(max(0, gap) / s0)^2`, at the fixed
/// scale.
pub fn distance(targets: &[Target], sim: &Simulated, scale: &[f64]) -> f64 {
    targets
        .iter()
        .zip(&sim.values)
        .zip(scale)
        .filter(|((t, _), _)| t.in_objective)
        .map(|((t, v), &sd0)| {
            if v.is_empty() {
                return 1e6;
            }
            let sd0 = sd0.max(1e-9);
            let m = v.iter().sum::<f64>() / v.len() as f64;
            match t.kind {
                Kind::Typical => {
                    let sd = if v.len() > 1 {
                        let ss = v.iter().map(|x| (x - m).powi(2)).sum::<f64>();
                        (ss / (v.len() - 1) as f64).sqrt()
                    } else {
                        sd0
                    };
                    let sd = sd.max(sd0 / 5.0);
                    ((m - t.published) / sd).powi(2) + 2.0 * (sd / sd0).ln()
                }
                Kind::UpperBound | Kind::OneSidedUpper => {
                    ((m - t.published).max(0.0) / sd0).powi(2)
                }
                Kind::LowerBound | Kind::OneSidedLower => {
                    ((t.published - m).max(0.0) / sd0).powi(2)
                }
            }
        })
        .sum()
}

/// One trial of a joint fit: the scenario as it was run and its targets.
#[derive(Debug, Clone)]
pub struct FitTrial {
    pub scenario: Scenario,
    pub targets: Vec<Target>,
    pub method: Method,
    /// Simulated trials per evaluation ([`fit_replicates`]).
    pub replicates: u64,
}

/// Simulated trials per evaluation for a trial of `patients` followed for
/// `days`: `replicates` for a trial the size of PRIME-HFrEF (40 patients,
/// 360 days) or smaller, fewer for larger ones so that every trial costs
/// about the same patient-days (a trial's own noise shrinks as it grows),
/// and never fewer than 40.
pub fn fit_replicates(replicates: u64, patients: u64, days: f64) -> u64 {
    let budget = replicates as f64 * 40.0 * 360.0;
    let per_trial = (patients.max(1) as f64 * days.max(1.0)).max(40.0 * 360.0);
    ((budget / per_trial).round() as u64).clamp(40.min(replicates), replicates)
}

/// Each target's spread over the simulated trials, per trial (the fixed
/// scales of the distance; 1 where a spread is not available).
fn scales(trials: &[FitTrial]) -> Vec<Vec<f64>> {
    trials
        .iter()
        .map(|t| {
            simulate_targets(&t.scenario, &t.targets, t.method, t.replicates, 0)
                .values
                .iter()
                .map(|v| {
                    let m = ArmMoments::of(v.iter().copied());
                    if m.sd.is_finite() && m.sd > 0.0 {
                        m.sd
                    } else {
                        1.0
                    }
                })
                .collect()
        })
        .collect()
}

/// The trials with every free parameter at its prior median (where the
/// fit starts and where its scales are taken).
fn at_prior_medians(trials: &[FitTrial], free: &[FreeParameter]) -> Vec<FitTrial> {
    trials
        .iter()
        .map(|t| {
            let mut t = t.clone();
            for f in free {
                t.scenario.model.set(f.param, f.start());
            }
            t
        })
        .collect()
}

/// The data distance summed over the trials, with the parameters `set`
/// replaced in every trial's model.
fn joint_distance(trials: &[FitTrial], scale: &[Vec<f64>], set: &[(P, f64)]) -> f64 {
    trials
        .iter()
        .zip(scale)
        .map(|(t, sc)| {
            let mut s = t.scenario.clone();
            for &(p, v) in set {
                s.model.set(p, v);
            }
            distance(
                &t.targets,
                &simulate_targets(&s, &t.targets, t.method, t.replicates, 0),
                sc,
            )
        })
        .sum()
}

/// Fit `free` parameters to the targets of every trial at once (maximum a
/// posteriori: the summed data distance plus the prior penalty), starting
/// from the prior medians (so that the result does not depend on values
/// already fitted into the files). `replicates` per trial and evaluation,
/// the same simulated patients at every evaluation (common random
/// numbers); the result is deterministic for given scenarios and seeds,
/// whatever the thread count.
pub fn fit(
    trials: &[FitTrial],
    free: &[FreeParameter],
    replicates: u64,
    max_evaluations: usize,
    progress: &mut dyn FnMut(usize, f64),
) -> FitResult {
    let starts: Vec<(P, f64)> = free.iter().map(|f| (f.param, f.start())).collect();
    let trials = &at_prior_medians(trials, free)[..];
    let x0: Vec<f64> = free
        .iter()
        .zip(&starts)
        .map(|(f, &(_, v))| f.to_internal(v))
        .collect();
    // Scales: the spread of each statistic at the starting point.
    let scale = scales(trials);
    let start_distance = joint_distance(trials, &scale, &[]);
    let start_penalty = prior_penalty(free, &x0);
    let mut evals = 0;
    let mut objective = |x: &[f64]| -> f64 {
        let set: Vec<(P, f64)> = free
            .iter()
            .zip(x)
            .map(|(f, &xi)| (f.param, f.to_value(xi)))
            .collect();
        let d = joint_distance(trials, &scale, &set) + prior_penalty(free, x);
        evals += 1;
        progress(evals, d);
        d
    };
    let step: Vec<f64> = free
        .iter()
        .zip(&starts)
        .map(|(f, &(_, v))| {
            if f.log_scale || f.logit_scale {
                0.3
            } else {
                0.1 * v.abs().max(0.05)
            }
        })
        .collect();
    let m = nelder_mead::minimize(&mut objective, &x0, &step, 1e-3, max_evaluations);
    let penalty = prior_penalty(free, &m.x);
    FitResult {
        parameters: free
            .iter()
            .zip(&m.x)
            .map(|(f, &x)| (f.param.info().name.to_string(), f.to_value(x)))
            .collect(),
        start: starts
            .iter()
            .map(|&(p, v)| (p.info().name.to_string(), v))
            .collect(),
        distance: m.value - penalty,
        penalty,
        start_distance,
        start_penalty,
        evaluations: m.evaluations,
        converged: m.converged,
        replicates,
    }
}

/// The fit's objective around given values: at the values and one step
/// either way along each free parameter (on its search scale).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptimumCheck {
    /// Distance plus prior penalty at the values.
    pub objective: f64,
    /// `(parameter, value below, objective there, value above, objective there)`.
    pub neighbours: Vec<(String, f64, f64, f64, f64)>,
    /// The largest drop of the objective at a neighbour (0 if none is lower).
    pub largest_drop: f64,
}

/// Evaluate the objective of [`fit`] (its scales from the prior medians)
/// at the free parameters' current values in the trials' models, and one
/// `step` either way along each parameter's search scale (log, logit or
/// natural): whether the values are a local optimum of the recorded fit
/// without re-running it.
pub fn check_optimum(trials: &[FitTrial], free: &[FreeParameter], step: f64) -> OptimumCheck {
    let values: Vec<f64> = free
        .iter()
        .map(|f| trials[0].scenario.model.get(f.param))
        .collect();
    let scale = scales(&at_prior_medians(trials, free));
    let x: Vec<f64> = free
        .iter()
        .zip(&values)
        .map(|(f, &v)| f.to_internal(v))
        .collect();
    let objective_at = |x: &[f64]| {
        let set: Vec<(P, f64)> = free
            .iter()
            .zip(x)
            .map(|(f, &xi)| (f.param, f.to_value(xi)))
            .collect();
        joint_distance(trials, &scale, &set) + prior_penalty(free, x)
    };
    let objective = objective_at(&x);
    let mut neighbours = Vec::new();
    let mut largest_drop = 0.0f64;
    for (i, f) in free.iter().enumerate() {
        let h = if f.log_scale || f.logit_scale {
            step
        } else {
            step * values[i].abs().max(0.05)
        };
        let at = |d: f64| {
            let mut xi = x.clone();
            xi[i] += d;
            (f.to_value(xi[i]), objective_at(&xi))
        };
        let (lo, f_lo) = at(-h);
        let (hi, f_hi) = at(h);
        largest_drop = largest_drop.max(objective - f_lo).max(objective - f_hi);
        neighbours.push((f.param.info().name.to_string(), lo, f_lo, hi, f_hi));
    }
    OptimumCheck {
        objective,
        neighbours,
        largest_drop,
    }
}

/// One point of a profile: the parameter's value, the data distance and
/// the prior penalty there (every other parameter at the scenario's value).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfilePoint {
    pub value: f64,
    pub z: f64,
    pub distance: f64,
}

/// How well the targets pin one free parameter down.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    pub name: String,
    pub value: f64,
    pub distance: f64,
    /// The largest rise of the data distance below and above the value,
    /// over the grid (the prior's central 90%, and at least one prior SD
    /// either side of the value).
    pub rise_below: f64,
    pub rise_above: f64,
    /// "identified" (the distance rises by at least 3.84, the 95% point of
    /// chi-square with 1 df, on both sides within the prior's 90%), "weakly
    /// identified" (on one side only, or by at least 1 on both), "not
    /// identified" (the data cannot tell the grid's values apart).
    pub verdict: &'static str,
    pub points: Vec<ProfilePoint>,
}

/// The verdict of a profile from its rises (see [`Profile::verdict`]).
pub fn identification(rise_below: f64, rise_above: f64) -> &'static str {
    const CHI2_95: f64 = 3.841458820694124;
    if rise_below.min(rise_above) >= CHI2_95 {
        "identified"
    } else if rise_below.max(rise_above) >= CHI2_95 || rise_below.min(rise_above) >= 1.0 {
        "weakly identified"
    } else {
        "not identified"
    }
}

/// One-at-a-time profiles (slices) of the data distance of [`fit`] through
/// the scenario's values: for each free parameter, `points` values at
/// evenly spaced prior deviates over the prior's central 90%, widened to at
/// least one prior SD either side of the scenario's value (plus the value
/// itself), every other parameter held. The scale of each target
/// is its spread at the prior medians, as in the fit.
pub fn profile(trials: &[FitTrial], free: &[FreeParameter], points: usize) -> Vec<Profile> {
    let scale = scales(&at_prior_medians(trials, free));
    let at = |p: P, v: f64| joint_distance(trials, &scale, &[(p, v)]);
    // every trial shares the model: its values are those of the first
    let s = &trials[0].scenario;
    let z90 = crate::model::priors::z_of_level(0.9);
    free.iter()
        .filter_map(|f| {
            let prior = crate::model::priors::prior_of(f.param)?;
            let value = s.model.get(f.param);
            let d0 = at(f.param, value);
            let n = points.max(2);
            // the prior's 90%, widened to one prior SD either side of the value
            let z_value = crate::model::priors::deviate(&prior, value).unwrap_or(0.0);
            let (z_lo, z_hi) = ((-z90).min(z_value - 1.0), z90.max(z_value + 1.0));
            let mut pts: Vec<ProfilePoint> = (0..n)
                .map(|k| {
                    let z = z_lo + (z_hi - z_lo) * k as f64 / (n - 1) as f64;
                    let info = f.param.info();
                    let v = prior.at_normal(z).clamp(info.min, info.max);
                    ProfilePoint {
                        value: v,
                        z,
                        distance: at(f.param, v),
                    }
                })
                .collect();
            pts.push(ProfilePoint {
                value,
                z: crate::model::priors::deviate(&prior, value).unwrap_or(f64::NAN),
                distance: d0,
            });
            pts.sort_by(|a, b| a.value.total_cmp(&b.value));
            let rise = |below: bool| {
                pts.iter()
                    .filter(|p| {
                        if below {
                            p.value < value
                        } else {
                            p.value > value
                        }
                    })
                    .map(|p| p.distance - d0)
                    .fold(0.0f64, f64::max)
            };
            let (rise_below, rise_above) = (rise(true), rise(false));
            Some(Profile {
                name: f.param.info().name.to_string(),
                value,
                distance: d0,
                rise_below,
                rise_above,
                verdict: identification(rise_below, rise_above),
                points: pts,
            })
        })
        .collect()
}

/// Parameters without direct evidence, freed by the default calibration.
pub const DEFAULT_FREE: &[&str] = &[
    "gdmt_response",
    "lv_recoverable_fraction",
    "rv_recoverable_fraction",
    "rv_repair_ef_fraction",
    "rv_repair_emax_per_day",
    "rv_repair_half_life_days",
    "rv_progression_log_edv_per_year",
    "tapse_per_rvef_point_mm",
    "microvascular_injury_rate",
    "ibmir_ddimer_gain",
    "sustained_ddimer_gain",
    "ddimer_injury_gain",
    "ddimer_enrolment_excess",
    "hfh_rate_per_year",
    "death_rate_per_year",
    "sae_rate_per_year",
    "walk_per_rvef_point_m",
    "ana_threshold_antibody",
    "mri_rvedv_cv",
    // the LV response and the products, identified by the other trials
    "lv_repair_emax_per_day",
    "lv_repair_half_life_days",
    "lv_repair_ef_fraction",
    "lv_repair_edv_fraction",
    "bm_msc_efficacy",
    "adipose_msc_efficacy",
    "mpc_efficacy",
    "cardiopoietic_efficacy",
    "patch_contractility_gain",
    // how trials differ, how the LV progresses on therapy, the LV scan's error
    "between_trial_efficacy_sd",
    "between_trial_volume_sd",
    "lv_progression_log_edv_per_year",
    "mri_lvesv_cv",
];

/// Sanity: every default free parameter exists.
pub fn default_free_exist() -> bool {
    DEFAULT_FREE
        .iter()
        .all(|n| PARAMS.iter().any(|p| p.name == *n))
}

/// Every default free parameter has a prior (`model::priors`).
pub fn default_free_have_priors() -> Vec<&'static str> {
    DEFAULT_FREE
        .iter()
        .copied()
        .filter(|n| {
            P::from_name(n)
                .and_then(crate::model::priors::prior_of)
                .is_none()
        })
        .collect()
}

/// How many of `n` independent checks, each failing with probability
/// `rate` under a correct model, fail by chance: the expected count, the
/// central 95% range of the binomial count, and the probability of `k` or
/// more failures. Calibration targets are not independent (arms of one
/// trial share patients) and fitted ones fail less often than their
/// nominal rate, so this is a guide to multiplicity, not a test.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ChanceFailures {
    pub checks: usize,
    pub failed: usize,
    pub expected: f64,
    pub range_low: usize,
    pub range_high: usize,
    pub p_at_least_failed: f64,
}

pub fn chance_failures(n: usize, k: usize, rate: f64) -> ChanceFailures {
    // binomial pmf by the recurrence p(j+1) = p(j) (n - j) / (j + 1) r / (1 - r),
    // from p(0) = (1 - r)^n (in logs: n up to thousands stays in range)
    let ratio = rate / (1.0 - rate);
    let mut pmf = vec![0.0; n + 1];
    pmf[0] = (n as f64 * (-rate).ln_1p()).exp();
    for j in 0..n {
        pmf[j + 1] = pmf[j] * (n - j) as f64 / (j + 1) as f64 * ratio;
    }
    let mut cdf = 0.0;
    let (mut low, mut high) = (None, None);
    for (j, p) in pmf.iter().enumerate() {
        cdf += p;
        if low.is_none() && cdf >= 0.025 {
            low = Some(j);
        }
        if high.is_none() && cdf >= 0.975 {
            high = Some(j);
        }
    }
    let below: f64 = pmf[..k.min(n + 1)].iter().sum();
    ChanceFailures {
        checks: n,
        failed: k,
        expected: n as f64 * rate,
        range_low: low.unwrap_or(0),
        range_high: high.unwrap_or(n),
        p_at_least_failed: (1.0 - below).clamp(0.0, 1.0),
    }
}

impl TargetResult {
    /// The published value's tail on the side the target tests: the share of
    /// simulated trials at least as extreme (`typical`: the smaller of the
    /// two tails; `one_sided_upper`: at or below it; `one_sided_lower`: at or
    /// above it). `None` for bounds on the simulated mean, which are not
    /// statements about one trial's sampling. A target passes at `tail >=
    /// 0.025`.
    pub fn tail(&self) -> Option<f64> {
        let (_, _, p_le, p_ge) = tails(&self.values, self.published);
        match self.kind {
            Kind::Typical => Some(p_le.min(p_ge)),
            Kind::OneSidedUpper => Some(p_le),
            Kind::OneSidedLower => Some(p_ge),
            Kind::UpperBound | Kind::LowerBound => None,
        }
    }
}

/// The verdict on a family of targets checked at once.
///
/// Each target's own verdict (`TargetResult::pass`) puts the published value
/// inside the simulated central 95%. Over many targets that cannot be the
/// verdict on the model: 79 independent typical targets of a correct model
/// all pass with probability 0.95^79 = 0.017. The family passes when
/// - no sampled target (typical or one-sided) lies beyond a per-side tail of
///   0.025 / K, K the number of sampled targets (Bonferroni: a correct model
///   fails this with probability at most 5%); for a single target this is
///   its own 95% verdict;
/// - the typical outcome targets outside their central 95% are not more
///   than chance explains: P(at least that many | Binomial(n, 0.05)) >= 0.05
///   (a diffuse misfit that no single target shows);
/// - every bound on a simulated mean and every qualitative pattern holds
///   (these are not sampling statements), and every target could be computed
///   in at least 20 simulated trials.
///
/// Targets the fit used are pulled inside their ranges, so the count is
/// lenient for them: `calibrate check` prints it per fitted and unfitted
/// trial as well.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FamilyVerdict {
    /// Sampled targets (typical and one-sided): the Bonferroni family K.
    pub sampled: usize,
    /// Per-side tail below which a sampled target fails the family: 0.025 / K.
    pub tail_limit: f64,
    /// Targets outside their own central 95% (labels as given).
    pub outside_95: Vec<String>,
    /// Targets that fail the family: beyond `tail_limit`, a bound or pattern
    /// that does not hold, or fewer than 20 simulated values.
    pub failed: Vec<String>,
    /// The typical outcome targets outside their central 95% against the
    /// binomial count (baselines left out: the cohorts are built from them).
    pub chance: ChanceFailures,
    /// `chance.p_at_least_failed < 0.05`.
    pub too_many_outside: bool,
    pub pass: bool,
}

/// The family verdict over labelled results and the labels of failed
/// qualitative patterns (see `FamilyVerdict`).
pub fn family_verdict(
    results: &[(String, &TargetResult)],
    failed_patterns: &[String],
) -> FamilyVerdict {
    let sampled = results.iter().filter(|(_, r)| r.tail().is_some()).count();
    let tail_limit = 0.025 / sampled.max(1) as f64;
    let mut failed = Vec::new();
    let mut outside_95 = Vec::new();
    for (label, r) in results {
        if !r.pass {
            outside_95.push(label.clone());
        }
        let fails = r.n < 20
            || match r.tail() {
                Some(t) => t < tail_limit,
                None => !r.pass,
            };
        if fails {
            failed.push(label.clone());
        }
    }
    failed.extend(failed_patterns.iter().cloned());
    let typical: Vec<&TargetResult> = results
        .iter()
        .map(|(_, r)| *r)
        .filter(|r| r.kind == Kind::Typical && r.group != Group::Baseline)
        .collect();
    let outside = typical.iter().filter(|r| !r.pass).count();
    let chance = chance_failures(typical.len(), outside, 0.05);
    let too_many_outside = chance.p_at_least_failed < 0.05;
    FamilyVerdict {
        sampled,
        tail_limit,
        outside_95,
        pass: failed.is_empty() && !too_many_outside,
        failed,
        chance,
        too_many_outside,
    }
}

#[cfg(test)]
mod tests {
    /// Against exact rational arithmetic (Python `fractions`, `math.comb`):
    /// Bin(133, 0.05): expected 6.65, central 95% range 2-12, P(X >= 6)
    /// 0.6583321903; Bin(56, 0.05): 2.8, 0-6, P(X >= 6) 0.0601875328.
    #[test]
    fn chance_failures_match_the_exact_binomial() {
        let a = chance_failures(133, 6, 0.05);
        assert!((a.expected - 6.65).abs() < 1e-12);
        assert_eq!((a.range_low, a.range_high), (2, 12));
        assert!(
            (a.p_at_least_failed - 0.6583321903210679).abs() < 1e-10,
            "{a:?}"
        );
        let b = chance_failures(56, 6, 0.05);
        assert_eq!((b.range_low, b.range_high), (0, 6));
        assert!(
            (b.p_at_least_failed - 0.060187532849590115).abs() < 1e-10,
            "{b:?}"
        );
        assert_eq!(chance_failures(20, 0, 0.05).p_at_least_failed, 1.0);
    }

    use super::*;

    fn target(kind: Kind, published: f64) -> Target {
        let mut t = prime_targets().remove(0);
        t.kind = kind;
        t.published = published;
        t.in_objective = true;
        t
    }

    fn sim(values: Vec<f64>) -> Simulated {
        Simulated {
            replicates: values.len() as u64,
            values: vec![values],
            failed_replicates: 0,
        }
    }

    /// The synthetic likelihood's two parts: the squared standardized gap at
    /// the simulated SD, and `ln(s^2 / s0^2)`, so that a wider simulation
    /// lowers the gap's cost and pays for the width; hinges at the fixed
    /// scale for bounds.
    #[test]
    fn the_distance_is_a_gaussian_synthetic_likelihood() {
        // values 1, 3: mean 2, SD sqrt(2)
        let v = sim(vec![1.0, 3.0]);
        let sd = 2f64.sqrt();
        let t = [target(Kind::Typical, 5.0)];
        let d = distance(&t, &v, &[sd]);
        assert!((d - (3.0 / sd).powi(2)).abs() < 1e-12, "{d}");
        let d = distance(&t, &v, &[1.0]);
        assert!(
            (d - ((3.0 / sd).powi(2) + 2.0 * sd.ln())).abs() < 1e-12,
            "{d}"
        );
        // doubling the simulated spread around the same mean: the gap costs
        // a quarter, the width 2 ln 2 more
        let wide = sim(vec![0.0, 4.0]);
        let d2 = distance(&t, &wide, &[sd]);
        let expected = (3.0 / (2.0 * sd)).powi(2) + 2.0 * 2f64.ln();
        assert!((d2 - expected).abs() < 1e-12, "{d2}");
        // a statistic that stops varying is floored at s0 / 5
        let flat = sim(vec![2.0, 2.0]);
        let d3 = distance(&t, &flat, &[1.0]);
        assert!((d3 - ((3.0 / 0.2f64).powi(2) + 2.0 * 0.2f64.ln())).abs() < 1e-9);
        // bounds: hinges at the fixed scale
        let up = [target(Kind::UpperBound, 1.0)];
        assert!((distance(&up, &v, &[0.5]) - 4.0).abs() < 1e-12);
        let up = [target(Kind::UpperBound, 2.5)];
        assert_eq!(distance(&up, &v, &[0.5]), 0.0);
        let low = [target(Kind::OneSidedLower, 3.0)];
        assert!((distance(&low, &v, &[0.5]) - 4.0).abs() < 1e-12);
    }

    /// The family verdict: a target just outside its 95% fails alone but
    /// not in a family of 40; one beyond every simulated trial fails any
    /// family of fewer than 1000 / 0.025 = 40 000 over 1000 simulated
    /// values; many just outside fail by their count; bounds stay strict.
    #[test]
    fn the_family_verdict_allows_chance_and_catches_misfit() {
        // 1000 simulated values 0.5, 1.5, ..., 999.5: the published value p
        // has tails p / 1000 below and 1 - p / 1000 above
        let values: Vec<f64> = (0..1000).map(|i| i as f64 + 0.5).collect();
        let one = |kind: Kind, published: f64| {
            let mut t = target(kind, published);
            t.group = Group::Outcome;
            assess(&[t], &sim(values.clone())).remove(0)
        };
        let just_out = one(Kind::Typical, 20.0); // tail 0.020
        assert!(!just_out.pass);
        assert_eq!(just_out.tail(), Some(0.02));
        let inside = one(Kind::Typical, 500.0);
        let label = |i: usize| format!("t{i}");
        // alone: Bonferroni over one target is its own 95% verdict
        let v = family_verdict(&[(label(0), &just_out)], &[]);
        assert_eq!(
            (v.sampled, v.failed.clone(), v.pass),
            (1, vec![label(0)], false)
        );
        // one just outside among 40: neither gross nor too many
        let mut family: Vec<(String, &TargetResult)> = vec![(label(0), &just_out)];
        family.extend((1..40).map(|i| (label(i), &inside)));
        let v = family_verdict(&family, &[]);
        assert!(v.pass, "{v:?}");
        assert_eq!(v.outside_95, vec![label(0)]);
        assert!((v.tail_limit - 0.025 / 40.0).abs() < 1e-15);
        assert!((v.chance.p_at_least_failed - (1.0 - 0.95f64.powi(40))).abs() < 1e-12);
        // beyond every simulated trial (tail 0 < 0.025 / 40)
        let beyond = one(Kind::Typical, -1.0);
        family[0] = (label(0), &beyond);
        let v = family_verdict(&family, &[]);
        assert_eq!((v.failed.clone(), v.pass), (vec![label(0)], false));
        // 8 of 40 just outside: P(8 or more | Bin(40, 0.05)) = 0.0003
        let mut many: Vec<(String, &TargetResult)> =
            (0..8).map(|i| (label(i), &just_out)).collect();
        many.extend((8..40).map(|i| (label(i), &inside)));
        let v = family_verdict(&many, &[]);
        assert!(
            v.failed.is_empty() && v.too_many_outside && !v.pass,
            "{v:?}"
        );
        // a bound on the mean is not a sampling statement: strict
        let bound = one(Kind::UpperBound, 400.0); // mean 500 > 400
        assert_eq!(bound.tail(), None);
        let mut with_bound: Vec<(String, &TargetResult)> = vec![(label(0), &bound)];
        with_bound.extend((1..40).map(|i| (label(i), &inside)));
        let v = family_verdict(&with_bound, &[]);
        assert_eq!(
            (v.sampled, v.failed.clone(), v.pass),
            (39, vec![label(0)], false)
        );
        // so is a failed pattern
        let v = family_verdict(&family[1..], &["pattern".to_string()]);
        assert!(!v.pass);
        // one-sided: only its own side counts
        let low_side = one(Kind::OneSidedUpper, 990.0);
        assert_eq!(low_side.tail(), Some(0.99));
    }

    #[test]
    fn the_prior_penalty_is_zero_at_the_medians_and_grows_away_from_them() {
        let free = FreeParameter::parse(&DEFAULT_FREE.join(",")).unwrap();
        let at_medians: Vec<f64> = free.iter().map(|f| f.to_internal(f.start())).collect();
        // zero but for the truncated prior (RV progression: normal(0.05,
        // 0.05) on [0, 0.29], whose median lies above its mean)
        let truncated: f64 = free
            .iter()
            .filter_map(|f| {
                let p = crate::model::priors::prior_of(f.param)?;
                (p.lower.is_some() || p.upper.is_some()).then(|| {
                    crate::model::priors::deviate(&p, f.start())
                        .unwrap()
                        .powi(2)
                })
            })
            .sum();
        assert!(truncated > 0.0 && truncated < 0.1, "{truncated}");
        assert!((prior_penalty(&free, &at_medians) - truncated).abs() < 1e-12);
        // rv_repair_emax_per_day twice its median: z = ln 2 / 1.0
        let emax = free
            .iter()
            .position(|f| f.param == P::RvRepairEmax)
            .unwrap();
        let mut x = at_medians.clone();
        x[emax] = free[emax].to_internal(2.0 * free[emax].start());
        let expected = std::f64::consts::LN_2.powi(2) + truncated;
        assert!((prior_penalty(&free, &x) - expected).abs() < 1e-12);
        // a fraction searched on the logit scale maps back inside (0, 1)
        let rho = free
            .iter()
            .position(|f| f.param == P::LvRecoverableFraction)
            .unwrap();
        assert!(free[rho].logit_scale);
        assert!((free[rho].to_value(free[rho].to_internal(0.37)) - 0.37).abs() < 1e-12);
        let mut y = at_medians;
        y[rho] = 40.0;
        assert!(prior_penalty(&free, &y) >= 1e6, "the support's edge costs");
    }

    #[test]
    fn identification_follows_the_rises_on_each_side() {
        assert_eq!(identification(5.0, 4.0), "identified");
        assert_eq!(identification(5.0, 0.2), "weakly identified");
        assert_eq!(identification(1.5, 1.2), "weakly identified");
        assert_eq!(identification(0.9, 3.0), "not identified");
    }

    #[test]
    fn p_values_become_the_tests_statistics() {
        let t = prime_targets();
        let get = |n: &str| t.iter().find(|x| x.name == n).unwrap().published;
        // t with P(|T| > t) = 0.071 at 35 df (R: qt(1 - 0.071 / 2, 35) = 1.861...)
        let v = get("dtapse_echo_d180_t");
        assert!((crate::analysis::special::t_sf(v, 35.0) - 0.0355).abs() < 1e-9);
        let z = t
            .iter()
            .find(|x| x.name == "dntprobnp_d360_rank_z")
            .unwrap();
        assert_eq!((z.published, z.kind), (0.0, Kind::UpperBound));
        assert!((crate::analysis::special::norm_isf(0.5 * 0.035) - 2.108).abs() < 1e-3);
    }
}
