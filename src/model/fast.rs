//! The fast path: exact linear parts, RK4 only where the model is nonlinear.
//!
//! The model splits into
//! * a linear block `[L, H, G, Gm, D, M1, M2, M3, B, Ab]` and the pulmonary
//!   chain `[L, P1, P2, P3]`: propagated exactly on a uniform grid with
//!   per-patient matrix exponentials `exp(A h/2)` (computed once per patient);
//! * the coagulation states `I, C, J` and the integrals the SAE hazard needs:
//!   closed forms (pure decays between doses);
//! * the slow nonlinear states `Q, R, yL, zL, yR, zR`: classical RK4 with
//!   step `h`, the fast states known exactly at the stage times;
//! * HF-hospitalization and death hazards: trapezoidal rule on the grid.
//!
//! An infusion of duration `T` enters as the effective bolus
//! `(1/T) int_0^T exp(-A s) ds b`, exact for the linear states from the end
//! of the infusion on. Doses must fall on grid nodes and infusions must end
//! before the next half-step node; otherwise the patient is integrated by
//! the reference path (same equations). States between nodes (visits with a
//! window) come from cubic Hermite interpolation with exact derivatives.
//! Accuracy against tight-tolerance Dopri5 is checked by
//! `tests/fast_path.rs` (tolerances in docs/performance.md).

use super::patient::{DoseAmounts, InfusionInput, PatientModel};
use super::remodelling::Ventricles;
use super::simulate::{HAZARD_GRID_STEP, SimulationPlan, Trajectory};
use super::state::*;
use crate::solver::dopri5::Dopri5;
use crate::solver::expm::expm;
use crate::solver::{SolveFailure, SolverStats};

/// Options of the fast path.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FastOptions {
    /// RK4 step for the slow states (days); the linear states are exact.
    pub step_days: f64,
    /// Reference integrator for patients the fast path cannot take.
    pub fallback: Dopri5,
}

impl Default for FastOptions {
    fn default() -> Self {
        FastOptions { step_days: 1.0, fallback: Dopri5::default() }
    }
}

impl FastOptions {
    pub fn describe(&self) -> String {
        format!("fast path: exact linear blocks + RK4 (step {} d) for the slow states; fallback {}", self.step_days, crate::solver::Integrator::describe(&self.fallback))
    }
}

const NA: usize = 10;
const A_IDX: [usize; NA] = [LUNG, HEART, GRAFT, GRAFT_MATURE, DEBRIS, LV_CHAIN_1, LV_CHAIN_2, LV_CHAIN_3, PRIMING, ANTIBODY];
const NP: usize = 4;
const P_IDX: [usize; NP] = [LUNG, RV_CHAIN_1, RV_CHAIN_2, RV_CHAIN_3];
const NS: usize = 6;
const S_IDX: [usize; NS] = [RV_REPAIR, LV_REPAIR, LV_LOG_EDV, LV_LOGIT_EF, RV_LOG_EDV, RV_LOGIT_EF];

/// Linear block matrix `[L, H, G, Gm, D, M1, M2, M3, B, Ab]` (lower triangular).
fn block_a(m: &PatientModel) -> [[f64; NA]; NA] {
    let k = &m.kinetics;
    let p = &m.paracrine;
    let im = &m.immune;
    let mut a = [[0.0; NA]; NA];
    a[0][0] = -k.k_lung;
    a[1][1] = -k.k_heart;
    a[2][2] = -(k.k_maturation + k.k_graft_loss);
    a[3][2] = k.k_maturation;
    a[3][3] = -k.k_mature_loss;
    a[4][0] = k.k_lung;
    a[4][1] = k.k_heart;
    a[4][2] = k.k_graft_loss;
    a[4][3] = k.k_mature_loss;
    a[4][4] = -k.k_debris;
    a[5][0] = p.premedication_factor * p.lung_to_lv;
    a[5][1] = p.premedication_factor;
    a[5][2] = p.premedication_factor * p.graft_to_lv;
    a[5][5] = -p.k_transit;
    a[6][5] = p.k_transit;
    a[6][6] = -p.k_transit;
    a[7][6] = p.k_transit;
    a[7][7] = -p.k_transit;
    a[8][0] = im.priming_gain;
    a[8][1] = im.priming_gain;
    a[8][2] = im.priming_gain;
    a[8][8] = -im.k_priming;
    a[9][8] = im.k_priming;
    a[9][9] = -im.k_antibody;
    a
}

/// Pulmonary chain `[L, P1, P2, P3]`.
fn block_p(m: &PatientModel) -> [[f64; NP]; NP] {
    let p = &m.paracrine;
    let mut a = [[0.0; NP]; NP];
    a[0][0] = -m.kinetics.k_lung;
    a[1][0] = p.premedication_factor;
    a[1][1] = -p.k_transit;
    a[2][1] = p.k_transit;
    a[2][2] = -p.k_transit;
    a[3][2] = p.k_transit;
    a[3][3] = -p.k_transit;
    a
}

fn scaled<const N: usize>(a: &[[f64; N]; N], s: f64) -> [[f64; N]; N] {
    let mut b = *a;
    for row in b.iter_mut() {
        for v in row.iter_mut() {
            *v *= s;
        }
    }
    b
}

#[inline]
fn tri_mul<const N: usize>(m: &[[f64; N]; N], x: &[f64; N]) -> [f64; N] {
    let mut y = [0.0; N];
    for i in 0..N {
        let mut s = 0.0;
        for j in 0..=i {
            s += m[i][j] * x[j];
        }
        y[i] = s;
    }
    y
}

/// `(1/T) int_0^T exp(-A s) ds v`, by its Taylor series (T is short).
fn effective_bolus<const N: usize>(a: &[[f64; N]; N], t: f64, v: &[f64; N]) -> [f64; N] {
    // sum_k (-A)^k T^k / (k+1)! v
    let mut term = *v;
    let mut sum = *v;
    for k in 1..40 {
        let mut next = [0.0; N];
        for i in 0..N {
            let mut s = 0.0;
            for j in 0..N {
                s -= a[i][j] * term[j];
            }
            next[i] = s * t / (k as f64 + 1.0);
        }
        term = next;
        let mut big: f64 = 0.0;
        for i in 0..N {
            sum[i] += term[i];
            big = big.max(term[i].abs());
        }
        if big < 1e-17 * sum.iter().fold(1e-300f64, |m, x| m.max(x.abs())) {
            break;
        }
    }
    sum
}

/// `(e^{kT} - 1) / (kT)`: effective bolus factor of a pure decay.
#[inline]
fn decay_bolus_factor(k: f64, t: f64) -> f64 {
    let x = k * t;
    if x.abs() < 1e-8 { 1.0 + x / 2.0 } else { x.exp_m1() / x }
}

/// Precomputed per-patient propagators.
struct Propagators {
    half_a: [[f64; NA]; NA],
    half_p: [[f64; NP]; NP],
    /// Decay of I and C over a half step, the integrals of the decays, and
    /// the injury gained per unit of C over a half step.
    di: f64,
    dc: f64,
    ii: f64,
    ic: f64,
    jc: f64,
}

/// The fast-state snapshot at one node.
#[derive(Clone, Copy)]
struct Fast {
    xa: [f64; NA],
    xp: [f64; NP],
    i: f64,
    c: f64,
    j: f64,
    /// cumulative integrals of I and C (SAE hazard)
    int_i: f64,
    int_c: f64,
}

impl Fast {
    #[inline]
    fn advance(&self, pr: &Propagators) -> Fast {
        Fast {
            xa: tri_mul(&pr.half_a, &self.xa),
            xp: tri_mul(&pr.half_p, &self.xp),
            i: self.i * pr.di,
            c: self.c * pr.dc,
            j: self.j + pr.jc * self.c,
            int_i: self.int_i + pr.ii * self.i,
            int_c: self.int_c + pr.ic * self.c,
        }
    }
}

/// Simulate with the fast path (falls back to the reference path when the
/// plan has doses off the grid or long infusions).
pub fn simulate_fast(model: &PatientModel, plan: &SimulationPlan, opts: &FastOptions, out: &mut Trajectory) -> Result<(), SolveFailure> {
    let h = opts.step_days;
    let end = plan.end_day;
    let n_steps = (end / h).round() as usize;
    let on_grid = |t: f64| ((t / h) - (t / h).round()).abs() < 1e-9;
    let usable = h > 0.0
        && on_grid(end)
        && (n_steps as f64 * h - end).abs() < 1e-9
        && plan.dose_days.iter().all(|&d| on_grid(d) || d >= end || d < 0.0)
        && model.infusion_days <= 0.5 * h
        && on_grid(HAZARD_GRID_STEP);
    if !usable {
        return crate::model::simulate::simulate_with(model, plan, &opts.fallback, out);
    }
    run(model, plan, h, n_steps, out)
}

fn run(model: &PatientModel, plan: &SimulationPlan, h: f64, n_steps: usize, out: &mut Trajectory) -> Result<(), SolveFailure> {
    let end = plan.end_day;
    let n_grid = end.floor() as usize + 1;
    out.samples.clear();
    out.samples.resize(plan.sample_days.len(), [0.0; N_STATES]);
    out.hazard_grid.clear();
    out.hazard_grid.resize(n_grid, [0.0; 3]);
    out.stats = SolverStats::default();

    let aa = block_a(model);
    let ap = block_p(model);
    let half_a = expm(&scaled(&aa, 0.5 * h));
    let half_p = expm(&scaled(&ap, 0.5 * h));
    let coag = &model.coagulation;
    let ic = -(-coag.k_sustained * 0.5 * h).exp_m1() / coag.k_sustained;
    let pr = Propagators {
        half_a,
        half_p,
        di: (-coag.k_acute * 0.5 * h).exp(),
        dc: (-coag.k_sustained * 0.5 * h).exp(),
        ii: -(-coag.k_acute * 0.5 * h).exp_m1() / coag.k_acute,
        ic,
        jc: coag.injury_rate * ic,
    };
    let sae_thr = hz_sae_parts(model);
    let gd = &model.gdmt;

    let y0 = model.initial_state();
    let mut fast = Fast { xa: [0.0; NA], xp: [0.0; NP], i: 0.0, c: 0.0, j: 0.0, int_i: 0.0, int_c: 0.0 };
    let mut slow = [0.0; NS];
    for (k, &s) in S_IDX.iter().enumerate() {
        slow[k] = y0[s];
    }
    let mut cum_dose = 0.0;
    let mut lam = [0.0f64; 2];

    // Sample handling: sort sample indices by day.
    let mut order: Vec<usize> = (0..plan.sample_days.len()).collect();
    order.sort_by(|&a, &b| plan.sample_days[a].total_cmp(&plan.sample_days[b]));
    let mut next_sample = 0;

    let mut doses: Vec<f64> = plan.dose_days.iter().copied().filter(|&d| d >= 0.0 && d < end).collect();
    doses.sort_by(f64::total_cmp);
    let mut next_dose = 0;

    let mut stats = SolverStats { segments: 1, ..Default::default() };
    let mut prev: Option<(f64, State, State)> = None; // (t, y, dy) after dose at the previous node
    let mut hazard_prev = hazard_rates(model, &slow);
    out.hazard_grid[0] = [0.0, 0.0, 0.0];

    for n in 0..=n_steps {
        let t = n as f64 * h;
        // State at this node (before any dose at t).
        let y = assemble(model, &fast, &slow, &lam, cum_dose, t, &sae_thr);
        if !y.iter().all(|v| v.is_finite()) {
            return Err(SolveFailure::NonFinite { t });
        }
        // Samples in (prev node, t]: exact at the node, interpolated before it.
        let dy = derivative(model, t, &y);
        while next_sample < order.len() {
            let idx = order[next_sample];
            let ts = plan.sample_days[idx].clamp(0.0, end);
            if ts > t + 1e-9 {
                break;
            }
            out.samples[idx] = if (ts - t).abs() <= 1e-9 {
                y
            } else {
                let (t0, y0p, dy0) = prev.as_ref().expect("samples before the first node are at day 0");
                hermite(*t0, y0p, dy0, t, &y, &dy, ts)
            };
            next_sample += 1;
        }
        // Hazard grid (daily): nodes that are whole days.
        let day = t / HAZARD_GRID_STEP;
        if (day - day.round()).abs() < 1e-9 && (day.round() as usize) < n_grid {
            out.hazard_grid[day.round() as usize] = [y[CUM_HAZARD_HFH], y[CUM_HAZARD_DEATH], y[CUM_HAZARD_SAE]];
        }
        if n == n_steps {
            out.final_state = y;
            break;
        }
        // Dose at this node.
        let mut y_after = y;
        let mut dy_after = dy;
        while next_dose < doses.len() && (doses[next_dose] - t).abs() < 1e-9 {
            let d = model.dose_amounts(&y_after);
            apply_dose(model, &aa, &ap, &d, &mut fast);
            cum_dose += d.viable + d.lysed;
            next_dose += 1;
            y_after = assemble(model, &fast, &slow, &lam, cum_dose, t, &sae_thr);
            dy_after = derivative(model, t, &y_after);
        }
        prev = Some((t, y_after, dy_after));

        // One RK4 step of the slow states with exact fast states at t, t+h/2, t+h.
        let f0 = fast;
        let f1 = f0.advance(&pr);
        let f2 = f1.advance(&pr);
        let g0 = gdmt_at(gd, t);
        let g1 = gdmt_at(gd, t + 0.5 * h);
        let g2 = gdmt_at(gd, t + h);
        let k1 = slow_rhs(model, t, &slow, &f0, g0);
        let s2 = add(&slow, &k1, 0.5 * h);
        let k2 = slow_rhs(model, t + 0.5 * h, &s2, &f1, g1);
        let s3 = add(&slow, &k2, 0.5 * h);
        let k3 = slow_rhs(model, t + 0.5 * h, &s3, &f1, g1);
        let s4 = add(&slow, &k3, h);
        let k4 = slow_rhs(model, t + h, &s4, &f2, g2);
        for k in 0..NS {
            slow[k] += h / 6.0 * (k1[k] + 2.0 * k2[k] + 2.0 * k3[k] + k4[k]);
        }
        stats.rhs_evaluations += 4;
        stats.accepted_steps += 1;
        fast = f2;
        let hz_new = hazard_rates(model, &slow);
        lam[0] += 0.5 * h * (hazard_prev.0 + hz_new.0);
        lam[1] += 0.5 * h * (hazard_prev.1 + hz_new.1);
        hazard_prev = hz_new;
    }
    out.stats = stats;
    Ok(())
}

/// SAE hazard parts `(background per day, thrombotic per day per mg/L)`.
fn hz_sae_parts(model: &PatientModel) -> (f64, f64) {
    let (_, _, h0) = model.hazards.rates(0.3, 1500f64.ln(), 0.0);
    let (_, _, h1) = model.hazards.rates(0.3, 1500f64.ln(), 1.0);
    (h0, h1 - h0)
}

/// `(h_HFH, h_death)` per day from the slow state.
#[inline]
fn hazard_rates(model: &PatientModel, slow: &[f64; NS]) -> (f64, f64) {
    let mut y = [0.0; N_STATES];
    y[LV_LOG_EDV] = slow[2];
    y[LV_LOGIT_EF] = slow[3];
    y[RV_LOG_EDV] = slow[4];
    y[RV_LOGIT_EF] = slow[5];
    let v = Ventricles::from_state(&y);
    let (a, b, _) = model.hazards.rates(v.lvef, model.biomarkers.ln_ntprobnp(&v), 0.0);
    (a, b)
}

#[inline]
fn gdmt_at(g: &super::gdmt::Gdmt, t: f64) -> (f64, f64) {
    g.setpoint(t)
}

#[inline]
fn add(s: &[f64; NS], k: &[f64; NS], h: f64) -> [f64; NS] {
    let mut o = *s;
    for i in 0..NS {
        o[i] += h * k[i];
    }
    o
}

/// Right-hand side of the slow states given the fast states.
#[inline]
fn slow_rhs(model: &PatientModel, t: f64, s: &[f64; NS], f: &Fast, gdmt: (f64, f64)) -> [f64; NS] {
    let p = &model.paracrine;
    let s_rv = p.k_transit * f.xp[3];
    let s_lv = p.k_transit * f.xa[7];
    let (g_rv, g_lv) = p.drives(s_rv, s_lv, f.c);
    let mut y = [0.0; N_STATES];
    y[RV_REPAIR] = s[0];
    y[LV_REPAIR] = s[1];
    y[INJURY] = f.j;
    y[GRAFT_MATURE] = f.xa[3];
    let sp = model.remodelling.setpoints(t, &y, gdmt);
    let r = &model.remodelling;
    [
        g_rv * (1.0 - s[0]) - p.k_rv_repair_off * s[0],
        g_lv * (1.0 - s[1]) - p.k_lv_repair_off * s[1],
        r.k_lv * (sp[0] - s[2]),
        r.k_lv * (sp[1] - s[3]),
        r.k_rv * (sp[2] - s[4]),
        r.k_rv * (sp[3] - s[5]),
    ]
}

/// Apply a dose to the fast states (bolus, or the effective bolus of an infusion).
fn apply_dose(model: &PatientModel, aa: &[[f64; NA]; NA], ap: &[[f64; NP]; NP], d: &DoseAmounts, f: &mut Fast) {
    let del = &model.kinetics.delivery;
    let mut va = [0.0; NA];
    va[0] = del.to_lung * d.viable;
    va[1] = del.to_heart * d.viable;
    va[2] = del.to_graft * d.viable;
    va[4] = del.to_debris * d.viable + d.lysed;
    let mut vp = [0.0; NP];
    vp[0] = del.to_lung * d.viable;
    let t = model.infusion_days;
    let coag = &model.coagulation;
    let (ba, bp, fi, fc) = if t > 0.0 {
        (effective_bolus(aa, t, &va), effective_bolus(ap, t, &vp), decay_bolus_factor(coag.k_acute, t), decay_bolus_factor(coag.k_sustained, t))
    } else {
        (va, vp, 1.0, 1.0)
    };
    for i in 0..NA {
        f.xa[i] += ba[i];
    }
    for i in 0..NP {
        f.xp[i] += bp[i];
    }
    f.i += d.acute * fi;
    f.c += d.sustained * fc;
}

/// The full state vector from the blocks.
#[inline]
fn assemble(_model: &PatientModel, f: &Fast, slow: &[f64; NS], lam: &[f64; 2], cum_dose: f64, _t: f64, sae: &(f64, f64)) -> State {
    let mut y = [0.0; N_STATES];
    for (k, &s) in A_IDX.iter().enumerate() {
        y[s] = f.xa[k];
    }
    for (k, &s) in P_IDX.iter().enumerate().skip(1) {
        y[s] = f.xp[k];
    }
    y[IBMIR] = f.i;
    y[SUSTAINED] = f.c;
    y[INJURY] = f.j;
    for (k, &s) in S_IDX.iter().enumerate() {
        y[s] = slow[k];
    }
    y[CLEARED] = (cum_dose - (y[LUNG] + y[HEART] + y[GRAFT] + y[GRAFT_MATURE] + y[DEBRIS])).max(0.0);
    y[CUM_HAZARD_HFH] = lam[0];
    y[CUM_HAZARD_DEATH] = lam[1];
    y[CUM_HAZARD_SAE] = sae.0 * _t + sae.1 * (f.int_i + f.int_c);
    y
}

#[inline]
fn derivative(model: &PatientModel, t: f64, y: &State) -> State {
    let mut dy = [0.0; N_STATES];
    model.rhs(t, y, &mut dy, &InfusionInput::default());
    dy
}

/// Cubic Hermite interpolation between two nodes.
fn hermite(t0: f64, y0: &State, d0: &State, t1: f64, y1: &State, d1: &State, t: f64) -> State {
    let h = t1 - t0;
    let s = (t - t0) / h;
    let (h00, h10, h01, h11) = ((1.0 + 2.0 * s) * (1.0 - s) * (1.0 - s), s * (1.0 - s) * (1.0 - s), s * s * (3.0 - 2.0 * s), s * s * (s - 1.0));
    let mut y = [0.0; N_STATES];
    for i in 0..N_STATES {
        // pure decays (no dose in between) are exact on the log scale
        if (i == IBMIR || i == SUSTAINED) && y0[i] > 0.0 && y1[i] > 0.0 && y1[i] <= y0[i] {
            y[i] = y0[i] * (y1[i] / y0[i]).powf(s);
        } else {
            y[i] = h00 * y0[i] + h10 * h * d0[i] + h01 * y1[i] + h11 * h * d1[i];
        }
    }
    y
}
