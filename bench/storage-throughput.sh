#!/usr/bin/env bash
# Submit throughput per storage: memory, SQLite, and PostgreSQL when
# ARVAK_TEST_DATABASE_URL is set. Builds the release server and the load
# bench once, runs each storage ROUNDS times on a fresh server and a fresh
# store, and prints the medians and the ratios to memory.
#
#   bench/storage-throughput.sh
#   ARVAK_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/storage-throughput.sh
#
# Overrides: CONCURRENCY (64), DURATION (10 s), WARMUP (2 s), ROUNDS (3),
# RPC (submit; end-to-end runs JOBS jobs, 1000), WORKERS (ARVAK_WORKERS_COUNT; unset = the server's default),
# OUT (where the JSON lines go; a temp file by default).
set -eu
cd "$(dirname "$0")/.."

CONCURRENCY=${CONCURRENCY:-64} DURATION=${DURATION:-10} WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-3} RPC=${RPC:-submit} JOBS=${JOBS:-1000}
storages="memory sqlite"
[ -n "${ARVAK_TEST_DATABASE_URL:-}" ] && storages="$storages postgres"

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

build_release storage-postgres

run_one() { # storage round
    local storage=$1 round=$2 port
    port=$(free_port)
    local env=(ARVAK_STORAGE_TYPE="$storage" ARVAK_LOGGING_LEVEL=warn ARVAK_SERVER_LISTEN_ADDR="127.0.0.1:$port")
    [ -n "${WORKERS:-}" ] && env+=(ARVAK_WORKERS_COUNT="$WORKERS")
    case $storage in
        sqlite) env+=(ARVAK_STORAGE_SQLITE_PATH="$work/sqlite-$round/arvak.db") ;;
        postgres)
            schema="arvak_bench_$$_$round"
            env+=(ARVAK_STORAGE_POSTGRES_URL="$ARVAK_TEST_DATABASE_URL" ARVAK_STORAGE_POSTGRES_SCHEMA="$schema") ;;
    esac
    start_server "$port" "$storage" "${env[@]}"
    run_load --addr "127.0.0.1:$port" --rpc "$RPC" --concurrency "$CONCURRENCY" \
        --duration "$DURATION" --warmup "$WARMUP" --jobs "$JOBS" --label "$storage"
    cleanup
    rm -rf "$work/sqlite-$round"
}

for round in $(seq "$ROUNDS"); do
    for storage in $storages; do
        echo "round $round/$ROUNDS: $storage" >&2
        run_one "$storage" "$round"
    done
done

python3 bench/summary.py "$OUT" memory
