"""Futures the server pushes: many at once on one thread, callbacks outside
locks, cancellation, and the module's as_completed and wait."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from arvak_grpc import ArvakClient, CancelledError, JobFuture, JobState, as_completed, wait

from .conftest import BELL, Server
from .test_client import queued_then_canceled


@pytest.fixture
def client(server: Server) -> Any:
    with ArvakClient(server.address) as c:
        yield c


def test_a_future_gives_the_result(client: ArvakClient) -> None:
    future = client.submit_qasm_future(BELL, "simulator", 200)
    result = future.result(timeout=60)
    assert sum(result.counts.values()) == 200 and future.done() and not future.cancelled()
    assert future.exception() is None and future.state == JobState.COMPLETED


def test_a_callback_on_a_finished_future_may_ask_for_its_result(client: ArvakClient) -> None:
    """The old client ran callbacks under the lock `result()` takes, so
    this deadlocked."""
    future = client.submit_qasm_future(BELL, "simulator", 20)
    future.result(timeout=60)
    seen: list[int] = []
    done = threading.Event()

    def callback(f: JobFuture) -> None:
        seen.append(sum(f.result().counts.values()))
        done.set()

    future.add_done_callback(callback)
    assert done.wait(5) and seen == [20]


def test_a_callback_added_early_runs_once_the_job_ends(client: ArvakClient) -> None:
    future = client.submit_qasm_future(BELL, "simulator", 30)
    ended = threading.Event()
    future.add_done_callback(lambda f: ended.set())
    assert ended.wait(60) and future.done()


def test_hundreds_of_futures_share_one_thread(client: ArvakClient) -> None:
    before = threading.active_count()
    futures = client.submit_batch_future([(BELL, 10 + i % 7) for i in range(300)], "simulator")
    during = threading.active_count()
    finished = list(as_completed(futures, timeout=120))
    assert sorted(map(id, finished)) == sorted(map(id, futures))
    assert [sum(f.result().counts.values()) for f in futures] == [10 + i % 7 for i in range(300)]
    # The client's watcher is one thread (grpc's own pool aside), however
    # many futures follow their jobs.
    assert during - before <= 3, (before, during)


def test_a_canceled_job_ends_its_future_cancelled(client: ArvakClient) -> None:
    future = JobFuture(client, queued_then_canceled(client))
    with pytest.raises(CancelledError):
        future.result(timeout=120)
    assert future.cancelled() and isinstance(future.exception(), CancelledError)


def test_wait_returns_when_the_first_is_done(client: ArvakClient) -> None:
    futures = client.submit_batch_future([(BELL, 10)] * 3, "simulator")
    done, _ = wait(futures, timeout=60, return_when="FIRST_COMPLETED")
    assert len(done) >= 1 and all(f.done() for f in done)
    done, pending = wait(futures, timeout=60)
    assert len(done) == 3 and not pending
    with pytest.raises(ValueError, match="return_when"):
        wait(futures, return_when="SOMETIMES")


def test_a_future_links_to_a_standard_future(client: ArvakClient) -> None:
    future = client.submit_qasm_future(BELL, "simulator", 40).as_concurrent_future()
    assert sum(future.result(timeout=60).counts.values()) == 40
