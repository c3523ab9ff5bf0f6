#!/usr/bin/env python3
"""Markdown tables of a `hfsim calibrate check` result for docs/validation.md.

    hfsim calibrate check scenarios/prime_hfref.toml --replicates 1000 --out /tmp/cal
    python3 scripts/calibration_tables.py /tmp/cal/calibration.json
"""
import json
import sys

TITLES = {
    "baseline": "Baseline (Table 1, pooled over arms, n = 39 per simulated trial)",
    "outcome": "Outcomes per arm",
    "imaging": "Imaging availability",
}


def g(x):
    return f"{x:.3g}"


def main(path):
    d = json.load(open(path))
    groups = []
    for t in d["targets"]:
        if not groups or groups[-1][0] != t["group"]:
            groups.append((t["group"], []))
        groups[-1][1].append(t)
    for name, rows in groups:
        print(f"**{TITLES.get(name, name)}**\n")
        print("| target | published | simulated median | 95% range | percentile | |")
        print("|---|---|---|---|---|---|")
        for t in rows:
            print(
                f"| {t['description']} | {g(t['published'])} | {g(t['simulated_median'])} "
                f"| [{g(t['simulated_low'])}, {g(t['simulated_high'])}] | {t['percentile']:.1f} "
                f"| {'pass' if t['pass'] else 'FAIL'} |"
            )
        print()
    print("**Qualitative pattern**\n")
    print("| pattern | value | criterion | |")
    print("|---|---|---|---|")
    for p in d["patterns"]:
        print(f"| {p['description']} | {p['value']:.3f} | {p['criterion']} | {'pass' if p['pass'] else 'FAIL'} |")


if __name__ == "__main__":
    main(sys.argv[1])
