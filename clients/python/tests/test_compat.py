"""Code written for arvak_grpc 1.x runs unchanged: the usage its
documentation showed, against a real server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import matplotlib

from arvak_grpc import (
    ArvakClient,
    AsyncArvakClient,
    BatchJobManager,
    CachedClient,
    CircuitBreakerConfig,
    ConvergenceAnalyzer,
    JobState,
    ResilientClient,
    ResultComparator,
    ResultExporter,
    RetryPolicy,
    RetryStrategy,
    StatisticalAnalyzer,
    TwoLevelCache,
    Visualizer,
    as_completed,
    to_pandas,
)

from .conftest import Server

matplotlib.use("Agg")

# The 1.x examples' circuit: no classical bits, so every qubit is measured.
QASM = """
OPENQASM 3.0;
qubit[2] q;
h q[0];
cx q[0], q[1];
"""


def test_the_sync_client_as_1x_used_it(server: Server) -> None:
    client = ArvakClient(server.address)
    job_id = client.submit_qasm(QASM, "simulator", shots=1000)
    result = client.wait_for_job(job_id)
    assert set(result.counts) <= {"00", "11"}
    job = client.get_job_status(job_id)
    assert job.state == JobState.COMPLETED and JobState(job.state) is JobState.COMPLETED
    ids = client.submit_batch([(QASM, 100), (QASM, 200)], "simulator", format="qasm3")
    for state, _timestamp, _error in client.watch_job(ids[1]):
        if state == JobState.COMPLETED:
            break
    all_counts: dict[str, int] = {}
    for counts, is_final, _idx, _total in client.stream_results(ids[1]):
        all_counts.update(counts)
        if is_final:
            break
    assert sum(all_counts.values()) == 200
    client.close()


def test_futures_and_callbacks_as_1x_used_them(server: Server) -> None:
    client = ArvakClient(server.address)
    futures = [client.submit_qasm_future(QASM, "simulator", shots=1000) for _ in range(5)]
    for future in as_completed(futures):
        assert len(future.result().counts) <= 2
    done: list[str] = []
    future = client.submit_qasm_future(QASM, "simulator", shots=1000)
    future.add_done_callback(lambda f: done.append(f.job_id))
    future.result(timeout=60)
    future.add_done_callback(lambda f: done.append(f.job_id))
    assert done[-1] == future.job_id
    client.close()


def test_the_async_client_as_1x_used_it(server: Server) -> None:
    async def main() -> list[int]:
        client = AsyncArvakClient(server.address, pool_size=10)
        job_ids = await asyncio.gather(*[client.submit_qasm(QASM, "simulator", shots=1000) for _ in range(10)])
        results = await asyncio.gather(*[client.wait_for_job(job_id) for job_id in job_ids])
        await client.close()
        return [r.shots for r in results]

    assert asyncio.run(main()) == [1000] * 10


def test_resilience_as_1x_configured_it(server: Server) -> None:
    retry_policy = RetryPolicy(
        max_attempts=3, initial_backoff=1.0, backoff_multiplier=2.0, strategy=RetryStrategy.EXPONENTIAL_BACKOFF
    )
    circuit_breaker = CircuitBreakerConfig(failure_threshold=5, reset_timeout=60.0)
    base_client = ArvakClient(server.address)
    client = ResilientClient(base_client, retry_policy=retry_policy, circuit_breaker=circuit_breaker)
    result = client.submit_and_wait(QASM, "simulator", shots=1000)
    assert result.shots == 1000 and client.circuit_breaker.config.timeout == 60.0


def test_batches_as_1x_ran_them(server: Server) -> None:
    client = ArvakClient(server.address)
    manager = BatchJobManager(client, max_workers=10)
    circuits = [(QASM, 1000) for _ in range(50)]
    lines: list[str] = []

    def progress_callback(progress: object) -> None:
        p = progress
        lines.append(f"{p.completed}/{p.total} ({p.success} success, {p.failed} failed)")  # type: ignore[attr-defined]

    result = manager.execute_batch(circuits, backend_id="simulator", progress_callback=progress_callback)
    assert lines[-1] == "50/50 (50 success, 0 failed)"
    assert result.status.name == "COMPLETED" and result.total_time_seconds > 0 and result.jobs_per_second > 0
    manager.close()


def test_export_analysis_and_caching_as_1x_used_them(server: Server, tmp_path: Path) -> None:
    client = ArvakClient(server.address)
    job_id = client.submit_qasm(QASM, "simulator", shots=1000)
    result = client.wait_for_job(job_id)
    ResultExporter.to_parquet(result, str(tmp_path / "result.parquet"), compression="snappy")
    assert ResultExporter.from_parquet(str(tmp_path / "result.parquet"))[0].counts == result.counts
    df = to_pandas(result)
    assert int(df["count"].sum()) == 1000
    ideal_state = {"00": 0.5, "11": 0.5}
    assert 0.9 < StatisticalAnalyzer.entropy(result) <= 1.0
    assert StatisticalAnalyzer.fidelity_estimate(result, ideal_state) > 0.95
    other = client.wait_for_job(client.submit_qasm(QASM, "simulator", shots=1000))
    comparison = ResultComparator.compare(result, other)
    assert comparison.tvd < 0.1 and comparison.overlap > 0.9
    cached_client = CachedClient(client, cache=TwoLevelCache(memory_size=100, cache_dir=str(tmp_path / ".cache")))
    cached_client.get_job_result(job_id)
    cached_client.get_job_result(job_id)
    assert cached_client.cache_stats()["l1"]["hit_rate"] == 0.5
    fig, _axes = Visualizer.plot_distribution(result, max_states=20)
    fig.savefig(tmp_path / "distribution.png")
    runs = [client.wait_for_job(client.submit_qasm(QASM, "simulator", shots=n)) for n in (100, 1000, 10000)]
    analysis = ConvergenceAnalyzer.analyze_convergence(runs, target_state=ideal_state)
    assert len(analysis.entropies) == 3
