//! The parameter table of the patient model.
//!
//! Every parameter has a name (the key used in scenario files under
//! `[model]`), a unit, a default, an optional between-patient variability
//! (BPV) and a source: a citation, or the word *assumption* with the reasoning,
//! or *calibrated* when `hfsim calibrate fit` estimates it from PRIME-HFrEF.
//! `docs/model.md` lists the same table; a test checks that every name here
//! appears there.

use serde::Serialize;

/// How a parameter varies between patients.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Bpv {
    /// Same value for every patient.
    None,
    /// `typical * exp(omega * eta)`, eta ~ N(0, 1).
    LogNormal { omega: f64 },
    /// `logistic(logit(typical) + omega * eta)`, for fractions in (0, 1).
    LogitNormal { omega: f64 },
    /// `lower + (upper - lower) * logistic(logit(f) + omega * eta)` with
    /// `f = (typical - lower) / (upper - lower)`: a rate with physiological
    /// limits on both sides, in (lower, upper); near-normal with standard
    /// deviation about `omega * (upper - lower) f (1 - f)` when omega is small,
    /// without the unbounded tail of a normal or log-normal.
    BoundedLogitNormal { omega: f64, lower: f64, upper: f64 },
}

impl Bpv {
    /// The spread parameter, if any.
    pub fn omega(&self) -> Option<f64> {
        match *self {
            Bpv::None => None,
            Bpv::LogNormal { omega }
            | Bpv::LogitNormal { omega }
            | Bpv::BoundedLogitNormal { omega, .. } => Some(omega),
        }
    }

    /// Same kind with another spread.
    pub fn with_omega(&self, omega: f64) -> Option<Bpv> {
        match self {
            Bpv::None => None,
            Bpv::LogNormal { .. } => Some(Bpv::LogNormal { omega }),
            Bpv::LogitNormal { .. } => Some(Bpv::LogitNormal { omega }),
            Bpv::BoundedLogitNormal { lower, upper, .. } => Some(Bpv::BoundedLogitNormal {
                omega,
                lower: *lower,
                upper: *upper,
            }),
        }
    }

    /// The open interval the typical value must lie in for this variability
    /// to apply, if narrower than the parameter's range.
    pub fn open_interval(&self) -> Option<(f64, f64)> {
        match *self {
            Bpv::LogitNormal { .. } => Some((0.0, 1.0)),
            Bpv::BoundedLogitNormal { lower, upper, .. } => Some((lower, upper)),
            _ => None,
        }
    }

    /// Apply to a typical value with a standard normal deviate.
    #[inline]
    pub fn apply(&self, typical: f64, eta: f64) -> f64 {
        match *self {
            Bpv::None => typical,
            Bpv::LogNormal { omega } => typical * (omega * eta).exp(),
            Bpv::LogitNormal { omega } => {
                let z = (typical / (1.0 - typical)).ln() + omega * eta;
                1.0 / (1.0 + (-z).exp())
            }
            Bpv::BoundedLogitNormal {
                omega,
                lower,
                upper,
            } => {
                let f = (typical - lower) / (upper - lower);
                let z = (f / (1.0 - f)).ln() + omega * eta;
                lower + (upper - lower) / (1.0 + (-z).exp())
            }
        }
    }
}

/// The mechanism a parameter belongs to (one module each under `src/model/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mechanism {
    Kinetics,
    Paracrine,
    Coagulation,
    Immune,
    Gdmt,
    Remodelling,
    Biomarkers,
    Events,
    Observation,
}

impl Mechanism {
    pub fn title(&self) -> &'static str {
        match self {
            Mechanism::Kinetics => "Cell kinetics after delivery",
            Mechanism::Paracrine => "Paracrine signal",
            Mechanism::Coagulation => "Coagulation",
            Mechanism::Immune => "Immune response to allogeneic cells",
            Mechanism::Gdmt => "Background therapy (GDMT)",
            Mechanism::Remodelling => "Cardiac remodelling",
            Mechanism::Biomarkers => "Biomarkers and function",
            Mechanism::Events => "Clinical events",
            Mechanism::Observation => "Observation (measurement error)",
        }
    }
}

/// One row of the parameter table.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ParamInfo {
    pub name: &'static str,
    pub unit: &'static str,
    pub default: f64,
    pub bpv: Bpv,
    /// Allowed range of the typical value (inclusive).
    pub min: f64,
    pub max: f64,
    pub mechanism: Mechanism,
    pub source: &'static str,
    pub description: &'static str,
}

macro_rules! parameters {
    ($( $id:ident = { $name:literal, $unit:literal, $default:expr, $bpv:expr, [$min:expr, $max:expr], $mech:ident,
        $source:literal, $desc:literal } ),* $(,)?) => {
        /// Identifier of a model parameter (index into [`PARAMS`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(non_camel_case_types)]
        #[repr(usize)]
        pub enum P { $( $id ),* }

        /// The parameter table, in [`P`] order.
        pub const PARAMS: &[ParamInfo] = &[ $( ParamInfo {
            name: $name, unit: $unit, default: $default, bpv: $bpv, min: $min, max: $max,
            mechanism: Mechanism::$mech, source: $source, description: $desc,
        } ),* ];

        /// Every parameter, in table order.
        pub const ALL: &[P] = &[ $( P::$id ),* ];

        /// Number of parameters.
        pub const N_PARAMS: usize = ALL.len();
    };
}

const NONE: Bpv = Bpv::None;
const fn ln(omega: f64) -> Bpv {
    Bpv::LogNormal { omega }
}
const fn lgt(omega: f64) -> Bpv {
    Bpv::LogitNormal { omega }
}
const fn blgt(omega: f64, lower: f64, upper: f64) -> Bpv {
    Bpv::BoundedLogitNormal {
        omega,
        lower,
        upper,
    }
}

parameters! {
    // ---------------------------------------------------------------- kinetics
    IvLungExtraction = { "iv_lung_extraction_fraction", "fraction", 0.90, lgt(0.5), [0.0, 0.999], Kinetics,
        "Fischer 2009 Stem Cells Dev 18:683 (MSC pass the lung least of all cell types, qualitative); value 0.80-0.99 is an assumption (evidence.md 1a)",
        "Share of intravenously infused viable cells trapped in the pulmonary microvasculature on first pass" },
    IvHeartHoming = { "iv_heart_homing_fraction", "fraction", 0.03, NONE, [0.0, 1.0], Kinetics,
        "assumption from Bonios 2011 (0.8% of IV cells in the rat heart at 1 h) and Lee 2009 (<0.05% outside the lung): heart share of dose = (1-E)*f = 0.3%",
        "Share of the cells that pass the lung which lodge in the myocardium" },
    LungCellHalfLife = { "lung_cell_half_life_days", "day", 1.0, ln(0.3), [0.01, 30.0], Kinetics,
        "Lee 2009 Cell Stem Cell 5:54 (hMSC in mouse lung, t1/2 about 24 h); Eggenhofer 2012 (none viable by 72 h)",
        "Half-life of viable cells trapped in the lung" },
    HeartCellHalfLife = { "heart_cell_half_life_days", "day", 2.5, NONE, [0.01, 60.0], Kinetics,
        "PubMed 20150266 (endocardial injection in dogs, clearance t1/2 60 +/- 21 h); applied to every route",
        "Half-life of viable cells resident in the myocardium" },
    DebrisHalfLife = { "debris_half_life_days", "day", 14.0, NONE, [0.1, 365.0], Kinetics,
        "assumption from Gholamrezanezhad 2011 (111In signal in liver and spleen still rising at day 10)",
        "Half-life of cell debris and non-viable cells in liver and spleen" },
    HeparinExtractionReduction = { "heparin_extraction_reduction", "fraction", 0.05, NONE, [0.0, 1.0], Kinetics,
        "assumption from Liao 2017 Theranostics 7:106 (heparin lowered BMSC lung embolism in mice; magnitude not transferable)",
        "Relative reduction of lung extraction when heparin is given with the infusion" },
    IbmirLungClearanceIncrease = { "ibmir_lung_clearance_increase", "fraction", 0.5, NONE, [0.0, 20.0], Kinetics,
        "assumption from Liao 2017 (clinical-dose coagulation increases lung embolism and clearance) and evidence.md section 4",
        "Relative increase of lung cell clearance caused by IBMIR when the response is not blocked by anticoagulation" },
    IcHeartRetention = { "ic_heart_retention_fraction", "fraction", 0.15, NONE, [0.0, 1.0], Kinetics,
        "Bonios 2011 J Nucl Cardiol (intracoronary retention at 1 h 15.4 +/- 5.5%, rat CDCs)",
        "Intracoronary route: share of cells retained in the myocardium" },
    IcLungFraction = { "ic_lung_fraction", "fraction", 0.20, NONE, [0.0, 1.0], Kinetics,
        "Bonios 2011 (lung 19.9 +/- 5.6% after intracoronary delivery)",
        "Intracoronary route: share of cells reaching and trapped in the lung" },
    TeHeartRetention = { "te_heart_retention_fraction", "fraction", 0.55, NONE, [0.0, 1.0], Kinetics,
        "PubMed 20150266 (endocardial injection retention 54 +/- 26% subendocardial, dog)",
        "Transendocardial route: share of injected cells retained in the myocardium" },
    TeLungFraction = { "te_lung_fraction", "fraction", 0.20, NONE, [0.0, 1.0], Kinetics,
        "Bonios 2011 (lung 20-43% after intramyocardial injection, rat); lower end as an assumption",
        "Transendocardial route: share of injected cells washed out to the lung" },
    PatchEngraftment = { "patch_engraftment_fraction", "fraction", 0.5, NONE, [0.0, 1.0], Kinetics,
        "assumption (heart-patch-news.txt: engineered heart muscle engrafts; no quantitative human data)",
        "Epicardial patch: share of implanted cells that engraft as viable graft tissue" },
    PatchMaturationHalfLife = { "patch_maturation_half_life_days", "day", 30.0, NONE, [1.0, 730.0], Kinetics,
        "assumption (heart-patch-news.txt: maturation over weeks to months)",
        "Epicardial patch: half-time of graft maturation into contractile tissue" },
    PatchGraftLossHalfLife = { "patch_graft_loss_half_life_days", "day", 60.0, NONE, [1.0, 3650.0], Kinetics,
        "assumption (engineered heart muscle under immunosuppression)",
        "Epicardial patch: half-life of immature graft cells under immunosuppression" },
    PatchRejectionFactor = { "patch_rejection_factor", "ratio", 4.0, NONE, [1.0, 100.0], Kinetics,
        "assumption (allogeneic graft without immunosuppression is rejected faster)",
        "Epicardial patch: multiplier of graft loss rates without immunosuppression" },
    PatchMatureLossHalfLife = { "patch_mature_loss_half_life_days", "day", 730.0, NONE, [1.0, 36500.0], Kinetics,
        "assumption",
        "Epicardial patch: half-life of mature graft tissue under immunosuppression" },
    // --------------------------------------------------------------- paracrine
    ParacrineTransitRate = { "paracrine_transit_rate_per_day", "1/day", 0.14, NONE, [0.001, 10.0], Paracrine,
        "assumption computed in evidence.md 1b: three-compartment chain, mean transit 21 d, peak at 14 d, 4% of peak left at 56 d, matching the c-kit+ response (peak 2 wk, baseline by 8 wk; Tang 2024 as cited by PRIME-HFrEF)",
        "Rate constant of the three-compartment delay chain from cell exposure to biological response" },
    LungToLvSignalFraction = { "lung_to_lv_signal_fraction", "fraction", 0.05, NONE, [0.0, 1.0], Paracrine,
        "assumption; mechanism from Lee 2009 (lung-embolised hMSC secrete TSG-6, which alone reduced infarct size)",
        "Share of the lung-resident cells' paracrine output that reaches the LV myocardium systemically" },
    BmMscEfficacy = { "bm_msc_efficacy", "ratio", 0.5, NONE, [0.0, 10.0], Paracrine,
        "prior: bone-marrow MSC express 55-fold less HGF than UC-MSC in vitro (Bartolucci 2017), but HGF is one factor of many and BM-MSC trials report LV effects; calibrated across MSC-HF, POSEIDON, POSEIDON-DCM, TRIDENT, SENECA, Butler 2017",
        "Reparative efficacy of bone-marrow MSC relative to UC-MSC (scales the maximal RV and LV repair rates)" },
    AdiposeMscEfficacy = { "adipose_msc_efficacy", "ratio", 0.5, NONE, [0.0, 10.0], Paracrine,
        "prior: no comparative data found, set as BM-MSC; calibrated to SCIENCE",
        "Reparative efficacy of adipose MSC relative to UC-MSC" },
    MpcEfficacy = { "mpc_efficacy", "ratio", 1.0, NONE, [0.0, 10.0], Paracrine,
        "prior: STRO-3 immunoselection for a precursor fraction with high trophic secretion (assumption: as UC-MSC); calibrated to DREAM-HF",
        "Reparative efficacy of mesenchymal precursor cells relative to UC-MSC" },
    CardiopoieticEfficacy = { "cardiopoietic_efficacy", "ratio", 1.0, NONE, [0.0, 10.0], Paracrine,
        "prior: BM-MSC primed by a cardiogenic cocktail to raise reparative activity (assumption: as UC-MSC); calibrated to CHART-1",
        "Reparative efficacy of cardiopoietic MSC relative to UC-MSC" },
    IxmyelocelTEfficacy = { "ixmyelocel_t_efficacy", "ratio", 0.5, NONE, [0.0, 10.0], Paracrine,
        "prior: expanded autologous BM cells (MSC and macrophages), set as BM-MSC; ixCELL-DCM reports events only",
        "Reparative efficacy of ixmyelocel-T relative to UC-MSC" },
    TrialEfficacyEffect = { "trial_efficacy_effect", "log-ratio", 0.0, NONE, [-10.0, 10.0], Paracrine,
        "0 in the typical trial (power at the central values); calibration draws it per simulated trial and `[uncertainty]` per world from between_trial_efficacy_sd, from the trial's own stream (seed, replicate, TrialEffect)",
        "This trial's deviation of the cell effect from the typical trial: log multiplier of the maximal RV and LV repair rates of every product" },
    BetweenTrialEfficacySd = { "between_trial_efficacy_sd", "log-ratio", 0.0, NONE, [0.0, 5.0], Paracrine,
        "prior: trials of the same route differ widely (human transendocardial LVEF +7.0, 95% CI 2.7-11.3, over 6 trials, Kanelidis 2017, evidence.md 1b; GDMT responses differ 2-3 fold between trials, CMR meta-analysis I^2 81-87%); calibrated across the twelve trials; the table's 0 is a model of the typical trial only (prior median 0.5)",
        "Between-trial SD of the log cell effect (trials differ in cohort, product lot, procedure and imaging beyond what the scenario states)" },
    PatchParacrineFraction = { "patch_paracrine_fraction", "fraction", 0.1, NONE, [0.0, 10.0], Paracrine,
        "assumption",
        "Paracrine output of immature patch graft cells relative to free cells in the myocardium" },
    RvSignalEc50 = { "rv_signal_ec50", "1e6 cells/kg", 0.02, NONE, [1e-6, 100.0], Paracrine,
        "assumption: the standard dose (1e6 cells/kg IV) sits near the middle of a saturating dose-response; pig IV MSC were effective at both 1e5 and 1e6 cells/kg (evidence.md 1b)",
        "Signal (cell-equivalents per kg leaving the pulmonary delay chain per day) giving half the maximal RV repair drive" },
    LvSignalEc50 = { "lv_signal_ec50", "1e6 cells/kg", 0.02, NONE, [1e-6, 100.0], Paracrine,
        "assumption (as rv_signal_ec50)",
        "Signal leaving the myocardial delay chain giving half the maximal LV repair drive" },
    RvRepairEmax = { "rv_repair_emax_per_day", "1/day", 0.02, ln(1.2), [0.0, 1.0], Paracrine,
        "calibrated to PRIME-HFrEF RV volumes (docs/validation.md); BPV from the 4-fold larger SD of dRVESV in the MSC arm (evidence.md Part A point 6)",
        "Maximal rate at which the pulmonary-vascular paracrine signal repairs the pulmonary circulation" },
    RvRepairHalfLife = { "rv_repair_half_life_days", "day", 365.0, NONE, [1.0, 36500.0], Paracrine,
        "assumption: RV benefit persisted to day 360 in PRIME-HFrEF",
        "Half-life of pulmonary-vascular repair once the signal is gone" },
    LvRepairEmax = { "lv_repair_emax_per_day", "1/day", 0.002, ln(0.4), [0.0, 1.0], Paracrine,
        "calibrated across the trials (prior in priors.rs); meta-analyses of MSC in HF report +3 to +6 LVEF points (PRIME refs 22-24); BPV 0.4: the LV response varies little between patients of a trial (MSC-HF: MSC-arm LVESV change SD 12.6 vs placebo 11.7 mL; TRIDENT 100 M: EF change IQR 1.1-6.1, SD about 3.7; trials.md 4, 7), the earlier 0.8 gave MSC-arm SDs 1.5-2 times the placebo's",
        "Maximal rate at which the myocardial paracrine signal repairs the LV myocardium" },
    LvRepairHalfLife = { "lv_repair_half_life_days", "day", 180.0, NONE, [1.0, 36500.0], Paracrine,
        "assumption from the UC-MSC meta-analysis (+5.08 LVEF points at 6 mo, +2.78 at 12 mo: the effect wanes; evidence.md section 3)",
        "Half-life of LV myocardial repair once the signal is gone" },
    MethylprednisoloneParacrineDamping = { "methylprednisolone_paracrine_damping", "fraction", 0.3, NONE, [0.0, 1.0], Paracrine,
        "assumption: PRIME-HFrEF discussion (premedication may have dampened inflammatory licensing of MSC)",
        "Share of the paracrine signal removed by methylprednisolone premedication" },
    RepairExposureResponse = { "repair_exposure_response", "structure", 0.0, NONE, [0.0, 1.0], Paracrine,
        "structural alternative (0 or 1): 0 = Emax, g = Emax s / (s + EC50), diminishing returns from the first dose (the default; pig IV MSC were effective at both 1e5 and 1e6 cells/kg, evidence.md 1b); 1 = proportional to exposure up to the same ceiling, g = Emax x / (1 + x^4)^(1/4) with x = s / EC50, linear to within 2% below x = 0.5 and joined smoothly to the ceiling (a dose below EC50 twice as large drives repair twice as fast; POSEIDON's lower dose doing as well as the higher argues against it, trials.md)",
        "Shape of the repair drives' exposure-response: 0 saturating (Emax), 1 linear up to the ceiling" },
    RepairDurability = { "repair_durability", "structure", 0.0, NONE, [0.0, 1.0], Paracrine,
        "structural alternative (0 or 1): 0 = repair wanes with rv_repair_half_life_days and lv_repair_half_life_days once the signal is gone (the default; the UC-MSC meta-analysis: +5.08 LVEF points at 6 months, +2.78 at 12, evidence.md section 3); 1 = durable, repair does not decay (PRIME-HFrEF's RV benefit persisted to day 360)",
        "Whether cell repair wanes once the signal is gone (0) or is durable (1)" },
    // ------------------------------------------------------------- coagulation
    IbmirDdimerGain = { "ibmir_ddimer_gain", "mg/L per 1e6 cells/kg", 0.05, NONE, [0.0, 100.0], Coagulation,
        "assumption from Hoang 2024 SCRT (D-dimer up at 24 h after IV UC-MSC, down by 48 h; magnitude +0.1-0.5 estimated, evidence.md 1c)",
        "Acute D-dimer rise (instant blood-mediated inflammatory reaction) per viable cell dose, without anticoagulation" },
    IbmirHalfLife = { "ibmir_half_life_days", "day", 0.75, NONE, [0.01, 30.0], Coagulation,
        "assumption from Hoang 2024 (back to baseline by 48 h)",
        "Half-life of the acute procoagulant response" },
    SustainedDdimerGain = { "sustained_ddimer_gain", "mg/L per 1e6 cells/kg", 0.6, NONE, [0.0, 100.0], Coagulation,
        "calibrated to PRIME-HFrEF D-dimer at day 91 (0.75 +/- 1.32 mg/L in the MSC arm)",
        "Sustained procoagulant response per viable cell dose at one unit of anti-donor antibody, without anticoagulation" },
    SustainedDdimerBaseFraction = { "sustained_ddimer_base_fraction", "fraction", 0.1, NONE, [0.0, 100.0], Coagulation,
        "assumption: PRIME-HFrEF saw D-dimer rise only from the 2nd infusion, so the response of a naive patient is small",
        "Sustained response of a patient without anti-donor antibodies, in antibody units" },
    SustainedProcoagHalfLife = { "sustained_procoag_half_life_days", "day", 28.0, NONE, [0.1, 365.0], Coagulation,
        "assumption from PRIME-HFrEF (raised from day 42 through day 91, normal by day 180)",
        "Half-life of the sustained procoagulant state" },
    IbmirSusceptibility = { "ibmir_susceptibility", "ratio", 1.0, ln(1.0), [0.0, 100.0], Coagulation,
        "assumption: PRIME-HFrEF day-91 D-dimer in the MSC arm was heavily skewed (SD 1.32 for a mean of 0.75)",
        "Patient's susceptibility to cell-induced coagulation (multiplies both responses)" },
    VkaNoacInhibition = { "vka_noac_inhibition", "fraction", 0.85, NONE, [0.0, 1.0], Coagulation,
        "assumption from PRIME-HFrEF (the rise occurred almost only in patients without anticoagulants)",
        "Share of the cell-induced procoagulant response blocked by background VKA or NOAC" },
    HeparinInhibition = { "heparin_inhibition", "fraction", 0.6, NONE, [0.0, 1.0], Coagulation,
        "assumption between Liao 2017 (heparin abolished coagulation in mice) and Silachev 2019 (UC-MSC procoagulant activity retained in blood on UFH)",
        "Share of the cell-induced procoagulant response blocked by heparin given with the infusion" },
    DdimerLvAttenuationC50 = { "ddimer_lv_attenuation_c50_mg_per_l", "mg/L", 0.5, NONE, [1e-6, 1000.0], Coagulation,
        "assumption expressing the PRIME-HFrEF hypothesis that hypercoagulability attenuated the LV response",
        "Sustained procoagulant level that halves the LV repair drive" },
    MicrovascularInjuryRate = { "microvascular_injury_rate", "logit-EF per (mg/L x day)", 0.002, NONE, [0.0, 10.0], Coagulation,
        "calibrated; mechanism an assumption (microvascular thrombosis, cf. Gleeson 2015 for intracoronary MSC); PRIME-HFrEF: change in D-dimer correlated negatively with change in LVEF",
        "Irreversible loss of LV function per unit of sustained procoagulant exposure" },
    DdimerInjuryGain = { "ddimer_injury_gain", "mg/L per logit-EF", 2.0, NONE, [0.0, 1000.0], Coagulation,
        "calibrated to PRIME-HFrEF D-dimer at day 360 in the MSC arm (0.57 +/- 0.95 mg/L, skewed); mechanism an assumption (persistent fibrin turnover where microvascular thrombosis occurred)",
        "Persistent D-dimer excess per unit of microvascular injury" },
    DdimerEnrolmentExcess = { "ddimer_enrolment_excess", "fraction", 0.8, NONE, [0.0, 100.0], Coagulation,
        "calibrated to PRIME-HFrEF placebo D-dimer (0.50 at day 1, 0.24 at day 91); hospitalised HFrEF median 0.64 vs lower in stable outpatients (Huang 2022)",
        "Excess of D-dimer at enrolment over the patient's stable level (recent decompensation and procedures)" },
    DdimerEnrolmentHalfLife = { "ddimer_enrolment_half_life_days", "day", 21.0, NONE, [0.1, 3650.0], Coagulation,
        "assumption",
        "Half-life of the enrolment excess of D-dimer" },
    InrVka = { "inr_vka", "INR", 2.4, NONE, [0.5, 10.0], Coagulation,
        "ORBIT-AF (Pokorney 2015: 59% of INRs in 2-3); median about 2.4 (evidence.md 1c)",
        "INR of a patient on a vitamin K antagonist" },
    InrNoac = { "inr_noac", "INR", 1.2, NONE, [0.5, 10.0], Coagulation,
        "evidence.md 1c (DOAC 1.0-1.5, drug and timing dependent)",
        "INR of a patient on a NOAC" },
    InrNone = { "inr_none", "INR", 1.0, NONE, [0.5, 10.0], Coagulation,
        "evidence.md 1c (1.0 +/- 0.1 without anticoagulation)",
        "INR without anticoagulation" },
    InrProcoagulantSlope = { "inr_procoagulant_slope", "INR per mg/L", 0.05, NONE, [0.0, 10.0], Coagulation,
        "assumption: PRIME-HFrEF INR stayed below baseline after the first infusion; Hoang 2024 saw no change in PT",
        "Fall of INR per mg/L of sustained procoagulant state" },
    // ------------------------------------------------------------------ immune
    ImmunePrimingGain = { "immune_priming_gain", "antibody units per (1e6 cells/kg x day)", 1.6, NONE, [0.0, 1000.0], Immune,
        "assumption: scaled so that a typical patient's antibody peaks at about 1 unit two weeks after one 1e6 cells/kg IV dose",
        "Priming of the anti-donor response per unit of allogeneic cell exposure" },
    ImmuneDelay = { "immune_delay_days", "day", 7.0, NONE, [0.1, 365.0], Immune,
        "assumption (primary humoral response over 1-2 weeks)",
        "Mean delay between allogeneic cell exposure and antibody production" },
    AntibodyHalfLife = { "antibody_half_life_days", "day", 30.0, NONE, [1.0, 3650.0], Immune,
        "assumption (IgG half-life about 21 d, prolonged by ongoing production)",
        "Half-life of anti-donor antibody" },
    AntibodyLysisAb50 = { "antibody_lysis_ab50", "antibody units", 2.0, NONE, [1e-6, 1000.0], Immune,
        "assumption (anti-donor antibodies reduce exposure to later doses, issue 3)",
        "Antibody level at which half of a later dose is destroyed on infusion" },
    Immunogenicity = { "immunogenicity", "ratio", 1.0, ln(1.0), [0.0, 100.0], Immune,
        "assumption: donor-specific antibodies in 11.5% of patients given allogeneic MSC (Guan 2025, PRIME-HFrEF ref 20)",
        "Patient's humoral responsiveness to donor cells (multiplies priming)" },
    MethylprednisoloneImmuneDamping = { "methylprednisolone_immune_damping", "fraction", 0.3, NONE, [0.0, 1.0], Immune,
        "assumption",
        "Share of immune priming removed by methylprednisolone premedication" },
    ImmunosuppressionImmuneDamping = { "immunosuppression_immune_damping", "fraction", 0.9, NONE, [0.0, 1.0], Immune,
        "assumption (calcineurin-inhibitor-based immunosuppression as used with allogeneic engineered heart muscle)",
        "Share of immune priming removed by immunosuppression" },
    SustainedAntibodyAmplification = { "sustained_antibody_amplification", "per antibody unit", 1.0, NONE, [0.0, 100.0], Immune,
        "assumption: PRIME-HFrEF D-dimer rose after the 2nd infusion, not the 1st (immune-complex amplification of IBMIR)",
        "Amplification of the sustained procoagulant response per unit of anti-donor antibody at infusion" },
    AnaThresholdAntibody = { "ana_threshold_antibody", "antibody units", 1.2, NONE, [0.0, 1000.0], Immune,
        "calibrated to PRIME-HFrEF ANA positivity (6/20 MSC vs 1/19 placebo)",
        "Peak antibody level above which ANA testing turns positive" },
    AnaTitreLogSd = { "ana_titre_log_sd", "log units", 0.3, NONE, [0.0, 5.0], Immune,
        "assumption (assay and biological variation of the titre)",
        "Log-scale SD between the antibody level and the measured ANA titre" },
    AnaBackgroundProbability = { "ana_background_probability", "probability", 0.05, NONE, [0.0, 1.0], Immune,
        "PRIME-HFrEF placebo arm (1/19 ANA positive)",
        "Probability of a positive ANA without donor exposure" },
    // -------------------------------------------------------------------- GDMT
    ArniLogitEf = { "arni_logit_ef_effect", "logit-EF", 0.43, NONE, [-5.0, 5.0], Gdmt,
        "PROVE-HF (Januzzi 2019 JAMA 322:1085): LVEF 28.2 -> 37.8% at 12 mo (single arm)",
        "Full effect of ARNI on logit LVEF" },
    ArniLogEdv = { "arni_log_edv_effect", "log-mL", -0.16, NONE, [-5.0, 5.0], Gdmt,
        "PROVE-HF: LVEDVi 86.9 -> 74.1 mL/m2",
        "Full effect of ARNI on log LVEDV" },
    AceiArbLogitEf = { "acei_arb_logit_ef_effect", "logit-EF", 0.20, NONE, [-5.0, 5.0], Gdmt,
        "assumption (about half of ARNI)",
        "Full effect of ACE inhibitor or ARB on logit LVEF" },
    AceiArbLogEdv = { "acei_arb_log_edv_effect", "log-mL", -0.07, NONE, [-5.0, 5.0], Gdmt,
        "assumption (about half of ARNI)",
        "Full effect of ACE inhibitor or ARB on log LVEDV" },
    BetaBlockerLogitEf = { "beta_blocker_logit_ef_effect", "logit-EF", 0.28, NONE, [-5.0, 5.0], Gdmt,
        "CHRISTMAS (Bellenger 2004: +3 vs -2 points at 6 mo) and REVERT (Colucci 2007: +6 points at 12 mo)",
        "Full effect of a beta-blocker on logit LVEF" },
    BetaBlockerLogEdv = { "beta_blocker_log_edv_effect", "log-mL", -0.07, NONE, [-5.0, 5.0], Gdmt,
        "CHRISTMAS (EDVi -8 vs 0 mL/m2 at 6 mo)",
        "Full effect of a beta-blocker on log LVEDV" },
    MraLogitEf = { "mra_logit_ef_effect", "logit-EF", 0.10, NONE, [-5.0, 5.0], Gdmt,
        "assumption (modest reverse remodelling with MRA)",
        "Full effect of a mineralocorticoid receptor antagonist on logit LVEF" },
    MraLogEdv = { "mra_log_edv_effect", "log-mL", -0.03, NONE, [-5.0, 5.0], Gdmt,
        "assumption",
        "Full effect of an MRA on log LVEDV" },
    Sglt2iLogitEf = { "sglt2i_logit_ef_effect", "logit-EF", 0.25, NONE, [-5.0, 5.0], Gdmt,
        "EMPA-TROPISM (Santos-Gallego 2021 JACC 77:243: LVEF +6.0 vs -0.1 at 6 mo by CMR)",
        "Full effect of an SGLT2 inhibitor on logit LVEF" },
    Sglt2iLogEdv = { "sglt2i_log_edv_effect", "log-mL", -0.11, NONE, [-5.0, 5.0], Gdmt,
        "EMPA-TROPISM (LVEDV -25.1 vs -1.5 mL)",
        "Full effect of an SGLT2 inhibitor on log LVEDV" },
    GdmtTimeConstant = { "gdmt_time_constant_days", "day", 150.0, NONE, [1.0, 3650.0], Gdmt,
        "assumption: reverse remodelling tau 3-6 months (evidence.md 1d); ARNI median time to LVEF > 35% 11.3 mo (Nogueira 2022)",
        "Time constant of the approach of each drug class to its full effect, from the day it was started or last up-titrated" },
    GdmtIschaemicFactor = { "gdmt_ischaemic_response_factor", "ratio", 0.6, NONE, [0.0, 10.0], Gdmt,
        "assumption: reverse remodelling is less frequent in ischaemic than in non-ischaemic cardiomyopathy",
        "Multiplier of GDMT effects in patients with ischaemic aetiology" },
    GdmtResponse = { "gdmt_response", "ratio", 1.0, ln(0.8), [0.0, 100.0], Gdmt,
        "typical value calibrated to the PRIME-HFrEF placebo arm (+12.6 LVEF points in a year: a cohort that responds more than the trial averages behind the class effects); spread an assumption (PRIME placebo SD 6.99 includes measurement error)",
        "Patient's responsiveness to GDMT (multiplies every class effect)" },
    // ------------------------------------------------------------- remodelling
    LvRemodellingHalfLife = { "lv_remodelling_half_life_days", "day", 21.0, NONE, [0.1, 3650.0], Remodelling,
        "assumption (indirect response: structure follows its set point with a lag of weeks)",
        "Half-time of LV volumes and EF following their set point" },
    RvRemodellingHalfLife = { "rv_remodelling_half_life_days", "day", 21.0, NONE, [0.1, 3650.0], Remodelling,
        "assumption",
        "Half-time of RV volumes and EF following their set point" },
    LvNormalEf = { "lv_normal_ef", "fraction", 0.60, NONE, [0.05, 0.95], Remodelling,
        "recalled CMR reference ranges (Maceira 2006), not verified",
        "LVEF of a normal heart: full LV repair restores logit LVEF to this value" },
    LvNormalEdv = { "lv_normal_edv_ml", "mL", 150.0, NONE, [10.0, 1000.0], Remodelling,
        "recalled CMR reference ranges (Maceira 2006), not verified",
        "LVEDV of a normal heart" },
    RvNormalEf = { "rv_normal_ef", "fraction", 0.55, NONE, [0.05, 0.95], Remodelling,
        "recalled CMR reference ranges (Maceira 2006), not verified",
        "RVEF of a normal heart" },
    RvNormalEdv = { "rv_normal_edv_ml", "mL", 150.0, NONE, [10.0, 1000.0], Remodelling,
        "recalled CMR reference ranges (Maceira 2006), not verified",
        "RVEDV of a normal heart" },
    LvInjuryFloorEf = { "lv_injury_floor_ef", "fraction", 0.10, NONE, [0.01, 0.5], Remodelling,
        "assumption: an LVEF near 10% is end-stage (cardiogenic shock, support devices); HFrEF trials rarely enrol below it; microvascular injury approaches it softly and never passes it (plausibility audit: LVEF >= 5%)",
        "LVEF that microvascular injury approaches but cannot take the untreated LV below" },
    LvRecoverableFraction = { "lv_recoverable_fraction", "fraction", 0.6, NONE, [0.0, 1.0], Remodelling,
        "prior logit-normal, median 0.6 (docs/model.md priors): share of each patient's distance from a normal logit LVEF and log LVEDV that is recoverable myocardium (by GDMT, cells and patch together); PROVE-HF (Januzzi 2019 JAMA 322:1085) sacubitril/valsartan LVEF 28.2 to 37.8% and LVESVi -26% in a year, i.e. about 40% of the logit distance to normal on one class, and 10-40% of HFrEF patients reach HFimpEF (Wilcox 2020 JACC 76:719)",
        "Share of the LV deficit that can be recovered by any therapy (the room to improve GDMT and cells share)" },
    RvRecoverableFraction = { "rv_recoverable_fraction", "fraction", 0.7, NONE, [0.0, 1.0], Remodelling,
        "prior logit-normal, median 0.7: RV function recovers more readily than LV once afterload falls (RV recovery after LVAD or GDMT, RVEF normalises in about half of patients); assumption anchored on the direction, not a number",
        "Share of the RV deficit (logit RVEF, log RVEDV) that can be recovered by any therapy" },
    LvRepairEfFraction = { "lv_repair_ef_fraction", "fraction", 0.5, NONE, [0.0, 1.0], Remodelling,
        "assumption",
        "Share of the LV room left by GDMT (recoverable logit-LVEF deficit minus the current GDMT gain) restored at full LV repair" },
    LvRepairEdvFraction = { "lv_repair_edv_fraction", "fraction", 0.5, NONE, [0.0, 1.0], Remodelling,
        "assumption",
        "Share of the LV room left by GDMT (recoverable log-LVEDV excess minus the current GDMT reduction) reversed at full LV repair" },
    TrialVolumeEffect = { "trial_volume_effect", "logit", 0.0, NONE, [-10.0, 10.0], Remodelling,
        "0 in the typical trial; drawn as trial_efficacy_effect, from between_trial_volume_sd",
        "This trial's shift of the LV cell response from contractility to volume: + on the logit of lv_repair_edv_fraction, - on that of lv_repair_ef_fraction" },
    BetweenTrialVolumeSd = { "between_trial_volume_sd", "logit", 0.0, NONE, [0.0, 5.0], Remodelling,
        "prior: the LV response to cells takes different forms in different trials (CHART-1: LVEDV -17 and LVESV -12.8 mL with LVEF unchanged; MSC-HF: LVEF +6.2 with LVESV -13 mL; trials.md 7, 8); calibrated across the twelve trials; table 0 (prior median 0.5)",
        "Between-trial SD of the split of the LV cell response between volume and contractility (logit scale)" },
    RvRepairEfFraction = { "rv_repair_ef_fraction", "fraction", 0.7, NONE, [0.0, 1.0], Remodelling,
        "assumption: afterload relief restores RV function in proportion to its deficit (largest benefit in the sickest RVs, PRIME-HFrEF subgroups)",
        "Share of the RV room left by GDMT (recoverable logit-RVEF deficit minus the GDMT gain) restored at full pulmonary-vascular repair" },
    RvRepairEdvFraction = { "rv_repair_edv_fraction", "fraction", 0.7, NONE, [0.0, 1.0], Remodelling,
        "assumption",
        "Share of the recoverable log-RVEDV excess reversed at full pulmonary-vascular repair" },
    LvProgressionEf = { "lv_progression_logit_ef_per_year", "logit-EF/year", -0.05, blgt(1.2, -0.4, 0.4), [-0.39, 0.39], Remodelling,
        "typical from MSC-HF placebo (LVESV +5.4 mL at 6 mo, evidence.md section 5); BPV (SD about 0.24 logit-EF a year, bounded to +/-0.4) from SENECA's placebo arm, stable on therapy: LVEF change SD 6.85 points by CMR over 12 months, of which scan-to-scan error explains about 2.8 (trials.md 13)",
        "Drift of logit LVEF from disease progression" },
    LvProgressionEdv = { "lv_progression_log_edv_per_year", "log-mL/year", 0.03, NONE, [-5.0, 5.0], Remodelling,
        "prior in priors.rs (MSC-HF placebo LVESV +5.4 mL in 6 months; SOLVD placebo); calibrated across the trials",
        "Drift of log LVEDV from disease progression" },
    RvProgressionEdv = { "rv_progression_log_edv_per_year", "log-mL/year", 0.05, blgt(1.0, -0.2, 0.3), [0.0, 0.29], Remodelling,
        "prior: untreated RV dilation in stable HFrEF is slow (MSC-HF and PRIME-HFrEF placebo arms: RVEDV +20 +/- 34 mL at day 180 in PRIME with wide SD, largely measurement error); BPV bounded to (-0.2, +0.3) log-mL/year so that no volume changes by more than 35% in a year without therapy (plausibility audit, docs/model.md); the earlier fitted 0.196 with bounds +/-0.7 gave 50% RV dilation in a year in some placebo patients",
        "Drift of log RVEDV from disease progression" },
    RvGdmtCoupling = { "rv_gdmt_coupling", "fraction", 0.3, NONE, [0.0, 10.0], Remodelling,
        "assumption: LV reverse remodelling lowers filling and pulmonary pressures (RV afterload)",
        "Share of the GDMT gain in logit LVEF transmitted to logit RVEF" },
    PatchContractilityGain = { "patch_contractility_gain", "logit-EF per 1e6 cells/kg", 0.04, NONE, [0.0, 10.0], Remodelling,
        "assumption (heart-patch-news.txt: the patch improved pumping; about +5 LVEF points for 400 million mature cells in a 70 kg patient)",
        "Gain in logit LVEF per unit of mature patch tissue" },
    // -------------------------------------------------------------- biomarkers
    NtprobnpLvesvElasticity = { "ntprobnp_lvesv_elasticity", "ratio", 1.5, NONE, [0.0, 10.0], Biomarkers,
        "derived from PROVE-HF (LVESVi -26%, NT-proBNP -37% at 12 mo; r = -0.38 with dLVEF)",
        "Change in log NT-proBNP per change in log LVESV (wall stress)" },
    NtprobnpRvedvElasticity = { "ntprobnp_rvedv_elasticity", "ratio", 0.8, NONE, [0.0, 10.0], Biomarkers,
        "assumption",
        "Change in log NT-proBNP per change in log RVEDV" },
    TapsePerRvefPoint = { "tapse_per_rvef_point_mm", "mm per EF point", 0.5, NONE, [0.0, 10.0], Biomarkers,
        "assumption (TAPSE 17 mm about RVEF 44%, 10 mm about 30%)",
        "Change in TAPSE per RVEF percentage point" },
    RvefAtTapse17 = { "rvef_at_tapse_17mm", "fraction", 0.44, lgt(0.45), [0.05, 0.95], Biomarkers,
        "assumption (TAPSE < 17 mm is the guideline cut-off for RV dysfunction); between-patient spread logit SD 0.45 (about 11 RVEF points at 44%) so that TAPSE and CMR RVEF correlate at r about 0.6 (reported r 0.5-0.6, e.g. Kind 2010 and evidence.md Part A), not 1",
        "Baseline RVEF of a patient with TAPSE 17 mm" },
    TapseMax = { "tapse_max_mm", "mm", 32.0, NONE, [15.0, 60.0], Biomarkers,
        "upper end of normal TAPSE (ASE 2015 chamber quantification: normal 24 +/- 3.5 mm, so about +2.3 SD); TAPSE follows RVEF on a logistic scale bounded by (0, tapse_max_mm)",
        "Upper bound of TAPSE" },
    NtprobnpFloor = { "ntprobnp_floor_ng_per_l", "ng/L", 10.0, NONE, [0.0, 1000.0], Biomarkers,
        "lower limit of quantitation of clinical NT-proBNP assays (5-10 ng/L, Roche Elecsys proBNP II); observed NT-proBNP = sqrt(model^2 + floor^2)",
        "Floor of the observable NT-proBNP" },
    WalkPerLvefPoint = { "walk_per_lvef_point_m", "m per EF point", 0.5, NONE, [-100.0, 100.0], Biomarkers,
        "assumption: PRIME-HFrEF placebo gained 12.6 LVEF points and no significant walk distance",
        "Change in 6-minute walk distance per LVEF point" },
    WalkPerRvefPoint = { "walk_per_rvef_point_m", "m per EF point", 2.5, NONE, [-100.0, 100.0], Biomarkers,
        "calibrated to PRIME-HFrEF MSC arm (+41.9 m at day 360 with RV improvement)",
        "Change in 6-minute walk distance per RVEF point" },
    WalkLearningEffect = { "walk_learning_effect_m", "m", 12.0, NONE, [0.0, 200.0], Biomarkers,
        "Lans 2020 and Demers 2001 (2nd test +9 to +17 m)",
        "Learning effect added to every 6-minute walk test after the first" },
    // ------------------------------------------------------------------ events
    HfhRate = { "hfh_rate_per_year", "1/year", 0.20, NONE, [0.0, 100.0], Events,
        "calibrated; DAPA-HF placebo HFH 9.8 and EMPEROR-Reduced 15.5 per 100 patient-years (evidence.md 1e)",
        "Hazard of HF hospitalization for the reference patient (LVEF 30%, NT-proBNP 1500 ng/L, NYHA II, age 60)" },
    DeathRate = { "death_rate_per_year", "1/year", 0.04, NONE, [0.0, 100.0], Events,
        "calibrated; PARADIGM-HF enalapril all-cause death 9.8 per 100 patient-years in a sicker population",
        "Hazard of death for the reference patient" },
    HazardLvef = { "hazard_log_hr_per_lvef_point", "log-HR per EF point", -0.033, NONE, [-1.0, 1.0], Events,
        "Dewan 2020 EJHF 22:1247 (HR 1.18 per 5 points lower LVEF, DAPA-HF)",
        "Log hazard ratio per LVEF percentage point (HF hospitalization and death)" },
    HazardNtprobnp = { "hazard_log_hr_per_ln_ntprobnp", "log-HR per ln(ng/L)", 0.49, NONE, [-5.0, 5.0], Events,
        "Pocock 2021 EHJ, EMPEROR-Reduced model (HR 1.63 per unit ln NT-proBNP)",
        "Log hazard ratio per unit of ln NT-proBNP" },
    HazardNyhaIii = { "hazard_log_hr_nyha_iii", "log-HR", 0.33, NONE, [-5.0, 5.0], Events,
        "Pocock 2021 (NYHA III/IV coefficient 0.33)",
        "Log hazard ratio of NYHA class III versus II" },
    HazardAge = { "hazard_log_hr_per_decade_age", "log-HR per decade", 0.086, NONE, [-5.0, 5.0], Events,
        "Seattle Heart Failure Model (0.086 per decade)",
        "Log hazard ratio of death per decade of age" },
    HfhRecurrenceHr = { "hfh_recurrence_hr", "ratio", 1.84, NONE, [0.0, 100.0], Events,
        "Pocock 2021 (HF hospitalization in the previous 3 months: HR 1.84)",
        "Multiplier of the HF-hospitalization hazard after a first hospitalization" },
    DeathAfterHfhHr = { "death_after_hfh_hr", "ratio", 2.0, NONE, [0.0, 100.0], Events,
        "assumption (a hospitalization marks a worse course)",
        "Multiplier of the death hazard after an HF hospitalization" },
    SaeRate = { "sae_rate_per_year", "1/year", 0.10, NONE, [0.0, 100.0], Events,
        "assumption from PRIME-HFrEF placebo (2/19 patients with a serious adverse event)",
        "Hazard of a serious adverse event other than death or HF hospitalization" },
    SaeAnticoagulantHr = { "sae_anticoagulant_hr", "ratio", 1.5, NONE, [0.0, 100.0], Events,
        "assumption (bleeding on anticoagulants: 2 of 6 PRIME-HFrEF SAEs were bleeds)",
        "Multiplier of the SAE hazard in patients on VKA or NOAC" },
    SaeThromboticRate = { "sae_thrombotic_rate_per_mg_l_year", "1/year per mg/L", 0.5, NONE, [0.0, 1000.0], Events,
        "assumption: thromboembolic SAEs after IV MSC are rare (2 in 70 studies, Barmada 2023)",
        "SAE hazard added per mg/L of cell-induced procoagulant activity" },
    // ------------------------------------------------------------- observation
    MriLvefSd = { "mri_lvef_sd_points", "EF points", 2.0, NONE, [0.0, 50.0], Observation,
        "Grothues 2002 AJC 90:29 and Gandy (CMR LVEF in CHF, within-subject SD about 2 points)",
        "Scan-to-scan SD of LVEF by MRI" },
    MriLvedvCv = { "mri_lvedv_cv", "fraction", 0.04, NONE, [0.0, 2.0], Observation,
        "Grothues 2002 (interstudy CoV 2.9-4.9%)",
        "Scan-to-scan coefficient of variation of LVEDV by MRI" },
    MriLvesvCv = { "mri_lvesv_cv", "fraction", 0.065, NONE, [0.0, 2.0], Observation,
        "Grothues 2002 (interstudy CoV 4.4-9.2%)",
        "Scan-to-scan coefficient of variation of LVESV by MRI" },
    MriRvedvCv = { "mri_rvedv_cv", "fraction", 0.062, NONE, [0.0, 2.0], Observation,
        "Grothues 2004 AHJ (RVEDV CoV 6.2%)",
        "Scan-to-scan coefficient of variation of RVEDV by MRI" },
    MriRvesvCv = { "mri_rvesv_cv", "fraction", 0.141, NONE, [0.0, 2.0], Observation,
        "Grothues 2004 (RVESV CoV 14.1%)",
        "Scan-to-scan coefficient of variation of RVESV by MRI" },
    MriRvefSd = { "mri_rvef_sd_points", "EF points", 3.5, NONE, [0.0, 50.0], Observation,
        "Grothues 2004 (RVEF CoV 8.3%, SD about 3-4 points)",
        "Scan-to-scan SD of RVEF by MRI" },
    EchoLvefSd = { "echo_lvef_sd_points", "EF points", 3.0, NONE, [0.0, 50.0], Observation,
        "contrast (LVO) or 3D echo SD about 2-3 points (evidence.md 1f)",
        "Scan-to-scan SD of LVEF by contrast echocardiography" },
    EchoLvedvCv = { "echo_lvedv_cv", "fraction", 0.10, NONE, [0.0, 2.0], Observation,
        "assumption (echo volumes are less reproducible than CMR; Otterstad 1997 CV 7-19%)",
        "Scan-to-scan coefficient of variation of LVEDV by echo" },
    EchoLvesvCv = { "echo_lvesv_cv", "fraction", 0.12, NONE, [0.0, 2.0], Observation,
        "assumption (Otterstad 1997)",
        "Scan-to-scan coefficient of variation of LVESV by echo" },
    EchoTapseSd = { "echo_tapse_sd_mm", "mm", 1.8, NONE, [0.0, 50.0], Observation,
        "Bland-Altman 0.08 +/- 2.20 mm between observers (evidence.md 1f)",
        "Measurement SD of TAPSE" },
    NtprobnpLogSd = { "ntprobnp_log_sd", "log units", 0.17, NONE, [0.0, 5.0], Observation,
        "within-person CV 15.5-18.9% over 2 weeks to 3 months in stable CHF (PMID 19299545)",
        "Visit-to-visit SD of log NT-proBNP (biological and assay)" },
    DdimerLogSd = { "ddimer_log_sd", "log units", 0.30, NONE, [0.0, 5.0], Observation,
        "assumption",
        "Visit-to-visit SD of log D-dimer" },
    InrLogSd = { "inr_log_sd", "log units", 0.08, NONE, [0.0, 5.0], Observation,
        "assumption (warfarin INR log-SD about 0.25 between patients is carried by time in range)",
        "Visit-to-visit SD of log INR" },
    WalkSd = { "walk_sd_m", "m", 25.0, NONE, [0.0, 500.0], Observation,
        "test-retest SD 20-35 m (Demers 2001, Pinna 2000)",
        "Test-retest SD of the 6-minute walk distance" },
}

impl P {
    /// The table row of this parameter.
    #[inline]
    pub fn info(self) -> &'static ParamInfo {
        &PARAMS[self as usize]
    }

    /// Look a parameter up by its scenario key.
    pub fn from_name(name: &str) -> Option<P> {
        PARAMS.iter().position(|p| p.name == name).map(|i| ALL[i])
    }
}

/// The parameter set of a scenario: typical values and BPV per parameter,
/// and the correlations of the between-patient deviates, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelParams {
    pub typical: [f64; N_PARAMS],
    pub bpv: [Bpv; N_PARAMS],
    pub correlation: Option<EtaCorrelation>,
}

/// Most parameters whose deviates can be correlated (`[[model.correlations]]`).
pub const MAX_CORRELATED: usize = 16;

/// Correlated between-patient deviates (`[[model.correlations]]`): the
/// standard normal deviates `z` of the correlated parameters, drawn from the
/// patient's stream as always, become `eta = L z` with `L` the lower Cholesky
/// factor of their correlation matrix; every other deviate is unchanged, so a
/// scenario without correlations draws exactly what it drew before.
#[derive(Debug, Clone, PartialEq)]
pub struct EtaCorrelation {
    /// The correlated parameters (each varies between patients).
    pub params: Vec<P>,
    /// Lower Cholesky factor of their correlation matrix, row-major.
    pub cholesky: Vec<f64>,
    /// The pairs as given: `(a, b, rho)`.
    pub pairs: Vec<(P, P, f64)>,
}

impl EtaCorrelation {
    /// Apply to deviates `etas` in the order of `m.varying()`.
    #[inline]
    pub fn apply(&self, m: &ModelParams, etas: &mut [f64]) {
        let k = self.params.len();
        let mut at = [usize::MAX; MAX_CORRELATED];
        for (n, p) in m.varying().enumerate() {
            if let Some(i) = self.params.iter().position(|q| *q == p) {
                at[i] = n;
            }
        }
        let mut z = [0.0; MAX_CORRELATED];
        for i in 0..k {
            if at[i] < etas.len() {
                z[i] = etas[at[i]];
            }
        }
        for i in 0..k {
            if at[i] < etas.len() {
                etas[at[i]] = (0..=i).map(|j| self.cholesky[i * k + j] * z[j]).sum();
            }
        }
    }
}

impl Default for ModelParams {
    fn default() -> Self {
        let mut typical = [0.0; N_PARAMS];
        let mut bpv = [Bpv::None; N_PARAMS];
        for (i, p) in PARAMS.iter().enumerate() {
            typical[i] = p.default;
            bpv[i] = p.bpv;
        }
        ModelParams {
            typical,
            bpv,
            correlation: None,
        }
    }
}

impl ModelParams {
    #[inline]
    pub fn get(&self, p: P) -> f64 {
        self.typical[p as usize]
    }

    pub fn set(&mut self, p: P, value: f64) {
        self.typical[p as usize] = value;
    }

    /// Parameters that vary between patients, in table order (the order in
    /// which their deviates are drawn: never reorder, it changes every result).
    pub fn varying(&self) -> impl Iterator<Item = P> + '_ {
        ALL.iter()
            .copied()
            .filter(move |p| self.bpv[*p as usize] != Bpv::None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_lookup_round_trips() {
        for &p in ALL {
            assert_eq!(P::from_name(p.info().name), Some(p));
        }
        let mut names: Vec<_> = PARAMS.iter().map(|p| p.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), N_PARAMS);
    }

    #[test]
    fn defaults_lie_in_their_ranges_and_have_sources() {
        for p in PARAMS {
            assert!(
                p.default >= p.min && p.default <= p.max,
                "{} default out of range",
                p.name
            );
            assert!(
                !p.source.is_empty() && !p.unit.is_empty() && !p.description.is_empty(),
                "{}",
                p.name
            );
            if let Some((lo, hi)) = p.bpv.open_interval() {
                assert!(p.default > lo && p.default < hi, "{}", p.name);
            }
        }
    }

    #[test]
    fn lognormal_bpv_is_centred_on_the_typical_value() {
        let b = Bpv::LogNormal { omega: 0.5 };
        assert_eq!(b.apply(2.0, 0.0), 2.0);
        assert!((b.apply(2.0, 1.0) - 2.0 * 0.5f64.exp()).abs() < 1e-15);
        let l = Bpv::LogitNormal { omega: 0.5 };
        assert!((l.apply(0.9, 0.0) - 0.9).abs() < 1e-15);
        assert!(l.apply(0.9, 10.0) < 1.0);
        let c = Bpv::BoundedLogitNormal {
            omega: 0.1,
            lower: -0.7,
            upper: 0.7,
        };
        assert!((c.apply(0.1, 0.0) - 0.1).abs() < 1e-15);
        assert!(c.apply(0.1, 80.0) < 0.7 && c.apply(0.1, 80.0) > 0.69);
        assert!(c.apply(0.1, -80.0) > -0.7 && c.apply(0.1, -80.0) < -0.69);
        // small omega: near-normal with sd omega (upper - lower) f (1 - f)
        let f: f64 = 0.8 / 1.4;
        let sd = 0.1 * 1.4 * f * (1.0 - f);
        assert!(((c.apply(0.1, 1.0) - 0.1) / sd - 1.0).abs() < 0.02);
        assert!(((0.1 - c.apply(0.1, -1.0)) / sd - 1.0).abs() < 0.02);
    }
}
