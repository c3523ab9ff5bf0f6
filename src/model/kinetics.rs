//! Cell kinetics after delivery.
//!
//! States (1e6 cells per kg body weight): `LUNG`, `HEART`, `DEBRIS`,
//! `CLEARED`, `GRAFT`, `GRAFT_MATURE`.
//!
//! Intravenous infusion: the infused viable cells reach the right heart and
//! the lung; a fraction `E` (first-pass extraction) is trapped in the lung,
//! a fraction `(1 - E) f` of the passing cells lodges in the myocardium and
//! the rest is taken up by liver and spleen as non-viable cells. Trapped lung
//! cells die or are cleared with rate `k_L` (half-life about a day), which
//! the instant blood-mediated inflammatory reaction (IBMIR) speeds up unless
//! anticoagulation blocks it; their debris moves to liver and spleen and is
//! eliminated with rate `k_D`.
//!
//! ```text
//! dL/dt = E r(t) - k_L L
//! dH/dt = F_H r(t) - k_H H
//! dG/dt = F_G r(t) - (k_mat + k_loss) G
//! dGm/dt = k_mat G - k_mloss Gm
//! dD/dt = F_D r(t) + r_lysed(t) + k_L L + k_H H + k_loss G + k_mloss Gm - k_D D
//! dX/dt = k_D D
//! ```
//! so that `L + H + G + Gm + D + X` equals the cumulative dose (mass balance,
//! checked by a test). `r(t)` is the viable infusion rate; cells destroyed on
//! infusion by anti-donor antibodies (`r_lysed`) go straight to debris.

use super::params::P;
use super::patient::PatientParams;
use super::state::*;
use serde::{Deserialize, Serialize};

/// How cells are delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    Intravenous,
    Intracoronary,
    Transendocardial,
    EpicardialPatch,
}

impl Route {
    pub const ALL: [Route; 4] = [
        Route::Intravenous,
        Route::Intracoronary,
        Route::Transendocardial,
        Route::EpicardialPatch,
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Route::Intravenous => "intravenous",
            Route::Intracoronary => "intracoronary",
            Route::Transendocardial => "transendocardial",
            Route::EpicardialPatch => "epicardial_patch",
        }
    }

    /// Whether the cells are given as an infusion over a duration (otherwise
    /// as an injection or implantation at one instant).
    pub fn is_infusion(&self) -> bool {
        matches!(self, Route::Intravenous | Route::Intracoronary)
    }
}

/// Where a delivered viable cell goes first (fractions sum to 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Delivery {
    pub to_lung: f64,
    pub to_heart: f64,
    pub to_graft: f64,
    pub to_debris: f64,
    /// Share of delivered cells that meets flowing blood (drives IBMIR).
    pub blood_contact: f64,
}

impl Delivery {
    pub fn for_route(route: Route, p: &PatientParams, heparin: bool) -> Delivery {
        let (lung, heart, graft, blood) = match route {
            Route::Intravenous => {
                let heparin_factor = if heparin {
                    1.0 - p.get(P::HeparinExtractionReduction)
                } else {
                    1.0
                };
                let e = p.get(P::IvLungExtraction) * heparin_factor;
                (e, (1.0 - e) * p.get(P::IvHeartHoming), 0.0, 1.0)
            }
            Route::Intracoronary => (
                p.get(P::IcLungFraction),
                p.get(P::IcHeartRetention),
                0.0,
                1.0,
            ),
            Route::Transendocardial => {
                let h = p.get(P::TeHeartRetention);
                (p.get(P::TeLungFraction), h, 0.0, 1.0 - h)
            }
            Route::EpicardialPatch => (0.0, 0.0, p.get(P::PatchEngraftment), 0.0),
        };
        // Retention fractions come from different studies; if a user's
        // overrides make them exceed 1 in total, scale them down (validation
        // reports this before any simulation).
        let total = lung + heart + graft;
        let scale = if total > 1.0 { 1.0 / total } else { 1.0 };
        let (lung, heart, graft) = (lung * scale, heart * scale, graft * scale);
        Delivery {
            to_lung: lung,
            to_heart: heart,
            to_graft: graft,
            to_debris: 1.0 - lung - heart - graft,
            blood_contact: blood,
        }
    }
}

/// Rates of the kinetics states (per day).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Kinetics {
    pub delivery: Delivery,
    pub k_lung: f64,
    pub k_heart: f64,
    pub k_debris: f64,
    pub k_maturation: f64,
    pub k_graft_loss: f64,
    pub k_mature_loss: f64,
}

/// `ln 2`
pub const LN2: f64 = std::f64::consts::LN_2;

impl Kinetics {
    /// `unblocked_coagulation`: share of the cell-induced coagulation that
    /// anticoagulation leaves active (1 without anticoagulation).
    pub fn new(
        p: &PatientParams,
        route: Route,
        heparin: bool,
        immunosuppressed: bool,
        unblocked_coagulation: f64,
    ) -> Kinetics {
        let delivery = Delivery::for_route(route, p, heparin);
        let ibmir_speedup = 1.0
            + p.get(P::IbmirLungClearanceIncrease) * unblocked_coagulation * delivery.blood_contact;
        let rejection = if immunosuppressed {
            1.0
        } else {
            p.get(P::PatchRejectionFactor)
        };
        Kinetics {
            delivery,
            k_lung: LN2 / p.get(P::LungCellHalfLife) * ibmir_speedup,
            k_heart: LN2 / p.get(P::HeartCellHalfLife),
            k_debris: LN2 / p.get(P::DebrisHalfLife),
            k_maturation: LN2 / p.get(P::PatchMaturationHalfLife),
            k_graft_loss: LN2 / p.get(P::PatchGraftLossHalfLife) * rejection,
            k_mature_loss: LN2 / p.get(P::PatchMatureLossHalfLife) * rejection,
        }
    }

    /// Right-hand side of the kinetics states. `viable_rate` and
    /// `lysed_rate` are the infusion rates (1e6 cells/kg/day).
    #[inline]
    pub fn rhs(&self, y: &State, dy: &mut State, viable_rate: f64, lysed_rate: f64) {
        let d = &self.delivery;
        let (l, h, g, gm, deb) = (y[LUNG], y[HEART], y[GRAFT], y[GRAFT_MATURE], y[DEBRIS]);
        dy[LUNG] = d.to_lung * viable_rate - self.k_lung * l;
        dy[HEART] = d.to_heart * viable_rate - self.k_heart * h;
        dy[GRAFT] = d.to_graft * viable_rate - (self.k_maturation + self.k_graft_loss) * g;
        dy[GRAFT_MATURE] = self.k_maturation * g - self.k_mature_loss * gm;
        dy[DEBRIS] = d.to_debris * viable_rate
            + lysed_rate
            + self.k_lung * l
            + self.k_heart * h
            + self.k_graft_loss * g
            + self.k_mature_loss * gm
            - self.k_debris * deb;
        dy[CLEARED] = self.k_debris * deb;
    }

    /// Add an instantaneous delivery (bolus) of `viable` and `lysed` cells.
    pub fn add_bolus(&self, y: &mut State, viable: f64, lysed: f64) {
        let d = &self.delivery;
        y[LUNG] += d.to_lung * viable;
        y[HEART] += d.to_heart * viable;
        y[GRAFT] += d.to_graft * viable;
        y[DEBRIS] += d.to_debris * viable + lysed;
    }

    /// Share of delivered cells that meets flowing blood (drives IBMIR).
    #[inline]
    pub fn blood_contact(&self) -> f64 {
        self.delivery.blood_contact
    }

    /// Total cells accounted for (equals the cumulative dose).
    pub fn total_cells(y: &State) -> f64 {
        y[LUNG] + y[HEART] + y[GRAFT] + y[GRAFT_MATURE] + y[DEBRIS] + y[CLEARED]
    }
}
