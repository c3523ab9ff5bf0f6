//! One virtual patient: parameters, baseline, regimen and the assembled ODE.

use super::biomarkers::{Biomarkers, rvef_from_tapse};
use super::coagulation::{Anticoagulant, Coagulation, unblocked_share};
use super::events::Hazards;
use super::gdmt::{Gdmt, GdmtHistory};
use super::immune::{Donor, Immune};
use super::kinetics::{Kinetics, Route};
use super::paracrine::Paracrine;
use super::params::{ModelParams, N_PARAMS, P};
use super::product::Product;
use super::remodelling::{Remodelling, Ventricles};
use super::state::*;
use serde::{Deserialize, Serialize};

/// A patient's parameter values (typical values with between-patient
/// variability applied).
#[derive(Debug, Clone, PartialEq)]
pub struct PatientParams(pub [f64; N_PARAMS]);

impl PatientParams {
    /// Every parameter at its typical value.
    pub fn typical(m: &ModelParams) -> PatientParams {
        PatientParams(m.typical)
    }

    /// Apply standard normal deviates `etas` to the varying parameters of
    /// `m`, in the order of [`ModelParams::varying`].
    /// With `[[model.correlations]]`, the deviates of the correlated
    /// parameters are correlated first ([`super::params::EtaCorrelation`]).
    pub fn with_etas(m: &ModelParams, etas: &[f64]) -> PatientParams {
        let mut correlated = [0.0; N_PARAMS];
        let n = etas.len().min(N_PARAMS);
        correlated[..n].copy_from_slice(&etas[..n]);
        if let Some(c) = &m.correlation {
            c.apply(m, &mut correlated[..n]);
        }
        let mut v = m.typical;
        for (p, eta) in m.varying().zip(correlated[..n].iter()) {
            v[p as usize] = m.bpv[p as usize].apply(m.typical[p as usize], *eta);
        }
        PatientParams(v)
    }

    #[inline]
    pub fn get(&self, p: P) -> f64 {
        self.0[p as usize]
    }
}

/// Baseline characteristics the model needs (true values, not measurements).
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    pub age_years: f64,
    pub nyha_iii: bool,
    pub ischaemic: bool,
    pub lvef_percent: f64,
    pub lvedv_ml: f64,
    pub rvedv_ml: f64,
    pub tapse_mm: f64,
    pub ntprobnp_ng_per_l: f64,
    pub six_minute_walk_m: f64,
    pub ddimer_mg_per_l: f64,
    pub anticoagulant: Anticoagulant,
    pub gdmt: GdmtHistory,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Premedication {
    None,
    Methylprednisolone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InfusionAnticoagulation {
    None,
    Heparin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Immunosuppression {
    None,
    Standard,
}

/// What an arm gives: the regimen expanded into dose days.
#[derive(Debug, Clone, PartialEq)]
pub struct Regimen {
    pub route: Route,
    /// Cells per kg body weight per dose (0 for placebo).
    pub dose_cells_per_kg: f64,
    /// Day of each dose (ascending).
    pub dose_days: Vec<f64>,
    /// Duration of each infusion (intravenous and intracoronary routes; 0 = bolus).
    pub infusion_duration_days: f64,
    pub premedication: Premedication,
    pub infusion_anticoagulation: InfusionAnticoagulation,
    pub donor: Donor,
    pub immunosuppression: Immunosuppression,
    /// The cells given (their properties scale the reference product's parameters).
    pub product: Product,
}

impl Regimen {
    /// A regimen that gives nothing (placebo with the same schedule).
    pub fn is_cell_free(&self) -> bool {
        self.dose_cells_per_kg == 0.0 || self.dose_days.is_empty()
    }

    /// Effective infusion duration (0 for routes that inject or implant).
    pub fn infusion_days(&self) -> f64 {
        if self.route.is_infusion() {
            self.infusion_duration_days.max(0.0)
        } else {
            0.0
        }
    }
}

/// Input rates during an infusion (per day).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct InfusionInput {
    pub viable_rate: f64,
    pub lysed_rate: f64,
    pub acute_rate: f64,
    pub sustained_rate: f64,
}

/// What one dose delivers (amounts; 1e6 cells/kg and mg/L).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DoseAmounts {
    pub viable: f64,
    pub lysed: f64,
    pub acute: f64,
    pub sustained: f64,
}

impl DoseAmounts {
    /// Spread over an infusion of `duration` days.
    pub fn as_rates(&self, duration: f64) -> InfusionInput {
        InfusionInput {
            viable_rate: self.viable / duration,
            lysed_rate: self.lysed / duration,
            acute_rate: self.acute / duration,
            sustained_rate: self.sustained / duration,
        }
    }
}

/// The patient's ODE system, every constant derived once.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientModel {
    pub kinetics: Kinetics,
    pub paracrine: Paracrine,
    pub coagulation: Coagulation,
    pub immune: Immune,
    pub gdmt: Gdmt,
    pub remodelling: Remodelling,
    pub biomarkers: Biomarkers,
    pub hazards: Hazards,
    /// Dose in 1e6 cells per kg.
    pub dose: f64,
    pub infusion_days: f64,
    initial: State,
}

/// True values of everything observable, at one time.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Observables {
    pub lvef_percent: f64,
    pub lvedv_ml: f64,
    pub lvesv_ml: f64,
    pub rvef_percent: f64,
    pub rvedv_ml: f64,
    pub rvesv_ml: f64,
    pub tapse_mm: f64,
    pub ntprobnp_ng_per_l: f64,
    pub six_minute_walk_m: f64,
    pub ddimer_mg_per_l: f64,
    pub inr: f64,
    pub antibody: f64,
    pub rv_signal: f64,
    pub lv_signal: f64,
}

impl PatientModel {
    pub fn new(p: &PatientParams, b: &Baseline, r: &Regimen) -> PatientModel {
        let product_params = r.product.apply(p);
        let p = &product_params;
        let heparin = r.infusion_anticoagulation == InfusionAnticoagulation::Heparin;
        let methylpred = r.premedication == Premedication::Methylprednisolone;
        let immunosuppressed = r.immunosuppression == Immunosuppression::Standard;
        let unblocked = unblocked_share(p, b.anticoagulant, heparin);
        let kinetics = Kinetics::new(p, r.route, heparin, immunosuppressed, unblocked);
        let coagulation = Coagulation::new(
            p,
            unblocked,
            kinetics.blood_contact(),
            b.anticoagulant,
            b.ddimer_mg_per_l,
        );
        let gdmt = Gdmt::new(p, &b.gdmt, b.ischaemic);
        let lvef = (b.lvef_percent / 100.0).clamp(0.01, 0.99);
        let rvef = rvef_from_tapse(p, b.tapse_mm);
        let (remodelling, gdmt) = Remodelling::new(p, &gdmt, lvef, b.lvedv_ml, rvef, b.rvedv_ml);
        let mut initial = [0.0; N_STATES];
        initial[LV_LOG_EDV] = remodelling.initial[0];
        initial[LV_LOGIT_EF] = remodelling.initial[1];
        initial[RV_LOG_EDV] = remodelling.initial[2];
        initial[RV_LOGIT_EF] = remodelling.initial[3];
        let v0 = Ventricles::from_state(&initial);
        PatientModel {
            kinetics,
            paracrine: Paracrine::new(p, methylpred),
            coagulation,
            immune: Immune::new(p, r.donor, methylpred, immunosuppressed),
            gdmt,
            remodelling,
            biomarkers: Biomarkers::new(
                p,
                &v0,
                b.ntprobnp_ng_per_l,
                b.tapse_mm,
                b.six_minute_walk_m,
            ),
            hazards: Hazards::new(
                p,
                b.age_years,
                b.nyha_iii,
                b.anticoagulant.is_anticoagulated(),
            ),
            dose: r.dose_cells_per_kg / 1e6,
            infusion_days: r.infusion_days(),
            initial,
        }
    }

    pub fn initial_state(&self) -> State {
        self.initial
    }

    /// What a dose given when the state is `y` delivers.
    pub fn dose_amounts(&self, y: &State) -> DoseAmounts {
        let ab = y[ANTIBODY];
        let viable = self.dose * self.immune.viable_share(ab);
        let (acute, sustained) = self.coagulation.inputs(viable, ab);
        DoseAmounts {
            viable,
            lysed: self.dose - viable,
            acute,
            sustained,
        }
    }

    /// Apply a dose instantaneously (bolus routes and zero-length infusions).
    pub fn apply_bolus(&self, y: &mut State, d: &DoseAmounts) {
        self.kinetics.add_bolus(y, d.viable, d.lysed);
        y[IBMIR] += d.acute;
        y[SUSTAINED] += d.sustained;
    }

    /// The right-hand side `dy/dt = f(t, y)` with the current infusion input:
    /// [`Self::linear_rhs`] and the slow, nonlinear rest.
    #[inline]
    pub fn rhs(&self, t: f64, y: &State, dy: &mut State, input: &InfusionInput) {
        self.linear_rhs(y, dy, input);
        self.paracrine.repair_rhs(y, dy);
        self.remodelling.rhs(t, y, dy, self.gdmt.setpoint(t));
        let v = Ventricles::from_state(y);
        let (h_hfh, h_death) = self
            .hazards
            .heart_failure_rates(v.lvef, self.biomarkers.ln_ntprobnp(&v));
        dy[CUM_HAZARD_HFH] = h_hfh;
        dy[CUM_HAZARD_DEATH] = h_death;
    }

    /// The mechanisms whose states the fast path holds in linear blocks
    /// (cell kinetics, the delay chains, coagulation, immune priming and the
    /// SAE hazard): their rows of [`Self::rhs`], written only here and by
    /// the same expressions (`tests/fast_path.rs` checks that `rhs` and this
    /// agree bit for bit on every block row). Probed by the fast path for its
    /// matrices, where evaluating the whole right-hand side would cost the
    /// exponentials of remodelling and the hazards for nothing.
    #[inline]
    pub fn linear_rhs(&self, y: &State, dy: &mut State, input: &InfusionInput) {
        self.kinetics
            .rhs(y, dy, input.viable_rate, input.lysed_rate);
        self.paracrine.chain_rhs(y, dy);
        self.coagulation
            .rhs(y, dy, input.acute_rate, input.sustained_rate);
        self.immune.rhs(y, dy);
        dy[CUM_HAZARD_SAE] = self.hazards.sae_rate(y[IBMIR] + y[SUSTAINED]);
    }

    /// True observables at day `t` in state `y`.
    pub fn observables(&self, t: f64, y: &State) -> Observables {
        let v = Ventricles::from_state(y);
        let (s_rv, s_lv) = self.paracrine.signals(y);
        Observables {
            lvef_percent: v.lvef * 100.0,
            lvedv_ml: v.lvedv_ml,
            lvesv_ml: v.lvesv_ml,
            rvef_percent: v.rvef * 100.0,
            rvedv_ml: v.rvedv_ml,
            rvesv_ml: v.rvesv_ml,
            tapse_mm: self.biomarkers.tapse_mm(&v),
            ntprobnp_ng_per_l: self.biomarkers.ntprobnp_ng_per_l(&v),
            six_minute_walk_m: self.biomarkers.six_minute_walk_m(&v),
            ddimer_mg_per_l: self.coagulation.ddimer(t, y),
            inr: self.coagulation.inr(y),
            antibody: y[ANTIBODY],
            rv_signal: s_rv,
            lv_signal: s_lv,
        }
    }
}
