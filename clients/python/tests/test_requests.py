"""Building requests: formats, priorities, tags, batch items, limits."""

from __future__ import annotations

import pytest

from arvak_grpc import JobPriority, JobState
from arvak_grpc import _convert as convert
from arvak_grpc import _requests as requests
from arvak_grpc import arvak_pb2 as pb


def test_circuit_formats_go_in_their_fields() -> None:
    assert convert.payload("OPENQASM 2.0;", "qasm2").WhichOneof("format") == "qasm3"
    assert convert.payload("{}", "json").arvak_ir_json == "{}"
    with pytest.raises(ValueError, match="invalid circuit format 'qasm4'"):
        convert.payload("x", "qasm4")
    with pytest.raises(TypeError, match="as text"):
        convert.payload(b"OPENQASM 3.0;", "qasm3")  # type: ignore[arg-type]


def test_priorities_by_enum_number_or_name() -> None:
    assert convert.priority("high") == pb.JOB_PRIORITY_HIGH
    assert convert.priority(JobPriority.LOW) == pb.JOB_PRIORITY_LOW
    assert convert.priority(None) == pb.JOB_PRIORITY_UNSPECIFIED
    with pytest.raises(ValueError, match="use one of low, normal, high"):
        convert.priority("urgent")
    with pytest.raises(ValueError, match="invalid priority 9"):
        convert.priority(9)


def test_tags_map_text_to_text() -> None:
    assert convert.tags({"a": "b"}) == {"a": "b"}
    with pytest.raises(TypeError, match="tags map text to text"):
        convert.tags({"a": 1})  # type: ignore[dict-item]


def test_every_submission_gets_its_own_key_unless_given() -> None:
    first = requests.submit("c", "sim", 10)
    second = requests.submit("c", "sim", 10)
    assert first.idempotency_key and first.idempotency_key != second.idempotency_key
    assert requests.submit("c", "sim", 10, idempotency_key="mine").idempotency_key == "mine"
    assert not requests.submit("c", "sim", 10).HasField("seed")
    assert requests.submit("c", "sim", 10, seed=0).seed == 0


def test_batch_items_are_pairs_or_mappings_and_say_which_is_wrong() -> None:
    batch = requests.batch([("a", 5), {"circuit": "b", "shots": 6, "priority": "low", "seed": 3}], "sim")
    assert [j.shots for j in batch.jobs] == [5, 6]
    assert batch.jobs[1].priority == pb.JOB_PRIORITY_LOW and batch.jobs[1].seed == 3
    with pytest.raises(ValueError, match="batch item 1 needs 'circuit'"):
        requests.batch([("a", 5), {"shots": 6}], "sim")
    with pytest.raises(ValueError, match="batch item 0 is a \\(circuit, shots\\) pair"):
        requests.batch(["just text"], "sim")  # type: ignore[list-item]
    with pytest.raises(TypeError, match="shots is a whole number"):
        requests.batch([("a", 1.5)], "sim")  # type: ignore[list-item]


def test_listing_checks_its_page_size_and_maps_the_state() -> None:
    request = requests.list_jobs(JobState.COMPLETED, None, {"k": "v"}, 10, None)
    assert request.state == pb.JOB_STATE_COMPLETED and request.page_size == 10 and dict(request.tags) == {"k": "v"}
    with pytest.raises(ValueError, match="page_size is 0"):
        requests.list_jobs(None, None, None, 5000, None)
