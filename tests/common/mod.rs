//! Shared by the integration tests that compare the fast path with the
//! reference: the regimens every route and option is exercised with, and
//! the default scenario.
// (each test binary uses part of it)
#![allow(dead_code)]

use hfsim::model::*;

/// The PRIME regimen and variations of it (every route, placebo, bolus,
/// heparin with a high dose, six doses, doses off the 2-day grid, a long
/// infusion, immunosuppression, autologous cells).
pub fn regimens() -> Vec<(&'static str, Regimen)> {
    let base = Regimen {
        route: Route::Intravenous,
        dose_cells_per_kg: 1.0e6,
        dose_days: vec![0.0, 42.0, 84.0],
        infusion_duration_days: 1.0 / 24.0,
        premedication: Premedication::Methylprednisolone,
        infusion_anticoagulation: InfusionAnticoagulation::None,
        donor: Donor::Allogeneic,
        immunosuppression: Immunosuppression::None,
        product: hfsim::model::Product::UcMsc,
    };
    let with = |f: &dyn Fn(&mut Regimen)| {
        let mut r = base.clone();
        f(&mut r);
        r
    };
    vec![
        ("prime", base.clone()),
        ("placebo", with(&|r| r.dose_cells_per_kg = 0.0)),
        ("bolus", with(&|r| r.infusion_duration_days = 0.0)),
        (
            "heparin_high_dose",
            with(&|r| {
                r.infusion_anticoagulation = InfusionAnticoagulation::Heparin;
                r.dose_cells_per_kg = 4.0e6;
            }),
        ),
        (
            "six_doses_14_days",
            with(&|r| r.dose_days = (0..6).map(|i| 14.0 * i as f64).collect()),
        ),
        (
            "odd_days_fallback",
            with(&|r| r.dose_days = vec![0.0, 21.0, 45.5]),
        ),
        (
            "long_infusion_fallback",
            with(&|r| r.infusion_duration_days = 2.0),
        ),
        ("intracoronary", with(&|r| r.route = Route::Intracoronary)),
        (
            "transendocardial",
            with(&|r| {
                r.route = Route::Transendocardial;
                r.dose_days = vec![0.0];
            }),
        ),
        (
            "patch_immunosuppressed",
            with(&|r| {
                r.route = Route::EpicardialPatch;
                r.dose_days = vec![0.0];
                r.dose_cells_per_kg = 5.0e6;
                r.immunosuppression = Immunosuppression::Standard;
            }),
        ),
        ("autologous", with(&|r| r.donor = Donor::Autologous)),
    ]
}

/// The default scenario (its calibrated model and cohort).
pub fn prime() -> hfsim::scenario::Loaded {
    hfsim::scenario::load_file(std::path::Path::new("scenarios/prime_hfref.toml"), &[])
        .expect("the default scenario loads")
}
