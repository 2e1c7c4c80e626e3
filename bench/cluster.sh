#!/usr/bin/env bash
# A cluster under load: NODES servers on this machine sharing the local
# PostgreSQL (a fresh schema per run) and Redis (a fresh prefix per run), the
# load spread over all of them, against one node on the same services, in
# alternating runs. Then the medians, the ratio of the cluster to one node,
# and what each job cost: Redis commands and PostgreSQL transactions per
# stored job (and statements, with PG_LOG), and the CPU time per stored job
# of the nodes, PostgreSQL, Redis and the load generator during the load
# (from /proc; everything else PostgreSQL and Redis do meanwhile counts
# too, so measure on a quiet machine).
#
#   bench/cluster.sh                                  # submit and end to end, 3 rounds
#   RPCS=submit ROUNDS=5 bench/cluster.sh
#   PG_LOG=/var/log/postgresql/postgresql-15-main.log ROUNDS=1 bench/cluster.sh
#
# Variables: SIZES (node counts to alternate, "1 3"), RPCS ("submit
# end-to-end"), ROUNDS (3), CONCURRENCY (64 callers in all), DURATION (10 s),
# WARMUP (2 s), JOBS (end-to-end jobs, 20000), OUT (keep the JSON lines),
# SERVER_BIN (another server binary), ALSO_BIN and ALSO_LABEL (a second
# server binary run beside each run, first in every second round, labelled
# with that suffix, e.g. one built from another commit), PG_LOG
# (PostgreSQL's log file, readable here: each node's connections then log
# every statement, which are counted; this slows the database, so use it
# for counting, not for speed), PERF_DIR (a directory: `perf record` samples
# the whole machine during each load into LABEL-RPC-ROUND.data there, for
# `perf report --sort pid,comm`; it slows every run alike),
# ARVAK_TEST_DATABASE_URL and ARVAK_TEST_REDIS_URL (the services; the local
# ones by default), THREADS (each node's server.threads; by default its
# share of this machine's cores, at least 1: 2 for one node here, 1 for
# three; 0 leaves it unset: one per core in every node, and builds from
# before the setting run).
set -eu
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"1 3"} RPCS=${RPCS:-"submit end-to-end"} ROUNDS=${ROUNDS:-3}
CONCURRENCY=${CONCURRENCY:-64} DURATION=${DURATION:-10} WARMUP=${WARMUP:-2} JOBS=${JOBS:-20000}
DATABASE_URL=${ARVAK_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
REDIS_URL=${ARVAK_TEST_REDIS_URL:-redis://127.0.0.1:6379}
for tool in psql redis-cli; do
    command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 1; }
done

work=$(mktemp -d) schema="" prefix="" nodes=()
OUT=${OUT:-$work/results.jsonl}
. bench/common.sh
sql() { PGOPTIONS=--client-min-messages=warning psql -qAt "$DATABASE_URL" -c "$1"; }
stop_nodes() {
    for pid in "${nodes[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${nodes[@]}"; do wait "$pid" 2>/dev/null || true; done
    nodes=()
}
clean_services() {
    [ -n "$schema" ] && sql "DROP SCHEMA IF EXISTS \"$schema\" CASCADE" >/dev/null || true
    [ -n "$prefix" ] && redis-cli -u "$REDIS_URL" --scan --pattern "$prefix:*" |
        xargs -r redis-cli -u "$REDIS_URL" DEL >/dev/null || true
    schema="" prefix=""
}
cleanup() { stop_processes; stop_nodes; clean_services; }
trap 'cleanup; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

build_release "storage-postgres queue-redis"

redis_commands() { redis-cli -u "$REDIS_URL" INFO stats | awk -F: '/^total_commands_processed/ {print $2+0}'; }
pg_transactions() { sql "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"; }
log_lines() { if [ -n "${PG_LOG:-}" ]; then wc -l <"$PG_LOG"; else echo 0; fi; }
# cpu_snapshot FILE: each process's user and system CPU ticks so far, as
# "group pid ticks" lines, for the nodes, PostgreSQL's processes and Redis;
# and "load" the ticks of this shell's reaped children (the load generator).
cpu_snapshot() {
    {
        for pid in "${nodes[@]}"; do echo "servers $pid"; done
        pgrep -x postgres | sed 's/^/postgres /'
        pgrep -x redis-server | sed 's/^/redis /'
        echo "load $$"
    } | while read -r group pid; do
        # Fields after "pid (comm) ": utime is the 12th, stime the 13th, the
        # reaped children's the 14th and 15th.
        local stat
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        set -- ${stat##*) }
        if [ "$group" = load ]; then echo "load $pid $((${14} + ${15}))"; else echo "$group $pid $((${12} + ${13}))"; fi
    done >"$1"
}

# start_nodes COUNT ROUND: COUNT servers on fresh ports; sets $addrs.
start_nodes() {
    local count=$1 round=$2 url=$DATABASE_URL ports=()
    # The nodes share this machine's cores: more threads than cores only switch.
    local threads=${THREADS:-$(( $(nproc) / count > 0 ? $(nproc) / count : 1 ))} env=()
    # Not set at all for 0, so that builds without the setting run too.
    [ "$threads" = 0 ] || env=(ARVAK_SERVER_THREADS="$threads")
    schema="arvak_cluster_bench_$$_${round}_${count}_$RANDOM" prefix="arvak-cluster-bench-$$-$round-$count-$RANDOM"
    if [ -n "${PG_LOG:-}" ]; then
        case $url in *\?*) url="$url&" ;; *) url="$url?" ;; esac
        url="${url}options=-c%20log_statement%3Dall"
    fi
    for i in $(seq "$count"); do
        local port
        port=$(free_port)
        ports+=("$port")
        (cd "$work" && exec env ARVAK_SERVER_LISTEN_ADDR="127.0.0.1:$port" ARVAK_HTTP_ENABLED=false \
            ARVAK_STORAGE_TYPE=postgres ARVAK_STORAGE_POSTGRES_URL="$url" \
            ARVAK_STORAGE_POSTGRES_SCHEMA="$schema" ARVAK_QUEUE_TYPE=redis \
            ARVAK_QUEUE_REDIS_URL="$REDIS_URL" ARVAK_QUEUE_REDIS_PREFIX="$prefix" \
            ARVAK_CLUSTER_NODE_ID="bench-$i" "${env[@]}" "$bin" >"$work/node-$i.log" 2>&1) &
        nodes+=($!)
        # One at a time: the first creates the schema.
        local tries=0
        until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
            tries=$((tries + 1))
            if [ "$tries" -gt 300 ]; then
                cat "$work/node-$i.log" >&2; echo "node $i did not start" >&2; exit 1
            fi
            sleep 0.1
        done
    done
    addrs=$(printf '127.0.0.1:%s,' "${ports[@]}")
    addrs=${addrs%,}
}

run_one() { # nodes rpc round label-suffix
    local count=$1 rpc=$2 round=$3 label
    label=$([ "$count" = 1 ] && echo "1-node" || echo "$count-nodes")$4
    start_nodes "$count" "$round"
    local redis0 pg0 log0
    redis0=$(redis_commands) pg0=$(pg_transactions) log0=$(log_lines)
    cpu_snapshot "$work/cpu0"
    if [ -n "${PERF_DIR:-}" ]; then
        (sleep "$WARMUP"; exec perf record -q -e cpu-clock -F 499 -g -a \
            -o "$PERF_DIR/$label-$rpc-$round.data" -- sleep "$DURATION") >/dev/null 2>&1 &
    fi
    OUT=$work/line.jsonl run_load --addr "$addrs" --rpc "$rpc" --concurrency "$CONCURRENCY" \
        --duration "$DURATION" --warmup "$WARMUP" --jobs "$JOBS" --label "$label" >/dev/null
    cpu_snapshot "$work/cpu1"
    stop_nodes
    local redis1 pg1 log1 jobs statements=null
    redis1=$(redis_commands) pg1=$(pg_transactions) log1=$(log_lines)
    jobs=$(sql "SELECT count(*) FROM \"$schema\".jobs")
    if [ -n "${PG_LOG:-}" ]; then
        statements=$(tail -n +"$((log0 + 1))" "$PG_LOG" | head -n "$((log1 - log0))" |
            grep -cE "LOG:  (statement|execute [^:]*):" || true)
    fi
    clean_services
    # The run's line with what the shared services did per stored job.
    python3 -c '
import json, sys
line = json.loads(open(sys.argv[1]).read().splitlines()[-1])
jobs, redis, pg, statements = (int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
line["jobs_stored"] = jobs
line["redis_commands_per_job"] = round(redis / max(jobs, 1), 2)
line["pg_transactions_per_job"] = round(pg / max(jobs, 1), 3)
if statements != "null":
    line["pg_statements_per_job"] = round(int(statements) / max(jobs, 1), 2)
# CPU per stored job, in microseconds, by group: what each process used
# during the load (a process that ended meanwhile is not counted).
before = {(g, p): int(t) for g, p, t in (l.split() for l in open(sys.argv[6]))}
per_tick = 1e6 / int(sys.argv[8])
cpu = {}
for g, p, t in (l.split() for l in open(sys.argv[7])):
    cpu[g] = cpu.get(g, 0) + int(t) - before.get((g, p), 0)
for g, ticks in cpu.items():
    line[f"cpu_us_per_job_{g}"] = round(ticks * per_tick / max(jobs, 1), 1)
print(json.dumps(line, sort_keys=True))' "$work/line.jsonl" "$jobs" "$((redis1 - redis0))" \
        "$((pg1 - pg0))" "$statements" "$work/cpu0" "$work/cpu1" "$(getconf CLK_TCK)" | tee -a "$OUT"
    rm -f "$work/line.jsonl" "$work/cpu0" "$work/cpu1"
}

run_own() {
    echo "round $3/$ROUNDS: $2 on $1 node(s)" >&2
    run_one "$1" "$2" "$3" ""
}
run_also() {
    echo "round $3/$ROUNDS: $2 on $1 node(s) as ${ALSO_LABEL:--also}" >&2
    local own_bin=$bin
    bin=$ALSO_BIN
    run_one "$1" "$2" "$3" "${ALSO_LABEL:--also}"
    bin=$own_bin
}

for round in $(seq "$ROUNDS"); do
    for rpc in $RPCS; do
        for count in $SIZES; do
            # With a second binary, which goes first alternates by round:
            # the run after another one may find the database busier.
            if [ -n "${ALSO_BIN:-}" ] && [ $((round % 2)) = 0 ]; then
                run_also "$count" "$rpc" "$round"
                run_own "$count" "$rpc" "$round"
            else
                run_own "$count" "$rpc" "$round"
                [ -z "${ALSO_BIN:-}" ] || run_also "$count" "$rpc" "$round"
            fi
        done
    done
done

python3 bench/summary.py "$OUT" "1-node"
python3 -c '
import json, sys, statistics
lines = [json.loads(l) for l in open(sys.argv[1])]
print("\nper stored job (medians)        redis commands   pg transactions   pg statements"
      "   CPU µs: servers  postgres  redis  load   all")
for rpc, label in sorted({(l["rpc"], l["label"]) for l in lines}):
    runs = [l for l in lines if (l["rpc"], l["label"]) == (rpc, label)]
    def med(key):
        return statistics.median(l[key] for l in runs) if all(key in l for l in runs) else float("nan")
    counts = [med(k) for k in ("redis_commands_per_job", "pg_transactions_per_job", "pg_statements_per_job")]
    groups = ("servers", "postgres", "redis", "load")
    cpu = [med(f"cpu_us_per_job_{g}") for g in groups]
    total = statistics.median(sum(l.get(f"cpu_us_per_job_{g}", 0) for g in groups) for l in runs)
    print(f"{rpc:<14} {label:<16} {counts[0]:>14.2f} {counts[1]:>17.3f} {counts[2]:>15.2f}"
          f"   {cpu[0]:>15.0f} {cpu[1]:>9.0f} {cpu[2]:>6.0f} {cpu[3]:>5.0f} {total:>5.0f}")
' "$OUT"
