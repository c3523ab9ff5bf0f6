//! Between-trial heterogeneity: how a trial differs from the typical trial
//! beyond what its scenario states.
//!
//! Trials of the same product and route give different effects (cohort,
//! product lot, procedure, imaging core lab), more than their patients'
//! sampling explains. The model carries this as two trial-level parameters,
//! 0 in the typical trial (where power at the central values is computed):
//! `trial_efficacy_effect` (log multiplier of the cell effect) and
//! `trial_volume_effect` (the LV response's shift between volume and
//! contractility; `model::product`). A trial drawn from the population of
//! trials gets `between_trial_efficacy_sd x z1` and
//! `between_trial_volume_sd x z2`, `z` standard normal from the trial's own
//! stream `(seed, replicate, TrialEffect)`. Calibration draws them in every
//! simulated trial (so that a published trial is compared with what a new
//! trial could show), and `[uncertainty]` in every world (so that assurance
//! counts the trial's own deviation; `between_trial = false` leaves it out).

use crate::model::params::{ModelParams, P};
use crate::rng::{DesignSlot, Purpose, StreamKey, TRIAL_LEVEL};
use rand::RngExt;
use rand_distr::StandardNormal;

/// Whether the model's trials differ (either between-trial SD above 0).
pub fn is_heterogeneous(m: &ModelParams) -> bool {
    m.get(P::BetweenTrialEfficacySd) > 0.0 || m.get(P::BetweenTrialVolumeSd) > 0.0
}

/// The standard normal deviates of trial `replicate` (efficacy, volume).
pub fn normals(seed: u64, replicate: u64) -> [f64; 2] {
    let mut rng = StreamKey {
        seed,
        design: DesignSlot::Shared,
        replicate,
        patient: TRIAL_LEVEL,
        purpose: Purpose::TrialEffect,
    }
    .rng();
    [rng.sample(StandardNormal), rng.sample(StandardNormal)]
}

/// Set the trial effects of trial `replicate` in `m` from its between-trial
/// SDs (nothing changes where both SDs are 0).
pub fn draw_into(m: &mut ModelParams, seed: u64, replicate: u64) {
    if !is_heterogeneous(m) {
        return;
    }
    let [ze, zv] = normals(seed, replicate);
    m.set(
        P::TrialEfficacyEffect,
        m.get(P::BetweenTrialEfficacySd) * ze,
    );
    m.set(P::TrialVolumeEffect, m.get(P::BetweenTrialVolumeSd) * zv);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trials_draw_their_own_effects_from_their_own_stream() {
        let mut m = ModelParams::default();
        m.set(P::BetweenTrialEfficacySd, 0.0);
        m.set(P::BetweenTrialVolumeSd, 0.0);
        let before = m.clone();
        draw_into(&mut m, 3, 5);
        assert_eq!(m, before, "no heterogeneity: nothing drawn");
        m.set(P::BetweenTrialEfficacySd, 0.5);
        m.set(P::BetweenTrialVolumeSd, 0.25);
        let mut a = m.clone();
        draw_into(&mut a, 3, 5);
        let mut b = m.clone();
        draw_into(&mut b, 3, 5);
        assert_eq!(a, b, "keyed: the same trial draws the same effects");
        let [ze, zv] = normals(3, 5);
        assert_eq!(a.get(P::TrialEfficacyEffect), 0.5 * ze);
        assert_eq!(a.get(P::TrialVolumeEffect), 0.25 * zv);
        // Over many trials the effects are N(0, sd^2).
        let n = 4000;
        let e: Vec<f64> = (0..n)
            .map(|r| {
                let mut c = m.clone();
                draw_into(&mut c, 3, r);
                c.get(P::TrialEfficacyEffect)
            })
            .collect();
        let mean = e.iter().sum::<f64>() / n as f64;
        let sd = (e.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
        assert!(mean.abs() < 4.0 * 0.5 / (n as f64).sqrt(), "mean {mean}");
        assert!((sd - 0.5).abs() < 0.03, "sd {sd}");
    }
}
