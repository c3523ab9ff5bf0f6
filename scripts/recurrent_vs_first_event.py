"""Power of recurrent-event analyses against time to the first event on the
same simulated trials (common random numbers), from `tests.csv`.

    hfsim run scenarios/hf_endpoints.toml --replicates 4000 \\
        --export-replicates 4000 --out out/hf_endpoints --no-plots
    python3 scripts/recurrent_vs_first_event.py out/hf_endpoints/tests.csv \\
        first_event_logrank hfh_cv_death_lwyy hfh_negative_binomial

For each endpoint: power with its Monte Carlo SE, as any rejection (the
`reject` column) and as a rejection in favour of treatment (`reject` and a
rate or hazard ratio below 1: the endpoints named must be ratios where lower
favours treatment); for each against the reference (the first endpoint
named): the difference in power and the SE of that difference from the
paired per-trial rejections, sqrt(var(d)/R) with d = reject_a - reject_ref,
beside the SE independent trials would give (plain Python, no packages).
"""

import csv
import math
import sys


def main():
    path, ref, *others = sys.argv[1:]
    names = [ref, *others]
    rej = {n: {} for n in names}
    fav = {n: {} for n in names}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            n = row["endpoint"]
            if n in rej:
                k = int(row["replicate"])
                r = int(row["reject"])
                est = float(row["estimate"]) if row["estimate"] else math.nan
                rej[n][k] = r
                fav[n][k] = int(r == 1 and est < 1.0)
    reps = sorted(rej[ref])
    for n in names:
        assert sorted(rej[n]) == reps, f"{n}: not the same replicates as {ref}"
    r = len(reps)
    print(f"{r} simulated trials (common random numbers: the same trials for every endpoint)")
    for what, table in [("any rejection", rej), ("rejection in favour of treatment", fav)]:
        print(f"\n{what}:")
        share = {n: sum(table[n][k] for k in reps) / r for n in names}
        for n in names:
            p = share[n]
            print(f"  {n}: power {p:.4f} (MCSE {math.sqrt(p * (1 - p) / r):.4f})")
        for n in others:
            d = [table[n][k] - table[ref][k] for k in reps]
            m = sum(d) / r
            var = sum((x - m) ** 2 for x in d) / (r - 1)
            indep = math.sqrt(share[n] * (1 - share[n]) / r + share[ref] * (1 - share[ref]) / r)
            print(f"  {n} - {ref}: {m:+.4f} (SE of the paired difference {math.sqrt(var / r):.4f}; "
                  f"independent trials would give {indep:.4f})")


if __name__ == "__main__":
    main()
