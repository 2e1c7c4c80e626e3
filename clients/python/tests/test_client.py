"""The synchronous client against a real server."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest

from arvak_grpc import (
    ArvakBackendNotFoundError,
    ArvakClient,
    ArvakInvalidCircuitError,
    ArvakJobFailedError,
    ArvakJobNotCompletedError,
    ArvakJobNotFoundError,
    JobPriority,
    JobState,
)
from arvak_grpc import arvak_pb2 as pb

from .conftest import BELL, Server, losing_first_answer


@pytest.fixture
def client(server: Server) -> Any:
    with ArvakClient(server.address) as c:
        yield c


def tag() -> dict[str, str]:
    return {"test": uuid.uuid4().hex}


def test_backends_are_listed_with_their_details(client: ArvakClient) -> None:
    backends = {b.backend_id: b for b in client.list_backends()}
    sim = backends["simulator"]
    assert sim.is_available and sim.max_qubits >= 20 and sim.max_shots > 0
    assert "cx" in sim.supported_gates
    assert client.get_backend_info("simulator") == sim


def test_a_bell_circuit_runs_and_its_counts_are_correlated(client: ArvakClient) -> None:
    job_id = client.submit_qasm(BELL, "simulator", shots=500)
    result = client.wait_for_job(job_id)
    assert result.job_id == job_id
    assert set(result.counts) <= {"00", "11"} and sum(result.counts.values()) == 500
    assert result.shots == 500
    job = client.get_job_status(job_id)
    assert job.state == JobState.COMPLETED and job.shots == 500 and job.completed_at is not None


def test_new_fields_travel_and_a_seed_repeats_the_counts(client: ArvakClient) -> None:
    labels = tag()
    first = client.submit(BELL, "simulator", 300, seed=7, tags=labels, priority="high")
    second = client.submit(BELL, "simulator", 300, seed=7, tags=labels, priority=JobPriority.LOW)
    assert client.wait_for_job(first).counts == client.wait_for_job(second).counts
    job = client.get_job_status(first)
    assert job.tags == labels and job.priority == JobPriority.HIGH
    assert client.get_job_status(second).priority == JobPriority.LOW


def test_the_same_idempotency_key_gives_the_first_job(client: ArvakClient) -> None:
    key = uuid.uuid4().hex
    assert client.submit_qasm(BELL, "simulator", 10, idempotency_key=key) == client.submit_qasm(
        BELL, "simulator", 10, idempotency_key=key
    )


def test_a_retried_submission_makes_one_job(client: ArvakClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first attempt reaches the server but its answer is lost (as when
    a connection drops): the retry carries the same key and gets the same
    job, so the server holds one job, not two."""
    labels = tag()
    sent: list[str] = []
    monkeypatch.setattr(client.stub, "SubmitJob", losing_first_answer(client.stub.SubmitJob, sent))
    job_id = client.submit_qasm(BELL, "simulator", 10, tags=labels)
    assert len(sent) == 2 and sent[0] == sent[1] and sent[0]
    assert [j.job_id for j in client.iter_jobs(tags=labels)] == [job_id]


def test_errors_are_chosen_by_status_code_and_what_the_call_named(client: ArvakClient) -> None:
    with pytest.raises(ArvakJobNotFoundError):
        client.get_job_status(str(uuid.uuid4()))
    with pytest.raises(ArvakBackendNotFoundError):
        client.submit_qasm(BELL, "no-such-backend", 10)
    with pytest.raises(ArvakBackendNotFoundError):
        client.get_backend_info("no-such-backend")
    with pytest.raises(ArvakInvalidCircuitError) as refused:
        client.submit_qasm("OPENQASM 3.0;\nqubit[2] q;\nfoo q[0];\n", "simulator", 10)
    assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "3" in refused.value.message  # says where: line 3
    with pytest.raises(ValueError, match="shots must be at least 1"):
        client.submit_qasm(BELL, "simulator", 0)


def heavy(qubits: int = 22, layers: int = 12) -> str:
    """A circuit slow enough to keep a worker busy for a while: layers of
    rotations and entanglers over 22 qubits that nothing simplifies."""
    lines = ["OPENQASM 3.0;", 'include "stdgates.inc";', f"qubit[{qubits}] q;"]
    for layer in range(layers):
        lines += [f"rx({0.1 + 0.01 * layer + 0.001 * i}) q[{i}];" for i in range(qubits)]
        lines += [f"cx q[{i}], q[{i + 1}];" for i in range(layer % 2, qubits - 1, 2)]
    return "\n".join(lines) + "\n"


def queued_then_canceled(client: ArvakClient) -> str:
    """A job canceled while it waits: a LOW job behind a backlog. The
    backlog is canceled too, so the tests that follow do not wait behind
    it (a debug server takes about 20 s a heavy job)."""
    backlog = client.submit_batch([(heavy(), 100)] * 4, "simulator")
    job_id = client.submit_qasm(BELL, "simulator", 10, priority="low")
    accepted, why = client.cancel_job(job_id)
    assert accepted, f"the cancel was refused: {why}"
    for other in backlog:
        client.cancel_job(other)
    return job_id


def test_a_canceled_job_has_no_result(client: ArvakClient) -> None:
    job_id = queued_then_canceled(client)
    with pytest.raises(ArvakJobFailedError, match="canceled") as ended:
        client.wait_for_job(job_id)
    assert ended.value.job is not None and ended.value.job.state == JobState.CANCELED
    with pytest.raises(ArvakJobNotCompletedError):
        client.get_job_result(job_id)


def test_a_batch_keeps_its_order(client: ArvakClient) -> None:
    shots = [11, 22, 33, 44, 55]
    ids = client.submit_batch([(BELL, n) for n in shots], "simulator")
    assert [client.wait_for_job(i).shots for i in ids] == shots
    ids = client.submit_batch([{"circuit": BELL, "shots": 5, "seed": 3}] * 2, "simulator")
    assert client.wait_for_job(ids[0]).counts == client.wait_for_job(ids[1]).counts


def test_watch_follows_the_job_to_its_end(client: ArvakClient) -> None:
    job_id = client.submit_qasm(BELL, "simulator", 100)
    states = [state for state, _, _ in client.watch_job(job_id)]
    assert states[-1] == JobState.COMPLETED
    assert all(not s.is_terminal for s in states[:-1])


def test_streamed_results_add_up_to_the_result(client: ArvakClient) -> None:
    ghz = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[6] q;\nbit[6] c;\nh q;\nc = measure q;\n'
    job_id = client.submit_qasm(ghz, "simulator", 2000)
    result = client.wait_for_job(job_id)
    chunks = list(client.stream_results(job_id, chunk_size=10))
    merged: dict[str, int] = {}
    for counts, _, _, _ in chunks:
        assert not set(counts) & set(merged)  # each outcome once
        merged.update(counts)
    assert merged == result.counts
    assert chunks[-1][1] and [c[2] for c in chunks] == list(range(len(chunks)))


def test_a_batch_stream_answers_each_submission_then_its_result(client: ArvakClient) -> None:
    items = [(BELL, "simulator", 50 + i, "qasm3", f"req-{i}") for i in range(4)]
    items.append(("not a circuit", "simulator", 10, "qasm3", "req-bad"))
    answers = list(client.submit_batch_stream(iter(items)))
    by_request: dict[str, list[str]] = {}
    for _, request_id, kind, _ in answers:
        by_request.setdefault(request_id, []).append(kind)
    for i in range(4):
        assert by_request[f"req-{i}"] == ["submitted", "completed"]
    assert by_request["req-bad"] == ["error"]
    errors = [data for _, r, kind, data in answers if kind == "error"]
    assert str(errors[0]).startswith("INVALID_ARGUMENT")


def test_jobs_are_listed_by_tag_page_by_page(client: ArvakClient) -> None:
    labels = tag()
    ids = [client.submit_qasm(BELL, "simulator", 5, tags=labels) for _ in range(5)]
    first = client.list_jobs(tags=labels, page_size=2)
    assert len(first.jobs) == 2 and first.next_page_token
    assert sorted(j.job_id for j in client.iter_jobs(tags=labels, page_size=2)) == sorted(ids)


def test_a_long_stream_of_small_submissions_is_read_without_a_break(client: ArvakClient) -> None:
    """Thousands of small submissions sent as fast as grpc can, straight
    through the stub (no window of the client's): the server must take
    them without cutting the connection. It once read one per store
    commit, and with hyper's default windows h2 sent GOAWAY
    `too_many_data_frames` once enough small frames lay unread."""
    n = 10_000
    items = (
        pb.BatchJobSubmission(
            circuit=pb.CircuitPayload(qasm3=BELL), backend_id="simulator", shots=5, client_request_id=str(i)
        )
        for i in range(n)
    )
    answers = client.stub.SubmitBatchStream(items)
    completed = {a.client_request_id for a in answers if a.WhichOneof("result") == "completed"}
    assert completed == {str(i) for i in range(n)}


def test_the_clients_batch_stream_keeps_its_order_of_answers(client: ArvakClient) -> None:
    items = ((BELL, "simulator", 5, "qasm3", str(i)) for i in range(2500))
    answers = list(client.submit_batch_stream(items))
    submitted = [r for _, r, kind, _ in answers if kind == "submitted"]
    assert submitted == [str(i) for i in range(2500)]  # answered in the order sent
    assert len([a for a in answers if a[2] == "completed"]) == 2500
