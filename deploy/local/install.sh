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
# Chromium for the browser tests (tests/e2e/browser): Debian's package, never a browser
# download of Playwright's own; a CJK font so screenshots show the Chinese UI.
have_chromium() {
  { [ -n "${CRM_CHROMIUM:-}" ] && [ -x "$CRM_CHROMIUM" ]; } ||
    command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1
}
install_chromium() {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei
}
echo "installing into $venv (details: $log)" >&2
if ! have_chromium; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    stage "Chromium (browser tests; first time: a minute)" install_chromium
  else
    echo "  Chromium is missing: the browser tests (tests/e2e/browser) will fail until it is" \
      "installed (Debian/Ubuntu: sudo apt-get install chromium) or CRM_CHROMIUM names one." >&2
  fi
fi
stage "pip itself" "$venv/bin/python" -m pip install --quiet --upgrade pip
stage "dependencies (first time: a minute or two)" "$venv/bin/pip" install --quiet -e '.[dev]'
stage "protobuf code from protos/" "$venv/bin/python" deploy/local/gen_protos.py
stage "the project itself" "$venv/bin/pip" install --quiet --no-deps -e .
