//! Coagulation.
//!
//! Infused MSC carry tissue factor: an infusion starts an instant
//! blood-mediated inflammatory reaction (IBMIR), seen as an acute D-dimer rise
//! (`I`, half-life under a day), and a sustained procoagulant state (`C`,
//! half-life about two weeks) whose size grows with anti-donor antibody at the
//! time of the infusion (immune-complex amplification). That lets the model
//! produce what PRIME-HFrEF saw: D-dimer raised from the 2nd infusion through
//! the 3rd and normal by day 180. Background VKA/NOAC and heparin given with
//! the infusion block a share of both responses; heparin also lowers lung
//! embolism (see `kinetics`). The sustained state attenuates the LV repair
//! drive (`paracrine`) and causes irreversible microvascular injury:
//!
//! ```text
//! dI/dt = a_I r(t) - k_I I
//! dC/dt = a_C (b + A Ab(t_dose)) r(t) - k_C C
//! dInjury/dt = kappa C
//! a_I = gain_I (1 - block) susceptibility blood_contact      (a_C likewise)
//! D-dimer(t) = DD_stable (1 + excess 2^(-t / t_half)) + I + C + g_J Injury
//! INR(t) = INR(anticoagulant) - slope C
//! ```

use super::kinetics::LN2;
use super::params::P;
use super::patient::PatientParams;
use super::state::*;
use serde::{Deserialize, Serialize};

/// Background oral anticoagulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anticoagulant {
    None,
    Vka,
    Noac,
}

impl Anticoagulant {
    pub fn is_anticoagulated(&self) -> bool {
        !matches!(self, Anticoagulant::None)
    }
}

/// Share of the cell-induced coagulation left active by anticoagulation.
pub fn unblocked_share(p: &PatientParams, background: Anticoagulant, heparin: bool) -> f64 {
    let bg = if background.is_anticoagulated() {
        1.0 - p.get(P::VkaNoacInhibition)
    } else {
        1.0
    };
    let hep = if heparin {
        1.0 - p.get(P::HeparinInhibition)
    } else {
        1.0
    };
    bg * hep
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coagulation {
    /// Acute D-dimer rise per viable 1e6 cells/kg (after blocking).
    pub acute_gain: f64,
    pub k_acute: f64,
    /// Sustained rise per viable 1e6 cells/kg per antibody unit (after blocking).
    pub sustained_gain: f64,
    pub sustained_base: f64,
    pub antibody_amplification: f64,
    pub k_sustained: f64,
    pub injury_rate: f64,
    pub ddimer_stable: f64,
    pub enrolment_excess: f64,
    pub k_enrolment: f64,
    /// Persistent D-dimer per unit of microvascular injury.
    pub injury_ddimer: f64,
    pub inr_anticoagulant: f64,
    pub inr_slope: f64,
}

impl Coagulation {
    /// `ddimer_at_enrolment`: the patient's D-dimer at day 0 (mg/L).
    pub fn new(
        p: &PatientParams,
        unblocked: f64,
        blood_contact: f64,
        anticoagulant: Anticoagulant,
        ddimer_at_enrolment: f64,
    ) -> Coagulation {
        let susceptibility = p.get(P::IbmirSusceptibility);
        let excess = p.get(P::DdimerEnrolmentExcess);
        Coagulation {
            acute_gain: p.get(P::IbmirDdimerGain) * unblocked * susceptibility * blood_contact,
            k_acute: LN2 / p.get(P::IbmirHalfLife),
            sustained_gain: p.get(P::SustainedDdimerGain)
                * unblocked
                * susceptibility
                * blood_contact,
            sustained_base: p.get(P::SustainedDdimerBaseFraction),
            antibody_amplification: p.get(P::SustainedAntibodyAmplification),
            k_sustained: LN2 / p.get(P::SustainedProcoagHalfLife),
            injury_rate: p.get(P::MicrovascularInjuryRate),
            ddimer_stable: ddimer_at_enrolment / (1.0 + excess),
            enrolment_excess: excess,
            k_enrolment: LN2 / p.get(P::DdimerEnrolmentHalfLife),
            injury_ddimer: p.get(P::DdimerInjuryGain),
            inr_anticoagulant: match anticoagulant {
                Anticoagulant::None => p.get(P::InrNone),
                Anticoagulant::Vka => p.get(P::InrVka),
                Anticoagulant::Noac => p.get(P::InrNoac),
            },
            inr_slope: p.get(P::InrProcoagulantSlope),
        }
    }

    /// Input rates into `(I, C)` for a viable infusion rate, given the
    /// antibody level at the start of the infusion.
    #[inline]
    pub fn inputs(&self, viable_rate: f64, antibody_at_dose: f64) -> (f64, f64) {
        (
            self.acute_gain * viable_rate,
            self.sustained_gain
                * (self.sustained_base + self.antibody_amplification * antibody_at_dose.max(0.0))
                * viable_rate,
        )
    }

    #[inline]
    pub fn rhs(&self, y: &State, dy: &mut State, acute_input: f64, sustained_input: f64) {
        dy[IBMIR] = acute_input - self.k_acute * y[IBMIR];
        dy[SUSTAINED] = sustained_input - self.k_sustained * y[SUSTAINED];
        dy[INJURY] = self.injury_rate * y[SUSTAINED];
    }

    /// True D-dimer (mg/L FEU) at day `t`.
    #[inline]
    pub fn ddimer(&self, t: f64, y: &State) -> f64 {
        self.ddimer_stable * (1.0 + self.enrolment_excess * (-self.k_enrolment * t).exp())
            + y[IBMIR].max(0.0)
            + y[SUSTAINED].max(0.0)
            + self.injury_ddimer * y[INJURY].max(0.0)
    }

    /// True INR.
    #[inline]
    pub fn inr(&self, y: &State) -> f64 {
        (self.inr_anticoagulant - self.inr_slope * y[SUSTAINED].max(0.0)).max(0.5)
    }
}
