"""Write the notebooks from the cells below (outputs empty).

The notebooks are the source of truth for readers; this script only makes
them reproducible and reviewable as plain text. After editing it, run
`python3 notebooks/make_notebooks.py` and commit both.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = '''import json, os, subprocess, time
from pathlib import Path

%matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd

# the repository root: the folder holding Cargo.toml, from wherever the notebook runs
ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "Cargo.toml").exists())
# the hfsim binary: $HFSIM, else target/release/hfsim (build it with `cargo build --release`)
HFSIM = Path(os.environ.get("HFSIM", ROOT / "target" / "release" / "hfsim"))
if not HFSIM.is_absolute():
    HFSIM = ROOT / HFSIM
assert HFSIM.exists(), f"{HFSIM} not found: run `cargo build --release` or set HFSIM"


def hfsim(*args, ok=(0,)):
    """Run hfsim from the repository root; return its standard output."""
    t0 = time.time()
    p = subprocess.run([str(HFSIM), *map(str, args)], cwd=ROOT, capture_output=True, text=True)
    if p.returncode not in ok:
        raise RuntimeError(f"hfsim {' '.join(map(str, args))} exited {p.returncode}:\\n{p.stderr}")
    print(f"hfsim {' '.join(map(str, args))}  ({time.time() - t0:.1f} s, exit {p.returncode})")
    return p.stdout
'''


def notebook(cells):
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [new_markdown_cell(c[3:]) if c.startswith("md:") else new_code_cell(c) for c in cells]
    return nb


interval = notebook([
    """md:# Power versus the MSC dosing interval

`scenarios/interval_sweep.toml` is PRIME-HFrEF (three intravenous infusions of 1e6 UC-MSC/kg) with the
interval between infusions swept from 2 to 12 weeks, with and without heparin given with each infusion.
This notebook runs the sweep with `hfsim sweep` and plots power per endpoint against the interval.

The replicate count comes from `HFSIM_REPLICATES` (default 200, enough to see the shape in a few
seconds; the scenario's own 2000 give a Monte Carlo standard error of about 0.01 per point).""",
    SETUP,
    """REPLICATES = int(os.environ.get("HFSIM_REPLICATES", 200))
OUT = ROOT / "out" / "notebooks" / "interval_sweep"
# --force: this folder is the notebook's own, rerun with any replicate count
stdout = hfsim("sweep", "scenarios/interval_sweep.toml", "--replicates", REPLICATES,
               "--out", OUT, "--no-progress", "--no-plots", "--force")
# results.csv: one row per design point and endpoint (every column in docs/scenarios.md, "Outputs")
sweep = pd.read_csv(OUT / "results.csv")
sweep = sweep.rename(columns={"arms.msc.interval_days": "interval_days",
                              "arms.msc.infusion_anticoagulation": "anticoagulation"})
sweep.filter(["interval_days", "anticoagulation", "endpoint", "alpha", "alternative", "power", "power_mcse",
              "effect_measure", "effect_median", "control_arm", "treatment_arm", "treatment_n_mean"]).head()""",
    """md:## Power of the main endpoints

Bands are 95% Wilson intervals of the simulated power. With common random numbers (the default) every
design point sees the same virtual patients, so the differences between intervals are much more precise
than the bands suggest.""",
    """endpoints = ["delta_rvesv_mri_d180", "delta_tapse_d180", "delta_lvef_mri_d360", "ddimer_above_uln"]
fig, axes = plt.subplots(1, len(endpoints), figsize=(4.2 * len(endpoints), 3.8), sharey=True)
for ax, ep in zip(axes, endpoints):
    for anticoag, d in sweep[sweep.endpoint == ep].groupby("anticoagulation"):
        d = d.sort_values("interval_days")
        ax.plot(d.interval_days, d.power, marker="o", label=f"heparin: {anticoag}")
        ax.fill_between(d.interval_days, d.power_ci_low, d.power_ci_high, alpha=0.2)
    ax.axhline(0.8, ls="--", c="grey", lw=1)
    ax.set_title(ep)
    ax.set_xlabel("dosing interval (days)")
    ax.set_xticks(sorted(sweep.interval_days.unique()))
axes[0].set_ylabel("power")
axes[0].set_ylim(0, 1)
axes[-1].legend(title="at infusion", fontsize=8)
fig.suptitle(f"PRIME-HFrEF design, 3 doses: power by interval ({REPLICATES} simulated trials per point)")
fig.tight_layout()""",
    """md:## All endpoints at a glance

Power per endpoint (rows) and design (columns). `ddimer_above_uln` is a safety signal (more D-dimer
elevations on MSC): there "power" is the chance that the trial detects the excess.""",
    """table = sweep.pivot_table(index="endpoint", columns=["anticoagulation", "interval_days"], values="power")
table = table.reindex(sweep.endpoint.drop_duplicates())
table.style.format("{:.2f}").background_gradient(cmap="Blues", vmin=0, vmax=1)""",
    """md:## The best interval for the right-ventricular endpoint

The interval with the highest estimated power for the RV endpoint at day 180, and how much better it is
than PRIME-HFrEF's six weeks (with its Monte Carlo error).""",
    """rv = sweep[(sweep.endpoint == "delta_rvesv_mri_d180") & (sweep.anticoagulation == "none")].set_index("interval_days")
best = rv.power.idxmax()
print(f"highest power at {best} days: {rv.power[best]:.3f} (95% CI {rv.power_ci_low[best]:.3f}-{rv.power_ci_high[best]:.3f}); "
      f"at 42 days: {rv.power[42]:.3f}")
print("median estimated RVESV effect (mL) by interval:", rv.effect_median.round(1).to_dict())""",
])

calibration = notebook([
    """md:# PRIME-HFrEF calibration: simulated versus published

`hfsim calibrate check` simulates PRIME-HFrEF as it was run (the scenario's n, visits and imaging
availability) many times and asks, for each published trial-level statistic (Table 1 baselines pooled
over arms, outcomes per arm, numbers of patients with a scan), whether the published value is a typical
draw: inside the central 95% of the simulated trials. This notebook reads its `calibration.json`.

Replicates from `HFSIM_CALIBRATION_REPLICATES` (default 200; the command's default is 1000).""",
    SETUP,
    """REPLICATES = int(os.environ.get("HFSIM_CALIBRATION_REPLICATES", 200))
OUT = ROOT / "out" / "notebooks" / "calibration"
# exit code 1 means some target failed: the files are written all the same
stdout = hfsim("calibrate", "check", "scenarios/prime_hfref.toml", "--replicates", REPLICATES, "--out", OUT, ok=(0, 1))
cal = json.loads((OUT / "calibration.json").read_text())
targets = pd.DataFrame(cal["targets"]).drop(columns=["simulated"])
print(f"{targets['pass'].sum()} of {len(targets)} targets pass; "
      f"{sum(p['pass'] for p in cal['patterns'])} of {len(cal['patterns'])} qualitative patterns hold")
targets.filter(["name", "group", "kind", "unit", "published", "simulated_median", "simulated_low", "simulated_high", "percentile", "pass"])""",
    """md:## Where each published value falls

Each target on one scale: the percentile of the published value among the simulated trials. Inside the
grey band (2.5-97.5) the published trial looks like a typical simulated one. A few targets are bounds
(triangles: a qualitative statement such as "D-dimer stays above the upper limit of normal"); they pass
when the simulated mean is on the stated side of the published value, wherever its percentile.""",
    """t = targets.reset_index(drop=True)
if "kind" not in t:
    t["kind"] = "typical"
fig, ax = plt.subplots(figsize=(7, 0.22 * len(t) + 1))
ax.axvspan(2.5, 97.5, color="0.9")
for kind, marker in [("typical", "o"), ("upper_bound", "v"), ("lower_bound", "^")]:
    k = t[t.kind == kind]
    ax.scatter(k.percentile, k.index, c=k["pass"].map({True: "tab:blue", False: "tab:red"}), marker=marker,
               s=22, zorder=3, label=kind.replace("_", " "))
ax.legend(loc="lower right", fontsize=7)
ax.set_yticks(range(len(t)), t.name, fontsize=7)
ax.invert_yaxis()
ax.set_xlim(0, 100)
ax.set_xlabel("percentile of the published value among simulated trials")
ax.set_title(f"{cal['scenario']}: {int(t['pass'].sum())}/{len(t)} targets within the simulated 95% range")
fig.tight_layout()""",
    """md:## Simulated distributions of the outcome targets

The trial-level statistics of the outcomes (per arm) with the published value (red line).""",
    """sims = {x["name"]: x for x in cal["targets"]}
outcome = [x for x in cal["targets"] if x["group"] == "outcome" and x["name"].startswith(("dlvef", "drvesv", "drvedv"))]
cols = 4
rows = -(-len(outcome) // cols)
fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.5 * rows))
for ax, x in zip(axes.flat, outcome):
    ax.hist([v for v in x["simulated"] if v is not None], bins=30, color="0.6")
    ax.axvspan(x["simulated_low"], x["simulated_high"], color="tab:green", alpha=0.12)
    ax.axvline(x["published"], color="tab:red" if not x["pass"] else "k", lw=2)
    ax.set_title(x["name"], fontsize=8, color="k" if x["pass"] else "tab:red")
    ax.set_xlabel(x["unit"], fontsize=8)
for ax in list(axes.flat)[len(outcome):]:
    ax.axis("off")
fig.tight_layout()""",
    """md:The same panels for every target are drawn by hfsim itself next to `calibration.json`
(`calibration.png`, `calibration.svg`).""",
    """print(sorted(p.name for p in OUT.iterdir()))""",
])

patient = notebook([
    """md:# One virtual patient under three dosing schedules

`hfsim simulate-patient` writes every state and observable of one virtual patient (the first patient of
replicate 0 of the scenario; the same person whatever the schedule) on a grid of days. Here the MSC arm of
PRIME-HFrEF is given every 2, 6 (as in the trial) or 12 weeks.""",
    SETUP,
    """STEP = float(os.environ.get("HFSIM_STEP_DAYS", 0.5))
OUT = ROOT / "out" / "notebooks" / "patient"
OUT.mkdir(parents=True, exist_ok=True)
schedules = {14: "every 2 weeks", 42: "every 6 weeks (PRIME-HFrEF)", 84: "every 12 weeks"}
traj = {}
for days in schedules:
    f = OUT / f"patient_interval_{days}.csv"
    hfsim("simulate-patient", "scenarios/prime_hfref.toml", "--arm", "msc", "--set", f"arms.msc.interval_days={days}",
          "--step", STEP, "--out", f)
    traj[days] = pd.read_csv(f)
# the same patient on placebo: what the cells add
hfsim("simulate-patient", "scenarios/prime_hfref.toml", "--arm", "placebo", "--step", STEP, "--out", OUT / "patient_placebo.csv")
placebo = pd.read_csv(OUT / "patient_placebo.csv")
traj[42].filter(["day", "lung_cells", "heart_cells", "rv_signal", "lv_signal", "d_dimer_mg_per_l", "rvesv_ml", "lvesv_ml"]).describe().T""",
    """md:## Cells, paracrine signal and D-dimer in the first four months

Viable cells trapped in the lung after each infusion, the paracrine signal they send to the right and left
ventricle, and D-dimer (the transient rise after each infusion seen in PRIME-HFrEF).""",
    """panels = [("lung_cells", "viable cells in the lung (1e6/kg)"), ("rv_signal", "paracrine signal to the RV"),
          ("lv_signal", "paracrine signal to the LV"), ("d_dimer_mg_per_l", "D-dimer (mg/L)")]
fig, axes = plt.subplots(2, 2, figsize=(11, 6.5), sharex=True)
for ax, (col, label) in zip(axes.flat, panels):
    for days, name in schedules.items():
        d = traj[days][traj[days].day <= 120]
        ax.plot(d.day, d[col], label=name)
    ax.set_ylabel(label)
for ax in axes[1]:
    ax.set_xlabel("day")
axes[0, 0].legend(fontsize=8)
fig.tight_layout()""",
    """md:## Ventricular volumes over the year

True (noise-free) right- and left-ventricular volumes of the same patient on each schedule and on placebo
(dashed): the difference from the dashed line is what the cells do for this patient. Background therapy
(GDMT) and disease progression move all lines alike.""",
    """panels = [("rvesv_ml", "RV end-systolic volume (mL)"), ("rvedv_ml", "RV end-diastolic volume (mL)"),
          ("lvesv_ml", "LV end-systolic volume (mL)"), ("lvedv_ml", "LV end-diastolic volume (mL)")]
fig, axes = plt.subplots(2, 2, figsize=(11, 6.5), sharex=True)
for ax, (col, label) in zip(axes.flat, panels):
    for days, name in schedules.items():
        ax.plot(traj[days].day, traj[days][col], label=name)
    ax.plot(placebo.day, placebo[col], "k--", lw=1, label="placebo")
    ax.set_ylabel(label)
for ax in axes[1]:
    ax.set_xlabel("day")
axes[0, 0].legend(fontsize=8)
fig.tight_layout()
summary = pd.DataFrame({name: traj[days].set_index("day").loc[[0.0, 180.0, 360.0], "rvesv_ml"] for days, name in schedules.items()})
summary["placebo"] = placebo.set_index("day").loc[[0.0, 180.0, 360.0], "rvesv_ml"]
summary.index.name = "RVESV (mL) on day"
summary.round(1)""",
])

for name, nb in [("01_interval_sweep", interval), ("02_calibration", calibration), ("03_patient_trajectories", patient)]:
    nbformat.validate(nb)
    nbformat.write(nb, HERE / f"{name}.ipynb")
    print("wrote", HERE / f"{name}.ipynb")
