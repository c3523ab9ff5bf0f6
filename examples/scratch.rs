use hfsim::model::simulate::*;
use hfsim::model::*;
use hfsim::solver::dopri5::Dopri5;

fn main() {
    let m = ModelParams::default();
    let p = PatientParams::typical(&m);
    let mut gd = GdmtHistory::default();
    gd.days_on = [Some(150.0), None, Some(300.0), Some(300.0), Some(120.0)];
    let b = Baseline {
        age_years: 57.0,
        nyha_iii: false,
        ischaemic: false,
        lvef_percent: 26.0,
        lvedv_ml: 245.0,
        rvedv_ml: 180.0,
        tapse_mm: 16.0,
        ntprobnp_ng_per_l: 1800.0,
        six_minute_walk_m: 410.0,
        ddimer_mg_per_l: 0.45,
        anticoagulant: Anticoagulant::None,
        gdmt: gd,
    };
    let dose = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap())
        .unwrap_or(1e6);
    let r = Regimen {
        route: Route::Intravenous,
        dose_cells_per_kg: dose,
        dose_days: vec![0.0, 42.0, 84.0],
        infusion_duration_days: 1.0 / 24.0,
        premedication: Premedication::Methylprednisolone,
        infusion_anticoagulation: InfusionAnticoagulation::None,
        donor: Donor::Allogeneic,
        immunosuppression: Immunosuppression::None,
    };
    let pm = PatientModel::new(&p, &b, &r);
    let days: Vec<f64> = vec![
        0.0, 1.0, 7.0, 14.0, 28.0, 42.0, 43.0, 56.0, 84.0, 85.0, 91.0, 120.0, 180.0, 270.0, 360.0,
    ];
    let plan = SimulationPlan {
        dose_days: &r.dose_days,
        sample_days: &days,
        end_day: 360.0,
    };
    let mut tr = Trajectory::default();
    let t0 = std::time::Instant::now();
    simulate_with(&pm, &plan, &Dopri5::default(), &mut tr).unwrap();
    eprintln!("elapsed {:?} stats {:?}", t0.elapsed(), tr.stats);
    println!(
        "{:>5} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>7} {:>6} {:>6} {:>5} {:>6} {:>6} {:>6} {:>6}",
        "day",
        "LVEF",
        "LVEDV",
        "LVESV",
        "RVEF",
        "RVEDV",
        "RVESV",
        "TAPSE",
        "NTpro",
        "6MW",
        "DD",
        "INR",
        "Ab",
        "Q",
        "R",
        "lung"
    );
    for (d, y) in days.iter().zip(tr.samples.iter()) {
        let o = pm.observables(*d, y);
        println!(
            "{:5.0} {:6.2} {:6.1} {:6.1} {:6.2} {:6.1} {:6.1} {:6.2} {:7.0} {:6.1} {:6.3} {:5.2} {:6.3} {:6.3} {:6.3} {:6.3}",
            d,
            o.lvef_percent,
            o.lvedv_ml,
            o.lvesv_ml,
            o.rvef_percent,
            o.rvedv_ml,
            o.rvesv_ml,
            o.tapse_mm,
            o.ntprobnp_ng_per_l,
            o.six_minute_walk_m,
            o.ddimer_mg_per_l,
            o.inr,
            o.antibody,
            y[hfsim::model::state::RV_REPAIR],
            y[hfsim::model::state::LV_REPAIR],
            y[0]
        );
    }
    let g = tr.hazard_grid.last().unwrap();
    println!(
        "cum hazards at 360: hfh {:.3} death {:.3} sae {:.3}; mass {:.4}",
        g[0],
        g[1],
        g[2],
        hfsim::model::kinetics::Kinetics::total_cells(&tr.final_state)
    );
}
