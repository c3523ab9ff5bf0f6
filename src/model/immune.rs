//! Immune response to allogeneic cells.
//!
//! Exposure to donor cells (viable cells in lung, myocardium and graft) primes
//! a humoral response that produces anti-donor antibody after a delay:
//!
//! ```text
//! dB/dt = gamma m_pre m_is [allogeneic] (L + H + G) - k_B B
//! dAb/dt = k_B B - k_Ab Ab
//! ```
//! Antibody present at a later infusion destroys a share of that dose on
//! arrival, `1 - 1 / (1 + Ab / Ab50)`, reducing exposure, and amplifies the
//! sustained procoagulant response (see `coagulation`). ANA positivity is an
//! observable of the peak antibody level (see `trial::measurement`).
//! Methylprednisolone and immunosuppression damp priming; autologous cells do
//! not prime at all.

use super::kinetics::LN2;
use super::params::P;
use super::patient::PatientParams;
use super::state::*;
use serde::{Deserialize, Serialize};

/// Origin of the cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Donor {
    Allogeneic,
    Autologous,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Immune {
    pub priming_gain: f64,
    pub k_priming: f64,
    pub k_antibody: f64,
    pub lysis_ab50: f64,
}

impl Immune {
    pub fn new(
        p: &PatientParams,
        donor: Donor,
        methylprednisolone: bool,
        immunosuppressed: bool,
    ) -> Immune {
        let allo = if donor == Donor::Allogeneic { 1.0 } else { 0.0 };
        let pre = if methylprednisolone {
            1.0 - p.get(P::MethylprednisoloneImmuneDamping)
        } else {
            1.0
        };
        let is = if immunosuppressed {
            1.0 - p.get(P::ImmunosuppressionImmuneDamping)
        } else {
            1.0
        };
        Immune {
            priming_gain: p.get(P::ImmunePrimingGain) * p.get(P::Immunogenicity) * allo * pre * is,
            k_priming: 1.0 / p.get(P::ImmuneDelay),
            k_antibody: LN2 / p.get(P::AntibodyHalfLife),
            lysis_ab50: p.get(P::AntibodyLysisAb50),
        }
    }

    /// Share of a dose that survives infusion at antibody level `ab`.
    #[inline]
    pub fn viable_share(&self, ab: f64) -> f64 {
        1.0 / (1.0 + ab.max(0.0) / self.lysis_ab50)
    }

    #[inline]
    pub fn rhs(&self, y: &State, dy: &mut State) {
        let exposure = y[LUNG] + y[HEART] + y[GRAFT];
        dy[PRIMING] = self.priming_gain * exposure - self.k_priming * y[PRIMING];
        dy[ANTIBODY] = self.k_priming * y[PRIMING] - self.k_antibody * y[ANTIBODY];
    }
}
