"""Pure parts of the load test: histograms, the open-loop schedule, the ramp judgement, and the
per-task analysis of event timelines."""

from __future__ import annotations

import json
import math

import pytest

from loadtest.bench import cpu_per_task_line, service_usage, summarise_profile
from loadtest.generator import PhaseResult, TaskTrace, analyse, observation, step_breakdown
from loadtest.histogram import LatencyHistogram
from loadtest.ramp import Judgement, PhaseObservation, RampLimits, judge, max_sustainable
from loadtest.schedule import arrival_offsets, ramp_rates

# -- histogram -------------------------------------------------------------------------------------


def test_percentiles_of_a_known_distribution_within_hdr_precision():
    hist = LatencyHistogram()
    for ms in range(1, 1001):  # 1..1000 ms, uniformly
        hist.record(ms / 1000)
    summary = hist.summary()
    assert summary["count"] == 1000
    assert summary["p50_ms"] == pytest.approx(500, rel=0.002)
    assert summary["p99_ms"] == pytest.approx(990, rel=0.002)
    assert summary["max_ms"] == pytest.approx(1000, rel=0.002)
    assert summary["min_ms"] == pytest.approx(1, rel=0.002)
    assert summary["mean_ms"] == pytest.approx(500.5, rel=0.002)


def test_a_tail_is_not_averaged_away():
    hist = LatencyHistogram()
    for _ in range(985):
        hist.record(0.002)
    for _ in range(15):
        hist.record(3.0)
    assert hist.percentile_ms(50) == pytest.approx(2, rel=0.002)
    assert hist.percentile_ms(99) == pytest.approx(3000, rel=0.002)


def test_empty_histogram_reports_none_and_negative_durations_are_counted():
    assert LatencyHistogram().summary()["p99_ms"] is None
    assert math.isnan(LatencyHistogram().percentile_ms(50))
    hist = LatencyHistogram()
    hist.record(-0.004)
    hist.record(0.010)
    assert hist.summary()["negative"] == 1
    assert hist.count == 2


def test_merge_adds_counts():
    a, b = LatencyHistogram(), LatencyHistogram()
    a.record(0.001)
    b.record(0.1)
    b.record(0.1)
    a.merge(b)
    assert a.count == 3
    assert a.percentile_ms(90) == pytest.approx(100, rel=0.002)


# -- arrival schedule ------------------------------------------------------------------------------


def test_uniform_schedule_is_fixed_by_rate_and_start_not_by_answers():
    offsets = arrival_offsets(50, 2.0)
    assert len(offsets) == 100
    assert offsets[0] == 0
    assert all(b - a == pytest.approx(0.02) for a, b in zip(offsets, offsets[1:]))
    assert offsets[-1] < 2.0


def test_poisson_schedule_has_the_rate_on_average_and_is_repeatable():
    offsets = arrival_offsets(200, 50.0, poisson=True, seed=7)
    assert len(offsets) == pytest.approx(10_000, rel=0.05)
    assert offsets == arrival_offsets(200, 50.0, poisson=True, seed=7)
    assert all(b >= a for a, b in zip(offsets, offsets[1:]))
    assert max(offsets) < 50.0


@pytest.mark.parametrize("rate, duration", [(0, 1), (-1, 1), (10, 0)])
def test_schedule_rejects_nonsense(rate, duration):
    with pytest.raises(ValueError):
        arrival_offsets(rate, duration)


def test_ramp_rates_grow_geometrically_and_end_at_the_maximum():
    assert list(ramp_rates(10, 2, 100)) == [10, 20, 40, 80, 100]
    assert list(ramp_rates(5, 1.5, 5)) == [5]


# -- ramp judgement --------------------------------------------------------------------------------


def _obs(**overrides) -> PhaseObservation:
    values = dict(
        offered_rate=100,
        window_s=10,
        arrivals_in_window=1000,
        completions_in_window=1000,
        backlog_at_window_start=20,
        backlog_at_window_end=22,
        p99_ms=150.0,
    )
    values.update(overrides)
    return PhaseObservation(**values)


def test_keeping_up_with_bounded_p99_is_sustainable():
    assert judge(_obs()) == Judgement(True, [])


def test_a_growing_backlog_is_not_sustainable():
    verdict = judge(_obs(completions_in_window=800, backlog_at_window_end=220))
    assert not verdict.sustainable
    assert "backlog grew by 200" in verdict.reasons[0]
    assert "80% of arrivals" in verdict.reasons[0]


def test_small_backlog_noise_is_tolerated():
    assert judge(_obs(backlog_at_window_end=20 + 45)).sustainable  # within 5% of 1000 arrivals
    assert judge(_obs(arrivals_in_window=40, backlog_at_window_end=20 + 9)).sustainable  # absolute slack


def test_unbounded_p99_lost_tasks_and_a_lagging_generator_each_fail():
    assert "p99" in judge(_obs(p99_ms=5000), RampLimits(p99_limit_ms=1000)).reasons[0]
    assert not judge(_obs(p99_ms=float("nan"))).sustainable
    assert "never finished" in judge(_obs(lost=3)).reasons[0]
    assert "fell behind" in judge(_obs(generator_lag_p99_ms=900)).reasons[0]
    assert not judge(_obs(arrivals_in_window=0)).sustainable


def test_max_sustainable_is_the_last_good_rate_before_the_first_bad_one():
    ok, bad = Judgement(True), Judgement(False, ["x"])
    assert max_sustainable([(10, ok), (20, ok), (40, bad), (80, ok)]) == 20
    assert max_sustainable([(10, bad)]) is None
    assert max_sustainable([(20, ok), (10, ok)]) == 20


# -- per-task analysis -----------------------------------------------------------------------------


def _trace(start: float = 100.0) -> TaskTrace:
    """Two steps: checks 3 ms, then dispatch; s1's work takes 1 ms, s2's 2 ms."""
    at = start
    events = {}
    seq = 0

    def add(kind: str, step: str, offset_ms: float) -> None:
        nonlocal seq
        seq += 1
        events[seq] = (kind, step, at + offset_ms / 1000)

    add("task.started", "", 5)
    add("watchers.checked", "s1", 8)
    add("step.dispatched", "s1", 8)
    add("step.succeeded", "s1", 18)  # 10 ms after dispatch, 1 ms of it work
    add("watchers.checked", "s2", 21)
    add("step.dispatched", "s2", 21)
    add("step.succeeded", "s2", 33)  # 12 ms after dispatch, 2 ms of it work
    add("task.completed", "", 33)
    return TaskTrace(
        "t1",
        due=start,
        events=events,
        outcome="completed",
        finished=start + 0.036,
        service_s={("s1", 1, 1): 0.001, ("s2", 1, 1): 0.002},
    )


def test_step_breakdown_separates_checks_transit_and_work():
    rows = {step: (overhead, checks, transit) for step, overhead, checks, transit in step_breakdown(_trace())}
    assert rows["s1"] == pytest.approx((0.012, 0.003, 0.009))
    assert rows["s2"] == pytest.approx((0.013, 0.003, 0.010))


def test_sibling_steps_dispatched_in_one_pass_share_their_ready_time():
    trace = TaskTrace(
        "t",
        due=0,
        events={
            1: ("task.started", "", 1.0),
            2: ("step.dispatched", "a", 1.004),
            3: ("step.dispatched", "b", 1.004),
            4: ("step.succeeded", "b", 1.010),
        },
    )
    ((step, overhead, checks, transit),) = step_breakdown(trace)
    assert step == "b" and checks == pytest.approx(0.004) and transit == pytest.approx(0.006)


def test_analyse_counts_outcomes_and_subtracts_step_work():
    done = _trace()
    compensated = TaskTrace(
        "t2",
        due=100.0,
        expect="compensated",
        outcome="compensated",
        finished=100.05,
        events={1: ("task.started", "", 100.004), 2: ("task.compensated", "", 100.045)},
    )
    wrong = TaskTrace(
        "t3", due=100.0, expect="completed", outcome="failed", finished=100.05, events={1: ("task.failed", "", 100.01)}
    )
    lost = TaskTrace("t4", due=100.5)
    phase = PhaseResult(4, 1.0, [done, compensated, wrong, lost], start=100.0, drained=False, lag=LatencyHistogram())
    figures = analyse(phase)
    assert figures["outcomes"] == {"completed": 1, "compensated": 1, "failed": 1, "lost": 1}
    assert figures["expected"] == {"completed": 3, "compensated": 1}
    assert figures["unexpected_outcomes"] == 1
    assert figures["lost"] == 1
    assert figures["e2e"]["count"] == 3
    assert figures["step_overhead"]["count"] == 2  # only completed tasks' steps
    assert figures["overhead"]["min_ms"] == pytest.approx(33, rel=0.01)  # 36 ms e2e - 3 ms of work
    assert figures["intake"]["min_ms"] == pytest.approx(4, rel=0.01)
    assert figures["delivery"]["min_ms"] == pytest.approx(3, rel=0.01)  # terminal event -> seen here


def test_observation_measures_backlog_in_the_second_half():
    traces = [TaskTrace(f"t{i}", due=i * 0.1, outcome="completed", finished=i * 0.1 + 0.05) for i in range(100)]
    traces += [TaskTrace(f"slow{i}", due=6.0 + i * 0.1) for i in range(30)]  # never finished
    phase = PhaseResult(10, 10.0, traces, start=0.0, drained=False, lag=LatencyHistogram())
    obs = observation(phase)
    assert obs.arrivals_in_window == 50 + 30
    assert obs.backlog_at_window_start == 1  # the task due at 5.0 s is still in flight then
    assert obs.backlog_at_window_end == 30
    assert obs.lost == 30
    assert math.isinf(obs.p99_ms)  # unfinished tasks in the window: latency unbounded
    assert not judge(obs).sustainable


# -- service usage and profile summary --------------------------------------------------------------


def test_service_usage_reports_busy_fraction_and_mean_handling_time():
    before = {"coordinator-0": {"cpu_seconds": 10.0, "t:sum": 1.0, "t:count": 100}}
    after = {"coordinator-0": {"cpu_seconds": 15.0, "t:sum": 9.0, "t:count": 1100}}
    usage = service_usage(before, after, wall_s=10.0)["coordinator-0"]
    assert usage["cpu_utilisation"] == 0.5
    assert usage["records"]["t"] == {"records": 1000, "mean_handle_ms": 8.0, "busy_fraction": 0.8}
    assert usage["busy_fraction"] == 0.8
    assert "cpu_ms_per_task" not in usage  # no task count given


def test_service_usage_reports_cpu_per_task():
    before = {"coordinator-0": {"cpu_seconds": 10.0}, "noop-0": {"cpu_seconds": 1.0}}
    after = {"coordinator-0": {"cpu_seconds": 13.0}, "noop-0": {"cpu_seconds": 2.5}}
    usage = service_usage(before, after, wall_s=10.0, tasks=200)
    assert usage["coordinator-0"]["cpu_ms_per_task"] == 15.0
    assert usage["noop-0"]["cpu_ms_per_task"] == 7.5
    assert cpu_per_task_line(usage) == "coordinator-0 15.00, noop-0 7.50, mesh total 22.50"


def test_service_usage_takes_idle_cpu_off_the_cpu_per_task():
    before = {"coordinator-0": {"cpu_seconds": 10.0}}
    after = {"coordinator-0": {"cpu_seconds": 13.0}}
    usage = service_usage(before, after, wall_s=10.0, tasks=200, idle={"coordinator-0": 0.1})["coordinator-0"]
    assert usage["cpu_ms_per_task"] == 15.0
    assert usage["cpu_ms_per_task_net"] == 10.0  # 1 s of the 3 was background
    assert usage["idle_cpu_utilisation"] == 0.1


def test_profile_summary_counts_inclusive_and_self_time():
    collapsed = "\n".join(
        [
            "process 1;<module> (lammesh:6);run (lammesh/cli.py:56);handle (p.py:1);encode (e.py:2) 30",
            "process 1;<module> (lammesh:6);run (lammesh/cli.py:56);handle (p.py:1) 10",
            "process 1;<module> (lammesh:6);select (s.py:3) 60",
        ]
    )
    summary = summarise_profile(collapsed)
    assert summary["samples"] == 100
    inclusive = {row["function"]: row["share"] for row in summary["top_inclusive"]}
    own = {row["function"]: row["share"] for row in summary["top_self"]}
    assert inclusive["handle (p.py:1)"] == 0.4 and own["handle (p.py:1)"] == 0.1
    assert own["encode (e.py:2)"] == 0.3 and own["select (s.py:3)"] == 0.6
    assert not any("lammesh/cli.py" in f for f in inclusive)  # boilerplate frames left out
    assert summary["top_project"] == []  # no lammesh/ frame in this made-up profile


def test_each_meeting_task_gets_its_own_account_and_the_seed_has_it():
    from loadtest import meetings
    from loadtest.scenarios import meeting_followup

    workload = meeting_followup().workload
    first, second = workload.make_input(0), workload.make_input(1)
    assert first["account_domain"] != second["account_domain"]
    assert first["account_domain"] in json.dumps(first["participants"])  # every mention follows the domain
    assert not set(first) & meetings.META_FIELDS
    assert workload.expect(0) == "completed"
    seed = meetings.crm_seed([first["account_domain"], "t00009-unknown.example"])
    assert [a["domain"] for a in seed["accounts"]] == [first["account_domain"]]  # unknown samples are not seeded
