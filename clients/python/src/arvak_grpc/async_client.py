"""The asyncio client, on `grpc.aio`."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import grpc
import grpc.aio

from . import _convert as convert
from . import _requests as requests
from . import arvak_pb2 as pb
from . import arvak_pb2_grpc
from ._connection import Connection, Pem, Token
from ._requests import BatchItem
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

ProgressCallback = Callable[[JobState], object]


class ConnectionPool:
    """`size` channels to one server, handed out in turn.

    One HTTP/2 connection carries many calls at once; several spread a
    very busy process's calls over more connections (and server threads).
    """

    def __init__(self, connection: Connection, size: int = 10) -> None:
        if size < 1:
            raise ValueError(f"a pool holds at least one channel, not {size}")
        self.connection = connection
        self.size = size
        self._channels: list[grpc.aio.Channel] = []
        self._stubs: list[Any] = []
        self._turn = itertools.count()

    def stub(self) -> Any:
        """A stub on the next channel, opening the channels on first use
        (inside the running event loop, where grpc.aio needs them)."""
        if not self._stubs:
            self._channels = [self.connection.aio_channel() for _ in range(self.size)]
            self._stubs = [arvak_pb2_grpc.ArvakServiceStub(c) for c in self._channels]  # type: ignore[no-untyped-call]
        return self._stubs[next(self._turn) % self.size]

    async def close(self) -> None:
        channels, self._channels, self._stubs = self._channels, [], []
        await asyncio.gather(*(c.close() for c in channels))


class AsyncArvakClient:
    """An asyncio client of one Arvak server; arguments as `ArvakClient`'s,
    and `pool_size` channels. Use `async with`."""

    def __init__(
        self,
        address: str | None = None,
        timeout: float = 30.0,
        pool_size: int = 10,
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
        self.pool = ConnectionPool(self.connection, pool_size)

    async def close(self) -> None:
        await self.pool.close()

    async def __aenter__(self) -> AsyncArvakClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- calls ---------------------------------------------------------------

    async def _unary(self, method: str, request: Any, not_found: type[ArvakError] = ArvakError) -> Any:
        attempt = 1
        while True:
            try:
                rpc = getattr(self.pool.stub(), method)
                return await rpc(request, timeout=self.timeout, metadata=self.connection.metadata())
            except grpc.RpcError as e:
                error = from_rpc_error(e, not_found)
            policy = self.retry_policy
            if attempt >= policy.max_attempts or not policy.is_retryable(error):
                raise error
            await asyncio.sleep(policy.backoff(attempt, error.retry_after))
            attempt += 1

    async def _stream(self, method: str, request: Any, not_found: type[ArvakError] = ArvakError) -> AsyncIterator[Any]:
        call = getattr(self.pool.stub(), method)(request, metadata=self.connection.metadata())
        try:
            async for message in call:
                yield message
        except grpc.RpcError as e:
            raise from_rpc_error(e, not_found) from None

    # -- submitting ------------------------------------------------------------

    async def submit(
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
        request = requests.submit(
            circuit, backend_id, shots, format, priority, tags, seed, idempotency_key, optimization_level
        )
        return str((await self._unary("SubmitJob", request, ArvakBackendNotFoundError)).job_id)

    async def submit_qasm(self, qasm_code: str, backend_id: str, shots: int = 1024, **options: Any) -> str:
        return await self.submit(qasm_code, backend_id, shots, format="qasm3", **options)

    async def submit_circuit_json(self, circuit_json: str, backend_id: str, shots: int = 1024, **options: Any) -> str:
        return await self.submit(circuit_json, backend_id, shots, format="json", **options)

    async def submit_and_wait(
        self, qasm_code: str, backend_id: str, shots: int = 1024, max_wait: float | None = None, **options: Any
    ) -> JobResult:
        """Submits an OpenQASM program and waits for its result."""
        job_id = await self.submit_qasm(qasm_code, backend_id, shots, **options)
        return await self.wait_for_job(job_id, max_wait=max_wait)

    async def submit_batch(
        self,
        circuits: Sequence[BatchItem],
        backend_id: str,
        format: str = "qasm3",
        *,
        priority: JobPriority | int | str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> list[str]:
        request = requests.batch(circuits, backend_id, format, priority, tags)
        return list((await self._unary("SubmitBatch", request, ArvakBackendNotFoundError)).job_ids)

    # -- reading -----------------------------------------------------------------

    async def get_job_status(self, job_id: str) -> Job:
        answer = await self._unary("GetJobStatus", pb.GetJobStatusRequest(job_id=job_id), ArvakJobNotFoundError)
        return convert.job(answer.job)

    async def get_job_result(self, job_id: str) -> JobResult:
        answer = await self._unary("GetJobResult", pb.GetJobResultRequest(job_id=job_id), ArvakJobNotFoundError)
        return convert.result(answer.result)

    async def cancel_job(self, job_id: str) -> tuple[bool, str]:
        answer = await self._unary("CancelJob", pb.CancelJobRequest(job_id=job_id), ArvakJobNotFoundError)
        return bool(answer.success), str(answer.message)

    async def list_backends(self) -> list[BackendInfo]:
        answer = await self._unary("ListBackends", pb.ListBackendsRequest())
        return [convert.backend(b) for b in answer.backends]

    async def get_backend_info(self, backend_id: str) -> BackendInfo:
        request = pb.GetBackendInfoRequest(backend_id=backend_id)
        return convert.backend((await self._unary("GetBackendInfo", request, ArvakBackendNotFoundError)).backend)

    async def list_jobs(
        self,
        state: JobState | int | None = None,
        backend_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        page_size: int = 0,
        page_token: str | None = None,
    ) -> JobPage:
        request = requests.list_jobs(state, backend_id, tags, page_size, page_token)
        return convert.page(await self._unary("ListJobs", request))

    # -- following -----------------------------------------------------------------

    async def watch_job(self, job_id: str) -> AsyncIterator[tuple[JobState, datetime, str | None]]:
        async for update in self._stream("WatchJob", pb.WatchJobRequest(job_id=job_id), ArvakJobNotFoundError):
            yield convert.update(update)

    async def stream_results(
        self, job_id: str, chunk_size: int = 1000
    ) -> AsyncIterator[tuple[dict[str, int], bool, int, int]]:
        request = pb.StreamResultsRequest(job_id=job_id, chunk_size=chunk_size)
        async for chunk in self._stream("StreamResults", request, ArvakJobNotFoundError):
            yield convert.chunk(chunk)

    async def submit_batch_stream(
        self, circuits: Iterable[tuple[str, str, int, str, str]] | AsyncIterator[tuple[str, str, int, str, str]]
    ) -> AsyncIterator[tuple[str, str, str, str | JobResult]]:
        """As `ArvakClient.submit_batch_stream`; the input may be an async
        iterator."""

        async def submissions() -> AsyncIterator[pb.BatchJobSubmission]:
            if isinstance(circuits, AsyncIterator):
                async for item in circuits:
                    yield requests.stream_item(item)
            else:
                for item in circuits:
                    yield requests.stream_item(item)

        call = self.pool.stub().SubmitBatchStream(submissions(), metadata=self.connection.metadata())
        try:
            async for answer in call:
                yield convert.batch_answer(answer)
        except grpc.RpcError as e:
            raise from_rpc_error(e) from None

    async def wait_for_job(
        self,
        job_id: str,
        poll_interval: float = 1.0,
        max_wait: float | None = None,
        progress_callback: ProgressCallback | None = None,
    ) -> JobResult:
        """Waits for the job to end (following its stream; polling every
        `poll_interval` s only while the stream is down), calling
        `progress_callback(state)` on each change; returns its result or
        raises as `ArvakClient.wait_for_job`."""
        try:
            job = await asyncio.wait_for(self._until_terminal(job_id, poll_interval, progress_callback), max_wait)
        except asyncio.TimeoutError:
            raise ArvakTimeoutError(f"job {job_id} did not end within {max_wait} s") from None
        if job.state == JobState.COMPLETED:
            return await self.get_job_result(job_id)
        raise job_ended_error(job)

    async def _until_terminal(self, job_id: str, poll_interval: float, progress: ProgressCallback | None) -> Job:
        last: JobState | None = None

        def report(state: JobState) -> None:
            nonlocal last
            if progress is not None and state != last:
                progress(state)
            last = state

        try:
            async for state, _, _ in self.watch_job(job_id):
                report(state)
                if state.is_terminal:
                    return await self.get_job_status(job_id)
        except ArvakJobNotFoundError:
            raise
        except ArvakError:
            pass  # the stream broke: poll instead
        while True:
            job = await self.get_job_status(job_id)
            report(job.state)
            if job.is_terminal:
                return job
            await asyncio.sleep(poll_interval)

    async def gather_results(self, job_ids: Sequence[str], max_wait: float | None = None) -> list[JobResult]:
        """Every job's result, in the order given."""
        started = time.monotonic()

        async def one(job_id: str) -> JobResult:
            left = None if max_wait is None else max(max_wait - (time.monotonic() - started), 0.0)
            return await self.wait_for_job(job_id, max_wait=left)

        return list(await asyncio.gather(*(one(j) for j in job_ids)))
