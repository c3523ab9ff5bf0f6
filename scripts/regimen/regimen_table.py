#!/usr/bin/env python3
"""The regimen-response table of docs/validation.md (section 3, "Regimen response").

Runs `hfsim run scenarios/prime_hfref.toml` once per design (a set of --set overrides, same seed),
400 replicates each, and prints one markdown row per design: RVESV and LVEF (MRI) effects and
power, TAPSE, and the D-dimer safety difference. Usage:
    HFSIM=target/release/hfsim python3 scripts/regimen/regimen_table.py
"""
import json, os, subprocess, sys, tempfile

HFSIM = os.environ.get("HFSIM", "target/release/hfsim")
REPLICATES = os.environ.get("HFSIM_REPLICATES", "400")
TE = ["arms.msc.route=transendocardial", "arms.placebo.route=transendocardial",
      "arms.msc.n_doses=1", "arms.placebo.n_doses=1", "arms.msc.dose_cells_per_kg=1.25e6"]
DESIGNS = [
    ("1 dose", ["arms.msc.n_doses=1", "arms.placebo.n_doses=1"]),
    ("3 doses every 42 d (PRIME)", []),
    ("6 doses every 28 d", ["arms.msc.n_doses=6", "arms.placebo.n_doses=6",
                            "arms.msc.interval_days=28", "arms.placebo.interval_days=28"]),
    ("3 doses every 14 d", ["arms.msc.interval_days=14", "arms.placebo.interval_days=14"]),
    ("3 doses every 84 d", ["arms.msc.interval_days=84", "arms.placebo.interval_days=84"]),
    ("3 doses, heparin", ["arms.msc.infusion_anticoagulation=heparin"]),
    ("1e5 cells/kg x 3", ["arms.msc.dose_cells_per_kg=1e5"]),
    ("3e6 cells/kg x 3", ["arms.msc.dose_cells_per_kg=3e6"]),
    ("IV bone-marrow MSC x 3", ["arms.msc.product=bm_msc"]),
    ("TE UC-MSC 1.25e6 x 1", TE),
    ("TE bone-marrow MSC 1.25e6 x 1", TE + ["arms.msc.product=bm_msc"]),
    ("TE adipose MSC 1.25e6 x 1", TE + ["arms.msc.product=adipose_msc"]),
    ("TE MPC 1.25e6 x 1", TE + ["arms.msc.product=mpc"]),
    ("TE cardiopoietic 1.25e6 x 1", TE + ["arms.msc.product=cardiopoietic"]),
]


def endpoint(summary, name):
    return next(e for e in summary["design_points"][0]["endpoints"] if e["name"] == name)


def main():
    print("| design | dRVESV d180 (mL) | power d180 | dLVEF d360 (points) | power LVEF | dTAPSE d180 (mm) | D-dimer > ULN | domain warnings |")
    print("|---|---|---|---|---|---|---|---|")
    for label, sets in DESIGNS:
        with tempfile.TemporaryDirectory() as out:
            args = [HFSIM, "run", "scenarios/prime_hfref.toml", "--replicates", REPLICATES, "--out", out]
            for s in sets:
                args += ["--set", s]
            subprocess.run(args, check=True, capture_output=True)
            s = json.load(open(os.path.join(out, "summary.json")))
        rv, lv = endpoint(s, "delta_rvesv_mri_d180"), endpoint(s, "delta_lvef_mri_d360")
        tapse, dd = endpoint(s, "delta_tapse_d180"), endpoint(s, "ddimer_above_uln")
        keys = sorted({w["key"] for w in s.get("warnings", []) if w["kind"] == "applicability_domain"})
        print(f"| {label} | {rv['effect_mean']:+.1f} | {rv['power']:.3f} | {lv['effect_mean']:+.1f} | "
              f"{lv['power']:.3f} | {tapse['effect_mean']:+.2f} | {dd['effect_mean']:+.2f} | "
              f"{', '.join('`' + k + '`' for k in keys) or 'none'} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
