"""How long the Python client takes to run 10,000 Bell jobs through the
batch API and collect every result, against the Rust load generator doing
the same on the same server: alternating runs, a fresh server (SQLite in a
temporary directory) for each, medians and their ratio.

    python bench/batch_speed.py                     # builds both with cargo
    python bench/batch_speed.py --jobs 10000 --rounds 5
    python bench/batch_speed.py --server PATH --load PATH

The Rust side is `load --rpc end-to-end` (64 callers submit, one WatchJob
stream per job); the Python side is `BatchJobManager.execute_batch` from
this process. Both run Bell circuits of 100 shots. Prints one JSON line
per run, then the medians and the ratio Python / Rust.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
BELL = "OPENQASM 3.0; qubit[2] q; h q[0]; cx q[0], q[1];"
SHOTS = 100


def cargo_executable(args: list[str], name: str) -> Path:
    """Builds with cargo and returns the executable it reports for `name`."""
    out = subprocess.run(
        ["cargo", *args, "--message-format=json"], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout
    for line in out.splitlines():
        message = json.loads(line)
        if message.get("executable") and message.get("target", {}).get("name") == name:
            return Path(message["executable"])
    raise SystemExit(f"cargo built no executable named {name}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FreshServer:
    def __init__(self, binary: Path) -> None:
        self.dir = tempfile.mkdtemp(prefix="arvak-bench-")
        port = free_port()
        self.address = f"127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARVAK_")}
        env.update(
            ARVAK_SERVER_LISTEN_ADDR=self.address,
            ARVAK_HTTP_ENABLED="false",
            ARVAK_STORAGE_TYPE="sqlite",
            ARVAK_STORAGE_SQLITE_PATH=f"{self.dir}/jobs.db",
            ARVAK_LOGGING_LEVEL="warn",
        )
        self.process = subprocess.Popen([str(binary)], env=env, cwd=self.dir, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.05)
        raise SystemExit("the server did not start")

    def __enter__(self) -> FreshServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


def rust_run(load: Path, address: str, jobs: int) -> float:
    out = subprocess.run(
        [
            str(load),
            "--addr",
            address,
            "--rpc",
            "end-to-end",
            "--jobs",
            str(jobs),
            "--shots",
            str(SHOTS),
            "--concurrency",
            "64",
            "--label",
            "rust",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = json.loads(out.strip().splitlines()[-1])
    if line["completed"] != jobs:
        raise SystemExit(f"the load generator completed {line['completed']} of {jobs} jobs")
    return float(line["duration_s"])


def python_run(address: str, jobs: int) -> float:
    from arvak_grpc import ArvakClient, BatchJobManager

    with ArvakClient(address) as client, BatchJobManager(client) as manager:
        started = time.perf_counter()
        batch = manager.execute_batch([BELL] * jobs, "simulator", shots=SHOTS)
        seconds = time.perf_counter() - started
    if batch.succeeded != jobs or any(sum(r.counts.values()) != SHOTS for r in batch.successful_results()):
        raise SystemExit(f"the Python client collected {batch.succeeded} of {jobs} results")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--server", type=Path, help="a release arvak-grpc-server (default: cargo builds it)")
    parser.add_argument("--load", type=Path, help="the load generator (default: cargo builds it)")
    args = parser.parse_args()
    server = args.server or cargo_executable(["build", "--release", "--bin", "arvak-grpc-server"], "arvak-grpc-server")
    load = args.load or cargo_executable(["bench", "--no-run", "--bench", "load"], "load")
    times: dict[str, list[float]] = {"rust": [], "python": []}
    for round_ in range(args.rounds):
        order = ["rust", "python"] if round_ % 2 == 0 else ["python", "rust"]
        for side in order:
            with FreshServer(server) as fresh:
                seconds = (
                    rust_run(load, fresh.address, args.jobs) if side == "rust" else python_run(fresh.address, args.jobs)
                )
            times[side].append(seconds)
            print(
                json.dumps(
                    {
                        "round": round_ + 1,
                        "side": side,
                        "jobs": args.jobs,
                        "seconds": round(seconds, 3),
                        "jobs_per_s": round(args.jobs / seconds),
                    }
                ),
                flush=True,
            )
    ratios = [p / r for p, r in zip(times["python"], times["rust"], strict=True)]
    rust, python = statistics.median(times["rust"]), statistics.median(times["python"])
    print(f"rust   median {rust:.3f} s ({args.jobs / rust:,.0f} jobs/s)")
    print(f"python median {python:.3f} s ({args.jobs / python:,.0f} jobs/s)")
    print(
        f"python / rust: median of paired ratios {statistics.median(ratios):.2f} "
        f"(from {min(ratios):.2f} to {max(ratios):.2f}); goal at most 2"
    )


if __name__ == "__main__":
    sys.exit(main())
