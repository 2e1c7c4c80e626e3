"""Between the wire's messages and this package's records."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from . import arvak_pb2 as pb
from .types import BackendInfo, Job, JobPage, JobPriority, JobResult, JobState

#: Circuit formats a submission may name.
FORMATS = ("qasm3", "qasm2", "json")


def payload(circuit: str, format: str = "qasm3") -> pb.CircuitPayload:
    """A circuit as the wire carries it. OpenQASM 2 travels in the same
    field as 3 (the server reads the version line); "json" is Arvak IR."""
    if not isinstance(circuit, str):
        raise TypeError(f"a circuit is given as text, not {type(circuit).__name__}")
    if format in ("qasm3", "qasm2", "qasm"):
        return pb.CircuitPayload(qasm3=circuit)
    if format == "json":
        return pb.CircuitPayload(arvak_ir_json=circuit)
    raise ValueError(f"invalid circuit format {format!r}: use one of {', '.join(FORMATS)}")


def priority(value: JobPriority | int | str | None) -> pb.JobPriority:
    """A priority given as the enum, its number or its name."""
    if value is None:
        chosen = JobPriority.UNSPECIFIED
    elif isinstance(value, str):
        try:
            chosen = JobPriority[value.upper()]
        except KeyError:
            names = ", ".join(p.name.lower() for p in JobPriority if p.value)
            raise ValueError(f"invalid priority {value!r}: use one of {names}") from None
    else:
        try:
            chosen = JobPriority(int(value))
        except ValueError:
            raise ValueError(f"invalid priority {value!r}: use 1 (low), 2 (normal) or 3 (high)") from None
    return cast(pb.JobPriority, int(chosen))


def state(value: JobState | int | None) -> pb.JobState:
    """A state filter; None is any state."""
    return cast(pb.JobState, int(JobState(value or 0)))


def _time(seconds: int) -> datetime | None:
    return datetime.fromtimestamp(seconds) if seconds > 0 else None


def _json(text: str) -> dict[str, Any] | None:
    if not text or text == "{}":
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def job(message: pb.Job) -> Job:
    return Job(
        job_id=message.job_id,
        state=JobState.of(message.state),
        submitted_at=datetime.fromtimestamp(message.submitted_at),
        backend_id=message.backend_id,
        shots=message.shots,
        started_at=_time(message.started_at),
        completed_at=_time(message.completed_at),
        error_message=message.error_message or None,
        priority=JobPriority(message.priority) if message.priority in (1, 2, 3) else JobPriority.NORMAL,
        tags=dict(message.tags),
        queue_position=message.queue_position,
        attempts=message.attempts,
    )


def result(message: pb.JobResult) -> JobResult:
    return JobResult(
        job_id=message.job_id,
        counts=dict(message.counts),
        shots=message.shots,
        execution_time_ms=message.execution_time_ms or None,
        metadata=_json(message.metadata_json),
    )


def backend(message: pb.BackendInfo) -> BackendInfo:
    return BackendInfo(
        backend_id=message.backend_id,
        name=message.name,
        is_available=message.is_available,
        max_qubits=message.max_qubits,
        max_shots=message.max_shots,
        description=message.description,
        supported_gates=list(message.supported_gates),
        topology=_json(message.topology_json),
    )


def tags(value: Mapping[str, str] | None) -> dict[str, str]:
    if value is None:
        return {}
    bad = [k for k, v in value.items() if not isinstance(k, str) or not isinstance(v, str)]
    if bad:
        raise TypeError(f"tags map text to text; not so for {bad[:3]}")
    return dict(value)


def page(message: pb.ListJobsResponse) -> JobPage:
    return JobPage(jobs=[job(j) for j in message.jobs], next_page_token=message.next_page_token or None)


def batch_answer(message: pb.BatchJobResult) -> tuple[str, str, str, str | JobResult]:
    """A SubmitBatchStream answer: (job_id, client_request_id, kind, data)."""
    kind = message.WhichOneof("result") or "error"
    data: str | JobResult
    if kind == "completed":
        data = result(message.completed)
    else:
        data = str(getattr(message, kind))
    return message.job_id, message.client_request_id, kind, data


def update(message: pb.JobStatusUpdate) -> tuple[JobState, datetime, str | None]:
    """A WatchJob update: (state, when, error message)."""
    return JobState.of(message.state), datetime.fromtimestamp(message.timestamp), message.error_message or None


def chunk(message: pb.ResultChunk) -> tuple[dict[str, int], bool, int, int]:
    """A StreamResults chunk: (counts, is_final, index, total chunks)."""
    return dict(message.counts), message.is_final, message.chunk_index, message.total_chunks
