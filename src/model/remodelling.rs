//! Cardiac remodelling.
//!
//! Each ventricle is described by its log end-diastolic volume `y` and its
//! logit ejection fraction `z`, so volumes stay positive and EF stays in
//! (0, 100%) whatever the inputs. Both follow a set point with an
//! indirect-response lag `k`:
//!
//! ```text
//! dz_LV/dt = k_LV (z*_LV - z_LV)
//! z*_LV = z_LV,u + G_ef(t) + pi_ef t + l_ef R (D_ef - G_ef(t)) - W (1 - exp(-Injury / W)) + gamma_patch Gm
//! y*_LV = y_LV,u + G_edv(t) + pi_edv t - l_edv R (D_edv + G_edv(t))
//! z*_RV = z_RV,u + c G_ef(t) + m_ef Q (D_rvef - c G_ef(t))
//! y*_RV = y_RV,u + pi_RV t - m_edv Q D_rvedv
//! ```
//! `G(t)`: GDMT set point (see `gdmt`; `G_edv` <= 0); `pi`: disease
//! progression; `R`, `Q`: LV and pulmonary-vascular repair in 0..1 (see
//! `paracrine`); `Injury`: microvascular injury (see `coagulation`); `Gm`:
//! mature patch tissue.
//!
//! **Room to improve.** Each ventricle has a recoverable deficit `D`, a share
//! `rho` of its untreated distance from a normal heart
//! (`D_ef = rho (logit EF_normal - z_u)+`, `D_edv = rho (y_u - ln EDV_normal)+`).
//! GDMT and cells draw on it together: GDMT's full effect `A` is bounded
//! softly by it (`A_b = D (1 - exp(-A / D))`, so `A_b < D` and `A_b ~ A`
//! when `A << D`), and cell repair restores a share `l` of what GDMT leaves,
//! `D - G(t)`, at the time. A cohort whose GDMT is still remodelling the heart
//! (PRIME-HFrEF) therefore has less left for cells than a long-stable one of
//! the same baseline EF (its untreated reference is further from normal), and
//! an LVEF or LVEDV can never pass the normal heart's through therapy: the
//! attainable recovery is bounded by normal physiology by construction.
//!
//! The untreated references `y_u`, `z_u` are chosen so that every patient
//! starts on the trajectory implied by their GDMT history and by ongoing
//! progression (no artificial jump at day 0). They depend on the bounded
//! GDMT effect, which depends on the room, which depends on them: the
//! bounded share is the fixed point of that loop (a contraction with factor
//! below `rho`, see [`bounded_share`]).

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
    /// Recoverable deficits `D` (logit EF, log EDV excess), per ventricle.
    lv_room_ef: f64,
    lv_room_edv: f64,
    rv_room_ef: f64,
    rv_room_edv: f64,
    /// How far injury can take the untreated LV (logit EF down to the floor).
    lv_injury_room: f64,
    /// Shares of the room restored at full repair.
    lv_repair_ef: f64,
    lv_repair_edv: f64,
    rv_repair_ef: f64,
    rv_repair_edv: f64,
    /// Share of the (bounded) GDMT logit-LVEF gain transmitted to the RV.
    pub rv_gdmt_coupling: f64,
    patch_gain: f64,
    /// Initial `[y_LV, z_LV, y_RV, z_RV]`.
    pub initial: [f64; 4],
}

/// The share `s` in (0, 1] of a therapy's full effect `raw` (>= 0) that the
/// room allows: the fixed point of `s = D(s) (1 - exp(-raw / D(s))) / raw`,
/// `D(s) = rho max(gap0 + s lagged0, 0)`, where `gap0 + s lagged0` is the
/// untreated distance from normal (it grows with `s` because the realised
/// part `s lagged0` of the effect is subtracted from the baseline to find
/// the untreated reference). `|ds'/ds| < rho lagged0 / raw <= rho < 1`, so
/// the iteration from `s = 1` converges.
pub fn bounded_share(raw: f64, lagged0: f64, gap0: f64, rho: f64) -> f64 {
    if raw <= 0.0 {
        return 1.0;
    }
    let mut s = 1.0f64;
    for _ in 0..200 {
        let room = rho * (gap0 + s * lagged0).max(0.0);
        let next = if room <= 0.0 {
            0.0
        } else {
            room * (-(-raw / room).exp_m1()) / raw
        };
        let done = (next - s).abs() < 1e-14;
        s = next;
        if done {
            break;
        }
    }
    s
}

impl Remodelling {
    /// Baseline LV and RV in true (not measured) values; EF as fractions.
    /// Returns the model and the patient's GDMT bounded by the room.
    pub fn new(
        p: &PatientParams,
        gdmt: &Gdmt,
        lvef: f64,
        lvedv_ml: f64,
        rvef: f64,
        rvedv_ml: f64,
    ) -> (Remodelling, Gdmt) {
        let k_lv = LN2 / p.get(P::LvRemodellingHalfLife);
        let k_rv = LN2 / p.get(P::RvRemodellingHalfLife);
        let y_lv = lvedv_ml.ln();
        let z_lv = logit(lvef);
        let y_rv = rvedv_ml.ln();
        let z_rv = logit(rvef);
        let lv_ef_prog = p.get(P::LvProgressionEf) / DAYS_PER_YEAR;
        let lv_edv_prog = p.get(P::LvProgressionEdv) / DAYS_PER_YEAR;
        let rv_edv_prog = p.get(P::RvProgressionEdv) / DAYS_PER_YEAR;
        let rho_lv = p.get(P::LvRecoverableFraction);
        let rho_rv = p.get(P::RvRecoverableFraction);
        let lv_normal_z = logit(p.get(P::LvNormalEf));
        let lv_normal_y = p.get(P::LvNormalEdv).ln();
        let rv_normal_z = logit(p.get(P::RvNormalEf));
        let rv_normal_y = p.get(P::RvNormalEdv).ln();
        // GDMT bounded by the LV room (EF gain and EDV reduction separately)
        let (raw_ef, raw_edv) = gdmt.full_effect();
        let (lag_ef, lag_edv) = gdmt.lagged(k_lv, 0.0);
        let s_ef = bounded_share(
            raw_ef,
            lag_ef,
            lv_normal_z - z_lv - lv_ef_prog / k_lv,
            rho_lv,
        );
        let s_edv = bounded_share(
            -raw_edv,
            -lag_edv,
            y_lv - lv_normal_y + lv_edv_prog / k_lv,
            rho_lv,
        );
        let gdmt = gdmt.scaled(s_ef, s_edv);
        // the RV's share of the (bounded) LV gain, bounded by the RV room
        let c_raw = p.get(P::RvGdmtCoupling);
        let (bounded_ef, _) = gdmt.full_effect();
        let (rv_lag_ef, _) = gdmt.lagged(k_rv, 0.0);
        let s_rv = bounded_share(
            c_raw * bounded_ef,
            c_raw * rv_lag_ef,
            rv_normal_z - z_rv,
            rho_rv,
        );
        let coupling = c_raw * s_rv;
        let (lv_gdmt_ef, lv_gdmt_edv) = gdmt.lagged(k_lv, 0.0);
        let (rv_gdmt_ef, _) = gdmt.lagged(k_rv, 0.0);
        // On the particular solution of a ramp with lag k, the state trails
        // the set point by slope / k.
        let lv_logit_ef_ref = z_lv - lv_gdmt_ef + lv_ef_prog / k_lv;
        let lv_log_edv_ref = y_lv - lv_gdmt_edv + lv_edv_prog / k_lv;
        let rv_logit_ef_ref = z_rv - coupling * rv_gdmt_ef;
        let rv_log_edv_ref = y_rv + rv_edv_prog / k_rv;
        let room = |distance: f64, rho: f64| rho * distance.max(0.0);
        let r = Remodelling {
            k_lv,
            k_rv,
            lv_logit_ef_ref,
            lv_log_edv_ref,
            rv_logit_ef_ref,
            rv_log_edv_ref,
            lv_ef_progression: lv_ef_prog,
            lv_edv_progression: lv_edv_prog,
            rv_edv_progression: rv_edv_prog,
            lv_room_ef: room(lv_normal_z - lv_logit_ef_ref, rho_lv),
            lv_injury_room: (lv_logit_ef_ref - logit(p.get(P::LvInjuryFloorEf))).max(0.0),
            lv_room_edv: room(lv_log_edv_ref - lv_normal_y, rho_lv),
            rv_room_ef: room(rv_normal_z - rv_logit_ef_ref, rho_rv),
            rv_room_edv: room(rv_log_edv_ref - rv_normal_y, rho_rv),
            lv_repair_ef: p.get(P::LvRepairEfFraction),
            lv_repair_edv: p.get(P::LvRepairEdvFraction),
            rv_repair_ef: p.get(P::RvRepairEfFraction),
            rv_repair_edv: p.get(P::RvRepairEdvFraction),
            rv_gdmt_coupling: coupling,
            patch_gain: p.get(P::PatchContractilityGain),
            initial: [y_lv, z_lv, y_rv, z_rv],
        };
        (r, gdmt)
    }

    /// LV set points `(y*_LV, z*_LV)` at day `t` from LV repair `r`,
    /// microvascular injury, mature patch tissue and the GDMT set point
    /// `(logit EF, log EDV)` at `t`. The only place these equations are
    /// written: the reference right-hand side and the fast path call it.
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
            self.lv_log_edv_ref + g_edv + self.lv_edv_progression * t
                - self.lv_repair_edv * repair * (self.lv_room_edv + g_edv).max(0.0),
            self.lv_logit_ef_ref
                + g_ef
                + self.lv_ef_progression * t
                + self.lv_repair_ef * repair * (self.lv_room_ef - g_ef).max(0.0)
                - self.bounded_injury(injury)
                + self.patch_gain * patch,
        )
    }

    /// The loss of logit LVEF from microvascular injury `J` (>= 0), bounded
    /// softly by the distance of the untreated LV from the floor `W`:
    /// `W (1 - exp(-J / W))`, about `J` while `J << W`, never `W` or more.
    #[inline]
    pub fn bounded_injury(&self, injury: f64) -> f64 {
        let w = self.lv_injury_room;
        if w > 0.0 {
            -w * (-injury / w).exp_m1()
        } else {
            0.0
        }
    }

    /// RV set points `(y*_RV, z*_RV)` at day `t` from pulmonary-vascular
    /// repair `q` and the GDMT logit-EF set point `g_ef`.
    #[inline]
    pub fn rv_setpoints(&self, t: f64, q: f64, g_ef: f64) -> (f64, f64) {
        let c_g = self.rv_gdmt_coupling * g_ef;
        (
            self.rv_log_edv_ref + self.rv_edv_progression * t
                - self.rv_repair_edv * q * self.rv_room_edv,
            self.rv_logit_ef_ref + c_g + self.rv_repair_ef * q * (self.rv_room_ef - c_g).max(0.0),
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

    /// Rates of change `(dy_LV/dt, dz_LV/dt)` at LV state `(y, z)`, with the
    /// set points' inputs as in [`Remodelling::lv_setpoints`]: the only place
    /// the LV equations are written (the reference right-hand side and the
    /// fast path call it).
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn lv_rates(
        &self,
        t: f64,
        repair: f64,
        injury: f64,
        patch: f64,
        gdmt: (f64, f64),
        y: f64,
        z: f64,
    ) -> (f64, f64) {
        let (ys, zs) = self.lv_setpoints(t, repair, injury, patch, gdmt);
        (self.k_lv * (ys - y), self.k_lv * (zs - z))
    }

    /// Rates of change `(dy_RV/dt, dz_RV/dt)` at RV state `(y, z)`, with the
    /// set points' inputs as in [`Remodelling::rv_setpoints`].
    #[inline]
    pub fn rv_rates(&self, t: f64, q: f64, g_ef: f64, y: f64, z: f64) -> (f64, f64) {
        let (ys, zs) = self.rv_setpoints(t, q, g_ef);
        (self.k_rv * (ys - y), self.k_rv * (zs - z))
    }

    /// The larger of the two ventricles' relaxation rates (per day).
    #[inline]
    pub fn largest_rate(&self) -> f64 {
        self.k_lv.max(self.k_rv)
    }

    #[inline]
    pub fn rhs(&self, t: f64, y: &State, dy: &mut State, gdmt: (f64, f64)) {
        (dy[LV_LOG_EDV], dy[LV_LOGIT_EF]) = self.lv_rates(
            t,
            y[LV_REPAIR],
            y[INJURY],
            y[GRAFT_MATURE],
            gdmt,
            y[LV_LOG_EDV],
            y[LV_LOGIT_EF],
        );
        (dy[RV_LOG_EDV], dy[RV_LOGIT_EF]) =
            self.rv_rates(t, y[RV_REPAIR], gdmt.0, y[RV_LOG_EDV], y[RV_LOGIT_EF]);
    }

    /// The exact solution of the four remodelling equations for a patient
    /// given no cells (no repair, injury or patch), with the GDMT set point
    /// in its exponential form `(A_ef, B_ef, A_edv, B_edv)` at rate `mu`
    /// (`Gdmt::exponential_form`), from `[y_LV, z_LV, y_RV, z_RV]` at day 0:
    /// `[y_LV, z_LV, y_RV, z_RV]` as [`LaggedRelaxation`]s.
    pub fn cell_free_solution(
        &self,
        form: (f64, f64, f64, f64),
        mu: f64,
        y0: [f64; 4],
    ) -> [LaggedRelaxation; 4] {
        let (a_ef, b_ef, a_edv, b_edv) = form;
        let c = self.rv_gdmt_coupling;
        [
            LaggedRelaxation::new(
                self.k_lv,
                mu,
                self.lv_log_edv_ref + a_edv,
                b_edv,
                self.lv_edv_progression,
                y0[0],
            ),
            LaggedRelaxation::new(
                self.k_lv,
                mu,
                self.lv_logit_ef_ref + a_ef,
                b_ef,
                self.lv_ef_progression,
                y0[1],
            ),
            LaggedRelaxation::new(
                self.k_rv,
                mu,
                self.rv_log_edv_ref,
                0.0,
                self.rv_edv_progression,
                y0[2],
            ),
            LaggedRelaxation::new(
                self.k_rv,
                mu,
                self.rv_logit_ef_ref + c * a_ef,
                c * b_ef,
                0.0,
                y0[3],
            ),
        ]
    }
}

/// `x' = k (c + A - B e^{-mu t} + pi t - x)` from `x(0) = x0`, solved exactly:
/// `x(t) = c + A + pi (t - 1/k) + (x0 - c - A + pi/k) e^{-kt} - B k (e^{-mu t} - e^{-k t}) / (k - mu)`
/// (the last term as `B k t e^{-k t}` with a first-order correction when
/// `k` and `mu` nearly coincide). One remodelling equation of a patient given
/// no cells ([`Remodelling::cell_free_solution`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LaggedRelaxation {
    k: f64,
    mu: f64,
    base: f64,
    b: f64,
    pi: f64,
    d: f64,
}

impl LaggedRelaxation {
    fn new(k: f64, mu: f64, c_plus_a: f64, b: f64, pi: f64, x0: f64) -> LaggedRelaxation {
        LaggedRelaxation {
            k,
            mu,
            base: c_plus_a,
            b,
            pi,
            d: x0 - c_plus_a + pi / k,
        }
    }

    /// The relaxation rate `k` (per day).
    #[inline]
    pub fn rate(&self) -> f64 {
        self.k
    }

    /// `(x(t), x'(t))`.
    #[inline]
    pub fn at(&self, t: f64) -> (f64, f64) {
        self.at_with(t, (-self.k * t).exp(), (-self.mu * t).exp())
    }

    /// The same with `ek = exp(-k t)` and `emu = exp(-mu t)` supplied
    /// (recurrences).
    #[inline]
    pub fn at_with(&self, t: f64, ek: f64, emu: f64) -> (f64, f64) {
        let gap = self.k - self.mu;
        let lag = if gap.abs() * t > 1e-6 {
            self.b * self.k * (emu - ek) / gap
        } else {
            // equal rates: B k t e^{-kt}, plus the first-order correction
            self.b * self.k * t * ek * (1.0 + 0.5 * gap * t)
        };
        let x = self.base + self.pi * (t - 1.0 / self.k) + self.d * ek - lag;
        let setpoint = self.base - self.b * emu + self.pi * t;
        (x, self.k * (setpoint - x))
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
