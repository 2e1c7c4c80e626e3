"""Writing job results to Arrow, Parquet, CSV and JSON, and reading them back.

The tabular formats (Arrow, Parquet, CSV) hold one row per outcome:
`job_id`, `bitstring`, `count`, `shots`, `probability` (and in Arrow and
Parquet `execution_time_ms`, null when unknown), rows sorted by bitstring
within each result and results in the order given.

Arrow and Parquet round trips are lossless: the schema metadata (key
`arvak_grpc.results`) also records each result's order, metadata and
whether it had no outcomes at all, so `from_arrow_table(to_arrow_table(rs))
== rs`. JSON is lossless too. CSV keeps the outcome rows only: it drops
`execution_time_ms`, `metadata` and results with nothing counted.

pyarrow is optional (`pip install 'arvak-grpc[arrow]'`), imported only by
the functions that need it.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Union

from .dataframe_integration import _checked_count, _checked_counts, _missing_extra
from .types import JobResult

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["BatchExporter", "ResultExporter", "get_parquet_metadata"]

PathLike = Union[str, os.PathLike[str]]
Results = Union[JobResult, Iterable[JobResult]]

#: Schema metadata key of the per-result records in Arrow/Parquet.
_RESULTS_KEY = b"arvak_grpc.results"
_RESULTS_FORMAT = 1
_CSV_COLUMNS = ("job_id", "bitstring", "count", "shots")


def _pyarrow() -> Any:
    """The pyarrow module, or the ImportError naming the extra."""
    try:
        import pyarrow
    except ImportError as err:
        raise _missing_extra("pyarrow", "arrow", "Arrow and Parquet export") from err
    return pyarrow


def _parquet() -> Any:
    """The pyarrow.parquet module, or the ImportError naming the extra."""
    _pyarrow()
    import pyarrow.parquet

    return pyarrow.parquet


def _as_list(results: object) -> list[JobResult]:
    """One result or an iterable of them, as a list; TypeError otherwise."""
    if isinstance(results, JobResult):
        return [results]
    if isinstance(results, (str, bytes, Mapping)) or not isinstance(results, Iterable):
        raise TypeError(f"expected a JobResult or a list of them, got {type(results).__name__}")
    items = list(results)
    for item in items:
        if not isinstance(item, JobResult):
            raise TypeError(f"expected JobResults, got a {type(item).__name__}")
    return items


def _require_unique_ids(results: list[JobResult], target: str) -> None:
    """ValueError when two results share a job id: rows keyed by job id
    could not be told apart when read back."""
    seen: set[str] = set()
    for result in results:
        if result.job_id in seen:
            raise ValueError(
                f"job {result.job_id!r} appears twice; {target} identifies results by job_id, so each must be distinct"
            )
        seen.add(result.job_id)


def _json_text(value: object, what: str) -> str:
    """`value` as JSON, or a TypeError saying which value was not JSON."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{what} is not JSON-serializable: {err}") from None


# ---------------------------------------------------------------------------
# Records: a result as a plain dict (JSON and the disk cache use these)
# ---------------------------------------------------------------------------


def _result_to_record(result: JobResult) -> dict[str, Any]:
    """A result as a JSON-ready dict; TypeError on non-JSON metadata."""
    record = {
        "job_id": result.job_id,
        "counts": _checked_counts(result),
        "shots": result.shots,
        "execution_time_ms": result.execution_time_ms,
        "metadata": result.metadata,
    }
    _json_text(result.metadata, f"the metadata of job {result.job_id!r}")
    return record


def _result_from_record(record: object, where: str) -> JobResult:
    """A result from a dict as `_result_to_record` writes it; ValueError
    or TypeError naming `where` and the field when it is malformed."""
    if not isinstance(record, Mapping):
        raise ValueError(f"{where}: expected an object, got {type(record).__name__}")
    missing = [key for key in ("job_id", "counts", "shots") if key not in record]
    if missing:
        raise ValueError(f"{where}: missing field(s) {', '.join(missing)}")
    job_id = record["job_id"]
    if not isinstance(job_id, str):
        raise ValueError(f"{where}: job_id must be a string, got {job_id!r}")
    counts = record["counts"]
    if not isinstance(counts, Mapping):
        raise ValueError(f"{where}: counts must be an object of bitstring to count")
    metadata = record.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise ValueError(f"{where}: metadata must be an object or null")
    return JobResult(
        job_id=job_id,
        counts={str(k): _checked_count(job_id, str(k), n) for k, n in counts.items()},
        shots=_checked_int(record["shots"], f"{where}: shots"),
        execution_time_ms=_optional_int(record.get("execution_time_ms"), f"{where}: execution_time_ms"),
        metadata=metadata,
    )


def _checked_int(value: object, what: str) -> int:
    """`value` as an int, or a ValueError naming `what`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    return value


def _optional_int(value: object, what: str) -> int | None:
    """`value` as an int or None, or a ValueError naming `what`."""
    return None if value is None else _checked_int(value, what)


# ---------------------------------------------------------------------------
# Arrow tables
# ---------------------------------------------------------------------------


def _arrow_schema(pa: Any, results: list[JobResult]) -> Any:
    """The table schema, with the per-result records in its metadata."""
    records = [
        {
            "job_id": r.job_id,
            "shots": r.shots,
            "execution_time_ms": r.execution_time_ms,
            "metadata": r.metadata,
            "num_states": len(r.counts),
        }
        for r in results
    ]
    for record in records:
        _json_text(record["metadata"], f"the metadata of job {record['job_id']!r}")
    stored = json.dumps({"format": _RESULTS_FORMAT, "results": records})
    return pa.schema(
        [
            ("job_id", pa.string()),
            ("bitstring", pa.string()),
            ("count", pa.int64()),
            ("shots", pa.int64()),
            ("probability", pa.float64()),
            ("execution_time_ms", pa.int64()),
        ],
        metadata={_RESULTS_KEY: stored.encode("utf-8")},
    )


def _arrow_columns(results: list[JobResult]) -> dict[str, list[Any]]:
    """One row per outcome, sorted by bitstring within each result."""
    columns: dict[str, list[Any]] = {
        name: [] for name in ("job_id", "bitstring", "count", "shots", "probability", "execution_time_ms")
    }
    for result in results:
        counts = _checked_counts(result)
        total = sum(counts.values())
        for outcome in sorted(counts):
            columns["job_id"].append(result.job_id)
            columns["bitstring"].append(outcome)
            columns["count"].append(counts[outcome])
            columns["shots"].append(result.shots)
            columns["probability"].append(counts[outcome] / total if total else None)
            columns["execution_time_ms"].append(result.execution_time_ms)
    return columns


def _stored_records(metadata: Mapping[bytes, bytes] | None) -> list[dict[str, Any]] | None:
    """The per-result records a table's schema carries, or None for a
    table this module did not write."""
    raw = (metadata or {}).get(_RESULTS_KEY)
    if raw is None:
        return None
    try:
        stored = json.loads(raw)
        records = stored["results"]
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"the table's {_RESULTS_KEY.decode()} metadata is malformed: {err}") from None
    if stored.get("format") != _RESULTS_FORMAT or not isinstance(records, list):
        raise ValueError(f"unsupported {_RESULTS_KEY.decode()} metadata format {stored.get('format')!r}")
    return records


class _Group:
    """One job's rows while a table is read back."""

    def __init__(self, shots: int, execution_time_ms: int | None) -> None:
        self.counts: dict[str, int] = {}
        self.shots = shots
        self.execution_time_ms = execution_time_ms


def _groups_from_rows(rows: Iterable[tuple[Any, ...]], source: str) -> dict[str, _Group]:
    """Rows (job_id, bitstring, count, shots, execution_time_ms) grouped
    by job id in order of first appearance; ValueError on a null, a
    repeated outcome, or shots/execution time that differ within a job."""
    groups: dict[str, _Group] = {}
    for number, (job_id, bitstring, count, shots, time_ms) in enumerate(rows, start=1):
        where = f"{source}, row {number}"
        if not isinstance(job_id, str) or not isinstance(bitstring, str):
            raise ValueError(f"{where}: job_id and bitstring must be non-null strings")
        shots = _checked_int(shots, f"{where}: shots")
        time_ms = _optional_int(time_ms, f"{where}: execution_time_ms")
        group = groups.setdefault(job_id, _Group(shots, time_ms))
        if (group.shots, group.execution_time_ms) != (shots, time_ms):
            raise ValueError(f"{where}: job {job_id!r} has rows with different shots or execution times")
        if bitstring in group.counts:
            raise ValueError(f"{where}: job {job_id!r} has outcome {bitstring!r} twice")
        group.counts[bitstring] = _checked_count(job_id, bitstring, count)
    return groups


def _results_from_groups(groups: dict[str, _Group], records: list[dict[str, Any]] | None) -> list[JobResult]:
    """JobResults from grouped rows, in the stored order with the stored
    metadata when the records exist; results stored with no outcomes are
    restored, ones whose rows were filtered out are not."""
    results: list[JobResult] = []
    for record in records or []:
        job_id = record.get("job_id")
        if not isinstance(job_id, str):
            raise ValueError(f"a stored result record has no job_id: {record!r}")
        group = groups.pop(job_id, None)
        if group is not None:
            metadata = record.get("metadata")
            if metadata is not None and not isinstance(metadata, dict):
                raise ValueError(f"stored result {job_id!r}: metadata must be an object or null")
            results.append(JobResult(job_id, group.counts, group.shots, group.execution_time_ms, metadata))
        elif record.get("num_states") == 0:
            where = f"stored result {job_id!r}"
            results.append(_result_from_record({**record, "counts": {}}, where))
    for job_id, group in groups.items():
        results.append(JobResult(job_id, group.counts, group.shots, group.execution_time_ms))
    return results


class ResultExporter:
    """Writes results to Arrow, Parquet, CSV and JSON and reads them back.

    Every writer takes one JobResult or a list of them. The tabular
    writers refuse two results with the same job_id (ValueError), since
    the rows of both could not be told apart when read back.
    """

    @staticmethod
    def to_arrow_table(results: Results) -> pa.Table:
        """Results as an Arrow table, one row per outcome (columns
        job_id, bitstring, count, shots, probability, execution_time_ms)."""
        pa = _pyarrow()
        runs = _as_list(results)
        _require_unique_ids(runs, "an Arrow table")
        return pa.table(_arrow_columns(runs), schema=_arrow_schema(pa, runs))

    @staticmethod
    def from_arrow_table(table: pa.Table) -> list[JobResult]:
        """The results in an Arrow table as `to_arrow_table` writes it.

        Tables from elsewhere need the columns job_id, bitstring, count
        and shots (execution_time_ms optional; others are ignored).
        """
        pa = _pyarrow()
        if not isinstance(table, pa.Table):
            raise TypeError(f"expected a pyarrow.Table, got {type(table).__name__}")
        missing = [c for c in ("job_id", "bitstring", "count", "shots") if c not in table.column_names]
        if missing:
            raise ValueError(f"the table lacks the column(s) {', '.join(missing)}")
        names = ["job_id", "bitstring", "count", "shots"]
        columns = [table.column(name).to_pylist() for name in names]
        if "execution_time_ms" in table.column_names:
            columns.append(table.column("execution_time_ms").to_pylist())
        else:
            columns.append([None] * table.num_rows)
        groups = _groups_from_rows(zip(*columns, strict=True), "the Arrow table")
        return _results_from_groups(groups, _stored_records(table.schema.metadata))

    @staticmethod
    def to_parquet(
        results: Results,
        path: PathLike,
        compression: str | None = "snappy",
        **kwargs: Any,
    ) -> None:
        """Results to a Parquet file (the Arrow table of `to_arrow_table`).

        `compression`: 'snappy', 'gzip', 'lz4', 'zstd', 'brotli' or
        'none'; further keyword arguments go to
        `pyarrow.parquet.write_table`.
        """
        pq = _parquet()
        table = ResultExporter.to_arrow_table(results)
        pq.write_table(table, os.fspath(path), compression=compression, **kwargs)

    @staticmethod
    def from_parquet(path: PathLike) -> list[JobResult]:
        """The results in a Parquet file (see `from_arrow_table`)."""
        pq = _parquet()
        return ResultExporter.from_arrow_table(pq.read_table(os.fspath(path)))

    @staticmethod
    def to_csv(
        results: Results,
        path: PathLike,
        include_probability: bool = True,
    ) -> None:
        """Results to a CSV file: job_id, bitstring, count, shots and
        (with `include_probability`) probability. Bitstrings are written
        as text; tools that guess types may read '0011' as a number."""
        runs = _as_list(results)
        _require_unique_ids(runs, "a CSV file")
        fieldnames = list(_CSV_COLUMNS) + (["probability"] if include_probability else [])
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=fieldnames)
            writer.writeheader()
            for result in runs:
                writer.writerows(_csv_rows(result, include_probability))

    @staticmethod
    def from_csv(path: PathLike) -> list[JobResult]:
        """The results in a CSV file as `to_csv` writes it (columns
        job_id, bitstring, count, shots; others are ignored). CSV holds
        no execution time or metadata: those come back as None."""
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            missing = [c for c in _CSV_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise ValueError(f"{os.fspath(path)}: missing column(s) {', '.join(missing)}")
            rows = [
                (
                    row["job_id"],
                    row["bitstring"],
                    _csv_int(row["count"], path, number),
                    _csv_int(row["shots"], path, number),
                    None,
                )
                for number, row in enumerate(reader, start=2)
            ]
        groups = _groups_from_rows(rows, os.fspath(path))
        return _results_from_groups(groups, None)

    @staticmethod
    def to_json(
        results: Results,
        path: PathLike,
        indent: int | None = 2,
    ) -> None:
        """Results to a JSON file: a list of objects with job_id, counts,
        shots, execution_time_ms and metadata. Raises TypeError (before
        writing anything) when a result's metadata is not JSON."""
        records = [_result_to_record(r) for r in _as_list(results)]
        text = json.dumps(records, indent=indent)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)

    @staticmethod
    def from_json(path: PathLike) -> list[JobResult]:
        """The results in a JSON file as `to_json` writes it (a single
        object is read as a list of one)."""
        with open(path, encoding="utf-8") as f:
            try:
                data = json.load(f)
            except json.JSONDecodeError as err:
                raise ValueError(f"{os.fspath(path)} is not valid JSON: {err}") from None
        items = [data] if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise ValueError(f"{os.fspath(path)}: expected a list of results")
        return [_result_from_record(item, f"{os.fspath(path)}, result {i}") for i, item in enumerate(items)]


def _csv_rows(result: JobResult, include_probability: bool) -> list[dict[str, Any]]:
    """A result's CSV rows, sorted by bitstring."""
    counts = _checked_counts(result)
    total = sum(counts.values())
    rows = []
    for outcome in sorted(counts):
        row: dict[str, Any] = {
            "job_id": result.job_id,
            "bitstring": outcome,
            "count": counts[outcome],
            "shots": result.shots,
        }
        if include_probability:
            row["probability"] = counts[outcome] / total if total else ""
        rows.append(row)
    return rows


def _csv_int(text: str | None, path: PathLike, line: int) -> int:
    """A CSV cell as an int, or a ValueError naming the file and line."""
    try:
        return int(text or "")
    except ValueError:
        raise ValueError(f"{os.fspath(path)}, line {line}: {text!r} is not an integer") from None


class BatchExporter:
    """Collects results, then writes them all at once.

    Example:
        >>> exporter = BatchExporter()
        >>> for result in results:
        ...     exporter.add(result)
        >>> exporter.to_parquet("results.parquet")
    """

    def __init__(self) -> None:
        self.results: list[JobResult] = []

    def add(self, result: JobResult) -> None:
        """Adds one result."""
        self.results.extend(_as_list(result))

    def add_many(self, results: Iterable[JobResult]) -> None:
        """Adds several results, in order."""
        self.results.extend(_as_list(results))

    def clear(self) -> None:
        """Forgets every result added."""
        self.results.clear()

    def count(self) -> int:
        """How many results have been added."""
        return len(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def to_arrow_table(self) -> pa.Table:
        """The results as an Arrow table (`ResultExporter.to_arrow_table`)."""
        return ResultExporter.to_arrow_table(self.results)

    def to_parquet(self, path: PathLike, compression: str | None = "snappy", **kwargs: Any) -> None:
        """The results to a Parquet file (`ResultExporter.to_parquet`)."""
        ResultExporter.to_parquet(self.results, path, compression, **kwargs)

    def to_csv(self, path: PathLike, include_probability: bool = True) -> None:
        """The results to a CSV file (`ResultExporter.to_csv`)."""
        ResultExporter.to_csv(self.results, path, include_probability)

    def to_json(self, path: PathLike, indent: int | None = 2) -> None:
        """The results to a JSON file (`ResultExporter.to_json`)."""
        ResultExporter.to_json(self.results, path, indent)


def get_parquet_metadata(path: PathLike) -> dict[str, Any]:
    """A Parquet file's footer facts without reading its data: num_rows,
    num_columns, num_row_groups, format_version, created_by,
    serialized_size and schema (as text)."""
    pq = _parquet()
    parquet_file = pq.ParquetFile(os.fspath(path))
    metadata = parquet_file.metadata
    return {
        "num_rows": metadata.num_rows,
        "num_columns": metadata.num_columns,
        "num_row_groups": metadata.num_row_groups,
        "format_version": metadata.format_version,
        "created_by": metadata.created_by,
        "serialized_size": metadata.serialized_size,
        "schema": str(parquet_file.schema),
    }
