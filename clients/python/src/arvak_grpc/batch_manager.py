"""Many jobs at once, with progress, results in input order.

`execute_batch` and `map` send every circuit down one SubmitBatchStream
and read each job's result from the same stream as it ends: one message a
job each way (the submissions ask for no `submitted` answer), no call per
job. Should the stream break, the circuits it
had not answered are submitted again under the same idempotency keys (so
none runs twice) and followed with futures.

`submit_many` returns futures: circuits go in SubmitBatch calls of up to
`CHUNK` circuits; a chunk the server refuses (a batch is accepted whole or
not at all) is submitted circuit by circuit, so that only the circuits at
fault fail, each in its place.
"""

from __future__ import annotations

import enum
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

import grpc

from . import _convert as convert
from . import arvak_pb2 as pb
from ._requests import SendWindow, checked_shots, new_idempotency_key
from .exceptions import (
    ArvakError,
    ArvakJobFailedError,
    ArvakTimeoutError,
    CancelledError,
    error_for,
    from_rpc_error,
    job_ended_error,
)
from .job_future import JobFuture
from .job_future import as_completed as futures_as_completed
from .types import JobResult

if TYPE_CHECKING:
    from .client import ArvakClient

#: Circuits per SubmitBatch call.
CHUNK = 500
#: Submissions on a stream without their final answer at most (a
#: `SendWindow`), which also bounds the jobs in flight.
WINDOW = 1000

Circuit = str | tuple[str, int]


class BatchStatus(enum.Enum):
    """Where a batch stands as a whole."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    PARTIAL = "partial"  # ended, some jobs without a result
    FAILED = "failed"  # ended, no job with a result


@dataclass
class BatchProgress:
    """How far a batch has come: `success` jobs with a result, `failed`
    and `canceled` without; `completed` counts all three (the names of
    arvak_grpc 1.x)."""

    total: int
    success: int = 0
    failed: int = 0
    canceled: int = 0
    started_at: float = field(default_factory=time.monotonic)

    @property
    def completed(self) -> int:
        return self.success + self.failed + self.canceled

    @property
    def done(self) -> int:
        return self.completed

    @property
    def pending(self) -> int:
        return self.total - self.completed

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    @property
    def percent(self) -> float:
        return 100.0 * self.fraction

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started_at


@dataclass
class BatchResult:
    """Per circuit, in input order: its job id (None if it was refused),
    its result, or the error that left it without one."""

    job_ids: list[str | None]
    results: list[JobResult | None]
    errors: list[BaseException | None]
    elapsed: float = 0.0

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def total_time_seconds(self) -> float:
        return self.elapsed

    @property
    def jobs_per_second(self) -> float:
        return self.total / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def succeeded(self) -> int:
        return sum(r is not None for r in self.results)

    @property
    def failed(self) -> int:
        return self.total - self.succeeded

    @property
    def success_rate(self) -> float:
        return self.succeeded / self.total if self.total else 1.0

    @property
    def status(self) -> BatchStatus:
        if self.failed == 0:
            return BatchStatus.COMPLETED
        return BatchStatus.FAILED if self.succeeded == 0 else BatchStatus.PARTIAL

    def successful_results(self) -> list[JobResult]:
        return [r for r in self.results if r is not None]

    def raise_first(self) -> None:
        """Raises the first circuit's error, if any circuit has one."""
        for error in self.errors:
            if error is not None:
                raise error


def print_progress_bar(progress: BatchProgress, width: int = 40, file: IO[str] | None = None) -> None:
    """One line, redrawn in place: bar, counts, elapsed time."""
    out = file if file is not None else sys.stderr
    filled = int(round(width * progress.fraction))
    bar = "#" * filled + "-" * (width - filled)
    failed = f", {progress.failed + progress.canceled} failed" if progress.failed + progress.canceled else ""
    out.write(f"\r[{bar}] {progress.done}/{progress.total}{failed} {progress.elapsed:.1f}s")
    if progress.done == progress.total:
        out.write("\n")
    out.flush()


ProgressCallback = Callable[[BatchProgress], object]


class BatchJobManager:
    """Submits and follows many jobs through `client`.

    `max_workers` bounds how many SubmitBatch calls are in flight at once.
    """

    def __init__(self, client: ArvakClient, max_workers: int = 10) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, not {max_workers}")
        self.client = client
        self.max_workers = max_workers
        self._pool: Any = None

    def _executor(self) -> Any:
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="arvak-batch")
        return self._pool

    def submit_many(
        self,
        circuits: Sequence[Circuit],
        backend_id: str,
        shots: int = 1024,
        format: str = "qasm3",
    ) -> list[JobFuture]:
        """A future per circuit, in input order; a circuit the server
        refused has a future that is done with its error. Circuits are
        text (with `shots`) or (text, shots) pairs."""
        items = [c if isinstance(c, tuple) else (c, shots) for c in circuits]
        chunks = [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
        submitted = self._executor().map(lambda chunk: self._submit_chunk(chunk, backend_id, format), chunks)
        return [future for chunk in submitted for future in chunk]

    def _submit_chunk(self, chunk: list[tuple[str, int]], backend_id: str, format: str) -> list[JobFuture]:
        try:
            ids = self.client.submit_batch(chunk, backend_id, format)
            return [JobFuture(self.client, job_id) for job_id in ids]
        except ArvakError as refused:
            if len(chunk) == 1 or refused.code is None or refused.code.name != "INVALID_ARGUMENT":
                return [JobFuture.failed(self.client, refused) for _ in chunk]
        # One circuit spoiled the chunk: find which, one by one.
        futures = []
        for circuit, shots in chunk:
            try:
                futures.append(JobFuture(self.client, self.client.submit(circuit, backend_id, shots, format=format)))
            except ArvakError as error:
                futures.append(JobFuture.failed(self.client, error))
        return futures

    def as_completed(self, futures: Sequence[JobFuture], timeout: float | None = None) -> Iterator[JobFuture]:
        return futures_as_completed(futures, timeout)

    def wait_all(
        self,
        futures: Sequence[JobFuture],
        timeout: float | None = None,
        progress_callback: ProgressCallback | None = None,
    ) -> BatchResult:
        """Waits for every job; a result or an error per future, in input
        order (a job not ended by `timeout` has an `ArvakTimeoutError`)."""
        progress = BatchProgress(total=len(futures))
        try:
            for future in futures_as_completed(futures, timeout):
                error = future.exception()
                if error is None:
                    progress.success += 1
                elif isinstance(error, CancelledError):
                    progress.canceled += 1
                else:
                    progress.failed += 1
                if progress_callback is not None:
                    progress_callback(progress)
        except ArvakTimeoutError:
            pass
        results: list[JobResult | None] = []
        errors: list[BaseException | None] = []
        for future in futures:
            if not future.done():
                results.append(None)
                errors.append(ArvakTimeoutError(f"job {future.job_id} did not end within {timeout} s"))
            elif future.exception() is not None:
                results.append(None)
                errors.append(future.exception())
            else:
                results.append(future.result())
                errors.append(None)
        ids = [f.job_id or None for f in futures]
        return BatchResult(ids, results, errors, progress.elapsed)

    def execute_batch(
        self,
        circuits: Sequence[Circuit],
        backend_id: str,
        shots: int = 1024,
        format: str = "qasm3",
        timeout: float | None = None,
        progress_callback: ProgressCallback | None = None,
        show_progress: bool = False,
        tags: Mapping[str, str] | None = None,
    ) -> BatchResult:
        """Runs every circuit and returns every result, in input order.
        With `show_progress`, a tqdm bar when tqdm is installed, else a
        plain one; `tags` go on every job."""
        items = [c if isinstance(c, tuple) else (c, shots) for c in circuits]
        callback = progress_callback
        bar: Any = None
        if show_progress:
            try:
                from tqdm import tqdm
            except ImportError:
                callback = _both(progress_callback, print_progress_bar)
            else:
                bar = tqdm(total=len(items), unit="job")
                last = [0]

                def advance(progress: BatchProgress) -> None:
                    bar.update(progress.done - last[0])
                    last[0] = progress.done

                callback = _both(progress_callback, advance)
        try:
            return _Streamed(self.client, items, backend_id, format, callback, tags).run(timeout)
        finally:
            if bar is not None:
                bar.close()

    def map(
        self,
        circuits: Sequence[Circuit],
        backend_id: str,
        shots: int = 1024,
        format: str = "qasm3",
        timeout: float | None = None,
    ) -> Iterator[JobResult]:
        """Results in input order as `Executor.map` gives them: each as its
        turn comes, raising a circuit's error when its turn comes."""
        batch = self.execute_batch(circuits, backend_id, shots, format, timeout)
        for result, error in zip(batch.results, batch.errors, strict=True):
            if error is not None:
                raise error
            assert result is not None
            yield result

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def __enter__(self) -> BatchJobManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Streamed:
    """One `execute_batch`: the stream, and what it has answered."""

    def __init__(
        self,
        client: ArvakClient,
        items: list[tuple[str, int]],
        backend_id: str,
        format: str,
        callback: ProgressCallback | None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        self.client, self.items, self.backend_id, self.format = client, items, backend_id, format
        self.callback = callback
        self.tags = convert.tags(tags)
        n = len(items)
        for _, shots in items:  # refused here, before anything is sent
            checked_shots(shots)
        # Made before anything is sent, so that a resubmission after a
        # broken stream is recognised as the same submission.
        self.keys = [new_idempotency_key() for _ in range(n)]
        self.job_ids: list[str | None] = [None] * n
        self.results: list[JobResult | None] = [None] * n
        self.errors: list[BaseException | None] = [None] * n
        self.progress = BatchProgress(total=n)
        self.window = SendWindow(WINDOW)

    def _submissions(self) -> Iterator[pb.BatchJobSubmission]:
        # A batch often repeats one circuit: its payload is built once.
        payloads: dict[str, pb.CircuitPayload] = {}
        tags = self.tags or None  # an empty map costs a little per message
        for i, (circuit, shots) in self.window.paced(enumerate(self.items)):
            payload = payloads.get(circuit)
            if payload is None:
                payload = payloads[circuit] = convert.payload(circuit, self.format)
            yield pb.BatchJobSubmission(
                circuit=payload,
                backend_id=self.backend_id,
                shots=shots,
                client_request_id=str(i),
                idempotency_key=self.keys[i],
                tags=tags,
                # Only the result (or error) comes back: half the answers.
                skip_submitted_answer=True,
            )

    def _ended(self, i: int, result: JobResult | None, error: BaseException | None) -> None:
        self.results[i], self.errors[i] = result, error
        if error is None:
            self.progress.success += 1
        elif isinstance(error, CancelledError):
            self.progress.canceled += 1
        else:
            self.progress.failed += 1
        if self.callback is not None:
            self.callback(self.progress)

    def run(self, timeout: float | None) -> BatchResult:
        deadline = None if timeout is None else time.monotonic() + timeout
        call = self.client.stub.SubmitBatchStream(
            self._submissions(), timeout=timeout, metadata=self.client.connection.metadata()
        )
        try:
            for answer in call:
                self._answer(answer)
        except grpc.RpcError as e:
            self.window.close()
            broken = from_rpc_error(e)
            if broken.code == grpc.StatusCode.DEADLINE_EXCEEDED:
                self._time_out(timeout)
            else:
                self._finish_without_stream(deadline)
        finally:
            self.window.close()
        return BatchResult(self.job_ids, self.results, self.errors, self.progress.elapsed)

    def _answer(self, answer: pb.BatchJobResult) -> None:
        i = int(answer.client_request_id)
        kind = answer.WhichOneof("result")
        if kind == "submitted":  # a server that ignores skip_submitted_answer
            self.job_ids[i] = answer.job_id
            return
        if answer.job_id:
            self.job_ids[i] = answer.job_id
        if kind == "completed":
            self._ended(i, convert.result(answer.completed), None)
        else:
            self._ended(i, None, self._error(i, answer))
        self.window.release()

    def _error(self, i: int, answer: pb.BatchJobResult) -> BaseException:
        """An `error` answer: refused at submission (no job), or how the
        job ended; the text starts with the status code's name."""
        name, _, message = answer.error.partition(": ")
        code = grpc.StatusCode.__members__.get(name, grpc.StatusCode.UNKNOWN)
        if self.job_ids[i] is None and not answer.job_id:
            return error_for(code, message if code != grpc.StatusCode.UNKNOWN else answer.error)
        job_id = self.job_ids[i] or answer.job_id
        self.job_ids[i] = job_id
        try:
            job = self.client.get_job_status(job_id)
        except ArvakError:
            return ArvakJobFailedError(f"job {job_id}: {answer.error}")
        return (
            job_ended_error(job)
            if job.is_terminal and job.state.name != "COMPLETED"
            else (ArvakJobFailedError(f"job {job_id}: {answer.error}", job))
        )

    def _unanswered(self) -> list[int]:
        return [i for i in range(len(self.items)) if self.results[i] is None and self.errors[i] is None]

    def _finish_without_stream(self, deadline: float | None) -> None:
        """The stream broke: submit what it did not confirm again, under
        the same keys (the server answers a known key with its job), and
        follow every job still open with a future."""
        open_items = self._unanswered()
        if not open_items:
            return
        batch = [
            {
                "circuit": self.items[i][0],
                "shots": self.items[i][1],
                "format": self.format,
                "idempotency_key": self.keys[i],
                "tags": self.tags,
            }
            for i in open_items
        ]
        ids = self.client.submit_batch(batch, self.backend_id, self.format)
        futures = {}
        for i, job_id in zip(open_items, ids, strict=True):
            self.job_ids[i] = job_id
            futures[i] = JobFuture(self.client, job_id)
        left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        by_future = {id(f): i for i, f in futures.items()}
        try:
            for future in futures_as_completed(futures.values(), left):
                error = future.exception()
                self._ended(by_future[id(future)], None if error else future.result(), error)
        except ArvakTimeoutError:
            self._time_out(left)

    def _time_out(self, timeout: float | None) -> None:
        for i in self._unanswered():
            self.errors[i] = ArvakTimeoutError(f"circuit {i} had no result within {timeout} s")


def _both(first: ProgressCallback | None, second: ProgressCallback) -> ProgressCallback:
    def call(progress: BatchProgress) -> None:
        if first is not None:
            first(progress)
        second(progress)

    return call
