"""Generate fixtures.json for the double-programming test.

    pip install -r tests/model_reference/requirements.txt
    python tests/model_reference/generate.py

Every case is integrated with scipy's Radau (rtol 1e-11, atol 1e-13, values at
the requested days via ``t_eval``). As a check of the reference's own
numerical error, every case is integrated a second time with LSODA, restarted
at every requested day (no interpolation); the largest difference between the
two runs is printed and stored per case under ``self_check``.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import scipy

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import reference_model as rm  # noqa: E402

HOUR = 1.0 / 24.0
RTOL, ATOL = 1e-11, 1e-13

# GDMT histories (days on each class at enrolment; order arni, acei_arb, beta_blocker, mra, sglt2i)
GDMT_NONE = [None, None, None, None, None]
GDMT_PRIME = [30.0, None, 300.0, 300.0, 60.0]          # ARNI recently started, the rest stable
GDMT_ARNI_30 = [30.0, None, None, None, None]
GDMT_ALL_LONG_AGO = [1500.0, 2000.0, 3000.0, 2500.0, 1200.0]
GDMT_ACEI_ARB = [None, 90.0, 180.0, None, None]


def base(**kw) -> rm.Baseline:
    b = rm.Baseline(age=66.0, nyha_iii=False, ischaemic=True, lvef_percent=31.0, lvedv_ml=210.0, rvedv_ml=175.0,
                    tapse_mm=16.0, ntprobnp=1400.0, six_minute_walk_m=390.0, ddimer=0.45, anticoagulant="none",
                    gdmt_days_on=list(GDMT_PRIME))
    for k, v in kw.items():
        setattr(b, k, v)
    return b


def regimen(**kw) -> rm.Regimen:
    r = rm.Regimen(route="intravenous", dose_cells_per_kg=1e6, dose_days=[0.0], infusion_duration_days=HOUR,
                   premedication="none", heparin=False, donor="allogeneic", immunosuppression=False)
    for k, v in kw.items():
        setattr(r, k, v)
    return r


PRIME_DAYS = [0.0, 42.0, 84.0]


def cases() -> list[dict]:
    prime = dict(dose_days=PRIME_DAYS, premedication="methylprednisolone")
    out = [
        ("placebo_iv_prime_schedule", "placebo (dose 0) on the PRIME schedule", {},
         base(), regimen(dose_cells_per_kg=0.0, **prime), 360.0),
        ("iv_single_infusion_1h", "one intravenous 1e6 cells/kg dose infused over 1 hour, ARNI started 30 days ago", {},
         base(gdmt_days_on=list(GDMT_ARNI_30)), regimen(), 360.0),
        ("iv_single_bolus", "as iv_single_infusion_1h, given as a bolus (duration 0)", {},
         base(gdmt_days_on=list(GDMT_ARNI_30)), regimen(infusion_duration_days=0.0), 360.0),
        ("prime_like", "PRIME-HFrEF-like: 3 IV doses days 0/42/84, 1e6 cells/kg, methylprednisolone", {},
         base(), regimen(**prime), 360.0),
        ("prime_like_vka", "prime_like in a patient on a vitamin K antagonist", {},
         base(anticoagulant="vka"), regimen(**prime), 360.0),
        ("prime_like_heparin", "prime_like with heparin given with each infusion", {},
         base(), regimen(heparin=True, **prime), 360.0),
        ("six_doses_14_days_apart", "6 IV doses 14 days apart, 1.5e6 cells/kg, no premedication, higher immunogenicity "
         "(antibody lysis and amplification of the sustained response matter)",
         {"immunogenicity": 2.0, "ibmir_susceptibility": 1.5},
         base(ischaemic=False), regimen(dose_cells_per_kg=1.5e6, dose_days=[0.0, 14.0, 28.0, 42.0, 56.0, 70.0]), 360.0),
        ("intracoronary_two_doses_noac_heparin", "intracoronary, 2 doses 90 days apart infused over 30 minutes, "
         "on a NOAC, heparin with the infusion (no lung-extraction change: that is intravenous only)", {},
         base(anticoagulant="noac"),
         regimen(route="intracoronary", dose_days=[0.0, 90.0], infusion_duration_days=HOUR / 2.0, heparin=True), 360.0),
        ("transendocardial_nyha_iii", "transendocardial injection of 1.5e6 cells/kg, NYHA III", {},
         base(nyha_iii=True), regimen(route="transendocardial", dose_cells_per_kg=1.5e6), 360.0),
        ("transendocardial_heparin", "transendocardial injection with heparin (heparin factor in u for an injection)", {},
         base(), regimen(route="transendocardial", dose_cells_per_kg=1.5e6, heparin=True), 360.0),
        ("epicardial_patch_immunosuppressed", "epicardial patch (5.7e6 cells/kg) with immunosuppression", {},
         base(), regimen(route="epicardial_patch", dose_cells_per_kg=5.7e6, immunosuppression=True), 360.0),
        ("epicardial_patch_no_immunosuppression", "epicardial patch (5.7e6 cells/kg) without immunosuppression", {},
         base(), regimen(route="epicardial_patch", dose_cells_per_kg=5.7e6), 360.0),
        ("autologous_iv_prime_schedule", "autologous cells on the PRIME schedule (no anti-donor antibody)", {},
         base(), regimen(donor="autologous", **prime), 360.0),
        ("no_gdmt_non_ischaemic_nyha_iii", "no background therapy, non-ischaemic, NYHA III, one IV dose", {},
         base(gdmt_days_on=list(GDMT_NONE), ischaemic=False, nyha_iii=True, age=52.0, ntprobnp=2600.0),
         regimen(), 360.0),
        ("gdmt_all_classes_long_ago", "every GDMT class (ARNI and ACEi/ARB included) started years ago", {},
         base(gdmt_days_on=list(GDMT_ALL_LONG_AGO)), regimen(**prime), 360.0),
        ("gdmt_acei_arb_sicker_patient", "ACEi/ARB 90 days and beta-blocker 180 days; LVEF 24%, LVEDV 265 mL, TAPSE 12 mm",
         {},
         base(gdmt_days_on=list(GDMT_ACEI_ARB), lvef_percent=24.0, lvedv_ml=265.0, rvedv_ml=210.0, tapse_mm=12.0,
              ntprobnp=3100.0, six_minute_walk_m=300.0, ddimer=0.9, age=74.0),
         regimen(**prime), 360.0),
        ("doubled_emax_other_half_lives", "doubled repair emax and different half-lives",
         {"lv_repair_emax_per_day": 0.004, "rv_repair_emax_per_day": 0.02, "lung_cell_half_life_days": 0.5,
          "heart_cell_half_life_days": 5.0, "antibody_half_life_days": 15.0, "ibmir_half_life_days": 0.5,
          "sustained_procoag_half_life_days": 28.0, "lv_repair_half_life_days": 90.0, "debris_half_life_days": 7.0},
         base(), regimen(**prime), 360.0),
        ("equal_rate_lv_remodelling_and_gdmt", "k_LV = k_RV = 1/gdmt_time_constant (equal-rate case of psi)",
         {"lv_remodelling_half_life_days": math.log(2.0) * 150.0,
          "rv_remodelling_half_life_days": math.log(2.0) * 150.0},
         base(), regimen(**prime), 360.0),
        ("near_normal_heart_zero_distances", "LVEDV below normal and TAPSE 34 mm (RVEF clamped at 0.75, TAPSE p0 "
         "clamped at 0.99): no LV EDV room and no RV room (sigma_edv = sigma_rv = 0, D_edv = D_rvef = D_rvedv = 0)",
         {},
         base(lvedv_ml=140.0, lvef_percent=38.0, rvedv_ml=120.0, tapse_mm=34.0), regimen(**prime), 360.0),
        ("iv_bolus_heparin_noac", "IV bolus with heparin in a patient on a NOAC", {},
         base(anticoagulant="noac"), regimen(infusion_duration_days=0.0, heparin=True, dose_days=[0.0, 42.0]), 360.0),
        ("arni_and_acei_arb_recent", "ARNI and ACEi/ARB both in the history and recent (both terms summed), "
         "beta-blocker and SGLT2i recent, non-ischaemic", {},
         base(gdmt_days_on=[20.0, 60.0, 100.0, None, 15.0], ischaemic=False), regimen(), 360.0),
        ("iv_allogeneic_immunosuppressed", "PRIME schedule without premedication under immunosuppression "
         "(immune damping on an intravenous route)", {},
         base(), regimen(dose_days=PRIME_DAYS, immunosuppression=True), 360.0),
        ("late_non_integer_doses_end_200_5", "IV doses at days 7.5 and 37.5 over 2 hours, follow-up ends at day 200.5",
         {"sustained_antibody_amplification": 3.0},
         base(gdmt_days_on=[None, None, 45.0, None, 10.0]),
         regimen(dose_days=[7.5, 37.5], infusion_duration_days=2.0 * HOUR, dose_cells_per_kg=2e6), 200.5),
        # structural alternatives (issue 14): linear exposure-response, durable repair
        ("linear_exposure_durable_repair", "repair drive linear in exposure up to its ceiling and durable repair "
         "(no decay once the signal is gone), with a fivefold RV repair emax",
         {"repair_exposure_response": 1.0, "repair_durability": 1.0, "rv_repair_emax_per_day": 0.1},
         base(), regimen(**prime), 360.0),
        # model v2 (issue 13): room to improve, bounded TAPSE, NT-proBNP floor
        ("gdmt_large_effect_small_room", "strong GDMT response (2.5) to four recently started classes against a small "
         "room (LVEF 40%, recoverable fractions 0.35 / 0.3): bounded shares sigma_ef 0.11, sigma_edv 0.06, sigma_rv 0.77",
         {"gdmt_response": 2.5, "lv_recoverable_fraction": 0.35, "rv_recoverable_fraction": 0.3},
         base(ischaemic=False, lvef_percent=40.0, lvedv_ml=175.0, gdmt_days_on=[10.0, None, 30.0, 20.0, 10.0]),
         regimen(**prime), 360.0),
        ("recent_arni_sglt2i_strong_lv_repair", "ARNI 7 days and SGLT2i 3 days before a transendocardial 2e6 cells/kg "
         "injection, tenfold LV repair emax: LV repair R up to 0.47 restores a share of D - G(t) while G(t) still rises",
         {"lv_repair_emax_per_day": 0.02},
         base(gdmt_days_on=[7.0, None, 400.0, 400.0, 3.0]),
         regimen(route="transendocardial", dose_cells_per_kg=2e6), 360.0),
        ("tapse_near_max_strong_rv_repair", "TAPSE 30 mm of T_max 32 (p0 0.94) with a low RVEF for that TAPSE "
         "(rvef_at_tapse_17mm 0.2) and tenfold RV repair emax: TAPSE rises to 31.3 mm on the saturating logistic",
         {"rvef_at_tapse_17mm": 0.2, "rv_repair_emax_per_day": 0.2},
         base(tapse_mm=30.0), regimen(**prime), 360.0),
        ("recovered_lvef_long_gdmt_ntprobnp_near_floor", "LVEF 62% on every class for years, NT-proBNP 14 ng/L: "
         "the LV logit-EF room vanishes along the fixed-point iteration (sigma_ef = 0), hence sigma_rv = 1 "
         "(A <= 0 branch); the observable NT-proBNP sqrt(N^2 + F^2) is 17 ng/L with N = 14",
         {},
         base(lvef_percent=62.0, lvedv_ml=160.0, rvedv_ml=140.0, tapse_mm=22.0, ntprobnp=14.0,
              gdmt_days_on=list(GDMT_ALL_LONG_AGO)),
         regimen(**prime), 360.0),
        ("rv_remodelling_slower_than_lv", "RV remodelling half-life 60 days against 21 for the LV (k_RV != k_LV: the "
         "RV share and the RV untreated reference use psi on k_RV), recent ARNI and SGLT2i, PRIME cells",
         {"rv_remodelling_half_life_days": 60.0},
         base(gdmt_days_on=[14.0, None, 200.0, None, 14.0]), regimen(**prime), 360.0),
        ("severe_injury_near_the_lvef_floor", "microvascular injury 50 times the default with 1e7 cells/kg x 3 "
         "without anticoagulation: the injury's soft bound W (1 - exp(-J/W)) keeps LVEF above lv_injury_floor_ef",
         {"microvascular_injury_rate": 0.1},
         base(lvef_percent=20.0), regimen(dose_cells_per_kg=1e7, **prime), 360.0),
        ("ntprobnp_below_floor_improving", "NT-proBNP 11 ng/L at enrolment in an improving patient (LVEF 40%, "
         "recent ARNI and SGLT2i, cells): the model value N falls below the 10 ng/L floor, the hazards use N",
         {},
         base(lvef_percent=40.0, lvedv_ml=180.0, ntprobnp=11.0, ischaemic=False), regimen(**prime), 360.0),
    ]
    result = []
    for name, desc, overrides, b, r, end in out:
        result.append({"name": name, "description": desc, "overrides": overrides, "baseline": b, "regimen": r,
                       "end_day": end})
    return result


def sample_days(r: rm.Regimen, end: float) -> list[float]:
    days = [0.0, 0.25, 1.0, 2.0, 3.3, 7.0, 14.0, 21.7, 28.0, 42.0, 55.55, 91.0, 123.456, 180.0, 270.0, 359.5, 360.0]
    dur = r.infusion_duration_days if r.route in ("intravenous", "intracoronary") else 0.0
    if r.dose_cells_per_kg >= 0.0:
        for d in r.dose_days:
            days += [d, d + 0.5, d + 1.0, d + 2.0]
            if dur > 0.0:
                days += [d + dur / 2.0, d + dur]
            else:
                days += [d + HOUR]
    days.append(end)
    return sorted({t for t in days if 0.0 <= t <= end})


def compare(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    diff = np.abs(a - b)
    rel = diff / np.maximum(np.abs(b), 1e-300)
    big = np.abs(b) > 1e-6
    return float(diff.max()), float(rel[big].max()) if big.any() else 0.0


def main() -> None:
    params = rm.default_parameters()
    fixtures = {
        "generator": "tests/model_reference/generate.py",
        "specification": "docs/model.md",
        "method": f"scipy {scipy.__version__} solve_ivp Radau, rtol {RTOL:g}, atol {ATOL:g}, t_eval at requested days, "
                  f"restarted at every dose start and infusion end (numpy {np.__version__})",
        "documented_defaults": params,
        "state_names": rm.STATE_NAMES,
        "observable_names": rm.OBSERVABLE_NAMES,
        "cases": [],
    }
    worst_state_abs = np.zeros(rm.N)
    for case in cases():
        t0 = time.time()
        p = dict(params)
        for k, v in case["overrides"].items():
            if k not in p:
                raise KeyError(k)
            p[k] = v
        b, r, end = case["baseline"], case["regimen"], case["end_day"]
        model = rm.PatientModel(p, b, r)
        days = sample_days(r, end)
        out = rm.simulate(model, days, end, method="Radau", rtol=RTOL, atol=ATOL)
        check = rm.simulate(model, days, end, method="LSODA", rtol=RTOL, atol=ATOL, exact_stops=True)
        s_a, s_b = np.array(out["samples"]), np.array(check["samples"])
        g_a, g_b = np.array(out["hazard_grid"]), np.array(check["hazard_grid"])
        worst_state_abs = np.maximum(worst_state_abs, np.abs(s_a - s_b).max(axis=0))
        sa, sr = compare(s_a, s_b)
        ga, gr = compare(g_a, g_b)
        obs = {name: [] for name in rm.OBSERVABLE_NAMES}
        for t, y in zip(days, out["samples"]):
            for name, v in model.observables(t, y).items():
                obs[name].append(float(v))
        mass = float(s_a[-1, :6].sum())
        doses = sum(1 for d in r.dose_days if 0.0 <= d < end) * r.dose_cells_per_kg / 1e6
        fixtures["cases"].append({
            "name": case["name"],
            "description": case["description"],
            "overrides": case["overrides"],
            "baseline": b.to_json(),
            "regimen": r.to_json(),
            "end_day": end,
            "sample_days": days,
            "states": [[float(v) for v in y] for y in out["samples"]],
            "observables": obs,
            "hazard_grid": out["hazard_grid"],
            # section 6 constants of the case, for reading the fixture (not compared by the Rust test)
            "room": {"sigma_ef": model.sigma_ef, "sigma_edv": model.sigma_edv, "sigma_rv": model.sigma_rv,
                     "D_ef": model.D_ef, "D_edv": model.D_edv, "D_rvef": model.D_rvef, "D_rvedv": model.D_rvedv,
                     "tapse_p0": model.tapse_p0},
            "self_check": {"max_abs_state_diff_radau_vs_lsoda": sa, "max_rel_state_diff_radau_vs_lsoda": sr,
                           "max_abs_hazard_diff_radau_vs_lsoda": ga, "max_rel_hazard_diff_radau_vs_lsoda": gr,
                           "mass_balance_error": abs(mass - doses)},
        })
        print(f"{case['name']:45s} {time.time() - t0:6.1f} s  self-check state abs {sa:.1e} rel {sr:.1e}  "
              f"hazard abs {ga:.1e} rel {gr:.1e}  mass {abs(mass - doses):.1e}", flush=True)
    print("worst Radau-vs-LSODA abs diff per state:")
    for name, v in zip(rm.STATE_NAMES, worst_state_abs):
        print(f"  {name:14s} {v:.2e}")
    path = HERE / "fixtures.json"
    path.write_text(json.dumps(fixtures, indent=None, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB, {len(fixtures['cases'])} cases)")


if __name__ == "__main__":
    main()
