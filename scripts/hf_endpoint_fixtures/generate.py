"""Data sets and Python reference values for the heart-failure endpoints.

Writes tests/fixtures/hf_endpoints/<name>.json: seeded data sets (numpy
SeedSequence(20261201), one child stream per file) with the values of
statsmodels 0.15.0 (NegativeBinomial, rank_compare_2indep) and of plain
numpy brute force (win/loss/tie counts over all pairs, an independent
re-implementation of the U-statistic variances). `generate.R` then adds the
R references (MASS::glm.nb, survival::coxph, nlme::gls + emmeans) in
<name>.r.json, case by case in the same order. Run both with generate.sh.

Conventions: the treatment arm first; non-finite floats as "inf", "-inf",
"nan"; `expect_error` names the NotAnalysable variant (snake_case) the Rust
kernel must return.
"""

import json
import math
import pathlib
import warnings

import numpy as np

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "hf_endpoints"
SEED = 20261201


def f(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def write(name, payload):
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    path.write_text(json.dumps(payload, separators=(",", ":"), allow_nan=False) + "\n")
    print("wrote", path, len(payload["cases"]), "cases")


# ------------------------------------------------------------------ counts
def count_datasets(rng):
    """(label, [counts_t, exposure_t], [counts_c, exposure_c]) for NB."""
    out = []
    sizes = [1, 2, 3, 5, 8, 12, 20, 40, 100, 400, 1500]
    k = 0
    while len(out) < 230:
        n_t = int(sizes[k % len(sizes)])
        n_c = int(sizes[(k * 7 + 3) % len(sizes)]) if k % 3 == 0 else n_t
        k += 1
        rate_c = rng.choice([0.05, 0.3, 1.0, 3.0]) / 365.0
        rr = rng.choice([0.5, 0.8, 1.0, 1.3])
        shape = rng.choice([0.3, 1.0, 3.0, 50.0, np.inf])  # gamma frailty shape
        fu_kind = rng.choice(["equal", "uniform", "dropout"])

        def arm(n, rate):
            if fu_kind == "equal":
                fu = np.full(n, 360.0)
            elif fu_kind == "uniform":
                fu = rng.uniform(30.0, 720.0, n)
            else:  # heavy dropout
                fu = np.minimum(360.0, rng.exponential(90.0, n) + 1.0)
            fu = np.round(fu, 3)
            frailty = np.ones(n) if np.isinf(shape) else rng.gamma(shape, 1.0 / shape, n)
            y = rng.poisson(rate * fu * frailty)
            return y.astype(int), fu

        yt, ft = arm(n_t, rate_c * rr)
        yc, fc = arm(n_c, rate_c)
        label = f"n{n_t}v{n_c}_{fu_kind}_shape{shape}"
        out.append((label, yt, ft, yc, fc))
    # awkward corners
    out.append(("no_events_treated", np.zeros(6, int), np.full(6, 300.0), np.array([2, 0, 1, 4, 0, 3]), np.full(6, 300.0)))
    out.append(("no_events_control", np.array([1, 0, 5, 2]), np.array([100.0, 360, 50, 200]), np.zeros(5, int), np.array([360.0, 20, 90, 360, 180])))
    out.append(("no_events", np.zeros(3, int), np.full(3, 10.0), np.zeros(3, int), np.full(3, 10.0)))
    out.append(("underdispersed", np.array([1, 1, 1, 1, 2]), np.full(5, 100.0), np.array([2, 2, 2, 2, 1, 2]), np.full(6, 100.0)))
    out.append(("one_patient_each", np.array([3]), np.array([200.0]), np.array([1]), np.array([300.0])))
    out.append(("ties_and_big_counts", np.array([0, 0, 9, 9, 1, 0, 0, 8]), np.array([360.0, 360, 360, 20, 360, 1, 360, 100]), np.array([1, 1, 2, 0, 0, 7]), np.array([360.0, 200, 360, 360, 5, 60])))
    return out


def nb_statsmodels(yt, ft, yc, fc):
    import statsmodels.api as sm

    y = np.concatenate([yt, yc])
    x = np.concatenate([np.ones(len(yt)), np.zeros(len(yc))])
    expo = np.concatenate([ft, fc])
    X = np.column_stack([np.ones(len(y)), x])
    res = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            m = sm.NegativeBinomial(y, X, exposure=expo, loglike_method="nb2")
            fit = m.fit(method="newton", maxiter=500, tol=1e-14, disp=0)
            # polish with bfgs-free newton steps from the result
            fit = m.fit(start_params=fit.params, method="newton", maxiter=500, tol=1e-15, disp=0)
            params = fit.params
            res = {
                "log_rate_ratio": f(params[1]),
                "alpha": f(params[2]),
                "log_likelihood": f(fit.llf),
                "converged": bool(fit.mle_retvals.get("converged", False)),
            }
        except Exception as e:  # noqa: BLE001 - recorded, compared only when converged
            res = {"error": str(e)}
    return res


def negbin_fixture(rng):
    cases = []
    for label, yt, ft, yc, fc in count_datasets(rng):
        total = int(yt.sum() + yc.sum())
        case = {
            "label": label,
            "treatment": {"count": [int(v) for v in yt], "exposure": [f(v) for v in ft]},
            "control": {"count": [int(v) for v in yc], "exposure": [f(v) for v in fc]},
        }
        if total == 0:
            case["expect_error"] = "no_events"
        elif yt.sum() == 0 or yc.sum() == 0:
            case["wald_expect_error"] = "monotone_likelihood"
        else:
            case["statsmodels"] = nb_statsmodels(yt, ft, yc, fc)
        cases.append(case)
    write("negbin.json", {"reference": "statsmodels 0.15.0 NegativeBinomial (nb2, exposure); R values in negbin.r.json", "cases": cases})


# --------------------------------------------------------- recurrent events
def recurrent_datasets(rng):
    """Per subject event histories: (label, subjects) with subjects a list of
    (treated, follow_up, [event times], terminal) ready for counting-process
    intervals."""
    out = []
    sizes = [1, 2, 3, 5, 10, 20, 50, 150, 400]
    k = 0
    while len(out) < 215:
        n_t = int(sizes[k % len(sizes)])
        n_c = n_t if k % 4 else int(sizes[(k * 5 + 2) % len(sizes)])
        k += 1
        rate = rng.choice([0.3, 1.0, 3.0]) / 365.0
        rr = rng.choice([0.6, 1.0, 1.5])
        shape = rng.choice([0.5, 2.0, np.inf])
        grid = rng.choice([0.0, 1.0, 30.0])  # rounding: 0 = none, else ties
        dropout = rng.choice([0.0, 1.0 / 200.0, 1.0 / 60.0])
        terminal = rng.choice([False, True])
        subjects = []
        for treated, n in [(True, n_t), (False, n_c)]:
            for _ in range(n):
                fu = 360.0
                if dropout > 0:
                    fu = min(fu, rng.exponential(1.0 / dropout) + 1.0)
                if grid > 0:
                    fu = max(grid, math.ceil(fu / grid) * grid)
                z = 1.0 if np.isinf(shape) else rng.gamma(shape, 1.0 / shape)
                lam = rate * (rr if treated else 1.0) * z
                times, t = [], 0.0
                while True:
                    t += rng.exponential(1.0 / lam)
                    if t >= fu:
                        break
                    tt = t if grid == 0 else max(grid, math.ceil(t / grid) * grid)
                    if tt >= fu:
                        break
                    if times and tt <= times[-1]:
                        continue  # a same-day repeat is one interval boundary
                    times.append(round(tt, 4))
                died = False
                if terminal and rng.random() < 0.15:
                    # death at the end of follow-up, counted as an event
                    died = True
                subjects.append((treated, round(fu, 4), times, died))
        out.append((f"n{n_t}v{n_c}_grid{grid}_shape{shape}_drop{dropout:.4f}_term{terminal}", subjects))
    # corners
    out.append(("no_events_treated", [(True, 100.0, [], False)] * 3 + [(False, 200.0, [50.0, 120.0], False), (False, 300.0, [10.0], False)]))
    out.append(("no_events", [(True, 100.0, [], False), (False, 200.0, [], False)]))
    out.append(("all_tied", [(True, 100.0, [50.0], False), (True, 100.0, [50.0], False), (False, 100.0, [50.0], False), (False, 100.0, [50.0, 70.0], False)]))
    return out


def intervals(subjects):
    rows = []  # subject, treated, start, stop, event
    for i, (treated, fu, times, died) in enumerate(subjects):
        start = 0.0
        for t in times:
            rows.append((i, treated, start, t, True))
            start = t
        if fu > start:
            rows.append((i, treated, start, fu, bool(died)))
    return rows


def ag_monotone(rows):
    times = sorted({r[3] for r in rows if r[4]})
    def at_risk(t, arm):
        return any(r[1] == arm and r[2] < t <= r[3] for r in rows)
    def ev(t, arm):
        return any(r[1] == arm and r[4] and r[3] == t for r in rows)
    a = any(ev(t, False) and at_risk(t, True) for t in times)
    b = any(ev(t, True) and at_risk(t, False) for t in times)
    return not (a and b)


def lwyy_fixture(rng):
    cases = []
    for label, subjects in recurrent_datasets(rng):
        rows = intervals(subjects)
        case = {
            "label": label,
            "subject": [r[0] for r in rows],
            "treated": [int(r[1]) for r in rows],
            "start": [f(r[2]) for r in rows],
            "stop": [f(r[3]) for r in rows],
            "event": [int(r[4]) for r in rows],
        }
        if not any(r[4] for r in rows):
            case["expect_error"] = "no_events"
        elif ag_monotone(rows):
            case["expect_error"] = "monotone_likelihood"
        cases.append(case)
    write("lwyy.json", {"reference": "R survival::coxph(Surv(start, stop, event) ~ arm + cluster(id)) in lwyy.r.json", "cases": cases})


# ---------------------------------------------------------------- win ratio
def win_datasets(rng):
    """Patients with follow-up, death, HF hospitalizations and two
    continuous values; hierarchies over them."""
    out = []
    sizes = [2, 3, 5, 8, 15, 30, 60, 150]
    k = 0
    while len(out) < 230:
        n_t = int(sizes[k % len(sizes)])
        n_c = n_t if k % 3 else int(sizes[(k * 3 + 1) % len(sizes)])
        k += 1
        grid = rng.choice([0.0, 1.0, 30.0])
        vround = rng.choice([0.0, 1.0, 10.0])
        missing = rng.choice([0.0, 0.1, 0.4])
        kind = k % 5
        patients = []
        for treated, n in [(True, n_t), (False, n_c)]:
            for _ in range(n):
                fu = 360.0 if rng.random() < 0.6 else float(rng.uniform(20, 360))
                death = float(rng.exponential(900.0 if treated else 700.0))
                death = None if death > fu else death
                if death is not None:
                    fu = death
                hfh, t = [], 0.0
                while True:
                    t += float(rng.exponential(500.0 if treated else 400.0))
                    if t > fu or len(hfh) == 8:
                        break
                    hfh.append(t)
                if grid > 0:
                    r = lambda x: max(grid, math.ceil(x / grid) * grid)
                    fu = r(fu)
                    death = None if death is None else fu
                    hfh = sorted({min(r(h), fu) for h in hfh})
                    if death is not None:
                        hfh = [h for h in hfh if h < death]
                v = [float(rng.normal(5.0 if treated else 0.0, 20.0)), float(rng.normal(0.0, 1.0))]
                if vround > 0:
                    v = [round(x / vround) * vround for x in v]
                v = [x if rng.random() >= missing else float("nan") for x in v]
                patients.append((treated, fu, death, hfh, v))
        if kind == 0:
            comps = [("death", 0.0), ("hfh_count", 0.0), ("cont0_higher", 5.0)]
        elif kind == 1:
            comps = [("death", 0.0), ("hfh_time", 0.0), ("cont0_higher", 0.0), ("cont1_lower", 0.5)]
        elif kind == 2:
            comps = [("cont0_higher", 0.0)]
        elif kind == 3:
            comps = [("hfh_count", 0.0), ("death", 0.0)]
        else:
            comps = [("death", 0.0), ("cont1_lower", 0.0)]
        out.append((f"n{n_t}v{n_c}_kind{kind}_grid{grid}_round{vround}_miss{missing}", patients, comps))
    # corners: one continuous component without ties and without missing
    for n_t, n_c in [(2, 2), (3, 7), (10, 10), (40, 25), (200, 180)]:
        for _ in range(3):
            patients = [(tr, 360.0, None, [], [float(rng.normal(0.3 if tr else 0.0, 1.0)), 0.0]) for tr, n in [(True, n_t), (False, n_c)] for _ in range(n)]
            out.append((f"continuous_no_ties_{n_t}v{n_c}", patients, [("cont0_higher", 0.0)]))
    out.append(("all_tied", [(tr, 360.0, None, [], [1.0, 1.0]) for tr in [True, True, False, False]], [("death", 0.0), ("cont0_higher", 0.0)]))
    out.append(("separated", [(True, 360.0, None, [], [9.0, 0.0]), (True, 360.0, None, [], [8.0, 0.0]), (False, 360.0, None, [], [1.0, 0.0]), (False, 360.0, None, [], [2.0, 0.0])], [("cont0_higher", 0.0)]))
    return out


def brute_force(patients, comps):
    """Independent pair-by-pair count (plain Python)."""
    t = [p for p in patients if p[0]]
    c = [p for p in patients if not p[0]]
    W = np.zeros((len(t), len(c)))
    L = np.zeros((len(t), len(c)))
    for i, a in enumerate(t):
        for j, b in enumerate(c):
            shared = min(a[1], b[1])
            res = 0
            for name, margin in comps:
                if name == "death" or name == "hfh_time":
                    if name == "death":
                        da, db = a[2], b[2]
                    else:
                        da = a[3][0] if a[3] else None
                        db = b[3][0] if b[3] else None
                    da = da if (da is not None and da <= shared) else None
                    db = db if (db is not None and db <= shared) else None
                    if da is None and db is None:
                        continue
                    if da is None:
                        res = 1
                    elif db is None:
                        res = -1
                    elif da > db:
                        res = 1
                    elif da < db:
                        res = -1
                    else:
                        continue
                    break
                if name == "hfh_count":
                    na = sum(1 for h in a[3] if h <= shared)
                    nb = sum(1 for h in b[3] if h <= shared)
                    if na == nb:
                        continue
                    res = 1 if na < nb else -1
                    break
                idx = 0 if name.startswith("cont0") else 1
                va, vb = a[4][idx], b[4][idx]
                if math.isnan(va) or math.isnan(vb):
                    continue
                d = (va - vb) if name.endswith("higher") else (vb - va)
                if d > margin:
                    res = 1
                    break
                if d < -margin:
                    res = -1
                    break
            W[i, j] = res == 1
            L[i, j] = res == -1
    return W, L


def u_variances(W, L):
    """Two-sample U-statistic covariance of (P_w, P_l) from placements."""
    nt, nc = W.shape
    a = np.column_stack([W.mean(axis=1), L.mean(axis=1)])
    b = np.column_stack([W.mean(axis=0), L.mean(axis=0)])
    S = np.cov(a, rowvar=False, ddof=1) / nt + np.cov(b, rowvar=False, ddof=1) / nc
    return S[0, 0], S[0, 1], S[1, 1]


def win_fixture(rng):
    from statsmodels.stats.nonparametric import rank_compare_2indep

    cases = []
    for label, patients, comps in win_datasets(rng):
        W, L = brute_force(patients, comps)
        nt, nc = W.shape
        wins, losses = int(W.sum()), int(L.sum())
        ties = nt * nc - wins - losses
        vww, vwl, vll = u_variances(W, L)
        pw, pl = wins / (nt * nc), losses / (nt * nc)
        theta = pw + 0.5 * ties / (nt * nc)
        case = {
            "label": label,
            "components": [{"kind": n, "margin": m} for n, m in comps],
            "treated": [int(p[0]) for p in patients],
            "follow_up": [f(p[1]) for p in patients],
            "death": [f(p[2]) if p[2] is not None else None for p in patients],
            "hfh": [[f(h) for h in p[3]] for p in patients],
            "values": [[f(v) for v in p[4]] for p in patients],
            "wins": wins, "losses": losses, "ties": ties,
            "win_probability": f(theta),
            "var_wins": f(vww), "cov_wins_losses": f(vwl), "var_losses": f(vll),
        }
        if wins > 0 and losses > 0:
            case["var_log_win_ratio"] = f(vww / pw**2 + vll / pl**2 - 2 * vwl / (pw * pl))
        if comps == [("cont0_higher", 0.0)]:
            x1 = np.array([p[4][0] for p in patients if p[0]])
            x2 = np.array([p[4][0] for p in patients if not p[0]])
            if not (np.isnan(x1).any() or np.isnan(x2).any()):
                r = rank_compare_2indep(x1, x2, use_t=False)
                case["statsmodels"] = {"prob1": f(r.prob1), "var_prob": f(r.var_prob),
                                       "statistic": f(r.statistic) if np.isfinite(r.statistic) else None,
                                       "ties": bool(len(np.unique(np.concatenate([x1, x2]))) < len(x1) + len(x2))}
        cases.append(case)
    write("win_ratio.json", {"reference": "O(n^2) brute force and numpy U-statistic variances (independent Python); statsmodels 0.15.0 rank_compare_2indep for one continuous component", "cases": cases})


# --------------------------------------------------------------------- MMRM
def mmrm_datasets(rng):
    out = []
    sizes = [3, 4, 6, 10, 20, 40, 100, 200]
    k = 0
    while len(out) < 240:
        n = int(sizes[k % len(sizes)])
        n_c = n if k % 4 else int(sizes[(k * 3 + 2) % len(sizes)])
        K = int([2, 3, 4, 3][k % 4])
        k += 1
        sd = np.sqrt(np.linspace(1.0, rng.uniform(1.5, 4.0), K)) * rng.choice([1.0, 10.0, 40.0])
        rho = rng.uniform(0.2, 0.85)
        C = np.array([[rho ** abs(a - b) for b in range(K)] for a in range(K)])
        S = np.outer(sd, sd) * C
        Lc = np.linalg.cholesky(S)
        effect = rng.choice([0.0, 0.5, 1.0]) * sd[-1]
        slope = rng.choice([-0.5, 0.0, 0.3])
        drop = rng.choice([0.0, 0.1, 0.3, 0.5])  # per-visit MAR dropout strength
        inter = rng.choice([0.0, 0.1])
        pts = []
        for treated, m in [(1, n), (0, n_c)]:
            for _ in range(m):
                b = float(rng.normal(100.0, 15.0))
                y = (effect * treated * np.linspace(0.3, 1.0, K) + slope * (b - 100.0)
                     + Lc @ rng.normal(size=K))
                vals = []
                gone = False
                for v in range(K):
                    if gone or (inter > 0 and rng.random() < inter):
                        vals.append(None)
                    else:
                        vals.append(round(float(y[v]), 6))
                    # MAR: dropout after this visit depends on the observed value
                    if not gone and vals[-1] is not None and drop > 0:
                        p = drop / (1.0 + math.exp(-(vals[-1] - y.mean()) / sd[v]))
                        gone = rng.random() < p
                pts.append((treated, round(b, 4), vals))
        out.append((f"K{K}_n{n}v{n_c}_drop{drop}_inter{inter}", K, pts))
    return out


def mmrm_fixture(rng):
    cases = []
    for label, K, pts in mmrm_datasets(rng):
        case = {
            "label": label,
            "n_visits": K,
            "treated": [p[0] for p in pts],
            "baseline": [f(p[1]) for p in pts],
            "values": [[None if v is None else f(v) for v in p[2]] for p in pts],
        }
        cases.append(case)
    write("mmrm.json", {"reference": "R nlme::gls(corSymm + varIdent, REML) with emmeans (Satterthwaite) in mmrm.r.json", "cases": cases})


def main():
    ss = np.random.SeedSequence(SEED)
    streams = [np.random.default_rng(s) for s in ss.spawn(8)]
    negbin_fixture(streams[0])
    lwyy_fixture(streams[1])
    win_fixture(streams[2])
    mmrm_fixture(streams[3])


if __name__ == "__main__":
    main()
