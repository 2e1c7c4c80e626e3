"""Many jobs through the batch manager: order, refusals in place, progress."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest

from arvak_grpc import ArvakClient, ArvakInvalidCircuitError
from arvak_grpc.batch_manager import BatchJobManager, BatchProgress, BatchStatus, print_progress_bar

from .conftest import BELL, Server, Unavailable


@pytest.fixture
def manager(server: Server) -> Any:
    with ArvakClient(server.address) as client, BatchJobManager(client, max_workers=4) as m:
        yield m


def test_results_come_back_in_input_order(manager: BatchJobManager, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("arvak_grpc.batch_manager.CHUNK", 7)  # several SubmitBatch calls
    circuits = [(BELL, 10 + i) for i in range(30)]
    seen: list[int] = []
    result = manager.execute_batch(circuits, "simulator", progress_callback=lambda p: seen.append(p.done))
    assert [r.shots for r in result.successful_results()] == [10 + i for i in range(30)]
    assert result.status is BatchStatus.COMPLETED and result.success_rate == 1.0
    assert seen == list(range(1, 31))


def test_a_refused_circuit_fails_in_its_place_and_the_rest_run(manager: BatchJobManager) -> None:
    circuits = [BELL, "OPENQASM 3.0;\nqubit[1] q;\nnope q[0];\n", BELL]
    result = manager.execute_batch(circuits, "simulator", shots=20)
    assert result.status is BatchStatus.PARTIAL and result.failed == 1
    assert result.results[0] is not None and result.results[2] is not None
    assert result.job_ids[1] is None and isinstance(result.errors[1], ArvakInvalidCircuitError)
    with pytest.raises(ArvakInvalidCircuitError):
        result.raise_first()


def test_map_gives_results_in_order_and_raises_in_place(manager: BatchJobManager) -> None:
    results = manager.map([(BELL, 3), (BELL, 4)], "simulator")
    assert [r.shots for r in results] == [3, 4]
    mapped = manager.map([(BELL, 3), ("bad", 4)], "simulator")
    assert next(mapped).shots == 3
    with pytest.raises(ArvakInvalidCircuitError):
        next(mapped)


def test_the_progress_bar_draws_counts() -> None:
    out = io.StringIO()
    progress = BatchProgress(total=4, success=2, failed=1)
    print_progress_bar(progress, width=8, file=out)
    assert out.getvalue().startswith("\r[######--] 3/4, 1 failed")
    progress.success = 3
    print_progress_bar(progress, width=8, file=out)
    assert out.getvalue().endswith("\n")


def test_a_broken_stream_loses_no_job_and_runs_none_twice(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stream breaks after a few answers (as when a connection drops):
    what it had not answered is submitted again under the same keys, so
    every circuit has its result and the server holds one job for each."""
    labels = {"test": uuid.uuid4().hex}
    with ArvakClient(server.address) as client, BatchJobManager(client) as manager:
        real = client.stub.SubmitBatchStream

        def breaking(requests: Any, **kwargs: Any) -> Any:
            call = real(requests, **kwargs)
            for n, answer in enumerate(call):
                if n == 12:  # some submitted, some completed, the rest unsent
                    call.cancel()
                    raise Unavailable()
                yield answer

        monkeypatch.setattr(client.stub, "SubmitBatchStream", breaking)
        result = manager.execute_batch([(BELL, 10 + i) for i in range(40)], "simulator", tags=labels)
        assert [r.shots for r in result.successful_results()] == [10 + i for i in range(40)]
        assert len(set(result.job_ids)) == 40
        assert sorted(j.job_id for j in client.iter_jobs(tags=labels)) == sorted(result.job_ids)
