#!/usr/bin/env bash
# Create the virtual environment from the lock file. On a fresh Debian machine the venv
# module may be missing (package python3-venv): install it when we are root, else say how.
set -euo pipefail
python=${1:-python3}
venv=${2:-.venv}

if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing python3-venv."
    # shellcheck source=scripts/apt.sh
    source "$(dirname "$0")/apt.sh"
    apt_update && apt_install python3-venv
  else
    echo "Python's venv module is missing: run 'sudo apt-get install python3-venv' and retry." >&2
    exit 1
  fi
fi
"$python" -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check --upgrade pip
"$venv/bin/pip" install -q --disable-pip-version-check --require-hashes -r requirements.lock
"$venv/bin/pip" install -q --disable-pip-version-check --no-deps -e .
