#!/usr/bin/env bash
# `make test`: every check and every test (docs/testing.md).
#   1. Debian packages the suite needs (scripts/system-deps.sh: installs them as root).
#   2. ruff check, ruff format --check, makemigrations --check, mypy: stop at the first failure.
#   3. The whole pytest suite on SQLite and on a throwaway PostgreSQL cluster that this
#      script creates (unix socket only, in a private temporary folder) and always removes.
#      The two passes run side by side (two cores); both finish even when one fails.
# The last line is 'total: N passed, N failed' over both runs; the exit status is non-zero if
# any check or test failed, if a run collected no test (pytest's exit 5), or if, under CI=true,
# a test was skipped.
#
# For a developer only (ignored under CI=true, where everything runs):
#   TEST_DATABASES="sqlite"        one database pass (default: "sqlite postgresql")
#   PYTEST_ARGS="-k door -x"       extra pytest arguments, e.g. a subset
# Honoured everywhere: TEST_SERIAL=1 runs the passes one after the other.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
started=$SECONDS

databases=${TEST_DATABASES:-sqlite postgresql}
read -r -a pytest_args <<<"${PYTEST_ARGS:-}"
if [ "${CI:-}" = true ]; then
  if [ -n "${TEST_DATABASES:-}" ] || [ -n "${PYTEST_ARGS:-}" ]; then
    echo "CI=true: ignoring TEST_DATABASES and PYTEST_ARGS; CI runs everything."
  fi
  databases="sqlite postgresql"
  pytest_args=()
fi

work=$(mktemp -d -t trygg-test.XXXXXX)
pg_root=""
pg_user=""
pg_bin=""
background_pids=()

as_pg_user() {
  # The server refuses to run as root: as root, run it as an unprivileged system user.
  if [ -n "$pg_user" ]; then
    (cd "$pg_root" && runuser -u "$pg_user" -- "$@")
  else
    "$@"
  fi
}

stop_postgres() {
  [ -n "$pg_root" ] || return 0
  if [ -f "$pg_root/data/postmaster.pid" ]; then
    if ! as_pg_user "$pg_bin/pg_ctl" -D "$pg_root/data" -m immediate -w -t 30 stop >/dev/null 2>&1
    then
      kill -KILL "$(head -n1 "$pg_root/data/postmaster.pid")" 2>/dev/null || true
    fi
  fi
  rm -rf "$pg_root"
  pg_root=""
}

cleanup() {
  local pid
  for pid in ${background_pids[@]+"${background_pids[@]}"}; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  stop_postgres
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "Interrupted." >&2; exit 130' INT
trap 'exit 143' TERM

start_postgres() {
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  # Short fixed parent: the socket path must stay under 107 bytes.
  pg_root=$(mktemp -d /tmp/trygg-pg.XXXXXX)
  if [ "$(id -u)" = 0 ]; then
    pg_user=postgres
    if ! id -u "$pg_user" >/dev/null 2>&1; then
      pg_user=trygg-pg
      id -u "$pg_user" >/dev/null 2>&1 ||
        useradd --system --no-create-home --shell /usr/sbin/nologin "$pg_user"
    fi
    chown "$pg_user" "$pg_root"
  fi
  chmod 700 "$pg_root"
  if ! as_pg_user "$pg_bin/initdb" -D "$pg_root/data" -U trygg --auth=trust -E UTF8 \
    --locale=C.UTF-8 --no-sync --no-instructions >"$work/initdb.log" 2>&1; then
    cat "$work/initdb.log" >&2
    echo "initdb failed." >&2
    return 1
  fi
  # Durability is pointless for a cluster deleted minutes later; speed is not.
  local options="-c listen_addresses='' -c port=5432 -c unix_socket_directories='$pg_root'"
  options+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  options+=" -c max_connections=40"
  if ! as_pg_user "$pg_bin/pg_ctl" -D "$pg_root/data" -l "$pg_root/server.log" -w -t 60 \
    -o "$options" start >/dev/null; then
    cat "$pg_root/server.log" >&2 || true
    echo "PostgreSQL did not start." >&2
    return 1
  fi
}

total_passed=0
total_failed=0
total_skipped=0
run_summaries=()

count() { # count WORD LINE -> the number before WORD in pytest's summary line, or 0
  local n
  n=$(grep -oE "[0-9]+ $1" <<<"$2" | grep -oE '^[0-9]+' | head -n1 || true)
  echo "${n:-0}"
}

pytest_command() { # pytest_command LABEL DATABASE_URL: the pytest run for one database
  DATABASE_URL=$2 DATA_DIR="$work/data-${1%% *}" \
    "$BIN/pytest" -p no:cacheprovider --durations=5 ${pytest_args[@]+"${pytest_args[@]}"}
}

collect() { # collect LABEL RC LOG: add one pass's counts to the totals
  local label=$1 rc=$2 log=$3 summary passed failed errors skipped
  if [ "$rc" -eq 2 ] || [ "$rc" -eq 3 ] || [ "$rc" -eq 4 ] || [ "$rc" -ge 128 ]; then
    # Interrupted (Ctrl-C reaches pytest, which exits 2), internal error or usage error:
    # stop here. The EXIT trap ends any other pass and removes the cluster.
    echo "pytest on $label stopped with exit $rc (2: interrupted, 3: internal error," \
      "4: usage error); stopping." >&2
    exit "$rc"
  fi
  summary=$(grep -E ' in [0-9.]+s' "$log" | tail -n1 | sed -E 's/^=+ //; s/ =+$//')
  passed=$(count passed "$summary")
  failed=$(count failed "$summary")
  errors=$(count 'errors?' "$summary")
  skipped=$(count skipped "$summary")
  failed=$((failed + errors))
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    # Exit 5 (no test collected), a crashed run, or the CI=true skip rule: a failure even
    # though no single test failed.
    failed=1
    summary="${summary:-no summary} (pytest exit $rc: counted as 1 failure)"
  fi
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  total_skipped=$((total_skipped + skipped))
  run_summaries+=("$label: ${summary:-no summary}")
}

run_in_foreground() { # run_in_foreground LABEL DATABASE_URL
  local log="$work/pytest-${1%% *}.log" rc
  echo
  echo "==> pytest on $1: DATABASE_URL=$2"
  set +e
  pytest_command "$1" "$2" 2>&1 |
    (trap '' INT && exec tee "$log") # tee outlives Ctrl-C to show what pytest says about it
  rc=${PIPESTATUS[0]}
  set -e
  collect "$1" "$rc" "$log"
}

bash scripts/system-deps.sh

echo "==> ruff check"
"$BIN/ruff" check .
echo "==> ruff format --check"
"$BIN/ruff" format --check .
echo "==> makemigrations --check"
DATABASE_URL="sqlite:///$work/migrations-check.sqlite3" DATA_DIR="$work/data" \
  "$BIN/trygg" makemigrations --check --dry-run -v1
echo "==> mypy"
"$BIN/mypy" trygg

labels=()
urls=()
for database in $databases; do
  case $database in
    sqlite)
      labels+=(SQLite)
      urls+=("sqlite:///$work/test.sqlite3")
      ;;
    postgresql)
      echo "==> starting a throwaway PostgreSQL cluster"
      start_postgres
      version=$("$pg_bin/postgres" --version | grep -oE '[0-9]+(\.[0-9]+)*' | head -n1)
      labels+=("PostgreSQL $version")
      urls+=("postgres://trygg@${pg_root//\//%2F}:5432/trygg")
      ;;
    *)
      echo "Unknown database '$database' in TEST_DATABASES (use sqlite, postgresql)." >&2
      exit 2
      ;;
  esac
done

# The passes are independent processes on separate databases: with two cores, the second
# runs alongside the first (its output is shown when it ends). TEST_SERIAL=1: one at a time.
if [ "${TEST_SERIAL:-}" = 1 ] || [ ${#labels[@]} -lt 2 ]; then
  for i in "${!labels[@]}"; do
    run_in_foreground "${labels[$i]}" "${urls[$i]}"
  done
else
  for i in "${!labels[@]}"; do
    [ "$i" -gt 0 ] || continue
    echo "==> pytest on ${labels[$i]} runs alongside; its output follows the first pass."
    pytest_command "${labels[$i]}" "${urls[$i]}" >"$work/pytest-${labels[$i]%% *}.log" 2>&1 &
    background_pids+=($!)
  done
  run_in_foreground "${labels[0]}" "${urls[0]}"
  for i in "${!labels[@]}"; do
    [ "$i" -gt 0 ] || continue
    rc=0
    wait "${background_pids[$((i - 1))]}" || rc=$?
    echo
    echo "==> pytest on ${labels[$i]}: DATABASE_URL=${urls[$i]}"
    cat "$work/pytest-${labels[$i]%% *}.log"
    collect "${labels[$i]}" "$rc" "$work/pytest-${labels[$i]%% *}.log"
  done
  background_pids=()
fi
stop_postgres

echo
for line in "${run_summaries[@]}"; do
  echo "  $line"
done
echo "make test: $((SECONDS - started)) s"
skipped_part=""
[ "$total_skipped" -eq 0 ] || skipped_part=", $total_skipped skipped"
echo "total: $total_passed passed, $total_failed failed$skipped_part"
[ "$total_failed" -eq 0 ]
