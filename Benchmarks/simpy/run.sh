#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs the SimPy baselines (hold model and M/M/1) that the Swift kernel benchmark is compared with.
# Creates a private venv in .build/simpy-venv on first use; prints one JSON line per model.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${SIMPY_VENV:-$root/.build/simpy-venv}"
version="${SIMPY_VERSION:-4.1.2}"
if ! "$venv/bin/python" -c "import simpy" 2>/dev/null; then
  mkdir -p "$(dirname "$venv")"
  [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "simpy==$version"
fi
py=("$venv/bin/python" -B)  # -B: no __pycache__ in the source tree
"${py[@]}" "$here/hold.py" --pending "${HOLD_PENDING:-1000}" --events "${HOLD_EVENTS:-2000000}" --seed "${SEED:-42}"
"${py[@]}" "$here/mm1.py" --customers "${MM1_CUSTOMERS:-500000}" --seed "${SEED:-42}"
