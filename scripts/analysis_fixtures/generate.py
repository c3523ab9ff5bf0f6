#!/usr/bin/env python3
"""Write the reference fixtures for hfsim's statistics layer.

Every data set is drawn from a seeded numpy generator, analysed with the
reference libraries pinned in requirements.txt (scipy, statsmodels,
lifelines, mpmath), and written with its inputs and the reference outputs to
tests/fixtures/analysis/*.json. The Rust tests (tests/analysis_reference.rs)
read these files; they never run Python.

Usage (from the repository root):
    python -m venv .venv && .venv/bin/pip install -r scripts/analysis_fixtures/requirements.txt
    .venv/bin/python scripts/analysis_fixtures/generate.py

Conventions: the treatment arm is always first; alternatives are stated for
(treatment - control): "two_sided", "greater", "less". Non-finite floats are
written as the strings "inf", "-inf" and "nan". A reference that fails or
returns NaN is recorded as {"error": "..."} and the case carries the
NotAnalysable variant the Rust kernel must return ("expect_error").
"""

from __future__ import annotations

import json
import math
import platform
import sys
import warnings
from pathlib import Path

import numpy as np
import scipy
import statsmodels
import lifelines
import mpmath
from scipy import stats

import statsmodels.api as sm
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import survdiff
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import TTestIndPower
from statsmodels.stats.proportion import (
    power_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)
from lifelines import CoxPHFitter
from lifelines.statistics import logrank_test

import pandas as pd

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "analysis"
SEED = 20261121
ALTS = ["two_sided", "greater", "less"]
SCIPY_ALT = {"two_sided": "two-sided", "greater": "greater", "less": "less"}
SM_ALT = {"two_sided": "two-sided", "greater": "larger", "less": "smaller"}

warnings.filterwarnings("ignore")


def f(x):
    """A float for JSON: non-finite values as strings."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def floats(a):
    return [f(v) for v in np.asarray(a, dtype=float).ravel()]


def meta(kernel, note):
    return {
        "kernel": kernel,
        "note": note,
        "seed": SEED,
        "generator": "scripts/analysis_fixtures/generate.py",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "statsmodels": statsmodels.__version__,
        "lifelines": lifelines.__version__,
        "mpmath": mpmath.__version__,
    }


def write(name, payload):
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    path.write_text(json.dumps(payload, separators=(",", ":"), allow_nan=False) + "\n")
    n = len(payload.get("cases", []))
    print(f"{path.relative_to(OUT.parents[2])}: {n} cases, {path.stat().st_size / 1024:.0f} KiB")


# --------------------------------------------------------------------------
# two-sample continuous data sets (t-tests, rank-sum)
# --------------------------------------------------------------------------

def continuous_datasets(rng):
    """(label, treatment, control) triples covering the awkward corners."""
    sets = []
    r4 = lambda a: np.round(a, 4)
    for _ in range(60):  # small n, 2..5 per arm
        nt, nc = rng.integers(2, 6, size=2)
        shift = rng.normal(0, 1.5)
        sets.append(("small_n", r4(rng.normal(shift, 1, nt)), r4(rng.normal(0, 1, nc))))
    for _ in range(30):  # unequal n and unequal spread
        nt, nc = rng.choice([3, 4, 7, 12, 40, 60, 90], size=2, replace=False)
        sets.append(("unequal_n", r4(rng.normal(rng.normal(0, 0.8), rng.uniform(0.3, 3), nt)),
                     r4(rng.normal(0, rng.uniform(0.3, 3), nc))))
    for _ in range(30):  # ties: rounded data
        nt, nc = rng.integers(4, 30, size=2)
        sets.append(("ties", np.round(rng.normal(rng.normal(0, 1), 2, nt)),
                     np.round(rng.normal(0, 2, nc))))
    for _ in range(15):  # zero variance in one arm
        nt, nc = rng.integers(2, 12, size=2)
        const = float(rng.integers(-5, 6))
        t = np.full(nt, const)
        c = r4(rng.normal(0, 1, nc))
        if rng.random() < 0.5:
            t, c = c, np.full(nc, const)
        sets.append(("zero_variance_one_arm", t, c))
    for k in range(6):  # zero variance in both arms (equal or different constants)
        nt, nc = rng.integers(2, 8, size=2)
        sets.append(("zero_variance_both_arms", np.full(nt, 3.0), np.full(nc, 3.0 + (k % 3))))
    for k in range(24):  # extreme separations (p down to ~1e-12 and below)
        n = int(rng.integers(5, 25))
        sep = [3, 5, 8, 12][k % 4]
        sign = 1 if k % 2 == 0 else -1
        sets.append(("extreme", r4(rng.normal(sign * sep, 1, n)), r4(rng.normal(0, 1, n + k % 3))))
    for _ in range(10):  # large n
        nt, nc = rng.integers(300, 1500, size=2)
        sets.append(("large_n", r4(rng.normal(0.1, 1, nt)), r4(rng.normal(0, 1.2, nc))))
    for _ in range(40):  # realistic endpoint scale: LVESV change (mL)
        nt, nc = rng.integers(8, 40, size=2)
        sets.append(("lvesv_scale", r4(rng.normal(-39.46, 59.85, nt)), r4(rng.normal(3.46, 16.26, nc))))
    for _ in range(5):  # one observation in an arm
        sets.append(("one_observation", r4(rng.normal(0, 1, 1)), r4(rng.normal(0, 1, 4))))
    return sets


def ttest_fixture(rng):
    cases = []
    for i, (label, t, c) in enumerate(continuous_datasets(rng)):
        case = {"id": i, "label": label, "treatment": floats(t), "control": floats(c)}
        for kind, equal_var in (("student", True), ("welch", False)):
            out = {}
            for alt in ALTS:
                res = stats.ttest_ind(t, c, equal_var=equal_var, alternative=SCIPY_ALT[alt])
                if not (np.isfinite(res.statistic) and np.isfinite(res.pvalue)):
                    out[alt] = {"error": f"scipy returned statistic={res.statistic}, p={res.pvalue}"}
                else:
                    out[alt] = {
                        "statistic": f(res.statistic),
                        "p_value": f(res.pvalue),
                        "df": f(res.df),
                        "estimate": f(np.mean(t) - np.mean(c)),
                    }
            case[kind] = out
        if len(t) < 2 or len(c) < 2:
            case["expect_error"] = "too_few_observations"
        elif np.ptp(t) == 0 and np.ptp(c) == 0:
            case["expect_error"] = "zero_variance"
        cases.append(case)
    write("ttest.json", {"meta": meta("ttest", "scipy.stats.ttest_ind, equal_var True (student) / False (welch)"), "cases": cases})


def wilcoxon_fixture(rng):
    sets = continuous_datasets(rng)
    r4 = lambda a: np.round(a, 4)
    # extra: tiny arms, all tied, complete separation with p ~ 1e-12, exact up to 50
    for n1 in (1, 2, 3):
        for n2 in (1, 2, 4, 7):
            sets.append(("tiny_arms", r4(rng.normal(0, 1, n1)), r4(rng.normal(0.5, 1, n2))))
    for _ in range(4):
        sets.append(("all_tied", np.full(int(rng.integers(1, 6)), 2.0), np.full(int(rng.integers(1, 6)), 2.0)))
    for n in (20, 22, 24):
        sets.append(("complete_separation", r4(rng.normal(10, 1, n)), r4(rng.normal(0, 1, n))))
        sets.append(("complete_separation", r4(rng.normal(-10, 1, n)), r4(rng.normal(0, 1, n + 1))))
    for _ in range(10):
        n1, n2 = rng.integers(30, 51, size=2)
        sets.append(("exact_up_to_50", r4(rng.normal(0.4, 1, n1)), r4(rng.normal(0, 1, n2))))
    cases = []
    for i, (label, t, c) in enumerate(sets):
        if len(t) == 0 or len(c) == 0:
            continue
        pooled = np.concatenate([t, c])
        ties = len(np.unique(pooled)) < len(pooled)
        case = {"id": i, "label": label, "treatment": floats(t), "control": floats(c), "has_ties": bool(ties)}
        for method in ("asymptotic", "exact"):
            if method == "exact" and ties:
                continue
            if method == "exact" and len(t) * len(c) > 60000:
                continue
            out = {}
            for alt in ALTS:
                res = stats.mannwhitneyu(t, c, use_continuity=True, alternative=SCIPY_ALT[alt], method=method)
                out[alt] = {"statistic": f(res.statistic), "p_value": f(res.pvalue)}
            case[method] = out
        case["estimate"] = f(np.mean(t) - np.mean(c))
        if np.ptp(pooled) == 0:
            # scipy returns p = 1 here; hfsim refuses to rank identical values
            case["expect_error"] = "zero_variance"
        cases.append(case)
    write("wilcoxon.json", {"meta": meta("wilcoxon", "scipy.stats.mannwhitneyu, use_continuity=True, method exact/asymptotic"), "cases": cases})


# --------------------------------------------------------------------------
# ANCOVA
# --------------------------------------------------------------------------

def ancova_fixture(rng):
    sets = []
    r4 = lambda a: np.round(a, 4)

    def arm(n, effect, slope, noise, base_mean=0.0, base_sd=1.0):
        x = r4(rng.normal(base_mean, base_sd, n))
        y = r4(effect + slope * x + rng.normal(0, noise, n))
        return np.column_stack([x, y])

    for _ in range(60):
        nt, nc = rng.integers(2, 6, size=2)
        sets.append(("small_n", arm(nt, rng.normal(0, 1), 0.5, 1), arm(nc, 0, 0.5, 1)))
    for _ in range(40):
        nt, nc = rng.integers(5, 80, size=2)
        sets.append(("unequal_n", arm(nt, rng.normal(0, 0.5), rng.uniform(-1, 1), rng.uniform(0.2, 2)),
                     arm(nc, 0, rng.uniform(-1, 1), rng.uniform(0.2, 2))))
    for _ in range(40):  # LVEF-like scale: baseline 28 %, change with regression to the mean
        nt, nc = rng.integers(10, 40, size=2)
        sets.append(("lvef_scale", arm(nt, 18 + 4, 0.35, 4.5, 28, 6), arm(nc, 18, 0.35, 4.5, 28, 6)))
    for _ in range(20):  # ties: integer baselines and outcomes
        nt, nc = rng.integers(4, 25, size=2)
        t = np.round(arm(nt, 1, 0.6, 1.5, 0, 2))
        c = np.round(arm(nc, 0, 0.6, 1.5, 0, 2))
        sets.append(("ties", t, c))
    for k in range(20):  # extreme effect
        n = int(rng.integers(6, 25))
        sets.append(("extreme", arm(n, [6, 10, 20, -8][k % 4], 0.5, 1), arm(n + k % 3, 0, 0.5, 1)))
    for _ in range(8):  # large n
        nt, nc = rng.integers(300, 1200, size=2)
        sets.append(("large_n", arm(nt, 0.1, 0.7, 1), arm(nc, 0, 0.7, 1)))
    for _ in range(6):  # baseline constant in one arm only: still estimable
        nt, nc = rng.integers(3, 10, size=2)
        t = arm(nt, 1, 0.5, 1)
        t[:, 0] = 2.0
        sets.append(("constant_baseline_one_arm", t, arm(nc, 0, 0.5, 1)))
    for _ in range(5):  # baseline constant within each arm: singular
        nt, nc = rng.integers(2, 8, size=2)
        t = arm(nt, 1, 0.5, 1)
        c = arm(nc, 0, 0.5, 1)
        t[:, 0] = 1.0
        c[:, 0] = float(rng.integers(0, 3))
        sets.append(("singular", t, c))
    for _ in range(3):  # perfect fit: zero residual variance
        nt, nc = rng.integers(3, 7, size=2)
        t = arm(nt, 0, 0, 1)
        c = arm(nc, 0, 0, 1)
        t[:, 1] = 2.0 + 0.5 * t[:, 0]
        c[:, 1] = 0.5 * c[:, 0]
        t = np.round(t * 4) / 4
        c = np.round(c * 4) / 4
        t[:, 1] = 2.0 + 0.5 * t[:, 0]
        c[:, 1] = 0.5 * c[:, 0]
        sets.append(("perfect_fit", t, c))
    for _ in range(3):
        sets.append(("one_observation", arm(1, 0, 0.5, 1), arm(5, 0, 0.5, 1)))

    cases = []
    for i, (label, t, c) in enumerate(sets):
        case = {"id": i, "label": label, "treatment": [floats(p) for p in t], "control": [floats(p) for p in c]}
        x = np.concatenate([t[:, 0], c[:, 0]])
        y = np.concatenate([t[:, 1], c[:, 1]])
        g = np.concatenate([np.ones(len(t)), np.zeros(len(c))])
        X = np.column_stack([np.ones_like(x), g, x])
        singular = np.linalg.matrix_rank(X) < 3
        if len(t) < 2 or len(c) < 2:
            case["expect_error"] = "too_few_observations"
        elif singular:
            case["expect_error"] = "singular_design"
        res = sm.OLS(y, X).fit()
        tval, df = float(res.tvalues[1]), float(res.df_resid)
        syy_within = sum(((a[:, 1] - a[:, 1].mean()) ** 2).sum() for a in (t, c))
        if case.get("expect_error") is None and (not np.isfinite(tval) or res.ssr <= 1e-20 * syy_within):
            case["expect_error"] = "zero_variance"
        if "expect_error" in case:
            case["reference"] = {"error": f"statsmodels: rank={np.linalg.matrix_rank(X)}, t={tval}, ssr={res.ssr}"}
        else:
            case["reference"] = {
                "estimate": f(res.params[1]),
                "se": f(res.bse[1]),
                "statistic": f(tval),
                "df": f(df),
                "p_value": {
                    "two_sided": f(res.pvalues[1]),
                    "greater": f(stats.t.sf(tval, df)),
                    "less": f(stats.t.cdf(tval, df)),
                },
            }
        cases.append(case)
    write("ancova.json", {"meta": meta("ancova", "statsmodels OLS y ~ 1 + treatment + baseline; one-sided p from scipy.stats.t with statsmodels' t and df_resid"), "cases": cases})


# --------------------------------------------------------------------------
# log-rank and Cox
# --------------------------------------------------------------------------

def survival_datasets(rng):
    sets = []

    def arm(n, hazard, censor_rate, round_to=None, admin=None):
        ev = rng.exponential(1 / hazard, n)
        ce = rng.exponential(1 / censor_rate, n) if censor_rate > 0 else np.full(n, np.inf)
        if admin is not None:
            ce = np.minimum(ce, admin)
        time = np.minimum(ev, ce)
        event = ev <= ce
        if round_to is not None:
            time = np.maximum(np.round(time / round_to) * round_to, round_to)
        else:
            time = np.round(time, 5)
        return time, event

    for _ in range(50):  # small n
        nt, nc = rng.integers(2, 8, size=2)
        sets.append(("small_n", arm(nt, rng.uniform(0.5, 2), 0.3), arm(nc, 1, 0.3)))
    for _ in range(40):  # moderate, unequal
        nt, nc = rng.integers(10, 80, size=2)
        sets.append(("moderate", arm(nt, rng.uniform(0.4, 1.5), 0.5), arm(nc, 1, 0.5)))
    for _ in range(30):  # ties: times on a coarse grid (months)
        nt, nc = rng.integers(10, 60, size=2)
        sets.append(("ties", arm(nt, 0.7, 0.4, round_to=0.25), arm(nc, 1, 0.4, round_to=0.25)))
    for _ in range(25):  # heavy censoring
        nt, nc = rng.integers(20, 100, size=2)
        sets.append(("heavy_censoring", arm(nt, 0.1, 2.0), arm(nc, 0.15, 2.0)))
    for _ in range(20):  # administrative censoring + ties with censored at same time
        nt, nc = rng.integers(15, 60, size=2)
        sets.append(("admin_censoring", arm(nt, 0.5, 0.1, round_to=0.5, admin=2.0), arm(nc, 0.8, 0.1, round_to=0.5, admin=2.0)))
    for k in range(12):  # all events in one arm
        nt, nc = rng.integers(3, 30, size=2)
        t = arm(nt, 1, 0.2)
        c = arm(nc, 1, 0.2)
        if k % 2 == 0:
            c = (np.maximum(c[0], 0.0), np.zeros(nc, dtype=bool))
        else:
            t = (t[0], np.zeros(nt, dtype=bool))
        sets.append(("all_events_one_arm", t, c))
    for k in range(14):  # extreme separation
        n = int(rng.integers(20, 60))
        sets.append(("extreme", arm(n, [8, 15, 30, 60][k % 4], 0.05), arm(n, 1, 0.05)))
    for _ in range(8):  # large n
        nt, nc = rng.integers(300, 1000, size=2)
        sets.append(("large_n", arm(nt, 0.8, 0.3), arm(nc, 1, 0.3)))
    for _ in range(4):  # no events
        nt, nc = rng.integers(1, 10, size=2)
        sets.append(("no_events", (np.round(rng.uniform(0, 3, nt), 3), np.zeros(nt, bool)),
                     (np.round(rng.uniform(0, 3, nc), 3), np.zeros(nc, bool))))
    for _ in range(3):  # events only where one arm is no longer at risk: zero variance
        nt, nc = rng.integers(2, 6, size=2)
        t = (np.round(rng.uniform(0.1, 0.5, nt), 3), np.zeros(nt, bool))
        c = (np.round(rng.uniform(1, 3, nc), 3), np.ones(nc, bool))
        sets.append(("zero_variance", t, c))
    return sets


def logrank_sums(tt, et, tc, ec):
    """Independent numpy computation of O_t, E_t, V (vectorised)."""
    time = np.concatenate([tt, tc])
    event = np.concatenate([et, ec]).astype(bool)
    grp = np.concatenate([np.ones(len(tt)), np.zeros(len(tc))])
    ut = np.unique(time[event])
    o = e = v = 0.0
    for u in ut:
        risk = time >= u
        n = risk.sum()
        n1 = (risk & (grp == 1)).sum()
        d = ((time == u) & event).sum()
        d1 = ((time == u) & event & (grp == 1)).sum()
        o += d1
        e += d * n1 / n
        if n > 1:
            v += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
    return o, e, v, event[grp == 1].sum(), event[grp == 0].sum()


def cox_mle_exists(time, event, grp):
    """The Cox MLE for a binary covariate is finite iff some control event
    happens while a treated patient is at risk and some treatment event
    happens while a control patient is at risk (otherwise the partial
    likelihood is monotone)."""
    a = b = False
    for u in np.unique(time[event]):
        risk = time >= u
        at_t = (risk & (grp == 1)).sum()
        at_c = (risk & (grp == 0)).sum()
        ev = (time == u) & event
        if at_t > 0 and (ev & (grp == 0)).any():
            a = True
        if at_c > 0 and (ev & (grp == 1)).any():
            b = True
    return a and b


def cox_reference(time, event, grp):
    """statsmodels PHReg (Efron), polished by Newton steps on its own score."""
    mod = PHReg(time, grp[:, None], status=event.astype(float), ties="efron")
    beta = np.asarray(mod.fit(disp=False).params, dtype=float)
    for _ in range(50):
        score = mod.score(beta)
        hess = mod.hessian(beta)
        step = -np.linalg.solve(hess, score)
        beta = beta + step
        if abs(step[0]) < 1e-15 * max(1.0, abs(beta[0])):
            break
    se = float(np.sqrt(-1.0 / mod.hessian(beta)[0, 0]))
    return float(beta[0]), se, float(mod.score(beta)[0])


def logrank_fixture(rng):
    cases = []
    for i, (label, (tt, et), (tc, ec)) in enumerate(survival_datasets(rng)):
        case = {
            "id": i,
            "label": label,
            "treatment": {"time": floats(tt), "event": [bool(v) for v in et]},
            "control": {"time": floats(tc), "event": [bool(v) for v in ec]},
        }
        o, e, v, d_t, d_c = logrank_sums(tt, et, tc, ec)
        lr = logrank_test(tt, tc, event_observed_A=et, event_observed_B=ec)
        chi2_lifelines, p_lifelines = float(lr.test_statistic), float(lr.p_value)
        time = np.concatenate([tt, tc])
        event = np.concatenate([et, ec]).astype(bool)
        grp = np.concatenate([np.ones(len(tt)), np.zeros(len(tc))])
        try:
            chi2_sm, p_sm = survdiff(time, event.astype(float), grp)
        except Exception as exc:  # noqa: BLE001
            chi2_sm, p_sm = float("nan"), float("nan")
        ref = {
            "observed_treatment": f(o),
            "expected_treatment": f(e),
            "variance": f(v),
            "chi2_lifelines": f(chi2_lifelines),
            "p_two_sided_lifelines": f(p_lifelines),
            "chi2_statsmodels": f(chi2_sm),
            "p_two_sided_statsmodels": f(p_sm),
        }
        if d_t + d_c == 0:
            case["expect_error"] = "no_events"
        elif not v > 0:
            case["expect_error"] = "zero_variance"
        else:
            z = math.copysign(math.sqrt(chi2_lifelines), o - e)
            ref["z"] = f(z)
            ref["p_value"] = {
                "two_sided": f(p_lifelines),
                "greater": f(stats.norm.sf(z)),
                "less": f(stats.norm.cdf(z)),
            }
            e_c = (d_t + d_c) - e
            ref["pike_hazard_ratio"] = f((o / e) / (d_c / e_c)) if d_c > 0 else "inf"
            if cox_mle_exists(time, event, grp):
                beta, se, score = cox_reference(time, event, grp)
                ref["cox_log_hazard_ratio"] = f(beta)
                ref["cox_se"] = f(se)
                ref["cox_score_at_estimate"] = f(score)
                try:
                    df = pd.DataFrame({"T": time, "E": event.astype(int), "g": grp})
                    cph = CoxPHFitter().fit(df, "T", "E", fit_options={"precision": 1e-12, "max_steps": 2000})
                    ref["cox_log_hazard_ratio_lifelines"] = f(cph.params_["g"])
                except Exception as exc:  # noqa: BLE001
                    ref["cox_log_hazard_ratio_lifelines"] = "nan"
            else:
                ref["cox_log_hazard_ratio"] = None
        case["reference"] = ref
        cases.append(case)
    write("logrank.json", {"meta": meta("logrank", "lifelines logrank_test (chi2, two-sided p), statsmodels survdiff; signed Z from numpy O-E; one-sided p from scipy.stats.norm; Cox Efron from statsmodels PHReg polished with its own score/hessian, lifelines CoxPHFitter for cross-check"), "cases": cases})


# --------------------------------------------------------------------------
# binary endpoints: Fisher and the z-test
# --------------------------------------------------------------------------

def count_datasets(rng):
    sets = []
    for _ in range(60):  # small n
        nt, nc = rng.integers(1, 12, size=2)
        sets.append(("small_n", int(rng.integers(0, nt + 1)), int(nt), int(rng.integers(0, nc + 1)), int(nc)))
    for _ in range(40):  # equal arms: symmetric distributions, tied tables
        n = int(rng.integers(5, 60))
        sets.append(("equal_arms", int(rng.binomial(n, 0.4)), n, int(rng.binomial(n, 0.3)), n))
    for _ in range(40):  # unequal arms, realistic event rates
        nt, nc = rng.integers(20, 300, size=2)
        sets.append(("unequal_n", int(rng.binomial(nt, 0.15)), int(nt), int(rng.binomial(nc, 0.25)), int(nc)))
    for _ in range(15):  # zero events in one arm
        nt, nc = rng.integers(5, 80, size=2)
        sets.append(("zero_one_arm", 0, int(nt), int(rng.integers(1, nc + 1)), int(nc)))
    for _ in range(10):  # all events in one arm
        nt, nc = rng.integers(5, 80, size=2)
        sets.append(("all_one_arm", int(nt), int(nt), int(rng.integers(0, nc)), int(nc)))
    for k in range(16):  # extreme separation
        n = [20, 30, 40, 60][k % 4]
        sets.append(("extreme", n - k % 3, n, k % 2, n + k % 5))
    for _ in range(12):  # large n
        nt, nc = rng.integers(500, 5000, size=2)
        sets.append(("large_n", int(rng.binomial(nt, 0.10)), int(nt), int(rng.binomial(nc, 0.12)), int(nc)))
    for _ in range(5):  # no events at all
        nt, nc = rng.integers(1, 40, size=2)
        sets.append(("no_events", 0, int(nt), 0, int(nc)))
    for _ in range(4):  # everyone has the event
        nt, nc = rng.integers(1, 40, size=2)
        sets.append(("all_events", int(nt), int(nt), int(nc), int(nc)))
    return sets


def binary_expect_error(a, nt, c, nc):
    if a + c == 0:
        return "no_events"
    if a == nt and c == nc:
        return "zero_variance"
    return None


def fisher_fixture(rng):
    cases = []
    for i, (label, a, nt, c, nc) in enumerate(count_datasets(rng)):
        case = {"id": i, "label": label, "treat_events": a, "treat_n": nt, "ctrl_events": c, "ctrl_n": nc}
        out = {}
        for alt in ALTS:
            res = stats.fisher_exact([[a, nt - a], [c, nc - c]], alternative=SCIPY_ALT[alt])
            out[alt] = {"statistic": f(res.statistic), "p_value": f(res.pvalue)}
        case["reference"] = out
        case["estimate"] = f(a / nt - c / nc)
        err = binary_expect_error(a, nt, c, nc)
        if err:
            case["expect_error"] = err
        cases.append(case)
    write("fisher.json", {"meta": meta("fisher", "scipy.stats.fisher_exact on [[a, n_t - a], [c, n_c - c]]"), "cases": cases})


def proportions_fixture(rng):
    cases = []
    for i, (label, a, nt, c, nc) in enumerate(count_datasets(rng)):
        case = {"id": i, "label": label, "treat_events": a, "treat_n": nt, "ctrl_events": c, "ctrl_n": nc}
        out = {}
        for alt in ALTS:
            z, p = proportions_ztest([a, c], [nt, nc], alternative=SM_ALT[alt])
            if np.isfinite(z) and np.isfinite(p):
                out[alt] = {"statistic": f(z), "p_value": f(p)}
            else:
                out[alt] = {"error": f"statsmodels returned z={z}, p={p}"}
        case["reference"] = out
        case["estimate"] = f(a / nt - c / nc)
        err = binary_expect_error(a, nt, c, nc)
        if err:
            case["expect_error"] = err
        cases.append(case)
    write("proportions.json", {"meta": meta("proportions", "statsmodels proportions_ztest(count=[a, c], nobs=[n_t, n_c]) pooled variance"), "cases": cases})


# --------------------------------------------------------------------------
# multiplicity
# --------------------------------------------------------------------------

def multiplicity_fixture(rng):
    cases = []
    for i in range(240):
        m = int(rng.integers(1, 9))
        kind = i % 4
        if kind == 0:
            p = rng.uniform(0, 0.2, m)
        elif kind == 1:
            p = 10 ** rng.uniform(-6, 0, m)
        elif kind == 2:  # ties and ones (non-analysable endpoints)
            p = rng.choice([0.001, 0.01, 0.0125, 0.02, 0.025, 0.04, 0.05, 1.0], m)
        else:  # exact boundary values alpha/k
            p = np.array([0.05 / rng.integers(1, m + 1) for _ in range(m)])
        alpha = [0.05, 0.025, 0.1][i % 3]
        case = {"id": i, "p_values": floats(p), "alpha": alpha}
        for method in ("bonferroni", "holm"):
            rej, adj, _, _ = multipletests(p, alpha=alpha, method=method)
            case[method] = {"reject": [bool(r) for r in rej], "adjusted": floats(adj)}
        # fixed sequence has no statsmodels counterpart: the definition itself
        rej, stop = [], False
        for v in p:
            ok = (not stop) and v <= alpha
            stop = stop or not ok
            rej.append(bool(ok))
        case["fixed_sequence"] = {"reject": rej, "adjusted": floats(np.maximum.accumulate(p))}
        cases.append(case)
    write("multiplicity.json", {"meta": meta("multiplicity", "statsmodels multipletests bonferroni/holm; fixed sequence by definition"), "cases": cases})


# --------------------------------------------------------------------------
# intervals
# --------------------------------------------------------------------------

def interval_fixture(rng):
    cases = []
    levels = [0.8, 0.9, 0.95, 0.99, 0.999]
    combos = []
    for n in (1, 2, 3, 5, 10):
        for x in range(n + 1):
            combos.append((x, n))
    for _ in range(200):
        n = int(rng.choice([12, 20, 39, 50, 100, 250, 1000, 5000]))
        x = int(rng.choice([0, 1, 2, n // 10, n // 3, n // 2, n - 1, n, int(rng.integers(0, n + 1))]))
        combos.append((x, n))
    for i, (x, n) in enumerate(combos):
        level = levels[i % len(levels)]
        alpha = 1.0 - level
        wl, wu = proportion_confint(x, n, alpha=alpha, method="wilson")
        bl, bu = proportion_confint(x, n, alpha=alpha, method="beta")
        cases.append({"id": i, "successes": x, "n": n, "level": level,
                      "wilson": [f(wl), f(wu)], "clopper_pearson": [f(bl), f(bu)]})
    write("interval.json", {"meta": meta("interval", "statsmodels proportion_confint(method='wilson'/'beta', alpha=1-level)"), "cases": cases})


# --------------------------------------------------------------------------
# noncentral t
# --------------------------------------------------------------------------

def nct_series_cdf(t, df, ncp, dps=90):
    """P(T <= t) from the classical Poisson-mixture series at high precision."""
    mp = mpmath.mp
    with mpmath.workdps(dps):
        t, df, ncp = mpmath.mpf(t), mpmath.mpf(df), mpmath.mpf(ncp)
        if t < 0:
            return 1 - nct_series_cdf_pos(-t, df, -ncp)
        return nct_series_cdf_pos(t, df, ncp)


def nct_series_cdf_pos(t, df, ncp):
    x = t * t / (t * t + df)
    lam = ncp * ncp / 2
    total = mpmath.ncdf(-ncp)
    eps = mpmath.mpf(10) ** (-(mpmath.mp.dps - 5))
    j = 0
    acc = mpmath.mpf(0)
    while True:
        pj = mpmath.exp(-lam) * lam ** j / mpmath.factorial(j)
        qj = ncp * mpmath.exp(-lam) * lam ** j / (mpmath.sqrt(2) * mpmath.gamma(j + mpmath.mpf(1.5)))
        term = pj * mpmath.betainc(j + mpmath.mpf(0.5), df / 2, 0, x, regularized=True) + \
            qj * mpmath.betainc(j + 1, df / 2, 0, x, regularized=True)
        acc += term
        if j > lam + 10 and abs(pj) + abs(qj) < eps:
            break
        j += 1
        if j > 5000:
            raise RuntimeError("series did not converge")
    return total + acc / 2


def nct_fixture(rng):
    dfs = [2.0, 2.5, 3.0, 5.0, 7.3, 10.0, 17.5, 30.0, 50.0, 100.0, 250.5, 1000.0]
    ncps = [-10.0, -5.0, -2.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.3, 5.0, 8.0, 10.0]
    ts = [-20.0, -5.0, -2.0, -1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0]
    cases = []
    i = 0
    for df in dfs:
        for ncp in ncps:
            for t in ts:
                case = {"id": i, "t": t, "df": df, "ncp": ncp,
                        "scipy_cdf": f(stats.nct.cdf(t, df, ncp)), "scipy_sf": f(stats.nct.sf(t, df, ncp))}
                cases.append(case)
                i += 1
    # high-precision references at every grid point: the series at 60 digits
    # plus as many as the smaller tail needs (it is obtained by subtraction)
    for c in cases:
        dps = 60
        while True:
            with mpmath.workdps(dps):
                cdf = nct_series_cdf(c["t"], c["df"], c["ncp"], dps=dps)
                small = min(cdf, 1 - cdf)
                needed = 40 + max(0, int(-mpmath.log10(small))) if small > 0 else dps + 200
            if needed <= dps:
                break
            dps = needed
        with mpmath.workdps(dps):
            c["mpmath_cdf"] = f(mpmath.nstr(cdf, 30))
            c["mpmath_sf"] = f(mpmath.nstr(1 - cdf, 30))
            c["mpmath_digits"] = dps
    write("nct.json", {"meta": meta("nct", "scipy.stats.nct cdf/sf on a grid; mpmath Poisson-mixture series at every grid point, with at least 40 significant digits in the smaller tail"), "cases": cases})


# --------------------------------------------------------------------------
# power and sample size
# --------------------------------------------------------------------------

def welch_power(delta, sd_t, sd_c, n_t, n_c, alpha, alt):
    vt, vc = sd_t ** 2 / n_t, sd_c ** 2 / n_c
    se = math.sqrt(vt + vc)
    df = (vt + vc) ** 2 / (vt ** 2 / (n_t - 1) + vc ** 2 / (n_c - 1))
    ncp = delta / se
    if alt == "two_sided":
        crit = stats.t.isf(alpha / 2, df)
        return stats.nct.sf(crit, df, ncp) + stats.nct.cdf(-crit, df, ncp)
    crit = stats.t.isf(alpha, df)
    if alt == "greater":
        return stats.nct.sf(crit, df, ncp)
    return stats.nct.cdf(-crit, df, ncp)


def student_power(d, n_t, n_c, alpha, alt):
    return float(TTestIndPower().power(effect_size=d, nobs1=n_t, alpha=alpha, ratio=n_c / n_t, alternative=SM_ALT[alt]))


def prop_power(p_t, p_c, n_t, n_c, alpha, alt):
    res = power_proportions_2indep(p_t - p_c, p_c, n_t, ratio=n_c / n_t, alpha=alpha, alternative=SM_ALT[alt])
    return float(res.power)


def schoenfeld_power(hr, events, share, alpha, alt):
    mean = math.log(hr) * math.sqrt(events * share * (1 - share))
    if alt == "two_sided":
        crit = stats.norm.isf(alpha / 2)
        return stats.norm.sf(crit - mean) + stats.norm.cdf(-crit - mean)
    crit = stats.norm.isf(alpha)
    if alt == "greater":
        return stats.norm.sf(crit - mean)
    return stats.norm.cdf(-crit - mean)


def treatment_size(ratio, n):
    return max(1, math.ceil(ratio * n - 1e-9))


def smallest_n(power_of, start, target):
    """Smallest n >= start with power_of(n) >= target, checked at n - 1."""
    lo, hi = start, start
    if power_of(start) >= target:
        return start
    while power_of(hi) < target:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if power_of(mid) >= target:
            hi = mid
        else:
            lo = mid
    assert power_of(hi) >= target and (hi == start or power_of(hi - 1) < target)
    return hi


def power_fixture(rng):
    t_cases, p_cases, s_cases, n_cases = [], [], [], []
    alphas = [0.01, 0.05, 0.1]
    # PRIME-HFrEF check first (Welch, two-sided)
    prime = dict(delta=-39.46 - 3.46, sd_t=59.85, sd_c=16.26, n_t=20.0, n_c=19.0, alpha=0.05, alt="two_sided", kind="welch")
    prime["power"] = f(welch_power(prime["delta"], prime["sd_t"], prime["sd_c"], 20, 19, 0.05, "two_sided"))
    prime["label"] = "prime_hfref"
    t_cases.append(prime)
    for i in range(220):
        alt = ALTS[i % 3]
        alpha = alphas[(i // 3) % 3]
        n_t = float(rng.integers(2, 200))
        n_c = float(rng.integers(2, 200))
        if i % 2 == 0:  # Student, equal SD, statsmodels
            sd = float(np.round(rng.uniform(0.5, 20), 3))
            d = float(np.round(rng.uniform(-1.5, 1.5), 3))
            t_cases.append(dict(label="student", kind="student", delta=d * sd, sd_t=sd, sd_c=sd, n_t=n_t, n_c=n_c,
                                alpha=alpha, alt=alt, power=f(student_power(d, n_t, n_c, alpha, alt))))
        else:  # Welch, unequal SDs, scipy formula
            sd_t = float(np.round(rng.uniform(0.5, 60), 3))
            sd_c = float(np.round(rng.uniform(0.5, 60), 3))
            delta = float(np.round(rng.uniform(-40, 40), 3))
            t_cases.append(dict(label="welch", kind="welch", delta=delta, sd_t=sd_t, sd_c=sd_c, n_t=n_t, n_c=n_c,
                                alpha=alpha, alt=alt, power=f(welch_power(delta, sd_t, sd_c, n_t, n_c, alpha, alt))))
    for i in range(210):
        alt = ALTS[i % 3]
        alpha = alphas[(i // 3) % 3]
        p_t, p_c = (float(np.round(v, 3)) for v in rng.uniform(0.02, 0.9, 2))
        n_t, n_c = (float(v) for v in rng.integers(5, 800, 2))
        p_cases.append(dict(p_t=p_t, p_c=p_c, n_t=n_t, n_c=n_c, alpha=alpha, alt=alt,
                            power=f(prop_power(p_t, p_c, n_t, n_c, alpha, alt))))
    for i in range(210):
        alt = ALTS[i % 3]
        alpha = alphas[(i // 3) % 3]
        hr = float(np.round(rng.uniform(0.4, 1.6), 3))
        events = float(rng.integers(5, 1000))
        share = float(rng.choice([0.5, 0.5, 1 / 3, 2 / 3, 0.6]))
        s_cases.append(dict(hazard_ratio=hr, events=events, share=share, alpha=alpha, alt=alt,
                            power=f(schoenfeld_power(hr, events, share, alpha, alt))))
    # sample sizes
    for i in range(96):
        alt = ["two_sided", "greater"][i % 2]
        alpha = [0.05, 0.025, 0.1][i % 3]
        target = [0.8, 0.9, 0.85][(i // 3) % 3]
        ratio = [1.0, 1.0, 2.0, 0.5, 1.5][i % 5]
        kind = ["student", "welch", "proportions", "logrank"][i % 4]
        if kind == "student":
            sd = float(np.round(rng.uniform(1, 20), 3))
            d = float(np.round(rng.uniform(0.2, 1.2), 3))
            n = smallest_n(lambda n: student_power(d, treatment_size(ratio, n), n, alpha, alt), 2, target)
            n_cases.append(dict(kind=kind, delta=d * sd, sd_t=sd, sd_c=sd, ratio=ratio, target=target, alpha=alpha, alt=alt,
                                n_control=n, n_treatment=treatment_size(ratio, n)))
        elif kind == "welch":
            sd_t = float(np.round(rng.uniform(5, 60), 3))
            sd_c = float(np.round(rng.uniform(5, 60), 3))
            delta = float(np.round(rng.uniform(8, 40), 3))
            start = 2
            while treatment_size(ratio, start) < 2:
                start += 1
            n = smallest_n(lambda n: welch_power(delta, sd_t, sd_c, treatment_size(ratio, n), n, alpha, alt), start, target)
            n_cases.append(dict(kind=kind, delta=delta, sd_t=sd_t, sd_c=sd_c, ratio=ratio, target=target, alpha=alpha, alt=alt,
                                n_control=n, n_treatment=treatment_size(ratio, n)))
        elif kind == "proportions":
            p_c = float(np.round(rng.uniform(0.1, 0.5), 3))
            p_t = float(np.round(p_c + rng.uniform(0.08, 0.3), 3))
            n = smallest_n(lambda n: prop_power(p_t, p_c, treatment_size(ratio, n), n, alpha, alt), 1, target)
            n_cases.append(dict(kind=kind, p_t=p_t, p_c=p_c, ratio=ratio, target=target, alpha=alpha, alt=alt,
                                n_control=n, n_treatment=treatment_size(ratio, n)))
        else:
            hr = float(np.round(rng.uniform(1.2, 2.0), 3))
            share = [0.5, 2 / 3, 1 / 3][i % 3]
            d = smallest_n(lambda e: schoenfeld_power(hr, e, share, alpha, alt), 1, target)
            z = stats.norm.isf(alpha / 2 if alt == "two_sided" else alpha) + stats.norm.isf(1 - target)
            textbook = math.ceil(z ** 2 / (share * (1 - share) * math.log(hr) ** 2))
            n_cases.append(dict(kind=kind, hazard_ratio=hr, share=share, target=target, alpha=alpha, alt=alt,
                                events=d, textbook_events=textbook))
    payload = {
        "meta": meta("power", "Student: statsmodels TTestIndPower; Welch: scipy nct/t formula; proportions: statsmodels power_proportions_2indep; log-rank: Schoenfeld with scipy.stats.norm; sample sizes: smallest integer by search on those functions"),
        "t_two_sample": t_cases,
        "proportions": p_cases,
        "logrank_schoenfeld": s_cases,
        "sample_sizes": n_cases,
    }
    write("power.json", payload)


def main():
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, scipy {scipy.__version__}, "
          f"statsmodels {statsmodels.__version__}, lifelines {lifelines.__version__}, mpmath {mpmath.__version__}")
    # one generator per fixture, so adding cases to one file leaves the others unchanged
    seeds = np.random.SeedSequence(SEED).spawn(10)
    rng = lambda k: np.random.default_rng(seeds[k])
    ttest_fixture(rng(0))
    wilcoxon_fixture(rng(1))
    ancova_fixture(rng(2))
    logrank_fixture(rng(3))
    fisher_fixture(rng(4))
    proportions_fixture(rng(5))
    multiplicity_fixture(rng(6))
    interval_fixture(rng(7))
    power_fixture(rng(8))
    nct_fixture(rng(9))


if __name__ == "__main__":
    main()
