//! Error-spending functions: how much of a total error (alpha for
//! efficacy, beta for futility) is spent by information fraction `t`.
//!
//! The families and their definitions are those of rpact 3.3.4
//! (`getDesignGroupSequential`, one-sided, `sided = 1`):
//!
//! | name | rpact | spent by `t` (total `a`) |
//! |---|---|---|
//! | O'Brien-Fleming type (Lan & DeMets 1983) | `asOF` / `bsOF` | `2 (1 - Phi(z_{1-a/2} / sqrt(t)))` |
//! | Pocock type (Lan & DeMets 1983) | `asP` / `bsP` | `a ln(1 + (e - 1) t)` |
//! | Hwang, Shih & DeCani (1990), parameter gamma | `asHSD` / `bsHSD` | `a (1 - e^{-gamma t}) / (1 - e^{-gamma})`, `a t` at gamma = 0 |
//! | Kim & DeMets (1987) power family, parameter rho | `asKD` / `bsKD` | `a t^rho` |
//!
//! Every function is 0 at `t = 0`, `a` at `t >= 1` and increasing between.

use crate::analysis::special::{norm_isf, norm_sf};
use serde::Serialize;

/// A spending function family.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub enum Spending {
    /// Lan-DeMets O'Brien-Fleming type.
    OBrienFleming,
    /// Lan-DeMets Pocock type.
    Pocock,
    /// Hwang-Shih-DeCani with parameter `gamma` (negative: conservative early).
    HwangShihDeCani { gamma: f64 },
    /// Kim-DeMets power family `t^rho` (rho > 0).
    Power { rho: f64 },
}

impl Spending {
    /// Cumulative error spent by information fraction `t` out of `total`.
    pub fn spent(&self, total: f64, t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        if t >= 1.0 {
            return total;
        }
        let v = match *self {
            Spending::OBrienFleming => 2.0 * norm_sf(norm_isf(total / 2.0) / t.sqrt()),
            Spending::Pocock => total * (1.0 + (std::f64::consts::E - 1.0) * t).ln(),
            Spending::HwangShihDeCani { gamma } => {
                if gamma.abs() < 1e-10 {
                    total * t
                } else {
                    // (1 - e^{-g t}) / (1 - e^{-g}) with expm1 for accuracy near 0
                    total * (-gamma * t).exp_m1() / (-gamma).exp_m1()
                }
            }
            Spending::Power { rho } => total * t.powf(rho),
        };
        v.clamp(0.0, total)
    }

    /// rpact's name of the alpha-spending variant.
    pub fn rpact_alpha_name(&self) -> &'static str {
        match self {
            Spending::OBrienFleming => "asOF",
            Spending::Pocock => "asP",
            Spending::HwangShihDeCani { .. } => "asHSD",
            Spending::Power { .. } => "asKD",
        }
    }

    /// A short label (`asOF`, `asHSD(gamma = -4)`, ...).
    pub fn label(&self) -> String {
        match self {
            Spending::HwangShihDeCani { gamma } => format!("asHSD(gamma = {gamma})"),
            Spending::Power { rho } => format!("asKD(rho = {rho})"),
            s => s.rpact_alpha_name().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spending_functions_start_at_zero_end_at_the_total_and_increase() {
        for s in [
            Spending::OBrienFleming,
            Spending::Pocock,
            Spending::HwangShihDeCani { gamma: -4.0 },
            Spending::HwangShihDeCani { gamma: 0.0 },
            Spending::HwangShihDeCani { gamma: 2.0 },
            Spending::Power { rho: 3.0 },
        ] {
            assert_eq!(s.spent(0.025, 0.0), 0.0);
            assert_eq!(s.spent(0.025, 1.0), 0.025);
            let mut last = 0.0;
            for i in 1..100 {
                let v = s.spent(0.025, i as f64 / 100.0);
                assert!(v > last && v < 0.025, "{s:?} at {i}");
                last = v;
            }
            // continuity at t = 1
            assert!((s.spent(0.025, 1.0 - 1e-12) - 0.025).abs() < 1e-9, "{s:?}");
        }
        // asOF at t = 1/3 (rpact 3.3.4: 0.000103505718147)
        let v = Spending::OBrienFleming.spent(0.025, 1.0 / 3.0);
        assert!((v - 0.000103505718147).abs() < 1e-15, "{v}");
        // HSD at gamma 0 is linear
        let h = Spending::HwangShihDeCani { gamma: 0.0 }.spent(0.025, 0.4);
        assert!((h - 0.01).abs() < 1e-15);
    }
}
