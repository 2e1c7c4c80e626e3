"""The synchronous client."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import grpc

from . import _convert as convert
from . import _requests as requests
from . import arvak_pb2 as pb
from . import arvak_pb2_grpc
from ._connection import Connection, Pem, Token
from ._requests import BatchItem
from ._watcher import Watcher
from .exceptions import (
    ArvakBackendNotFoundError,
    ArvakError,
    ArvakJobNotFoundError,
    ArvakTimeoutError,
    from_rpc_error,
    job_ended_error,
)
from .retry_policy import DEFAULT_RETRY, NO_RETRY, RetryPolicy
from .types import BackendInfo, Job, JobPage, JobPriority, JobResult, JobState

if TYPE_CHECKING:
    from .job_future import JobFuture

T = TypeVar("T")


#: Submissions a batch stream sends ahead of the server's answers.
STREAM_WINDOW = 1000


class ArvakClient:
    """A client of one Arvak server.

    Args:
        address: `host:port` (or `https://host:port`); default
            `ARVAK_ADDRESS`, else `localhost:50051`.
        timeout: Deadline of each unary call in seconds. Streams have none.
        api_key: Sent as `x-api-key` on every call; default `ARVAK_API_KEY`.
        token: A bearer token, or a callable returning a fresh one for
            each call; default `ARVAK_TOKEN`.
        ca_cert: The CA bundle that signed the server's certificate (PEM
            bytes, text or a path); default `ARVAK_CA_CERT`. Turns TLS on.
        client_cert, client_key: A client certificate for mTLS.
        tls: Force TLS on or off; by default on when a certificate is given.
        retry_policy: How failed calls are retried (`None`: never).
            Submissions keep one idempotency key across attempts, so a
            retry never makes a second job.

    Example:
        >>> with ArvakClient("localhost:50051") as client:
        ...     job_id = client.submit_qasm(BELL, "simulator", shots=1000)
        ...     print(client.wait_for_job(job_id).counts)
    """

    def __init__(
        self,
        address: str | None = None,
        timeout: float = 30.0,
        *,
        api_key: str | None = None,
        token: Token | None = None,
        ca_cert: Pem | None = None,
        client_cert: Pem | None = None,
        client_key: Pem | None = None,
        tls: bool | None = None,
        retry_policy: RetryPolicy | None = DEFAULT_RETRY,
        options: list[tuple[str, int | str]] | None = None,
    ) -> None:
        self.connection = Connection.resolve(
            address,
            api_key=api_key,
            token=token,
            ca_cert=ca_cert,
            client_cert=client_cert,
            client_key=client_key,
            tls=tls,
            options=options,
        )
        self.address = self.connection.address
        self.timeout = timeout
        self.retry_policy = retry_policy or NO_RETRY
        self.channel = self.connection.channel()
        self.stub: Any = arvak_pb2_grpc.ArvakServiceStub(self.channel)  # type: ignore[no-untyped-call]
        self._watching: Watcher | None = None
        self._watching_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------

    def _watcher(self) -> Watcher:
        """What follows this client's futures: one thread and one
        connection for all of them, started with the first."""
        with self._watching_lock:
            if self._watching is None:
                self._watching = Watcher(self.connection, self.timeout)
            return self._watching

    def close(self) -> None:
        """Closes the channel; calls in flight fail, and futures not yet
        done end with an error."""
        with self._watching_lock:
            watching, self._watching = self._watching, None
        if watching is not None:
            watching.close()
        self.channel.close()

    def __enter__(self) -> ArvakClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- calls -------------------------------------------------------------

    def _unary(
        self,
        method: str,
        request: Any,
        not_found: type[ArvakError] = ArvakError,
        timeout: float | None = None,
    ) -> Any:
        """One unary call, retried by the policy, its errors mapped."""
        rpc: Callable[..., Any] = getattr(self.stub, method)

        def attempt() -> Any:
            try:
                return rpc(
                    request,
                    timeout=self.timeout if timeout is None else timeout,
                    metadata=self.connection.metadata(),
                )
            except grpc.RpcError as e:
                raise from_rpc_error(e, not_found) from None

        return self.retry_policy.call(attempt)

    def _stream(self, method: str, request: Any, not_found: type[ArvakError] = ArvakError) -> Iterator[Any]:
        """A server stream, without a deadline, its errors mapped."""
        rpc: Callable[..., Any] = getattr(self.stub, method)
        try:
            yield from rpc(request, metadata=self.connection.metadata())
        except grpc.RpcError as e:
            raise from_rpc_error(e, not_found) from None

    # -- submitting --------------------------------------------------------

    def submit(
        self,
        circuit: str,
        backend_id: str,
        shots: int = 1024,
        *,
        format: str = "qasm3",
        priority: JobPriority | int | str | None = None,
        tags: Mapping[str, str] | None = None,
        seed: int | None = None,
        idempotency_key: str | None = None,
        optimization_level: int = 0,
    ) -> str:
        """Submits one circuit ("qasm3", "qasm2" or "json" for Arvak IR);
        returns the job id. The same `idempotency_key` within 24 h returns
        the first job's id (one is made when none is given)."""
        request = requests.submit(
            circuit, backend_id, shots, format, priority, tags, seed, idempotency_key, optimization_level
        )
        return str(self._unary("SubmitJob", request, ArvakBackendNotFoundError).job_id)

    def submit_qasm(self, qasm_code: str, backend_id: str, shots: int = 1024, **options: Any) -> str:
        """Submits an OpenQASM 3 (or 2) program; returns the job id.
        Options as `submit`."""
        return self.submit(qasm_code, backend_id, shots, format="qasm3", **options)

    def submit_circuit_json(self, circuit_json: str, backend_id: str, shots: int = 1024, **options: Any) -> str:
        """Submits an Arvak IR JSON circuit; returns the job id."""
        return self.submit(circuit_json, backend_id, shots, format="json", **options)

    def submit_batch(
        self,
        circuits: Sequence[BatchItem],
        backend_id: str,
        format: str = "qasm3",
        *,
        priority: JobPriority | int | str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> list[str]:
        """Submits circuits together; returns their job ids in the same
        order. All are accepted or none is (the error says which circuit
        was refused). Each circuit keeps its own idempotency key across
        retries."""
        request = requests.batch(circuits, backend_id, format, priority, tags)
        response = self._unary("SubmitBatch", request, ArvakBackendNotFoundError)
        return list(response.job_ids)

    def submit_and_wait(
        self, qasm_code: str, backend_id: str, shots: int = 1024, max_wait: float | None = None, **options: Any
    ) -> JobResult:
        """Submits an OpenQASM program and waits for its result."""
        return self.wait_for_job(self.submit_qasm(qasm_code, backend_id, shots, **options), max_wait=max_wait)

    def submit_qasm_future(
        self, qasm_code: str, backend_id: str, shots: int = 1024, poll_interval: float = 1.0
    ) -> JobFuture:
        """Submits and returns a future of the job's result."""
        from .job_future import JobFuture

        return JobFuture(self, self.submit_qasm(qasm_code, backend_id, shots), poll_interval)

    def submit_batch_future(
        self,
        circuits: Sequence[BatchItem],
        backend_id: str,
        format: str = "qasm3",
        poll_interval: float = 1.0,
    ) -> list[JobFuture]:
        """Submits a batch and returns a future per circuit, in order."""
        from .job_future import JobFuture

        ids = self.submit_batch(circuits, backend_id, format)
        return [JobFuture(self, job_id, poll_interval) for job_id in ids]

    # -- reading -----------------------------------------------------------

    def get_job_status(self, job_id: str) -> Job:
        response = self._unary("GetJobStatus", pb.GetJobStatusRequest(job_id=job_id), ArvakJobNotFoundError)
        return convert.job(response.job)

    def get_job_result(self, job_id: str) -> JobResult:
        """The result of a COMPLETED job; `ArvakJobNotCompletedError`
        otherwise."""
        response = self._unary("GetJobResult", pb.GetJobResultRequest(job_id=job_id), ArvakJobNotFoundError)
        return convert.result(response.result)

    def cancel_job(self, job_id: str) -> tuple[bool, str]:
        """Asks for the job to stop; (whether it was canceled, why not)."""
        response = self._unary("CancelJob", pb.CancelJobRequest(job_id=job_id), ArvakJobNotFoundError)
        return bool(response.success), str(response.message)

    def list_backends(self) -> list[BackendInfo]:
        response = self._unary("ListBackends", pb.ListBackendsRequest())
        return [convert.backend(b) for b in response.backends]

    def get_backend_info(self, backend_id: str) -> BackendInfo:
        response = self._unary(
            "GetBackendInfo", pb.GetBackendInfoRequest(backend_id=backend_id), ArvakBackendNotFoundError
        )
        return convert.backend(response.backend)

    def list_jobs(
        self,
        state: JobState | int | None = None,
        backend_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        page_size: int = 0,
        page_token: str | None = None,
    ) -> JobPage:
        """One page of the caller's jobs, newest first (`page_size` 0 means
        the server's 50, at most 1000)."""
        request = requests.list_jobs(state, backend_id, tags, page_size, page_token)
        return convert.page(self._unary("ListJobs", request))

    def iter_jobs(
        self,
        state: JobState | int | None = None,
        backend_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        page_size: int = 0,
    ) -> Iterator[Job]:
        """Every job `list_jobs` matches, page after page."""
        token: str | None = None
        while True:
            page = self.list_jobs(state, backend_id, tags, page_size, token)
            yield from page.jobs
            if page.next_page_token is None:
                return
            token = page.next_page_token

    # -- following ---------------------------------------------------------

    def watch_job(self, job_id: str) -> Iterator[tuple[JobState, datetime, str | None]]:
        """The job's state now, then each change, ending after it ends:
        (state, when, error message)."""
        for update in self._stream("WatchJob", pb.WatchJobRequest(job_id=job_id), ArvakJobNotFoundError):
            yield convert.update(update)

    def stream_results(self, job_id: str, chunk_size: int = 1000) -> Iterator[tuple[dict[str, int], bool, int, int]]:
        """A completed job's counts in chunks: (counts, is_final, index,
        total chunks); every outcome comes exactly once."""
        request = pb.StreamResultsRequest(job_id=job_id, chunk_size=chunk_size)
        for chunk in self._stream("StreamResults", request, ArvakJobNotFoundError):
            yield convert.chunk(chunk)

    def submit_batch_stream(
        self, circuits: Iterable[tuple[str, str, int, str, str]]
    ) -> Iterator[tuple[str, str, str, str | JobResult]]:
        """Submits circuits as they come and yields what becomes of each:
        (job_id, client_request_id, "submitted" | "completed" | "error",
        data). Input items are (circuit, backend_id, shots, format,
        client_request_id). At most `STREAM_WINDOW` submissions are sent
        ahead of the server's answers, so a server that falls behind is not
        flooded."""
        window = requests.SendWindow(STREAM_WINDOW)
        submissions = window.paced(requests.stream_item(item) for item in circuits)
        rpc: Callable[..., Any] = self.stub.SubmitBatchStream
        try:
            for answer in rpc(submissions, metadata=self.connection.metadata()):
                kind = answer.WhichOneof("result")
                # The first answer about a submission: it was taken or refused.
                if kind == "submitted" or (kind == "error" and not answer.job_id):
                    window.release()
                yield convert.batch_answer(answer)
        except grpc.RpcError as e:
            raise from_rpc_error(e) from None
        finally:
            window.close()

    def wait_for_job(self, job_id: str, poll_interval: float = 1.0, max_wait: float | None = None) -> JobResult:
        """Waits for the job to end and returns its result.

        Follows the job's WatchJob stream (pushed, not polled); should the
        stream break, it polls every `poll_interval` seconds instead.
        Raises `ArvakJobFailedError` when the job fails, is canceled or its
        result expired, and `ArvakTimeoutError` (a `TimeoutError`) after
        `max_wait` seconds.
        """
        deadline = None if max_wait is None else time.monotonic() + max_wait
        job = self._wait_until_terminal(job_id, poll_interval, deadline)
        return self._result_of(job)

    def _wait_until_terminal(self, job_id: str, poll_interval: float, deadline: float | None) -> Job:
        try:
            for state, _, _ in self._watch_until(job_id, deadline):
                if state.is_terminal:
                    return self.get_job_status(job_id)
        except (ArvakJobNotFoundError, ArvakTimeoutError):
            raise
        except ArvakError:
            pass  # the stream broke: poll instead
        while True:
            job = self.get_job_status(job_id)
            if job.is_terminal:
                return job
            if deadline is not None and time.monotonic() >= deadline:
                raise ArvakTimeoutError(f"job {job_id} did not end within the time allowed")
            pause = poll_interval if deadline is None else min(poll_interval, deadline - time.monotonic())
            time.sleep(max(pause, 0.0))

    def _watch_until(self, job_id: str, deadline: float | None) -> Iterator[tuple[JobState, datetime, str | None]]:
        """`watch_job`, ending with `ArvakTimeoutError` at `deadline`."""
        if deadline is None:
            yield from self.watch_job(job_id)
            return
        rpc: Callable[..., Any] = self.stub.WatchJob
        call = rpc(
            pb.WatchJobRequest(job_id=job_id),
            timeout=max(deadline - time.monotonic(), 0.001),
            metadata=self.connection.metadata(),
        )
        try:
            for update in call:
                yield convert.update(update)
        except grpc.RpcError as e:
            error = from_rpc_error(e, ArvakJobNotFoundError)
            if isinstance(error, ArvakTimeoutError):
                raise ArvakTimeoutError(f"job {job_id} did not end within the time allowed") from None
            raise error from None

    def _result_of(self, job: Job) -> JobResult:
        if job.state == JobState.COMPLETED:
            return self.get_job_result(job.job_id)
        raise job_ended_error(job)
