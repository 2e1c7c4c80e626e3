"""When and how calls are tried again.

Retries act on this package's errors (`ArvakError`, which carries the gRPC
status code), so they trigger around the client as well as inside it. A
submission is safe to retry: the client gives it one idempotency key,
kept for every attempt, and the server answers a repeated key with the
first job's id.
"""

from __future__ import annotations

import enum
import functools
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

import grpc

from ._requests import new_idempotency_key
from .exceptions import ArvakError

T = TypeVar("T")
P = ParamSpec("P")


class RetryStrategy(enum.Enum):
    """How the pause grows from one attempt to the next."""

    EXPONENTIAL = "exponential"
    LINEAR = "linear"
    CONSTANT = "constant"
    # The names arvak_grpc 1.x used, kept as aliases.
    EXPONENTIAL_BACKOFF = "exponential"
    LINEAR_BACKOFF = "linear"
    FIXED_DELAY = "constant"
    FIXED = "constant"


_RETRYABLE = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.DEADLINE_EXCEEDED,
    }
)


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts a call gets and how long to pause between them.

    A server's `retry-after` (rate limits) replaces the computed pause
    when it is longer.
    """

    max_attempts: int = 3
    initial_backoff: float = 1.0
    max_backoff: float = 60.0
    backoff_multiplier: float = 2.0
    jitter: bool = True
    retryable_status_codes: frozenset[grpc.StatusCode] = field(default=_RETRYABLE)
    strategy: RetryStrategy = RetryStrategy.EXPONENTIAL

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {self.max_attempts}")
        if self.initial_backoff < 0 or self.max_backoff < 0:
            raise ValueError("backoffs cannot be negative")
        if self.backoff_multiplier < 1:
            raise ValueError(f"backoff_multiplier must be at least 1, not {self.backoff_multiplier}")
        object.__setattr__(self, "retryable_status_codes", frozenset(self.retryable_status_codes))

    def is_retryable(self, error: BaseException) -> bool:
        return isinstance(error, ArvakError) and error.code in self.retryable_status_codes

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """The pause after failed attempt `attempt` (1-based)."""
        if self.strategy is RetryStrategy.EXPONENTIAL:
            pause = self.initial_backoff * self.backoff_multiplier ** (attempt - 1)
        elif self.strategy is RetryStrategy.LINEAR:
            pause = self.initial_backoff * attempt
        else:
            pause = self.initial_backoff
        pause = min(pause, self.max_backoff)
        if self.jitter:
            # Full jitter spreads clients that failed together.
            pause = random.uniform(pause / 2, pause)
        if retry_after is not None:
            pause = max(pause, retry_after)
        return pause

    def call(self, fn: Callable[[], T], sleep: Callable[[float], None] = time.sleep) -> T:
        """`fn()`, again after a pause while it fails retryably."""
        attempt = 1
        while True:
            try:
                return fn()
            except ArvakError as error:
                if attempt >= self.max_attempts or not self.is_retryable(error):
                    raise
                sleep(self.backoff(attempt, error.retry_after))
                attempt += 1


#: What a client does when given no policy: a few quick attempts, so a
#: server restarting or a brief rate limit does not surface as an error.
DEFAULT_RETRY = RetryPolicy(max_attempts=3, initial_backoff=0.2, max_backoff=5.0)

#: Each call tried once.
NO_RETRY = RetryPolicy(max_attempts=1)


def with_retry(policy: RetryPolicy | None = None) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """A decorator: the function is retried by `policy` (default
    `RetryPolicy()`) while it raises retryable `ArvakError`s. Only for
    calls that are safe to repeat (reads, or submissions with a fixed
    idempotency key)."""
    chosen = policy or RetryPolicy()

    def decorate(fn: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(fn)
        def retried(*args: P.args, **kwargs: P.kwargs) -> T:
            return chosen.call(lambda: fn(*args, **kwargs))

        return retried

    return decorate


class CircuitState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class CircuitBreakerConfig:
    """After `failure_threshold` failures in a row the breaker opens and
    refuses calls for `timeout` seconds; then up to `half_open_max_calls`
    trial calls go through, and `success_threshold` successes close it."""

    failure_threshold: int = 5
    success_threshold: int = 2
    timeout: float = 60.0
    half_open_max_calls: int = 1
    #: The name arvak_grpc 1.x's examples used for `timeout`.
    reset_timeout: float | None = None

    def __post_init__(self) -> None:
        if self.reset_timeout is not None:
            object.__setattr__(self, "timeout", self.reset_timeout)
        for name in ("failure_threshold", "success_threshold", "half_open_max_calls"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.timeout < 0:
            raise ValueError(f"timeout cannot be negative, not {self.timeout}")


class CircuitBreakerError(ArvakError):
    """The breaker is open: the call was not made."""


#: Errors that say the service is unwell; a refused circuit or an unknown
#: job says nothing about its health and does not count.
_UNWELL = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNKNOWN,
    }
)


class CircuitBreaker:
    """Stops calling a service that keeps failing, and tries it again
    after a while. Thread-safe."""

    def __init__(self, config: CircuitBreakerConfig | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config or CircuitBreakerConfig()
        self._clock = clock
        self._lock = threading.Lock()
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._successes = 0
        self._opened_at = 0.0
        self._trials = 0

    @property
    def state(self) -> CircuitState:
        with self._lock:
            self._maybe_half_open()
            return self._state

    def _maybe_half_open(self) -> None:
        if self._state is CircuitState.OPEN and self._clock() - self._opened_at >= self.config.timeout:
            self._state, self._successes, self._trials = CircuitState.HALF_OPEN, 0, 0

    def _admit(self) -> None:
        with self._lock:
            self._maybe_half_open()
            if self._state is CircuitState.OPEN:
                wait = self.config.timeout - (self._clock() - self._opened_at)
                raise CircuitBreakerError(
                    f"the circuit breaker is open after {self._failures} failures in a row; "
                    f"calls resume in {wait:.1f} s",
                    retry_after=max(wait, 0.0),
                )
            if self._state is CircuitState.HALF_OPEN:
                if self._trials >= self.config.half_open_max_calls:
                    raise CircuitBreakerError("the circuit breaker is half open and its trial calls are out")
                self._trials += 1

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            if self._state is CircuitState.HALF_OPEN:
                self._successes += 1
                self._trials = max(self._trials - 1, 0)
                if self._successes >= self.config.success_threshold:
                    self._state = CircuitState.CLOSED

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._state is CircuitState.HALF_OPEN or self._failures >= self.config.failure_threshold:
                self._state, self._opened_at = CircuitState.OPEN, self._clock()

    def call(self, fn: Callable[[], T]) -> T:
        """`fn()` unless the breaker is open; its outcome is counted."""
        self._admit()
        try:
            value = fn()
        except ArvakError as error:
            if error.code in _UNWELL:
                self.record_failure()
            else:
                self.record_success()  # it answered: it is well
            raise
        self.record_success()
        return value

    def reset(self) -> None:
        with self._lock:
            self._state, self._failures, self._successes, self._trials = CircuitState.CLOSED, 0, 0, 0


def with_circuit_breaker(breaker: CircuitBreaker) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """A decorator: calls go through `breaker`."""

    def decorate(fn: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(fn)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
            return breaker.call(lambda: fn(*args, **kwargs))

        return guarded

    return decorate


#: Client methods that submit: a key is fixed before the first attempt.
_SUBMITTING = frozenset({"submit", "submit_qasm", "submit_circuit_json", "submit_and_wait"})
#: Client methods that return streams, which are passed through as they are.
_STREAMING = frozenset({"watch_job", "stream_results", "submit_batch_stream", "iter_jobs"})


class ResilientClient:
    """A client whose calls are retried and go through a circuit breaker.

    Every public method of `client` is there. Submissions get their
    idempotency key before the first attempt, and batches a key per
    circuit, so a retry never makes a second job. Streams pass through.
    """

    def __init__(
        self,
        client: Any,
        retry_policy: RetryPolicy | None = None,
        circuit_breaker_config: CircuitBreakerConfig | None = None,
        *,
        circuit_breaker: CircuitBreaker | CircuitBreakerConfig | None = None,
    ) -> None:
        self.client = client
        self.retry_policy = retry_policy or RetryPolicy()
        # `circuit_breaker=` as arvak_grpc 1.x's examples passed it: a
        # config, or a breaker to share between clients.
        if isinstance(circuit_breaker, CircuitBreaker):
            self.circuit_breaker = circuit_breaker
        else:
            self.circuit_breaker = CircuitBreaker(circuit_breaker_config or circuit_breaker)

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.client, name)
        if name.startswith("_") or not callable(target) or name in _STREAMING:
            return target

        @functools.wraps(target)
        def resilient(*args: Any, **kwargs: Any) -> Any:
            if name in _SUBMITTING and not kwargs.get("idempotency_key"):
                kwargs["idempotency_key"] = new_idempotency_key()
            if name in ("submit_batch", "submit_batch_future"):
                args, kwargs = _keyed_batch(args, kwargs)
            return self.retry_policy.call(lambda: self.circuit_breaker.call(lambda: target(*args, **kwargs)))

        return resilient

    def __enter__(self) -> ResilientClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()


def _keyed_batch(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The call's circuits as mappings, each with its idempotency key."""
    if "circuits" in kwargs:
        return args, {**kwargs, "circuits": _keyed(kwargs["circuits"])}
    return (_keyed(args[0]), *args[1:]), kwargs


def _keyed(circuits: Any) -> list[dict[str, Any]]:
    keyed = []
    for item in circuits:
        if isinstance(item, Mapping):
            keyed.append({**item, "idempotency_key": item.get("idempotency_key") or new_idempotency_key()})
        else:
            circuit, shots = item
            keyed.append({"circuit": circuit, "shots": shots, "idempotency_key": new_idempotency_key()})
    return keyed
