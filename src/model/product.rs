//! The cell product: what differs between the cells an arm gives.
//!
//! Every mechanism's parameters describe the reference product, PRIME-HFrEF's
//! umbilical-cord MSC (to which the model is calibrated). Another product is
//! that product with four properties scaled, each relative to UC-MSC:
//!
//! | property | scales | meaning |
//! |---|---|---|
//! | `tissue_factor` | `ibmir_ddimer_gain`, `sustained_ddimer_gain` | surface tissue factor (CD142): the coagulation a delivered cell starts, and through it microvascular injury and the LV attenuation |
//! | `efficacy` | `rv_repair_emax_per_day`, `lv_repair_emax_per_day` | reparative efficacy: the maximal repair rate the product's signal drives (a model parameter per product, `bm_msc_efficacy` ..., with a prior; calibrated to the trials that used the product) |
//! | `immunogenicity` | `immunogenicity` | anti-donor priming per allogeneic cell (autologous cells never prime) |
//! | `engraftment` | `patch_engraftment_fraction` (capped at 1) | share of an implanted graft that engrafts (epicardial patch route) |
//!
//! Tissue factor, immunogenicity and engraftment are sourced where a source
//! exists and otherwise stated assumptions (each with its reason,
//! [`Product::profile`]); the efficacy is a parameter of the table. Applying a product is a change of the patient's parameters before
//! the model is assembled, so the reference integrator and the fast path see
//! the same patient and no mechanism knows about products.

use super::params::{N_PARAMS, P};
use super::patient::PatientParams;
use serde::{Deserialize, Serialize};

/// A cell product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Product {
    /// Umbilical-cord (Wharton's jelly) MSC: PRIME-HFrEF's product, the reference.
    UcMsc,
    /// Bone-marrow MSC (MSC-HF, POSEIDON, TRIDENT, SENECA; ischaemia-tolerant MSC).
    BmMsc,
    /// Adipose-derived MSC (SCIENCE, CSCC_ASC).
    AdiposeMsc,
    /// STRO-3 immunoselected mesenchymal precursor cells (DREAM-HF, rexlemestrocel-L).
    Mpc,
    /// Cardiopoietic (lineage-guided) bone-marrow MSC (CHART-1, C3BS-CQR-1).
    Cardiopoietic,
    /// Ixmyelocel-T: expanded bone-marrow CD90+ MSC with CD45+CD14+ macrophages (ixCELL-DCM).
    IxmyelocelT,
    /// Engineered heart muscle: iPSC cardiomyocytes and stromal cells in a collagen graft (BioVAT-HF).
    EngineeredHeartMuscle,
}

/// The four properties of a product, relative to UC-MSC.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ProductProfile {
    pub tissue_factor: f64,
    /// The parameter holding the reparative efficacy (`None`: the reference, 1).
    #[serde(skip)]
    pub efficacy: Option<P>,
    pub immunogenicity: f64,
    pub engraftment: f64,
    /// Where the values come from.
    pub source: &'static str,
}

impl Product {
    pub const ALL: [Product; 7] = [
        Product::UcMsc,
        Product::BmMsc,
        Product::AdiposeMsc,
        Product::Mpc,
        Product::Cardiopoietic,
        Product::IxmyelocelT,
        Product::EngineeredHeartMuscle,
    ];

    /// The scenario key (`[arms.X] product`).
    pub fn key(&self) -> &'static str {
        match self {
            Product::UcMsc => "uc_msc",
            Product::BmMsc => "bm_msc",
            Product::AdiposeMsc => "adipose_msc",
            Product::Mpc => "mpc",
            Product::Cardiopoietic => "cardiopoietic",
            Product::IxmyelocelT => "ixmyelocel_t",
            Product::EngineeredHeartMuscle => "engineered_heart_muscle",
        }
    }

    pub fn profile(&self) -> ProductProfile {
        // Tissue factor: UC ~ adipose (highest) > dental pulp > BM (lowest)
        // (Christ/Oeller 2018 Theranostics 8:1421; Hoang 2024 SCRT; evidence.md
        // 1c). The BM ratio 0.3 is an assumption within that ordering.
        // Efficacy: a parameter per product (params.rs, with its prior in
        // priors.rs), calibrated to the trials that used the product.
        const BM_TF: f64 = 0.3;
        // Engraftment: no product-specific evidence; the patch parameters
        // (patch_engraftment_fraction ...) apply to every product as calibrated.
        const MSC_ENGRAFT: f64 = 1.0;
        match self {
            Product::UcMsc => ProductProfile {
                tissue_factor: 1.0,
                efficacy: None,
                immunogenicity: 1.0,
                engraftment: MSC_ENGRAFT,
                source: "reference product (PRIME-HFrEF, calibrated)",
            },
            Product::BmMsc => ProductProfile {
                tissue_factor: BM_TF,
                efficacy: Some(P::BmMscEfficacy),
                immunogenicity: 1.0,
                engraftment: MSC_ENGRAFT,
                source: "tissue factor lowest of MSC sources (Christ/Oeller 2018; ratio 0.3 assumed); efficacy: bm_msc_efficacy",
            },
            Product::AdiposeMsc => ProductProfile {
                tissue_factor: 1.0,
                efficacy: Some(P::AdiposeMscEfficacy),
                immunogenicity: 1.0,
                engraftment: MSC_ENGRAFT,
                source: "tissue factor as high as UC (Christ/Oeller 2018; Hoang 2024); efficacy: adipose_msc_efficacy",
            },
            Product::Mpc => ProductProfile {
                tissue_factor: BM_TF,
                efficacy: Some(P::MpcEfficacy),
                immunogenicity: 0.5,
                engraftment: MSC_ENGRAFT,
                source: "bone-marrow origin (tissue factor as BM); STRO-3 immunoselection for a precursor fraction with high trophic secretion: efficacy mpc_efficacy; immunogenicity halved assumed (DREAM-HF used no immunosuppression)",
            },
            Product::Cardiopoietic => ProductProfile {
                tissue_factor: BM_TF,
                efficacy: Some(P::CardiopoieticEfficacy),
                immunogenicity: 1.0,
                engraftment: MSC_ENGRAFT,
                source: "autologous BM-MSC (tissue factor as BM) primed by a cardiogenic cocktail meant to raise reparative activity: efficacy cardiopoietic_efficacy",
            },
            Product::IxmyelocelT => ProductProfile {
                tissue_factor: BM_TF,
                efficacy: Some(P::IxmyelocelTEfficacy),
                immunogenicity: 1.0,
                engraftment: MSC_ENGRAFT,
                source: "expanded autologous BM cells (MSC and macrophages): tissue factor as BM-MSC assumed; efficacy ixmyelocel_t_efficacy",
            },
            Product::EngineeredHeartMuscle => ProductProfile {
                tissue_factor: 0.0,
                efficacy: None,
                immunogenicity: 1.0,
                engraftment: 1.0,
                source: "implanted tissue without contact with flowing blood: no cell-borne coagulation (assumption; BioVAT-HF reported no EHM-related adverse events); engraftment: the patch parameters describe an engineered graft (histological remuscularisation, Jebran 2025)",
            },
        }
    }

    /// The patient's parameters for this product.
    pub fn apply(&self, p: &PatientParams) -> PatientParams {
        let f = self.profile();
        let mut v: [f64; N_PARAMS] = p.0;
        let mut scale = |q: P, x: f64| v[q as usize] *= x;
        scale(P::IbmirDdimerGain, f.tissue_factor);
        scale(P::SustainedDdimerGain, f.tissue_factor);
        if let Some(e) = f.efficacy {
            let x = p.get(e);
            scale(P::RvRepairEmax, x);
            scale(P::LvRepairEmax, x);
        }
        scale(P::Immunogenicity, f.immunogenicity);
        scale(P::PatchEngraftment, f.engraftment);
        v[P::PatchEngraftment as usize] = v[P::PatchEngraftment as usize].min(1.0);
        apply_trial_effects(&mut v);
        PatientParams(v)
    }
}

/// The trial's own deviation from the typical trial (`trial_efficacy_effect`,
/// `trial_volume_effect`; both 0 in the typical trial, where this leaves the
/// parameters bit for bit): the repair rates times `exp(e)`, and the LV
/// response's volume share `logit(l_edv) + v`, its contractile share
/// `logit(l_ef) - v`, so both stay in (0, 1) and the response keeps its size
/// and moves between volume and EF.
fn apply_trial_effects(v: &mut [f64; N_PARAMS]) {
    let e = v[P::TrialEfficacyEffect as usize];
    if e != 0.0 {
        let m = e.exp();
        v[P::RvRepairEmax as usize] *= m;
        v[P::LvRepairEmax as usize] *= m;
    }
    let shift = v[P::TrialVolumeEffect as usize];
    if shift != 0.0 {
        let logit = |x: f64| (x / (1.0 - x)).ln();
        let logistic = |z: f64| 1.0 / (1.0 + (-z).exp());
        let edv = &mut v[P::LvRepairEdvFraction as usize];
        *edv = logistic(logit(*edv) + shift);
        let ef = &mut v[P::LvRepairEfFraction as usize];
        *ef = logistic(logit(*ef) - shift);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::params::ModelParams;

    #[test]
    fn the_reference_product_leaves_the_mechanisms_as_calibrated() {
        let p = PatientParams::typical(&ModelParams::default());
        let q = Product::UcMsc.apply(&p);
        for (i, (a, b)) in p.0.iter().zip(q.0.iter()).enumerate() {
            assert_eq!(a, b, "parameter {i}");
        }
    }

    #[test]
    fn a_trial_effect_scales_the_repair_rates_and_moves_the_lv_response_between_volume_and_ef() {
        let m = ModelParams::default();
        let p = PatientParams::typical(&m);
        for prod in Product::ALL {
            // the typical trial: the shares bit for bit as given
            let a = prod.apply(&p);
            for q in [P::LvRepairEfFraction, P::LvRepairEdvFraction] {
                assert_eq!(a.get(q).to_bits(), p.get(q).to_bits(), "{prod:?}");
            }
        }
        let mut q = p.clone();
        q.0[P::TrialEfficacyEffect as usize] = 0.7;
        q.0[P::TrialVolumeEffect as usize] = 1.2;
        let a = Product::UcMsc.apply(&p);
        let b = Product::UcMsc.apply(&q);
        let ratio = b.get(P::LvRepairEmax) / a.get(P::LvRepairEmax);
        assert!((ratio - 0.7f64.exp()).abs() < 1e-12);
        let ratio = b.get(P::RvRepairEmax) / a.get(P::RvRepairEmax);
        assert!((ratio - 0.7f64.exp()).abs() < 1e-12);
        let logit = |x: f64| (x / (1.0 - x)).ln();
        let dv = logit(b.get(P::LvRepairEdvFraction)) - logit(a.get(P::LvRepairEdvFraction));
        let de = logit(b.get(P::LvRepairEfFraction)) - logit(a.get(P::LvRepairEfFraction));
        assert!(
            (dv - 1.2).abs() < 1e-9 && (de + 1.2).abs() < 1e-9,
            "{dv} {de}"
        );
        // shares stay fractions for any shift
        q.0[P::TrialVolumeEffect as usize] = 30.0;
        let c = Product::BmMsc.apply(&q);
        for x in [c.get(P::LvRepairEdvFraction), c.get(P::LvRepairEfFraction)] {
            assert!((0.0..=1.0).contains(&x), "{x}");
        }
    }

    #[test]
    fn bone_marrow_cells_carry_less_tissue_factor_and_efficacy() {
        let p = PatientParams::typical(&ModelParams::default());
        let q = Product::BmMsc.apply(&p);
        assert!(q.get(P::IbmirDdimerGain) < p.get(P::IbmirDdimerGain));
        assert!(q.get(P::LvRepairEmax) < p.get(P::LvRepairEmax));
        let e = Product::EngineeredHeartMuscle.apply(&p);
        assert_eq!(e.get(P::SustainedDdimerGain), 0.0);
        assert!(e.get(P::PatchEngraftment) <= 1.0);
        for prod in Product::ALL {
            let f = prod.profile();
            assert!(f.tissue_factor >= 0.0, "{prod:?}");
            assert!(!f.source.is_empty());
        }
    }
}
