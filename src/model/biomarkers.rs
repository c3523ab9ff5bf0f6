//! Biomarkers and function derived from the ventricles.
//!
//! ```text
//! ln NT-proBNP(t) = ln NT-proBNP(0) + e_LV (ln LVESV(t) - ln LVESV(0)) + e_RV (ln RVEDV(t) - ln RVEDV(0))
//! TAPSE(t) = TAPSE(0) + s_T (RVEF(t) - RVEF(0)) x 100
//! 6MWD(t) = 6MWD(0) + w_LV (LVEF(t) - LVEF(0)) x 100 + w_RV (RVEF(t) - RVEF(0)) x 100
//! ```
//! NT-proBNP follows wall stress (LV end-systolic volume, RV dilation);
//! TAPSE and walk distance follow ventricular function. The baseline RVEF is
//! derived from baseline TAPSE: `RVEF(0) = RVEF_17 + (TAPSE(0) - 17) / s_T / 100`.

use super::params::P;
use super::patient::PatientParams;
use super::remodelling::Ventricles;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Biomarkers {
    pub ln_ntprobnp0: f64,
    pub ln_lvesv0: f64,
    pub ln_rvedv0: f64,
    pub ntprobnp_lvesv: f64,
    pub ntprobnp_rvedv: f64,
    pub tapse0: f64,
    pub tapse_per_point: f64,
    pub lvef0: f64,
    pub rvef0: f64,
    pub walk0: f64,
    pub walk_per_lvef_point: f64,
    pub walk_per_rvef_point: f64,
}

/// Baseline RVEF (fraction) implied by a baseline TAPSE, kept in 10%-75%.
pub fn rvef_from_tapse(p: &PatientParams, tapse_mm: f64) -> f64 {
    let per_point = p.get(P::TapsePerRvefPoint).max(1e-6);
    (p.get(P::RvefAtTapse17) + (tapse_mm - 17.0) / per_point / 100.0).clamp(0.10, 0.75)
}

impl Biomarkers {
    pub fn new(
        p: &PatientParams,
        v0: &Ventricles,
        ntprobnp0: f64,
        tapse0: f64,
        walk0: f64,
    ) -> Biomarkers {
        Biomarkers {
            ln_ntprobnp0: ntprobnp0.ln(),
            ln_lvesv0: v0.lvesv_ml.ln(),
            ln_rvedv0: v0.rvedv_ml.ln(),
            ntprobnp_lvesv: p.get(P::NtprobnpLvesvElasticity),
            ntprobnp_rvedv: p.get(P::NtprobnpRvedvElasticity),
            tapse0,
            tapse_per_point: p.get(P::TapsePerRvefPoint),
            lvef0: v0.lvef,
            rvef0: v0.rvef,
            walk0,
            walk_per_lvef_point: p.get(P::WalkPerLvefPoint),
            walk_per_rvef_point: p.get(P::WalkPerRvefPoint),
        }
    }

    #[inline]
    pub fn ln_ntprobnp(&self, v: &Ventricles) -> f64 {
        self.ln_ntprobnp0
            + self.ntprobnp_lvesv * (v.lvesv_ml.ln() - self.ln_lvesv0)
            + self.ntprobnp_rvedv * (v.rvedv_ml.ln() - self.ln_rvedv0)
    }

    #[inline]
    pub fn tapse_mm(&self, v: &Ventricles) -> f64 {
        (self.tapse0 + self.tapse_per_point * (v.rvef - self.rvef0) * 100.0).max(0.0)
    }

    #[inline]
    pub fn six_minute_walk_m(&self, v: &Ventricles) -> f64 {
        (self.walk0
            + self.walk_per_lvef_point * (v.lvef - self.lvef0) * 100.0
            + self.walk_per_rvef_point * (v.rvef - self.rvef0) * 100.0)
            .max(0.0)
    }
}
