//! Statistical analysis (being built on the `analysis` branch; these shared
//! types are the agreed interface).

/// Alternative hypothesis, always stated for (treatment − control).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Alternative {
    TwoSided,
    Greater,
    Less,
}

/// One time-to-event observation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurvivalObs {
    pub time: f64,
    pub event: bool,
}
