#!/usr/bin/env bash
# The install step, quietly: one progress line per stage; the full pip and
# protoc output goes to .venv/install.log and is shown only if a stage fails.
set -euo pipefail
python_bin=${1:-python3}
venv=${2:-.venv}
bash "$(dirname "$0")/ensure-python.sh" "$python_bin" "$venv"
log="$venv/install.log"
: > "$log"
stage() {  # message command...
  local message=$1; shift
  printf '  %-52s' "$message" >&2
  local started=$SECONDS
  if "$@" >>"$log" 2>&1; then
    printf 'done (%ss)\n' $((SECONDS - started)) >&2
  else
    printf 'FAILED\n' >&2
    echo "--- last lines of $log ---" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
}
echo "installing into $venv (details: $log)" >&2
stage "pip itself" "$venv/bin/python" -m pip install --quiet --upgrade pip
stage "dependencies (first time: a minute or two)" "$venv/bin/pip" install --quiet -e '.[dev]'
stage "protobuf code from protos/" "$venv/bin/python" deploy/local/gen_protos.py
stage "the project itself" "$venv/bin/pip" install --quiet --no-deps -e .
