"""Combining, comparing and transforming job results.

Everything here is pure Python over `JobResult` counts and never changes
the results it is given: each transformation returns a new JobResult with
its own counts and metadata. Counts are checked as they are read (string
outcomes, non-negative integer counts) and a quantity that does not exist
for the input (the distance to an empty distribution, the average of no
results) raises `ValueError` instead of returning a stand-in number.
"""

from __future__ import annotations

import copy
import itertools
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .dataframe_integration import (
    StatisticalAnalyzer,
    _bit_width,
    _checked_counts,
    _checked_distribution,
    _checked_result,
    _probabilities,
    _tvd,
)
from .types import JobResult, shares

__all__ = [
    "AggregatedResult",
    "ComparisonResult",
    "ConvergenceAnalysis",
    "ConvergenceAnalyzer",
    "ResultAggregator",
    "ResultComparator",
    "ResultTransformer",
    "batch_compare",
    "group_by_similarity",
]


def _results(results: object) -> list[JobResult]:
    """`results` as a list of JobResults, or a TypeError."""
    if isinstance(results, JobResult) or not isinstance(results, Iterable):
        raise TypeError("expected a list of JobResults")
    return [_checked_result(r) for r in results]


def _derived(result: JobResult, counts: dict[str, int], **changes: Any) -> JobResult:
    """A new JobResult like `result` with `counts`, sharing no mutable
    state with it (metadata is deep-copied)."""
    fields: dict[str, Any] = {
        "job_id": result.job_id,
        "counts": counts,
        "shots": result.shots,
        "execution_time_ms": result.execution_time_ms,
        "metadata": copy.deepcopy(result.metadata),
    }
    fields.update(changes)
    return JobResult(**fields)


def _apportion(weights: Mapping[str, float], total: int) -> dict[str, int]:
    """Integer counts summing exactly to `total`, proportional to
    `weights` (largest-remainder rounding; ties go to the larger weight,
    then the smaller bitstring). Outcomes that round to 0 are dropped."""
    weight_sum = math.fsum(weights.values())
    if total <= 0 or weight_sum <= 0:
        return {}
    exact = {k: w * total / weight_sum for k, w in weights.items()}
    counts = {k: math.floor(x) for k, x in exact.items()}
    leftover = total - sum(counts.values())
    by_remainder = sorted(exact, key=lambda k: (-(exact[k] - counts[k]), -weights[k], k))
    for outcome in by_remainder[:leftover]:
        counts[outcome] += 1
    return {k: n for k, n in counts.items() if n > 0}


def _check_int(value: object, name: str, minimum: int) -> int:
    """`value` as an int no smaller than `minimum`, or a clear error."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _check_fraction(value: object, name: str, *, open_low: bool = False) -> float:
    """`value` as a float in [0, 1] ((0, 1] with `open_low`)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    low_ok = value > 0 if open_low else value >= 0
    if not (low_ok and value <= 1):
        interval = "(0, 1]" if open_low else "[0, 1]"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return float(value)


# ---------------------------------------------------------------------------
# Aggregation
# ---------------------------------------------------------------------------


@dataclass
class AggregatedResult:
    """Several runs' counts summed into one."""

    job_ids: list[str]
    #: Counts summed over the runs.
    counts: dict[str, int]
    #: The runs' `shots` summed.
    total_shots: int
    num_jobs: int
    #: Mean over the runs that reported an execution time; None if none did.
    mean_execution_time_ms: float | None = None

    @property
    def probabilities(self) -> dict[str, float]:
        """Each outcome's share of the summed counts ({} when empty)."""
        return shares(self.counts)

    def to_job_result(self, job_id: str = "aggregated") -> JobResult:
        """The combined counts as a JobResult, for the analysers that take
        one; `metadata["aggregated_job_ids"]` lists the runs."""
        mean = self.mean_execution_time_ms
        return JobResult(
            job_id=job_id,
            counts=dict(self.counts),
            shots=self.total_shots,
            execution_time_ms=None if mean is None else round(mean),
            metadata={"aggregated_job_ids": list(self.job_ids)},
        )


class ResultAggregator:
    """Combines, averages and filters results."""

    @staticmethod
    def combine(results: Sequence[JobResult]) -> AggregatedResult:
        """Sums the counts (and shots) of runs of the same circuit.

        An empty list gives an empty AggregatedResult. Results whose
        bitstrings differ in width come from different circuits and raise
        ValueError.
        """
        runs = _results(results)
        all_counts = [_checked_counts(r) for r in runs]
        _bit_width((k for c in all_counts for k in c), "combine")
        combined: dict[str, int] = {}
        for counts in all_counts:
            for outcome, n in counts.items():
                combined[outcome] = combined.get(outcome, 0) + n
        times = [r.execution_time_ms for r in runs if r.execution_time_ms is not None]
        return AggregatedResult(
            job_ids=[r.job_id for r in runs],
            counts=combined,
            total_shots=sum(r.shots for r in runs),
            num_jobs=len(runs),
            mean_execution_time_ms=math.fsum(times) / len(times) if times else None,
        )

    @staticmethod
    def average(results: Sequence[JobResult]) -> JobResult:
        """The mean of the runs' probability distributions (each run
        weighted equally, whatever its shots), as counts over the first
        run's `shots` that sum to exactly that.

        The result's job_id is "averaged" and `metadata["averaged_job_ids"]`
        lists the runs. Raises ValueError for no runs, a run with nothing
        counted, or runs of different widths.
        """
        runs = _results(results)
        if not runs:
            raise ValueError("average needs at least one result")
        distributions = [_probabilities(r) for r in runs]
        _bit_width((k for d in distributions for k in d), "average")
        shots = _check_int(runs[0].shots, "the first result's shots", 1)
        outcomes = set().union(*distributions)
        mean = {k: math.fsum(d.get(k, 0.0) for d in distributions) / len(runs) for k in outcomes}
        return JobResult(
            job_id="averaged",
            counts=_apportion(mean, shots),
            shots=shots,
            metadata={"averaged_job_ids": [r.job_id for r in runs]},
        )

    @staticmethod
    def filter_by_threshold(
        result: JobResult,
        min_count: int | None = None,
        min_probability: float | None = None,
    ) -> JobResult:
        """A copy of `result` keeping only outcomes with at least
        `min_count` counts and at least `min_probability` of the counted
        shots (each criterion applied when given). `shots` is unchanged.
        """
        counts = _checked_counts(result)
        if min_count is not None:
            _check_int(min_count, "min_count", 0)
        if min_probability is not None:
            _check_fraction(min_probability, "min_probability")
        total = sum(counts.values())

        def keep(n: int) -> bool:
            if min_count is not None and n < min_count:
                return False
            return min_probability is None or (total > 0 and n / total >= min_probability)

        return _derived(result, {k: n for k, n in counts.items() if keep(n)})

    @staticmethod
    def top_k_states(result: JobResult, k: int) -> JobResult:
        """A copy of `result` keeping its `k` most common outcomes (ties
        broken by bitstring order, so the choice is deterministic)."""
        _check_int(k, "k", 0)
        counts = _checked_counts(result)
        kept = sorted(counts, key=lambda outcome: (-counts[outcome], outcome))[:k]
        return _derived(result, {outcome: counts[outcome] for outcome in kept})


# ---------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------


@dataclass
class ComparisonResult:
    """Distances between two measurement distributions P and Q (bits where
    a logarithm is involved)."""

    #: Total variation distance, in [0, 1].
    tvd: float
    #: D(P || Q) in bits; inf when P has an outcome Q never saw.
    kl_divergence: float
    #: Jensen-Shannon divergence in bits, in [0, 1].
    js_divergence: float
    #: Hellinger distance, in [0, 1].
    hellinger_distance: float
    #: Bhattacharyya coefficient sum sqrt(p q), in [0, 1] (1 = identical).
    overlap: float
    #: Pearson correlation of the counts over all outcomes seen; NaN when
    #: undefined (fewer than two outcomes, or constant counts).
    correlation: float


class ResultComparator:
    """Compares two results' distributions."""

    @staticmethod
    def compare(result1: JobResult, result2: JobResult) -> ComparisonResult:
        """Every distance in `ComparisonResult` between the two results.
        Raises ValueError when either has nothing counted."""
        p, q = _probabilities(result1), _probabilities(result2)
        return ComparisonResult(
            tvd=_tvd(p, q),
            kl_divergence=_kl_divergence(p, q),
            js_divergence=_js_divergence(p, q),
            hellinger_distance=_hellinger(p, q),
            overlap=_bhattacharyya(p, q),
            correlation=_pearson(_checked_counts(result1), _checked_counts(result2)),
        )


def _kl_divergence(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """D(P || Q) in bits; inf when Q misses an outcome of P."""
    terms = []
    for outcome, pk in p.items():
        qk = q.get(outcome, 0.0)
        if qk == 0.0:
            return math.inf
        terms.append(pk * math.log2(pk / qk))
    return max(0.0, math.fsum(terms))


def _js_divergence(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Jensen-Shannon divergence in bits: the mean KL divergence of P and
    Q from their midpoint; finite and symmetric."""
    m = {k: (p.get(k, 0.0) + q.get(k, 0.0)) / 2 for k in p.keys() | q.keys()}
    value = (_kl_divergence(p, m) + _kl_divergence(q, m)) / 2
    return min(1.0, max(0.0, value))


def _hellinger(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Hellinger distance sqrt(1/2 sum (sqrt p - sqrt q)^2), in [0, 1]."""
    keys = p.keys() | q.keys()
    squares = math.fsum((math.sqrt(p.get(k, 0.0)) - math.sqrt(q.get(k, 0.0))) ** 2 for k in keys)
    return min(1.0, math.sqrt(squares / 2))


def _bhattacharyya(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """sum sqrt(p q) over the common outcomes, in [0, 1]."""
    return min(1.0, math.fsum(math.sqrt(pk * q[k]) for k, pk in p.items() if k in q))


def _pearson(a: Mapping[str, int], b: Mapping[str, int]) -> float:
    """Pearson correlation of two count vectors over the union of their
    outcomes; NaN when undefined."""
    keys = sorted(a.keys() | b.keys())
    if len(keys) < 2:
        return math.nan
    xs = [float(a.get(k, 0)) for k in keys]
    ys = [float(b.get(k, 0)) for k in keys]
    mean_x, mean_y = math.fsum(xs) / len(xs), math.fsum(ys) / len(ys)
    cov = math.fsum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    var_x = math.fsum((x - mean_x) ** 2 for x in xs)
    var_y = math.fsum((y - mean_y) ** 2 for y in ys)
    if var_x == 0.0 or var_y == 0.0:
        return math.nan
    return max(-1.0, min(1.0, cov / math.sqrt(var_x * var_y)))


def batch_compare(results: Sequence[JobResult]) -> dict[tuple[int, int], ComparisonResult]:
    """`ResultComparator.compare` of every pair, keyed by the pair's
    indices (i, j) with i < j."""
    runs = _results(results)
    return {
        (i, j): ResultComparator.compare(runs[i], runs[j]) for i in range(len(runs)) for j in range(i + 1, len(runs))
    }


def group_by_similarity(results: Sequence[JobResult], threshold: float = 0.1) -> list[list[JobResult]]:
    """Greedy grouping: each result joins the first group whose first
    member is closer than `threshold` in total variation distance, else
    starts a new group. Groups and their members keep the input order."""
    runs = _results(results)
    _check_fraction(threshold, "threshold")
    groups: list[tuple[dict[str, float], list[JobResult]]] = []
    for run in runs:
        distribution = _probabilities(run)
        for leader, members in groups:
            if _tvd(distribution, leader) < threshold:
                members.append(run)
                break
        else:
            groups.append((distribution, [run]))
    return [members for _, members in groups]


# ---------------------------------------------------------------------------
# Convergence
# ---------------------------------------------------------------------------


@dataclass
class ConvergenceAnalysis:
    """How a distribution's statistics settle as the shots grow."""

    shot_counts: list[int]
    entropies: list[float]
    purities: list[float]
    #: Fidelities with the target; empty when no target was given.
    fidelities: list[float]
    num_unique_states: list[int]
    #: Whether the population standard deviation of the last
    #: `ConvergenceAnalyzer.WINDOW` entropies is below the threshold.
    converged: bool
    convergence_threshold: float


class ConvergenceAnalyzer:
    """Whether more shots still change the answer."""

    #: How many of the last entropies must agree for convergence.
    WINDOW = 3

    @staticmethod
    def analyze_convergence(
        results: Sequence[JobResult],
        target_state: dict[str, float] | None = None,
        threshold: float = 0.01,
    ) -> ConvergenceAnalysis:
        """Entropy, purity, distinct outcomes and (given `target_state`)
        fidelity of each run, in order of non-decreasing shots.

        Converged when the last `WINDOW` entropies have a population
        standard deviation below `threshold` bits; fewer runs than that
        never converge. Raises ValueError for shots that decrease, a run
        with nothing counted, or a threshold that is not positive.
        """
        runs = _results(results)
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise TypeError(f"threshold must be a number, got {type(threshold).__name__}")
        if not threshold > 0:
            raise ValueError(f"threshold must be > 0, got {threshold!r}")
        shots = [r.shots for r in runs]
        if any(later < earlier for earlier, later in itertools.pairwise(shots)):
            raise ValueError(f"results must be ordered by non-decreasing shots, got {shots}")
        target = None if target_state is None else _checked_distribution(target_state)
        entropies = [StatisticalAnalyzer.entropy(r) for r in runs]
        return ConvergenceAnalysis(
            shot_counts=shots,
            entropies=entropies,
            purities=[StatisticalAnalyzer.purity(r) for r in runs],
            fidelities=([] if target is None else [StatisticalAnalyzer.fidelity_estimate(r, target) for r in runs]),
            num_unique_states=[sum(1 for n in _checked_counts(r).values() if n > 0) for r in runs],
            converged=_settled(entropies, ConvergenceAnalyzer.WINDOW, float(threshold)),
            convergence_threshold=float(threshold),
        )

    @staticmethod
    def estimate_required_shots(pilot_results: Sequence[JobResult], target_precision: float = 0.01) -> int:
        """Shots for every outcome probability to have a standard error
        of at most `target_precision`: max p(1-p) / precision^2 over the
        pooled pilot runs' outcomes, and never fewer than 100.

        Raises ValueError when the pilots counted nothing.
        """
        _check_fraction(target_precision, "target_precision", open_low=True)
        pooled = ResultAggregator.combine(pilot_results).probabilities
        if not pooled:
            raise ValueError("the pilot results have no counts to estimate from")
        worst_variance = max(p * (1 - p) for p in pooled.values())
        return max(100, math.ceil(worst_variance / target_precision**2))


def _settled(values: list[float], window: int, threshold: float) -> bool:
    """Whether the last `window` values' population std is < threshold."""
    if len(values) < window:
        return False
    recent = values[-window:]
    mean = math.fsum(recent) / window
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in recent) / window)
    return std < threshold


# ---------------------------------------------------------------------------
# Transformation
# ---------------------------------------------------------------------------


class ResultTransformer:
    """Rescales results and simulates readout noise on them."""

    @staticmethod
    def normalize(result: JobResult) -> JobResult:
        """A copy whose counts sum to exactly `shots`, scaled in proportion
        (largest-remainder rounding). Raises ValueError when nothing was
        counted but shots are expected, as nothing can be scaled up."""
        counts = _checked_counts(result)
        shots = _check_int(result.shots, "shots", 0)
        if sum(counts.values()) == shots:
            return _derived(result, dict(counts))
        if sum(counts.values()) == 0:
            raise ValueError(f"job {result.job_id!r} has no counts to scale to {shots} shots")
        return _derived(result, _apportion({k: float(n) for k, n in counts.items()}, shots))

    @staticmethod
    def downsample(result: JobResult, target_shots: int) -> JobResult:
        """A copy scaled down to `target_shots` (deterministic: counts in
        proportion, largest-remainder rounding, outcomes that round to 0
        dropped). A result with no more shots than that is copied as is."""
        _check_int(target_shots, "target_shots", 1)
        if target_shots >= result.shots:
            return _derived(result, _checked_counts(result))
        probabilities = _probabilities(result)
        return _derived(result, _apportion(probabilities, target_shots), shots=target_shots)

    @staticmethod
    def apply_noise(result: JobResult, error_rate: float, seed: int | None = None) -> JobResult:
        """Simulated readout noise: every bit of every shot flips with
        probability `error_rate`, independently.

        Only '0' and '1' characters flip; register separators stay. Uses
        its own random generator (`seed` makes it reproducible and the
        global `random` state is left alone). The copy's job_id gets a
        "_noisy" suffix and its metadata records the rate under "noise".
        """
        rate = _check_fraction(error_rate, "error_rate")
        counts = _checked_counts(result)
        rng = random.Random(seed)
        noisy: dict[str, int] = {}
        for outcome, n in counts.items():
            for _ in range(n):
                flipped = _flip_bits(outcome, rate, rng)
                noisy[flipped] = noisy.get(flipped, 0) + 1
        metadata = {**copy.deepcopy(result.metadata or {}), "noise": rate}
        return _derived(result, noisy, job_id=result.job_id + "_noisy", metadata=metadata)


def _flip_bits(outcome: str, rate: float, rng: random.Random) -> str:
    """`outcome` with each '0'/'1' flipped with probability `rate`."""
    if rate == 0.0:
        return outcome
    flip = {"0": "1", "1": "0"}
    return "".join(flip[ch] if ch in flip and rng.random() < rate else ch for ch in outcome)
