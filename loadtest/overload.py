"""The overload phase's figures (#13, DESIGN targets): pure, from the phase's traces.

Under 3x the max sustainable rate, submitted through the gateway (whose admission control refuses
what does not fit), the mesh should keep completing >= 90% of the max sustainable rate, and the tasks
it admitted should finish with a p99 within 3x the p99 of the same path at the max sustainable rate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Protocol

from loadtest.histogram import LatencyHistogram

MIN_THROUGHPUT_RATIO = 0.9
MAX_P99_RATIO = 3.0
REFUSED = "refused"


class Trace(Protocol):
    due: float
    outcome: str | None
    finished: float | None


def overload_figures(
    traces: Iterable[Trace], *, start: float, duration_s: float, max_rate: float, reference_p99_ms: float | None
) -> dict[str, Any]:
    """Completions per second over the second half of the submissions (after the warm-up) against
    `max_rate`; the p99 (from each task's due time) of admitted tasks against `reference_p99_ms`."""
    traces = list(traces)
    window_start, window_end = start + duration_s / 2, start + duration_s
    admitted = [t for t in traces if t.outcome != REFUSED]
    completed_in_window = sum(
        1
        for t in admitted
        if t.outcome == "completed" and t.finished is not None and window_start <= t.finished < window_end
    )
    completed_per_s = completed_in_window / (duration_s / 2)
    e2e = LatencyHistogram()
    for trace in admitted:
        if trace.finished is not None:
            e2e.record(trace.finished - trace.due)
    p99 = e2e.percentile_ms(99) if e2e.count else None
    throughput_ratio = round(completed_per_s / max_rate, 3) if max_rate else None
    p99_ratio = round(p99 / reference_p99_ms, 2) if p99 is not None and reference_p99_ms else None
    return {
        "submitted": len(traces),
        "admitted": len(admitted),
        "refused": len(traces) - len(admitted),
        "admitted_not_finished": sum(1 for t in admitted if t.finished is None),
        "completed_per_s": round(completed_per_s, 2),
        "max_sustainable_rate": max_rate,
        "throughput_ratio": throughput_ratio,
        "admitted_p99_ms": None if p99 is None else round(p99, 1),
        "reference_p99_ms": reference_p99_ms,
        "p99_ratio": p99_ratio,
        "throughput_met": throughput_ratio is not None and throughput_ratio >= MIN_THROUGHPUT_RATIO,
        "p99_met": p99_ratio is not None and p99_ratio <= MAX_P99_RATIO,
    }


def admission_bound(max_rate: float, p99_ms: float | None) -> int:
    """The gateway's in-flight bound for the overload phase, by Little's law (in flight ≈ rate ×
    latency): room for the max sustainable rate at MAX_P99_RATIO × its p99 (1 s when unknown), the
    latency the target allows admitted tasks under overload. (1.5× was measured too tight: the
    gateway path's latency varies more, and throughput fell to 45%.)"""
    p99_s = (p99_ms or 1000.0) / 1000
    return max(8, math.ceil(max_rate * p99_s * MAX_P99_RATIO))
