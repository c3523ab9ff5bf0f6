//! The virtual patient: a mechanistic ODE model of MSC therapy in HFrEF.
//!
//! One module per mechanism: [`kinetics`] (cells after delivery),
//! [`paracrine`] (delay chains and repair states), [`coagulation`] (IBMIR,
//! D-dimer, INR, microvascular injury), [`immune`] (anti-donor antibody),
//! [`gdmt`] (background therapy), [`remodelling`] (LV and RV volumes and EF),
//! [`biomarkers`] (NT-proBNP, TAPSE, walk distance), [`events`] (hazards and
//! event times) and [`observation`] (measurement error). [`patient`]
//! assembles them; [`simulate`] integrates them over the follow-up. Every
//! parameter is in [`params`], with its unit and source. The ODE layer is
//! deterministic: randomness enters only through the patient's parameters,
//! baseline and the deviates passed to `events` and `observation`.

pub mod added;
pub mod biomarkers;
pub mod coagulation;
pub mod events;
pub mod fast;
pub mod gdmt;
pub mod immune;
pub mod kinetics;
pub mod observation;
pub mod paracrine;
pub mod params;
pub mod patient;
pub mod priors;
pub mod product;
pub mod remodelling;
pub mod simulate;
pub mod state;

pub use coagulation::Anticoagulant;
pub use gdmt::{GdmtClass, GdmtHistory};
pub use immune::Donor;
pub use kinetics::Route;
pub use observation::{Modality, Quantity};
pub use params::{ModelParams, P};
pub use patient::{
    Baseline, Immunosuppression, InfusionAnticoagulation, Observables, PatientModel, PatientParams,
    Premedication, Regimen,
};
pub use product::Product;
pub use simulate::{SimulationPlan, Trajectory};
