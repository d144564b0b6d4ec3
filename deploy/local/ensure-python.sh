#!/usr/bin/env bash
# Make sure a Python >= 3.11 with venv exists and create the virtual environment.
set -euo pipefail
python_bin=${1:-python3}
venv=${2:-.venv}

have_python() {
  command -v "$python_bin" >/dev/null 2>&1 &&
    "$python_bin" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
}

if ! have_python; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing python3 (>= 3.11) with venv from the distribution's packages"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-dev gcc >/dev/null
    python_bin=python3
  fi
  have_python || { echo "Python >= 3.11 with the venv module is required (set PYTHON=...)." >&2; exit 1; }
fi
if [ ! -x "$venv/bin/python" ]; then
  "$python_bin" -m venv "$venv"
fi
