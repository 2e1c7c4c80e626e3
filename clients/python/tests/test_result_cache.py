"""Unit tests for arvak_grpc.result_cache (no server, no sleeping)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest

from arvak_grpc.exceptions import ArvakJobNotCompletedError
from arvak_grpc.result_cache import CachedClient, DiskCache, MemoryCache, TwoLevelCache
from arvak_grpc.types import JobResult


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def result(job_id: str, shots: int = 100) -> JobResult:
    return JobResult(job_id, {"00": shots // 2, "11": shots - shots // 2}, shots, 7, {"tags": ["a"]})


# ---------------------------------------------------------------------------
# MemoryCache
# ---------------------------------------------------------------------------


class TestMemoryCache:
    def test_put_get_and_stats(self) -> None:
        cache = MemoryCache()
        cache.put(result("a"))
        assert cache.get("a") == result("a")
        assert cache.get("missing") is None
        assert cache.stats() == {
            "hits": 1,
            "misses": 1,
            "hit_rate": 0.5,
            "size": 1,
            "max_size": 100,
            "evictions": 0,
        }

    def test_lru_eviction_order(self) -> None:
        cache = MemoryCache(max_size=3)
        for job_id in ("a", "b", "c"):
            cache.put(result(job_id))
        assert cache.get("a") is not None  # a is now the most recently used
        cache.put(result("d"))  # evicts b, the least recently used
        assert cache.job_ids() == ["c", "a", "d"]
        cache.put(result("c"))  # rewriting c makes it the most recent
        cache.put(result("e"))  # evicts a
        assert cache.job_ids() == ["d", "c", "e"]
        assert cache.get("b") is None and cache.get("a") is None
        assert cache.stats()["evictions"] == 2
        assert cache.size() == 3

    def test_ttl_expiry(self) -> None:
        clock = FakeClock()
        cache = MemoryCache(ttl=10, clock=clock)
        cache.put(result("a"))
        clock.advance(9.999)
        assert cache.get("a") is not None
        clock.advance(0.001)  # exactly ttl after storing
        assert cache.get("a") is None
        assert cache.size() == 0  # the expired entry was dropped

    def test_rewrite_restarts_ttl(self) -> None:
        clock = FakeClock()
        cache = MemoryCache(ttl=10, clock=clock)
        cache.put(result("a"))
        clock.advance(8)
        cache.put(result("a"))
        clock.advance(8)
        assert cache.get("a") is not None

    def test_evict_expired(self) -> None:
        clock = FakeClock()
        cache = MemoryCache(ttl=10, clock=clock)
        cache.put(result("old"))
        clock.advance(6)
        cache.put(result("new"))
        clock.advance(5)
        assert cache.evict_expired() == 1
        assert cache.job_ids() == ["new"]
        assert MemoryCache().evict_expired() == 0

    def test_holds_copies(self) -> None:
        cache = MemoryCache()
        original = result("a")
        cache.put(original)
        original.counts["00"] = 0
        assert original.metadata is not None
        original.metadata["tags"].append("changed")
        got = cache.get("a")
        assert got == result("a")
        assert got is not None and got.metadata is not None
        got.counts.clear()
        got.metadata["tags"].clear()
        assert cache.get("a") == result("a")

    def test_remove_and_clear(self) -> None:
        cache = MemoryCache()
        cache.put(result("a"))
        cache.get("a")
        assert cache.remove("a") is True
        assert cache.remove("a") is False
        cache.put(result("b"))
        cache.clear()
        assert cache.size() == 0 and cache.stats()["hits"] == 0

    def test_bad_arguments(self) -> None:
        with pytest.raises(ValueError, match="max_size"):
            MemoryCache(max_size=0)
        with pytest.raises(ValueError, match="ttl"):
            MemoryCache(ttl=0)
        with pytest.raises(TypeError):
            MemoryCache().put({"job_id": "a"})  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="negative"):
            MemoryCache().put(JobResult("a", {"0": -1}, 1))
        with pytest.raises(TypeError):
            MemoryCache().get(42)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# DiskCache
# ---------------------------------------------------------------------------


@pytest.fixture(params=["json", "parquet"])
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class TestDiskCache:
    def test_round_trip_and_persistence(self, tmp_path: Path, fmt: str) -> None:
        cache = DiskCache(tmp_path / "c", format=fmt)
        assert not (tmp_path / "c").exists()  # created on first write
        cache.put(result("a"))
        cache.put(JobResult("empty", {}, 0))
        assert cache.get("a") == result("a")
        reopened = DiskCache(tmp_path / "c", format=fmt)
        assert reopened.get("a") == result("a")
        assert reopened.get("empty") == JobResult("empty", {}, 0)
        assert reopened.get("missing") is None
        assert reopened.size() == 2
        assert reopened.disk_usage() > 0
        stats = reopened.stats()
        assert (stats["hits"], stats["misses"], stats["size"]) == (2, 1, 2)

    def test_ttl_expiry(self, tmp_path: Path, fmt: str) -> None:
        clock = FakeClock()
        cache = DiskCache(tmp_path, format=fmt, ttl=60, clock=clock)
        cache.put(result("a"))
        clock.advance(59.5)
        assert cache.get("a") is not None
        clock.advance(0.5)
        assert cache.get("a") is None
        assert cache.size() == 0  # the expired file was removed

    def test_evict_expired(self, tmp_path: Path) -> None:
        clock = FakeClock()
        cache = DiskCache(tmp_path, ttl=60, clock=clock)
        cache.put(result("old"))
        clock.advance(30)
        cache.put(result("new"))
        clock.advance(40)
        assert cache.evict_expired() == 1
        assert cache.get("old") is None and cache.get("new") is not None

    def test_any_job_id_stays_inside_the_directory(self, tmp_path: Path) -> None:
        cache_dir = tmp_path / "cache"
        cache = DiskCache(cache_dir)
        nasty = "../../etc/passwd\x00?*"
        cache.put(JobResult(nasty, {"1": 1}, 1))
        assert cache.get(nasty) == JobResult(nasty, {"1": 1}, 1)
        files = [p for p in tmp_path.rglob("*") if p.is_file()]
        assert len(files) == 1 and cache_dir in files[0].parents

    def test_corrupt_entry_is_a_logged_miss(self, tmp_path: Path, fmt: str, caplog: pytest.LogCaptureFixture) -> None:
        cache = DiskCache(tmp_path, format=fmt)
        cache.put(result("a"))
        (entry,) = [p for p in tmp_path.rglob(f"*.{fmt}")]
        entry.write_bytes(b"garbage")
        with caplog.at_level(logging.WARNING):
            assert cache.get("a") is None
        assert "unreadable cache entry" in caplog.text
        assert not entry.exists()

    def test_remove_and_clear_leave_other_files(self, tmp_path: Path) -> None:
        cache = DiskCache(tmp_path)
        cache.put(result("a"))
        cache.put(result("b"))
        (tmp_path / "notes.txt").write_text("keep me")
        assert cache.remove("a") is True
        assert cache.remove("a") is False
        cache.clear()
        assert cache.size() == 0
        assert (tmp_path / "notes.txt").read_text() == "keep me"

    def test_no_temporary_files_left(self, tmp_path: Path, fmt: str) -> None:
        cache = DiskCache(tmp_path, format=fmt)
        for i in range(3):
            cache.put(result(f"j{i}", 10 + i))
        names = [p.name for p in tmp_path.rglob("*") if p.is_file()]
        assert len(names) == 3 and not any(n.startswith(".tmp") for n in names)

    def test_bad_arguments(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="format"):
            DiskCache(tmp_path, format="pickle")
        with pytest.raises(ValueError, match="ttl"):
            DiskCache(tmp_path, ttl=-1)

    def test_parquet_without_pyarrow_names_the_extra(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        import sys

        monkeypatch.setitem(sys.modules, "pyarrow", None)
        with pytest.raises(ImportError, match=r"pip install 'arvak-grpc\[arrow\]'"):
            DiskCache(tmp_path, format="parquet")


# ---------------------------------------------------------------------------
# TwoLevelCache
# ---------------------------------------------------------------------------


class TestTwoLevelCache:
    def test_writes_both_and_promotes_from_disk(self, tmp_path: Path, fmt: str) -> None:
        first = TwoLevelCache(memory_size=2, cache_dir=tmp_path, format=fmt)
        first.put(result("a"))
        assert first.l1.job_ids() == ["a"] and first.l2.size() == 1

        second = TwoLevelCache(memory_size=2, cache_dir=tmp_path, format=fmt)
        assert second.get("a") == result("a")  # L1 miss, L2 hit
        assert second.l1.job_ids() == ["a"]  # promoted
        assert second.get("a") == result("a")  # now an L1 hit
        stats = second.stats()
        assert (stats["l1"]["hits"], stats["l1"]["misses"]) == (1, 1)
        assert (stats["l2"]["hits"], stats["l2"]["size"]) == (1, 1)
        assert stats["l2"]["disk_usage_bytes"] > 0

    def test_memory_overflow_still_served_from_disk(self, tmp_path: Path) -> None:
        cache = TwoLevelCache(memory_size=1, cache_dir=tmp_path)
        cache.put(result("a"))
        cache.put(result("b"))
        assert cache.l1.job_ids() == ["b"]
        assert cache.get("a") == result("a")

    def test_remove_clear_and_expiry(self, tmp_path: Path) -> None:
        clock = FakeClock()
        cache = TwoLevelCache(cache_dir=tmp_path, memory_ttl=10, disk_ttl=100, clock=clock)
        cache.put(result("a"))
        cache.put(result("b"))
        assert cache.remove("a") is True and cache.remove("a") is False
        clock.advance(50)
        assert cache.evict_expired() == {"l1_evicted": 1, "l2_evicted": 0}
        assert cache.get("b") is not None  # from disk again
        cache.clear()
        assert cache.get("b") is None


# ---------------------------------------------------------------------------
# CachedClient
# ---------------------------------------------------------------------------


class FakeClient:
    """Stands in for ArvakClient: counts calls, can expire results."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.expired: set[str] = set()
        self.backend = "simulator"

    def get_job_result(self, job_id: str) -> JobResult:
        self.calls.append(("get_job_result", job_id))
        if job_id in self.expired:
            raise ArvakJobNotCompletedError(f"job {job_id} completed, but its result was purged by retention")
        return result(job_id)

    def wait_for_job(self, job_id: str, timeout: float | None = None) -> JobResult:
        self.calls.append(("wait_for_job", job_id))
        return result(job_id)

    def submit_qasm(self, qasm: str, backend: str, shots: int = 1000) -> str:
        return f"job-for-{backend}-{shots}"


class TestCachedClient:
    def test_second_call_is_served_from_cache(self) -> None:
        client = FakeClient()
        cached = CachedClient(client, cache=MemoryCache())
        assert cached.get_job_result("a") == result("a")
        assert cached.get_job_result("a") == result("a")
        assert client.calls == [("get_job_result", "a")]
        assert cached.cache_stats()["hits"] == 1

    def test_cached_result_survives_server_expiry(self) -> None:
        client = FakeClient()
        cached = CachedClient(client, cache=MemoryCache())
        cached.get_job_result("a")
        client.expired.add("a")
        assert cached.get_job_result("a") == result("a")
        client.expired.add("b")
        with pytest.raises(ArvakJobNotCompletedError, match="purged"):
            cached.get_job_result("b")

    def test_auto_cache_off_serves_only_explicit_puts(self) -> None:
        client = FakeClient()
        cached = CachedClient(client, cache=MemoryCache(), auto_cache=False)
        cached.get_job_result("a")
        cached.get_job_result("a")
        assert len(client.calls) == 2
        cached.cache.put(result("a"))
        cached.get_job_result("a")
        assert len(client.calls) == 2

    def test_wait_for_job_caches_and_reads_cache_first(self) -> None:
        client = FakeClient()
        cached = CachedClient(client, cache=MemoryCache())
        assert cached.wait_for_job("w", timeout=5) == result("w")
        assert cached.wait_for_job("w") == result("w")
        assert cached.get_job_result("w") == result("w")
        assert client.calls == [("wait_for_job", "w")]

    def test_other_attributes_are_the_clients(self) -> None:
        cached = CachedClient(FakeClient(), cache=MemoryCache())
        assert cached.submit_qasm("OPENQASM 3.0;", "sim", shots=10) == "job-for-sim-10"
        assert cached.backend == "simulator"
        with pytest.raises(AttributeError):
            cached.no_such_method()

    def test_non_result_from_client_is_refused(self) -> None:
        class AsyncLike(FakeClient):
            def get_job_result(self, job_id: str) -> Any:
                return object()

        cached = CachedClient(AsyncLike(), cache=MemoryCache())
        with pytest.raises(TypeError, match="synchronous"):
            cached.get_job_result("a")
        assert cached.cache.get("a") is None

    def test_default_cache_is_two_level(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        cached = CachedClient(FakeClient())
        assert isinstance(cached.cache, TwoLevelCache)
        cached.get_job_result("a")
        cached.get_job_result("a")
        assert cached.cache_stats()["l1"]["hit_rate"] == 0.5
        assert os.path.isdir(tmp_path / ".arvak_cache")

    def test_empty_cache_is_not_replaced(self) -> None:
        cache = MemoryCache()
        assert CachedClient(FakeClient(), cache=cache).cache is cache

    def test_bad_cache(self) -> None:
        with pytest.raises(TypeError, match="get"):
            CachedClient(FakeClient(), cache=object())  # type: ignore[arg-type]
