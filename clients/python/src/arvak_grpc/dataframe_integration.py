"""Job results as pandas or polars DataFrames, their statistics, and plots.

A result's counts become one row per outcome (`bitstring`, `count`,
`probability`), sorted by bitstring; bitstrings are kept as the service
writes them, bit 0 rightmost. pandas, polars and matplotlib are optional:
each is imported only by the function that needs it, and a missing one
raises `ImportError` naming the extra to install.

`StatisticalAnalyzer` treats a result's counts as a classical probability
distribution. Quantities that are undefined for an empty distribution
(entropy, purity, fidelity, distances) raise `ValueError` on a result with
nothing counted rather than returning a made-up number.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, SupportsIndex

from .types import JobResult

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "DataFrameConverter",
    "StatisticalAnalyzer",
    "Visualizer",
    "batch_to_pandas",
    "batch_to_polars",
    "to_pandas",
    "to_polars",
]

#: The columns of a converted result, in order; the last three only with
#: `include_metadata`.
_BASE_COLUMNS = ("bitstring", "count", "probability")
_METADATA_COLUMNS = ("job_id", "shots", "execution_time_ms")


# ---------------------------------------------------------------------------
# Validation and distributions, shared with result_analysis and result_export
# ---------------------------------------------------------------------------


def _missing_extra(package: str, extra: str, purpose: str) -> ImportError:
    """The error for an optional library that is not installed."""
    return ImportError(f"{package} is needed for {purpose}; install it with: pip install 'arvak-grpc[{extra}]'")


def _checked_result(result: object) -> JobResult:
    """`result` itself when it is a JobResult, else a TypeError."""
    if not isinstance(result, JobResult):
        raise TypeError(f"expected a JobResult, got {type(result).__name__}")
    return result


def _checked_counts(result: object) -> dict[str, int]:
    """A result's counts, checked: string outcomes and non-negative integer
    counts (NumPy integers are accepted and converted).

    Raises TypeError or ValueError naming the job and the offending entry,
    so a malformed result never yields a plausible-looking statistic.
    """
    job = _checked_result(result)
    if not isinstance(job.counts, Mapping):
        raise TypeError(
            f"job {job.job_id!r}: counts must be a dict of bitstring to count, got {type(job.counts).__name__}"
        )
    checked: dict[str, int] = {}
    for outcome, count in job.counts.items():
        if not isinstance(outcome, str):
            raise TypeError(f"job {job.job_id!r}: outcome {outcome!r} is not a string")
        checked[outcome] = _checked_count(job.job_id, outcome, count)
    return checked


def _checked_count(job_id: str, outcome: str, count: object) -> int:
    """One count as a non-negative int, or a TypeError/ValueError."""
    if isinstance(count, bool) or not isinstance(count, SupportsIndex):
        raise TypeError(f"job {job_id!r}: count of {outcome!r} is {count!r}, not an integer")
    value = operator.index(count)
    if value < 0:
        raise ValueError(f"job {job_id!r}: count of {outcome!r} is negative ({value})")
    return value


def _probabilities(result: object) -> dict[str, float]:
    """Each outcome's share of the counted shots; ValueError when nothing
    was counted, since no distribution exists then."""
    counts = _checked_counts(result)
    total = sum(counts.values())
    if total == 0:
        job_id = _checked_result(result).job_id
        raise ValueError(f"job {job_id!r} has no counts, so it has no measurement distribution")
    return {outcome: n / total for outcome, n in counts.items() if n > 0}


def _checked_distribution(target: object, name: str = "target_state") -> dict[str, float]:
    """A caller's probability distribution, checked: string keys,
    non-negative finite values that sum to 1 (within 1e-6)."""
    if not isinstance(target, Mapping):
        raise TypeError(f"{name} must be a dict of bitstring to probability")
    checked: dict[str, float] = {}
    for outcome, p in target.items():
        if not isinstance(outcome, str):
            raise TypeError(f"{name}: outcome {outcome!r} is not a string")
        if isinstance(p, bool) or not isinstance(p, (int, float)):
            raise TypeError(f"{name}: probability of {outcome!r} is {p!r}, not a number")
        if not math.isfinite(p) or p < 0:
            raise ValueError(f"{name}: probability of {outcome!r} is {p!r}")
        checked[outcome] = float(p)
    total = math.fsum(checked.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(
            f"{name} must sum to 1, but sums to {total!r}; pass probabilities, not counts (divide each by their total)"
        )
    return checked


def _bit_width(counts: Iterable[str], what: str) -> int | None:
    """The number of bits in the outcomes (register separators, spaces,
    not counted); None when there are none. ValueError when they differ,
    which means results of different circuits were mixed."""
    widths = {len(outcome.replace(" ", "")) for outcome in counts}
    if len(widths) > 1:
        raise ValueError(f"{what} mixes bitstrings of different widths: {sorted(widths)}")
    return widths.pop() if widths else None


def _tvd(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Total variation distance, half the L1 distance, in [0, 1]."""
    keys = p.keys() | q.keys()
    distance = 0.5 * math.fsum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in keys)
    return min(1.0, distance)


def _most_common(counts: Mapping[str, int]) -> tuple[str, int] | None:
    """The most frequent outcome and its count, the first in bitstring
    order among ties (as `JobResult.most_frequent`); None when empty."""
    if not counts:
        return None
    outcome = min(counts, key=lambda k: (-counts[k], k))
    return outcome, counts[outcome]


# ---------------------------------------------------------------------------
# DataFrames
# ---------------------------------------------------------------------------


def _columns(results: Iterable[JobResult], include_metadata: bool) -> dict[str, list[Any]]:
    """The rows of `results` as columns: one row per outcome, sorted by
    bitstring within each result, results in the order given."""
    names = _BASE_COLUMNS + (_METADATA_COLUMNS if include_metadata else ())
    columns: dict[str, list[Any]] = {name: [] for name in names}
    for result in results:
        counts = _checked_counts(result)
        total = sum(counts.values())
        for outcome in sorted(counts):
            columns["bitstring"].append(outcome)
            columns["count"].append(counts[outcome])
            columns["probability"].append(counts[outcome] / total)
            if include_metadata:
                columns["job_id"].append(result.job_id)
                columns["shots"].append(result.shots)
                columns["execution_time_ms"].append(result.execution_time_ms)
    return columns


def _result_list(results: object) -> list[JobResult]:
    """`results` as a list of JobResults, or a TypeError."""
    if isinstance(results, JobResult) or not isinstance(results, Iterable):
        raise TypeError("expected a list of JobResults")
    return [_checked_result(r) for r in results]


class DataFrameConverter:
    """Converts JobResults to pandas or polars DataFrames.

    Columns: `bitstring` (str), `count` (int64), `probability` (float64),
    and with `include_metadata` also `job_id` (str), `shots` (int64) and
    `execution_time_ms` (nullable int64: missing when the service did not
    report it).
    """

    @staticmethod
    def to_pandas(result: JobResult, include_metadata: bool = False) -> pd.DataFrame:
        """One result as a pandas DataFrame, one row per outcome."""
        return DataFrameConverter._pandas_frame([_checked_result(result)], include_metadata)

    @staticmethod
    def to_polars(result: JobResult, include_metadata: bool = False) -> pl.DataFrame:
        """One result as a polars DataFrame, one row per outcome."""
        return DataFrameConverter._polars_frame([_checked_result(result)], include_metadata)

    @staticmethod
    def batch_to_pandas(results: Sequence[JobResult], include_metadata: bool = True) -> pd.DataFrame:
        """Several results stacked into one pandas DataFrame (an empty,
        fully typed frame for an empty list)."""
        return DataFrameConverter._pandas_frame(_result_list(results), include_metadata)

    @staticmethod
    def batch_to_polars(results: Sequence[JobResult], include_metadata: bool = True) -> pl.DataFrame:
        """Several results stacked into one polars DataFrame (an empty,
        fully typed frame for an empty list)."""
        return DataFrameConverter._polars_frame(_result_list(results), include_metadata)

    @staticmethod
    def _pandas_frame(results: list[JobResult], include_metadata: bool) -> pd.DataFrame:
        try:
            import pandas as pd
        except ImportError as err:
            raise _missing_extra("pandas", "pandas", "pandas DataFrames") from err
        dtypes: dict[str, Any] = {
            "bitstring": str,
            "count": "int64",
            "probability": "float64",
            "job_id": str,
            "shots": "int64",
            "execution_time_ms": "Int64",
        }
        columns = _columns(results, include_metadata)
        frame: pd.DataFrame = pd.DataFrame(
            {name: pd.Series(values, dtype=dtypes[name]) for name, values in columns.items()}
        )
        return frame

    @staticmethod
    def _polars_frame(results: list[JobResult], include_metadata: bool) -> pl.DataFrame:
        try:
            import polars as pl
        except ImportError as err:
            raise _missing_extra("polars", "polars", "polars DataFrames") from err
        dtypes = {
            "bitstring": pl.String,
            "count": pl.Int64,
            "probability": pl.Float64,
            "job_id": pl.String,
            "shots": pl.Int64,
            "execution_time_ms": pl.Int64,
        }
        columns = _columns(results, include_metadata)
        return pl.DataFrame(columns, schema={name: dtypes[name] for name in columns})


def to_pandas(result: JobResult, include_metadata: bool = False) -> pd.DataFrame:
    """One result as a pandas DataFrame (see `DataFrameConverter`)."""
    return DataFrameConverter.to_pandas(result, include_metadata)


def to_polars(result: JobResult, include_metadata: bool = False) -> pl.DataFrame:
    """One result as a polars DataFrame (see `DataFrameConverter`)."""
    return DataFrameConverter.to_polars(result, include_metadata)


def batch_to_pandas(results: Sequence[JobResult], include_metadata: bool = True) -> pd.DataFrame:
    """Several results as one pandas DataFrame (see `DataFrameConverter`)."""
    return DataFrameConverter.batch_to_pandas(results, include_metadata)


def batch_to_polars(results: Sequence[JobResult], include_metadata: bool = True) -> pl.DataFrame:
    """Several results as one polars DataFrame (see `DataFrameConverter`)."""
    return DataFrameConverter.batch_to_polars(results, include_metadata)


# ---------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------


class StatisticalAnalyzer:
    """Statistics of a result's measurement distribution (classical: what
    the counts show, not the quantum state behind them)."""

    @staticmethod
    def entropy(result: JobResult) -> float:
        """Shannon entropy in bits, H = -sum p log2 p: 0 for a single
        outcome, n for n uniformly random bits."""
        probabilities = _probabilities(result).values()
        return -math.fsum(p * math.log2(p) for p in probabilities) + 0.0

    @staticmethod
    def max_entropy(num_qubits: int) -> float:
        """The largest entropy n measured bits can have: n bits."""
        if isinstance(num_qubits, bool) or not isinstance(num_qubits, int):
            raise TypeError(f"num_qubits must be an int, got {type(num_qubits).__name__}")
        if num_qubits < 0:
            raise ValueError(f"num_qubits must be >= 0, got {num_qubits}")
        return float(num_qubits)

    @staticmethod
    def purity(result: JobResult) -> float:
        """sum p^2: 1 for a single outcome, 1/2^n for n uniform bits."""
        return math.fsum(p * p for p in _probabilities(result).values())

    @staticmethod
    def fidelity_estimate(result: JobResult, target_state: dict[str, float]) -> float:
        """Classical fidelity with a target distribution,
        F = (sum sqrt(p_measured * p_target))^2, in [0, 1].

        Only the diagonal is compared: equal for states that differ in
        phase alone. `target_state` maps bitstrings to probabilities
        summing to 1.
        """
        measured = _probabilities(result)
        target = _checked_distribution(target_state)
        overlap = math.fsum(math.sqrt(p * target.get(k, 0.0)) for k, p in measured.items())
        return min(1.0, overlap * overlap)

    @staticmethod
    def total_variation_distance(result1: JobResult, result2: JobResult) -> float:
        """TVD = 1/2 sum |p1 - p2|: 0 for equal distributions, 1 for ones
        with no outcome in common."""
        return _tvd(_probabilities(result1), _probabilities(result2))

    @staticmethod
    def summary_statistics(result: JobResult) -> dict[str, Any]:
        """Shots counted, distinct outcomes, bit width, entropy, purity and
        the most common outcome.

        For a result with nothing counted, `entropy`, `purity` and
        `most_common_state` are None (undefined) and the counts are 0.
        """
        counts = _checked_counts(result)
        width = _bit_width(counts, f"job {result.job_id!r}") or 0
        total = sum(counts.values())
        top = _most_common({k: n for k, n in counts.items() if n > 0})
        return {
            "total_shots": total,
            "unique_states": sum(1 for n in counts.values() if n > 0),
            "num_qubits": width,
            "entropy": StatisticalAnalyzer.entropy(result) if total else None,
            "max_entropy": StatisticalAnalyzer.max_entropy(width),
            "purity": StatisticalAnalyzer.purity(result) if total else None,
            "most_common_state": top[0] if top else None,
            "most_common_count": top[1] if top else 0,
        }


# ---------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------


def _pyplot() -> Any:
    """matplotlib.pyplot, or the ImportError naming the extra."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise _missing_extra("matplotlib", "viz", "plotting") from err
    return plt


def _short_id(job_id: str, length: int) -> str:
    """A job id cut to `length` characters, marked when cut."""
    return job_id if len(job_id) <= length else job_id[:length] + "..."


def _format_optional(value: float | None, spec: str, suffix: str = "") -> str:
    """A table cell: the formatted value, or N/A when undefined."""
    return "N/A" if value is None else f"{value:{spec}}{suffix}"


class Visualizer:
    """matplotlib plots of results. Figures are made with pyplot, so
    `plt.show()` and notebooks display them; close them when done."""

    @staticmethod
    def plot_distribution(
        result: JobResult,
        max_states: int = 20,
        figsize: tuple[float, float] = (12, 6),
        title: str | None = None,
    ) -> tuple[Figure, tuple[Axes, Axes]]:
        """Bar charts of the `max_states` most common outcomes: counts on
        the left, probabilities (of all counted shots) on the right.

        Returns the figure and its two axes.
        """
        if isinstance(max_states, bool) or not isinstance(max_states, int) or max_states < 1:
            raise ValueError(f"max_states must be a positive int, got {max_states!r}")
        probabilities = _probabilities(result)
        counts = _checked_counts(result)
        shown = sorted(probabilities, key=lambda k: (-counts[k], k))[:max_states]
        plt = _pyplot()
        fig, (ax_counts, ax_probs) = plt.subplots(1, 2, figsize=figsize)
        Visualizer._bars(ax_counts, shown, [counts[k] for k in shown], "Count")
        ax_counts.set_title(f"Measurement Counts (Job: {_short_id(result.job_id, 8)})")
        Visualizer._bars(ax_probs, shown, [probabilities[k] for k in shown], "Probability")
        ax_probs.set_title("Measurement Probabilities")
        if title:
            fig.suptitle(title, fontsize=14)
        fig.tight_layout()
        return fig, (ax_counts, ax_probs)

    @staticmethod
    def _bars(ax: Axes, labels: list[str], heights: Sequence[float], ylabel: str) -> None:
        """One bar per label, labelled below, with a light grid."""
        positions = list(range(len(labels)))
        ax.bar(positions, heights)
        ax.set_xticks(positions)
        ax.set_xticklabels(labels, rotation=90)
        ax.set_xlabel("Bitstring")
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", alpha=0.3)

    @staticmethod
    def plot_comparison(
        results: Sequence[JobResult],
        labels: Sequence[str] | None = None,
        figsize: tuple[float, float] = (14, 6),
        title: str | None = None,
    ) -> tuple[Figure, Axes]:
        """Grouped bars of each result's probabilities over every outcome
        any of them saw, one colour per result (labelled by `labels`, by
        default the first 8 characters of each job id).

        Returns the figure and its axes.
        """
        runs = _result_list(results)
        if not runs:
            raise ValueError("plot_comparison needs at least one result")
        names = [r.job_id[:8] for r in runs] if labels is None else list(labels)
        if len(names) != len(runs):
            raise ValueError(f"got {len(names)} labels for {len(runs)} results")
        distributions = [_probabilities(r) for r in runs]
        outcomes = sorted(set().union(*distributions))
        plt = _pyplot()
        fig, ax = plt.subplots(figsize=figsize)
        width = 0.8 / len(runs)
        for i, (distribution, name) in enumerate(zip(distributions, names, strict=True)):
            offset = (i - (len(runs) - 1) / 2) * width
            positions = [x + offset for x in range(len(outcomes))]
            heights = [distribution.get(k, 0.0) for k in outcomes]
            ax.bar(positions, heights, width, label=name)
        ax.set_xticks(list(range(len(outcomes))))
        ax.set_xticklabels(outcomes, rotation=90)
        ax.set_xlabel("Bitstring")
        ax.set_ylabel("Probability")
        ax.set_title(title or "Distribution Comparison")
        ax.legend()
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        return fig, ax

    @staticmethod
    def plot_statistics_table(result: JobResult, figsize: tuple[float, float] = (8, 4)) -> tuple[Figure, Axes]:
        """`StatisticalAnalyzer.summary_statistics` as a two-column table
        (Metric, Value); undefined values read N/A.

        Returns the figure and its (axis-less) axes holding the table.
        """
        stats = StatisticalAnalyzer.summary_statistics(result)
        rows = [
            ["Metric", "Value"],
            ["Total Shots", f"{stats['total_shots']:,}"],
            ["Unique States", f"{stats['unique_states']:,}"],
            ["Number of Qubits", str(stats["num_qubits"])],
            ["Shannon Entropy", _format_optional(stats["entropy"], ".4f", " bits")],
            ["Max Entropy", f"{stats['max_entropy']:.4f} bits"],
            ["Purity", _format_optional(stats["purity"], ".6f")],
            ["Most Common State", stats["most_common_state"] or "N/A"],
            ["Most Common Count", f"{stats['most_common_count']:,}"],
        ]
        plt = _pyplot()
        fig, ax = plt.subplots(figsize=figsize)
        ax.axis("off")
        table = ax.table(cellText=rows, cellLoc="left", loc="center", colWidths=[0.5, 0.5])
        table.auto_set_font_size(False)
        table.set_fontsize(10)
        table.scale(1, 2)
        for column in range(2):
            table[(0, column)].set_facecolor("#4CAF50")
            table[(0, column)].set_text_props(weight="bold", color="white")
        ax.set_title(f"Summary Statistics - Job {_short_id(result.job_id, 12)}", pad=20)
        return fig, ax
