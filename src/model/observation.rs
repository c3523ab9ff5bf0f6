//! Observation: what a measurement of a true value returns.
//!
//! Two layers: the model's true value at the visit, then scan-to-scan or
//! visit-to-visit error by quantity and modality (from reproducibility
//! studies, see the parameter table). Volumes, NT-proBNP, D-dimer and INR
//! carry multiplicative (log-normal) error, EFs, TAPSE and walk distance
//! additive error. The transforms are deterministic given a standard normal
//! deviate, so they can be tested with fixed inputs; the deviates come from
//! the patient's measurement stream (see `trial`).

use super::params::P;
use super::patient::PatientParams;
use serde::{Deserialize, Serialize};

/// A measured quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Quantity {
    Lvef,
    Lvedv,
    Lvesv,
    Rvef,
    Rvedv,
    Rvesv,
    Tapse,
    NtProbnp,
    DDimer,
    Inr,
    SixMinuteWalk,
}

/// How it is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    Mri,
    Echo,
    Lab,
    WalkTest,
}

impl Quantity {
    pub const ALL: [Quantity; 11] = [
        Quantity::Lvef,
        Quantity::Lvedv,
        Quantity::Lvesv,
        Quantity::Rvef,
        Quantity::Rvedv,
        Quantity::Rvesv,
        Quantity::Tapse,
        Quantity::NtProbnp,
        Quantity::DDimer,
        Quantity::Inr,
        Quantity::SixMinuteWalk,
    ];

    pub fn key(&self) -> &'static str {
        match self {
            Quantity::Lvef => "lvef",
            Quantity::Lvedv => "lvedv",
            Quantity::Lvesv => "lvesv",
            Quantity::Rvef => "rvef",
            Quantity::Rvedv => "rvedv",
            Quantity::Rvesv => "rvesv",
            Quantity::Tapse => "tapse",
            Quantity::NtProbnp => "nt_probnp",
            Quantity::DDimer => "d_dimer",
            Quantity::Inr => "inr",
            Quantity::SixMinuteWalk => "six_minute_walk",
        }
    }

    pub fn unit(&self) -> &'static str {
        match self {
            Quantity::Lvef | Quantity::Rvef => "%",
            Quantity::Lvedv | Quantity::Lvesv | Quantity::Rvedv | Quantity::Rvesv => "mL",
            Quantity::Tapse => "mm",
            Quantity::NtProbnp => "ng/L",
            Quantity::DDimer => "mg/L",
            Quantity::Inr => "ratio",
            Quantity::SixMinuteWalk => "m",
        }
    }

    /// Modalities that measure this quantity.
    pub fn modalities(&self) -> &'static [Modality] {
        match self {
            Quantity::Lvef | Quantity::Lvedv | Quantity::Lvesv => &[Modality::Mri, Modality::Echo],
            Quantity::Rvef | Quantity::Rvedv | Quantity::Rvesv => &[Modality::Mri],
            Quantity::Tapse => &[Modality::Echo],
            Quantity::NtProbnp | Quantity::DDimer | Quantity::Inr => &[Modality::Lab],
            Quantity::SixMinuteWalk => &[Modality::WalkTest],
        }
    }

    /// Skewed quantities, analysed on the log scale when the scenario asks for it.
    pub fn is_positive_skewed(&self) -> bool {
        matches!(self, Quantity::NtProbnp | Quantity::DDimer)
    }
}

impl Modality {
    pub const ALL: [Modality; 4] = [
        Modality::Mri,
        Modality::Echo,
        Modality::Lab,
        Modality::WalkTest,
    ];

    pub fn key(&self) -> &'static str {
        match self {
            Modality::Mri => "mri",
            Modality::Echo => "echo",
            Modality::Lab => "lab",
            Modality::WalkTest => "walk_test",
        }
    }
}

/// Error model of one (quantity, modality).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ErrorModel {
    /// `true + sd z`
    Additive { sd: f64 },
    /// `true * exp(sd z)` (sd on the log scale: a coefficient of variation)
    Multiplicative { log_sd: f64 },
}

/// The error model, or `None` if the modality does not measure the quantity.
pub fn error_model(q: Quantity, m: Modality, p: &PatientParams) -> Option<ErrorModel> {
    use ErrorModel::*;
    use Modality::*;
    use Quantity::*;
    let cv = |par: P| {
        // log-normal with the given coefficient of variation
        let c = p.get(par);
        Multiplicative {
            log_sd: (1.0 + c * c).ln().sqrt(),
        }
    };
    Some(match (q, m) {
        (Lvef, Mri) => Additive {
            sd: p.get(P::MriLvefSd),
        },
        (Lvedv, Mri) => cv(P::MriLvedvCv),
        (Lvesv, Mri) => cv(P::MriLvesvCv),
        (Rvef, Mri) => Additive {
            sd: p.get(P::MriRvefSd),
        },
        (Rvedv, Mri) => cv(P::MriRvedvCv),
        (Rvesv, Mri) => cv(P::MriRvesvCv),
        (Lvef, Echo) => Additive {
            sd: p.get(P::EchoLvefSd),
        },
        (Lvedv, Echo) => cv(P::EchoLvedvCv),
        (Lvesv, Echo) => cv(P::EchoLvesvCv),
        (Tapse, Echo) => Additive {
            sd: p.get(P::EchoTapseSd),
        },
        (NtProbnp, Lab) => Multiplicative {
            log_sd: p.get(P::NtprobnpLogSd),
        },
        (DDimer, Lab) => Multiplicative {
            log_sd: p.get(P::DdimerLogSd),
        },
        (Inr, Lab) => Multiplicative {
            log_sd: p.get(P::InrLogSd),
        },
        (SixMinuteWalk, WalkTest) => Additive {
            sd: p.get(P::WalkSd),
        },
        _ => return None,
    })
}

impl ErrorModel {
    /// Measured value for a true value and a standard normal deviate `z`.
    /// Additive measurements of bounded quantities are kept physical (EF in
    /// 1-99%, distances and lengths non-negative).
    #[inline]
    pub fn apply(&self, q: Quantity, true_value: f64, z: f64) -> f64 {
        match *self {
            ErrorModel::Additive { sd } => {
                let v = true_value + sd * z;
                match q {
                    Quantity::Lvef | Quantity::Rvef => v.clamp(1.0, 99.0),
                    _ => v.max(0.0),
                }
            }
            ErrorModel::Multiplicative { log_sd } => true_value * (log_sd * z).exp(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::params::ModelParams;

    #[test]
    fn every_quantity_has_an_error_model_for_each_of_its_modalities_only() {
        let p = PatientParams::typical(&ModelParams::default());
        for q in Quantity::ALL {
            for m in Modality::ALL {
                assert_eq!(
                    error_model(q, m, &p).is_some(),
                    q.modalities().contains(&m),
                    "{q:?} {m:?}"
                );
            }
        }
    }

    #[test]
    fn error_transforms_match_their_definitions() {
        let p = PatientParams::typical(&ModelParams::default());
        let e = error_model(Quantity::Lvef, Modality::Mri, &p).unwrap();
        assert_eq!(e.apply(Quantity::Lvef, 30.0, 1.5), 33.0);
        assert_eq!(e.apply(Quantity::Lvef, 30.0, -100.0), 1.0);
        let v = error_model(Quantity::Rvesv, Modality::Mri, &p).unwrap();
        let ErrorModel::Multiplicative { log_sd } = v else {
            panic!()
        };
        assert!((log_sd - (1.0f64 + 0.141 * 0.141).ln().sqrt()).abs() < 1e-15);
        assert!((v.apply(Quantity::Rvesv, 100.0, 1.0) - 100.0 * log_sd.exp()).abs() < 1e-12);
    }
}
