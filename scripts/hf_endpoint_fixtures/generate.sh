#!/usr/bin/env bash
# Regenerate tests/fixtures/hf_endpoints/ (issue 15): installs the reference
# software, writes the data sets and Python references (generate.py), then
# the R references (generate.R). Run from anywhere; needs root for apt-get.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! Rscript -e 'library(MASS); library(survival); library(nlme); library(emmeans); library(rpact); library(jsonlite)' >/dev/null 2>&1; then
  apt-get -o DPkg::Lock::Timeout=900 update
  apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends \
    r-base-core r-cran-mass r-cran-survival r-cran-nlme r-cran-emmeans r-cran-rpact r-cran-jsonlite
fi
VENV=${VENV:-/tmp/hf-endpoint-fixtures-venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r scripts/hf_endpoint_fixtures/requirements.txt
fi
"$VENV/bin/python" scripts/hf_endpoint_fixtures/generate.py
Rscript scripts/hf_endpoint_fixtures/generate.R "$@"
