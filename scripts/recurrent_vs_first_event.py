"""Power of recurrent-event analyses against time to the first event on the
same simulated trials (common random numbers), from `tests.csv`.

    hfsim run scenarios/hf_endpoints.toml --replicates 2000 \
        --export-replicates 2000 --out out/hf_endpoints
    python3 scripts/recurrent_vs_first_event.py out/hf_endpoints/tests.csv \
        first_event_logrank hfh_cv_death_lwyy hfh_negative_binomial

For each endpoint: power (rejection share) with its Monte Carlo SE; for each
against the reference (the first endpoint named): the difference in power
and the SE of that difference from the paired per-trial rejections,
sqrt(var(d)/R) with d = reject_a - reject_ref (plain Python, no packages).
"""

import csv
import math
import sys


def main():
    path, ref, *others = sys.argv[1:]
    rej = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            rej.setdefault(row["endpoint"], {})[int(row["replicate"])] = int(row["reject"])
    reps = sorted(rej[ref])
    r = len(reps)
    print(f"{r} simulated trials")
    for name in [ref, *others]:
        p = sum(rej[name][k] for k in reps) / r
        print(f"{name}: power {p:.4f} (MCSE {math.sqrt(p * (1 - p) / r):.4f})")
    for name in others:
        d = [rej[name][k] - rej[ref][k] for k in reps]
        m = sum(d) / r
        var = sum((x - m) ** 2 for x in d) / (r - 1)
        indep = math.sqrt((sum(rej[name][k] for k in reps) / r) * (1 - sum(rej[name][k] for k in reps) / r) / r
                          + (sum(rej[ref][k] for k in reps) / r) * (1 - sum(rej[ref][k] for k in reps) / r) / r)
        print(f"{name} - {ref}: {m:+.4f} (SE of the paired difference {math.sqrt(var / r):.4f}; "
              f"independent trials would give {indep:.4f})")


if __name__ == "__main__":
    main()
