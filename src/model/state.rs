//! Layout of the patient state vector.
//!
//! One vector holds every state of every mechanism; each mechanism's module
//! documents its own states. Units: cells in 1e6 cells per kg body weight,
//! procoagulant states in mg/L of D-dimer (FEU), antibody in relative units,
//! volumes as natural logs of mL, ejection fractions as logits, cumulative
//! hazards dimensionless.

/// Number of states.
pub const N_STATES: usize = 26;

/// The state vector.
pub type State = [f64; N_STATES];

// kinetics
pub const LUNG: usize = 0;
pub const HEART: usize = 1;
pub const DEBRIS: usize = 2;
pub const CLEARED: usize = 3;
pub const GRAFT: usize = 4;
pub const GRAFT_MATURE: usize = 5;
// paracrine
pub const RV_CHAIN_1: usize = 6;
pub const RV_CHAIN_2: usize = 7;
pub const RV_CHAIN_3: usize = 8;
pub const LV_CHAIN_1: usize = 9;
pub const LV_CHAIN_2: usize = 10;
pub const LV_CHAIN_3: usize = 11;
// coagulation
pub const IBMIR: usize = 12;
pub const SUSTAINED: usize = 13;
pub const INJURY: usize = 14;
// immune
pub const PRIMING: usize = 15;
pub const ANTIBODY: usize = 16;
// slow repair
pub const RV_REPAIR: usize = 17;
pub const LV_REPAIR: usize = 18;
// remodelling
pub const LV_LOG_EDV: usize = 19;
pub const LV_LOGIT_EF: usize = 20;
pub const RV_LOG_EDV: usize = 21;
pub const RV_LOGIT_EF: usize = 22;
// cumulative hazards
pub const CUM_HAZARD_HFH: usize = 23;
pub const CUM_HAZARD_DEATH: usize = 24;
pub const CUM_HAZARD_SAE: usize = 25;

/// Name, unit and meaning of each state (column names of trajectory files).
pub const STATE_INFO: [(&str, &str, &str); N_STATES] = [
    (
        "lung_cells",
        "1e6 cells/kg",
        "viable cells trapped in the lung",
    ),
    (
        "heart_cells",
        "1e6 cells/kg",
        "viable cells in the myocardium",
    ),
    (
        "liver_spleen_cells",
        "1e6 cells/kg",
        "non-viable cells and debris in liver and spleen",
    ),
    (
        "cleared_cells",
        "1e6 cells/kg",
        "cumulative cells cleared from the body",
    ),
    (
        "graft_cells",
        "1e6 cells/kg",
        "immature engrafted patch cells",
    ),
    (
        "graft_mature",
        "1e6 cells/kg",
        "mature contractile patch tissue",
    ),
    (
        "rv_chain_1",
        "1e6 cells/kg x day",
        "pulmonary paracrine delay chain, compartment 1",
    ),
    (
        "rv_chain_2",
        "1e6 cells/kg x day",
        "pulmonary paracrine delay chain, compartment 2",
    ),
    (
        "rv_chain_3",
        "1e6 cells/kg x day",
        "pulmonary paracrine delay chain, compartment 3",
    ),
    (
        "lv_chain_1",
        "1e6 cells/kg x day",
        "myocardial paracrine delay chain, compartment 1",
    ),
    (
        "lv_chain_2",
        "1e6 cells/kg x day",
        "myocardial paracrine delay chain, compartment 2",
    ),
    (
        "lv_chain_3",
        "1e6 cells/kg x day",
        "myocardial paracrine delay chain, compartment 3",
    ),
    (
        "ibmir_ddimer",
        "mg/L",
        "acute cell-induced procoagulant activity (D-dimer excess)",
    ),
    (
        "sustained_ddimer",
        "mg/L",
        "sustained cell-induced procoagulant state (D-dimer excess)",
    ),
    (
        "microvascular_injury",
        "logit-EF",
        "irreversible LV loss from microvascular thrombosis",
    ),
    (
        "immune_priming",
        "antibody units",
        "primed anti-donor response",
    ),
    ("antibody", "antibody units", "anti-donor antibody"),
    (
        "rv_repair",
        "fraction",
        "pulmonary-vascular repair (0 none, 1 full)",
    ),
    (
        "lv_repair",
        "fraction",
        "LV myocardial repair (0 none, 1 full)",
    ),
    ("lv_log_edv", "ln mL", "log LV end-diastolic volume"),
    ("lv_logit_ef", "logit", "logit LV ejection fraction"),
    ("rv_log_edv", "ln mL", "log RV end-diastolic volume"),
    ("rv_logit_ef", "logit", "logit RV ejection fraction"),
    (
        "cum_hazard_hfh",
        "1",
        "cumulative hazard of HF hospitalization (before event multipliers)",
    ),
    (
        "cum_hazard_death",
        "1",
        "cumulative hazard of death (before event multipliers)",
    ),
    (
        "cum_hazard_sae",
        "1",
        "cumulative hazard of non-HF serious adverse events",
    ),
];

#[inline]
pub fn logistic(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

#[inline]
pub fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}
