"""A task's timeline from its snapshot and events, with the events made by the real saga and codec."""

from __future__ import annotations

from lammesh import timeline
from lammesh.coordinator import codec
from lammesh.saga import Emit, Saga, WatcherOutcome
from lammesh.verdict import Stage, Verdict
from lammesh.workflow import parse_workflow

FLOW = parse_workflow(
    {
        "name": "w",
        "steps": [
            {"id": "a", "uses": "noop", "compensate": {}, "retry": {"max_attempts": 3, "backoff_s": 1}},
            {"id": "b", "uses": "crm", "after": ["a"], "watchers": {"input": ["pii", "policy"]}},
        ],
    }
)


def emitted(effects, into):
    into += [codec.event("t1", e) for e in effects if isinstance(e, Emit)]


def test_a_blocked_task_shows_attempts_durations_verdicts_scores_and_its_compensation():
    events = []
    saga, effects = Saga.create("t1", FLOW, task_input={}, now=100.0)
    emitted(effects, events)
    emitted(
        saga.on_step_result(
            FLOW, step_id="a", attempt=1, compensate=False, succeeded=False, error="timeout", retryable=True, now=100.5
        ),
        events,
    )
    emitted(saga.on_tick(FLOW, now=101.5), events)
    emitted(
        saga.on_step_result(FLOW, step_id="a", attempt=2, compensate=False, succeeded=True, output={}, now=102.0),
        events,
    )
    outcomes = [
        WatcherOutcome("pii", score=0.01),
        WatcherOutcome("policy", Verdict.BLOCK, 0.99, ("outside recipient",)),
    ]
    emitted(saga.on_checks(FLOW, step_id="b", stage=Stage.INPUT, attempt=1, outcomes=outcomes, now=102.25), events)
    emitted(
        saga.on_step_result(FLOW, step_id="a", attempt=1, compensate=True, succeeded=True, output={}, now=103.0), events
    )
    task = codec.snapshot(saga, {"a": "noop", "b": "crm"})

    a, b = timeline.build(task, events)
    assert (a.step_id, a.uses, a.state, a.attempts) == ("a", "noop", "COMPENSATED", 2)
    assert a.duration_s == 2.0 and a.retries == ["timeout"]
    assert (a.compensation_attempts, a.compensation_outcome, a.compensation_duration_s) == (1, "compensated", 0.75)
    assert (b.state, b.started_at, b.duration_s) == ("FAILED", None, None)  # blocked before it ran
    (check,) = b.checks
    assert (check.stage, check.verdict) == ("INPUT", "BLOCK")
    assert [(w.watcher, w.verdict, w.score) for w in check.watchers] == [
        ("pii", "ALLOW", 0.01),
        ("policy", "BLOCK", 0.99),
    ]
    assert check.watchers[1].reasons == ("outside recipient",)
    assert "policy" in b.error and task.reason.startswith("step b failed")


def test_a_step_known_only_from_events_still_gets_a_row():
    events = []
    saga, effects = Saga.create("t1", FLOW, task_input={}, now=100.0)
    emitted(effects, events)
    task = codec.snapshot(saga, {})
    del task.steps[:]
    (a,) = timeline.build(task, events)
    assert (a.step_id, a.state, a.attempts, a.duration_s) == ("a", "RUNNING", 1, None)
