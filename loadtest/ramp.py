"""When is a rate sustainable? Pure decision logic for the ramp (no I/O, no clock).

A rate is sustainable when, over the second half of its phase (after the warm-up):
- completions keep up with arrivals: the backlog (submitted, not yet finished tasks) grows by no
  more than the deficit `1 - min_completion_ratio` (5%) of the window's arrivals allows, or a small
  absolute slack, whichever is larger. (Over a window, completions = arrivals + backlog at the
  start - backlog at the end, so this is the completion ratio without the bias of tasks that are
  merely in flight at the window's end.)
- p99 end-to-end latency stays under `p99_limit_ms`,
- the generator itself kept to its schedule (otherwise the figure would measure the client).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PhaseObservation:
    offered_rate: float  # requests per second asked for
    window_s: float  # the judged window (second half of the phase)
    arrivals_in_window: int
    completions_in_window: int  # tasks that reached a terminal state within the window
    backlog_at_window_start: int
    backlog_at_window_end: int
    p99_ms: float
    generator_lag_p99_ms: float = 0.0
    lost: int = 0  # tasks never finished after the drain


@dataclass(frozen=True)
class RampLimits:
    p99_limit_ms: float = 1000.0
    min_completion_ratio: float = 0.95
    min_backlog_slack: int = 10
    max_generator_lag_ms: float = 200.0


@dataclass(frozen=True)
class Judgement:
    sustainable: bool
    reasons: list[str] = field(default_factory=list)


def judge(obs: PhaseObservation, limits: RampLimits = RampLimits()) -> Judgement:
    reasons: list[str] = []
    if obs.arrivals_in_window <= 0:
        return Judgement(False, ["no arrivals in the judged window"])
    deficit_slack = (1 - limits.min_completion_ratio) * obs.arrivals_in_window
    growth = obs.backlog_at_window_end - obs.backlog_at_window_start
    allowed = max(limits.min_backlog_slack, deficit_slack)
    if growth > allowed:
        ratio = obs.completions_in_window / obs.arrivals_in_window
        reasons.append(f"backlog grew by {growth} tasks (> {allowed:.0f}); completions {ratio:.0%} of arrivals")
    if not obs.p99_ms <= limits.p99_limit_ms:  # NaN (no completions) fails too
        reasons.append(f"p99 {obs.p99_ms:.0f} ms (> {limits.p99_limit_ms:.0f} ms)")
    if obs.generator_lag_p99_ms > limits.max_generator_lag_ms:
        reasons.append(f"load generator fell behind its schedule (lag p99 {obs.generator_lag_p99_ms:.0f} ms)")
    if obs.lost:
        reasons.append(f"{obs.lost} tasks never finished")
    return Judgement(not reasons, reasons)


def max_sustainable(results: list[tuple[float, Judgement]]) -> float | None:
    """The highest rate judged sustainable below the first rate that was not (None if none was)."""
    best = None
    for rate, judgement in sorted(results, key=lambda r: r[0]):
        if not judgement.sustainable:
            break
        best = rate
    return best
