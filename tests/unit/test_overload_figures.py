"""The bench's overload figures (loadtest.overload): pure."""

from __future__ import annotations

from dataclasses import dataclass

from loadtest.overload import REFUSED, admission_bound, overload_figures


@dataclass
class T:
    due: float
    outcome: str | None
    finished: float | None


def test_refused_tasks_are_left_out_and_only_the_second_half_counts_for_throughput() -> None:
    traces = [T(0.0, "completed", 1.0)]  # finished in the warm-up half: not counted for throughput
    traces += [T(5.0 + i * 0.1, "completed", 6.0 + i * 0.1) for i in range(36)]  # 36 in [5, 10): 7.2/s
    traces += [T(5.0, REFUSED, None)] * 50 + [T(9.9, None, None)]
    figures = overload_figures(traces, start=0.0, duration_s=10.0, max_rate=8.0, reference_p99_ms=400.0)
    assert (figures["submitted"], figures["admitted"], figures["refused"], figures["admitted_not_finished"]) == (
        88,
        38,
        50,
        1,
    )
    assert figures["completed_per_s"] == 7.2 and figures["throughput_ratio"] == 0.9 and figures["throughput_met"]
    assert 990 <= figures["admitted_p99_ms"] <= 1010 and figures["p99_ratio"] > 2.4 and figures["p99_met"]


def test_without_a_reference_the_p99_target_is_not_met() -> None:
    figures = overload_figures(
        [T(0.0, REFUSED, None)], start=0.0, duration_s=10.0, max_rate=10.0, reference_p99_ms=None
    )
    assert figures["admitted_p99_ms"] is None and not figures["p99_met"] and not figures["throughput_met"]


def test_the_admission_bound_is_rate_times_three_p99s_and_never_tiny() -> None:
    assert admission_bound(20.0, 800.0) == 48  # 20/s x 0.8 s x 3
    assert admission_bound(20.0, None) == 60  # an unknown p99 counts as 1 s
    assert admission_bound(1.0, 100.0) == 8
