//! Priors of the parameters the evidence does not pin down: every parameter
//! that calibration frees, and those that set the answer to regimen
//! questions (exposure-response, durability, the share of the deficit a
//! therapy can restore). One row per parameter: the distribution on the
//! parameter's natural scale, the reason, the source.
//!
//! The penalized (maximum a posteriori) fit of `hfsim calibrate fit` adds
//! `sum z_i^2` to the data distance, with `z_i` the prior's standard normal
//! deviate of the value (the log for log-normal priors, the logit for
//! logit-normal ones), and starts from the prior medians. `docs/model.md`
//! ("Priors") shows the same table.

use super::params::P;
use crate::analysis::special::norm_isf;
use crate::uncertainty::prior::{Distribution, Prior};

/// A prior row: parameter, distribution, optional truncation, source.
pub struct PriorRow {
    pub param: P,
    pub distribution: Distribution,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub source: &'static str,
}

const fn ln(median: f64, sd_log: f64) -> Distribution {
    Distribution::LogNormal { median, sd_log }
}

const fn lgt(median: f64, sd_logit: f64) -> Distribution {
    Distribution::LogitNormal { median, sd_logit }
}

const fn row(param: P, distribution: Distribution, source: &'static str) -> PriorRow {
    PriorRow {
        param,
        distribution,
        lower: None,
        upper: None,
        source,
    }
}

/// The prior table.
pub const PRIORS: &[PriorRow] = &[
    // ------------------------------------------------------ room to improve
    row(
        P::GdmtResponse,
        ln(1.0, 0.7),
        "the class effects (evidence.md 1d) are trial averages, so a cohort's typical responsiveness is centred on 1; responses to the same class differ 2-3 fold between trials (SGLT2i: EMPA-TROPISM LVEF +6.0 vs SUGAR-DM-HF n.s.; CMR meta-analysis I^2 81-87%; PRIME-HFrEF placebo +12.6 points vs PROVE-HF +9.4 on ARNI alone), so a factor of 4 either way at 2 SD",
    ),
    row(
        P::LvRecoverableFraction,
        lgt(0.6, 0.8),
        "PROVE-HF (Januzzi 2019): sacubitril/valsartan moved LVEF 28.2 to 37.8% in a year, about 40% of the logit distance to normal on one class; LVEF normalises in 10-40% of HFrEF patients on full GDMT (evidence.md 1d)",
    ),
    row(
        P::RvRecoverableFraction,
        lgt(0.7, 0.8),
        "RV function recovers more readily than LV once afterload falls (RVEF normalises in about half of patients after LVAD or on GDMT); direction sourced, number an assumption",
    ),
    row(
        P::RvRepairEfFraction,
        lgt(0.7, 1.0),
        "assumption: afterload relief restores a large share of the recoverable RV function; not 1 by assumption (model review 5: the 'full normalisation' assumption was the first driver of power)",
    ),
    row(
        P::RvRepairEdvFraction,
        lgt(0.7, 1.0),
        "assumption, as rv_repair_ef_fraction",
    ),
    row(
        P::LvRepairEfFraction,
        lgt(0.5, 1.0),
        "assumption: MSC meta-analyses report +3 to +6 LVEF points (PRIME refs 22-24), a minority of a typical recoverable deficit",
    ),
    row(
        P::LvRepairEdvFraction,
        lgt(0.5, 1.0),
        "assumption, as lv_repair_ef_fraction",
    ),
    // -------------------------------------------- exposure-response, durability
    row(
        P::RvRepairEmax,
        ln(0.02, 1.0),
        "repeat-dose studies (Tang 2018 JAHA rat, Guo 2018 mouse; evidence.md 3): each of three doses adds a step, so one dose's paracrine pulse (mean transit about 21 d) restores well under the whole room: Emax x 21 d about 0.4 at the median",
    ),
    row(
        P::RvRepairHalfLife,
        ln(365.0, 0.7),
        "PRIME-HFrEF: the RV benefit persisted to day 360; the UC-MSC meta-analysis (+5.08 LVEF points at 6 months, +2.78 at 12) implies a half-life of about 7 months for the LV (evidence.md 3)",
    ),
    row(
        P::LvRepairEmax,
        ln(0.02, 1.0),
        "the same repeat-dose evidence as rv_repair_emax_per_day; the LV's small share of an IV dose (pulmonary first pass) is in the kinetics, not in Emax (the earlier median 0.002 counted it twice); direct myocardial delivery gives +3 to +8 LVEF points (MSC-HF, TRIDENT, POSEIDON-DCM; evidence.md 1b route meta-analysis +7.0 transendocardial)",
    ),
    row(
        P::LvRepairHalfLife,
        ln(180.0, 0.7),
        "UC-MSC meta-analysis: +5.08 LVEF points at 6 months, +2.78 at 12 (the effect wanes, evidence.md 3)",
    ),
    row(
        P::RvSignalEc50,
        ln(0.02, 1.5),
        "pig IV allogeneic MSC effective at both 1e5 and 1e6 cells/kg, not at 1e3-1e4 (evidence.md 1b): half-maximal exposure at or below 1e5 cells/kg; wide because human dose groups (POSEIDON, TRIDENT) disagree",
    ),
    row(P::LvSignalEc50, ln(0.02, 1.5), "as rv_signal_ec50"),
    // ---------------------------------------------------------- cell products
    row(
        P::BmMscEfficacy,
        ln(0.5, 1.0),
        "UC-MSC express 55-fold the HGF of BM-MSC in vitro (Bartolucci 2017), but HGF is one factor of many and BM-MSC trials report LV effects as large as any product's: median 0.5, a factor of 7 either way at 2 SD",
    ),
    row(
        P::AdiposeMscEfficacy,
        ln(0.5, 1.0),
        "no comparative data found: as bm_msc_efficacy",
    ),
    row(
        P::MpcEfficacy,
        ln(1.0, 1.0),
        "STRO-3 immunoselected precursors with high trophic secretion: centred on the reference product",
    ),
    row(
        P::CardiopoieticEfficacy,
        ln(1.0, 1.0),
        "lineage-guided priming meant to raise reparative activity: centred on the reference product",
    ),
    row(
        P::IxmyelocelTEfficacy,
        ln(0.5, 1.0),
        "expanded bone-marrow cells: as bm_msc_efficacy",
    ),
    row(
        P::PatchContractilityGain,
        ln(0.04, 1.0),
        "engineered heart muscle: macaque grafts thickened the target wall and improved EF dose-dependently (effect sizes not found); the first patient's 400 M cells about +5 LVEF points (assumption from the news piece); BioVAT-HF +10 points single-arm on modern GDMT (trials.md 10)",
    ),
    // -------------------------------------------------- between-trial spread
    row(
        P::BetweenTrialEfficacySd,
        ln(0.5, 0.7),
        "trials of one route differ widely: human transendocardial LVEF +7.0 (95% CI 2.7-11.3) over 6 trials (Kanelidis 2017, evidence.md 1b); responses to one GDMT class differ 2-3 fold between trials (SGLT2i CMR meta-analysis I^2 81-87%, evidence.md 1d): a factor of about 1.6 between trials at the median, 1.2-5 at 90%",
    ),
    row(
        P::BetweenTrialVolumeSd,
        ln(0.5, 0.7),
        "the LV response to cells shows as volume in one trial and as EF in another (CHART-1: LVEDV -17, LVESV -12.8 mL, EF nearly unchanged; MSC-HF: LVEF +6.2 with LVESV -13 mL; trials.md 7, 8); the size of that spread is an assumption, as between_trial_efficacy_sd",
    ),
    // ------------------------------------------------------------ progression
    PriorRow {
        param: P::LvProgressionEdv,
        distribution: Distribution::Normal {
            mean: 0.03,
            sd: 0.04,
        },
        lower: Some(-0.1),
        upper: Some(0.2),
        source: "stable HFrEF on long-standing therapy dilates slowly: MSC-HF placebo LVESV +5.4 mL in 6 months (trials.md 7, ischaemic, on therapy for years); untreated LV dilation in the SOLVD placebo arm about +8% a year (Konstam 1992, not in shared/ [R]); at most +/-40% a year (plausibility audit)",
    },
    PriorRow {
        param: P::RvProgressionEdv,
        distribution: Distribution::Normal {
            mean: 0.05,
            sd: 0.05,
        },
        lower: Some(0.0),
        upper: Some(0.29),
        source: "untreated RV dilation in stable HFrEF is slow: PRIME-HFrEF placebo RVEDV +20 +/- 34 mL at day 180 (n = 12, mostly measurement error), MSC-HF placebo; at most +/-40% a year (plausibility audit)",
    },
    // ------------------------------------------------------------ coagulation
    row(
        P::MicrovascularInjuryRate,
        ln(0.002, 1.0),
        "mechanism an assumption (microvascular thrombosis, Gleeson 2015); PRIME-HFrEF: change in D-dimer correlated negatively with change in LVEF",
    ),
    row(
        P::IbmirDdimerGain,
        ln(0.05, 1.0),
        "Hoang 2024: D-dimer up at 24 h after IV UC-MSC, back by 48 h, +0.1-0.5 mg/L (evidence.md 1c)",
    ),
    row(
        P::SustainedDdimerGain,
        ln(0.6, 1.0),
        "PRIME-HFrEF MSC D-dimer at day 91 0.75 +/- 1.32 mg/L, almost only in patients without anticoagulation",
    ),
    row(
        P::DdimerInjuryGain,
        ln(2.0, 1.0),
        "assumption: how much of the procoagulant exposure shows as D-dimer",
    ),
    row(
        P::DdimerEnrolmentExcess,
        ln(0.8, 1.0),
        "hospitalised HFrEF median D-dimer 0.64 mg/L vs lower in stable outpatients (Huang 2022); PRIME placebo 0.50 at day 1, 0.24 at day 91",
    ),
    // ----------------------------------------------------------------- events
    row(
        P::HfhRate,
        ln(0.20, 0.5),
        "DAPA-HF placebo HFH 9.8 and EMPEROR-Reduced 15.5 per 100 patient-years, sicker PRIME cohort (evidence.md 1e)",
    ),
    row(
        P::DeathRate,
        ln(0.04, 0.5),
        "PARADIGM-HF enalapril all-cause death 9.8 per 100 patient-years in a sicker population; DAPA-HF CV death 6.5-8 (evidence.md 6)",
    ),
    row(
        P::SaeRate,
        ln(0.10, 0.5),
        "PRIME-HFrEF placebo: 2 of 19 patients with a serious adverse event",
    ),
    // -------------------------------------------------------------- readouts
    row(
        P::MriLvesvCv,
        ln(0.06, 0.3),
        "Grothues 2002 AJC 90:29: CMR interstudy CoV of LVESV 4.4-9.2% over normal, heart-failure and hypertrophied hearts (the relative error is smallest in large ventricles); a factor 1.35 either way at 1 SD",
    ),
    row(
        P::WalkPerRvefPoint,
        ln(2.5, 0.7),
        "assumption: 6-minute walk gains of 20-50 m accompany RV functional gains of 5-15 EF points (PRIME-HFrEF +41.9 m in the MSC arm)",
    ),
    row(
        P::TapsePerRvefPoint,
        ln(0.5, 0.4),
        "TAPSE 17 mm at RVEF about 44% and normal 24 mm at 55-60% (ASE 2015; Kawel-Boehm 2020): about 0.5 mm per RVEF point",
    ),
    row(
        P::MriRvedvCv,
        ln(0.08, 0.4),
        "CMR RVEDV interstudy CoV 6.2% (4.2-7.8%, Grothues 2004) plus reader variability (intra-observer CoV 7-12%, inter-observer 8-13%, Catalano; PMID 21437608): a single-centre trial's change scores carry both",
    ),
    row(
        P::AnaThresholdAntibody,
        ln(1.2, 0.7),
        "PRIME-HFrEF ANA positivity 6/20 MSC vs 1/19 placebo; the antibody scale is the model's own",
    ),
];

/// The prior row of `p`, if it has one.
pub fn row_of(p: P) -> Option<&'static PriorRow> {
    PRIORS.iter().find(|r| r.param == p)
}

/// The prior of `p` as a distribution, if it has one.
pub fn prior_of(p: P) -> Option<Prior> {
    let r = row_of(p)?;
    Prior::new(r.distribution, r.lower, r.upper).ok()
}

/// The prior's standard normal deviate of `x` on its natural scale (the
/// log for log-normal, the logit for logit-normal); `None` outside the
/// support or the truncation. Uniform priors give 0 inside.
pub fn deviate(prior: &Prior, x: f64) -> Option<f64> {
    if prior.lower.is_some_and(|l| x < l) || prior.upper.is_some_and(|u| x > u) {
        return None;
    }
    match prior.distribution {
        Distribution::Normal { mean, sd } => Some((x - mean) / sd),
        Distribution::LogNormal { median, sd_log } => (x > 0.0).then(|| (x / median).ln() / sd_log),
        Distribution::LogitNormal { median, sd_logit } => (x > 0.0 && x < 1.0)
            .then(|| ((x / (1.0 - x)).ln() - (median / (1.0 - median)).ln()) / sd_logit),
        Distribution::Uniform { low, high } => (x >= low && x <= high).then_some(0.0),
        Distribution::Point { value } => (x == value).then_some(0.0),
        Distribution::Bernoulli { .. } => (x == 0.0 || x == 1.0).then_some(0.0),
        Distribution::Empirical { .. } => {
            let u = prior.cdf(x);
            (u > 0.0 && u < 1.0).then(|| norm_isf(1.0 - u))
        }
    }
}

/// The prior's central interval of probability `level` (e.g. 0.9).
pub fn interval(prior: &Prior, level: f64) -> (f64, f64) {
    let a = 0.5 * (1.0 - level);
    (prior.quantile(a), prior.quantile(1.0 - a))
}

/// Whether `x` lies in the prior's central `level` interval: a fitted value
/// outside its central 99.8% sits at an edge of what the prior allows.
pub fn inside(prior: &Prior, x: f64, level: f64) -> bool {
    let (lo, hi) = interval(prior, level);
    x > lo && x < hi
}

/// The standard normal quantile used by the edge test (for documentation).
pub fn z_of_level(level: f64) -> f64 {
    norm_isf(0.5 * (1.0 - level))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prior_is_a_distribution_and_holds_its_default() {
        for r in PRIORS {
            let prior = prior_of(r.param)
                .unwrap_or_else(|| panic!("{} has no valid prior", r.param.info().name));
            let info = r.param.info();
            let (lo, hi) = interval(&prior, 0.998);
            assert!(
                lo >= info.min && hi <= info.max || inside(&prior, info.default, 0.998),
                "{}: default {} outside its prior's central 99.8% [{lo}, {hi}]",
                info.name,
                info.default
            );
            assert!(!r.source.is_empty());
        }
    }

    #[test]
    fn deviates_are_on_the_natural_scale() {
        let p = Prior::plain(Distribution::LogNormal {
            median: 2.0,
            sd_log: 0.5,
        })
        .unwrap();
        assert!((deviate(&p, 2.0 * 1f64.exp()).unwrap() - 2.0).abs() < 1e-12);
        assert_eq!(deviate(&p, -1.0), None);
        let q = Prior::plain(Distribution::LogitNormal {
            median: 0.5,
            sd_logit: 2.0,
        })
        .unwrap();
        let x = 1.0 / (1.0 + (-1.0f64).exp());
        assert!((deviate(&q, x).unwrap() - 0.5).abs() < 1e-12);
        let t = Prior::new(
            Distribution::Normal { mean: 0.0, sd: 1.0 },
            Some(0.0),
            Some(1.0),
        )
        .unwrap();
        assert_eq!(deviate(&t, 1.5), None);
        assert!((deviate(&t, 0.5).unwrap() - 0.5).abs() < 1e-15);
        assert!((z_of_level(0.95) - 1.959963984540054).abs() < 1e-9);
    }

    #[test]
    fn no_parameter_has_two_priors() {
        for (i, a) in PRIORS.iter().enumerate() {
            for b in &PRIORS[i + 1..] {
                assert_ne!(a.param, b.param, "{}", a.param.info().name);
            }
        }
    }
}
