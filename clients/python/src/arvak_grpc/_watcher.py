"""Following many jobs at once without a thread or a poll each.

One background thread runs an asyncio loop with one `grpc.aio` channel;
each followed job is a WatchJob stream on it (an HTTP/2 stream of the same
connection), which the server pushes state changes down. When a job ends,
its outcome is read once and handed to the follower's callback.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future as ConcurrentFuture
from typing import Any

import grpc

from . import _convert as convert
from . import arvak_pb2 as pb
from . import arvak_pb2_grpc
from ._connection import Connection
from .exceptions import ArvakError, ArvakJobNotFoundError, from_rpc_error
from .types import Job, JobResult, JobState

#: Called once as a followed job changes state (with the state), and
#: once when it has ended (with its result, or the error that ended it).
OnState = Callable[[JobState], None]
OnEnd = Callable[[Job | None, JobResult | None, BaseException | None], None]

#: Streams that fail for a reason worth waiting out (the server
#: restarting, say) are opened again after this many seconds, growing.
_REOPEN = (0.2, 0.5, 1.0, 2.0, 5.0)


class Watcher:
    """The loop, its thread and channel; started on first use."""

    def __init__(self, connection: Connection, timeout: float) -> None:
        self._connection = connection
        self._timeout = timeout
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stub: Any = None
        self._channel: grpc.aio.Channel | None = None
        self._closed = False

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._closed:
                raise ArvakError("the client is closed")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()
                self._thread = threading.Thread(target=self._run, args=(loop, ready), name="arvak-watcher", daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            return self._loop

    def _run(self, loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)

        async def open_channel() -> None:
            self._channel = self._connection.aio_channel()
            self._stub = arvak_pb2_grpc.ArvakServiceStub(self._channel)  # type: ignore[no-untyped-call]

        loop.run_until_complete(open_channel())
        ready.set()
        loop.run_forever()
        loop.close()

    def follow(self, job_id: str, on_state: OnState, on_end: OnEnd) -> ConcurrentFuture[None]:
        """Follows `job_id` until it ends; the callbacks run on the
        watcher's thread, so they must not block for long."""
        loop = self._started()
        return asyncio.run_coroutine_threadsafe(self._follow(job_id, on_state, on_end), loop)

    async def _follow(self, job_id: str, on_state: OnState, on_end: OnEnd) -> None:
        try:
            await self._until_terminal(job_id, on_state)
            job = convert.job((await self._unary("GetJobStatus", pb.GetJobStatusRequest(job_id=job_id))).job)
            result = None
            if job.state == JobState.COMPLETED:
                answer = await self._unary("GetJobResult", pb.GetJobResultRequest(job_id=job_id))
                result = convert.result(answer.result)
        except asyncio.CancelledError:
            on_end(None, None, ArvakError("the client was closed before the job ended"))
            raise
        except BaseException as error:  # handed to the future, never lost
            on_end(None, None, error)
            return
        on_end(job, result, None)

    async def _until_terminal(self, job_id: str, on_state: OnState) -> None:
        failures = 0
        while True:
            try:
                stream = self._stub.WatchJob(pb.WatchJobRequest(job_id=job_id), metadata=self._connection.metadata())
                async for update in stream:
                    failures = 0
                    state = JobState.of(update.state)
                    on_state(state)
                    if state.is_terminal:
                        return
            except grpc.RpcError as e:
                error = from_rpc_error(e, ArvakJobNotFoundError)
                if error.code not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.ABORTED):
                    raise error from None
            # The stream ended or broke before the job did: open it again
            # (it starts with the job's current state, so nothing is missed).
            await asyncio.sleep(_REOPEN[min(failures, len(_REOPEN) - 1)])
            failures += 1

    async def _unary(self, method: str, request: Any) -> Any:
        failures = 0
        while True:
            try:
                return await getattr(self._stub, method)(
                    request, timeout=self._timeout, metadata=self._connection.metadata()
                )
            except grpc.RpcError as e:
                error = from_rpc_error(e, ArvakJobNotFoundError)
                if error.code != grpc.StatusCode.UNAVAILABLE or failures >= len(_REOPEN):
                    raise error from None
            await asyncio.sleep(_REOPEN[failures])
            failures += 1

    def close(self) -> None:
        """Stops following every job (their futures fail) and the thread."""
        with self._lock:
            self._closed = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def shut() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self._channel is not None:
                await self._channel.close()

        asyncio.run_coroutine_threadsafe(shut(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
