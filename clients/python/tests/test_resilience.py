"""Retries and the circuit breaker around a client."""

from __future__ import annotations

import uuid

import grpc
import pytest

from arvak_grpc import ArvakClient, ArvakInvalidCircuitError, ArvakUnavailableError
from arvak_grpc.exceptions import error_for
from arvak_grpc.retry_policy import (
    CircuitBreaker,
    CircuitBreakerConfig,
    CircuitBreakerError,
    CircuitState,
    ResilientClient,
    RetryPolicy,
    with_circuit_breaker,
    with_retry,
)

from .conftest import BELL, Server, losing_first_answer


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def unavailable() -> None:
    raise error_for(grpc.StatusCode.UNAVAILABLE, "down")


def test_the_breaker_opens_after_failures_and_closes_after_trial_successes() -> None:
    clock = Clock()
    breaker = CircuitBreaker(CircuitBreakerConfig(failure_threshold=3, success_threshold=2, timeout=10), clock)
    for _ in range(3):
        with pytest.raises(ArvakUnavailableError):
            breaker.call(unavailable)
    assert breaker.state is CircuitState.OPEN
    with pytest.raises(CircuitBreakerError) as refused:
        breaker.call(lambda: "not called")
    assert refused.value.retry_after == 10
    clock.now = 10
    assert breaker.state is CircuitState.HALF_OPEN
    assert breaker.call(lambda: 1) == 1 and breaker.state is CircuitState.HALF_OPEN
    assert breaker.call(lambda: 2) == 2 and breaker.state is CircuitState.CLOSED


def test_a_failed_trial_opens_it_again_and_refusals_by_the_rules_do_not_count() -> None:
    clock = Clock()
    breaker = CircuitBreaker(CircuitBreakerConfig(failure_threshold=2, timeout=5), clock)
    for _ in range(5):  # the service answers: it is well
        with pytest.raises(ArvakInvalidCircuitError):
            breaker.call(lambda: (_ for _ in ()).throw(error_for(grpc.StatusCode.INVALID_ARGUMENT, "bad")))
    assert breaker.state is CircuitState.CLOSED
    for _ in range(2):
        with pytest.raises(ArvakUnavailableError):
            breaker.call(unavailable)
    clock.now = 5
    with pytest.raises(ArvakUnavailableError):
        breaker.call(unavailable)
    assert breaker.state is CircuitState.OPEN


def test_decorators_retry_and_guard_arvak_errors() -> None:
    calls: list[int] = []

    @with_retry(RetryPolicy(max_attempts=3, initial_backoff=0, jitter=False))
    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            unavailable()
        return "ok"

    assert flaky() == "ok" and len(calls) == 3
    breaker = CircuitBreaker(CircuitBreakerConfig(failure_threshold=1))

    @with_circuit_breaker(breaker)
    def down() -> None:
        unavailable()

    with pytest.raises(ArvakUnavailableError):
        down()
    with pytest.raises(CircuitBreakerError):
        down()


def test_a_resilient_client_retries_a_submission_under_one_key(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """The old wrapper never retried: the client had already turned the
    gRPC error into its own. Here the first answer is lost, the wrapper
    retries, and the server holds one job."""
    labels = {"test": uuid.uuid4().hex}
    inner = ArvakClient(server.address, retry_policy=None)
    keys: list[str] = []
    monkeypatch.setattr(inner.stub, "SubmitJob", losing_first_answer(inner.stub.SubmitJob, keys))
    with ResilientClient(inner, RetryPolicy(initial_backoff=0.01)) as client:
        job_id = client.submit_qasm(BELL, "simulator", 10, tags=labels)
        assert len(keys) == 2 and keys[0] == keys[1]
        assert [j.job_id for j in client.iter_jobs(tags=labels)] == [job_id]
        assert client.circuit_breaker.state is CircuitState.CLOSED
        ids = client.submit_batch([(BELL, 5), (BELL, 6)], "simulator")
        assert [client.wait_for_job(i).shots for i in ids] == [5, 6]
