#!/bin/bash
# Submit an hfsim run as a Slurm job array of N shards and the merge as a
# job that starts when every shard succeeded.
#   usage: SCENARIO=scenarios/prime_hfref.toml deploy/slurm/submit.sh N [extra hfsim run arguments]
set -euo pipefail
N="${1:?number of shards}"
shift || true
export SCENARIO="${SCENARIO:?set SCENARIO}" OUT="${OUT:-out/array}" EXTRA_ARGS="$*"
here="$(cd "$(dirname "$0")" && pwd)"
array=$(sbatch --parsable --array="0-$((N - 1))" --export=ALL "$here/hfsim_array.sbatch")
merge=$(sbatch --parsable --dependency="afterok:${array}" --export=ALL "$here/hfsim_merge.sbatch")
echo "array job $array ($N shards), merge job $merge; results in $OUT/merged"
