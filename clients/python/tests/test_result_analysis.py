"""Unit tests for arvak_grpc.result_analysis (no server)."""

from __future__ import annotations

import copy
import math
import random

import pytest

from arvak_grpc.result_analysis import (
    AggregatedResult,
    ComparisonResult,
    ConvergenceAnalysis,
    ConvergenceAnalyzer,
    ResultAggregator,
    ResultComparator,
    ResultTransformer,
    batch_compare,
    group_by_similarity,
)
from arvak_grpc.types import JobResult


def bell(job_id: str = "bell", shots: int = 100) -> JobResult:
    half = shots // 2
    return JobResult(job_id, {"00": half, "11": shots - half}, shots)


# ---------------------------------------------------------------------------
# ResultAggregator
# ---------------------------------------------------------------------------


class TestCombine:
    def test_sums_counts_shots_and_averages_time(self) -> None:
        a = JobResult("a", {"00": 30, "11": 70}, 100, execution_time_ms=10)
        b = JobResult("b", {"00": 5, "01": 15}, 20, execution_time_ms=30)
        c = JobResult("c", {"11": 1}, 1)
        combined = ResultAggregator.combine([a, b, c])
        assert combined == AggregatedResult(
            job_ids=["a", "b", "c"],
            counts={"00": 35, "11": 71, "01": 15},
            total_shots=121,
            num_jobs=3,
            mean_execution_time_ms=20.0,
        )

    def test_probabilities_are_shares_of_the_summed_counts(self) -> None:
        # shots (1000) differ from what was counted (4): probabilities
        # must still sum to 1.
        combined = ResultAggregator.combine([JobResult("a", {"0": 1, "1": 3}, 1000)])
        assert combined.probabilities == {"0": 0.25, "1": 0.75}

    def test_empty_list_gives_empty_aggregate(self) -> None:
        combined = ResultAggregator.combine([])
        assert combined == AggregatedResult([], {}, 0, 0, None)
        assert combined.probabilities == {}

    def test_does_not_mutate_inputs(self) -> None:
        a, b = bell("a"), bell("b")
        before = (copy.deepcopy(a), copy.deepcopy(b))
        ResultAggregator.combine([a, b])
        assert (a, b) == before

    def test_mixed_widths_are_refused(self) -> None:
        with pytest.raises(ValueError, match="different widths"):
            ResultAggregator.combine([JobResult("a", {"00": 1}, 1), JobResult("b", {"000": 1}, 1)])

    def test_to_job_result(self) -> None:
        combined = ResultAggregator.combine([JobResult("a", {"0": 2}, 2, 4), JobResult("b", {"1": 2}, 2, 6)])
        assert combined.to_job_result() == JobResult(
            "aggregated", {"0": 2, "1": 2}, 4, 5, {"aggregated_job_ids": ["a", "b"]}
        )


class TestAverage:
    def test_averages_distributions_over_first_shots(self) -> None:
        avg = ResultAggregator.average([JobResult("a", {"00": 100}, 100), JobResult("b", {"11": 10}, 10)])
        assert avg.job_id == "averaged"
        assert avg.counts == {"00": 50, "11": 50}
        assert avg.shots == 100
        assert avg.metadata == {"averaged_job_ids": ["a", "b"]}

    def test_rounding_keeps_the_exact_total(self) -> None:
        runs = [JobResult(str(i), {k: 7}, 100) for i, k in enumerate(["00", "01", "10"])]
        avg = ResultAggregator.average(runs)
        # 100/3 each: the one leftover shot goes to the first bitstring.
        assert avg.counts == {"00": 34, "01": 33, "10": 33}
        assert sum(avg.counts.values()) == 100

    def test_no_results_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="at least one"):
            ResultAggregator.average([])

    def test_result_without_counts_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="no counts"):
            ResultAggregator.average([bell(), JobResult("empty", {}, 100)])


class TestFilters:
    def test_filter_by_min_count(self) -> None:
        r = JobResult("r", {"00": 50, "01": 3, "11": 47}, 100, 9, {"tag": ["x"]})
        filtered = ResultAggregator.filter_by_threshold(r, min_count=4)
        assert filtered == JobResult("r", {"00": 50, "11": 47}, 100, 9, {"tag": ["x"]})
        assert r.counts == {"00": 50, "01": 3, "11": 47}

    def test_filter_by_min_probability(self) -> None:
        r = JobResult("r", {"00": 50, "01": 10, "11": 40}, 100)
        filtered = ResultAggregator.filter_by_threshold(r, min_probability=0.1)
        assert filtered.counts == {"00": 50, "01": 10, "11": 40}
        filtered = ResultAggregator.filter_by_threshold(r, min_probability=0.11)
        assert filtered.counts == {"00": 50, "11": 40}

    def test_copy_has_its_own_metadata(self) -> None:
        r = JobResult("r", {"0": 1}, 1, metadata={"tags": ["a"]})
        filtered = ResultAggregator.filter_by_threshold(r, min_count=0)
        assert filtered.metadata is not None
        filtered.metadata["tags"].append("b")
        assert r.metadata == {"tags": ["a"]}

    def test_bad_thresholds(self) -> None:
        with pytest.raises(ValueError):
            ResultAggregator.filter_by_threshold(bell(), min_count=-1)
        with pytest.raises(ValueError):
            ResultAggregator.filter_by_threshold(bell(), min_probability=1.5)

    def test_top_k_is_deterministic_on_ties(self) -> None:
        r = JobResult("r", {"11": 5, "10": 5, "01": 9, "00": 1}, 20)
        assert ResultAggregator.top_k_states(r, 2).counts == {"01": 9, "10": 5}
        assert ResultAggregator.top_k_states(r, 0).counts == {}
        assert ResultAggregator.top_k_states(r, 10).counts == r.counts
        with pytest.raises(ValueError):
            ResultAggregator.top_k_states(r, -1)


# ---------------------------------------------------------------------------
# ResultComparator
# ---------------------------------------------------------------------------


class TestCompare:
    def test_identical_distributions(self) -> None:
        c = ResultComparator.compare(JobResult("a", {"00": 25, "11": 75}, 100), JobResult("b", {"00": 1, "11": 3}, 4))
        assert c.tvd == 0.0
        assert c.kl_divergence == 0.0
        assert c.js_divergence == 0.0
        assert c.hellinger_distance == pytest.approx(0.0, abs=1e-12)
        assert c.overlap == pytest.approx(1.0)
        assert c.correlation == pytest.approx(1.0)

    def test_disjoint_distributions(self) -> None:
        c = ResultComparator.compare(JobResult("a", {"00": 10}, 10), JobResult("b", {"11": 10}, 10))
        assert c.tvd == 1.0
        assert c.kl_divergence == math.inf
        assert c.js_divergence == 1.0
        assert c.hellinger_distance == 1.0
        assert c.overlap == 0.0
        assert c.correlation == pytest.approx(-1.0)

    def test_known_values(self) -> None:
        p = JobResult("p", {"0": 2, "1": 2}, 4)  # (1/2, 1/2)
        q = JobResult("q", {"0": 3, "1": 1}, 4)  # (3/4, 1/4)
        c = ResultComparator.compare(p, q)
        assert c.tvd == 0.25
        # 1/2 log2(2/3) + 1/2 log2(2)
        assert c.kl_divergence == pytest.approx(0.2075187496394219)
        assert c.overlap == pytest.approx(math.sqrt(3 / 8) + math.sqrt(1 / 8))
        assert c.hellinger_distance == pytest.approx(math.sqrt(1 - c.overlap))
        assert 0.0 < c.js_divergence < c.kl_divergence

    def test_correlation_is_nan_when_undefined(self) -> None:
        c = ResultComparator.compare(JobResult("a", {"0": 5}, 5), JobResult("b", {"0": 7}, 7))
        assert math.isnan(c.correlation)
        assert c.tvd == 0.0

    def test_empty_result_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="no counts"):
            ResultComparator.compare(bell(), JobResult("empty", {}, 0))

    def test_bad_counts_are_errors(self) -> None:
        with pytest.raises(ValueError, match="negative"):
            ResultComparator.compare(bell(), JobResult("neg", {"00": -1, "11": 2}, 1))
        with pytest.raises(TypeError, match="not an integer"):
            ResultComparator.compare(bell(), JobResult("f", {"00": 0.5}, 1))  # type: ignore[dict-item]
        with pytest.raises(TypeError, match="JobResult"):
            ResultComparator.compare(bell(), {"00": 1})  # type: ignore[arg-type]


def test_batch_compare_covers_every_pair_once() -> None:
    runs = [
        JobResult("a", {"0": 1}, 1),
        JobResult("b", {"1": 1}, 1),
        JobResult("c", {"0": 1, "1": 1}, 2),
    ]
    comparisons = batch_compare(runs)
    assert sorted(comparisons) == [(0, 1), (0, 2), (1, 2)]
    assert all(isinstance(c, ComparisonResult) for c in comparisons.values())
    assert comparisons[(0, 1)].tvd == 1.0
    assert comparisons[(0, 2)].tvd == 0.5
    assert batch_compare([]) == {}


def test_group_by_similarity_groups_by_tvd_to_first_member() -> None:
    a1 = JobResult("a1", {"00": 50, "11": 50}, 100)
    a2 = JobResult("a2", {"00": 52, "11": 48}, 100)  # TVD 0.02 to a1
    b1 = JobResult("b1", {"01": 100}, 100)
    a3 = JobResult("a3", {"00": 45, "11": 55}, 100)  # TVD 0.05 to a1
    groups = group_by_similarity([a1, b1, a2, a3], threshold=0.03)
    assert [[r.job_id for r in g] for g in groups] == [["a1", "a2"], ["b1"], ["a3"]]
    groups = group_by_similarity([a1, b1, a2, a3])
    assert [[r.job_id for r in g] for g in groups] == [["a1", "a2", "a3"], ["b1"]]
    with pytest.raises(ValueError):
        group_by_similarity([a1], threshold=-0.1)


# ---------------------------------------------------------------------------
# ConvergenceAnalyzer
# ---------------------------------------------------------------------------


class TestConvergence:
    def test_settled_distribution_converges(self) -> None:
        runs = [bell(str(s), s) for s in (100, 200, 400, 800)]
        analysis = ConvergenceAnalyzer.analyze_convergence(runs, target_state={"00": 0.5, "11": 0.5})
        assert analysis == ConvergenceAnalysis(
            shot_counts=[100, 200, 400, 800],
            entropies=[1.0, 1.0, 1.0, 1.0],
            purities=[0.5, 0.5, 0.5, 0.5],
            fidelities=[1.0, 1.0, 1.0, 1.0],
            num_unique_states=[2, 2, 2, 2],
            converged=True,
            convergence_threshold=0.01,
        )

    def test_moving_distribution_does_not_converge(self) -> None:
        runs = [
            JobResult("a", {"00": 100}, 100),
            JobResult("b", {"00": 150, "11": 50}, 200),
            JobResult("c", {"00": 200, "11": 200}, 400),
        ]
        analysis = ConvergenceAnalyzer.analyze_convergence(runs)
        assert analysis.entropies[0] == 0.0 and analysis.entropies[2] == 1.0
        assert analysis.fidelities == []
        assert analysis.converged is False

    def test_fewer_than_window_runs_never_converge(self) -> None:
        analysis = ConvergenceAnalyzer.analyze_convergence([bell("a"), bell("b", 200)])
        assert analysis.converged is False

    def test_bad_input(self) -> None:
        with pytest.raises(ValueError, match="non-decreasing"):
            ConvergenceAnalyzer.analyze_convergence([bell("a", 200), bell("b", 100)])
        with pytest.raises(ValueError, match="threshold"):
            ConvergenceAnalyzer.analyze_convergence([bell()], threshold=0)
        with pytest.raises(ValueError, match="sum to 1"):
            ConvergenceAnalyzer.analyze_convergence([bell()], target_state={"00": 50, "11": 50})

    def test_required_shots(self) -> None:
        # p = 1/2 is the worst case: 0.25 / 0.01^2
        assert ConvergenceAnalyzer.estimate_required_shots([bell()]) == 2500
        assert ConvergenceAnalyzer.estimate_required_shots([bell()], 0.05) == 100
        # a deterministic outcome needs no more than the floor
        assert ConvergenceAnalyzer.estimate_required_shots([JobResult("d", {"0": 9}, 9)]) == 100
        with pytest.raises(ValueError, match="no counts"):
            ConvergenceAnalyzer.estimate_required_shots([JobResult("e", {}, 0)])
        with pytest.raises(ValueError):
            ConvergenceAnalyzer.estimate_required_shots([bell()], target_precision=0)


# ---------------------------------------------------------------------------
# ResultTransformer
# ---------------------------------------------------------------------------


class TestTransformer:
    def test_normalize_scales_to_shots(self) -> None:
        r = JobResult("r", {"0": 1, "1": 2}, 6, 5, {"m": 1})
        n = ResultTransformer.normalize(r)
        assert n == JobResult("r", {"0": 2, "1": 4}, 6, 5, {"m": 1})
        assert n is not r and r.counts == {"0": 1, "1": 2}

    def test_normalize_rounding_is_exact(self) -> None:
        n = ResultTransformer.normalize(JobResult("r", {"00": 1, "01": 1, "10": 1}, 10))
        assert n.counts == {"00": 4, "01": 3, "10": 3}

    def test_normalize_already_normal_is_an_equal_copy(self) -> None:
        r = bell()
        n = ResultTransformer.normalize(r)
        assert n == r and n is not r and n.counts is not r.counts

    def test_normalize_nothing_counted_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="no counts"):
            ResultTransformer.normalize(JobResult("e", {}, 10))

    def test_downsample(self) -> None:
        r = JobResult("r", {"00": 500, "01": 2, "11": 498}, 1000)
        d = ResultTransformer.downsample(r, 10)
        assert d.shots == 10
        assert d.counts == {"00": 5, "11": 5}
        assert ResultTransformer.downsample(r, 5000) == r
        with pytest.raises(ValueError):
            ResultTransformer.downsample(r, 0)

    def test_noise_free_keeps_counts(self) -> None:
        r = JobResult("r", {"00": 3, "11": 2}, 5, 7, {"noise": "old", "k": 1})
        noisy = ResultTransformer.apply_noise(r, 0.0)
        assert noisy == JobResult("r_noisy", {"00": 3, "11": 2}, 5, 7, {"noise": 0.0, "k": 1})

    def test_full_noise_flips_every_bit_but_not_separators(self) -> None:
        r = JobResult("r", {"01 1": 4, "00 0": 2}, 6)
        noisy = ResultTransformer.apply_noise(r, 1.0)
        assert noisy.counts == {"10 0": 4, "11 1": 2}

    def test_seeded_noise_is_reproducible_and_leaves_global_random_alone(self) -> None:
        r = JobResult("r", {"0000": 500, "1111": 500}, 1000)
        random.seed(1234)
        expected_next = random.random()
        random.seed(1234)
        first = ResultTransformer.apply_noise(r, 0.1, seed=7)
        assert random.random() == expected_next
        second = ResultTransformer.apply_noise(r, 0.1, seed=7)
        assert first.counts == second.counts
        assert sum(first.counts.values()) == 1000
        assert first.counts != r.counts
        # with 10% flips per bit, the two ideal outcomes keep ~0.9^4 each
        kept = first.counts.get("0000", 0) + first.counts.get("1111", 0)
        assert 560 < kept < 750

    def test_bad_error_rate(self) -> None:
        with pytest.raises(ValueError):
            ResultTransformer.apply_noise(bell(), 1.5)
