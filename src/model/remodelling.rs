//! Cardiac remodelling.
//!
//! Each ventricle is described by its log end-diastolic volume `y` and its
//! logit ejection fraction `z`, so volumes stay positive and EF stays in
//! (0, 100%) whatever the inputs. Both follow a set point with an
//! indirect-response lag `k`:
//!
//! ```text
//! dz_LV/dt = k_LV (z*_LV - z_LV)
//! z*_LV = z_LV,u + S_ef(t) + pi_ef t + lambda_ef w_ef R - Injury + gamma_patch Gm
//! y*_LV = y_LV,u + S_edv(t) + pi_edv t - lambda_edv w_edv R
//! z*_RV = z_RV,u + c_RV S_ef(t) + mu_ef w_rvef Q
//! y*_RV = y_RV,u + pi_RV t - mu_edv w_rvedv Q
//! ```
//! `S(t)`: GDMT set point (see `gdmt`); `pi`: disease progression; `R`, `Q`:
//! LV and pulmonary-vascular repair (see `paracrine`); `Injury`:
//! microvascular injury (see `coagulation`); `Gm`: mature patch tissue. The
//! repair terms act on each patient's own distance from a normal heart
//! (`w_ef = logit(EF_normal) - z(0)` when positive, `w_edv = y(0) -
//! ln(EDV_normal)` when positive), so the sickest, most dilated ventricles
//! have the most to gain, as in the PRIME-HFrEF subgroups.
//!
//! The untreated references `y_u`, `z_u` are chosen so that every patient
//! starts on the trajectory implied by their GDMT history and by ongoing
//! progression (no artificial jump at day 0).

use super::gdmt::Gdmt;
use super::kinetics::LN2;
use super::params::P;
use super::patient::PatientParams;
use super::state::*;

const DAYS_PER_YEAR: f64 = 365.25;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Remodelling {
    pub k_lv: f64,
    pub k_rv: f64,
    pub lv_logit_ef_ref: f64,
    pub lv_log_edv_ref: f64,
    pub rv_logit_ef_ref: f64,
    pub rv_log_edv_ref: f64,
    /// Progression slopes per day.
    pub lv_ef_progression: f64,
    pub lv_edv_progression: f64,
    pub rv_edv_progression: f64,
    /// Gains of the repair states (including each patient's deficit).
    pub lv_repair_ef: f64,
    pub lv_repair_edv: f64,
    pub rv_repair_ef: f64,
    pub rv_repair_edv: f64,
    pub rv_gdmt_coupling: f64,
    pub patch_gain: f64,
    /// Initial `[y_LV, z_LV, y_RV, z_RV]`.
    pub initial: [f64; 4],
}

impl Remodelling {
    /// Baseline LV and RV in true (not measured) values; EF as fractions.
    pub fn new(
        p: &PatientParams,
        gdmt: &Gdmt,
        lvef: f64,
        lvedv_ml: f64,
        rvef: f64,
        rvedv_ml: f64,
    ) -> Remodelling {
        let k_lv = LN2 / p.get(P::LvRemodellingHalfLife);
        let k_rv = LN2 / p.get(P::RvRemodellingHalfLife);
        let y_lv = lvedv_ml.ln();
        let z_lv = logit(lvef);
        let y_rv = rvedv_ml.ln();
        let z_rv = logit(rvef);
        let lv_ef_prog = p.get(P::LvProgressionEf) / DAYS_PER_YEAR;
        let lv_edv_prog = p.get(P::LvProgressionEdv) / DAYS_PER_YEAR;
        let rv_edv_prog = p.get(P::RvProgressionEdv) / DAYS_PER_YEAR;
        let coupling = p.get(P::RvGdmtCoupling);
        let (lv_gdmt_ef, lv_gdmt_edv) = gdmt.lagged(k_lv, 0.0);
        let (rv_gdmt_ef, _) = gdmt.lagged(k_rv, 0.0);
        // On the particular solution of a ramp with lag k, the state trails
        // the set point by slope / k.
        let deficit = |normal: f64, current: f64| (normal - current).max(0.0);
        Remodelling {
            k_lv,
            k_rv,
            lv_logit_ef_ref: z_lv - lv_gdmt_ef + lv_ef_prog / k_lv,
            lv_log_edv_ref: y_lv - lv_gdmt_edv + lv_edv_prog / k_lv,
            rv_logit_ef_ref: z_rv - coupling * rv_gdmt_ef,
            rv_log_edv_ref: y_rv + rv_edv_prog / k_rv,
            lv_ef_progression: lv_ef_prog,
            lv_edv_progression: lv_edv_prog,
            rv_edv_progression: rv_edv_prog,
            lv_repair_ef: p.get(P::LvRepairEfFraction) * deficit(logit(p.get(P::LvNormalEf)), z_lv),
            lv_repair_edv: p.get(P::LvRepairEdvFraction)
                * deficit(y_lv, p.get(P::LvNormalEdv).ln()),
            rv_repair_ef: p.get(P::RvRepairEfFraction) * deficit(logit(p.get(P::RvNormalEf)), z_rv),
            rv_repair_edv: p.get(P::RvRepairEdvFraction)
                * deficit(y_rv, p.get(P::RvNormalEdv).ln()),
            rv_gdmt_coupling: coupling,
            patch_gain: p.get(P::PatchContractilityGain),
            initial: [y_lv, z_lv, y_rv, z_rv],
        }
    }

    /// LV set points `(y*_LV, z*_LV)` at day `t` from LV repair, microvascular
    /// injury, mature patch tissue and the GDMT set point `(logit EF, log
    /// EDV)` at `t`. The one place these equations are written: the
    /// reference right-hand side and the fast path both call it.
    #[inline]
    pub fn lv_setpoints(
        &self,
        t: f64,
        repair: f64,
        injury: f64,
        patch: f64,
        gdmt: (f64, f64),
    ) -> (f64, f64) {
        let (g_ef, g_edv) = gdmt;
        (
            self.lv_log_edv_ref + g_edv + self.lv_edv_progression * t - self.lv_repair_edv * repair,
            self.lv_logit_ef_ref + g_ef + self.lv_ef_progression * t + self.lv_repair_ef * repair
                - injury
                + self.patch_gain * patch,
        )
    }

    /// RV set points `(y*_RV, z*_RV)` at day `t` from pulmonary-vascular
    /// repair `q` and the GDMT logit-EF set point `g_ef`.
    #[inline]
    pub fn rv_setpoints(&self, t: f64, q: f64, g_ef: f64) -> (f64, f64) {
        (
            self.rv_log_edv_ref + self.rv_edv_progression * t - self.rv_repair_edv * q,
            self.rv_logit_ef_ref + self.rv_gdmt_coupling * g_ef + self.rv_repair_ef * q,
        )
    }

    /// Set points `[y*_LV, z*_LV, y*_RV, z*_RV]` at day `t`, given the GDMT
    /// set point `(logit EF, log EDV)` at `t`.
    #[inline]
    pub fn setpoints(&self, t: f64, y: &State, gdmt: (f64, f64)) -> [f64; 4] {
        let (yl, zl) = self.lv_setpoints(t, y[LV_REPAIR], y[INJURY], y[GRAFT_MATURE], gdmt);
        let (yr, zr) = self.rv_setpoints(t, y[RV_REPAIR], gdmt.0);
        [yl, zl, yr, zr]
    }

    #[inline]
    pub fn rhs(&self, t: f64, y: &State, dy: &mut State, gdmt: (f64, f64)) {
        let s = self.setpoints(t, y, gdmt);
        dy[LV_LOG_EDV] = self.k_lv * (s[0] - y[LV_LOG_EDV]);
        dy[LV_LOGIT_EF] = self.k_lv * (s[1] - y[LV_LOGIT_EF]);
        dy[RV_LOG_EDV] = self.k_rv * (s[2] - y[RV_LOG_EDV]);
        dy[RV_LOGIT_EF] = self.k_rv * (s[3] - y[RV_LOGIT_EF]);
    }
}

/// Volumes and ejection fractions read from the state.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Ventricles {
    pub lvedv_ml: f64,
    pub lvef: f64,
    pub lvesv_ml: f64,
    pub rvedv_ml: f64,
    pub rvef: f64,
    pub rvesv_ml: f64,
}

impl Ventricles {
    #[inline]
    pub fn from_state(y: &State) -> Ventricles {
        let lvedv = y[LV_LOG_EDV].exp();
        let lvef = logistic(y[LV_LOGIT_EF]);
        let rvedv = y[RV_LOG_EDV].exp();
        let rvef = logistic(y[RV_LOGIT_EF]);
        Ventricles {
            lvedv_ml: lvedv,
            lvef,
            lvesv_ml: lvedv * (1.0 - lvef),
            rvedv_ml: rvedv,
            rvef,
            rvesv_ml: rvedv * (1.0 - rvef),
        }
    }
}
