# Shared by the throughput scripts in bench/: one release build of the server
# and the load bench, a server started on a free port and waited for, the
# load run in the background (so a signal interrupts `wait` at once), and a
# cleanup that stops both. Source it after `cd` to the repository root, with
# $work set to a temp dir.

server="" loader=""

# build_release FEATURES: sets $load and $bin ($SERVER_BIN when set). One build: the bench's build
# also builds the server binary, with the same features.
build_release() {
    echo "building (release)..." >&2
    local paths
    paths=$(cargo bench --no-run --features "$1" --bench load --message-format=json |
        python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] in ("load", "arvak-grpc-server"):
        print(m["target"]["name"], m["executable"])')
    load=$(echo "$paths" | awk '$1 == "load" {print $2}')
    bin=$(echo "$paths" | awk '$1 == "arvak-grpc-server" {print $2}')
    [ -x "$load" ] && [ -x "$bin" ] || { echo "build did not yield both binaries" >&2; exit 1; }
    # SERVER_BIN measures another server binary (built from another commit)
    # with the same load generator.
    bin=${SERVER_BIN:-$bin}
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_server PORT NAME VAR=VALUE...: starts the server in $work with that
# environment and waits until it listens on PORT; NAME is for messages.
start_server() {
    local port=$1 name=$2
    shift 2
    (cd "$work" && exec env "$@" "$bin" >"$work/server.log" 2>&1) &
    server=$!
    local tries=0
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        tries=$((tries + 1))
        if ! kill -0 "$server" 2>/dev/null || [ "$tries" -gt 300 ]; then
            cat "$work/server.log" >&2; echo "server ($name) did not start" >&2; exit 1
        fi
        sleep 0.1
    done
}

# run_load ARGS...: runs the load bench, appends its line to $OUT and prints it.
run_load() {
    "$load" "$@" >"$work/line" &
    loader=$!
    wait "$loader"
    loader=""
    tee -a "$OUT" <"$work/line"
}

stop_processes() {
    if [ -n "$loader" ]; then kill -TERM "$loader" 2>/dev/null || true; wait "$loader" 2>/dev/null || true; fi
    if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    server="" loader=""
}
