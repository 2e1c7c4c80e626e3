#!/usr/bin/env bash
# TLS throughput as a share of plaintext: ListBackends (transport alone) and
# SubmitJob, each with plaintext and TLS alternately, ROUNDS times, on a fresh
# server with the in-memory store so that the transport is what differs.
# Builds the release server and the load bench once, makes a throwaway CA
# and server certificate (examples/gen-certs.rs), and prints the medians and
# the TLS/plaintext ratios.
#
#   bench/tls-throughput.sh
#   DURATION=5 ROUNDS=5 bench/tls-throughput.sh
#
# Overrides: CONCURRENCY (64), DURATION (10 s), WARMUP (2 s), ROUNDS (3),
# RPCS ("list-backends submit"), STORAGE (memory), MTLS (1: also require a
# client certificate), OUT (where the JSON lines go; a temp file by default).
set -eu
cd "$(dirname "$0")/.."

CONCURRENCY=${CONCURRENCY:-64} DURATION=${DURATION:-10} WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-3} RPCS=${RPCS:-list-backends submit} STORAGE=${STORAGE:-memory}
MTLS=${MTLS:-}

work=$(mktemp -d)
OUT=${OUT:-$work/results.jsonl}
. bench/common.sh
trap 'stop_processes; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

build_release tls
echo "making throwaway certificates..." >&2
cargo run --quiet --example gen-certs -- "$work/certs" >/dev/null
certs=$work/certs

run_one() { # rpc mode
    local rpc=$1 mode=$2 port
    port=$(free_port)
    local env=(ARVAK_STORAGE_TYPE="$STORAGE" ARVAK_STORAGE_SQLITE_PATH="$work/sqlite/arvak.db"
        ARVAK_LOGGING_LEVEL=warn ARVAK_HTTP_ENABLED=false ARVAK_SERVER_LISTEN_ADDR="127.0.0.1:$port")
    local tls_args=()
    if [ "$mode" = tls ]; then
        env+=(ARVAK_TLS_ENABLED=true ARVAK_TLS_CERT_PATH="$certs/server.crt" ARVAK_TLS_KEY_PATH="$certs/server.key")
        tls_args=(--tls-ca "$certs/ca.crt")
        if [ -n "$MTLS" ]; then
            env+=(ARVAK_TLS_CLIENT_CA_PATH="$certs/ca.crt" ARVAK_TLS_REQUIRE_CLIENT_CERT=true)
            tls_args+=(--tls-cert "$certs/client.crt" --tls-key "$certs/client.key")
        fi
    fi
    start_server "$port" "$mode" "${env[@]}"
    # The same (tonic) client both ways: the lean one speaks plaintext only.
    run_load --addr "127.0.0.1:$port" --rpc "$rpc" --concurrency "$CONCURRENCY" \
        --duration "$DURATION" --warmup "$WARMUP" --label "$mode" --client tonic "${tls_args[@]}"
    stop_processes
    rm -rf "$work/sqlite"
}

for round in $(seq "$ROUNDS"); do
    for rpc in $RPCS; do
        for mode in plaintext tls; do
            echo "round $round/$ROUNDS: $rpc, $mode" >&2
            run_one "$rpc" "$mode"
        done
    done
done

python3 bench/summary.py "$OUT" plaintext
