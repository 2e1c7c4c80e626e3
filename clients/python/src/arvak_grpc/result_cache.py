"""Caching job results in memory and on disk.

A completed job's result never changes, so it can be kept as long as
wanted; the server, though, purges results after its retention period
(the job turns RESULT_EXPIRED and GetJobResult fails). A cache keeps a
result past that. Only results are cached, never job states, which do
change.

- `MemoryCache`: least-recently-used entries in this process, optional TTL.
- `DiskCache`: one file per result (JSON, or Parquet with pyarrow),
  shared by processes and kept across runs, optional TTL.
- `TwoLevelCache`: a MemoryCache in front of a DiskCache.
- `CachedClient`: wraps a client so `get_job_result` answers from the
  cache when it can.

Caches store and hand out copies, so changing a result you got from one
(or put into one) never changes what the cache holds. TTLs count from
when a level stored the entry; clocks are injectable for testing.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, Union

from .dataframe_integration import _checked_counts, _missing_extra
from .result_export import ResultExporter, _result_from_record, _result_to_record
from .types import JobResult

__all__ = ["CachedClient", "DiskCache", "MemoryCache", "ResultCache", "TwoLevelCache"]

_log = logging.getLogger(__name__)

Clock = Callable[[], float]
PathLike = Union[str, os.PathLike[str]]
_FORMATS = ("json", "parquet")


class ResultCache(Protocol):
    """What `CachedClient` needs of a cache."""

    def get(self, job_id: str) -> JobResult | None: ...

    def put(self, result: JobResult) -> None: ...


class _ResultSource(Protocol):
    """What `CachedClient` needs of a client."""

    def get_job_result(self, job_id: str) -> JobResult: ...


def _copy(result: JobResult) -> JobResult:
    """A copy of `result` sharing no mutable state with it."""
    return dataclasses.replace(result, counts=dict(result.counts), metadata=copy.deepcopy(result.metadata))


def _checked_for_cache(result: object) -> JobResult:
    """`result` when it is a well-formed JobResult, else a clear error."""
    if not isinstance(result, JobResult):
        raise TypeError(f"only JobResults can be cached, got {type(result).__name__}")
    _checked_counts(result)
    return result


def _checked_job_id(job_id: object) -> str:
    if not isinstance(job_id, str):
        raise TypeError(f"job_id must be a string, got {type(job_id).__name__}")
    return job_id


def _checked_ttl(ttl: object, name: str = "ttl") -> float | None:
    """None, or a positive number of seconds."""
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)):
        raise TypeError(f"{name} must be a number of seconds or None, got {type(ttl).__name__}")
    if not ttl > 0:
        raise ValueError(f"{name} must be > 0 seconds (or None for no expiry), got {ttl!r}")
    return float(ttl)


def _hit_rate(hits: int, misses: int) -> float:
    return hits / (hits + misses) if hits + misses else 0.0


# ---------------------------------------------------------------------------
# Memory
# ---------------------------------------------------------------------------


@dataclasses.dataclass
class _Entry:
    result: JobResult
    stored_at: float


class MemoryCache:
    """An in-process LRU cache of results, keyed by job id; thread-safe.

    Holds at most `max_size` results, dropping the least recently used
    (read or written) to make room. With `ttl` (seconds), an entry
    expires that long after it was stored. `clock` (monotonic by default)
    is what TTLs are measured on.
    """

    def __init__(
        self,
        max_size: int = 100,
        ttl: float | None = None,
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        if isinstance(max_size, bool) or not isinstance(max_size, int):
            raise TypeError(f"max_size must be an int, got {type(max_size).__name__}")
        if max_size < 1:
            raise ValueError(f"max_size must be >= 1, got {max_size}")
        self.max_size = max_size
        self.ttl = _checked_ttl(ttl)
        self._clock = clock
        self._lock = threading.RLock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._hits = 0
        self._misses = 0
        self._evictions = 0

    def _expired(self, entry: _Entry, now: float) -> bool:
        return self.ttl is not None and now - entry.stored_at >= self.ttl

    def get(self, job_id: str) -> JobResult | None:
        """A copy of the cached result, or None when absent or expired
        (an expired entry is dropped). Marks the entry most recently used."""
        _checked_job_id(job_id)
        with self._lock:
            entry = self._entries.get(job_id)
            if entry is not None and self._expired(entry, self._clock()):
                del self._entries[job_id]
                entry = None
            if entry is None:
                self._misses += 1
                return None
            self._entries.move_to_end(job_id)
            self._hits += 1
            return _copy(entry.result)

    def put(self, result: JobResult) -> None:
        """Stores a copy of `result` as the most recently used entry
        (replacing and re-timing any entry of that job), dropping the
        least recently used one if the cache is full."""
        stored = _copy(_checked_for_cache(result))
        with self._lock:
            self._entries.pop(stored.job_id, None)
            while len(self._entries) >= self.max_size:
                self._entries.popitem(last=False)
                self._evictions += 1
            self._entries[stored.job_id] = _Entry(stored, self._clock())

    def remove(self, job_id: str) -> bool:
        """Drops a job's entry; whether there was one."""
        with self._lock:
            return self._entries.pop(_checked_job_id(job_id), None) is not None

    def clear(self) -> None:
        """Drops every entry and resets the statistics."""
        with self._lock:
            self._entries.clear()
            self._hits = self._misses = self._evictions = 0

    def size(self) -> int:
        """How many entries are held (expired ones not yet dropped too)."""
        with self._lock:
            return len(self._entries)

    def job_ids(self) -> list[str]:
        """The cached job ids, least recently used first."""
        with self._lock:
            return list(self._entries)

    def stats(self) -> dict[str, Any]:
        """hits, misses, hit_rate, size, max_size, and evictions (entries
        dropped to make room)."""
        with self._lock:
            return {
                "hits": self._hits,
                "misses": self._misses,
                "hit_rate": _hit_rate(self._hits, self._misses),
                "size": len(self._entries),
                "max_size": self.max_size,
                "evictions": self._evictions,
            }

    def evict_expired(self) -> int:
        """Drops every expired entry; how many were dropped."""
        with self._lock:
            now = self._clock()
            expired = [k for k, e in self._entries.items() if self._expired(e, now)]
            for job_id in expired:
                del self._entries[job_id]
            return len(expired)


# ---------------------------------------------------------------------------
# Disk
# ---------------------------------------------------------------------------


class DiskCache:
    """Results kept as files under `cache_dir`, one per job, so they
    outlive the process and can be shared between processes.

    `format` is "json" (readable, no dependencies) or "parquet" (needs
    pyarrow). Files are named by a hash of the job id (any id is safe as
    a file name) and written atomically; an unreadable file is logged,
    removed and treated as a miss. An entry's file modification time is
    when it was stored: with `ttl` (seconds) it expires that long after.
    `clock` (wall-clock `time.time` by default, as the times are shared
    through the file system) is what TTLs are measured on.

    The directory is created on the first `put`.
    """

    def __init__(
        self,
        cache_dir: PathLike,
        format: str = "json",
        ttl: float | None = None,
        *,
        clock: Clock = time.time,
    ) -> None:
        if format not in _FORMATS:
            raise ValueError(f"format must be 'json' or 'parquet', got {format!r}")
        if format == "parquet":
            try:
                import pyarrow  # noqa: F401
            except ImportError as err:
                raise _missing_extra("pyarrow", "arrow", "a Parquet disk cache") from err
        self.cache_dir = Path(cache_dir)
        self.format = format
        self.ttl = _checked_ttl(ttl)
        self._clock = clock
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    def _path(self, job_id: str) -> Path:
        digest = hashlib.sha256(job_id.encode("utf-8")).hexdigest()
        return self.cache_dir / digest[:2] / f"{digest}.{self.format}"

    def _entry_paths(self) -> Iterator[Path]:
        """Every entry file of this cache's format."""
        if not self.cache_dir.is_dir():
            return iter(())
        return self.cache_dir.glob(f"[0-9a-f][0-9a-f]/{'[0-9a-f]' * 64}.{self.format}")

    def _is_expired(self, path: Path) -> bool:
        return self.ttl is not None and self._clock() - path.stat().st_mtime >= self.ttl

    def _count(self, hit: bool) -> None:
        with self._lock:
            if hit:
                self._hits += 1
            else:
                self._misses += 1

    def get(self, job_id: str) -> JobResult | None:
        """The cached result, or None when absent, expired (the file is
        removed) or unreadable (logged and removed)."""
        path = self._path(_checked_job_id(job_id))
        try:
            if self._is_expired(path):
                path.unlink(missing_ok=True)
                self._count(hit=False)
                return None
            result = self._read(path)
        except FileNotFoundError:
            self._count(hit=False)
            return None
        except (OSError, ValueError, TypeError, KeyError) as err:
            _log.warning("dropping unreadable cache entry %s for job %r: %s", path, job_id, err)
            path.unlink(missing_ok=True)
            self._count(hit=False)
            return None
        if result.job_id != job_id:
            _log.warning("dropping cache entry %s: it holds job %r, not %r", path, result.job_id, job_id)
            path.unlink(missing_ok=True)
            self._count(hit=False)
            return None
        self._count(hit=True)
        return result

    def _read(self, path: Path) -> JobResult:
        if self.format == "json":
            with open(path, encoding="utf-8") as f:
                return _result_from_record(json.load(f), str(path))
        results = ResultExporter.from_parquet(path)
        if len(results) != 1:
            raise ValueError(f"holds {len(results)} results, not 1")
        return results[0]

    def put(self, result: JobResult) -> None:
        """Writes `result` (replacing any entry of that job), atomically:
        a reader sees the old file or the new one, never half of one."""
        result = _checked_for_cache(result)
        path = self._path(result.job_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix="." + self.format)
        try:
            os.close(fd)
            self._write(result, temporary)
            now = self._clock()
            os.utime(temporary, (now, now))
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _write(self, result: JobResult, path: str) -> None:
        if self.format == "json":
            text = json.dumps(_result_to_record(result))
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        else:
            ResultExporter.to_parquet(result, path, compression="snappy")

    def remove(self, job_id: str) -> bool:
        """Deletes a job's entry; whether there was one."""
        path = self._path(_checked_job_id(job_id))
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def clear(self) -> None:
        """Deletes every entry of this cache's format and resets the
        statistics; other files under `cache_dir` are left alone."""
        for path in list(self._entry_paths()):
            path.unlink(missing_ok=True)
        with self._lock:
            self._hits = self._misses = 0

    def size(self) -> int:
        """How many entries are on disk (expired ones not yet removed too)."""
        return sum(1 for _ in self._entry_paths())

    def disk_usage(self) -> int:
        """The entries' total size in bytes."""
        total = 0
        for path in self._entry_paths():
            try:
                total += path.stat().st_size
            except FileNotFoundError:
                continue
        return total

    def evict_expired(self) -> int:
        """Deletes every expired entry; how many were deleted."""
        if self.ttl is None:
            return 0
        evicted = 0
        for path in list(self._entry_paths()):
            try:
                if self._is_expired(path):
                    path.unlink()
                    evicted += 1
            except FileNotFoundError:
                continue
        return evicted

    def stats(self) -> dict[str, Any]:
        """hits, misses, hit_rate, size and disk_usage_bytes."""
        with self._lock:
            hits, misses = self._hits, self._misses
        return {
            "hits": hits,
            "misses": misses,
            "hit_rate": _hit_rate(hits, misses),
            "size": self.size(),
            "disk_usage_bytes": self.disk_usage(),
        }


# ---------------------------------------------------------------------------
# Both
# ---------------------------------------------------------------------------


class TwoLevelCache:
    """A `MemoryCache` (L1, `l1`) in front of a `DiskCache` (L2, `l2`).

    Reads try L1, then L2, copying an L2 hit into L1; writes go to both.
    `clock`, when given, is used by both levels (for tests); by default
    L1 uses a monotonic clock and L2 the wall clock.
    """

    def __init__(
        self,
        memory_size: int = 100,
        cache_dir: PathLike = ".arvak_cache",
        format: str = "json",
        memory_ttl: float | None = None,
        disk_ttl: float | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.l1 = MemoryCache(memory_size, memory_ttl, clock=clock or time.monotonic)
        self.l2 = DiskCache(cache_dir, format, disk_ttl, clock=clock or time.time)

    def get(self, job_id: str) -> JobResult | None:
        """The result from L1, else from L2 (then kept in L1), else None."""
        result = self.l1.get(job_id)
        if result is None:
            result = self.l2.get(job_id)
            if result is not None:
                self.l1.put(result)
        return result

    def put(self, result: JobResult) -> None:
        """Stores `result` in both levels."""
        self.l2.put(result)
        self.l1.put(result)

    def remove(self, job_id: str) -> bool:
        """Drops a job from both levels; whether either had it."""
        in_l1 = self.l1.remove(job_id)
        in_l2 = self.l2.remove(job_id)
        return in_l1 or in_l2

    def clear(self) -> None:
        """Empties both levels."""
        self.l1.clear()
        self.l2.clear()

    def stats(self) -> dict[str, Any]:
        """{'l1': MemoryCache stats, 'l2': DiskCache stats}."""
        return {"l1": self.l1.stats(), "l2": self.l2.stats()}

    def evict_expired(self) -> dict[str, int]:
        """Drops expired entries from both: {'l1_evicted', 'l2_evicted'}."""
        return {"l1_evicted": self.l1.evict_expired(), "l2_evicted": self.l2.evict_expired()}


# ---------------------------------------------------------------------------
# Client
# ---------------------------------------------------------------------------


class CachedClient:
    """A client whose results come from a cache when it has them.

    Wraps any client with `get_job_result(job_id) -> JobResult` (for
    example `ArvakClient`); every other attribute is the wrapped
    client's. With `auto_cache` (the default) each result fetched is
    stored; without it only what you `cache.put` yourself is served.
    `cache` defaults to `TwoLevelCache()`, whose disk level is the
    directory `.arvak_cache` (created on the first write).

    A cached result stays available after the server has purged it (the
    job is then RESULT_EXPIRED and the server has no result to give).
    """

    def __init__(
        self,
        client: _ResultSource,
        cache: ResultCache | None = None,
        auto_cache: bool = True,
    ) -> None:
        if cache is None:
            cache = TwoLevelCache()
        elif not (callable(getattr(cache, "get", None)) and callable(getattr(cache, "put", None))):
            raise TypeError(f"cache must have get(job_id) and put(result); got {type(cache).__name__}")
        self.client = client
        self.cache = cache
        self.auto_cache = auto_cache

    def __getattr__(self, name: str) -> Any:
        # Only reached for names CachedClient lacks; `client` itself is
        # excluded so a half-built instance (say, while unpickling) fails
        # plainly instead of recursing.
        if name == "client":
            raise AttributeError(name)
        return getattr(self.client, name)

    def get_job_result(self, job_id: str, **kwargs: Any) -> JobResult:
        """The job's result from the cache, else from the client (then
        cached when `auto_cache`). The client's errors pass through,
        among them the one for a job whose result has expired."""
        cached = self.cache.get(job_id)
        if cached is not None:
            return cached
        result = self.client.get_job_result(job_id, **kwargs)
        return self._fetched(result, "get_job_result")

    def wait_for_job(self, job_id: str, **kwargs: Any) -> Any:
        """The job's result: at once from the cache (a cached result
        means the job completed), else the client's `wait_for_job(job_id,
        **kwargs)`, whose result is cached when `auto_cache`."""
        cached = self.cache.get(job_id)
        if cached is not None:
            return cached
        outcome = self.client.wait_for_job(job_id, **kwargs)  # type: ignore[attr-defined]
        if isinstance(outcome, JobResult) and self.auto_cache:
            self.cache.put(outcome)
        return outcome

    def _fetched(self, result: object, call: str) -> JobResult:
        """A result the client returned, cached when `auto_cache`; a
        TypeError when it is not a JobResult (an async client's
        coroutine, say), which would otherwise be cached as garbage."""
        if not isinstance(result, JobResult):
            raise TypeError(
                f"the wrapped client's {call} returned {type(result).__name__}, not a "
                "JobResult; CachedClient wraps synchronous clients"
            )
        if self.auto_cache:
            self.cache.put(result)
        return result

    def cache_stats(self) -> dict[str, Any]:
        """The cache's `stats()` ({} for a cache without one)."""
        stats = getattr(self.cache, "stats", None)
        return dict(stats()) if callable(stats) else {}
