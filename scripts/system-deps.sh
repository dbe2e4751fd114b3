#!/usr/bin/env bash
# Debian packages the test suite needs: PostgreSQL's server binaries (a throwaway cluster per
# run), Chromium (browser tests), fonts (readable screenshots) and SIPp (sip-tester: plays a
# SCAIP alarm unit against the receiver). Checks are cheap
# (command -v, dpkg -s); apt-get runs only when something is missing. As root with apt-get
# we install; otherwise we fail and print the exact command to run.
# Usage: scripts/system-deps.sh [extra-debian-package ...]
set -euo pipefail

missing=()

pg_bin_dir() {
  # Newest installed major version, e.g. /usr/lib/postgresql/15/bin.
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
    echo "$dir"
  fi
}

[ -n "$(pg_bin_dir)" ] || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v sipp >/dev/null 2>&1 || missing+=(sip-tester)
for font in fonts-dejavu-core fonts-liberation; do
  dpkg -s "$font" >/dev/null 2>&1 || missing+=("$font")
done
for extra in "$@"; do
  command -v "$extra" >/dev/null 2>&1 || dpkg -s "$extra" >/dev/null 2>&1 || missing+=("$extra")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing missing Debian packages: ${missing[*]}"
  # shellcheck source=scripts/apt.sh
  source "$(dirname "$0")/apt.sh"
  apt_update
  apt_install "${missing[@]}" >/dev/null
  echo "Installed: ${missing[*]}"
else
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
