//! Paracrine signal.
//!
//! The secreted factors live minutes (VEGF t1/2 34 min, HGF 4 min), far
//! shorter than the weeks over which the biological response builds and
//! fades. The signal is therefore driven by cell *exposure*, through a
//! three-compartment delay chain with rate `k_tr` (peak about 2 weeks after
//! a dose, back near baseline by 8 weeks), separately for the pulmonary
//! circulation (driving RV afterload) and for the LV myocardium:
//!
//! ```text
//! dP1/dt = m_pre L - k_tr P1,   dP2/dt = k_tr (P1 - P2),   dP3/dt = k_tr (P2 - P3)
//! dM1/dt = m_pre (H + phi L + phi_G G) - k_tr M1,   ... (same chain)
//! s_RV = k_tr P3,   s_LV = k_tr M3           (1e6 cell-equivalents per kg)
//! ```
//! `m_pre` < 1 with methylprednisolone premedication. The signals drive slow
//! repair states that carry the effect of repeated doses (they add up there,
//! not in the chain):
//!
//! ```text
//! g_RV = Emax_RV h(s_RV / EC50_RV)
//! g_LV = Emax_LV h(s_LV / EC50_LV) / (1 + C / C50)      (C: sustained procoagulant state)
//! dQ/dt = g_RV (1 - Q) - k_Q Q        (pulmonary-vascular repair, 0..1)
//! dR/dt = g_LV (1 - R) - k_R R        (LV myocardial repair, 0..1)
//! ```
//!
//! Two structural alternatives (parameters that are 0 or 1, drawn as a
//! weighted choice under `[uncertainty]`): the exposure-response
//! `h(x) = x / (1 + x)` (Emax, `repair_exposure_response = 0`) or
//! `h(x) = x / (1 + x^4)^(1/4)` (linear, `h = x` within 2% below `x = 0.5`,
//! up to the same ceiling, joined smoothly so the integrators keep their
//! order; `= 1`); repair that
//! wanes, `k_Q = ln 2 / rv_repair_half_life_days` and `k_R = ln 2 /
//! lv_repair_half_life_days` (`repair_durability = 0`), or is durable,
//! `k_Q = k_R = 0` (`= 1`). Both keep `g <= Emax`, so the repair states stay
//! in [0, 1] and the fast path's step bounds hold.

use super::kinetics::LN2;
use super::params::P;
use super::patient::PatientParams;
use super::state::*;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paracrine {
    pub k_transit: f64,
    /// Premedication multiplier of the signal input.
    pub premedication_factor: f64,
    pub lung_to_lv: f64,
    pub graft_to_lv: f64,
    pub rv_emax: f64,
    pub rv_ec50: f64,
    pub k_rv_repair_off: f64,
    pub lv_emax: f64,
    pub lv_ec50: f64,
    pub k_lv_repair_off: f64,
    pub lv_attenuation_c50: f64,
    /// Linear exposure-response up to the ceiling instead of Emax.
    pub linear_exposure: bool,
}

impl Paracrine {
    pub fn new(p: &PatientParams, methylprednisolone: bool) -> Paracrine {
        let durable = p.get(P::RepairDurability) >= 0.5;
        let off = |half_life: P| if durable { 0.0 } else { LN2 / p.get(half_life) };
        Paracrine {
            k_transit: p.get(P::ParacrineTransitRate),
            premedication_factor: if methylprednisolone {
                1.0 - p.get(P::MethylprednisoloneParacrineDamping)
            } else {
                1.0
            },
            lung_to_lv: p.get(P::LungToLvSignalFraction),
            graft_to_lv: p.get(P::PatchParacrineFraction),
            rv_emax: p.get(P::RvRepairEmax),
            rv_ec50: p.get(P::RvSignalEc50),
            k_rv_repair_off: off(P::RvRepairHalfLife),
            lv_emax: p.get(P::LvRepairEmax),
            lv_ec50: p.get(P::LvSignalEc50),
            k_lv_repair_off: off(P::LvRepairHalfLife),
            lv_attenuation_c50: p.get(P::DdimerLvAttenuationC50),
            linear_exposure: p.get(P::RepairExposureResponse) >= 0.5,
        }
    }

    /// Input of the pulmonary chain.
    #[inline]
    pub fn rv_input(&self, y: &State) -> f64 {
        self.premedication_factor * y[LUNG]
    }

    /// Input of the myocardial chain.
    #[inline]
    pub fn lv_input(&self, y: &State) -> f64 {
        self.premedication_factor
            * (y[HEART] + self.lung_to_lv * y[LUNG] + self.graft_to_lv * y[GRAFT])
    }

    /// Signals leaving the chains `(s_RV, s_LV)`.
    #[inline]
    pub fn signals(&self, y: &State) -> (f64, f64) {
        (
            self.k_transit * y[RV_CHAIN_3],
            self.k_transit * y[LV_CHAIN_3],
        )
    }

    /// Repair drives `(g_RV, g_LV)` from the contents of the chains' last
    /// compartments `P3`, `M3` and the sustained procoagulant state.
    #[inline]
    pub fn drives_from_chains(&self, p3: f64, m3: f64, sustained_procoagulant: f64) -> (f64, f64) {
        self.drives(
            self.k_transit * p3,
            self.k_transit * m3,
            sustained_procoagulant,
        )
    }

    /// Rates of change `(dQ/dt, dR/dt)` of the repair states from their
    /// drives: the only place these two equations are written (the
    /// reference right-hand side and the fast path call it).
    #[inline]
    pub fn repair_rates(&self, g_rv: f64, g_lv: f64, q: f64, r: f64) -> (f64, f64) {
        (
            g_rv * (1.0 - q) - self.k_rv_repair_off * q,
            g_lv * (1.0 - r) - self.k_lv_repair_off * r,
        )
    }

    /// Decay rates `[k_Q, k_R]` of the repair states without drive (per day).
    #[inline]
    pub fn repair_off_rates(&self) -> [f64; 2] {
        [self.k_rv_repair_off, self.k_lv_repair_off]
    }

    /// The largest relaxation rates `[Emax_RV + k_Q, Emax_LV + k_R]` of the
    /// repair states (per day): `g <= Emax` for any exposure.
    #[inline]
    pub fn repair_rate_bounds(&self) -> [f64; 2] {
        [
            self.rv_emax + self.k_rv_repair_off,
            self.lv_emax + self.k_lv_repair_off,
        ]
    }

    /// Whether any exposure can drive RV repair.
    #[inline]
    pub fn can_drive_rv_repair(&self) -> bool {
        self.rv_emax > 0.0
    }

    /// Chain content below which the signals leaving the chains are at most
    /// `share` of the smaller EC50 (or of `share` itself for fast chains).
    #[inline]
    pub fn chain_content_for_signal(&self, share: f64) -> f64 {
        share * self.rv_ec50.min(self.lv_ec50) / self.k_transit.max(1.0)
    }

    /// Repair drives `(g_RV, g_LV)` (per day).
    #[inline]
    pub fn drives(&self, s_rv: f64, s_lv: f64, sustained_procoagulant: f64) -> (f64, f64) {
        let g_rv = if s_rv > 0.0 {
            self.rv_emax * self.response(s_rv, self.rv_ec50)
        } else {
            0.0
        };
        let g_lv = if s_lv > 0.0 {
            self.lv_emax * self.response(s_lv, self.lv_ec50)
                / (1.0 + sustained_procoagulant.max(0.0) / self.lv_attenuation_c50)
        } else {
            0.0
        };
        (g_rv, g_lv)
    }

    /// The exposure-response `h(s / EC50)` in [0, 1] (module docs).
    #[inline]
    fn response(&self, s: f64, ec50: f64) -> f64 {
        if self.linear_exposure {
            let x = s / ec50;
            x / (1.0 + x * x * x * x).sqrt().sqrt()
        } else {
            s / (s + ec50)
        }
    }

    /// The delay chains (linear: the fast path's blocks).
    #[inline]
    pub fn chain_rhs(&self, y: &State, dy: &mut State) {
        let k = self.k_transit;
        dy[RV_CHAIN_1] = self.rv_input(y) - k * y[RV_CHAIN_1];
        dy[RV_CHAIN_2] = k * (y[RV_CHAIN_1] - y[RV_CHAIN_2]);
        dy[RV_CHAIN_3] = k * (y[RV_CHAIN_2] - y[RV_CHAIN_3]);
        dy[LV_CHAIN_1] = self.lv_input(y) - k * y[LV_CHAIN_1];
        dy[LV_CHAIN_2] = k * (y[LV_CHAIN_1] - y[LV_CHAIN_2]);
        dy[LV_CHAIN_3] = k * (y[LV_CHAIN_2] - y[LV_CHAIN_3]);
    }

    /// The repair states (nonlinear: Emax drives of the chains' outputs).
    #[inline]
    pub fn repair_rhs(&self, y: &State, dy: &mut State) {
        let (s_rv, s_lv) = self.signals(y);
        let (g_rv, g_lv) = self.drives(s_rv, s_lv, y[SUSTAINED]);
        (dy[RV_REPAIR], dy[LV_REPAIR]) = self.repair_rates(g_rv, g_lv, y[RV_REPAIR], y[LV_REPAIR]);
    }
}
