#!/usr/bin/env bash
# Re-pin the whole-scenario regression baselines (tests/baselines/*.json).
# A deliberate act: run it after an intended change of the model, a default
# or a scenario, then review `git diff tests/baselines` before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
HFSIM_UPDATE_BASELINES=1 cargo test --release --test baselines
git --no-pager diff --stat -- tests/baselines || true
echo "review the changes with: git diff tests/baselines"
