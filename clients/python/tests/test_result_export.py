"""Unit tests for arvak_grpc.result_export (no server)."""

from __future__ import annotations

import copy
import csv
import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from arvak_grpc.result_export import BatchExporter, ResultExporter, get_parquet_metadata
from arvak_grpc.types import JobResult

RESULTS = [
    JobResult("job-b", {"11": 480, "00": 520}, 1000, 42, {"backend": "sim", "seed": [1, 2]}),
    JobResult("job-a", {"0": 3}, 3),
    JobResult("job-empty", {}, 0, 5, {"note": "nothing counted"}),
    JobResult("job-zero", {"01": 0, "10": 4}, 4, 0),
]

#: Results the CSV format can hold (no execution time, metadata, or empty counts).
CSV_RESULTS = [
    JobResult("job-b", {"11": 480, "00": 520}, 1000),
    JobResult("job-a", {"0": 3}, 3),
]


class TestArrow:
    def test_round_trip_is_lossless(self) -> None:
        before = copy.deepcopy(RESULTS)
        table = ResultExporter.to_arrow_table(RESULTS)
        assert ResultExporter.from_arrow_table(table) == RESULTS
        assert RESULTS == before

    def test_table_contents(self) -> None:
        table = ResultExporter.to_arrow_table(RESULTS[:2])
        assert table.column_names == [
            "job_id",
            "bitstring",
            "count",
            "shots",
            "probability",
            "execution_time_ms",
        ]
        assert table.schema.field("count").type == pa.int64()
        assert table.schema.field("shots").type == pa.int64()
        assert table.to_pylist() == [
            {
                "job_id": "job-b",
                "bitstring": "00",
                "count": 520,
                "shots": 1000,
                "probability": 0.52,
                "execution_time_ms": 42,
            },
            {
                "job_id": "job-b",
                "bitstring": "11",
                "count": 480,
                "shots": 1000,
                "probability": 0.48,
                "execution_time_ms": 42,
            },
            {
                "job_id": "job-a",
                "bitstring": "0",
                "count": 3,
                "shots": 3,
                "probability": 1.0,
                "execution_time_ms": None,
            },
        ]

    def test_single_result_and_empty_list(self) -> None:
        table = ResultExporter.to_arrow_table(RESULTS[1])
        assert table.num_rows == 1
        empty = ResultExporter.to_arrow_table([])
        assert empty.num_rows == 0 and empty.schema.field("count").type == pa.int64()
        assert ResultExporter.from_arrow_table(empty) == []

    def test_duplicate_job_ids_are_refused(self) -> None:
        with pytest.raises(ValueError, match="appears twice"):
            ResultExporter.to_arrow_table([RESULTS[0], RESULTS[0]])

    def test_foreign_table(self) -> None:
        table = pa.table(
            {
                "job_id": ["x", "x", "y"],
                "bitstring": ["0", "1", "1"],
                "count": [1, 2, 5],
                "shots": [3, 3, 5],
                "extra": ["a", "b", "c"],
            }
        )
        assert ResultExporter.from_arrow_table(table) == [
            JobResult("x", {"0": 1, "1": 2}, 3),
            JobResult("y", {"1": 5}, 5),
        ]

    def test_filtered_table_drops_filtered_jobs_but_keeps_empty_ones(self) -> None:
        table = ResultExporter.to_arrow_table(RESULTS)
        mask = pa.array([job != "job-b" for job in table.column("job_id").to_pylist()])
        restored = ResultExporter.from_arrow_table(table.filter(mask))
        assert [r.job_id for r in restored] == ["job-a", "job-empty", "job-zero"]
        assert restored[1] == RESULTS[2]

    @pytest.mark.parametrize(
        ("columns", "message"),
        [
            ({"job_id": ["x"], "bitstring": ["0"], "count": [1]}, "lacks the column"),
            ({"job_id": ["x"], "bitstring": ["0"], "count": [None], "shots": [1]}, "not an integer"),
            ({"job_id": ["x", "x"], "bitstring": ["0", "0"], "count": [1, 1], "shots": [2, 2]}, "twice"),
            ({"job_id": ["x", "x"], "bitstring": ["0", "1"], "count": [1, 1], "shots": [2, 3]}, "different shots"),
            ({"job_id": ["x"], "bitstring": [None], "count": [1], "shots": [1]}, "non-null"),
            ({"job_id": ["x"], "bitstring": ["0"], "count": [-1], "shots": [1]}, "negative"),
        ],
    )
    def test_malformed_tables(self, columns: dict[str, list[object]], message: str) -> None:
        with pytest.raises((ValueError, TypeError), match=message):
            ResultExporter.from_arrow_table(pa.table(columns))

    def test_not_a_table(self) -> None:
        with pytest.raises(TypeError):
            ResultExporter.from_arrow_table({"job_id": []})

    def test_missing_pyarrow_names_the_extra(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(sys.modules, "pyarrow", None)
        with pytest.raises(ImportError, match=r"pip install 'arvak-grpc\[arrow\]'"):
            ResultExporter.to_arrow_table(RESULTS)


class TestParquet:
    @pytest.mark.parametrize("compression", ["snappy", "gzip", "zstd", "none"])
    def test_round_trip(self, tmp_path: Path, compression: str) -> None:
        path = tmp_path / "results.parquet"
        ResultExporter.to_parquet(RESULTS, path, compression=compression)
        assert ResultExporter.from_parquet(path) == RESULTS
        assert ResultExporter.from_parquet(str(path)) == RESULTS

    def test_readable_by_plain_pyarrow(self, tmp_path: Path) -> None:
        path = tmp_path / "results.parquet"
        ResultExporter.to_parquet(RESULTS[:2], path)
        table = pq.read_table(path)
        assert table.column("count").to_pylist() == [520, 480, 3]

    def test_metadata(self, tmp_path: Path) -> None:
        path = tmp_path / "results.parquet"
        ResultExporter.to_parquet(RESULTS, path, compression="gzip")
        meta = get_parquet_metadata(path)
        assert meta["num_rows"] == 5  # 2 + 1 + 0 + 2 outcome rows
        assert meta["num_columns"] == 6
        assert meta["num_row_groups"] == 1
        assert "bitstring" in meta["schema"]
        assert set(meta) == {
            "num_rows",
            "num_columns",
            "num_row_groups",
            "format_version",
            "created_by",
            "serialized_size",
            "schema",
        }


class TestCsv:
    def test_round_trip(self, tmp_path: Path) -> None:
        path = tmp_path / "results.csv"
        ResultExporter.to_csv(CSV_RESULTS, path)
        assert ResultExporter.from_csv(path) == CSV_RESULTS

    def test_file_contents(self, tmp_path: Path) -> None:
        path = tmp_path / "results.csv"
        ResultExporter.to_csv(CSV_RESULTS, path)
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        assert rows == [
            ["job_id", "bitstring", "count", "shots", "probability"],
            ["job-b", "00", "520", "1000", "0.52"],
            ["job-b", "11", "480", "1000", "0.48"],
            ["job-a", "0", "3", "3", "1.0"],
        ]

    def test_without_probability(self, tmp_path: Path) -> None:
        path = tmp_path / "results.csv"
        ResultExporter.to_csv(CSV_RESULTS[1], path, include_probability=False)
        assert path.read_text().splitlines() == ["job_id,bitstring,count,shots", "job-a,0,3,3"]
        assert ResultExporter.from_csv(path) == [CSV_RESULTS[1]]

    def test_bad_csv(self, tmp_path: Path) -> None:
        path = tmp_path / "bad.csv"
        path.write_text("job_id,bitstring,count,shots\nx,0,three,3\n")
        with pytest.raises(ValueError, match="line 2"):
            ResultExporter.from_csv(path)
        path.write_text("job_id,bitstring,count\nx,0,3\n")
        with pytest.raises(ValueError, match="missing column"):
            ResultExporter.from_csv(path)

    def test_duplicate_job_ids_are_refused(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="appears twice"):
            ResultExporter.to_csv(CSV_RESULTS + CSV_RESULTS[:1], tmp_path / "d.csv")


class TestJson:
    def test_round_trip(self, tmp_path: Path) -> None:
        path = tmp_path / "results.json"
        ResultExporter.to_json(RESULTS, path)
        assert ResultExporter.from_json(path) == RESULTS

    def test_file_contents(self, tmp_path: Path) -> None:
        path = tmp_path / "results.json"
        ResultExporter.to_json(RESULTS[1], path, indent=None)
        assert json.loads(path.read_text()) == [
            {"job_id": "job-a", "counts": {"0": 3}, "shots": 3, "execution_time_ms": None, "metadata": None},
        ]

    def test_single_object_file(self, tmp_path: Path) -> None:
        path = tmp_path / "one.json"
        path.write_text('{"job_id": "j", "counts": {"1": 2}, "shots": 2}')
        assert ResultExporter.from_json(path) == [JobResult("j", {"1": 2}, 2)]

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("not json", "not valid JSON"),
            ('"a string"', "expected a list"),
            ('[{"job_id": "j", "shots": 2}]', "missing field"),
            ('[{"job_id": "j", "counts": {"1": 1.5}, "shots": 2}]', "not an integer"),
            ('[{"job_id": "j", "counts": {"1": 1}, "shots": "2"}]', "shots"),
        ],
    )
    def test_malformed_json(self, tmp_path: Path, text: str, message: str) -> None:
        path = tmp_path / "bad.json"
        path.write_text(text)
        with pytest.raises((ValueError, TypeError), match=message):
            ResultExporter.from_json(path)

    def test_non_json_metadata_is_refused_before_writing(self, tmp_path: Path) -> None:
        path = tmp_path / "results.json"
        bad = JobResult("j", {"0": 1}, 1, metadata={"when": object()})
        with pytest.raises(TypeError, match="job 'j'"):
            ResultExporter.to_json([RESULTS[1], bad], path)
        assert not path.exists()


class TestBatchExporter:
    def test_collects_and_writes(self, tmp_path: Path) -> None:
        exporter = BatchExporter()
        exporter.add(RESULTS[0])
        exporter.add_many(RESULTS[1:])
        assert exporter.count() == 4 and len(exporter) == 4
        assert ResultExporter.from_arrow_table(exporter.to_arrow_table()) == RESULTS
        exporter.to_parquet(tmp_path / "b.parquet", compression="zstd")
        assert ResultExporter.from_parquet(tmp_path / "b.parquet") == RESULTS
        exporter.to_json(tmp_path / "b.json")
        assert ResultExporter.from_json(tmp_path / "b.json") == RESULTS
        exporter.clear()
        exporter.add_many(CSV_RESULTS)
        exporter.to_csv(tmp_path / "b.csv")
        assert ResultExporter.from_csv(tmp_path / "b.csv") == CSV_RESULTS
        exporter.clear()
        assert exporter.count() == 0

    def test_refuses_non_results(self) -> None:
        with pytest.raises(TypeError):
            BatchExporter().add({"00": 1})  # type: ignore[arg-type]
