#!/usr/bin/env bash
# Instructions per call: the server under valgrind's callgrind, counting
# from after its start (counters zeroed) to the end of one closed-loop
# load, divided by the calls answered. Unlike requests/s this barely moves
# with whatever else the machine is doing, so it shows a change of a few
# per cent that timed runs on a shared machine cannot. It counts the
# server's own user-space instructions only: system calls, the disk and
# the load generator are not in it. Under valgrind the server runs one
# thread at a time and about 40 × slower, so group commits gather fewer
# writes than at full speed; compare builds with this, not with timed runs.
#
#   bench/instructions.sh                                    # SubmitJob, SQLite
#   RPC=status bench/instructions.sh
#   SERVER_BIN=/tmp/old/arvak-grpc-server ALSO_BIN=target/release/arvak-grpc-server bench/instructions.sh
#
# Variables: RPC (load's --rpc, submit), SECONDS_RUN (20), CONCURRENCY (64),
# ROUNDS (2), SERVER_BIN / ALSO_BIN (a second binary measured in
# alternation, e.g. one built from another commit), KEEP (a directory to
# keep each run's callgrind file in, for callgrind_annotate).
set -eu
cd "$(dirname "$0")/.."

RPC=${RPC:-submit} SECONDS_RUN=${SECONDS_RUN:-20} CONCURRENCY=${CONCURRENCY:-64} ROUNDS=${ROUNDS:-2}
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }

work=$(mktemp -d)
# shellcheck source=bench/common.sh
. bench/common.sh
trap 'stop_processes; rm -rf "$work"' EXIT
build_release ""
first=$bin

# measure BIN LABEL: one run; prints "LABEL calls Ir Ir/call".
measure() {
    local binary=$1 label=$2 port out line calls total
    port=$(free_port)
    out="$work/callgrind.out"
    rm -f "$out"* "$work"/arvak.db*
    # start_server runs $bin; this one execs valgrind in its place, so the
    # server's pid is valgrind's and callgrind_control reaches it.
    printf '#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file=%s %s\n' "$out" "$binary" >"$work/under-callgrind"
    chmod +x "$work/under-callgrind"
    bin="$work/under-callgrind"
    start_server "$port" "$label" ARVAK_SERVER_LISTEN_ADDR="127.0.0.1:$port" \
        ARVAK_HTTP_LISTEN_ADDR=127.0.0.1:0 ARVAK_STORAGE_TYPE=sqlite \
        ARVAK_STORAGE_SQLITE_PATH="$work/arvak.db"
    callgrind_control -z "$server" >/dev/null 2>&1
    line=$("$load" --addr "127.0.0.1:$port" --rpc "$RPC" --concurrency "$CONCURRENCY" \
        --duration "$SECONDS_RUN" --warmup 0)
    callgrind_control -d "$server" >/dev/null 2>&1
    stop_processes
    calls=$(echo "$line" | python3 -c 'import json, sys; print(json.load(sys.stdin)["requests"])')
    # The dump is the file numbered .1; the file at exit holds the shutdown.
    total=$(callgrind_annotate "$out.1" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')
    [ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp "$out.1" "$KEEP/$label.callgrind"
    echo "$label $calls $total $((total / calls))"
}

for round in $(seq "$ROUNDS"); do
    measure "$first" "first-$round"
    [ -n "${ALSO_BIN:-}" ] && measure "$ALSO_BIN" "also-$round"
done | tee "$work/lines"
python3 - "$work/lines" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
for who in ("first", "also"):
    per_call = [int(r[3]) for r in rows if r[0].startswith(who)]
    if per_call:
        print(f"{who}: median {statistics.median(per_call):,.0f} instructions per call over {len(per_call)} runs")
first = [int(r[3]) for r in rows if r[0].startswith("first")]
also = [int(r[3]) for r in rows if r[0].startswith("also")]
if first and also:
    print(f"also / first: {statistics.median(also) / statistics.median(first):.3f}")
EOF
