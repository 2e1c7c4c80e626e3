"""Requests as the wire carries them, built once for both clients.

Every submission gets an idempotency key here, before any attempt is
made, so that retries of it carry the same key.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from . import _convert as convert
from . import arvak_pb2 as pb
from .types import JobPriority, JobState

T = TypeVar("T")

#: A circuit of a batch: its text and shots, or a mapping with `circuit`,
#: `shots` and any of `format`, `priority`, `tags`, `seed`, `idempotency_key`.
BatchItem = tuple[str, int] | Mapping[str, Any]

_ITEM_KEYS = {"circuit", "shots", "format", "priority", "tags", "seed", "idempotency_key"}


def new_idempotency_key() -> str:
    """A key for one logical submission, kept across its retries."""
    return uuid.uuid4().hex


def submit(
    circuit: str,
    backend_id: str,
    shots: int,
    format: str = "qasm3",
    priority: JobPriority | int | str | None = None,
    tags: Mapping[str, str] | None = None,
    seed: int | None = None,
    idempotency_key: str | None = None,
    optimization_level: int = 0,
) -> pb.SubmitJobRequest:
    return pb.SubmitJobRequest(
        circuit=convert.payload(circuit, format),
        backend_id=backend_id,
        shots=checked_shots(shots),
        optimization_level=optimization_level,
        priority=convert.priority(priority),
        idempotency_key=idempotency_key or new_idempotency_key(),
        tags=convert.tags(tags),
        seed=seed,
    )


def batch(
    circuits: Sequence[BatchItem],
    backend_id: str,
    format: str = "qasm3",
    priority: JobPriority | int | str | None = None,
    tags: Mapping[str, str] | None = None,
) -> pb.SubmitBatchRequest:
    jobs = [batch_job(item, format, priority, tags, i) for i, item in enumerate(circuits)]
    return pb.SubmitBatchRequest(backend_id=backend_id, jobs=jobs)


def batch_job(
    item: BatchItem,
    format: str,
    priority: JobPriority | int | str | None,
    tags: Mapping[str, str] | None,
    index: int = 0,
) -> pb.BatchJobRequest:
    if isinstance(item, Mapping):
        if "circuit" not in item or set(item) - _ITEM_KEYS:
            raise ValueError(
                f"batch item {index} needs 'circuit' and may have {', '.join(sorted(_ITEM_KEYS - {'circuit'}))}; "
                f"it has {sorted(item)}"
            )
        return pb.BatchJobRequest(
            circuit=convert.payload(item["circuit"], item.get("format", format)),
            shots=checked_shots(item.get("shots", 1024)),
            priority=convert.priority(item.get("priority", priority)),
            tags=convert.tags(item.get("tags", tags)),
            seed=item.get("seed"),
            idempotency_key=item.get("idempotency_key") or new_idempotency_key(),
        )
    if not isinstance(item, tuple) or len(item) != 2:
        raise ValueError(f"batch item {index} is a (circuit, shots) pair or a mapping, not {item!r:.60}")
    circuit, shots = item
    return pb.BatchJobRequest(
        circuit=convert.payload(circuit, format),
        shots=checked_shots(shots),
        priority=convert.priority(priority),
        tags=convert.tags(tags),
        idempotency_key=new_idempotency_key(),
    )


def stream_item(item: tuple[str, str, int, str, str]) -> pb.BatchJobSubmission:
    """A SubmitBatchStream item: (circuit, backend_id, shots, format,
    client_request_id)."""
    circuit, backend_id, shots, format, request_id = item
    return pb.BatchJobSubmission(
        circuit=convert.payload(circuit, format),
        backend_id=backend_id,
        shots=checked_shots(shots),
        client_request_id=request_id,
        idempotency_key=new_idempotency_key(),
    )


def list_jobs(
    state: JobState | int | None,
    backend_id: str | None,
    tags: Mapping[str, str] | None,
    page_size: int,
    page_token: str | None,
) -> pb.ListJobsRequest:
    if not 0 <= page_size <= 1000:
        raise ValueError(f"page_size is 0 (the server's default) to 1000, not {page_size}")
    return pb.ListJobsRequest(
        state=convert.state(state),
        backend_id=backend_id or "",
        tags=convert.tags(tags),
        page_size=page_size,
        page_token=page_token or "",
    )


def checked_shots(shots: int) -> int:
    if isinstance(shots, bool) or not isinstance(shots, int):
        raise TypeError(f"shots is a whole number, not {type(shots).__name__}")
    if shots < 1:
        raise ValueError(f"shots must be at least 1, not {shots}")
    return shots


class SendWindow:
    """How many submissions a batch stream may send ahead of their answers:
    a server that falls behind is not sent more than it can read (HTTP/2
    servers disconnect a peer whose small unread frames pile up). The
    stream's sending side waits in `paced`; each answer that settles a
    submission calls `release`; `close` lets the sender stop once the
    answers have ended."""

    def __init__(self, size: int) -> None:
        self._room = threading.Semaphore(size)
        self._closed = threading.Event()

    def paced(self, items: Iterable[T]) -> Iterator[T]:
        for item in items:
            while not self._room.acquire(timeout=0.5):
                if self._closed.is_set():
                    return
            yield item

    def release(self) -> None:
        self._room.release()

    def close(self) -> None:
        self._closed.set()
