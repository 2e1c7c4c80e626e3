"""The `arvak` command line against a real server."""

from __future__ import annotations

import csv
import io
import json
import uuid
from pathlib import Path

import pytest

from arvak_grpc.cli import run

from .conftest import BELL, Server


def arvak(server: Server, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    status = run(["--address", server.address, *args], out)
    return status, out.getvalue()


def test_submit_wait_and_read_back(server: Server, tmp_path: Path) -> None:
    circuit = tmp_path / "bell.qasm"
    circuit.write_text(BELL)
    label = uuid.uuid4().hex
    status, out = arvak(
        server,
        "submit",
        str(circuit),
        "--backend",
        "simulator",
        "--shots",
        "200",
        "--seed",
        "5",
        "--tag",
        f"run={label}",
        "--wait",
        "--output",
        "json",
    )
    assert status == 0
    job_id, answer = out.split("\n", 1)
    counts = json.loads(answer)["counts"]
    assert sum(counts.values()) == 200 and set(counts) <= {"00", "11"}

    status, out = arvak(server, "result", job_id, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["outcome"]: int(r["count"]) for r in rows} == counts
    assert arvak(server, "status", job_id)[1].splitlines()[1].split() == ["state", "COMPLETED"]
    assert "COMPLETED" in arvak(server, "watch", job_id)[1]
    status, out = arvak(server, "jobs", "--tag", f"run={label}")
    assert status == 0 and out.split()[0] == job_id
    status, out = arvak(server, "cancel", job_id)
    assert status == 1 and out.startswith("not canceled")


def test_backends_are_listed(server: Server) -> None:
    status, out = arvak(server, "backends")
    assert status == 0 and out.startswith("simulator")


def test_refusals_exit_1_with_the_reason(server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.qasm"
    bad.write_text("OPENQASM 3.0;\nqubit[1] q;\nfrob q[0];\n")
    status, _ = arvak(server, "submit", str(bad), "--backend", "simulator")
    assert status == 1 and "frob" in capsys.readouterr().err
    status, _ = arvak(server, "status", str(uuid.uuid4()))
    assert status == 1 and "not found" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        arvak(server, "submit", str(bad), "--backend", "simulator", "--tag", "novalue")
