//! The fast path: exact linear parts, RK4 only where the model is nonlinear.
//!
//! The model splits into
//! * three linear blocks, `[L, H, G, Gm, D, M1, M2, M3, B, Ab]`, the
//!   pulmonary chain `[L, P1, P2, P3]` and the coagulation block
//!   `[I, C, Injury, Lambda_SAE]`: propagated exactly on a uniform grid with
//!   per-patient matrix exponentials `exp(A h/2)` (computed once per patient),
//!   the matrices `A` probed from the model's own right-hand side
//!   ([`linear_block`]);
//! * the slow nonlinear states `Q, R, yL, zL, yR, zR`: classical RK4 with
//!   step `h`, the fast states known exactly at the stage times, their rates
//!   from the mechanisms' functions (`Paracrine::repair_rates`,
//!   `Remodelling::lv_rates`, `rv_rates`);
//! * HF-hospitalization and death hazards: trapezoidal rule on the grid.
//!
//! An infusion of duration `T` enters as the effective bolus
//! `(1/T) int_0^T exp(-A s) ds b`, exact for every block state (integrals
//! included) from the end of the infusion on. Doses must fall on grid nodes
//! and infusions must end before the next half-step node; otherwise the
//! patient is integrated by the reference path (same equations). States
//! between nodes (visits with a window) come from cubic Hermite
//! interpolation with exact derivatives. Accuracy against tight-tolerance
//! Dopri5 is checked by `tests/fast_path.rs` (tolerances in
//! docs/performance.md).

use super::gdmt::Gdmt;
use super::paracrine::Paracrine;
use super::patient::{DoseAmounts, InfusionInput, PatientModel};
use super::simulate::{HAZARD_GRID_STEP, SimulationPlan, Trajectory};
use super::state::*;
use crate::solver::dopri5::Dopri5;
use crate::solver::{SolveFailure, SolverStats};

/// Options of the fast path.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FastOptions {
    /// Largest RK4 step for the slow states (days); halved (down to a
    /// quarter) until every dose and the end of follow-up fall on the grid.
    /// The linear states are exact whatever the step.
    pub step_days: f64,
    /// Reference integrator for patients the fast path cannot take.
    pub fallback: Dopri5,
}

impl Default for FastOptions {
    fn default() -> Self {
        FastOptions {
            step_days: 2.0,
            fallback: Dopri5::default(),
        }
    }
}

impl FastOptions {
    pub fn describe(&self) -> String {
        format!(
            "fast path: exact linear blocks + RK4 (step {} d) for the slow states; fallback {}",
            self.step_days,
            crate::solver::Integrator::describe(&self.fallback)
        )
    }
}

const NA: usize = 10;
const A_IDX: [usize; NA] = [
    LUNG,
    HEART,
    GRAFT,
    GRAFT_MATURE,
    DEBRIS,
    LV_CHAIN_1,
    LV_CHAIN_2,
    LV_CHAIN_3,
    PRIMING,
    ANTIBODY,
];
const NP: usize = 4;
const P_IDX: [usize; NP] = [LUNG, RV_CHAIN_1, RV_CHAIN_2, RV_CHAIN_3];
/// The coagulation block `[I, C, Injury, Lambda_SAE]` (the SAE hazard is
/// linear in `I + C`, so its cumulative hazard, less the background rate
/// times `t`, belongs to the block).
const NC: usize = 4;
const C_IDX: [usize; NC] = [IBMIR, SUSTAINED, INJURY, CUM_HAZARD_SAE];
const NS: usize = 6;
const S_IDX: [usize; NS] = [
    RV_REPAIR,
    LV_REPAIR,
    LV_LOG_EDV,
    LV_LOGIT_EF,
    RV_LOG_EDV,
    RV_LOGIT_EF,
];

/// The matrix of a linear block, derived from the model's right-hand side
/// (the mechanisms' own equations, `PatientModel::rhs`, on the block rows:
/// its part `PatientModel::linear_rhs`, with no infusion running): column
/// `j` is the derivative of the block's states when state
/// `idx[j]` is 1 and every other state 0. Exact for terms linear in the
/// block's states; the states of [`A_IDX`], [`P_IDX`] and [`C_IDX`] are
/// those whose mechanisms (`kinetics`, `paracrine`'s delay chains, `immune`,
/// `coagulation` and the SAE hazard of `events`) declare them linear, and `tests/fast_path.rs` checks on random states that their rows
/// are linear and depend on nothing else. A block that comes out other than
/// lower triangular sends the patient to the reference integrator.
fn linear_block<const N: usize>(m: &PatientModel, idx: &[usize; N]) -> [[f64; N]; N] {
    let mut a = [[0.0; N]; N];
    let none = InfusionInput::default();
    let mut zero_dy = [0.0; N_STATES];
    m.linear_rhs(&[0.0; N_STATES], &mut zero_dy, &none);
    for (j, &sj) in idx.iter().enumerate() {
        let mut y = [0.0; N_STATES];
        y[sj] = 1.0;
        let mut dy = [0.0; N_STATES];
        m.linear_rhs(&y, &mut dy, &none);
        for (i, &si) in idx.iter().enumerate() {
            a[i][j] = dy[si] - zero_dy[si];
        }
    }
    a
}

/// The state indices of the fast path's linear blocks: `[L, H, G, Gm, D,
/// M1, M2, M3, B, Ab]`, the pulmonary chain `[L, P1, P2, P3]` and the
/// coagulation block `[I, C, Injury, Lambda_SAE]`.
pub const LINEAR_BLOCKS: [&[usize]; 3] = [&A_IDX, &P_IDX, &C_IDX];

/// How far the model's right-hand side at state `y` (no infusion running)
/// is from linear in the states `idx` on their rows: the largest
/// `|f_i(y) - f_i(0) - sum_j a_ij y_j|` over `i` in `idx`, with `a_ij` probed
/// as [`linear_block`] does, relative to the size of the terms. Zero to
/// rounding for each of [`LINEAR_BLOCKS`] when every block state's equation
/// is linear in the block's own states, as its mechanism declares; a
/// mechanism that made a block row nonlinear, or fed it from a state outside
/// the block, shows here (`tests/fast_path.rs`).
pub fn linear_residual(model: &PatientModel, y: &State, idx: &[usize]) -> f64 {
    let none = InfusionInput::default();
    let rhs = |x: &State| {
        let mut f = [0.0; N_STATES];
        model.rhs(0.0, x, &mut f, &none);
        f
    };
    let (f, f0) = (rhs(y), rhs(&[0.0; N_STATES]));
    let columns: Vec<State> = idx
        .iter()
        .map(|&sj| {
            let mut e = [0.0; N_STATES];
            e[sj] = 1.0;
            rhs(&e)
        })
        .collect();
    let mut worst: f64 = 0.0;
    for &si in idx {
        let (mut pred, mut size) = (0.0, f[si].abs());
        for (col, &sj) in columns.iter().zip(idx) {
            let term = (col[si] - f0[si]) * y[sj];
            pred += term;
            size += term.abs();
        }
        worst = worst.max((f[si] - f0[si] - pred).abs() / size.max(1e-300));
    }
    worst
}

/// The matrices of the three linear blocks of one patient.
struct Blocks {
    a: [[f64; NA]; NA],
    p: [[f64; NP]; NP],
    c: [[f64; NC]; NC],
}

impl Blocks {
    fn of(model: &PatientModel) -> Blocks {
        Blocks {
            a: linear_block(model, &A_IDX),
            p: linear_block(model, &P_IDX),
            c: linear_block(model, &C_IDX),
        }
    }

    fn lower_triangular(&self) -> bool {
        is_lower_triangular(&self.a) && is_lower_triangular(&self.p) && is_lower_triangular(&self.c)
    }
}

/// The fastest rate of the patient's linear blocks (1/day): the largest
/// `|a_ii|` of the probed matrices (their eigenvalues, the blocks being
/// lower triangular). How quickly the cells, signals and procoagulant
/// states can change after a dose.
pub fn fastest_linear_rate(model: &PatientModel) -> f64 {
    fn largest<const N: usize>(a: &[[f64; N]; N]) -> f64 {
        (0..N).map(|i| a[i][i].abs()).fold(0.0, f64::max)
    }
    let b = Blocks::of(model);
    largest(&b.a).max(largest(&b.p)).max(largest(&b.c))
}

/// Whether a block matrix is lower triangular (the propagators assume it:
/// cells and signals flow one way along the chains).
fn is_lower_triangular<const N: usize>(a: &[[f64; N]; N]) -> bool {
    (0..N).all(|i| (i + 1..N).all(|j| a[i][j] == 0.0))
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

/// Exact propagators `exp(A step/2)` and `exp(A step)` of the linear block
/// (`_a`), the pulmonary chain (`_p`) and the coagulation block (`_c`),
/// computed once per patient.
struct LinearPropagators {
    half_a: [[f64; NA]; NA],
    full_a: [[f64; NA]; NA],
    half_p: [[f64; NP]; NP],
    full_p: [[f64; NP]; NP],
    half_c: [[f64; NC]; NC],
    full_c: [[f64; NC]; NC],
}

impl LinearPropagators {
    /// Over `step` days; the linear and coagulation blocks only
    /// `with_blocks` (left zero otherwise, for callers that need the
    /// pulmonary chain alone).
    fn new(b: &Blocks, step: f64, with_blocks: bool) -> Self {
        fn halves<const N: usize>(a: &[[f64; N]; N], step: f64, on: bool) -> [[[f64; N]; N]; 2] {
            if on {
                let half = expm_lower(&scaled(a, 0.5 * step));
                [half, square_lower(&half)]
            } else {
                [[[0.0; N]; N]; 2]
            }
        }
        let [half_a, full_a] = halves(&b.a, step, with_blocks);
        let [half_p, full_p] = halves(&b.p, step, true);
        let [half_c, full_c] = halves(&b.c, step, with_blocks);
        LinearPropagators {
            half_a,
            full_a,
            half_p,
            full_p,
            half_c,
            full_c,
        }
    }

    /// The same over twice the step (squaring).
    fn double(&mut self) {
        self.half_a = self.full_a;
        self.half_p = self.full_p;
        self.half_c = self.full_c;
        self.full_a = square_lower(&self.full_a);
        self.full_p = square_lower(&self.full_p);
        self.full_c = square_lower(&self.full_c);
    }
}

/// The fast-state snapshot at one node.
#[derive(Clone, Copy)]
struct Fast {
    xa: [f64; NA],
    xp: [f64; NP],
    /// `[I, C, Injury, Lambda_SAE - background t]`
    xc: [f64; NC],
}

/// What the slow states need from the fast ones: the repair drives (per
/// day) from the delay chains' outputs and the sustained procoagulant
/// activity, the mature graft and the microvascular injury.
#[derive(Clone, Copy)]
struct Drivers {
    g_rv: f64,
    g_lv: f64,
    gm: f64,
    j: f64,
}

impl Drivers {
    #[inline]
    fn new(p: &Paracrine, p3: f64, m3: f64, c: f64, gm: f64, j: f64) -> Drivers {
        let (g_rv, g_lv) = p.drives_from_chains(p3, m3, c);
        Drivers { g_rv, g_lv, gm, j }
    }
}

#[inline]
fn row<const N: usize>(m: &[[f64; N]; N], i: usize, x: &[f64; N]) -> f64 {
    let mut s = 0.0;
    for j in 0..=i {
        s += m[i][j] * x[j];
    }
    s
}

impl Fast {
    #[inline]
    fn drivers(&self, p: &Paracrine) -> Drivers {
        Drivers::new(
            p, self.xp[3], self.xa[7], self.xc[1], self.xa[3], self.xc[2],
        )
    }

    /// The drivers half a step ahead (only the rows that are needed).
    #[inline]
    fn midpoint(&self, p: &Paracrine, pr: &LinearPropagators) -> Drivers {
        Drivers::new(
            p,
            row(&pr.half_p, 3, &self.xp),
            row(&pr.half_a, 7, &self.xa),
            row(&pr.half_c, 1, &self.xc),
            row(&pr.half_a, 3, &self.xa),
            row(&pr.half_c, 2, &self.xc),
        )
    }

    /// A full step ahead.
    #[inline]
    fn step(&self, pr: &LinearPropagators) -> Fast {
        Fast {
            xa: tri_mul(&pr.full_a, &self.xa),
            xp: tri_mul(&pr.full_p, &self.xp),
            xc: tri_mul(&pr.full_c, &self.xc),
        }
    }

    /// Half a step ahead.
    #[inline]
    fn half_step(&self, pr: &LinearPropagators) -> Fast {
        Fast {
            xa: tri_mul(&pr.half_a, &self.xa),
            xp: tri_mul(&pr.half_p, &self.xp),
            xc: tri_mul(&pr.half_c, &self.xc),
        }
    }
}

/// Simulate with the fast path (falls back to the reference path when the
/// plan has doses off the grid or long infusions).
pub fn simulate_fast(
    model: &PatientModel,
    plan: &SimulationPlan,
    opts: &FastOptions,
    out: &mut Trajectory,
) -> Result<(), SolveFailure> {
    let end = plan.end_day;
    let fits = |h: f64| {
        let on_grid = |t: f64| ((t / h) - (t / h).round()).abs() < 1e-9;
        h > 0.0
            && end >= h
            && on_grid(end)
            && plan
                .dose_days
                .iter()
                .all(|&d| on_grid(d) || d >= end || d < 0.0)
            && model.infusion_days <= 0.5 * h
            && h * slow_stiffness(model) <= MAX_SLOW_STEP_RATE
    };
    let Some(h) = [opts.step_days, opts.step_days / 2.0, opts.step_days / 4.0]
        .into_iter()
        .find(|&h| fits(h))
    else {
        return crate::model::simulate::simulate_with(model, plan, &opts.fallback, out);
    };
    let n_steps = (end / h).round() as usize;
    if model.dose <= 0.0 || plan.dose_days.iter().all(|&d| d < 0.0 || d >= end) {
        // every state is in closed form: the step only sets the quadrature
        // of the hazards, which are smooth (no doses)
        let mut hc = h;
        while 2.0 * hc <= CELL_FREE_STEP
            && ((end / (2.0 * hc)) - (end / (2.0 * hc)).round()).abs() < 1e-9
        {
            hc *= 2.0;
        }
        return run_cell_free(model, plan, hc, (end / hc).round() as usize, out);
    }
    let blocks = Blocks::of(model);
    if !blocks.lower_triangular() {
        return crate::model::simulate::simulate_with(model, plan, &opts.fallback, out);
    }
    run(model, plan, &blocks, h, n_steps, out)
}

/// Largest step of a patient given no cells (days): only the quadrature of
/// the hazards depends on it.
const CELL_FREE_STEP: f64 = 8.0;

/// Largest rate × step at which the repair states are left to the common RK4
/// step; above it they are substepped (`stiff_repair`).
const MAX_REPAIR_STEP_RATE: f64 = 1.0;
/// Largest rate × substep of the repair substeps (measured on
/// `tests/fast_path.rs`'s strong responders: worst relative difference
/// 2.7e-7 at 0.5, 2.3e-6 at 1.0).
const REPAIR_SUBSTEP_RATE: f64 = 1.0;
/// Rate × step of the RV repair state above which RK4 is no longer stable
/// enough to take the step whatever the state (its stability bound is 2.79).
const REPAIR_STABLE_RATE: f64 = 2.5;
/// Rate × step below which RK4 takes the RV repair state accurately, even
/// at the onset after a dose (measured: 0.03 keeps the worst relative
/// difference of every regimen in `tests/fast_path.rs` where it was with
/// substeps throughout; 0.1 doubles it for strong responders; 0.3 fails).
const REPAIR_ACCURATE_RATE: f64 = 0.03;
/// Distance of the RV repair state from its quasi-equilibrium below which the
/// common RK4 step follows it accurately at any stable rate × step
/// (measured: unchanged worst differences up to 1e-2; 1e-1 fails).
const REPAIR_EQUILIBRIUM: f64 = 1e-3;

/// Whether the RV repair state needs substeps over a step: its equation
/// `q' = g (1 - q) - k_off q` relaxes at rate `g + k_off` towards
/// `g / (g + k_off)`; one RK4 step is enough while that rate × step is small,
/// or, up to RK4's stability bound, while `q` already sits at its
/// quasi-equilibrium for the drives `g` at the step's stage times (the
/// saturated plateau after the onset, and the slow decay afterwards).
#[inline]
fn rv_needs_substeps(k_off: f64, q: f64, g: &[(f64, f64); 3], h: f64) -> bool {
    let rate = g[0].0.max(g[1].0).max(g[2].0) + k_off;
    if rate * h <= REPAIR_ACCURATE_RATE {
        return false;
    }
    if rate * h > REPAIR_STABLE_RATE {
        return true;
    }
    g.iter().any(|&(g_rv, _)| {
        let equilibrium = g_rv / (g_rv + k_off);
        (q - equilibrium).abs() > REPAIR_EQUILIBRIUM
    })
}

/// Substeps for the repair states of strong responders: their equations
/// `q' = g(t) (1 - q) - k_off q` depend on no other slow state, only on the
/// drive `g` from the fast states, so they can be advanced first, by RK4
/// substeps of rate × substep at most [`REPAIR_SUBSTEP_RATE`] with the fast
/// states propagated exactly to every substep point (propagators for the
/// substep and its half, computed once per patient), and their values given
/// to the RK4 stages of the other slow states.
struct RepairSubsteps {
    dt: f64,
    /// `[rv, lv]`: which repair states are substepped.
    stiff: [bool; 2],
    /// Over the substep; the linear block only drives LV repair, so it is
    /// propagated only when that is stiff.
    lin: LinearPropagators,
    /// `exp(-mu dt / 2)` of the GDMT set point.
    e_half: f64,
    form: (f64, f64, f64, f64),
}

/// The drives of the substepped states at one time.
#[derive(Clone, Copy)]
struct RepairDrive {
    t: f64,
    g_rv: f64,
    g_lv: f64,
    /// GDMT set point of logit EF
    g_ef: f64,
}

/// Where the substeps are within a step: the fast states needed for the
/// drives, and the repair states with their rates of change.
#[derive(Clone, Copy)]
struct RepairPoint {
    xa: [f64; NA],
    xp: [f64; NP],
    xc: [f64; NC],
    /// Time (day) and `exp(-mu t)` of the GDMT set point.
    t: f64,
    e: f64,
    /// RV repair, LV repair, RV log EDV, RV logit EF.
    q: [f64; 4],
    dq: [f64; 4],
}

impl RepairSubsteps {
    fn new(model: &PatientModel, blocks: &Blocks, h: f64) -> Option<RepairSubsteps> {
        let p = &model.paracrine;
        let rates = p.repair_rate_bounds();
        // RV repair may need substeps in any patient with a drive: its onset
        // after a dose (the delay chain's output rising like t^3, saturating
        // within days in strong responders) can be too sharp for one RK4 step
        // of the slow states (`rv_needs_substeps` decides step by step). LV
        // repair is slow (emax 0.002/day) unless stiff.
        let stiff = [p.can_drive_rv_repair(), rates[1] * h > MAX_REPAIR_STEP_RATE];
        if !stiff[0] && !stiff[1] {
            return None;
        }
        let used = if stiff[1] {
            rates[0].max(rates[1])
        } else {
            rates[0]
        };
        let per_half = (used * 0.5 * h / REPAIR_SUBSTEP_RATE).ceil().max(1.0);
        let dt = 0.5 * h / per_half;
        Some(RepairSubsteps {
            dt,
            stiff,
            lin: LinearPropagators::new(blocks, dt, stiff[1]),
            e_half: (-model.gdmt.onset_rate() * 0.5 * dt).exp(),
            form: model.gdmt.exponential_form(),
        })
    }

    /// What the substepped states' equations need at time `t`: drives from
    /// `p3`, `m3`, `c` and the GDMT set point at `e = exp(-mu t)`.
    #[inline]
    fn drive(&self, model: &PatientModel, t: f64, e: f64, p3: f64, m3: f64, c: f64) -> RepairDrive {
        let (g_rv, g_lv) = model.paracrine.drives_from_chains(p3, m3, c);
        RepairDrive {
            t,
            g_rv,
            g_lv,
            g_ef: Gdmt::setpoint_from_form(&self.form, e).0,
        }
    }

    /// Rates of change of the substepped states (the same equations as
    /// `slow_rhs`).
    #[inline]
    fn rates(model: &PatientModel, d: &RepairDrive, q: [f64; 4]) -> [f64; 4] {
        let (dq, dr) = model.paracrine.repair_rates(d.g_rv, d.g_lv, q[0], q[1]);
        let (dy, dz) = model.remodelling.rv_rates(d.t, q[0], d.g_ef, q[2], q[3]);
        [dq, dr, dy, dz]
    }

    fn start(
        &self,
        model: &PatientModel,
        t: f64,
        e: f64,
        f: &Fast,
        slow: &[f64; NS],
    ) -> RepairPoint {
        let q = [slow[0], slow[1], slow[4], slow[5]];
        RepairPoint {
            xa: f.xa,
            xp: f.xp,
            xc: f.xc,
            t,
            e,
            q,
            dq: Self::rates(
                model,
                &self.drive(model, t, e, f.xp[3], f.xa[7], f.xc[1]),
                q,
            ),
        }
    }

    /// One RK4 substep, in place (the LV and coagulation blocks are
    /// propagated only when the LV repair state is stiff: only its drive
    /// depends on them).
    fn substep(&self, model: &PatientModel, a: &mut RepairPoint) {
        let dt = self.dt;
        let lv = self.stiff[1];
        let p3_half = row(&self.lin.half_p, 3, &a.xp);
        let (m3_half, c_half) = if lv {
            (
                row(&self.lin.half_a, 7, &a.xa),
                row(&self.lin.half_c, 1, &a.xc),
            )
        } else {
            (0.0, 0.0)
        };
        a.xp = tri_mul(&self.lin.full_p, &a.xp);
        if lv {
            a.xa = tri_mul(&self.lin.full_a, &a.xa);
            a.xc = tri_mul(&self.lin.full_c, &a.xc);
        }
        let c = a.xc[1];
        let (t_half, t) = (a.t + 0.5 * dt, a.t + dt);
        let (e_half, e) = (a.e * self.e_half, a.e * self.e_half * self.e_half);
        let stage = |q: [f64; 4], k: [f64; 4], w: f64| std::array::from_fn(|j| q[j] + w * k[j]);
        let k1 = a.dq;
        let half = self.drive(model, t_half, e_half, p3_half, m3_half, c_half);
        let k2 = Self::rates(model, &half, stage(a.q, k1, 0.5 * dt));
        let k3 = Self::rates(model, &half, stage(a.q, k2, 0.5 * dt));
        let m3 = if lv { a.xa[7] } else { 0.0 };
        let end = self.drive(model, t, e, a.xp[3], m3, c);
        let k4 = Self::rates(model, &end, stage(a.q, k3, dt));
        for j in 0..4 {
            a.q[j] += dt / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j]);
        }
        a.t = t;
        a.e = e;
        a.dq = Self::rates(model, &end, a.q);
    }

    /// Advance the repair states `span` days from `x`, in place (whole
    /// substeps, then a cubic Hermite between the last two substep points for
    /// any remainder).
    fn advance(&self, model: &PatientModel, x: &mut RepairPoint, span: f64) {
        let n = (span / self.dt + 1e-9).floor() as usize;
        for _ in 0..n {
            self.substep(model, x);
        }
        let rest = span - n as f64 * self.dt;
        if rest <= 1e-12 * self.dt.max(1.0) {
            return;
        }
        let mut y = *x;
        self.substep(model, &mut y);
        let s = rest / self.dt;
        for j in 0..4 {
            x.q[j] = (1.0 + 2.0 * s) * (1.0 - s) * (1.0 - s) * x.q[j]
                + s * (1.0 - s) * (1.0 - s) * self.dt * x.dq[j]
                + s * s * (3.0 - 2.0 * s) * y.q[j]
                + s * s * (s - 1.0) * self.dt * y.dq[j];
        }
    }
}

/// The substepped states over one step: values at mid-step and end of
/// step, to overwrite the RK4 stages with.
#[derive(Clone, Copy, Default)]
struct StiffRepair {
    /// `[mid, end]` of RV repair, LV repair, RV log EDV, RV logit EF.
    values: Option<[[f64; 4]; 2]>,
    /// RV block (RV repair, RV log EDV, RV logit EF), LV repair.
    stiff: [bool; 2],
}

/// Slow-state index of each substepped state, and which block it is in.
const SUBSTEPPED: [(usize, usize); 4] = [(0, 0), (1, 1), (4, 0), (5, 0)];

impl StiffRepair {
    /// Overwrite the repair states of a stage vector with their values at
    /// stage `k` (1: mid-step, 2: end of step).
    #[inline]
    fn set(&self, s: &mut [f64; NS], k: usize) {
        if let Some(v) = self.values {
            for (j, &(i, block)) in SUBSTEPPED.iter().enumerate() {
                if self.stiff[block] {
                    s[i] = v[k - 1][j];
                }
            }
        }
    }
}

/// Advance the stiff repair states over a step of `h` days from `fast`, if
/// the drives make them stiff during this step.
#[allow(clippy::too_many_arguments)]
fn stiff_repair(
    model: &PatientModel,
    sub: Option<&RepairSubsteps>,
    h: f64,
    t: f64,
    e: f64,
    fast: &Fast,
    d: &[Drivers; 3],
    slow: &[f64; NS],
) -> StiffRepair {
    let Some(sub) = sub else {
        return StiffRepair::default();
    };
    let off = model.paracrine.repair_off_rates();
    let g: [(f64, f64); 3] = std::array::from_fn(|i| (d[i].g_rv, d[i].g_lv));
    let stiff = [
        sub.stiff[0] && rv_needs_substeps(off[0], slow[0], &g, h),
        sub.stiff[1] && (g[0].1.max(g[1].1).max(g[2].1) + off[1]) * h > MAX_REPAIR_STEP_RATE,
    ];
    if !stiff[0] && !stiff[1] {
        return StiffRepair::default();
    }
    let mut x = sub.start(model, t, e, fast, slow);
    sub.advance(model, &mut x, 0.5 * h);
    let mid = x.q;
    sub.advance(model, &mut x, 0.5 * h);
    StiffRepair {
        values: Some([mid, x.q]),
        stiff,
    }
}

/// Largest step × rate the RK4 step of the slow states is allowed. RK4 is
/// stable up to 2.79; at 1.5 the fast path stays within its tolerance
/// (measured without the guard: relative 5.6e-5 on RV volumes at rate × step
/// 1.4, 2.2e-4 at 4.0, divergence at 6.0). Patients above it take a smaller step or, beyond a
/// quarter step, the reference integrator.
const MAX_SLOW_STEP_RATE: f64 = 1.5;

/// Largest rate (1/day) of the slow equations the common RK4 step must take:
/// the remodelling relaxation and the decay of repair (the onset of repair,
/// up to `emax` in strong responders, is substepped by `stiff_repair`).
fn slow_stiffness(model: &PatientModel) -> f64 {
    let [q, r] = model.paracrine.repair_off_rates();
    q.max(r).max(model.remodelling.largest_rate())
}

/// A patient given no cells: no repair, no injury, no procoagulant activity;
/// the remodelling equations have a closed-form solution (GDMT lag and
/// progression), and only the hazards are integrated.
/// The cumulative heart-failure hazards `[HFH, death]` at one node of the
/// fast path's grid, with their rates and the rates' log-slope.
#[derive(Debug, Clone, Copy)]
struct HazardNode {
    t: f64,
    lam: [f64; 2],
    hz: (f64, f64),
    slope: f64,
}

impl HazardNode {
    /// The node a step `h` later at `t`, with rates `hz` and log-slope
    /// `slope` there: the trapezoid with the Hermite end correction (fourth
    /// order), h' = h (d log h / dt).
    #[inline]
    fn next(&self, t: f64, h: f64, hz: (f64, f64), slope: f64) -> HazardNode {
        let corr = h * h / 12.0;
        let (l, p, q) = (self.lam, self.hz, self.slope);
        HazardNode {
            t,
            lam: [
                l[0] + 0.5 * h * (p.0 + hz.0) + corr * (p.0 * q - hz.0 * slope),
                l[1] + 0.5 * h * (p.1 + hz.1) + corr * (p.1 * q - hz.1 * slope),
            ],
            hz,
            slope,
        }
    }

    /// The cumulative hazards at `td` between this node and `to`, a step `h`
    /// apart: cubic Hermite with the rates as derivatives.
    #[inline]
    fn between(&self, to: &HazardNode, td: f64, h: f64) -> [f64; 2] {
        let s = (td - self.t) / h;
        [
            hermite(s, h, self.lam[0], self.hz.0, to.lam[0], to.hz.0),
            hermite(s, h, self.lam[1], self.hz.1, to.lam[1], to.hz.1),
        ]
    }
}

/// Cubic Hermite interpolation at `s` in [0, 1] of a step `h` from `a`
/// (derivative `da`) to `b` (derivative `db`).
#[inline]
fn hermite(s: f64, h: f64, a: f64, da: f64, b: f64, db: f64) -> f64 {
    (1.0 + 2.0 * s) * (1.0 - s) * (1.0 - s) * a
        + s * (1.0 - s) * (1.0 - s) * h * da
        + s * s * (3.0 - 2.0 * s) * b
        + s * s * (s - 1.0) * h * db
}

/// Fill the daily cumulative-hazard grid in `(prev.t, now.t]` (days from
/// `*next_day` on): HFH and death at the node exactly and Hermite between
/// nodes, the SAE column from `sae(day, at_node)`.
fn fill_hazard_grid(
    grid: &mut [[f64; 3]],
    next_day: &mut usize,
    prev: &HazardNode,
    now: &HazardNode,
    h: f64,
    mut sae: impl FnMut(f64, bool) -> f64,
) {
    while *next_day < grid.len() && (*next_day as f64) * HAZARD_GRID_STEP <= now.t + 1e-9 {
        let td = *next_day as f64 * HAZARD_GRID_STEP;
        let at_node = (td - now.t).abs() <= 1e-9;
        let l = if at_node {
            now.lam
        } else {
            prev.between(now, td, h)
        };
        grid[*next_day] = [l[0], l[1], sae(td, at_node)];
        *next_day += 1;
    }
}

fn run_cell_free(
    model: &PatientModel,
    plan: &SimulationPlan,
    h: f64,
    n_steps: usize,
    out: &mut Trajectory,
) -> Result<(), SolveFailure> {
    let end = plan.end_day;
    let n_grid = end.floor() as usize + 1;
    out.samples.clear();
    out.samples.resize(plan.sample_days.len(), [0.0; N_STATES]);
    out.hazard_grid.clear();
    out.hazard_grid.resize(n_grid, [0.0; 3]);
    let mu = model.gdmt.onset_rate();
    let y0 = model.initial_state();
    let [lv_edv, lv_ef, rv_edv, rv_ef] = model.remodelling.cell_free_solution(
        model.gdmt.exponential_form(),
        mu,
        [
            y0[LV_LOG_EDV],
            y0[LV_LOGIT_EF],
            y0[RV_LOG_EDV],
            y0[RV_LOGIT_EF],
        ],
    );
    let slow_at = |t: f64| -> ([f64; NS], [f64; NS]) {
        let (a, da) = lv_edv.at(t);
        let (b, db) = lv_ef.at(t);
        let (e, de) = rv_edv.at(t);
        let (f, df) = rv_ef.at(t);
        ([0.0, 0.0, a, b, e, f], [0.0, 0.0, da, db, de, df])
    };
    // node values by recurrence: exp(-k_LV t), exp(-k_RV t), exp(-mu t)
    let (step_lv, step_rv, step_mu) = (
        (-lv_edv.rate() * h).exp(),
        (-rv_edv.rate() * h).exp(),
        (-mu * h).exp(),
    );
    let (mut e_lv, mut e_rv, mut e_mu) = (1.0f64, 1.0f64, 1.0f64);
    let (sae_bg, _) = model.hazards.sae_parts();
    let (s0, d0) = slow_at(0.0);
    let (hz0, slope0) = hazard_rates(model, &s0, &d0);
    let mut prev = HazardNode {
        t: 0.0,
        lam: [0.0; 2],
        hz: hz0,
        slope: slope0,
    };
    // daily grid and node values of the cumulative hazards
    out.hazard_grid[0] = [0.0, 0.0, 0.0];
    let mut next_grid_day = 1usize;
    let order = SampleOrder::new(plan.sample_days);
    let mut next_sample = 0;
    for n in 1..=n_steps {
        let t = n as f64 * h;
        e_lv *= step_lv;
        e_rv *= step_rv;
        e_mu *= step_mu;
        let (a, da) = lv_edv.at_with(t, e_lv, e_mu);
        let (b, db) = lv_ef.at_with(t, e_lv, e_mu);
        let (e, de) = rv_edv.at_with(t, e_rv, e_mu);
        let (f, df) = rv_ef.at_with(t, e_rv, e_mu);
        let (s1, d1) = ([0.0, 0.0, a, b, e, f], [0.0, 0.0, da, db, de, df]);
        let (hz, slope) = hazard_rates(model, &s1, &d1);
        if !(hz.0.is_finite() && hz.1.is_finite()) {
            return Err(SolveFailure::NonFinite { t });
        }
        let now = prev.next(t, h, hz, slope);
        fill_hazard_grid(
            &mut out.hazard_grid,
            &mut next_grid_day,
            &prev,
            &now,
            h,
            |td, _| sae_bg * td,
        );
        while next_sample < order.len() {
            let idx = order.get(next_sample);
            let ts = plan.sample_days[idx].clamp(0.0, end);
            if ts > t + 1e-9 {
                break;
            }
            let l = if ts <= prev.t + 1e-12 {
                prev.lam
            } else if (ts - t).abs() <= 1e-9 {
                now.lam
            } else {
                prev.between(&now, ts, h)
            };
            out.samples[idx] = cell_free_state(&y0, &slow_at(ts).0, l, sae_bg * ts);
            next_sample += 1;
        }
        prev = now;
    }
    // samples at day 0 are handled in the loop (ts <= prev.t); anything left is at the end
    while next_sample < order.len() {
        let idx = order.get(next_sample);
        out.samples[idx] = cell_free_state(&y0, &slow_at(end).0, prev.lam, sae_bg * end);
        next_sample += 1;
    }
    out.final_state = cell_free_state(&y0, &slow_at(end).0, prev.lam, sae_bg * end);
    out.stats = SolverStats {
        rhs_evaluations: 0,
        accepted_steps: n_steps as u64,
        rejected_steps: 0,
        segments: 1,
    };
    Ok(())
}

fn cell_free_state(y0: &State, slow: &[f64; NS], lam: [f64; 2], sae: f64) -> State {
    let mut y = [0.0; N_STATES];
    y[LV_LOG_EDV] = slow[2];
    y[LV_LOGIT_EF] = slow[3];
    y[RV_LOG_EDV] = slow[4];
    y[RV_LOGIT_EF] = slow[5];
    let _ = y0;
    y[CUM_HAZARD_HFH] = lam[0];
    y[CUM_HAZARD_DEATH] = lam[1];
    y[CUM_HAZARD_SAE] = sae;
    y
}

/// Hazards `(h_HFH, h_death)` per day and the rate of change of their log,
/// from the slow states and their derivatives.
#[inline]
fn hazard_rates(model: &PatientModel, slow: &[f64; NS], ds: &[f64; NS]) -> ((f64, f64), f64) {
    // LVEF = logistic(zL); ln LVESV = yL + ln(1 - LVEF) = yL - ln(1 + e^zL)
    let ez = slow[3].exp();
    let lvef = ez / (1.0 + ez);
    let ln_lvesv = slow[2] - (1.0 + ez).ln();
    let b = &model.biomarkers;
    let ln_np = b.ln_ntprobnp_from_logs(ln_lvesv, slow[4]);
    let dlvef = lvef * (1.0 - lvef) * ds[3];
    let dln_np = b.ln_ntprobnp_rate(ds[2] - lvef * ds[3], ds[4]);
    (
        model.hazards.hfh_and_death(lvef, ln_np),
        model.hazards.log_hazard_slope(dlvef, dln_np),
    )
}

/// Sample indices in day order; no allocation when the days are already
/// sorted (visits always are), so the patient loop allocates nothing.
struct SampleOrder {
    n: usize,
    perm: Option<Vec<usize>>,
}

impl SampleOrder {
    fn new(days: &[f64]) -> SampleOrder {
        let perm = if days.windows(2).all(|w| w[0] <= w[1]) {
            None
        } else {
            let mut order: Vec<usize> = (0..days.len()).collect();
            order.sort_by(|&a, &b| days[a].total_cmp(&days[b]));
            Some(order)
        };
        SampleOrder {
            n: days.len(),
            perm,
        }
    }

    #[inline]
    fn len(&self) -> usize {
        self.n
    }

    #[inline]
    fn get(&self, k: usize) -> usize {
        match &self.perm {
            Some(p) => p[k],
            None => k,
        }
    }
}

/// Largest step of the tail, once the doses' cells and signals are gone (days).
const MAX_TAIL_STEP: f64 = 8.0;

/// The fast path's previous node: what a sample inside the step after it
/// is interpolated from (after that node's doses).
struct PreviousNode {
    /// `exp(-mu t)` of the GDMT onset.
    e: f64,
    fast: Fast,
    slow: [f64; NS],
    /// The RK4 stages of the step from this node.
    stages: [[f64; NS]; 4],
    /// Cells given so far.
    cum: f64,
    hazards: HazardNode,
}

impl PreviousNode {
    /// The state at `ts` inside the step from this node to `now`: the linear
    /// blocks propagated exactly, the slow states by the RK4 step's
    /// continuous extension (third order, from the mid-step stages) or, where
    /// the repair states were stiff, by their substeps (`repair`), the
    /// cumulative hazards by Hermite.
    #[allow(clippy::too_many_arguments)]
    fn state_at(
        &self,
        model: &PatientModel,
        blocks: &Blocks,
        pr: &LinearPropagators,
        pr_step: f64,
        repair: Option<&RepairSubsteps>,
        last_repair: &StiffRepair,
        now: &HazardNode,
        ts: f64,
        sae_bg: f64,
    ) -> State {
        let prev_t = self.hazards.t;
        let dt = ts - prev_t;
        let hs = now.t - prev_t;
        let s = dt / hs;
        let (b1, b23, b4) = (
            s - 1.5 * s * s + 2.0 / 3.0 * s * s * s,
            s * s - 2.0 / 3.0 * s * s * s,
            -0.5 * s * s + 2.0 / 3.0 * s * s * s,
        );
        let st = &self.stages;
        let mut slow_s = [0.0; NS];
        for k in 0..NS {
            slow_s[k] =
                self.slow[k] + hs * (b1 * st[0][k] + b23 * (st[1][k] + st[2][k]) + b4 * st[3][k]);
        }
        if let Some(sub) = repair {
            let mut x = sub.start(model, prev_t, self.e, &self.fast, &self.slow);
            sub.advance(model, &mut x, dt);
            for (j, &(i, block)) in SUBSTEPPED.iter().enumerate() {
                if last_repair.stiff[block] {
                    slow_s[i] = x.q[j];
                }
            }
        }
        let lam_s = self.hazards.between(now, ts, hs);
        // half a step past the node (e.g. visits on odd days with a 2-day
        // step): the half-step propagators are exact already
        let fast_s = if (dt - 0.5 * pr_step).abs() < 1e-12 {
            self.fast.half_step(pr)
        } else {
            propagate_exact(blocks, &self.fast, dt)
        };
        assemble(&fast_s, &slow_s, &lam_s, self.cum, ts, sae_bg)
    }
}

fn run(
    model: &PatientModel,
    plan: &SimulationPlan,
    blocks: &Blocks,
    h0: f64,
    _n_steps: usize,
    out: &mut Trajectory,
) -> Result<(), SolveFailure> {
    let mut h = h0;
    let end = plan.end_day;
    let n_grid = end.floor() as usize + 1;
    out.samples.clear();
    out.samples.resize(plan.sample_days.len(), [0.0; N_STATES]);
    out.hazard_grid.clear();
    out.hazard_grid.resize(n_grid, [0.0; 3]);

    let mut pr = LinearPropagators::new(blocks, h, true);
    let substeps = RepairSubsteps::new(model, blocks, h);
    let (sae_bg, _) = model.hazards.sae_parts();
    let form = model.gdmt.exponential_form();
    let mut half_decay = (-model.gdmt.onset_rate() * 0.5 * h).exp();
    let tail_stiffness = slow_stiffness(model);
    // Cells and chain signals below this (1e-3 of the EC50s) no longer need
    // the 2-day step: they still drive the slow states, exactly propagated,
    // through the RK4 stages of the longer tail steps (1e-6 and 1e-3 give the
    // same worst differences in tests/fast_path.rs; 1e-3 saves 15% of the
    // steps of a PRIME patient).
    let negligible = model.paracrine.chain_content_for_signal(1e-3);

    let y0 = model.initial_state();
    let mut fast = Fast {
        xa: [0.0; NA],
        xp: [0.0; NP],
        xc: [0.0; NC],
    };
    let mut slow = [0.0; NS];
    for (k, &s) in S_IDX.iter().enumerate() {
        slow[k] = y0[s];
    }
    let mut cum_dose = 0.0;
    let mut lam = [0.0f64; 2];
    let mut e_gdmt = 1.0; // exp(-mu t)

    // Samples sorted by day; doses on the grid.
    let order = SampleOrder::new(plan.sample_days);
    let mut next_sample = 0;
    let mut next_dose = 0;
    let sorted_doses: Vec<f64>;
    let dose_days: &[f64] = if plan.dose_days.windows(2).all(|w| w[0] <= w[1]) {
        plan.dose_days
    } else {
        sorted_doses = {
            let mut v = plan.dose_days.to_vec();
            v.sort_by(f64::total_cmp);
            v
        };
        &sorted_doses
    };
    let mut next_grid_day = 0usize;
    let mut stats = SolverStats {
        segments: 1,
        ..Default::default()
    };

    // Previous node: time, post-dose state pieces, hazards (for Hermite).
    let mut last_repair = StiffRepair::default();
    let mut prev = PreviousNode {
        e: 1.0,
        fast,
        slow,
        stages: [[0.0; NS]; 4],
        cum: cum_dose,
        hazards: HazardNode {
            t: 0.0,
            lam,
            hz: (0.0, 0.0),
            slope: 0.0,
        },
    };

    let mut day_propagators = DayPropagators::default();
    let mut t = 0.0f64;
    let mut first = true;
    let para = &model.paracrine;
    let mut carried: Option<Drivers> = None;
    // Full step that `pr` propagates over.
    let mut pr_step = h;
    loop {
        let g0 = Gdmt::setpoint_from_form(&form, e_gdmt);
        // the drivers at a node are those at the end of the step to it
        let mut dr0 = match carried {
            Some(d) => d,
            None => fast.drivers(para),
        };
        let k1 = slow_rhs(model, t, &slow, &dr0, g0);
        let (hz, slope) = hazard_rates(model, &slow, &k1);
        if !(slow.iter().all(|v| v.is_finite()) && hz.0.is_finite() && hz.1.is_finite()) {
            return Err(SolveFailure::NonFinite { t });
        }
        let prev_t = prev.hazards.t;
        if !first {
            // cumulative hazards over the last step, and the daily grid in
            // (prev_t, t]; the coagulation block has no input between nodes,
            // so the SAE column is propagated exactly
            let h = t - prev_t;
            lam = prev.hazards.next(t, h, hz, slope).lam;
            let now = HazardNode { t, lam, hz, slope };
            let sae_node = sae_bg * t + fast.xc[3];
            fill_hazard_grid(
                &mut out.hazard_grid,
                &mut next_grid_day,
                &prev.hazards,
                &now,
                h,
                |td, at_node| {
                    if at_node {
                        return sae_node;
                    }
                    let tau = td - prev_t;
                    let sae = if (tau - 0.5 * pr_step).abs() < 1e-12 {
                        row(&pr.half_c, 3, &prev.fast.xc)
                    } else {
                        row(day_propagators.at(&blocks.c, tau), 3, &prev.fast.xc)
                    };
                    sae_bg * td + sae
                },
            );
        } else {
            out.hazard_grid[0] = [0.0, 0.0, 0.0];
            next_grid_day = 1;
        }
        let now = HazardNode { t, lam, hz, slope };
        // Samples in (prev_t, t]: exact at the node (before any dose); between
        // nodes the linear block is propagated exactly and the slow states and
        // cumulative hazards are Hermite-interpolated.
        if next_sample < order.len()
            && plan.sample_days[order.get(next_sample)].clamp(0.0, end) <= t + 1e-9
        {
            let y = assemble(&fast, &slow, &lam, cum_dose, t, sae_bg);
            while next_sample < order.len() {
                let idx = order.get(next_sample);
                let ts = plan.sample_days[idx].clamp(0.0, end);
                if ts > t + 1e-9 {
                    break;
                }
                out.samples[idx] = if (ts - t).abs() <= 1e-9 {
                    y
                } else {
                    let repair = substeps.as_ref().filter(|_| last_repair.values.is_some());
                    prev.state_at(
                        model,
                        blocks,
                        &pr,
                        pr_step,
                        repair,
                        &last_repair,
                        &now,
                        ts,
                        sae_bg,
                    )
                };
                next_sample += 1;
            }
        }
        first = false;
        if t >= end - 1e-9 {
            out.final_state = assemble(&fast, &slow, &lam, cum_dose, t, sae_bg);
            break;
        }
        // Doses at this node (computed from the state before each).
        let mut k1 = k1;
        while next_dose < dose_days.len() && dose_days[next_dose] <= t + 1e-9 {
            if dose_days[next_dose] >= t - 1e-9 {
                let mut y = [0.0; N_STATES];
                y[ANTIBODY] = fast.xa[9];
                let d = model.dose_amounts(&y);
                apply_dose(model, blocks, &d, &mut fast);
                cum_dose += d.viable + d.lysed;
                dr0 = fast.drivers(para);
                k1 = slow_rhs(model, t, &slow, &dr0, g0);
            }
            next_dose += 1;
        }
        prev.e = e_gdmt;
        prev.fast = fast;
        prev.slow = slow;
        prev.cum = cum_dose;
        prev.hazards = now;

        // RK4 for the slow states; fast states exact at t, t + h/2, t + h.
        let d1 = fast.midpoint(para, &pr);
        let f2 = fast.step(&pr);
        let d2 = f2.drivers(para);
        carried = Some(d2);
        let e1 = e_gdmt * half_decay;
        let e2 = e1 * half_decay;
        let g1 = Gdmt::setpoint_from_form(&form, e1);
        let g2 = Gdmt::setpoint_from_form(&form, e2);
        // Strong responders make the repair states stiff (rate × step above
        // RK4's comfort): those two scalar linear equations are integrated on
        // their own with substeps, and the other slow states see their values.
        let repair = stiff_repair(
            model,
            substeps.as_ref(),
            h,
            t,
            e_gdmt,
            &fast,
            &[dr0, d1, d2],
            &slow,
        );
        last_repair = repair;
        let mut s2 = add(&slow, &k1, 0.5 * h);
        repair.set(&mut s2, 1);
        let k2 = slow_rhs(model, t + 0.5 * h, &s2, &d1, g1);
        let mut s3 = add(&slow, &k2, 0.5 * h);
        repair.set(&mut s3, 1);
        let k3 = slow_rhs(model, t + 0.5 * h, &s3, &d1, g1);
        let mut s4 = add(&slow, &k3, h);
        repair.set(&mut s4, 2);
        let k4 = slow_rhs(model, t + h, &s4, &d2, g2);
        for k in 0..NS {
            slow[k] += h / 6.0 * (k1[k] + 2.0 * k2[k] + 2.0 * k3[k] + k4[k]);
        }
        prev.stages = [k1, k2, k3, k4];
        repair.set(&mut slow, 2);
        stats.rhs_evaluations += 4;
        stats.accepted_steps += 1;
        fast = f2;
        e_gdmt = e2;
        t = prev.hazards.t + h;
        // Tail: no doses left and the cells and signals have faded: the slow
        // states mostly relax, so double the step (propagators by squaring).
        let remaining = (end - t) / (2.0 * h);
        if h < MAX_TAIL_STEP
            && 2.0 * h * tail_stiffness <= MAX_SLOW_STEP_RATE
            && next_dose >= dose_days.len()
            && remaining >= 1.0
            && (remaining - remaining.round()).abs() < 1e-9
            && fast.xa[..3]
                .iter()
                .chain(&fast.xa[5..8])
                .chain(&fast.xp)
                .all(|v| v.abs() < negligible)
        {
            pr.double();
            half_decay *= half_decay;
            h *= 2.0;
            pr_step = h;
        }
    }
    out.stats = stats;
    Ok(())
}

/// `exp(A_c tau)` of the coagulation block for the whole days a grid day can
/// lie past a node of the tail (steps of up to 8 days), computed when first
/// needed as powers of the one-day propagator (one exponential per patient
/// instead of one per day offset; other offsets are computed each time).
#[derive(Default)]
struct DayPropagators {
    days: [Option<[[f64; NC]; NC]>; MAX_TAIL_STEP as usize],
    other: [[f64; NC]; NC],
}

impl DayPropagators {
    #[inline]
    fn at(&mut self, ac: &[[f64; NC]; NC], tau: f64) -> &[[f64; NC]; NC] {
        let day = tau.round();
        if (tau - day).abs() > 1e-12 || !(1.0..MAX_TAIL_STEP).contains(&day) {
            self.other = expm_lower(&scaled(ac, tau));
            return &self.other;
        }
        // exp(A k) = exp(A) exp(A (k - 1)): one exponential for every whole day
        let k = day as usize;
        if self.days[k].is_none() {
            let one = *self.days[1].get_or_insert_with(|| expm_lower(&scaled(ac, 1.0)));
            let mut previous = one;
            for j in 2..=k {
                previous = *self.days[j].get_or_insert_with(|| mul_lower(&one, &previous));
            }
        }
        self.days[k].get_or_insert_with(|| expm_lower(&scaled(ac, tau)))
    }
}

/// The fast states `dt` after `f` with no dose in between, exactly.
fn propagate_exact(b: &Blocks, f: &Fast, dt: f64) -> Fast {
    Fast {
        xa: tri_mul(&expm_lower(&scaled(&b.a, dt)), &f.xa),
        xp: tri_mul(&expm_lower(&scaled(&b.p, dt)), &f.xp),
        xc: tri_mul(&expm_lower(&scaled(&b.c, dt)), &f.xc),
    }
}

/// `M M` for a lower-triangular matrix.
fn square_lower<const N: usize>(m: &[[f64; N]; N]) -> [[f64; N]; N] {
    mul_lower(m, m)
}

/// `A B` for lower-triangular matrices.
#[inline]
fn mul_lower<const N: usize>(a: &[[f64; N]; N], b: &[[f64; N]; N]) -> [[f64; N]; N] {
    let mut c = [[0.0; N]; N];
    for i in 0..N {
        for j in 0..=i {
            let mut v = 0.0;
            for k in j..=i {
                v += a[i][k] * b[k][j];
            }
            c[i][j] = v;
        }
    }
    c
}

/// `sum_k w_k M_k` over the lower triangle (plus `w_I I`).
#[inline]
fn combine_lower<const N: usize>(
    terms: &[(f64, &[[f64; N]; N])],
    w_identity: f64,
) -> [[f64; N]; N] {
    let mut c = [[0.0; N]; N];
    for i in 0..N {
        c[i][i] = w_identity;
        for j in 0..=i {
            for (w, m) in terms {
                c[i][j] += w * m[i][j];
            }
        }
    }
    c
}

/// Padé coefficients `b_0..b_m` of degree 7, 9 and 13 and the 1-norm below
/// which each is accurate to unit roundoff (Higham 2005, SIAM J. Matrix
/// Anal. Appl. 26:1179, Table 2.3).
const PADE_7: [f64; 8] = [
    17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0, 1.0,
];
const PADE_9: [f64; 10] = [
    17643225600.0,
    8821612800.0,
    2075673600.0,
    302702400.0,
    30270240.0,
    2162160.0,
    110880.0,
    3960.0,
    90.0,
    1.0,
];
const PADE_13: [f64; 14] = [
    64764752532480000.0,
    32382376266240000.0,
    7771770303897600.0,
    1187353796428800.0,
    129060195264000.0,
    10559470521600.0,
    670442572800.0,
    33522128640.0,
    1323241920.0,
    40840800.0,
    960960.0,
    16380.0,
    182.0,
    1.0,
];
const THETA_7: f64 = 0.9504178996162932;
const THETA_9: f64 = 2.097847961257068;
const THETA_13: f64 = 5.371920351148152;

/// `exp(A)` of a lower-triangular matrix: Padé approximant of degree 7, 9
/// or 13 with scaling and squaring (Higham 2005), every product and the
/// final solve restricted to the triangle.
fn expm_lower<const N: usize>(a: &[[f64; N]; N]) -> [[f64; N]; N] {
    let norm = (0..N)
        .map(|j| (j..N).map(|i| a[i][j].abs()).sum::<f64>())
        .fold(0.0, f64::max);
    let (u, v, squarings) = if norm <= THETA_9 {
        let a2 = mul_lower(a, a);
        let a4 = mul_lower(&a2, &a2);
        let a6 = mul_lower(&a4, &a2);
        if norm <= THETA_7 {
            let b = &PADE_7;
            let odd = combine_lower(&[(b[7], &a6), (b[5], &a4), (b[3], &a2)], b[1]);
            let v = combine_lower(&[(b[6], &a6), (b[4], &a4), (b[2], &a2)], b[0]);
            (mul_lower(a, &odd), v, 0)
        } else {
            let b = &PADE_9;
            let a8 = mul_lower(&a6, &a2);
            let odd = combine_lower(&[(b[9], &a8), (b[7], &a6), (b[5], &a4), (b[3], &a2)], b[1]);
            let v = combine_lower(&[(b[8], &a8), (b[6], &a6), (b[4], &a4), (b[2], &a2)], b[0]);
            (mul_lower(a, &odd), v, 0)
        }
    } else {
        let s = if norm > THETA_13 {
            (norm / THETA_13).log2().ceil() as i32
        } else {
            0
        };
        let scale = 0.5f64.powi(s);
        let mut a1 = *a;
        for (i, r) in a1.iter_mut().enumerate() {
            for x in r.iter_mut().take(i + 1) {
                *x *= scale;
            }
        }
        let b = &PADE_13;
        let a2 = mul_lower(&a1, &a1);
        let a4 = mul_lower(&a2, &a2);
        let a6 = mul_lower(&a4, &a2);
        let high_odd = combine_lower(&[(b[13], &a6), (b[11], &a4), (b[9], &a2)], 0.0);
        let mut odd = mul_lower(&a6, &high_odd);
        let low_odd = combine_lower(&[(b[7], &a6), (b[5], &a4), (b[3], &a2)], b[1]);
        for i in 0..N {
            for j in 0..=i {
                odd[i][j] += low_odd[i][j];
            }
        }
        let high_even = combine_lower(&[(b[12], &a6), (b[10], &a4), (b[8], &a2)], 0.0);
        let mut v = mul_lower(&a6, &high_even);
        let low_even = combine_lower(&[(b[6], &a6), (b[4], &a4), (b[2], &a2)], b[0]);
        for i in 0..N {
            for j in 0..=i {
                v[i][j] += low_even[i][j];
            }
        }
        (mul_lower(&a1, &odd), v, s)
    };
    // (V - U) X = V + U by forward substitution, column by column
    let mut x = [[0.0; N]; N];
    for j in 0..N {
        for i in j..N {
            let mut r = v[i][j] + u[i][j];
            for k in j..i {
                r -= (v[i][k] - u[i][k]) * x[k][j];
            }
            x[i][j] = r / (v[i][i] - u[i][i]);
        }
    }
    for _ in 0..squarings {
        x = mul_lower(&x, &x);
    }
    x
}

#[inline]
fn add(s: &[f64; NS], k: &[f64; NS], h: f64) -> [f64; NS] {
    let mut o = *s;
    for i in 0..NS {
        o[i] += h * k[i];
    }
    o
}

/// Right-hand side of the slow states given the fast states (the set
/// points come from `remodelling`, the one place they are written).
#[inline]
fn slow_rhs(
    model: &PatientModel,
    t: f64,
    s: &[f64; NS],
    f: &Drivers,
    gdmt: (f64, f64),
) -> [f64; NS] {
    let r = &model.remodelling;
    let (dq, dr) = model.paracrine.repair_rates(f.g_rv, f.g_lv, s[0], s[1]);
    let (dyl, dzl) = r.lv_rates(t, s[1], f.j, f.gm, gdmt, s[2], s[3]);
    let (dyr, dzr) = r.rv_rates(t, s[0], gdmt.0, s[4], s[5]);
    [dq, dr, dyl, dzl, dyr, dzr]
}

/// Apply a dose to the fast states (bolus, or the effective bolus of an
/// infusion: exact for every state of a linear block, the integrals of the
/// coagulation block included, from the end of the infusion on).
fn apply_dose(model: &PatientModel, b: &Blocks, d: &DoseAmounts, f: &mut Fast) {
    // what the dose adds to each state, from the mechanisms' own bolus
    let mut y = [0.0; N_STATES];
    model.apply_bolus(&mut y, d);
    let va: [f64; NA] = std::array::from_fn(|k| y[A_IDX[k]]);
    let vp: [f64; NP] = std::array::from_fn(|k| y[P_IDX[k]]);
    let vc: [f64; NC] = std::array::from_fn(|k| y[C_IDX[k]]);
    let t = model.infusion_days;
    let (ba, bp, bc) = if t > 0.0 {
        (
            effective_bolus(&b.a, t, &va),
            effective_bolus(&b.p, t, &vp),
            effective_bolus(&b.c, t, &vc),
        )
    } else {
        (va, vp, vc)
    };
    for i in 0..NA {
        f.xa[i] += ba[i];
    }
    for i in 0..NP {
        f.xp[i] += bp[i];
    }
    for i in 0..NC {
        f.xc[i] += bc[i];
    }
}

/// The full state vector from the blocks.
#[inline]
fn assemble(
    f: &Fast,
    slow: &[f64; NS],
    lam: &[f64; 2],
    cum_dose: f64,
    t: f64,
    sae_bg: f64,
) -> State {
    let mut y = [0.0; N_STATES];
    for (k, &s) in A_IDX.iter().enumerate() {
        y[s] = f.xa[k];
    }
    for (k, &s) in P_IDX.iter().enumerate().skip(1) {
        y[s] = f.xp[k];
    }
    for (k, &s) in C_IDX.iter().enumerate() {
        y[s] = f.xc[k];
    }
    for (k, &s) in S_IDX.iter().enumerate() {
        y[s] = slow[k];
    }
    y[CLEARED] =
        (cum_dose - (y[LUNG] + y[HEART] + y[GRAFT] + y[GRAFT_MATURE] + y[DEBRIS])).max(0.0);
    y[CUM_HAZARD_HFH] = lam[0];
    y[CUM_HAZARD_DEATH] = lam[1];
    y[CUM_HAZARD_SAE] = sae_bg * t + f.xc[3];
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative 1e-13, or 1e-15 absolute (entries of a propagator are at
    /// most 1; scaling and squaring leaves entries far below that with an
    /// absolute, not relative, error).
    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-13 * b.abs() + 1e-15
    }

    /// Substeps at the onset of repair and beyond RK4's stability margin;
    /// none on the saturated plateau or for a weak drive.
    #[test]
    fn rv_repair_is_substepped_only_where_one_step_cannot_follow_it() {
        let k_off = 1.3e-4;
        let eq = |g: f64| g / (g + k_off);
        let flat = |g: f64| [(g, 0.0); 3];
        // onset: no repair yet, the drive rising within the step
        assert!(rv_needs_substeps(
            k_off,
            0.0,
            &[(0.0, 0.0), (0.3, 0.0), (0.7, 0.0)],
            2.0
        ));
        // saturated plateau at rate x step 1.4: the common step follows it
        assert!(!rv_needs_substeps(k_off, eq(0.7), &flat(0.7), 2.0));
        // same plateau beyond the stability margin (rate x step 6)
        assert!(rv_needs_substeps(k_off, eq(3.0), &flat(3.0), 2.0));
        // off the plateau by more than the threshold
        assert!(rv_needs_substeps(k_off, eq(0.7) - 2e-3, &flat(0.7), 2.0));
        // a weak drive far from equilibrium: rate x step 0.02
        assert!(!rv_needs_substeps(k_off, 0.0, &flat(0.01), 2.0));
    }

    /// `exp` of a chain `x1' = -a x1, x2' = c x1 - b x2, x3' = b x2 - b x3`
    /// (two distinct rates then a repeated one), exactly, at norms that take
    /// each Padé degree and scaling.
    #[test]
    fn expm_lower_matches_exact_solutions_of_chains() {
        for (a, b, c) in [
            (0.3, 0.1, 0.2),
            (0.7, 0.2, 0.5),
            (1.5, 0.4, 0.3),
            (3.0, 0.5, 1.0),
            (4.0, 1.0, 2.0),
            (69.0, 0.14, 1.0),
            (0.14, 0.14, 0.14),
        ] {
            let m = [[-a, 0.0, 0.0], [c, -b, 0.0], [0.0, b, -b]];
            let e = expm_lower(&m);
            let (ea, eb) = ((-a).exp(), (-b).exp());
            // x2 from a unit x1: c (e^-b - e^-a) / (a - b), or c e^-b at a = b
            let x2 = if a == b {
                c * eb
            } else {
                c * (eb - ea) / (a - b)
            };
            assert!(close(e[0][0], ea), "{a} {b} {c}: {:?}", e);
            assert!(close(e[1][1], eb) && close(e[2][2], eb));
            assert!(close(e[1][0], x2), "{} vs {}", e[1][0], x2);
            assert!(close(e[2][1], b * eb), "{} vs {}", e[2][1], b * eb);
            assert_eq!(e[0][1], 0.0);
            // x3 from a unit x1: b c int_0^1 e^{-b(1-s)} (e^-bs - e^-as)/(a-b) ds
            let x3 = if a == b {
                b * c * eb / 2.0
            } else {
                b * c / (a - b) * (eb - (eb - ea) / (a - b))
            };
            assert!(close(e[2][0], x3), "{} vs {}", e[2][0], x3);
        }
    }
}
