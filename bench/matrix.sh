#!/usr/bin/env bash
# The benchmark matrix: each RPC load against a fresh server per storage,
# ROUNDS times, then the medians. Builds the release server and the load
# generator once; the server gets a fresh store for every run (SQLite in a
# temp dir, PostgreSQL in a fresh schema that is dropped afterwards).
#
#   bench/matrix.sh                                     # memory and SQLite
#   ARVAK_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/matrix.sh
#   STORAGES=sqlite RPCS=submit ROUNDS=5 bench/matrix.sh
#   STORAGES=sqlite RPCS=submit SERVER_ENV="ARVAK_LOGGING_LEVEL=off" LABEL=logs-off bench/matrix.sh
#
# Variables: STORAGES (memory sqlite [postgres]), RPCS (list-backends submit
# status end-to-end), ROUNDS (3), CONCURRENCY (64), DURATION (10 s), WARMUP
# (2 s), JOBS (end-to-end jobs, 20000), SERVER_ENV (extra server variables,
# space-separated NAME=VALUE), LABEL (suffix for the storage label), OUT
# (keep the JSON lines; a temp file by default), FEATURES (cargo features
# besides the defaults; storage-postgres when PostgreSQL is measured).
set -eu
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3} CONCURRENCY=${CONCURRENCY:-64} DURATION=${DURATION:-10} WARMUP=${WARMUP:-2}
JOBS=${JOBS:-20000} RPCS=${RPCS:-"list-backends submit status end-to-end"}
LABEL=${LABEL:-}
if [ -z "${STORAGES:-}" ]; then
    STORAGES="memory sqlite"
    [ -n "${ARVAK_TEST_DATABASE_URL:-}" ] && STORAGES="$STORAGES postgres"
fi
case " $STORAGES " in *" postgres "*) FEATURES=${FEATURES:-storage-postgres} ;; esac
FEATURES=${FEATURES:-}

work=$(mktemp -d) server="" schema="" loader=""
OUT=${OUT:-$work/results.jsonl}
cleanup() {
    if [ -n "$loader" ]; then kill -TERM "$loader" 2>/dev/null || true; wait "$loader" 2>/dev/null || true; fi
    if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    if [ -n "$schema" ]; then
        PGOPTIONS=--client-min-messages=warning psql -q "$ARVAK_TEST_DATABASE_URL" -c "DROP SCHEMA IF EXISTS \"$schema\" CASCADE" >/dev/null || true
    fi
    server="" schema="" loader=""
}
trap 'cleanup; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

echo "building (release${FEATURES:+, features: $FEATURES})..." >&2
# One build: the bench's build also builds the server binary, with the same features.
paths=$(cargo bench --no-run --features "$FEATURES" --bench load --message-format=json |
    python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] in ("load", "arvak-grpc-server"):
        print(m["target"]["name"], m["executable"])')
load=$(echo "$paths" | awk '$1 == "load" {print $2}')
bin=$(echo "$paths" | awk '$1 == "arvak-grpc-server" {print $2}')
[ -x "$load" ] && [ -x "$bin" ] || { echo "build did not yield both binaries" >&2; exit 1; }

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Starts the server with a fresh store; sets $server and $port.
start_server() { # storage round
    local storage=$1 round=$2 tries=0
    port=$(free_port)
    local env=(ARVAK_STORAGE_TYPE="$storage" ARVAK_SERVER_LISTEN_ADDR="127.0.0.1:$port" ARVAK_HTTP_ENABLED=false)
    case $storage in
        sqlite) mkdir -p "$work/db-$round"; env+=(ARVAK_STORAGE_SQLITE_PATH="$work/db-$round/arvak.db") ;;
        postgres)
            schema="arvak_bench_$$_$round"
            env+=(ARVAK_STORAGE_POSTGRES_URL="$ARVAK_TEST_DATABASE_URL" ARVAK_STORAGE_POSTGRES_SCHEMA="$schema") ;;
    esac
    # shellcheck disable=SC2206
    [ -n "${SERVER_ENV:-}" ] && env+=($SERVER_ENV)
    (cd "$work" && exec env "${env[@]}" "$bin" >"$work/server.log" 2>&1) &
    server=$!
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        tries=$((tries + 1))
        if ! kill -0 "$server" 2>/dev/null || [ "$tries" -gt 300 ]; then
            cat "$work/server.log" >&2; echo "server ($storage) did not start" >&2; exit 1
        fi
        sleep 0.1
    done
}

# The server's resident memory now and at its peak, in MiB.
server_memory() {
    awk '/^VmRSS/ {rss = $2} /^VmHWM/ {hwm = $2} END {printf "{\"rss_mib\": %.1f, \"peak_rss_mib\": %.1f}", rss / 1024, hwm / 1024}' "/proc/$server/status"
}

run_one() { # storage rpc round
    local storage=$1 rpc=$2 round=$3
    start_server "$storage" "$round"
    # In the background, so that a signal interrupts `wait` at once.
    "$load" --addr "127.0.0.1:$port" --rpc "$rpc" --concurrency "$CONCURRENCY" \
        --duration "$DURATION" --warmup "$WARMUP" --jobs "$JOBS" --label "$storage$LABEL" >"$work/line" &
    loader=$!
    wait "$loader"
    loader=""
    python3 -c 'import json, sys; line = json.loads(open(sys.argv[1]).read()); line.update(json.loads(sys.argv[2])); print(json.dumps(line, sort_keys=True))' \
        "$work/line" "$(server_memory)" | tee -a "$OUT"
    cleanup
    rm -rf "$work/db-$round"
}

for round in $(seq "$ROUNDS"); do
    for rpc in $RPCS; do
        for storage in $STORAGES; do
            echo "round $round/$ROUNDS: $rpc on $storage" >&2
            run_one "$storage" "$rpc" "$round"
        done
    done
done

python3 - "$OUT" <<'EOF'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs.setdefault((r["rpc"], r["label"]), []).append(r)
keys = ("rps", "p50_ms", "p90_ms", "p99_ms", "max_ms", "errors", "peak_rss_mib")
med = {k: {f: statistics.median(r[f] for r in rs) for f in keys} for k, rs in runs.items()}
print(f"\n{'rpc':<14}{'storage':<14}{'runs':>5}{'rps':>11}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}{'peak MiB':>10}   (medians)")
for (rpc, label), m in med.items():
    print(f"{rpc:<14}{label:<14}{len(runs[(rpc, label)]):>5}{m['rps']:>11.1f}{m['p50_ms']:>9.2f}{m['p90_ms']:>9.2f}"
          f"{m['p99_ms']:>9.2f}{m['max_ms']:>9.1f}{m['errors']:>8.0f}{m['peak_rss_mib']:>10.1f}")
for (rpc, label), m in med.items():
    base = med.get((rpc, "memory"))
    if base and label != "memory" and base["rps"]:
        print(f"{rpc} {label}/memory: rps {m['rps'] / base['rps']:.2f}")
EOF
