"""Pure parts: errors by status code, retries, credentials, records."""

from __future__ import annotations

import grpc
import pytest

from arvak_grpc import (
    ArvakBackendNotFoundError,
    ArvakError,
    ArvakInvalidCircuitError,
    ArvakJobNotFoundError,
    ArvakResourceExhaustedError,
    ArvakTimeoutError,
    ArvakUnavailableError,
    JobResult,
    JobState,
    RetryPolicy,
    RetryStrategy,
)
from arvak_grpc._connection import Connection
from arvak_grpc.exceptions import error_for, from_rpc_error


class Failed(grpc.RpcError):
    def __init__(self, code: grpc.StatusCode, details: str, trailing: tuple[tuple[str, str], ...] = ()) -> None:
        self._code, self._details, self._trailing = code, details, trailing

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._trailing


def test_not_found_is_what_the_call_named_whatever_the_message_says() -> None:
    # The message says "backend", the call asked for a job: a job error.
    error = from_rpc_error(Failed(grpc.StatusCode.NOT_FOUND, "backend 'x' not found"), ArvakJobNotFoundError)
    assert type(error) is ArvakJobNotFoundError
    error = from_rpc_error(Failed(grpc.StatusCode.NOT_FOUND, "job 'x' not found"), ArvakBackendNotFoundError)
    assert type(error) is ArvakBackendNotFoundError


def test_each_status_code_has_its_class_and_keeps_code_and_message() -> None:
    error = from_rpc_error(Failed(grpc.StatusCode.INVALID_ARGUMENT, "line 3, column 1: unknown gate 'foo'"))
    assert type(error) is ArvakInvalidCircuitError
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT and "line 3" in str(error)
    assert type(error_for(grpc.StatusCode.UNAVAILABLE, "down")) is ArvakUnavailableError
    timeout = error_for(grpc.StatusCode.DEADLINE_EXCEEDED, "late")
    assert isinstance(timeout, TimeoutError) and isinstance(timeout, ArvakTimeoutError)
    other = error_for(grpc.StatusCode.INTERNAL, "boom")
    assert type(other) is ArvakError and str(other) == "INTERNAL: boom"


def test_retry_after_is_read_from_the_trailing_metadata() -> None:
    error = from_rpc_error(Failed(grpc.StatusCode.RESOURCE_EXHAUSTED, "slow down", (("retry-after", "7"),)))
    assert isinstance(error, ArvakResourceExhaustedError) and error.retry_after == 7.0


def test_a_policy_retries_retryable_errors_and_honours_retry_after() -> None:
    policy = RetryPolicy(max_attempts=4, initial_backoff=1.0, backoff_multiplier=2.0, jitter=False)
    assert [policy.backoff(n) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]
    assert policy.backoff(1, retry_after=9.0) == 9.0
    assert RetryPolicy(strategy=RetryStrategy.LINEAR, jitter=False).backoff(3) == 3.0
    slept: list[float] = []
    answers = iter(
        [
            error_for(grpc.StatusCode.UNAVAILABLE, "down"),
            error_for(grpc.StatusCode.RESOURCE_EXHAUSTED, "busy", retry_after=5.0),
        ]
    )

    def flaky() -> str:
        error = next(answers, None)
        if error is not None:
            raise error
        return "ok"

    assert policy.call(flaky, sleep=slept.append) == "ok"
    assert slept == [1.0, 5.0]


def test_a_policy_gives_up_on_errors_a_retry_cannot_fix_and_after_its_attempts() -> None:
    policy = RetryPolicy(max_attempts=3, jitter=False)
    calls: list[int] = []

    def refused() -> None:
        calls.append(1)
        raise error_for(grpc.StatusCode.INVALID_ARGUMENT, "bad")

    with pytest.raises(ArvakInvalidCircuitError):
        policy.call(refused, sleep=lambda _: None)
    assert len(calls) == 1

    def down() -> None:
        calls.append(1)
        raise error_for(grpc.StatusCode.UNAVAILABLE, "down")

    with pytest.raises(ArvakUnavailableError):
        policy.call(down, sleep=lambda _: None)
    assert len(calls) == 4
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


def test_credentials_come_from_arguments_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARVAK_ADDRESS", "env-host:1")
    monkeypatch.setenv("ARVAK_API_KEY", "arvak_env_key")
    monkeypatch.setenv("ARVAK_TOKEN", "env-token")
    env = Connection.resolve()
    assert env.address == "env-host:1" and not env.tls
    assert env.metadata() == (("x-api-key", "arvak_env_key"), ("authorization", "Bearer env-token"))
    given = Connection.resolve("https://h:2", api_key="k")
    assert given.address == "h:2" and given.tls and given.metadata()[0] == ("x-api-key", "k")


def test_a_token_callable_is_asked_on_every_call() -> None:
    tokens = iter(["t1", "t2"])
    connection = Connection.resolve("h:1", token=lambda: next(tokens))
    assert connection.metadata() == (("authorization", "Bearer t1"),)
    assert connection.metadata() == (("authorization", "Bearer t2"),)


def test_secrets_stay_out_of_the_connections_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARVAK_TOKEN", raising=False)
    text = repr(Connection.resolve("h:1", api_key="arvak_secret_value", token="tok-secret"))
    assert "secret" not in text


def test_certificates_must_be_readable_and_paired(tmp_path: object) -> None:
    with pytest.raises(ValueError, match="cannot read the CA certificate"):
        Connection.resolve("h:1", ca_cert="/nonexistent/ca.pem")
    with pytest.raises(ValueError, match="both client_cert and client_key"):
        Connection.resolve("h:1", client_cert=b"-----BEGIN CERTIFICATE-----")


def test_results_give_probabilities_and_the_most_frequent_outcome() -> None:
    result = JobResult("j", {"00": 30, "11": 70}, 100)
    assert result.probabilities == {"00": 0.3, "11": 0.7}
    assert result.most_frequent() == ("11", 0.7)
    assert JobResult("j", {}, 0).most_frequent() is None and JobResult("j", {}, 0).probabilities == {}


def test_states_know_which_are_terminal_and_unknown_values_do_not_fail() -> None:
    assert JobState.RESULT_EXPIRED.is_terminal and not JobState.RUNNING.is_terminal
    assert JobState.of(6) is JobState.RESULT_EXPIRED and JobState.of(99) is JobState.UNSPECIFIED


def test_a_job_that_ended_without_a_result_says_how() -> None:
    from datetime import datetime

    from arvak_grpc import ArvakJobFailedError, CancelledError, Job
    from arvak_grpc.exceptions import job_ended_error

    def ended(state: JobState, error: str | None = None) -> Job:
        return Job("j1", state, datetime.now(), "simulator", 10, error_message=error)

    assert isinstance(job_ended_error(ended(JobState.CANCELED)), CancelledError)
    failed = job_ended_error(ended(JobState.FAILED, "readout error"))
    assert type(failed) is ArvakJobFailedError and "readout error" in str(failed) and failed.job is not None
    assert "expired" in str(job_ended_error(ended(JobState.RESULT_EXPIRED)))


def test_streams_are_called_without_the_unary_deadline() -> None:
    """The 1.x client gave streams its 30 s unary timeout, so a long watch
    died; here only unary calls carry it."""
    from arvak_grpc import ArvakClient

    calls: dict[str, dict[str, object]] = {}

    class Stub:
        def __getattr__(self, method: str) -> object:
            def call(request: object, **kwargs: object) -> list[object]:
                calls[method] = kwargs
                return []

            return call

    client = ArvakClient("127.0.0.1:1", timeout=0.5)
    client.stub = Stub()
    list(client.watch_job("j"))
    list(client.stream_results("j"))
    list(client.submit_batch_stream([]))
    for method in ("WatchJob", "StreamResults", "SubmitBatchStream"):
        assert "timeout" not in calls[method], method
    client.close()
