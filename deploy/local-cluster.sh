#!/usr/bin/env bash
# Starts a cluster on this machine: NODES servers (3) sharing the local
# PostgreSQL (a fresh schema) and Redis (a fresh key prefix), prints their
# addresses, and on Ctrl-C (or after RUN_FOR seconds) stops them and removes
# the schema and the keys.
#
#   deploy/local-cluster.sh                      # three nodes, until Ctrl-C
#   NODES=5 deploy/local-cluster.sh
#   RUN_FOR=30 PROFILE=dev deploy/local-cluster.sh
#
# Variables: NODES (3), GRPC_PORT (50051: node i listens on GRPC_PORT+i-1),
# HTTP_PORT (8080, the same way), DATABASE_URL
# (postgres://postgres@127.0.0.1:5432/postgres), REDIS_URL
# (redis://127.0.0.1:6379), PROFILE (release, or dev for a quicker build),
# RUN_FOR (seconds; unset: until Ctrl-C), LOGS (a directory for the nodes'
# logs; a temporary one by default), THREADS (each node's
# server.threads: its share of this machine's cores, at least 1).
set -euo pipefail
cd "$(dirname "$0")/.."

NODES=${NODES:-3} GRPC_PORT=${GRPC_PORT:-50051} HTTP_PORT=${HTTP_PORT:-8080}
DATABASE_URL=${DATABASE_URL:-${ARVAK_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}}
REDIS_URL=${REDIS_URL:-${ARVAK_TEST_REDIS_URL:-redis://127.0.0.1:6379}}
PROFILE=${PROFILE:-release}
# The nodes share this machine's cores: more threads than cores only switch.
THREADS=${THREADS:-$(( $(nproc) / NODES > 0 ? $(nproc) / NODES : 1 ))}
LOGS=${LOGS:-$(mktemp -d)}
mkdir -p "$LOGS"

command -v psql >/dev/null || { echo "psql is needed to remove the schema afterwards" >&2; exit 1; }
command -v redis-cli >/dev/null || { echo "redis-cli is needed to remove the keys afterwards" >&2; exit 1; }

echo "building arvak-grpc-server ($PROFILE, features queue-redis storage-postgres)..." >&2
bin=$(cargo build --profile "$PROFILE" --features queue-redis,storage-postgres \
    --bin arvak-grpc-server --message-format=json |
    python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable"):
        print(m["executable"])' | tail -n 1)
[ -x "$bin" ] || { echo "the build yielded no server binary" >&2; exit 1; }

id=$(python3 -c 'import uuid; print(uuid.uuid4().hex[:12])')
schema="arvak_cluster_$id" prefix="arvak_cluster_$id"
pids=()

cleanup() {
    trap - EXIT INT TERM
    echo "stopping ${#pids[@]} nodes..." >&2
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    psql -q "$DATABASE_URL" -c "SET client_min_messages TO warning" \
        -c "DROP SCHEMA IF EXISTS \"$schema\" CASCADE" >/dev/null
    redis-cli -u "$REDIS_URL" --scan --pattern "$prefix:*" | xargs -r redis-cli -u "$REDIS_URL" DEL >/dev/null
    echo "removed schema $schema and keys $prefix:*; logs in $LOGS" >&2
}
trap cleanup EXIT INT TERM

# start_node I: one node in the background; waits until it is ready.
start_node() {
    local i=$1 grpc=$((GRPC_PORT + $1 - 1)) http=$((HTTP_PORT + $1 - 1))
    ARVAK_SERVER_LISTEN_ADDR="127.0.0.1:$grpc" ARVAK_HTTP_LISTEN_ADDR="127.0.0.1:$http" \
        ARVAK_STORAGE_TYPE=postgres ARVAK_STORAGE_POSTGRES_URL="$DATABASE_URL" \
        ARVAK_STORAGE_POSTGRES_SCHEMA="$schema" ARVAK_QUEUE_TYPE=redis \
        ARVAK_QUEUE_REDIS_URL="$REDIS_URL" ARVAK_QUEUE_REDIS_PREFIX="$prefix" \
        ARVAK_CLUSTER_NODE_ID="node-$i" ARVAK_SERVER_THREADS="$THREADS" \
        "$bin" >"$LOGS/node-$i.log" 2>&1 &
    pids+=("$!")
    for _ in $(seq 300); do
        if curl -fs "http://127.0.0.1:$http/health/ready" >/dev/null 2>&1; then
            echo "node-$i  grpc 127.0.0.1:$grpc  http 127.0.0.1:$http  (pid ${pids[-1]})"
            return
        fi
        kill -0 "${pids[-1]}" 2>/dev/null || { echo "node-$i stopped; its log:" >&2; tail -20 "$LOGS/node-$i.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "node-$i was not ready within 30 s; its log: $LOGS/node-$i.log" >&2
    exit 1
}

# The first node creates the schema; the others start once it has.
for i in $(seq "$NODES"); do start_node "$i"; done
leader=$(curl -fs "http://127.0.0.1:$HTTP_PORT/health/ready" | sed -n 's/^leader: //p')
echo "schema $schema, key prefix $prefix, leader $leader; logs in $LOGS"

if [ -n "${RUN_FOR:-}" ]; then
    sleep "$RUN_FOR"
else
    echo "Ctrl-C stops the cluster." >&2
    wait
fi
