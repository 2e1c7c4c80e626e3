#!/usr/bin/env bash
# The benchmark matrix: each RPC load against a fresh server per storage,
# ROUNDS times, then the medians and the server's peak memory. Builds the
# release server and the load generator once; every run gets a fresh store
# (SQLite in a temp dir, PostgreSQL in a fresh schema dropped afterwards).
#
#   bench/matrix.sh                                     # memory and SQLite
#   ARVAK_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/matrix.sh
#   STORAGES=sqlite RPCS=submit ROUNDS=5 bench/matrix.sh
#   STORAGES=sqlite RPCS=submit SERVER_ENV="ARVAK_LOGGING_LEVEL=off" LABEL=-logs-off bench/matrix.sh
#   STORAGES=sqlite RPCS="submit status" ROUNDS=5 ALSO_ENV="ARVAK_LOGGING_LEVEL=off" ALSO_LABEL=-logs-off bench/matrix.sh
#   STORAGES=sqlite ALSO_BIN=/tmp/old/arvak-grpc-server ALSO_LABEL=-old bench/matrix.sh
#   STORAGES=sqlite RPCS=submit RATE=8000 bench/matrix.sh   # p99 at 8,000 calls/s offered
#
# Variables: STORAGES (memory sqlite [postgres]), RPCS (list-backends submit
# status end-to-end), ROUNDS (3), CONCURRENCY (64), DURATION (10 s), WARMUP
# (2 s), JOBS (end-to-end jobs, 20000), SERVER_ENV (extra server variables,
# space-separated NAME=VALUE), LABEL (suffix of the storage label), OUT
# (keep the JSON lines; a temp file by default), FEATURES (cargo features
# besides the defaults; storage-postgres when PostgreSQL is measured),
# ALSO_ENV, ALSO_BIN and ALSO_LABEL (a second server set-up, run right
# after each run so that both meet the same load on a shared machine: extra
# variables, and/or another server binary, e.g. one built from another
# commit; the summary gives its ratio to the first), CLIENT (the load
# generator's caller for the unary RPCs: lean, or tonic as before
# 2026-12-04; end to end always uses tonic's), RATE (calls per second offered
# in an open loop, `load --rate`, to every run but end to end; unset: a closed
# loop).
set -eu
cd "$(dirname "$0")/.."

CLIENT=${CLIENT:-lean} ROUNDS=${ROUNDS:-3} CONCURRENCY=${CONCURRENCY:-64} DURATION=${DURATION:-10} WARMUP=${WARMUP:-2}
JOBS=${JOBS:-20000} RPCS=${RPCS:-"list-backends submit status end-to-end"} LABEL=${LABEL:-}
if [ -z "${STORAGES:-}" ]; then
    STORAGES="memory sqlite"
    [ -n "${ARVAK_TEST_DATABASE_URL:-}" ] && STORAGES="$STORAGES postgres"
fi
case " $STORAGES " in *" postgres "*) FEATURES=${FEATURES:-storage-postgres} ;; esac

work=$(mktemp -d) schema=""
OUT=${OUT:-$work/results.jsonl}
. bench/common.sh
cleanup() {
    stop_processes
    if [ -n "$schema" ]; then
        PGOPTIONS=--client-min-messages=warning psql -q "$ARVAK_TEST_DATABASE_URL" -c "DROP SCHEMA IF EXISTS \"$schema\" CASCADE" >/dev/null || true
    fi
    schema=""
}
trap 'cleanup; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

build_release "${FEATURES:-}"

run_one() { # storage rpc round label extra-env
    local storage=$1 rpc=$2 round=$3 label=$4 extra=$5 port
    port=$(free_port)
    local env=(ARVAK_STORAGE_TYPE="$storage" ARVAK_SERVER_LISTEN_ADDR="127.0.0.1:$port" ARVAK_HTTP_ENABLED=false)
    case $storage in
        sqlite) env+=(ARVAK_STORAGE_SQLITE_PATH="$work/db-$round/arvak.db") ;;
        postgres)
            schema="arvak_bench_$$_$round"
            env+=(ARVAK_STORAGE_POSTGRES_URL="$ARVAK_TEST_DATABASE_URL" ARVAK_STORAGE_POSTGRES_SCHEMA="$schema") ;;
    esac
    # shellcheck disable=SC2206
    [ -n "${SERVER_ENV:-}" ] && env+=($SERVER_ENV)
    # shellcheck disable=SC2206
    [ -n "$extra" ] && env+=($extra)
    local paced=()
    [ -n "${RATE:-}" ] && [ "$rpc" != end-to-end ] && paced=(--rate "$RATE")
    start_server "$port" "$storage" "${env[@]}"
    OUT=$work/line.jsonl run_load --addr "127.0.0.1:$port" --rpc "$rpc" --concurrency "$CONCURRENCY" \
        --duration "$DURATION" --warmup "$WARMUP" --jobs "$JOBS" --client "$CLIENT" --label "$storage$label" \
        "${paced[@]}" >/dev/null
    # The run's line with the server's peak resident memory added.
    python3 -c '
import json, sys
line = json.loads(open(sys.argv[1]).read().splitlines()[-1])
status = dict(l.split(":", 1) for l in open(f"/proc/{sys.argv[2]}/status") if ":" in l)
line["peak_rss_mib"] = round(int(status["VmHWM"].split()[0]) / 1024, 1)
print(json.dumps(line, sort_keys=True))' "$work/line.jsonl" "$server" | tee -a "$OUT"
    cleanup
    rm -rf "$work/db-$round" "$work/line.jsonl"
}

for round in $(seq "$ROUNDS"); do
    for rpc in $RPCS; do
        for storage in $STORAGES; do
            echo "round $round/$ROUNDS: $rpc on $storage" >&2
            run_one "$storage" "$rpc" "$round" "$LABEL" ""
            if [ -n "${ALSO_ENV:-}${ALSO_BIN:-}" ]; then
                echo "round $round/$ROUNDS: $rpc on $storage as ${ALSO_LABEL:--also}" >&2
                own_bin=$bin
                bin=${ALSO_BIN:-$bin}
                run_one "$storage" "$rpc" "$round" "${ALSO_LABEL:--also}" "${ALSO_ENV:-}"
                bin=$own_bin
            fi
        done
    done
done

# With one storage, ratios are to it (and ALSO_ENV's runs to their twins).
case $STORAGES in
    *" "*) baseline="memory$LABEL" ;;
    *) baseline="$STORAGES$LABEL" ;;
esac
python3 bench/summary.py "$OUT" "$baseline"
