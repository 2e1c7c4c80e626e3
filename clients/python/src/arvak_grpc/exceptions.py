"""Errors the client raises.

Every error of a call is an `ArvakError` carrying the gRPC status code,
the server's message, and (for rate limits) how long to wait. Which class
is raised follows the status code alone, and for NOT_FOUND the thing the
call named (a job or a backend): the message text is never parsed.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterable
from typing import TYPE_CHECKING

import grpc

if TYPE_CHECKING:
    from .types import Job


class ArvakError(Exception):
    """Any error from the service or from this client's dealings with it."""

    def __init__(
        self,
        message: str,
        code: grpc.StatusCode | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        #: The gRPC status code, when the error came from a call.
        self.code = code
        #: Seconds after which the call may succeed (the server's
        #: `retry-after`), when it said.
        self.retry_after = retry_after

    @property
    def details(self) -> str:
        return self.message


class ArvakJobNotFoundError(ArvakError):
    """The job does not exist, or is not the caller's."""


class ArvakBackendNotFoundError(ArvakError):
    """The backend does not exist."""


class ArvakInvalidCircuitError(ArvakError):
    """The request was refused as invalid: a circuit that does not parse
    or fit the backend, bad shots, a bad argument (INVALID_ARGUMENT)."""


class ArvakJobNotCompletedError(ArvakError):
    """A result was asked of a job that has not completed
    (FAILED_PRECONDITION)."""


class ArvakAuthenticationError(ArvakError):
    """Credentials are missing or were refused (UNAUTHENTICATED)."""


class ArvakPermissionDeniedError(ArvakError):
    """The caller may not do this (PERMISSION_DENIED)."""


class ArvakResourceExhaustedError(ArvakError):
    """A quota, rate limit or queue is full (RESOURCE_EXHAUSTED); see
    `retry_after`."""


class ArvakUnavailableError(ArvakError):
    """The service, or what it stores jobs in, cannot be reached right now
    (UNAVAILABLE); retrying later is safe."""


class ArvakConflictError(ArvakError):
    """The job changed meanwhile (ABORTED); retrying is safe."""


class ArvakTimeoutError(ArvakError, TimeoutError):
    """A call's deadline passed, or a wait ran out of time."""


class ArvakJobFailedError(ArvakError):
    """The job ended FAILED, CANCELED or RESULT_EXPIRED instead of
    completing; `job` is how it ended."""

    def __init__(self, message: str, job: Job | None = None) -> None:
        super().__init__(message)
        self.job = job


class CancelledError(ArvakJobFailedError, concurrent.futures.CancelledError):
    """The job was canceled, so it has no result."""


def job_ended_error(job: Job) -> ArvakJobFailedError:
    """The error for a job that ended without a result to give."""
    from .types import JobState

    if job.state == JobState.CANCELED:
        return CancelledError(f"job {job.job_id} was canceled", job)
    if job.state == JobState.FAILED:
        return ArvakJobFailedError(f"job {job.job_id} failed: {job.error_message or 'no reason given'}", job)
    if job.state == JobState.RESULT_EXPIRED:
        return ArvakJobFailedError(f"job {job.job_id} completed, but its result has expired", job)
    return ArvakJobFailedError(f"job {job.job_id} ended {job.state.name}", job)


_BY_CODE: dict[grpc.StatusCode, type[ArvakError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: ArvakInvalidCircuitError,
    grpc.StatusCode.FAILED_PRECONDITION: ArvakJobNotCompletedError,
    grpc.StatusCode.UNAUTHENTICATED: ArvakAuthenticationError,
    grpc.StatusCode.PERMISSION_DENIED: ArvakPermissionDeniedError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ArvakResourceExhaustedError,
    grpc.StatusCode.UNAVAILABLE: ArvakUnavailableError,
    grpc.StatusCode.ABORTED: ArvakConflictError,
    grpc.StatusCode.DEADLINE_EXCEEDED: ArvakTimeoutError,
}


def error_for(
    code: grpc.StatusCode,
    details: str,
    retry_after: float | None = None,
    not_found: type[ArvakError] = ArvakError,
) -> ArvakError:
    """The error for a failed call: its class by status code, and for
    NOT_FOUND `not_found`, the class of the thing the call named."""
    cls = not_found if code == grpc.StatusCode.NOT_FOUND else _BY_CODE.get(code, ArvakError)
    message = details if cls is not ArvakError else f"{code.name}: {details}"
    return cls(message, code, retry_after)


def from_rpc_error(error: grpc.RpcError, not_found: type[ArvakError] = ArvakError) -> ArvakError:
    """`error_for` a gRPC error as grpcio raises it (a `grpc.Call`)."""
    code = _call_attr(error, "code")
    if not isinstance(code, grpc.StatusCode):
        code = grpc.StatusCode.UNKNOWN
    details = _call_attr(error, "details")
    text = details if isinstance(details, str) and details else str(error)
    return error_for(code, text, retry_after_of(error), not_found)


def retry_after_of(error: object) -> float | None:
    """The `retry-after` seconds in a failed call's trailing metadata."""
    trailing = _call_attr(error, "trailing_metadata")
    if not isinstance(trailing, Iterable) or isinstance(trailing, (str, bytes)):
        return None
    for item in trailing:
        pair = tuple(item) if isinstance(item, (tuple, list)) else ()
        if len(pair) == 2 and pair[0] == "retry-after":
            try:
                return float(pair[1])
            except (TypeError, ValueError):
                return None
    return None


def _call_attr(error: object, name: str) -> object:
    """`error.name()`, or None where the error has no such call (a
    mocked error) or it cannot answer yet."""
    method = getattr(error, name, None)
    if not callable(method):
        return None
    try:
        return method()
    except Exception:
        return None
