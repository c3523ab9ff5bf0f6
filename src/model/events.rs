//! Clinical events.
//!
//! Hazards depend on the current state (per day):
//!
//! ```text
//! h_HFH(t)   = h0_HFH   exp(b_EF (LVEF%(t) - 30) + b_NP (ln NT-proBNP(t) - ln 1500) + b_NYHA [NYHA III])
//! h_death(t) = h0_death exp(b_EF (LVEF%(t) - 30) + b_NP (ln NT-proBNP(t) - ln 1500) + b_NYHA [NYHA III] + b_age (age - 60) / 10)
//! h_SAE(t)   = h0_SAE [x HR_anticoagulant] + k_thrombotic (I(t) + C(t))
//! ```
//! The model integrates the cumulative hazards `Lambda(t)`; event times are
//! then drawn by inversion, `Lambda(T) = E` with `E ~ Exp(1)` from the
//! patient's event stream. A first HF hospitalization multiplies the later
//! hospitalization hazard (`hfh_recurrence_hr`) and the death hazard
//! (`death_after_hfh_hr`); death ends follow-up. The ODE layer itself has no
//! randomness: [`EventTimes::from_cumulative`] turns the deterministic
//! cumulative hazards and the drawn `E`s into event times.

use super::params::P;
use super::patient::PatientParams;

const DAYS_PER_YEAR: f64 = 365.25;
/// Reference patient of the baseline hazards.
pub const REFERENCE_LVEF_PERCENT: f64 = 30.0;
pub const REFERENCE_NTPROBNP: f64 = 1500.0;
pub const REFERENCE_AGE: f64 = 60.0;

/// Maximum number of HF hospitalizations simulated per patient.
pub const MAX_HFH: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hazards {
    log_hfh_const: f64,
    log_death_const: f64,
    b_lvef: f64,
    b_ntprobnp: f64,
    /// Per day.
    sae_background: f64,
    /// Per day per mg/L.
    sae_thrombotic: f64,
    pub hfh_recurrence_hr: f64,
    pub death_after_hfh_hr: f64,
    /// `h_death / h_HFH` when both baseline rates are positive.
    death_ratio: Option<f64>,
}

impl Hazards {
    pub fn new(p: &PatientParams, age_years: f64, nyha_iii: bool, anticoagulated: bool) -> Hazards {
        let nyha = if nyha_iii {
            p.get(P::HazardNyhaIii)
        } else {
            0.0
        };
        let b_np = p.get(P::HazardNtprobnp);
        let b_ef = p.get(P::HazardLvef);
        let offset = -b_ef * REFERENCE_LVEF_PERCENT - b_np * REFERENCE_NTPROBNP.ln() + nyha;
        let age = p.get(P::HazardAge) * (age_years - REFERENCE_AGE) / 10.0;
        let ln_or_neg_inf = |x: f64| {
            if x > 0.0 {
                (x / DAYS_PER_YEAR).ln()
            } else {
                f64::NEG_INFINITY
            }
        };
        let log_hfh_const = ln_or_neg_inf(p.get(P::HfhRate)) + offset;
        let log_death_const = ln_or_neg_inf(p.get(P::DeathRate)) + offset + age;
        Hazards {
            log_hfh_const,
            log_death_const,
            death_ratio: (log_hfh_const.is_finite() && log_death_const.is_finite())
                .then(|| (log_death_const - log_hfh_const).exp()),
            b_lvef: b_ef,
            b_ntprobnp: b_np,
            sae_background: p.get(P::SaeRate) / DAYS_PER_YEAR
                * if anticoagulated {
                    p.get(P::SaeAnticoagulantHr)
                } else {
                    1.0
                },
            sae_thrombotic: p.get(P::SaeThromboticRate) / DAYS_PER_YEAR,
            hfh_recurrence_hr: p.get(P::HfhRecurrenceHr),
            death_after_hfh_hr: p.get(P::DeathAfterHfhHr),
        }
    }

    /// `(h_HFH, h_death)` per day with one exponential (both hazards share
    /// the time-varying linear predictor).
    #[inline]
    pub fn hfh_and_death(&self, lvef: f64, ln_ntprobnp: f64) -> (f64, f64) {
        let lp = self.b_lvef * lvef * 100.0 + self.b_ntprobnp * ln_ntprobnp;
        if let Some(ratio) = self.death_ratio {
            let hfh = (self.log_hfh_const + lp).exp();
            (hfh, hfh * ratio)
        } else {
            (
                (self.log_hfh_const + lp).exp(),
                (self.log_death_const + lp).exp(),
            )
        }
    }

    /// Rate of change of the log hazard (HFH and death alike) given the
    /// rates of change of LVEF (fraction per day) and ln NT-proBNP.
    #[inline]
    pub fn log_hazard_slope(&self, dlvef: f64, dln_ntprobnp: f64) -> f64 {
        self.b_lvef * 100.0 * dlvef + self.b_ntprobnp * dln_ntprobnp
    }

    /// SAE hazard per day: `(background, per mg/L of procoagulant activity)`.
    pub fn sae_parts(&self) -> (f64, f64) {
        (self.sae_background, self.sae_thrombotic)
    }

    /// `(h_HFH, h_death)` per day.
    #[inline]
    pub fn heart_failure_rates(&self, lvef: f64, ln_ntprobnp: f64) -> (f64, f64) {
        let lp = self.b_lvef * lvef * 100.0 + self.b_ntprobnp * ln_ntprobnp;
        (
            (self.log_hfh_const + lp).exp(),
            (self.log_death_const + lp).exp(),
        )
    }

    /// The SAE hazard given the procoagulant states `I + C` (linear in them).
    #[inline]
    pub fn sae_rate(&self, procoagulant: f64) -> f64 {
        self.sae_background + self.sae_thrombotic * procoagulant.max(0.0)
    }
}

/// Standard exponential deviates of one patient's event stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventDraws {
    pub hfh: [f64; MAX_HFH],
    pub death: f64,
    pub sae: f64,
}

/// Event times of one patient (days), before censoring by dropout.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EventTimes {
    pub hfh: [f64; MAX_HFH],
    pub n_hfh: usize,
    pub death: Option<f64>,
    pub first_sae: Option<f64>,
}

impl EventTimes {
    pub fn first_hfh(&self) -> Option<f64> {
        (self.n_hfh > 0).then(|| self.hfh[0])
    }

    /// Invert cumulative hazards sampled on a uniform grid (`step` days,
    /// `grid[i]` at day `i * step`, linear in between) into event times,
    /// with the event multipliers of `hazards`. `grid[i] = [HFH, death, SAE]`.
    pub fn from_cumulative(
        grid: &[[f64; 3]],
        step: f64,
        draws: &EventDraws,
        hazards: &Hazards,
    ) -> EventTimes {
        let mut out = EventTimes::default();
        let col = |c: usize| move |i: usize| grid[i][c];
        // HF hospitalizations, each after the previous one.
        let mut t_prev = 0.0;
        let mut multiplier = 1.0;
        for k in 0..MAX_HFH {
            let base = value_at(grid.len(), step, col(0), t_prev);
            match invert(
                grid.len(),
                step,
                col(0),
                t_prev,
                base + draws.hfh[k] / multiplier,
            ) {
                Some(t) => {
                    out.hfh[k] = t;
                    out.n_hfh = k + 1;
                    t_prev = t;
                    multiplier = hazards.hfh_recurrence_hr;
                }
                None => break,
            }
            if multiplier <= 0.0 {
                break;
            }
        }
        // Death: hazard multiplied after the first hospitalization.
        let first = out.first_hfh();
        let death_before = match first {
            Some(t1) => {
                let at_t1 = value_at(grid.len(), step, col(1), t1);
                if draws.death <= at_t1 {
                    invert(grid.len(), step, col(1), 0.0, draws.death)
                } else if hazards.death_after_hfh_hr > 0.0 {
                    invert(
                        grid.len(),
                        step,
                        col(1),
                        t1,
                        at_t1 + (draws.death - at_t1) / hazards.death_after_hfh_hr,
                    )
                } else {
                    None
                }
            }
            None => invert(grid.len(), step, col(1), 0.0, draws.death),
        };
        out.death = death_before;
        if let Some(td) = out.death {
            // Hospitalizations after death did not happen.
            while out.n_hfh > 0 && out.hfh[out.n_hfh - 1] >= td {
                out.n_hfh -= 1;
            }
        }
        out.first_sae = invert(grid.len(), step, col(2), 0.0, draws.sae)
            .filter(|&t| out.death.is_none_or(|td| t < td));
        out
    }
}

/// Linear interpolation of a grid function at `t` (clamped to the grid).
fn value_at(n: usize, step: f64, f: impl Fn(usize) -> f64, t: f64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let x = (t / step).max(0.0);
    let i = (x.floor() as usize).min(n - 1);
    if i + 1 >= n {
        return f(n - 1);
    }
    let w = x - i as f64;
    f(i) + w * (f(i + 1) - f(i))
}

/// First `t >= t_start` where the (non-decreasing, piecewise linear) grid
/// function reaches `target`, or `None` within the grid.
fn invert(n: usize, step: f64, f: impl Fn(usize) -> f64, t_start: f64, target: f64) -> Option<f64> {
    if n < 2 || !target.is_finite() {
        return None;
    }
    if f(n - 1) < target {
        return None;
    }
    let start_cell = ((t_start / step).max(0.0).floor() as usize).min(n - 2);
    // binary search for the first grid point with value >= target after start
    let (mut lo, mut hi) = (start_cell + 1, n - 1);
    if f(start_cell + 1) < target {
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if f(mid) >= target { hi = mid } else { lo = mid }
        }
    } else {
        hi = start_cell + 1;
    }
    let i = hi - 1;
    let (a, b) = (f(i), f(hi));
    let w = if b > a {
        ((target - a) / (b - a)).clamp(0.0, 1.0)
    } else {
        1.0
    };
    Some(((i as f64 + w) * step).max(t_start))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hz(recurrence: f64, death_hr: f64) -> Hazards {
        Hazards {
            log_hfh_const: 0.0,
            log_death_const: 0.0,
            b_lvef: 0.0,
            b_ntprobnp: 0.0,
            sae_background: 0.0,
            sae_thrombotic: 0.0,
            hfh_recurrence_hr: recurrence,
            death_after_hfh_hr: death_hr,
            death_ratio: Some(1.0),
        }
    }

    /// Constant hazard 0.01/day: Lambda(t) = 0.01 t, so E = 1 gives t = 100.
    #[test]
    fn inversion_of_a_constant_hazard_is_exact() {
        let grid: Vec<[f64; 3]> = (0..=360)
            .map(|d| [0.01 * d as f64, 0.002 * d as f64, 0.005 * d as f64])
            .collect();
        let mut hfh = [100.0; MAX_HFH];
        hfh[0] = 1.0;
        hfh[1] = 0.5;
        let draws = EventDraws {
            hfh,
            death: 0.5,
            sae: 1.2,
        };
        let ev = EventTimes::from_cumulative(&grid, 1.0, &draws, &hz(2.0, 1.0));
        assert!((ev.hfh[0] - 100.0).abs() < 1e-9);
        // second: 0.5 / (2 * 0.01) = 25 days later
        assert!((ev.hfh[1] - 125.0).abs() < 1e-9);
        assert_eq!(ev.n_hfh, 2);
        // death: 0.5 / 0.002 = 250 days (multiplier 1)
        assert!((ev.death.unwrap() - 250.0).abs() < 1e-9);
        assert!((ev.first_sae.unwrap() - 240.0).abs() < 1e-9);
    }

    #[test]
    fn death_hazard_is_multiplied_after_a_hospitalization() {
        let grid: Vec<[f64; 3]> = (0..=360)
            .map(|d| [0.01 * d as f64, 0.002 * d as f64, 0.0])
            .collect();
        let mut hfh = [100.0; MAX_HFH];
        hfh[0] = 1.0; // HFH at day 100, Lambda_death(100) = 0.2
        let draws = EventDraws {
            hfh,
            death: 0.5,
            sae: 1.0,
        };
        let ev = EventTimes::from_cumulative(&grid, 1.0, &draws, &hz(1.0, 3.0));
        // remaining 0.3 at rate 3 * 0.002 = 0.006/day: 50 days
        assert!((ev.death.unwrap() - 150.0).abs() < 1e-9);
        assert_eq!(ev.first_sae, None);
    }

    #[test]
    fn events_after_death_are_removed_and_beyond_grid_are_none() {
        let grid: Vec<[f64; 3]> = (0..=360)
            .map(|d| [0.01 * d as f64, 0.01 * d as f64, 0.0])
            .collect();
        let mut hfh = [100.0; MAX_HFH];
        hfh[0] = 2.0;
        let draws = EventDraws {
            hfh,
            death: 1.0,
            sae: 0.0,
        };
        let ev = EventTimes::from_cumulative(&grid, 1.0, &draws, &hz(1.0, 1.0));
        assert!((ev.death.unwrap() - 100.0).abs() < 1e-9);
        assert_eq!(ev.n_hfh, 0);
        let draws = EventDraws {
            hfh: [10.0; MAX_HFH],
            death: 10.0,
            sae: 10.0,
        };
        let ev = EventTimes::from_cumulative(&grid, 1.0, &draws, &hz(1.0, 1.0));
        assert_eq!((ev.n_hfh, ev.death, ev.first_sae), (0, None, None));
    }
}
