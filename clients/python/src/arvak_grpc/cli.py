"""`arvak`: the service from a shell.

    arvak backends
    arvak submit bell.qasm --backend simulator --shots 1000 --wait
    arvak status JOB_ID
    arvak result JOB_ID --format json
    arvak watch JOB_ID
    arvak cancel JOB_ID
    arvak jobs --state completed --tag project=vqe

The server and credentials come from `--address`, `--api-key`, `--token`,
`--ca-cert`, or `ARVAK_ADDRESS`, `ARVAK_API_KEY`, `ARVAK_TOKEN`,
`ARVAK_CA_CERT`. Exit status: 0 done, 1 the service refused or the job
failed, 2 bad usage.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from .client import ArvakClient
from .exceptions import ArvakError
from .types import Job, JobResult, JobState


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arvak", description="Submit and follow quantum jobs on an Arvak server.")
    parser.add_argument("--address", help="host:port of the server (default $ARVAK_ADDRESS or localhost:50051)")
    parser.add_argument("--api-key", help="API key (default $ARVAK_API_KEY)")
    parser.add_argument("--token", help="bearer token (default $ARVAK_TOKEN)")
    parser.add_argument("--ca-cert", help="CA bundle for TLS (default $ARVAK_CA_CERT)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per call (default 30)")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("backends", help="list the backends")

    submit = commands.add_parser("submit", help="submit a circuit file")
    submit.add_argument("file", type=Path, help="OpenQASM 3 or 2 (.qasm) or Arvak IR JSON (.json); - for stdin")
    submit.add_argument("--backend", required=True)
    submit.add_argument("--shots", type=int, default=1024)
    submit.add_argument("--format", choices=["qasm3", "qasm2", "json"], help="default: from the file's extension")
    submit.add_argument("--priority", choices=["low", "normal", "high"])
    submit.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE")
    submit.add_argument("--seed", type=int)
    submit.add_argument("--wait", action="store_true", help="wait and print the counts")
    submit.add_argument("--output", choices=["table", "json", "csv"], default="table", help="with --wait")

    for name, what in (
        ("status", "a job's state"),
        ("watch", "follow a job until it ends"),
        ("cancel", "cancel a job"),
    ):
        commands.add_parser(name, help=what).add_argument("job_id")
    result = commands.add_parser("result", help="a completed job's counts")
    result.add_argument("job_id")
    result.add_argument("--format", choices=["table", "json", "csv"], default="table")

    jobs = commands.add_parser("jobs", help="list your jobs, newest first")
    jobs.add_argument("--state", choices=[s.name.lower() for s in JobState if s.value])
    jobs.add_argument("--backend")
    jobs.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE")
    jobs.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    return parser


def _tags(pairs: list[str]) -> dict[str, str]:
    tags = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"arvak: a tag is KEY=VALUE, not {pair!r}")
        tags[key] = value
    return tags


def _read_circuit(path: Path, format: str | None) -> tuple[str, str]:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text()
    except OSError as e:
        raise SystemExit(f"arvak: cannot read {path}: {e.strerror}") from None
    return text, format or ("json" if path.suffix == ".json" else "qasm3")


def _print_job(job: Job, out: IO[str]) -> None:
    fields = [
        ("job", job.job_id),
        ("state", job.state.name),
        ("backend", job.backend_id),
        ("shots", str(job.shots)),
        ("submitted", job.submitted_at.isoformat(timespec="seconds")),
    ]
    if job.queue_position:
        fields.append(("queue position", str(job.queue_position)))
    if job.completed_at:
        fields.append(("ended", job.completed_at.isoformat(timespec="seconds")))
    if job.error_message:
        fields.append(("error", job.error_message))
    if job.tags:
        fields.append(("tags", ", ".join(f"{k}={v}" for k, v in sorted(job.tags.items()))))
    width = max(len(k) for k, _ in fields)
    for key, value in fields:
        out.write(f"{key:<{width}}  {value}\n")


def _print_result(result: JobResult, format: str, out: IO[str]) -> None:
    rows = sorted(result.counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if format == "json":
        json.dump(
            {
                "job_id": result.job_id,
                "shots": result.shots,
                "counts": dict(rows),
                "execution_time_ms": result.execution_time_ms,
                "metadata": result.metadata,
            },
            out,
            indent=2,
        )
        out.write("\n")
    elif format == "csv":
        writer = csv.writer(out)
        writer.writerow(["outcome", "count", "probability"])
        total = sum(result.counts.values()) or 1
        writer.writerows((k, v, f"{v / total:.6f}") for k, v in rows)
    else:
        total = sum(result.counts.values()) or 1
        width = max([len(k) for k, _ in rows] + [7])
        out.write(f"{'outcome':<{width}}  {'count':>8}  probability\n")
        for outcome, count in rows:
            out.write(f"{outcome:<{width}}  {count:>8}  {count / total:.4f}\n")


def run(argv: Sequence[str] | None = None, out: IO[str] | None = None) -> int:
    """The command line's work; returns the exit status."""
    out = out if out is not None else sys.stdout
    args = _parser().parse_args(argv)
    try:
        with ArvakClient(
            args.address, args.timeout, api_key=args.api_key, token=args.token, ca_cert=args.ca_cert
        ) as client:
            return _dispatch(client, args, out)
    except ArvakError as error:
        sys.stderr.write(f"arvak: {error}\n")
        return 1
    except (ValueError, TypeError) as error:
        sys.stderr.write(f"arvak: {error}\n")
        return 2


def _dispatch(client: ArvakClient, args: argparse.Namespace, out: IO[str]) -> int:
    if args.command == "backends":
        for b in client.list_backends():
            availability = "available" if b.is_available else "unavailable"
            out.write(f"{b.backend_id:<16} {b.max_qubits:>4} qubits  {availability:<11}  {b.description}\n")
    elif args.command == "submit":
        circuit, format = _read_circuit(args.file, args.format)
        job_id = client.submit(
            circuit,
            args.backend,
            args.shots,
            format=format,
            priority=args.priority,
            tags=_tags(args.tag),
            seed=args.seed,
        )
        out.write(f"{job_id}\n")
        if args.wait:
            _print_result(client.wait_for_job(job_id), args.output, out)
    elif args.command == "status":
        _print_job(client.get_job_status(args.job_id), out)
    elif args.command == "result":
        _print_result(client.get_job_result(args.job_id), args.format, out)
    elif args.command == "watch":
        for changed, when, error in client.watch_job(args.job_id):
            out.write(f"{when.isoformat(timespec='seconds')}  {changed.name}{'  ' + error if error else ''}\n")
            out.flush()
    elif args.command == "cancel":
        accepted, message = client.cancel_job(args.job_id)
        out.write(("canceled" if accepted else f"not canceled: {message}") + "\n")
        return 0 if accepted else 1
    elif args.command == "jobs":
        wanted = JobState[args.state.upper()] if args.state else None
        for n, job in enumerate(client.iter_jobs(wanted, args.backend, _tags(args.tag))):
            if n >= args.limit:
                break
            out.write(
                f"{job.job_id}  {job.state.name:<14} {job.backend_id:<12} "
                f"{job.submitted_at.isoformat(timespec='seconds')}\n"
            )
    return 0


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
