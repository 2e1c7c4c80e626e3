#!/usr/bin/env bash
# One million jobs on the durable SQLite store: SubmitJob sustained over a
# million calls (64 callers), the server's memory afterwards (as its
# workers finish the last job, and at rest once it stops falling), and SubmitJob / GetJobStatus throughput on
# that full store as a ratio of a fresh one (ROUNDS pairs of short runs, the
# median of their ratios). First, ListBackends for SHORT seconds on the
# empty server: the machine's speed that day, to compare runs across days.
#
#   bench/million.sh
#   JOBS=200000 ROUNDS=5 bench/million.sh
#
# Variables: JOBS (1000000), ROUNDS (3), CONCURRENCY (64), SHORT (seconds
# of each short run, 5), SERVER_ENV (extra server variables, NAME=VALUE ...),
# OUT (keep the JSON lines).
set -eu
cd "$(dirname "$0")/.."

JOBS=${JOBS:-1000000} ROUNDS=${ROUNDS:-3} CONCURRENCY=${CONCURRENCY:-64} SHORT=${SHORT:-5}
work=$(mktemp -d)
OUT=${OUT:-$work/results.jsonl}
. bench/common.sh
full_server=""
trap 'stop_processes; [ -n "$full_server" ] && { kill -TERM "$full_server" 2>/dev/null || true; }; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

build_release ""

# A server on the SQLite file in DIR, with /metrics on $http; sets $port.
start_sqlite() { # dir
    port=$(free_port) http=$(free_port)
    mkdir -p "$1"
    local env=(ARVAK_STORAGE_TYPE=sqlite ARVAK_STORAGE_SQLITE_PATH="$1/arvak.db"
        ARVAK_SERVER_LISTEN_ADDR="127.0.0.1:$port" ARVAK_HTTP_LISTEN_ADDR="127.0.0.1:$http"
        ARVAK_LIMITS_MAX_QUEUED_JOBS=0)
    # shellcheck disable=SC2206
    [ -n "${SERVER_ENV:-}" ] && env+=($SERVER_ENV)
    start_server "$port" sqlite "${env[@]}"
}

memory() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$server/status"; }

# Jobs still waiting, from /metrics.
queued() {
    python3 - "$http" <<'EOF'
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics").read().decode()
print(int(sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines() if l.startswith("arvak_queue_size{"))))
EOF
}

load_run() { # label rpc extra-args...
    local label=$1 rpc=$2
    shift 2
    run_load --addr "127.0.0.1:$port" --rpc "$rpc" --concurrency "$CONCURRENCY" --label "$label" "$@"
}

# Waits until the workers have run every waiting job, so that one
# measurement does not pay for the backlog of the one before.
drain() { while [ "$(queued)" -gt 0 ]; do sleep 1; done; }

short_runs() { # label
    for rpc in submit status; do
        load_run "$1" "$rpc" --duration "$SHORT" --warmup 1
        drain
    done
}

start_sqlite "$work/full"
full_server=$server full_port=$port full_http=$http
# The machine's speed at the time, for comparing runs on other days: the
# cheapest RPC, before anything is stored.
load_run floor list-backends --duration "$SHORT" --warmup 1
echo "submitting $JOBS jobs" >&2
load_run sustained submit --requests "$JOBS" --warmup 0
# The jobs still waiting then: a backlog means the workers fell behind the
# submissions, and the sustained rate left part of the jobs' work for later.
echo "{\"label\": \"after-submit\", \"rss_mib\": $(memory), \"queued\": $(queued)}" | tee -a "$OUT"
drain
echo "{\"label\": \"after-run\", \"rss_mib\": $(memory), \"queued\": 0}" | tee -a "$OUT"
# At rest: idle workers give their freed pages back within a second of
# parking (src/allocator.rs). Read once a second until it stops falling
# (by less than 0.5 MiB), for at most 10 s.
settle() {
    local before now
    now=$(memory)
    for _ in $(seq 10); do
        sleep 1
        before=$now now=$(memory)
        python3 -c "import sys; sys.exit(0 if float('$before') - float('$now') < 0.5 else 1)" && break
    done
    echo "$now"
}
echo "{\"label\": \"at-rest\", \"rss_mib\": $(settle)}" | tee -a "$OUT"

# Paired rounds: the full server stays up (idle) while a fresh one is
# started next to it, so each round measures both within a minute of each
# other, in alternating order; the summary takes the median of the
# per-round ratios. Rounds minutes apart spread by more than the 10 % this
# is meant to show.
measure_fresh() { # round
    start_sqlite "$work/fresh-$1"
    short_runs fresh
    stop_processes
    rm -rf "$work/fresh-$1"
}
measure_full() { server=$full_server port=$full_port http=$full_http; short_runs full; }
for round in $(seq "$ROUNDS"); do
    echo "round $round/$ROUNDS: a fresh store and the store of $JOBS jobs" >&2
    if [ $((round % 2)) -eq 1 ]; then measure_fresh "$round"; measure_full; else measure_full; measure_fresh "$round"; fi
done
server=$full_server full_server=""
stop_processes

python3 - "$OUT" "$JOBS" <<'EOF'
import json, statistics, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
sustained = next(l for l in lines if l["label"] == "sustained")
floor = next(l for l in lines if l["label"] == "floor")
print(f"\nListBackends first (the machine's floor): {floor['rps']:.0f}/s, p99 {floor['p99_ms']} ms")
print(f"SubmitJob sustained over {int(sys.argv[2]):,} calls: {sustained['rps']:.0f}/s, "
      f"p50 {sustained['p50_ms']} ms, p99 {sustained['p99_ms']} ms, max {sustained['max_ms']} ms, errors {sustained['errors']}")
for l in lines:
    if "rss_mib" in l:
        waiting = f" ({l['queued']:,} jobs waiting)" if l["label"] == "after-submit" else ""
        print(f"server memory {l['label']}: {l['rss_mib']} MiB{waiting}")
for rpc in ("submit", "status"):
    runs = {label: [l["rps"] for l in lines if l.get("label") == label and l.get("rpc") == rpc]
            for label in ("fresh", "full")}
    ratios = [full / fresh for fresh, full in zip(runs["fresh"], runs["full"])]
    print(f"{rpc}: fresh store {statistics.median(runs['fresh']):.0f}/s, full store "
          f"{statistics.median(runs['full']):.0f}/s (medians); full/fresh per round "
          f"{', '.join(f'{r:.2f}' for r in ratios)}, median {statistics.median(ratios):.2f}")
EOF
