//! Mixed model for repeated measures (MMRM): the change from baseline at
//! every post-baseline visit, `change ~ visit × arm + baseline × visit`,
//! with an unstructured covariance between the visits of a patient, fitted
//! by REML; missing visits are missing at random (each patient contributes
//! the visits it has). This is R's
//! `nlme::gls(change ~ visit * arm + baseline * visit,
//! correlation = corSymm(form = ~ k | id), weights = varIdent(form = ~ 1 | visit),
//! method = "REML")`, with the treatment effect at a visit and its exact
//! Satterthwaite degrees of freedom (what `emmeans(..., mode =
//! "satterthwaite")` approximates).
//!
//! Mean: visit k has its own intercept α_k, treatment effect τ_k and
//! baseline slope γ_k (the same column space as R's formula), so the design
//! row of patient i at visit k is e_k ⊗ z_i with z_i = (1, x_i, b_i) and
//! every sum over patients is a Kronecker sum of K×K and 3×3 blocks.
//!
//! **Fit**: θ = the K(K+1)/2 distinct elements of Σ. The REML
//! log-likelihood ℓ(θ) = −½[Σ_i ln|Σ_i| + Σ_i r_i'Σ_i⁻¹r_i + ln|X'V⁻¹X|]
//! (Σ_i the rows and columns of Σ the patient was seen at, r_i its GLS
//! residuals) is maximised by average-information (AI) Newton steps:
//! score s_j = −½ tr(P V_j) + ½ y'PV_jPy, AI_jk = ½ y'PV_jPV_kPy, with
//! step halving to keep Σ positive definite and ℓ increasing; converged
//! when the step changes no element of Σ by more than 1e-10 of its scale.
//!
//! **Satterthwaite** degrees of freedom for the effect at the named visit,
//! φ = Var(τ̂_v) = c'(X'V⁻¹X)⁻¹c:
//! df = 2φ² / (∇φ' A ∇φ), A the inverse of the observed information of ℓ
//! at θ̂, I_jl = y'PV_jPV_lPy − ½ tr(PV_jPV_l) (exact: Σ is linear in θ),
//! ∇φ analytic. (The quantity is invariant to the parametrisation of θ;
//! emmeans' value from nlme's `apVar`, a finite-difference Hessian, is an
//! approximation of it: see docs/statistics.md.)
//!
//! * estimate: τ̂_v (treatment − control, in the endpoint's units);
//! * statistic: t = (τ̂_v − margin)/√φ; p from Student t with df.
//!
//! Not analysable: fewer than 2 patients with data in an arm, a visit
//! without data in an arm or a singular design
//! ([`NotAnalysable::SingularDesign`]), no residual variation
//! ([`NotAnalysable::ZeroVariance`]), or no convergence
//! ([`NotAnalysable::NotConverged`]).

use super::{Alternative, ArmRole, NotAnalysable, TestOutcome, TestResult, t_p_value};

/// Most post-baseline visits in one model.
pub const MAX_VISITS: usize = 8;

/// Observations needed at every visit: more than its 3 mean parameters.
pub const MIN_PER_VISIT: usize = 4;

/// One patient: arm, baseline, the changes at the visits (NaN = missing).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MmrmObs {
    pub treated: bool,
    pub baseline: f64,
    pub values: [f64; MAX_VISITS],
}

/// The fitted model's result for one visit.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MmrmFit {
    /// τ̂_v: treatment − control at the visit.
    pub estimate: f64,
    pub se: f64,
    /// Satterthwaite degrees of freedom.
    pub df: f64,
    /// Σ̂, row major K×K.
    pub covariance: Vec<f64>,
    /// REML log-likelihood without the constant −½(N − p) ln 2π.
    pub log_likelihood: f64,
    pub iterations: u32,
}

/// Dense symmetric positive-definite helpers (row major, n ≤ 3·MAX_VISITS).
mod dense {
    /// In-place Cholesky (lower); false if not positive definite.
    pub fn cholesky(a: &mut [f64], n: usize) -> bool {
        for j in 0..n {
            let mut d = a[j * n + j];
            for k in 0..j {
                d -= a[j * n + k] * a[j * n + k];
            }
            if d <= 0.0 || !d.is_finite() {
                return false;
            }
            let d = d.sqrt();
            a[j * n + j] = d;
            for i in j + 1..n {
                let mut s = a[i * n + j];
                for k in 0..j {
                    s -= a[i * n + k] * a[j * n + k];
                }
                a[i * n + j] = s / d;
            }
            for k in j + 1..n {
                a[j * n + k] = 0.0;
            }
        }
        true
    }

    /// Inverse of an SPD matrix from its Cholesky factor; returns ln|A|.
    pub fn spd_inverse(a: &[f64], n: usize, out: &mut [f64]) -> Option<f64> {
        let mut l = a[..n * n].to_vec();
        if !cholesky(&mut l, n) {
            return None;
        }
        let logdet = 2.0 * (0..n).map(|i| l[i * n + i].ln()).sum::<f64>();
        // invert L (lower) into li
        let mut li = vec![0.0; n * n];
        for i in 0..n {
            li[i * n + i] = 1.0 / l[i * n + i];
            for j in 0..i {
                let mut s = 0.0;
                for k in j..i {
                    s -= l[i * n + k] * li[k * n + j];
                }
                li[i * n + j] = s / l[i * n + i];
            }
        }
        // A⁻¹ = L⁻ᵀ L⁻¹
        for i in 0..n {
            for j in 0..=i {
                let mut s = 0.0;
                for k in i..n {
                    s += li[k * n + i] * li[k * n + j];
                }
                out[i * n + j] = s;
                out[j * n + i] = s;
            }
        }
        Some(logdet)
    }

    /// Solve A x = b for SPD A (small); None if not positive definite.
    pub fn spd_solve(a: &[f64], n: usize, b: &[f64]) -> Option<Vec<f64>> {
        let mut inv = vec![0.0; n * n];
        spd_inverse(a, n, &mut inv)?;
        Some(
            (0..n)
                .map(|i| (0..n).map(|j| inv[i * n + j] * b[j]).sum())
                .collect(),
        )
    }

    /// Inverse of a general square matrix by Gauss–Jordan with pivoting.
    pub fn inverse(a: &[f64], n: usize) -> Option<Vec<f64>> {
        let mut m = a.to_vec();
        let mut inv = vec![0.0; n * n];
        for i in 0..n {
            inv[i * n + i] = 1.0;
        }
        for c in 0..n {
            let p = (c..n).max_by(|&x, &y| m[x * n + c].abs().total_cmp(&m[y * n + c].abs()))?;
            if m[p * n + c].abs() < 1e-300 {
                return None;
            }
            for k in 0..n {
                m.swap(c * n + k, p * n + k);
                inv.swap(c * n + k, p * n + k);
            }
            let d = m[c * n + c];
            for k in 0..n {
                m[c * n + k] /= d;
                inv[c * n + k] /= d;
            }
            for r in 0..n {
                if r != c {
                    let f = m[r * n + c];
                    if f != 0.0 {
                        for k in 0..n {
                            m[r * n + k] -= f * m[c * n + k];
                            inv[r * n + k] -= f * inv[c * n + k];
                        }
                    }
                }
            }
        }
        Some(inv)
    }
}

/// The data in a fixed layout: K visits, patients with ≥ 1 observation.
struct Problem<'a> {
    k: usize,
    obs: Vec<&'a MmrmObs>,
    /// Observed visit indices per patient (packed).
    seen: Vec<([usize; MAX_VISITS], usize)>,
    /// Covariance parameters: (row, column) of each θ_j, row ≥ column.
    params: Vec<(usize, usize)>,
}

/// Quantities of the REML fit at one θ.
struct Eval {
    ll: f64,
    beta: Vec<f64>,
    /// (X'V⁻¹X)⁻¹, p×p.
    m: Vec<f64>,
    score: Vec<f64>,
    ai: Vec<f64>,
}

impl<'a> Problem<'a> {
    fn p(&self) -> usize {
        3 * self.k
    }

    fn z(o: &MmrmObs) -> [f64; 3] {
        [1.0, if o.treated { 1.0 } else { 0.0 }, o.baseline]
    }

    fn sigma(&self, theta: &[f64]) -> Vec<f64> {
        let k = self.k;
        let mut s = vec![0.0; k * k];
        for (j, &(a, b)) in self.params.iter().enumerate() {
            s[a * k + b] = theta[j];
            s[b * k + a] = theta[j];
        }
        s
    }

    /// REML log-likelihood, β̂, M, and (with `derivs`) score and AI.
    fn eval(&self, theta: &[f64], derivs: bool) -> Option<Eval> {
        let (k, p) = (self.k, self.p());
        let sigma = self.sigma(theta);
        let mut chol = sigma.clone();
        if !dense::cholesky(&mut chol, k) {
            return None;
        }
        let n = self.obs.len();
        // per patient: W_i (embedded K×K, zeros off the seen visits), ln|Σ_i|
        let mut w_all = vec![0.0; n * k * k];
        let mut logdet = 0.0;
        let mut minv = vec![0.0; p * p];
        let mut xwy = vec![0.0; p];
        for (i, o) in self.obs.iter().enumerate() {
            let (idx, m) = self.seen[i];
            let mut sub = vec![0.0; m * m];
            for a in 0..m {
                for b in 0..m {
                    sub[a * m + b] = sigma[idx[a] * k + idx[b]];
                }
            }
            let mut inv = vec![0.0; m * m];
            logdet += dense::spd_inverse(&sub, m, &mut inv)?;
            let w = &mut w_all[i * k * k..(i + 1) * k * k];
            for a in 0..m {
                for b in 0..m {
                    w[idx[a] * k + idx[b]] = inv[a * m + b];
                }
            }
            let z = Self::z(o);
            // X'WX += W ⊗ zz', X'Wy += (W y) ⊗ z
            for a in 0..m {
                let ka = idx[a];
                let mut wy = 0.0;
                for b in 0..m {
                    let kb = idx[b];
                    let wab = w[ka * k + kb];
                    wy += wab * o.values[kb];
                    for u in 0..3 {
                        for v in 0..3 {
                            minv[(3 * ka + u) * p + 3 * kb + v] += wab * z[u] * z[v];
                        }
                    }
                }
                for u in 0..3 {
                    xwy[3 * ka + u] += wy * z[u];
                }
            }
        }
        let mut mm = vec![0.0; p * p];
        let logdet_xwx = dense::spd_inverse(&minv, p, &mut mm)?;
        let beta: Vec<f64> = (0..p)
            .map(|a| (0..p).map(|b| mm[a * p + b] * xwy[b]).sum())
            .collect();
        // residuals and W r per patient
        let mut quad = 0.0;
        let mut wr_all = vec![0.0; n * k];
        for (i, o) in self.obs.iter().enumerate() {
            let (idx, m) = self.seen[i];
            let z = Self::z(o);
            let w = &w_all[i * k * k..(i + 1) * k * k];
            let mut r = [0.0; MAX_VISITS];
            for &ka in &idx[..m] {
                let fit: f64 = (0..3).map(|u| beta[3 * ka + u] * z[u]).sum();
                r[ka] = o.values[ka] - fit;
            }
            for &ka in &idx[..m] {
                let v: f64 = idx[..m].iter().map(|&kb| w[ka * k + kb] * r[kb]).sum();
                wr_all[i * k + ka] = v;
                quad += r[ka] * v;
            }
        }
        let ll = -0.5 * (logdet + quad + logdet_xwx);
        if !ll.is_finite() {
            return None;
        }
        if !derivs {
            return Some(Eval {
                ll,
                beta,
                m: mm,
                score: Vec::new(),
                ai: Vec::new(),
            });
        }
        // score: s_j = −½ tr(P V_j) + ½ r'W V_j W r, with
        // tr(P V_j) = Σ_i tr(W_i V_ij) − tr(M Σ_i X_i'W_i V_ij W_i X_i)
        let q = self.params.len();
        let mut score = vec![0.0; q];
        // G = Σ_i [W_i − W_i r r' W_i] (K×K) and H = Σ_i (W_i ⊗ z z') blocks
        // for the trace with M: tr(M X'W V_j W X) = Σ_i Σ_{a,b} (W V_j W)_{ab} z'M_[b,a] z
        let mut g = vec![0.0; k * k];
        let mut tmat = vec![0.0; k * k]; // Σ_i W_i T_i W_i with T_i = z'M_[a,b]z
        // AI: a_ij = V_j W r (vector), u_ij = W a_ij, AI = ½[Σ a'u − (X'Wa)'M(X'Wa)]
        let mut ai = vec![0.0; q * q];
        let mut xwa = vec![0.0; q * p];
        let mut u = vec![0.0; q * k];
        let mut a_vec = vec![0.0; q * k];
        for (i, o) in self.obs.iter().enumerate() {
            let (idx, m) = self.seen[i];
            let z = Self::z(o);
            let w = &w_all[i * k * k..(i + 1) * k * k];
            let wr = &wr_all[i * k..(i + 1) * k];
            // T_i on the seen visits
            let mut t = [[0.0; MAX_VISITS]; MAX_VISITS];
            for &a in &idx[..m] {
                for &b in &idx[..m] {
                    let mut s = 0.0;
                    for uu in 0..3 {
                        for vv in 0..3 {
                            s += z[uu] * mm[(3 * a + uu) * p + 3 * b + vv] * z[vv];
                        }
                    }
                    t[a][b] = s;
                }
            }
            for &a in &idx[..m] {
                for &b in &idx[..m] {
                    g[a * k + b] += w[a * k + b] - wr[a] * wr[b];
                    // (W T W)_{ab}
                    let mut s = 0.0;
                    for &c in &idx[..m] {
                        for &d in &idx[..m] {
                            s += w[a * k + c] * t[c][d] * w[d * k + b];
                        }
                    }
                    tmat[a * k + b] += s;
                }
            }
            // AI pieces: V_j = E_ab + E_ba restricted to seen visits
            for (j, &(pa, pb)) in self.params.iter().enumerate() {
                let av = &mut a_vec[j * k..(j + 1) * k];
                av.iter_mut().for_each(|x| *x = 0.0);
                let seen_a = idx[..m].contains(&pa);
                let seen_b = idx[..m].contains(&pb);
                if !(seen_a && seen_b) {
                    u[j * k..(j + 1) * k].iter_mut().for_each(|x| *x = 0.0);
                    continue;
                }
                av[pa] += wr[pb];
                if pa != pb {
                    av[pb] += wr[pa];
                }
                let uj = &mut u[j * k..(j + 1) * k];
                for &c in &idx[..m] {
                    uj[c] = idx[..m]
                        .iter()
                        .map(|&d| w[c * k + d] * a_vec[j * k + d])
                        .sum();
                }
                for &c in &idx[..m] {
                    for uu in 0..3 {
                        xwa[j * p + 3 * c + uu] += uj[c] * z[uu];
                    }
                }
            }
            for j in 0..q {
                for l in 0..=j {
                    let s: f64 = idx[..m]
                        .iter()
                        .map(|&c| a_vec[j * k + c] * u[l * k + c])
                        .sum();
                    ai[j * q + l] += s;
                }
            }
        }
        for (j, &(a, b)) in self.params.iter().enumerate() {
            let mult = if a == b { 1.0 } else { 2.0 };
            // ∂(−2ℓ)/∂θ_j = mult·(G − W T W)_{ab}
            score[j] = -0.5 * mult * (g[a * k + b] - tmat[a * k + b]);
        }
        for j in 0..q {
            for l in 0..=j {
                let mut c = 0.0;
                for x in 0..p {
                    let mut s = 0.0;
                    for y in 0..p {
                        s += mm[x * p + y] * xwa[l * p + y];
                    }
                    c += xwa[j * p + x] * s;
                }
                let v = 0.5 * (ai[j * q + l] - c);
                ai[j * q + l] = v;
                ai[l * q + j] = v;
            }
        }
        Some(Eval {
            ll,
            beta,
            m: mm,
            score,
            ai,
        })
    }
}

impl Problem<'_> {
    /// tr(P V_j P V_l) for all j, l (twice the expected information):
    /// with P = W − W X M X' W and V_j block diagonal,
    /// tr(P V_j P V_l) = Σ_i tr(B_j B_l) − 2 Σ_i tr(B_j D_i B_l) + tr(A_j M A_l M),
    /// B_j = W_i V_ij (patient i's block), D_i = W_i X_i M X_i',
    /// A_j = Σ_i X_i' B_j W_i X_i.
    fn trace_pvpv(&self, theta: &[f64], mm: &[f64]) -> Option<Vec<f64>> {
        let (k, p, q) = (self.k, self.p(), self.params.len());
        let sigma = self.sigma(theta);
        let mut out = vec![0.0; q * q];
        let mut a_mat = vec![0.0; q * p * p];
        let mut b = vec![0.0; q * k * k];
        let mut bd = vec![0.0; q * k * k];
        let mut active = vec![false; q];
        for (i, o) in self.obs.iter().enumerate() {
            let (idx, m) = self.seen[i];
            let seen = &idx[..m];
            let mut sub = vec![0.0; m * m];
            for x in 0..m {
                for y in 0..m {
                    sub[x * m + y] = sigma[idx[x] * k + idx[y]];
                }
            }
            let mut inv = vec![0.0; m * m];
            dense::spd_inverse(&sub, m, &mut inv)?;
            let mut w = vec![0.0; k * k];
            for x in 0..m {
                for y in 0..m {
                    w[idx[x] * k + idx[y]] = inv[x * m + y];
                }
            }
            let z = Problem::z(o);
            // C = X_i M X_i' and D = W C on the seen visits
            let mut c = vec![0.0; k * k];
            for &x in seen {
                for &y in seen {
                    let mut v = 0.0;
                    for u in 0..3 {
                        for t in 0..3 {
                            v += z[u] * mm[(3 * x + u) * p + 3 * y + t] * z[t];
                        }
                    }
                    c[x * k + y] = v;
                }
            }
            let mut d = vec![0.0; k * k];
            for &x in seen {
                for &y in seen {
                    d[x * k + y] = seen.iter().map(|&t| w[x * k + t] * c[t * k + y]).sum();
                }
            }
            for (j, &(pa, pb)) in self.params.iter().enumerate() {
                active[j] = seen.contains(&pa) && seen.contains(&pb);
                if !active[j] {
                    continue;
                }
                // B_j = W (E_ab + E_ba): column b is W[:, a], column a is W[:, b]
                let bj = &mut b[j * k * k..(j + 1) * k * k];
                bj.iter_mut().for_each(|x| *x = 0.0);
                for &x in seen {
                    bj[x * k + pb] += w[x * k + pa];
                    if pa != pb {
                        bj[x * k + pa] += w[x * k + pb];
                    }
                }
                let bdj = &mut bd[j * k * k..(j + 1) * k * k];
                for &x in seen {
                    for &y in seen {
                        bdj[x * k + y] = seen.iter().map(|&t| bj[x * k + t] * d[t * k + y]).sum();
                    }
                }
                // A_j += X_i' (B_j W) X_i
                let aj = &mut a_mat[j * p * p..(j + 1) * p * p];
                for &x in seen {
                    for &y in seen {
                        let bw: f64 = seen.iter().map(|&t| bj[x * k + t] * w[t * k + y]).sum();
                        for u in 0..3 {
                            for t in 0..3 {
                                aj[(3 * x + u) * p + 3 * y + t] += bw * z[u] * z[t];
                            }
                        }
                    }
                }
            }
            for j in 0..q {
                if !active[j] {
                    continue;
                }
                for l in 0..=j {
                    if !active[l] {
                        continue;
                    }
                    let (bj, bl, bdj) = (
                        &b[j * k * k..(j + 1) * k * k],
                        &b[l * k * k..(l + 1) * k * k],
                        &bd[j * k * k..(j + 1) * k * k],
                    );
                    let mut t1 = 0.0;
                    let mut t2 = 0.0;
                    for &x in seen {
                        for &y in seen {
                            t1 += bj[x * k + y] * bl[y * k + x];
                            t2 += bdj[x * k + y] * bl[y * k + x];
                        }
                    }
                    out[j * q + l] += t1 - 2.0 * t2;
                }
            }
        }
        // tr(A_j M A_l M) = tr(F_j F_l), F_j = A_j M
        let mut f = vec![0.0; q * p * p];
        for j in 0..q {
            let aj = &a_mat[j * p * p..(j + 1) * p * p];
            let fj = &mut f[j * p * p..(j + 1) * p * p];
            for x in 0..p {
                for y in 0..p {
                    fj[x * p + y] = (0..p).map(|t| aj[x * p + t] * mm[t * p + y]).sum();
                }
            }
        }
        for j in 0..q {
            for l in 0..=j {
                let (fj, fl) = (
                    &f[j * p * p..(j + 1) * p * p],
                    &f[l * p * p..(l + 1) * p * p],
                );
                let mut t3 = 0.0;
                for x in 0..p {
                    for y in 0..p {
                        t3 += fj[x * p + y] * fl[y * p + x];
                    }
                }
                out[j * q + l] += t3;
                out[l * q + j] = out[j * q + l];
            }
        }
        Some(out)
    }
}

/// The checked problem: patients with a baseline and at least one visit,
/// the analysability rules, the covariance parameters.
fn problem(obs: &[MmrmObs], n_visits: usize) -> Result<Problem<'_>, NotAnalysable> {
    let k = n_visits;
    assert!((1..=MAX_VISITS).contains(&k), "validated");
    let mut prob = Problem {
        k,
        obs: Vec::new(),
        seen: Vec::new(),
        params: Vec::new(),
    };
    for o in obs {
        if !o.baseline.is_finite() {
            continue;
        }
        let mut idx = [0usize; MAX_VISITS];
        let mut m = 0;
        for (v, x) in o.values[..k].iter().enumerate() {
            if x.is_finite() {
                idx[m] = v;
                m += 1;
            } else if !x.is_nan() {
                return Err(NotAnalysable::NonFinite);
            }
        }
        if m > 0 {
            prob.obs.push(o);
            prob.seen.push((idx, m));
        }
    }
    for (treated, arm) in [(true, ArmRole::Treatment), (false, ArmRole::Control)] {
        let found = prob.obs.iter().filter(|o| o.treated == treated).count();
        if found < 2 {
            return Err(NotAnalysable::TooFewObservations {
                arm,
                found,
                required: 2,
            });
        }
        // every visit needs data in both arms
        for v in 0..k {
            let at_v = prob
                .obs
                .iter()
                .zip(&prob.seen)
                .filter(|(o, s)| o.treated == treated && s.0[..s.1].contains(&v))
                .count();
            if at_v < 1 {
                return Err(NotAnalysable::SingularDesign);
            }
        }
    }
    // each visit has 3 mean parameters (intercept, effect, baseline
    // slope): with no more observations than that its variance has no
    // residual information and the REML likelihood is degenerate (it
    // rises towards a singular Sigma)
    for v in 0..k {
        let found = prob.seen.iter().filter(|s| s.0[..s.1].contains(&v)).count();
        if found < MIN_PER_VISIT {
            return Err(NotAnalysable::TooFewAtVisit {
                visit: v + 1,
                found,
                required: MIN_PER_VISIT,
            });
        }
    }
    for a in 0..k {
        for b in 0..=a {
            prob.params.push((a, b));
        }
    }
    Ok(prob)
}

/// The REML log-likelihood (without the constant, as in [`MmrmFit`]) at a
/// given K×K covariance `sigma` (row-major), `None` if it is not positive
/// definite. For checking a fit against another program's maximum.
pub fn reml_log_likelihood(
    obs: &[MmrmObs],
    n_visits: usize,
    sigma: &[f64],
) -> Result<Option<f64>, NotAnalysable> {
    let prob = problem(obs, n_visits)?;
    let theta: Vec<f64> = prob
        .params
        .iter()
        .map(|&(a, b)| sigma[a * n_visits + b])
        .collect();
    Ok(prob.eval(&theta, false).map(|e| e.ll))
}

/// Fit the model and report the effect at visit `visit` (0-based among the
/// K post-baseline visits). `obs` may contain patients without data.
pub fn fit(obs: &[MmrmObs], n_visits: usize, visit: usize) -> Result<MmrmFit, NotAnalysable> {
    assert!(visit < n_visits, "validated");
    let prob = problem(obs, n_visits)?;
    let theta0 = start(&prob).ok_or(NotAnalysable::SingularDesign)?;
    // The REML surface of a small sample with heavy dropout can have
    // several maxima: climb from the pairwise start and from its diagonal
    // (no correlation, nlme's default start) and keep the higher maximum.
    let diagonal: Vec<f64> = prob
        .params
        .iter()
        .zip(&theta0)
        .map(|(&(a, b), &t)| if a == b { t } else { 0.0 })
        .collect();
    let from_pairwise = maximise(&prob, theta0);
    let from_diagonal = maximise(&prob, diagonal);
    let (theta, ev, iterations) = match (from_pairwise, from_diagonal) {
        (Ok(a), Ok(b)) => {
            if b.1.ll > a.1.ll {
                b
            } else {
                a
            }
        }
        (Ok(a), Err(_)) | (Err(_), Ok(a)) => a,
        (Err(e), Err(_)) => return Err(e),
    };
    let p = prob.p();
    let c_index = 3 * visit + 1;
    let phi = ev.m[c_index * p + c_index];
    if phi.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return Err(NotAnalysable::ZeroVariance);
    }
    let df = satterthwaite(&prob, &theta, &ev, c_index)?;
    Ok(MmrmFit {
        estimate: ev.beta[c_index],
        se: phi.sqrt(),
        df,
        covariance: prob.sigma(&theta),
        log_likelihood: ev.ll,
        iterations,
    })
}

/// Starting Σ: per-visit OLS residual variances on the diagonal, half the
/// pairwise residual covariances off it (positive definite, else diagonal).
fn start(prob: &Problem) -> Option<Vec<f64>> {
    let k = prob.k;
    let mut resid: Vec<[f64; MAX_VISITS]> = vec![[f64::NAN; MAX_VISITS]; prob.obs.len()];
    for v in 0..k {
        // OLS of the change at v on (1, x, b) over the patients seen at v
        let mut xtx = [0.0; 9];
        let mut xty = [0.0; 3];
        let mut n = 0;
        for o in &prob.obs {
            let y = o.values[v];
            if y.is_finite() {
                let z = Problem::z(o);
                for a in 0..3 {
                    for b in 0..3 {
                        xtx[a * 3 + b] += z[a] * z[b];
                    }
                    xty[a] += z[a] * y;
                }
                n += 1;
            }
        }
        let scale = xtx[8].max(1.0) * 1e-10;
        xtx[8] += scale; // a constant baseline leaves the slope at ~0
        let coef = dense::spd_solve(&xtx, 3, &xty)?;
        if n < 2 {
            return None;
        }
        for (i, o) in prob.obs.iter().enumerate() {
            if o.values[v].is_finite() {
                let z = Problem::z(o);
                resid[i][v] = o.values[v] - (coef[0] * z[0] + coef[1] * z[1] + coef[2] * z[2]);
            }
        }
    }
    let cov = |a: usize, b: usize| -> f64 {
        let pairs: Vec<(f64, f64)> = resid
            .iter()
            .filter(|r| r[a].is_finite() && r[b].is_finite())
            .map(|r| (r[a], r[b]))
            .collect();
        if pairs.len() < 2 {
            return 0.0;
        }
        pairs.iter().map(|p| p.0 * p.1).sum::<f64>() / pairs.len() as f64
    };
    let mut theta: Vec<f64> = prob
        .params
        .iter()
        .map(|&(a, b)| if a == b { cov(a, a) } else { 0.5 * cov(a, b) })
        .collect();
    for (j, &(a, b)) in prob.params.iter().enumerate() {
        if a == b && theta[j].partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return None;
        }
    }
    let mut s = prob.sigma(&theta);
    if !dense::cholesky(&mut s, k) {
        for (j, &(a, b)) in prob.params.iter().enumerate() {
            if a != b {
                theta[j] = 0.0;
            }
        }
    }
    Some(theta)
}

/// AI-REML iterations from `theta`.
fn maximise(prob: &Problem, mut theta: Vec<f64>) -> Result<(Vec<f64>, Eval, u32), NotAnalysable> {
    let q = prob.params.len();
    let mut ev = prob
        .eval(&theta, true)
        .ok_or(NotAnalysable::SingularDesign)?;
    for it in 1..=200u32 {
        let Some(ai_inv) = dense::inverse(&ev.ai, q) else {
            return Err(NotAnalysable::ZeroVariance);
        };
        let step: Vec<f64> = (0..q)
            .map(|j| (0..q).map(|l| ai_inv[j * q + l] * ev.score[l]).sum())
            .collect();
        let scale: Vec<f64> = prob
            .params
            .iter()
            .map(|&(a, b)| {
                let ia = prob.params.iter().position(|&x| x == (a, a)).unwrap();
                let ib = prob.params.iter().position(|&x| x == (b, b)).unwrap();
                (theta[ia] * theta[ib]).sqrt()
            })
            .collect();
        let mut f = 1.0;
        let mut accepted = None;
        for _ in 0..60 {
            let cand: Vec<f64> = (0..q).map(|j| theta[j] + f * step[j]).collect();
            if let Some(e) = prob.eval(&cand, true)
                && e.ll >= ev.ll - 1e-10 * ev.ll.abs().max(1.0)
            {
                accepted = Some((cand, e));
                break;
            }
            f *= 0.5;
        }
        let Some((cand, e)) = accepted else {
            // no step improves: converged at the precision available
            return Ok((theta, ev, it));
        };
        let moved = (0..q)
            .map(|j| (cand[j] - theta[j]).abs() / scale[j].max(1e-300))
            .fold(0.0, f64::max);
        theta = cand;
        ev = e;
        if !ev.ll.is_finite() {
            return Err(NotAnalysable::NotConverged);
        }
        if moved < 1e-10 {
            return Ok((theta, ev, it));
        }
    }
    Err(NotAnalysable::NotConverged)
}

/// Satterthwaite df of β_c (index `c`).
fn satterthwaite(prob: &Problem, theta: &[f64], ev: &Eval, c: usize) -> Result<f64, NotAnalysable> {
    let (k, p, q) = (prob.k, prob.p(), prob.params.len());
    // observed information, exact (Σ is linear in θ, so the second
    // derivatives of V vanish): −∂²ℓ/∂θ_j∂θ_l = y'PV_jPV_lPy − ½ tr(PV_jPV_l)
    // = 2·AI_jl − ½ tr(PV_jPV_l)
    let tr = prob
        .trace_pvpv(theta, &ev.m)
        .ok_or(NotAnalysable::NotConverged)?;
    let info: Vec<f64> = (0..q * q).map(|x| 2.0 * ev.ai[x] - 0.5 * tr[x]).collect();
    let a = dense::inverse(&info, q).ok_or(NotAnalysable::NotConverged)?;
    // ∇φ: φ = c'Mc, ∂φ/∂θ_(ab) = mult Σ_i v_a v_b with v_i = W_i X_i M c
    let uvec: Vec<f64> = (0..p).map(|x| ev.m[x * p + c]).collect();
    let sigma = prob.sigma(theta);
    let mut grad = vec![0.0; q];
    for (i, o) in prob.obs.iter().enumerate() {
        let (idx, m) = prob.seen[i];
        let z = Problem::z(o);
        let mut sub = vec![0.0; m * m];
        for x in 0..m {
            for y in 0..m {
                sub[x * m + y] = sigma[idx[x] * k + idx[y]];
            }
        }
        let mut inv = vec![0.0; m * m];
        dense::spd_inverse(&sub, m, &mut inv).ok_or(NotAnalysable::NotConverged)?;
        let xu: Vec<f64> = idx[..m]
            .iter()
            .map(|&v| (0..3).map(|t| uvec[3 * v + t] * z[t]).sum())
            .collect();
        let mut v = [0.0; MAX_VISITS];
        for x in 0..m {
            v[idx[x]] = (0..m).map(|y| inv[x * m + y] * xu[y]).sum();
        }
        for (j, &(pa, pb)) in prob.params.iter().enumerate() {
            let mult = if pa == pb { 1.0 } else { 2.0 };
            grad[j] += mult * v[pa] * v[pb];
        }
    }
    let phi = ev.m[c * p + c];
    let mut var = 0.0;
    for j in 0..q {
        for l in 0..q {
            var += grad[j] * a[j * q + l] * grad[l];
        }
    }
    let df = 2.0 * phi * phi / var;
    if df.is_finite() && df > 0.0 {
        Ok(df)
    } else {
        Err(NotAnalysable::NotConverged)
    }
}

/// MMRM test of the effect at `visit` against `margin`.
#[must_use = "the outcome says whether the test rejected"]
pub fn test(
    obs: &[MmrmObs],
    n_visits: usize,
    visit: usize,
    alt: Alternative,
    margin: f64,
) -> TestOutcome {
    let f = fit(obs, n_visits, visit)?;
    let t = (f.estimate - margin) / f.se;
    if !t.is_finite() {
        return Err(NotAnalysable::ZeroVariance);
    }
    Ok(TestResult {
        estimate: f.estimate,
        statistic: t,
        p_value: t_p_value(t, f.df, alt),
        df: Some(f.df),
    })
}
