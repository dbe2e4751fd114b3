#!/usr/bin/env bash
# The whole suite: lint, migrations check, tests on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
$BIN/ruff check .
$BIN/ruff format --check .
$BIN/trygg makemigrations --check --dry-run -v1
DATABASE_URL="sqlite:///$(mktemp -d)/test.sqlite3" $BIN/pytest -q
