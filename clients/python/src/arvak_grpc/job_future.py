"""Futures of job results, pushed by the server.

A `JobFuture` follows its job through the client's watcher (one thread and
one connection for every future of the client), so thousands of futures
need neither a thread nor a poll each. Callbacks run outside every lock:
one that calls `result()` on its own future, or on any other, cannot
deadlock.
"""

from __future__ import annotations

import concurrent.futures
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from .exceptions import ArvakTimeoutError, job_ended_error
from .exceptions import CancelledError as CancelledError  # where arvak_grpc 1.x had it
from .types import Job, JobResult, JobState

if TYPE_CHECKING:
    from .client import ArvakClient


Callback = Callable[["JobFuture"], object]


class JobFuture:
    """The future result of job `job_id`.

    `poll_interval` is kept for compatibility: nothing polls while the
    job's stream is up; the client polls at that pace only while it is
    not.
    """

    def __init__(self, client: ArvakClient, job_id: str, poll_interval: float = 1.0) -> None:
        self.client = client
        self.job_id = job_id
        self.poll_interval = poll_interval
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._state = JobState.UNSPECIFIED
        self._job: Job | None = None
        self._result: JobResult | None = None
        self._error: BaseException | None = None
        self._callbacks: list[Callback] = []
        client._watcher().follow(job_id, self._on_state, self._on_end)

    @classmethod
    def failed(cls, client: ArvakClient, error: BaseException, job_id: str = "") -> JobFuture:
        """A future that is done already, with `error`: a submission the
        server refused, kept in its place among the others."""
        future = cls.__new__(cls)
        future.client, future.job_id, future.poll_interval = client, job_id, 0.0
        future._lock, future._done = threading.Lock(), threading.Event()
        future._state, future._job, future._result = JobState.UNSPECIFIED, None, None
        future._error, future._callbacks = error, []
        future._done.set()
        return future

    # -- fed by the watcher --------------------------------------------------

    def _on_state(self, state: JobState) -> None:
        with self._lock:
            self._state = state

    def _on_end(self, job: Job | None, result: JobResult | None, error: BaseException | None) -> None:
        if error is None and job is not None and result is None:
            error = job_ended_error(job)
        with self._lock:
            if self._done.is_set():
                return
            self._job, self._result, self._error = job, result, error
            if job is not None:
                self._state = job.state
            callbacks, self._callbacks = self._callbacks, []
            self._done.set()
        for callback in callbacks:  # outside the lock
            _run(callback, self)

    # -- the concurrent.futures interface ---------------------------------

    def done(self) -> bool:
        return self._done.is_set()

    def cancelled(self) -> bool:
        return self.done() and self._state == JobState.CANCELED

    def running(self) -> bool:
        return not self.done() and self._state == JobState.RUNNING

    @property
    def state(self) -> JobState:
        """The job's state as last pushed."""
        return self._state

    @property
    def job(self) -> Job | None:
        """The job as it ended, once it has."""
        return self._job

    def cancel(self) -> bool:
        """Asks the server to cancel the job; whether it accepted. The
        future then ends cancelled (unless the job finished first)."""
        if self.done():
            return self.cancelled()
        accepted, _ = self.client.cancel_job(self.job_id)
        return accepted

    def wait(self, timeout: float | None = None) -> bool:
        """Waits for the job to end; whether it has."""
        return self._done.wait(timeout)

    def result(self, timeout: float | None = None) -> JobResult:
        """The job's result, once it completed. Raises `CancelledError`
        if it was canceled, `ArvakJobFailedError` if it failed or its
        result expired, `ArvakTimeoutError` (a `TimeoutError`) if it has
        not ended within `timeout` seconds."""
        if not self._done.wait(timeout):
            raise ArvakTimeoutError(f"job {self.job_id} did not end within {timeout} s")
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """The error `result` would raise, or None when it completed."""
        if not self._done.wait(timeout):
            raise ArvakTimeoutError(f"job {self.job_id} did not end within {timeout} s")
        return self._error

    def add_done_callback(self, fn: Callback) -> None:
        """Calls `fn(future)` once the job has ended: at once (here) if it
        has, else on the client's watcher thread. An exception in `fn` is
        reported, not raised."""
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(fn)
                return
        _run(fn, self)

    def as_concurrent_future(self) -> concurrent.futures.Future[JobResult]:
        """A standard `concurrent.futures.Future` that ends with this one."""
        linked: concurrent.futures.Future[JobResult] = concurrent.futures.Future()
        linked.set_running_or_notify_cancel()

        def settle(future: JobFuture) -> None:
            error = future.exception()
            if error is None:
                linked.set_result(future.result())
            else:
                linked.set_exception(error)

        self.add_done_callback(settle)
        return linked

    def __repr__(self) -> str:
        return f"JobFuture(job_id={self.job_id!r}, state={self._state.name}, done={self.done()})"


def _run(callback: Callback, future: JobFuture) -> None:
    try:
        callback(future)
    except Exception:
        import logging

        logging.getLogger(__name__).exception("a JobFuture callback raised")


def as_completed(futures: Iterable[JobFuture], timeout: float | None = None) -> Iterator[JobFuture]:
    """The futures, each as its job ends; `ArvakTimeoutError` if some have
    not ended within `timeout` seconds."""
    pending = list(dict.fromkeys(futures))
    finished: queue.SimpleQueue[JobFuture] = queue.SimpleQueue()
    for future in pending:
        future.add_done_callback(finished.put)
    deadline = None if timeout is None else time.monotonic() + timeout
    for _ in range(len(pending)):
        remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        try:
            yield finished.get(timeout=remaining)
        except queue.Empty:
            left = sum(not f.done() for f in pending)
            raise ArvakTimeoutError(f"{left} of {len(pending)} jobs did not end in time") from None


ALL_COMPLETED = "ALL_COMPLETED"
FIRST_COMPLETED = "FIRST_COMPLETED"
FIRST_EXCEPTION = "FIRST_EXCEPTION"


def wait(
    futures: Iterable[JobFuture],
    timeout: float | None = None,
    return_when: str = ALL_COMPLETED,
) -> tuple[set[JobFuture], set[JobFuture]]:
    """Waits as `concurrent.futures.wait` does; returns (done, not done)."""
    if return_when not in (ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION):
        raise ValueError(f"return_when must be ALL_COMPLETED, FIRST_COMPLETED or FIRST_EXCEPTION, not {return_when!r}")
    pending = set(futures)
    done: set[JobFuture] = set()
    try:
        for future in as_completed(pending, timeout):
            done.add(future)
            if return_when == FIRST_COMPLETED:
                break
            if return_when == FIRST_EXCEPTION and future.exception() is not None:
                break
    except ArvakTimeoutError:
        pass
    done |= {f for f in pending if f.done()}
    return done, pending - done
