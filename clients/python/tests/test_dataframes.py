"""Unit tests for arvak_grpc.dataframe_integration (no server)."""

from __future__ import annotations

import copy
import math
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from arvak_grpc.dataframe_integration import (
    DataFrameConverter,
    StatisticalAnalyzer,
    Visualizer,
    batch_to_pandas,
    batch_to_polars,
    to_pandas,
    to_polars,
)
from arvak_grpc.types import JobResult

SRC = Path(__file__).resolve().parents[1] / "src"

BELL = JobResult("bell-job-0001", {"11": 50, "00": 50}, 100, execution_time_ms=12)
SKEWED = JobResult("skewed-job", {"00": 75, "11": 25}, 100)
EMPTY = JobResult("empty", {}, 0)


# ---------------------------------------------------------------------------
# StatisticalAnalyzer
# ---------------------------------------------------------------------------


class TestStatistics:
    def test_entropy(self) -> None:
        assert StatisticalAnalyzer.entropy(BELL) == 1.0
        uniform = JobResult("u", {"00": 25, "01": 25, "10": 25, "11": 25}, 100)
        assert StatisticalAnalyzer.entropy(uniform) == 2.0
        single = StatisticalAnalyzer.entropy(JobResult("d", {"101": 7}, 7))
        assert single == 0.0 and math.copysign(1.0, single) == 1.0  # not -0.0
        assert StatisticalAnalyzer.entropy(SKEWED) == pytest.approx(0.8112781244591328)

    def test_zero_counts_do_not_matter(self) -> None:
        with_zero = JobResult("z", {"00": 50, "01": 0, "11": 50}, 100)
        assert StatisticalAnalyzer.entropy(with_zero) == 1.0
        assert StatisticalAnalyzer.purity(with_zero) == 0.5

    def test_max_entropy(self) -> None:
        assert StatisticalAnalyzer.max_entropy(3) == 3.0
        assert StatisticalAnalyzer.max_entropy(0) == 0.0
        with pytest.raises(ValueError):
            StatisticalAnalyzer.max_entropy(-1)
        with pytest.raises(TypeError):
            StatisticalAnalyzer.max_entropy(2.5)  # type: ignore[arg-type]

    def test_purity(self) -> None:
        assert StatisticalAnalyzer.purity(BELL) == 0.5
        assert StatisticalAnalyzer.purity(SKEWED) == 0.625
        assert StatisticalAnalyzer.purity(JobResult("d", {"0": 3}, 3)) == 1.0

    def test_fidelity_estimate(self) -> None:
        ideal = {"00": 0.5, "11": 0.5}
        assert StatisticalAnalyzer.fidelity_estimate(BELL, ideal) == 1.0
        assert StatisticalAnalyzer.fidelity_estimate(BELL, {"00": 1.0}) == pytest.approx(0.5)
        assert StatisticalAnalyzer.fidelity_estimate(BELL, {"01": 1.0}) == 0.0

    def test_fidelity_target_must_be_a_distribution(self) -> None:
        with pytest.raises(ValueError, match="sum to 1"):
            StatisticalAnalyzer.fidelity_estimate(BELL, {"00": 50, "11": 50})
        with pytest.raises(ValueError):
            StatisticalAnalyzer.fidelity_estimate(BELL, {"00": 1.5, "11": -0.5})
        with pytest.raises(TypeError):
            StatisticalAnalyzer.fidelity_estimate(BELL, {"00": "1"})  # type: ignore[dict-item]

    def test_total_variation_distance(self) -> None:
        disjoint = JobResult("x", {"01": 3, "10": 1}, 4)
        assert StatisticalAnalyzer.total_variation_distance(BELL, disjoint) == 1.0
        assert StatisticalAnalyzer.total_variation_distance(BELL, BELL) == 0.0
        assert StatisticalAnalyzer.total_variation_distance(BELL, SKEWED) == 0.25

    def test_empty_distribution_is_an_error(self) -> None:
        calls: list[Callable[[], object]] = [
            lambda: StatisticalAnalyzer.entropy(EMPTY),
            lambda: StatisticalAnalyzer.purity(JobResult("z", {"00": 0}, 0)),
            lambda: StatisticalAnalyzer.fidelity_estimate(EMPTY, {"00": 1.0}),
            lambda: StatisticalAnalyzer.total_variation_distance(BELL, EMPTY),
            lambda: StatisticalAnalyzer.total_variation_distance(EMPTY, EMPTY),
        ]
        for call in calls:
            with pytest.raises(ValueError, match="no counts"):
                call()

    def test_summary_statistics(self) -> None:
        assert StatisticalAnalyzer.summary_statistics(SKEWED) == {
            "total_shots": 100,
            "unique_states": 2,
            "num_qubits": 2,
            "entropy": pytest.approx(0.8112781244591328),
            "max_entropy": 2.0,
            "purity": 0.625,
            "most_common_state": "00",
            "most_common_count": 75,
        }
        # ties go to the first bitstring, as JobResult.most_frequent does
        assert StatisticalAnalyzer.summary_statistics(BELL)["most_common_state"] == "00"

    def test_summary_statistics_of_nothing(self) -> None:
        assert StatisticalAnalyzer.summary_statistics(EMPTY) == {
            "total_shots": 0,
            "unique_states": 0,
            "num_qubits": 0,
            "entropy": None,
            "max_entropy": 0.0,
            "purity": None,
            "most_common_state": None,
            "most_common_count": 0,
        }

    def test_summary_counts_bits_not_register_separators(self) -> None:
        stats = StatisticalAnalyzer.summary_statistics(JobResult("r", {"01 1": 2, "10 0": 2}, 4))
        assert stats["num_qubits"] == 3

    def test_mixed_widths_are_an_error(self) -> None:
        with pytest.raises(ValueError, match="different widths"):
            StatisticalAnalyzer.summary_statistics(JobResult("m", {"0": 1, "00": 1}, 2))


# ---------------------------------------------------------------------------
# DataFrames
# ---------------------------------------------------------------------------


class TestPandas:
    def test_rows_sorted_by_bitstring(self) -> None:
        df = to_pandas(JobResult("j", {"11": 30, "00": 60, "01": 10}, 100))
        assert list(df.columns) == ["bitstring", "count", "probability"]
        assert df["bitstring"].tolist() == ["00", "01", "11"]
        assert df["count"].tolist() == [60, 10, 30]
        assert df["probability"].tolist() == [0.6, 0.1, 0.3]
        assert str(df["count"].dtype) == "int64"
        assert str(df["probability"].dtype) == "float64"

    def test_metadata_columns(self) -> None:
        df = to_pandas(BELL, include_metadata=True)
        assert list(df.columns) == [
            "bitstring",
            "count",
            "probability",
            "job_id",
            "shots",
            "execution_time_ms",
        ]
        assert df["job_id"].tolist() == ["bell-job-0001"] * 2
        assert df["shots"].tolist() == [100, 100]
        assert df["execution_time_ms"].tolist() == [12, 12]

    def test_unknown_execution_time_is_missing_not_zero(self) -> None:
        df = to_pandas(SKEWED, include_metadata=True)
        assert df["execution_time_ms"].isna().all()

    def test_empty_result_gives_typed_empty_frame(self) -> None:
        df = to_pandas(EMPTY)
        assert df.shape == (0, 3)
        assert str(df["count"].dtype) == "int64"

    def test_batch(self) -> None:
        df = batch_to_pandas([SKEWED, BELL])
        assert df["job_id"].tolist() == ["skewed-job"] * 2 + ["bell-job-0001"] * 2
        assert df["count"].tolist() == [75, 25, 50, 50]
        assert batch_to_pandas([]).shape == (0, 6)
        assert DataFrameConverter.batch_to_pandas([BELL], include_metadata=False).shape == (2, 3)

    def test_input_not_mutated(self) -> None:
        before = copy.deepcopy(BELL)
        to_pandas(BELL, include_metadata=True)
        assert BELL == before and list(BELL.counts) == ["11", "00"]


class TestPolars:
    def test_rows_and_schema(self) -> None:
        import polars as pl

        df = to_polars(BELL, include_metadata=True)
        assert df.schema == pl.Schema(
            {
                "bitstring": pl.String,
                "count": pl.Int64,
                "probability": pl.Float64,
                "job_id": pl.String,
                "shots": pl.Int64,
                "execution_time_ms": pl.Int64,
            }
        )
        assert df["bitstring"].to_list() == ["00", "11"]
        assert df["probability"].to_list() == [0.5, 0.5]

    def test_batch_and_empty(self) -> None:
        df = batch_to_polars([BELL, SKEWED])
        assert df.height == 4
        assert df["execution_time_ms"].to_list() == [12, 12, None, None]
        assert batch_to_polars([]).shape == (0, 6)
        assert to_polars(EMPTY).shape == (0, 3)

    def test_batch_rejects_non_results(self) -> None:
        with pytest.raises(TypeError):
            batch_to_polars([BELL, {"00": 1}])  # type: ignore[list-item]


class TestMissingLibraries:
    @pytest.mark.parametrize(
        ("module", "call", "extra"),
        [
            ("pandas", lambda: to_pandas(BELL), "pandas"),
            ("polars", lambda: to_polars(BELL), "polars"),
            ("matplotlib.pyplot", lambda: Visualizer.plot_distribution(BELL), "viz"),
        ],
    )
    def test_import_error_names_the_extra(
        self, monkeypatch: pytest.MonkeyPatch, module: str, call: object, extra: str
    ) -> None:
        monkeypatch.setitem(sys.modules, module, None)
        with pytest.raises(ImportError, match=rf"pip install 'arvak-grpc\[{extra}\]'"):
            call()  # type: ignore[operator]

    def test_modules_import_without_optional_libraries(self) -> None:
        blocker = (
            "import sys\n"
            "class Block:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] in {'pandas', 'polars', 'pyarrow', 'matplotlib', 'numpy'}:\n"
            "            raise ImportError('blocked ' + name)\n"
            "sys.meta_path.insert(0, Block())\n"
            "import arvak_grpc.result_analysis, arvak_grpc.dataframe_integration\n"
            "import arvak_grpc.result_export, arvak_grpc.result_cache\n"
            "from arvak_grpc.types import JobResult\n"
            "from arvak_grpc.dataframe_integration import StatisticalAnalyzer, to_pandas\n"
            "assert StatisticalAnalyzer.entropy(JobResult('j', {'0': 1, '1': 1}, 2)) == 1.0\n"
            "try:\n"
            "    to_pandas(JobResult('j', {'0': 1}, 1))\n"
            "except ImportError as e:\n"
            "    print(e)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", blocker],
            env={"PYTHONPATH": str(SRC)},
            capture_output=True,
            text=True,
            check=True,
        )
        assert "pip install 'arvak-grpc[pandas]'" in out.stdout


# ---------------------------------------------------------------------------
# Visualizer
# ---------------------------------------------------------------------------


@pytest.fixture
def plt() -> Iterator[object]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    yield pyplot
    pyplot.close("all")


def bar_heights(ax: object) -> list[float]:
    return [patch.get_height() for patch in ax.patches]  # type: ignore[attr-defined]


def tick_labels(ax: object) -> list[str]:
    return [t.get_text() for t in ax.get_xticklabels()]  # type: ignore[attr-defined]


class TestVisualizer:
    def test_plot_distribution(self, plt: object) -> None:
        result = JobResult("abcdefghijkl", {"00": 10, "01": 40, "10": 30, "11": 20}, 100)
        fig, (ax_counts, ax_probs) = Visualizer.plot_distribution(result, title="Run 1")
        assert bar_heights(ax_counts) == [40, 30, 20, 10]
        assert tick_labels(ax_counts) == ["01", "10", "11", "00"]
        assert bar_heights(ax_probs) == pytest.approx([0.4, 0.3, 0.2, 0.1])
        assert ax_counts.get_ylabel() == "Count" and ax_probs.get_ylabel() == "Probability"
        assert ax_counts.get_title() == "Measurement Counts (Job: abcdefgh...)"
        assert fig.get_suptitle() == "Run 1"

    def test_plot_distribution_keeps_the_most_common(self, plt: object) -> None:
        result = JobResult("j", {"00": 10, "01": 40, "10": 30, "11": 20}, 100)
        _, (ax_counts, ax_probs) = Visualizer.plot_distribution(result, max_states=2)
        assert tick_labels(ax_counts) == ["01", "10"]
        # probabilities stay shares of all shots, not of those shown
        assert bar_heights(ax_probs) == pytest.approx([0.4, 0.3])

    def test_plot_distribution_bad_input(self, plt: object) -> None:
        with pytest.raises(ValueError, match="no counts"):
            Visualizer.plot_distribution(EMPTY)
        with pytest.raises(ValueError, match="max_states"):
            Visualizer.plot_distribution(BELL, max_states=0)

    def test_plot_comparison(self, plt: object) -> None:
        other = JobResult("other", {"00": 30, "01": 10, "11": 60}, 100)
        fig, ax = Visualizer.plot_comparison([BELL, other], labels=["ideal", "noisy"])
        # outcomes: 00, 01, 11; one bar per result and outcome
        assert bar_heights(ax) == pytest.approx([0.5, 0.0, 0.5, 0.3, 0.1, 0.6])
        assert tick_labels(ax) == ["00", "01", "11"]
        legend = ax.get_legend()
        assert legend is not None
        assert [t.get_text() for t in legend.get_texts()] == ["ideal", "noisy"]
        assert ax.get_title() == "Distribution Comparison"
        # bars of the two results sit side by side around each tick
        from matplotlib.patches import Rectangle

        xs = [p.get_x() + p.get_width() / 2 for p in ax.patches if isinstance(p, Rectangle)]
        assert xs[0] == pytest.approx(-0.2) and xs[3] == pytest.approx(0.2)

    def test_plot_comparison_default_labels_and_errors(self, plt: object) -> None:
        _, ax = Visualizer.plot_comparison([BELL, SKEWED])
        legend = ax.get_legend()
        assert legend is not None
        assert [t.get_text() for t in legend.get_texts()] == ["bell-job", "skewed-j"]
        with pytest.raises(ValueError, match="labels"):
            Visualizer.plot_comparison([BELL, SKEWED], labels=["only one"])
        with pytest.raises(ValueError):
            Visualizer.plot_comparison([])

    def test_plot_statistics_table(self, plt: object) -> None:
        fig, ax = Visualizer.plot_statistics_table(SKEWED)
        table = ax.tables[0]
        cells = {table[(row, 0)].get_text().get_text(): table[(row, 1)].get_text().get_text() for row in range(1, 9)}
        assert cells == {
            "Total Shots": "100",
            "Unique States": "2",
            "Number of Qubits": "2",
            "Shannon Entropy": "0.8113 bits",
            "Max Entropy": "2.0000 bits",
            "Purity": "0.625000",
            "Most Common State": "00",
            "Most Common Count": "75",
        }
        assert table[(0, 0)].get_text().get_text() == "Metric"

    def test_plot_statistics_table_of_nothing(self, plt: object) -> None:
        _, ax = Visualizer.plot_statistics_table(EMPTY)
        table = ax.tables[0]
        assert table[(4, 1)].get_text().get_text() == "N/A"  # entropy
        assert table[(7, 1)].get_text().get_text() == "N/A"  # most common state
