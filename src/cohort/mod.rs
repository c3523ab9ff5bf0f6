//! Virtual patients: covariates, background therapy, screening and
//! between-patient variability.
//!
//! Covariates come from a Gaussian copula: a vector of correlated standard
//! normals (the scenario's latent correlation matrix) is mapped through each
//! covariate's marginal (normal, lognormal, or a threshold for yes/no
//! covariates). A candidate outside a covariate's physiological bounds is
//! redrawn whole. Inclusion criteria are applied to *screening measurements*
//! (LVEF by echo, NT-proBNP by lab...) with the model's measurement error, so
//! regression to the mean emerges as in a real trial. Candidates are screened
//! in order `0, 1, 2, ...` until the trial is full; the screening number is
//! the patient's identity in every random stream (common random numbers).

use crate::model::coagulation::Anticoagulant;
use crate::model::gdmt::{GdmtClass, GdmtHistory, N_GDMT};
use crate::model::observation::{ErrorModel, error_model};
use crate::model::params::ModelParams;
use crate::model::{Baseline, PatientParams};
use crate::rng::{DesignSlot, Purpose, StreamKey, StreamRng};
use crate::scenario::spec::Marginal;
use crate::scenario::validate::{Population, Scenario};
use rand::RngExt;
use rand_distr::StandardNormal;
use statrs::distribution::{ContinuousCDF, Normal};
use thiserror::Error;

/// Most covariates a scenario may define.
pub const MAX_COVARIATES: usize = 32;
/// Most redraws of one candidate to satisfy the covariate bounds.
const MAX_REDRAWS: usize = 1000;

/// A screened candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Screening number (the patient's identity in every stream).
    pub index: u64,
    /// True covariate values, in scenario order (yes/no as 0 or 1).
    pub covariates: Vec<f64>,
    pub anticoagulant: Anticoagulant,
    pub gdmt: GdmtHistory,
    pub eligible: bool,
}

impl Candidate {
    pub fn flag(&self, i: usize) -> bool {
        self.covariates[i] > 0.5
    }
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum CohortError {
    #[error(
        "screened {screened} candidates and enrolled only {enrolled} of {needed}: the inclusion criteria are too restrictive for this population (population.max_screening_factor = {factor})"
    )]
    TooFewEligible {
        screened: u64,
        enrolled: usize,
        needed: usize,
        factor: f64,
    },
    #[error(
        "candidate {index}: no draw within the covariate bounds after {MAX_REDRAWS} tries (check min/max against mean/sd of `{covariate}`)"
    )]
    BoundsUnreachable { index: u64, covariate: String },
}

/// Draws candidates and patient parameters for one scenario.
#[derive(Debug, Clone)]
pub struct CohortSampler {
    population: Population,
    background: crate::scenario::spec::BackgroundSpec,
    /// Latent threshold of each yes/no covariate (`Phi^-1(p)`).
    thresholds: Vec<f64>,
    /// Screening error model per criterion.
    screening: Vec<Option<ErrorModel>>,
    seed: u64,
    design: DesignSlot,
}

impl CohortSampler {
    pub fn new(s: &Scenario, design: DesignSlot) -> CohortSampler {
        let normal = Normal::standard();
        let thresholds = s
            .population
            .covariates
            .iter()
            .map(|c| match c.marginal {
                Marginal::Bernoulli { probability } => {
                    if probability <= 0.0 {
                        f64::NEG_INFINITY
                    } else if probability >= 1.0 {
                        f64::INFINITY
                    } else {
                        normal.inverse_cdf(probability)
                    }
                }
                _ => 0.0,
            })
            .collect();
        let typical = PatientParams::typical(&s.model);
        let screening = s
            .population
            .criteria
            .iter()
            .map(|c| c.screened_as.and_then(|(q, m)| error_model(q, m, &typical)))
            .collect();
        CohortSampler {
            population: s.population.clone(),
            background: s.background.clone(),
            thresholds,
            screening,
            seed: s.run.seed,
            design,
        }
    }

    fn stream(&self, replicate: u64, patient: u64, purpose: Purpose) -> StreamRng {
        StreamKey {
            seed: self.seed,
            design: self.design,
            replicate,
            patient,
            purpose,
        }
        .rng()
    }

    /// Draw candidate `index` of `replicate`.
    pub fn sample_candidate(&self, replicate: u64, index: u64) -> Result<Candidate, CohortError> {
        let mut rng = self.stream(replicate, index, Purpose::Covariates);
        self.sample_candidate_with(index, &mut rng)
    }

    /// Draw a candidate from a given stream (deterministic given the stream).
    pub fn sample_candidate_with(
        &self,
        index: u64,
        rng: &mut StreamRng,
    ) -> Result<Candidate, CohortError> {
        let pop = &self.population;
        let k = pop.covariates.len();
        let mut z = [0.0f64; MAX_COVARIATES];
        let mut values = vec![0.0; k];
        let mut ok = false;
        let mut last_bad = 0;
        for _ in 0..MAX_REDRAWS {
            for zi in z.iter_mut().take(k) {
                *zi = rng.sample(StandardNormal);
            }
            ok = true;
            for i in 0..k {
                let x: f64 = (0..=i).map(|j| pop.cholesky[i][j] * z[j]).sum();
                let c = &pop.covariates[i];
                let v = match c.marginal {
                    Marginal::Normal { mean, sd } => mean + sd * x,
                    Marginal::Lognormal { meanlog, sdlog } => (meanlog + sdlog * x).exp(),
                    Marginal::Bernoulli { .. } => f64::from(u8::from(x < self.thresholds[i])),
                };
                if c.min.is_some_and(|m| v < m) || c.max.is_some_and(|m| v > m) {
                    ok = false;
                    last_bad = i;
                    break;
                }
                values[i] = v;
            }
            if ok {
                break;
            }
        }
        if !ok {
            return Err(CohortError::BoundsUnreachable {
                index,
                covariate: pop.covariates[last_bad].name.clone(),
            });
        }
        // Background therapy (fixed draw order).
        let bg = &self.background;
        let af = values[pop.model.af] > 0.5;
        let u_ac: f64 = rng.random();
        let u_vka: f64 = rng.random();
        let p_ac = if af {
            bg.anticoagulant_share_with_af
        } else {
            bg.anticoagulant_share_without_af
        };
        let anticoagulant = if u_ac < p_ac {
            if u_vka < bg.vka_share {
                Anticoagulant::Vka
            } else {
                Anticoagulant::Noac
            }
        } else {
            Anticoagulant::None
        };
        let mut gdmt = GdmtHistory::default();
        let u_ras: f64 = rng.random();
        let share = |c: GdmtClass| bg.gdmt.iter().find(|g| g.class == c);
        for (slot, class) in GdmtClass::ALL.iter().enumerate() {
            let u_take: f64 = rng.random();
            let u_days: f64 = rng.random();
            let Some(g) = share(*class) else { continue };
            let takes = match class {
                GdmtClass::Arni => u_ras < g.share,
                GdmtClass::AceiArb => {
                    let arni = share(GdmtClass::Arni).map(|a| a.share).unwrap_or(0.0);
                    u_ras >= arni && u_ras < arni + g.share
                }
                _ => u_take < g.share,
            };
            if takes {
                gdmt.days_on[slot] = Some(
                    g.on_therapy_days_min
                        + u_days * (g.on_therapy_days_max - g.on_therapy_days_min),
                );
            }
        }
        debug_assert_eq!(GdmtClass::ALL.len(), N_GDMT);
        // Screening measurements and criteria (one deviate per criterion).
        let mut eligible = true;
        for (c, err) in pop.criteria.iter().zip(self.screening.iter()) {
            let zc: f64 = rng.sample(StandardNormal);
            let truth = values[c.covariate];
            let seen = match (err, c.screened_as) {
                (Some(e), Some((q, _))) => e.apply(q, truth, zc),
                _ => truth,
            };
            if let Some(eq) = c.equals {
                eligible &= (seen > 0.5) == eq;
            }
            if let Some(lo) = c.min {
                eligible &= seen >= lo;
            }
            if let Some(hi) = c.max {
                eligible &= seen <= hi;
            }
        }
        Ok(Candidate {
            index,
            covariates: values,
            anticoagulant,
            gdmt,
            eligible,
        })
    }

    /// Screen candidates `0, 1, ...` of `replicate` until `n` are eligible.
    pub fn enrol(&self, replicate: u64, n: usize) -> Result<Vec<Candidate>, CohortError> {
        let limit = ((n as f64) * self.population.max_screening_factor)
            .ceil()
            .max(n as f64) as u64;
        let mut out = Vec::with_capacity(n);
        let mut index = 0;
        while out.len() < n {
            if index >= limit {
                return Err(CohortError::TooFewEligible {
                    screened: index,
                    enrolled: out.len(),
                    needed: n,
                    factor: self.population.max_screening_factor,
                });
            }
            let c = self.sample_candidate(replicate, index)?;
            if c.eligible {
                out.push(c);
            }
            index += 1;
        }
        Ok(out)
    }

    /// The model's baseline of a candidate.
    pub fn baseline(&self, c: &Candidate) -> Baseline {
        let m = &self.population.model;
        let v = &c.covariates;
        Baseline {
            age_years: v[m.age],
            nyha_iii: c.flag(m.nyha_iii),
            ischaemic: c.flag(m.ischaemic),
            lvef_percent: v[m.lvef],
            lvedv_ml: v[m.lvedv],
            rvedv_ml: v[m.rvedv],
            tapse_mm: v[m.tapse],
            ntprobnp_ng_per_l: v[m.ntprobnp],
            six_minute_walk_m: v[m.walk],
            ddimer_mg_per_l: v[m.ddimer],
            anticoagulant: c.anticoagulant,
            gdmt: c.gdmt,
        }
    }

    /// Whether a candidate carries an implanted device.
    pub fn has_device(&self, c: &Candidate) -> bool {
        self.population.model.device.is_some_and(|d| c.flag(d))
    }

    /// Between-patient variability of patient `index` in `replicate`.
    pub fn sample_params(&self, model: &ModelParams, replicate: u64, index: u64) -> PatientParams {
        let mut rng = self.stream(replicate, index, Purpose::Parameters);
        sample_params_with(model, &mut rng)
    }
}

/// Draw one standard normal per varying parameter (table order) and apply.
pub fn sample_params_with(model: &ModelParams, rng: &mut StreamRng) -> PatientParams {
    let mut etas = [0.0f64; crate::model::params::N_PARAMS];
    let mut n = 0;
    for _ in model.varying() {
        etas[n] = rng.sample(StandardNormal);
        n += 1;
    }
    PatientParams::with_etas(model, &etas[..n])
}
