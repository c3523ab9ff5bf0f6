//! Double programming: the Rust patient model against an independent Python
//! implementation of `docs/model.md` (`tests/model_reference/`).
//!
//! `tests/model_reference/generate.py` integrated every case with scipy
//! (Radau, rtol 1e-11, atol 1e-13) and wrote `fixtures.json`; this test needs
//! no Python. It rebuilds each case (default parameters plus overrides, the
//! baseline and the regimen), simulates it with `Dopri5::tight()` and compares
//! all 26 states and every observable at every sample day, and the cumulative
//! hazards on the daily grid. A value passes when
//! `|rust - python| <= REL_TOL * |python| + abs_floor(quantity)`; see
//! `tests/model_reference/README.md` for the reasons behind the tolerances.

use hfsim::model::kinetics::Route;
use hfsim::model::params::{ModelParams, P, PARAMS};
use hfsim::model::simulate::{SimulationPlan, Trajectory, simulate_with};
use hfsim::model::state::{LV_REPAIR, N_STATES};
use hfsim::model::{
    Anticoagulant, Baseline, Donor, GdmtHistory, Immunosuppression, InfusionAnticoagulation,
    Observables, PatientModel, PatientParams, Premedication, Regimen,
};
use hfsim::solver::dopri5::Dopri5;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Relative tolerance for every quantity.
const REL_TOL: f64 = 1e-6;

/// Absolute floor of each state (added to the relative tolerance), in the
/// state's unit. Cells, chains, procoagulant states, antibody and repair are
/// O(0.01-10) when they matter; 1e-9 is far below any clinically or
/// mechanistically meaningful amount and above the solvers' noise for states
/// that decay to ~0.
const STATE_ABS_FLOOR: [f64; N_STATES] = [
    1e-9, 1e-9, 1e-9, 1e-9, 1e-9, 1e-9, // L H D X G Gm
    1e-9, 1e-9, 1e-9, 1e-9, 1e-9, 1e-9, // P1..P3 M1..M3
    1e-9, 1e-9, 1e-9, // I C J
    1e-9, 1e-9, // B Ab
    1e-9, 1e-9, // Q R
    1e-9, 1e-9, 1e-9, 1e-9, // yL zL yR zR
    1e-9, 1e-9, 1e-9, // cumulative hazards
];

/// Absolute floor of the cumulative hazards on the daily grid.
const HAZARD_ABS_FLOOR: f64 = 1e-9;

#[derive(Debug, Deserialize)]
struct Fixtures {
    method: String,
    /// Parameter defaults as parsed from the table of docs/model.md by the generator.
    documented_defaults: BTreeMap<String, f64>,
    state_names: Vec<String>,
    observable_names: Vec<String>,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
struct Case {
    name: String,
    overrides: BTreeMap<String, f64>,
    baseline: FixtureBaseline,
    regimen: FixtureRegimen,
    end_day: f64,
    sample_days: Vec<f64>,
    states: Vec<Vec<f64>>,
    observables: BTreeMap<String, Vec<f64>>,
    hazard_grid: Vec<[f64; 3]>,
    /// The case's section-6 constants as the generator computed them (for the coverage check).
    room: Room,
}

#[derive(Debug, Deserialize)]
struct Room {
    sigma_ef: f64,
    sigma_edv: f64,
    sigma_rv: f64,
    #[serde(rename = "D_ef")]
    d_ef: f64,
    tapse_p0: f64,
}

#[derive(Debug, Deserialize)]
struct FixtureBaseline {
    age: f64,
    nyha_iii: bool,
    ischaemic: bool,
    lvef_percent: f64,
    lvedv_ml: f64,
    rvedv_ml: f64,
    tapse_mm: f64,
    ntprobnp: f64,
    six_minute_walk_m: f64,
    ddimer: f64,
    anticoagulant: Anticoagulant,
    gdmt_days_on: Vec<Option<f64>>,
}

#[derive(Debug, Deserialize)]
struct FixtureRegimen {
    route: Route,
    dose_cells_per_kg: f64,
    dose_days: Vec<f64>,
    infusion_duration_days: f64,
    premedication: Premedication,
    heparin: bool,
    donor: Donor,
    immunosuppression: bool,
}

/// The committed fixtures, or the file named by `HFSIM_DP_FIXTURES` (used to
/// check that fixtures from a deliberately mutated Python model are rejected,
/// see `tests/model_reference/README.md`).
fn load() -> Fixtures {
    let path = std::env::var_os("HFSIM_DP_FIXTURES").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/model_reference/fixtures.json"),
        std::path::PathBuf::from,
    );
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()))
}

fn build(case: &Case) -> (PatientModel, Regimen) {
    let mut params = ModelParams::default();
    for (name, &value) in &case.overrides {
        let p = P::from_name(name)
            .unwrap_or_else(|| panic!("case {}: unknown parameter {name}", case.name));
        params.set(p, value);
    }
    let patient = PatientParams::typical(&params);
    let b = &case.baseline;
    assert_eq!(
        b.gdmt_days_on.len(),
        5,
        "case {}: gdmt_days_on needs 5 entries",
        case.name
    );
    let mut gdmt = GdmtHistory::default();
    for (slot, days) in gdmt.days_on.iter_mut().zip(&b.gdmt_days_on) {
        *slot = *days;
    }
    let baseline = Baseline {
        age_years: b.age,
        nyha_iii: b.nyha_iii,
        ischaemic: b.ischaemic,
        lvef_percent: b.lvef_percent,
        lvedv_ml: b.lvedv_ml,
        rvedv_ml: b.rvedv_ml,
        tapse_mm: b.tapse_mm,
        ntprobnp_ng_per_l: b.ntprobnp,
        six_minute_walk_m: b.six_minute_walk_m,
        ddimer_mg_per_l: b.ddimer,
        anticoagulant: b.anticoagulant,
        gdmt,
    };
    let r = &case.regimen;
    let regimen = Regimen {
        route: r.route,
        dose_cells_per_kg: r.dose_cells_per_kg,
        dose_days: r.dose_days.clone(),
        infusion_duration_days: r.infusion_duration_days,
        premedication: r.premedication,
        infusion_anticoagulation: if r.heparin {
            InfusionAnticoagulation::Heparin
        } else {
            InfusionAnticoagulation::None
        },
        donor: r.donor,
        immunosuppression: if r.immunosuppression {
            Immunosuppression::Standard
        } else {
            Immunosuppression::None
        },
        product: hfsim::model::Product::UcMsc,
    };
    (PatientModel::new(&patient, &baseline, &regimen), regimen)
}

fn observable(o: &Observables, name: &str) -> f64 {
    match name {
        "lvef_percent" => o.lvef_percent,
        "lvedv_ml" => o.lvedv_ml,
        "lvesv_ml" => o.lvesv_ml,
        "rvef_percent" => o.rvef_percent,
        "rvedv_ml" => o.rvedv_ml,
        "rvesv_ml" => o.rvesv_ml,
        "tapse_mm" => o.tapse_mm,
        "ntprobnp_ng_per_l" => o.ntprobnp_ng_per_l,
        "six_minute_walk_m" => o.six_minute_walk_m,
        "ddimer_mg_per_l" => o.ddimer_mg_per_l,
        "inr" => o.inr,
        "antibody" => o.antibody,
        "rv_signal" => o.rv_signal,
        "lv_signal" => o.lv_signal,
        other => panic!("unknown observable {other}"),
    }
}

/// Absolute floor of each observable, in its unit.
fn observable_abs_floor(name: &str) -> f64 {
    match name {
        // % and mm and mL: 1e-7 of a point, mm or mL
        "lvef_percent" | "rvef_percent" | "lvedv_ml" | "lvesv_ml" | "rvedv_ml" | "rvesv_ml"
        | "tapse_mm" => 1e-7,
        // ng/L and m
        "ntprobnp_ng_per_l" | "six_minute_walk_m" => 1e-6,
        // mg/L, INR, antibody units, 1e6 cells/kg
        "ddimer_mg_per_l" | "inr" | "antibody" | "rv_signal" | "lv_signal" => 1e-9,
        other => panic!("unknown observable {other}"),
    }
}

/// Largest differences seen for one quantity.
#[derive(Debug, Default, Clone, Copy)]
struct Worst {
    abs: f64,
    /// Relative difference where |python| > 1e-6 (smaller values are governed by the floor).
    rel: f64,
    /// Largest ratio of the difference to the allowed difference (<= 1 passes).
    ratio: f64,
}

struct Comparison {
    worst: BTreeMap<String, Worst>,
    failures: Vec<String>,
    checked: usize,
}

impl Comparison {
    fn check(
        &mut self,
        case: &str,
        quantity: &str,
        day: f64,
        rust: f64,
        python: f64,
        abs_floor: f64,
    ) {
        self.checked += 1;
        let diff = (rust - python).abs();
        let allowed = REL_TOL * python.abs() + abs_floor;
        let w = self.worst.entry(quantity.to_string()).or_default();
        w.abs = w.abs.max(diff);
        if python.abs() > 1e-6 {
            w.rel = w.rel.max(diff / python.abs());
        }
        w.ratio = w.ratio.max(diff / allowed);
        if diff.is_nan() || diff > allowed {
            self.failures.push(format!(
                "case {case}: {quantity} at day {day}: rust {rust:.12e} vs python {python:.12e} (|diff| {diff:.3e} > allowed {allowed:.3e})"
            ));
        }
    }
}

#[test]
fn rust_model_matches_independent_scipy_implementation() {
    let started = std::time::Instant::now();
    let fixtures = load();
    assert!(
        fixtures.cases.len() >= 12,
        "expected at least 12 cases, found {}",
        fixtures.cases.len()
    );
    assert_eq!(fixtures.state_names.len(), N_STATES);
    let integrator = Dopri5::tight();
    let mut cmp = Comparison {
        worst: BTreeMap::new(),
        failures: Vec::new(),
        checked: 0,
    };
    for case in &fixtures.cases {
        let (model, regimen) = build(case);
        let plan = SimulationPlan {
            dose_days: &regimen.dose_days,
            sample_days: &case.sample_days,
            end_day: case.end_day,
        };
        let mut out = Trajectory::default();
        simulate_with(&model, &plan, &integrator, &mut out)
            .unwrap_or_else(|e| panic!("case {}: solver failed: {e:?}", case.name));

        assert_eq!(
            case.states.len(),
            case.sample_days.len(),
            "case {}",
            case.name
        );
        for (k, (&day, expected)) in case.sample_days.iter().zip(&case.states).enumerate() {
            assert_eq!(expected.len(), N_STATES, "case {}", case.name);
            let y = &out.samples[k];
            for (i, name) in fixtures.state_names.iter().enumerate() {
                cmp.check(
                    &case.name,
                    &format!("state {i} {name}"),
                    day,
                    y[i],
                    expected[i],
                    STATE_ABS_FLOOR[i],
                );
            }
            let o = model.observables(day, y);
            for name in &fixtures.observable_names {
                let values = case
                    .observables
                    .get(name)
                    .unwrap_or_else(|| panic!("case {}: no observable {name}", case.name));
                cmp.check(
                    &case.name,
                    name,
                    day,
                    observable(&o, name),
                    values[k],
                    observable_abs_floor(name),
                );
            }
        }

        let n_grid = case.end_day.floor() as usize + 1;
        assert_eq!(
            out.hazard_grid.len(),
            n_grid,
            "case {}: hazard grid length",
            case.name
        );
        assert_eq!(
            case.hazard_grid.len(),
            n_grid,
            "case {}: fixture hazard grid length",
            case.name
        );
        for (d, (rust, python)) in out.hazard_grid.iter().zip(&case.hazard_grid).enumerate() {
            for (j, which) in ["hfh", "death", "sae"].iter().enumerate() {
                cmp.check(
                    &case.name,
                    &format!("hazard grid {which}"),
                    d as f64,
                    rust[j],
                    python[j],
                    HAZARD_ABS_FLOOR,
                );
            }
        }
    }

    println!("double programming against: {}", fixtures.method);
    println!(
        "{} cases, {} comparisons, relative tolerance {REL_TOL:e}, {:.2} s",
        fixtures.cases.len(),
        cmp.checked,
        started.elapsed().as_secs_f64()
    );
    println!(
        "{:<28} {:>12} {:>12} {:>12}",
        "quantity", "max |diff|", "max rel", "max diff/tol"
    );
    for (q, w) in &cmp.worst {
        println!(
            "{q:<28} {:>12.3e} {:>12.3e} {:>12.3e}",
            w.abs, w.rel, w.ratio
        );
    }
    if !cmp.failures.is_empty() {
        let shown: Vec<&String> = cmp.failures.iter().take(60).collect();
        panic!(
            "{} of {} comparisons differ from the independent implementation (first {} shown):\n{}",
            cmp.failures.len(),
            cmp.checked,
            shown.len(),
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn fixtures_cover_the_required_regimens_and_patients() {
    let fixtures = load();
    let cases = &fixtures.cases;
    let any = |f: &dyn Fn(&Case) -> bool| cases.iter().any(f);
    assert!(any(&|c| c.regimen.dose_cells_per_kg == 0.0), "placebo");
    assert!(any(&|c| c.regimen.route == Route::Intravenous
        && c.regimen.infusion_duration_days > 0.0
        && c.regimen.dose_cells_per_kg > 0.0));
    assert!(any(&|c| c.regimen.route == Route::Intravenous
        && c.regimen.infusion_duration_days == 0.0
        && c.regimen.dose_cells_per_kg > 0.0));
    assert!(any(&|c| c.regimen.route == Route::Intracoronary));
    assert!(any(&|c| c.regimen.route == Route::Transendocardial));
    assert!(any(
        &|c| c.regimen.route == Route::EpicardialPatch && c.regimen.immunosuppression
    ));
    assert!(any(
        &|c| c.regimen.route == Route::EpicardialPatch && !c.regimen.immunosuppression
    ));
    assert!(any(&|c| c.regimen.donor == Donor::Autologous));
    assert!(any(&|c| c.regimen.heparin));
    assert!(any(
        &|c| c.regimen.premedication == Premedication::Methylprednisolone
    ));
    assert!(any(&|c| c.regimen.dose_days.len() >= 6));
    assert!(any(&|c| c.baseline.anticoagulant == Anticoagulant::Vka));
    assert!(any(&|c| c.baseline.anticoagulant == Anticoagulant::Noac));
    assert!(any(&|c| c
        .baseline
        .gdmt_days_on
        .iter()
        .all(Option::is_none)));
    assert!(any(&|c| c
        .baseline
        .gdmt_days_on
        .iter()
        .all(Option::is_some)));
    assert!(any(&|c| c.baseline.gdmt_days_on[1].is_some()));
    assert!(any(&|c| c.baseline.ischaemic) && any(&|c| !c.baseline.ischaemic));
    assert!(any(&|c| c.baseline.nyha_iii));
    assert!(any(&|c| !c.overrides.is_empty()));
    assert!(any(&|c| c.sample_days.iter().any(|d| d.fract() != 0.0)));
    // model v2 (docs/model.md sections 6-7): GDMT well inside a small room, a room that vanishes,
    // the A <= 0 branch with GDMT taken, repair competing with a rising G(t), TAPSE near T_max and
    // p0 clamped, k_RV != k_LV, NT-proBNP near and below the assay floor
    let floor = fixtures.documented_defaults["ntprobnp_floor_ng_per_l"];
    let tapse_max = fixtures.documented_defaults["tapse_max_mm"];
    assert!(
        any(&|c| c.room.sigma_ef < 0.2 && c.room.sigma_edv < 0.2),
        "bounded share well below 1"
    );
    assert!(
        any(&|c| c.room.sigma_ef == 0.0
            && c.room.sigma_rv == 1.0
            && c.baseline.gdmt_days_on.iter().any(Option::is_some)),
        "no LV room, so A_rv = 0"
    );
    assert!(any(&|c| c.room.sigma_edv == 0.0), "no LV EDV room");
    assert!(
        any(&|c| c.room.d_ef > 0.0
            && c.baseline.gdmt_days_on[0].is_some_and(|d| d < 14.0)
            && c.states.iter().any(|y| y[LV_REPAIR] > 0.3)),
        "LV repair R > 0.3 with ARNI started < 14 days ago"
    );
    assert!(any(&|c| c.room.tapse_p0 == 0.99), "TAPSE p0 clamped");
    let half_life = |c: &Case, name: &str| {
        c.overrides
            .get(name)
            .copied()
            .unwrap_or(fixtures.documented_defaults[name])
    };
    assert!(
        any(&|c| half_life(c, "rv_remodelling_half_life_days")
            != half_life(c, "lv_remodelling_half_life_days")),
        "k_RV != k_LV (psi on the RV rate)"
    );
    assert!(
        any(&|c| c.room.tapse_p0 < 0.99
            && c.observables["tapse_mm"]
                .iter()
                .any(|&t| t > 0.97 * tapse_max)),
        "TAPSE near T_max"
    );
    assert!(
        any(&|c| c.observables["ntprobnp_ng_per_l"]
            .iter()
            .any(|&n| n < 1.5 * floor)),
        "NT-proBNP near the floor"
    );
    assert!(
        any(&|c| c.observables["ntprobnp_ng_per_l"]
            .iter()
            .any(|&n| n < floor * 2f64.sqrt())),
        "model NT-proBNP below the floor"
    );
}

#[test]
fn documented_parameter_defaults_equal_the_code_defaults() {
    // The Python model takes its defaults from the table in docs/model.md, the
    // Rust model from params.rs: a difference there would be a difference in
    // every fixture, so it is reported by name here.
    let fixtures = load();
    let mut problems = Vec::new();
    for (name, &documented) in &fixtures.documented_defaults {
        match P::from_name(name) {
            None => problems.push(format!("{name}: in docs/model.md but not in params.rs")),
            Some(p) if p.info().default != documented => problems.push(format!(
                "{name}: docs/model.md {documented} vs params.rs {}",
                p.info().default
            )),
            Some(_) => {}
        }
    }
    for p in PARAMS {
        if !fixtures.documented_defaults.contains_key(p.name) {
            problems.push(format!(
                "{}: in params.rs but not in the table of docs/model.md",
                p.name
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "parameter table mismatches:\n{}",
        problems.join("\n")
    );
}
