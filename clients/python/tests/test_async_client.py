"""The asyncio client against a real server."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from arvak_grpc import ArvakJobNotFoundError, JobState
from arvak_grpc.async_client import AsyncArvakClient

from .conftest import BELL, Server


async def test_submits_waits_and_reports_progress(server: Server) -> None:
    async with AsyncArvakClient(server.address, pool_size=3) as client:
        seen: list[JobState] = []
        job_id = await client.submit_qasm(BELL, "simulator", 100)
        result = await client.wait_for_job(job_id, progress_callback=seen.append)
        assert sum(result.counts.values()) == 100 and set(result.counts) <= {"00", "11"}
        assert seen[-1] == JobState.COMPLETED and len(seen) == len(set(seen))


async def test_many_jobs_at_once_keep_their_order(server: Server) -> None:
    async with AsyncArvakClient(server.address) as client:
        ids = await asyncio.gather(*(client.submit_qasm(BELL, "simulator", 10 + i) for i in range(40)))
        results = await client.gather_results(ids, max_wait=120)
        assert [r.shots for r in results] == [10 + i for i in range(40)]


async def test_streams_and_listing(server: Server) -> None:
    labels = {"test": uuid.uuid4().hex}
    async with AsyncArvakClient(server.address) as client:
        job_id = await client.submit_qasm(BELL, "simulator", 64, tags=labels)
        states = [s async for s, _, _ in client.watch_job(job_id)]
        assert states[-1] == JobState.COMPLETED
        merged: dict[str, int] = {}
        async for counts, _, _, _ in client.stream_results(job_id, chunk_size=1):
            merged.update(counts)
        assert merged == (await client.get_job_result(job_id)).counts
        page = await client.list_jobs(tags=labels)
        assert [j.job_id for j in page.jobs] == [job_id] and page.next_page_token is None
        answers = [a async for a in client.submit_batch_stream([(BELL, "simulator", 8, "qasm3", "r1")])]
        assert [kind for _, _, kind, _ in answers] == ["submitted", "completed"]


async def test_errors_map_by_status_code(server: Server) -> None:
    async with AsyncArvakClient(server.address) as client:
        with pytest.raises(ArvakJobNotFoundError):
            await client.get_job_status(str(uuid.uuid4()))
        with pytest.raises(ValueError, match="pool"):
            AsyncArvakClient(server.address, pool_size=0)
