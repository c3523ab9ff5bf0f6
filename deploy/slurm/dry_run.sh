#!/bin/bash
# Local dry run of the Slurm logic: runs the array script once per task
# with the variables Slurm would set, sequentially on this machine, then the
# merge script; prints the merged folder.
#   usage: SCENARIO=... [OUT=...] [HFSIM=...] deploy/slurm/dry_run.sh N [extra hfsim run arguments]
set -euo pipefail
N="${1:?number of shards}"
shift || true
export SCENARIO="${SCENARIO:?set SCENARIO}" OUT="${OUT:-out/dry_run}" HFSIM="${HFSIM:-hfsim}" EXTRA_ARGS="$*"
here="$(cd "$(dirname "$0")" && pwd)"
for ((i = 0; i < N; i++)); do
  SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_COUNT=$N SLURM_CPUS_PER_TASK=1 bash "$here/hfsim_array.sbatch" >/dev/null
done
bash "$here/hfsim_merge.sbatch"
echo "$OUT/merged"
