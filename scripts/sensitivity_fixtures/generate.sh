#!/bin/sh
# Regenerate the sensitivity reference values (needs python3 with venv; network to PyPI).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
venv=${VENV:-/tmp/venv-hfsim-sensitivity}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q numpy==2.* scipy==1.17.* SALib==1.6.*
"$venv/bin/python" "$here/generate.py"
