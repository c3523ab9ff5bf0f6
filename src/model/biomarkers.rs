//! Biomarkers and function derived from the ventricles.
//!
//! ```text
//! ln N(t) = ln NT-proBNP(0) + e_LV (ln LVESV(t) - ln LVESV(0)) + e_RV (ln RVEDV(t) - ln RVEDV(0))
//! NT-proBNP(t) = sqrt(N(t)^2 + floor^2)
//! TAPSE(t) = T_max logistic(logit(TAPSE(0) / T_max) + s_T (RVEF(t) - RVEF(0)) x 100 / (T_max p0 (1 - p0)))
//! 6MWD(t) = 6MWD(0) + w_LV (LVEF(t) - LVEF(0)) x 100 + w_RV (RVEF(t) - RVEF(0)) x 100
//! ```
//! NT-proBNP follows wall stress (LV end-systolic volume, RV dilation), with
//! the assay's floor (`N` drives the hazards, the floored value is what is
//! measured); TAPSE and walk distance follow ventricular function. TAPSE
//! moves `s_T` mm per RVEF point near its baseline (`p0 = TAPSE(0) / T_max`)
//! and stays inside `(0, T_max)` for any RVEF. The baseline RVEF is derived
//! from baseline TAPSE with a patient-level intercept
//! (`rvef_at_tapse_17mm` varies between patients):
//! `RVEF(0) = RVEF_17,i + (TAPSE(0) - 17) / s_T / 100`, so TAPSE and RVEF
//! are correlated, not tied.

use super::params::P;
use super::patient::PatientParams;
use super::remodelling::Ventricles;
use super::state::logistic;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Biomarkers {
    pub ln_ntprobnp0: f64,
    pub ln_lvesv0: f64,
    pub ln_rvedv0: f64,
    pub ntprobnp_lvesv: f64,
    pub ntprobnp_rvedv: f64,
    pub tapse0: f64,
    pub tapse_max: f64,
    /// `logit(TAPSE(0) / T_max)` and the logit slope per RVEF point.
    tapse_logit0: f64,
    tapse_logit_per_point: f64,
    pub ntprobnp_floor: f64,
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
        let tapse_max = p.get(P::TapseMax);
        let p0 = (tapse0 / tapse_max).clamp(0.01, 0.99);
        Biomarkers {
            ln_ntprobnp0: ntprobnp0.ln(),
            ln_lvesv0: v0.lvesv_ml.ln(),
            ln_rvedv0: v0.rvedv_ml.ln(),
            ntprobnp_lvesv: p.get(P::NtprobnpLvesvElasticity),
            ntprobnp_rvedv: p.get(P::NtprobnpRvedvElasticity),
            tapse0,
            tapse_max,
            tapse_logit0: (p0 / (1.0 - p0)).ln(),
            tapse_logit_per_point: p.get(P::TapsePerRvefPoint) / (tapse_max * p0 * (1.0 - p0)),
            ntprobnp_floor: p.get(P::NtprobnpFloor),
            lvef0: v0.lvef,
            rvef0: v0.rvef,
            walk0,
            walk_per_lvef_point: p.get(P::WalkPerLvefPoint),
            walk_per_rvef_point: p.get(P::WalkPerRvefPoint),
        }
    }

    #[inline]
    pub fn ln_ntprobnp(&self, v: &Ventricles) -> f64 {
        self.ln_ntprobnp_from_logs(v.lvesv_ml.ln(), v.rvedv_ml.ln())
    }

    /// The model's ln NT-proBNP from ln LVESV and ln RVEDV: the only place
    /// the equation is written.
    #[inline]
    pub fn ln_ntprobnp_from_logs(&self, ln_lvesv: f64, ln_rvedv: f64) -> f64 {
        self.ln_ntprobnp0
            + self.ntprobnp_lvesv * (ln_lvesv - self.ln_lvesv0)
            + self.ntprobnp_rvedv * (ln_rvedv - self.ln_rvedv0)
    }

    /// Rate of change of ln NT-proBNP from those of ln LVESV and ln RVEDV.
    #[inline]
    pub fn ln_ntprobnp_rate(&self, dln_lvesv: f64, dln_rvedv: f64) -> f64 {
        self.ntprobnp_lvesv * dln_lvesv + self.ntprobnp_rvedv * dln_rvedv
    }

    /// The measurable NT-proBNP (ng/L): the model's value with the floor.
    #[inline]
    pub fn ntprobnp_ng_per_l(&self, v: &Ventricles) -> f64 {
        self.ln_ntprobnp(v).exp().hypot(self.ntprobnp_floor)
    }

    #[inline]
    pub fn tapse_mm(&self, v: &Ventricles) -> f64 {
        let z = self.tapse_logit0 + self.tapse_logit_per_point * (v.rvef - self.rvef0) * 100.0;
        self.tapse_max * logistic(z)
    }

    #[inline]
    pub fn six_minute_walk_m(&self, v: &Ventricles) -> f64 {
        (self.walk0
            + self.walk_per_lvef_point * (v.lvef - self.lvef0) * 100.0
            + self.walk_per_rvef_point * (v.rvef - self.rvef0) * 100.0)
            .max(0.0)
    }
}
