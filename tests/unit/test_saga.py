"""The saga state machine, driven by hand: no Kafka, no gRPC, no clock."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lammesh.saga import Dispatch, Emit, RunChecks, Saga, StepState, TaskStatus, WatcherOutcome
from lammesh.verdict import Stage, Verdict
from lammesh.workflow import parse_workflow


def flow(*steps, **top):
    return parse_workflow({"name": "w", "steps": list(steps), **top})


def dispatches(effects, compensate=None):
    return [e for e in effects if isinstance(e, Dispatch) and (compensate is None or e.compensate == compensate)]


def kinds(effects):
    return [e.kind for e in effects if isinstance(e, Emit)]


LINEAR = flow(
    {"id": "a", "uses": "noop", "input": {"x": "${input.x}"}, "compensate": {}},
    {"id": "b", "uses": "crm", "input": {"y": "${steps.a.output.x}"}, "compensate": {"uses": "crm_restore"}},
    {"id": "c", "uses": "noop", "after": ["b"], "retry": {"max_attempts": 2, "backoff_s": 1}},
)


def start(workflow=LINEAR, task_input=None):
    return Saga.create("t1", workflow, task_input={"x": 1} if task_input is None else task_input, now=100.0)


def ok(saga, workflow, step_id, output=None, attempt=None, now=101.0):
    attempt = attempt or saga.steps[step_id].attempt
    return saga.on_step_result(
        workflow,
        step_id=step_id,
        attempt=attempt,
        compensate=False,
        succeeded=True,
        output=output if output is not None else {"x": 1},
        now=now,
    )


def fail(saga, workflow, step_id, retryable=False, now=101.0):
    return saga.on_step_result(
        workflow,
        step_id=step_id,
        attempt=saga.steps[step_id].attempt,
        compensate=False,
        succeeded=False,
        error="nope",
        retryable=retryable,
        now=now,
    )


def compensated(saga, workflow, step_id, succeeded=True, retryable=True, now=102.0):
    return saga.on_step_result(
        workflow,
        step_id=step_id,
        attempt=saga.steps[step_id].compensation_attempt,
        compensate=True,
        succeeded=succeeded,
        error="" if succeeded else "down",
        retryable=retryable,
        now=now,
    )


def test_steps_run_in_dependency_order_with_resolved_inputs():
    saga, effects = start()
    assert [d.step_id for d in dispatches(effects)] == ["a"]
    assert dispatches(effects)[0].input == {"x": 1} and dispatches(effects)[0].deadline == 130.0
    effects = ok(saga, LINEAR, "a", {"x": 42})
    assert [(d.step_id, d.capability, d.input) for d in dispatches(effects)] == [("b", "crm", {"y": 42})]
    effects = ok(saga, LINEAR, "b")
    effects = ok(saga, LINEAR, "c")
    assert saga.status is TaskStatus.COMPLETED
    assert kinds(effects)[-1] == "task.completed"
    assert [e.sequence for e in effects if isinstance(e, Emit)] == sorted(
        e.sequence for e in effects if isinstance(e, Emit)
    )


def test_independent_steps_run_in_parallel():
    diamond = flow(
        {"id": "a", "uses": "noop"},
        {"id": "b", "uses": "noop", "after": ["a"]},
        {"id": "c", "uses": "noop", "after": ["a"]},
        {"id": "d", "uses": "noop", "after": ["b", "c"]},
    )
    saga, _ = start(diamond)
    assert sorted(d.step_id for d in dispatches(ok(saga, diamond, "a"))) == ["b", "c"]
    assert dispatches(ok(saga, diamond, "c")) == []  # d waits for b
    assert [d.step_id for d in dispatches(ok(saga, diamond, "b"))] == ["d"]


def test_retryable_failure_backs_off_then_retries_on_a_timer():
    saga, _ = start()
    ok(saga, LINEAR, "a"), ok(saga, LINEAR, "b")
    effects = fail(saga, LINEAR, "c", retryable=True, now=200.0)
    assert kinds(effects) == ["step.retry_scheduled"] and saga.next_timer() == 201.0
    assert saga.on_tick(LINEAR, 200.5) == []
    retry = dispatches(saga.on_tick(LINEAR, 201.0))
    assert [(d.step_id, d.attempt) for d in retry] == [("c", 2)]
    # The second failure exhausts max_attempts=2: roll back b, then a.
    effects = fail(saga, LINEAR, "c", retryable=True, now=202.0)
    assert saga.status is TaskStatus.COMPENSATING
    assert [(d.step_id, d.capability, d.compensate) for d in dispatches(effects)] == [("b", "crm_restore", True)]


def test_failure_compensates_succeeded_steps_in_reverse_order():
    saga, _ = start()
    ok(saga, LINEAR, "a", {"x": 7}), ok(saga, LINEAR, "b", {"version": 3})
    effects = fail(saga, LINEAR, "c")  # not retryable
    first = dispatches(effects, compensate=True)
    assert [d.step_id for d in first] == ["b"]
    assert first[0].previous_output == {"version": 3} and first[0].input == {"y": 7}
    second = dispatches(compensated(saga, LINEAR, "b"))
    assert [d.step_id for d in second] == ["a"]
    effects = compensated(saga, LINEAR, "a")
    assert saga.status is TaskStatus.COMPENSATED
    assert "step c failed: nope" in saga.reason
    assert kinds(effects)[-1] == "task.compensated"


def test_compensation_failure_is_retried_then_needs_a_person():
    saga, _ = start()
    ok(saga, LINEAR, "a"), ok(saga, LINEAR, "b")
    fail(saga, LINEAR, "c")
    now = 300.0
    for attempt in range(1, 5):  # compensation retry policy default: 5 attempts
        effects = compensated(saga, LINEAR, "b", succeeded=False, now=now)
        assert kinds(effects) == ["step.compensation_retry_scheduled"]
        now = saga.next_timer()
        assert [d.attempt for d in dispatches(saga.on_tick(LINEAR, now))] == [attempt + 1]
    effects = compensated(saga, LINEAR, "b", succeeded=False, now=now)
    assert saga.steps["b"].state is StepState.COMPENSATION_FAILED
    assert [d.step_id for d in dispatches(effects)] == ["a"]  # the rest is still undone
    compensated(saga, LINEAR, "a")
    assert saga.status is TaskStatus.FAILED
    assert saga.needs_attention == ["b"] and "compensation failed for b" in saga.reason


def test_steps_after_a_pivot_are_never_compensated():
    pivoted = flow(
        {"id": "a", "uses": "crm", "compensate": {}},
        {"id": "send", "uses": "email", "after": ["a"], "pivot": True},
        {"id": "log", "uses": "noop", "after": ["send"], "retry": {"max_attempts": 3, "backoff_s": 0}},
    )
    saga, _ = start(pivoted)
    ok(saga, pivoted, "a"), ok(saga, pivoted, "send")
    for _ in range(2):
        fail(saga, pivoted, "log", retryable=True)
        assert [d.step_id for d in dispatches(saga.on_tick(pivoted, 101.0))] == ["log"]  # retried forward
    effects = fail(saga, pivoted, "log", retryable=True)
    assert dispatches(effects) == []
    assert saga.status is TaskStatus.FAILED and saga.needs_attention == ["log"]


def test_a_failing_pivot_still_rolls_back_what_came_before():
    pivoted = flow(
        {"id": "a", "uses": "crm", "compensate": {}}, {"id": "send", "uses": "email", "after": ["a"], "pivot": True}
    )
    saga, _ = start(pivoted)
    ok(saga, pivoted, "a")
    assert [d.step_id for d in dispatches(fail(saga, pivoted, "send"), compensate=True)] == ["a"]


def test_duplicate_and_stale_results_change_nothing():
    saga, _ = start()
    ok(saga, LINEAR, "a")
    snapshot = saga.model_dump()
    assert ok(saga, LINEAR, "a") == []  # redelivered result
    assert ok(saga, LINEAR, "b", attempt=7) == []  # an attempt that was never sent
    assert compensated(saga, LINEAR, "a") == []  # compensation nobody asked for
    assert saga.model_dump() == snapshot


def test_timeouts_fire_without_any_message_and_count_as_retryable():
    saga, _ = start()
    assert saga.next_timer() == 130.0
    effects = saga.on_tick(LINEAR, 130.0)
    assert kinds(effects) == ["step.retry_scheduled"] and "timed out after 30s" in saga.steps["a"].error
    assert [d.attempt for d in dispatches(saga.on_tick(LINEAR, saga.next_timer()))] == [2]


def test_a_timed_out_step_is_compensated_in_case_it_ran():
    once = flow({"id": "a", "uses": "crm", "compensate": {}, "retry": {"max_attempts": 1}})
    saga, _ = start(once)
    effects = saga.on_tick(once, 200.0)
    assert [d.step_id for d in dispatches(effects, compensate=True)] == ["a"]


WATCHED = flow(
    {"id": "a", "uses": "crm", "compensate": {}},
    {
        "id": "b",
        "uses": "email",
        "after": ["a"],
        "watchers": {"input": ["pii", {"name": "policy", "params": {"domain": "acme.com"}}]},
    },
)


def checks(effects):
    return [e for e in effects if isinstance(e, RunChecks)]


def test_input_watchers_run_before_dispatch_and_allow_lets_it_go():
    saga, _ = start(WATCHED)
    effects = ok(saga, WATCHED, "a")
    (check,) = checks(effects)
    assert (check.step_id, check.stage, [w.name for w in check.watchers]) == ("b", Stage.INPUT, ["pii", "policy"])
    assert check.watchers[1].params == {"domain": "acme.com"} and check.timeout_ms == 500
    assert dispatches(effects) == []
    outcomes = [WatcherOutcome("pii"), WatcherOutcome("policy")]
    effects = saga.on_checks(WATCHED, step_id="b", stage=Stage.INPUT, attempt=1, outcomes=outcomes, now=102.0)
    assert [d.step_id for d in dispatches(effects)] == ["b"]


def test_block_fails_the_step_and_compensates():
    saga, _ = start(WATCHED)
    ok(saga, WATCHED, "a")
    outcomes = [WatcherOutcome("pii"), WatcherOutcome("policy", Verdict.BLOCK, 0.99, ("outside recipient evil.com",))]
    effects = saga.on_checks(WATCHED, step_id="b", stage=Stage.INPUT, attempt=1, outcomes=outcomes, now=102.0)
    assert "step.blocked" in kinds(effects)
    assert [d.step_id for d in dispatches(effects, compensate=True)] == ["a"]
    assert "policy: outside recipient evil.com" in saga.reason


def test_an_unavailable_watcher_fails_closed_unless_the_workflow_allows():
    for policy, expected in (("block", TaskStatus.COMPENSATING), ("allow", TaskStatus.RUNNING)):
        workflow = parse_workflow({**WATCHED.model_dump(mode="json"), "on_watcher_error": policy})
        saga, _ = start(workflow)
        ok(saga, workflow, "a")
        down = [WatcherOutcome("pii", error="UNAVAILABLE: connection refused"), WatcherOutcome("policy")]
        saga.on_checks(workflow, step_id="b", stage=Stage.INPUT, attempt=1, outcomes=down, now=102.0)
        assert saga.status is expected


def test_review_pauses_until_a_person_decides():
    saga, _ = start(WATCHED)
    ok(saga, WATCHED, "a")
    review = [WatcherOutcome("pii", Verdict.REVIEW, 0.7, ("email address",), ({"field": "to", "start": 0, "end": 5},))]
    effects = saga.on_checks(WATCHED, step_id="b", stage=Stage.INPUT, attempt=1, outcomes=review, now=102.0)
    assert saga.status is TaskStatus.AWAITING_REVIEW and dispatches(effects) == []
    (review_id,) = saga.reviews
    assert saga.reviews[review_id].spans == [{"field": "to", "start": 0, "end": 5}]
    restored = Saga.model_validate_json(saga.model_dump_json())  # the pause survives a restart
    effects = restored.on_review(WATCHED, review_id=review_id, approved=True, by="ana", comment="ok", now=110.0)
    assert [d.step_id for d in dispatches(effects)] == ["b"] and restored.status is TaskStatus.RUNNING
    assert restored.on_review(WATCHED, review_id=review_id, approved=False, by="bob", comment="", now=111.0) == []


INJECTION_3 = {"name": "injection", "version": "3", "sha256": "ab" * 32}


def test_each_check_event_and_review_names_the_model_that_gave_the_verdict():
    saga, _ = start(WATCHED)
    ok(saga, WATCHED, "a")
    outcomes = [
        WatcherOutcome("pii", watcher_version="1.2.0", model={"name": "pii", "version": "1.2.0", "sha256": "cd" * 32}),
        WatcherOutcome(
            "policy", Verdict.REVIEW, 0.7, ("outside recipient",), watcher_version="1.0.0", model=INJECTION_3
        ),
    ]
    effects = saga.on_checks(WATCHED, step_id="b", stage=Stage.INPUT, attempt=1, outcomes=outcomes, now=102.0)
    (checked,) = [e for e in effects if getattr(e, "kind", "") == "watchers.checked"]
    recorded = {w["watcher"]: w for w in checked.details["watchers"]}
    assert recorded["policy"]["model"] == INJECTION_3 and recorded["policy"]["watcher_version"] == "1.0.0"
    assert recorded["pii"]["model"]["version"] == "1.2.0"
    assert WatcherOutcome("loop", error="UNAVAILABLE: down").record().keys() == {
        "watcher",
        "verdict",
        "score",
        "reasons",
        "error",
    }
    (review,) = saga.reviews.values()
    assert review.watchers == ["policy"] and review.models == [INJECTION_3]
    restored = Saga.model_validate_json(saga.model_dump_json())
    assert next(iter(restored.reviews.values())).models == [INJECTION_3]


def test_rejected_review_compensates():
    saga, _ = start(WATCHED)
    ok(saga, WATCHED, "a")
    saga.on_checks(
        WATCHED, step_id="b", stage=Stage.INPUT, attempt=1, outcomes=[WatcherOutcome("pii", Verdict.REVIEW)], now=102.0
    )
    (review_id,) = saga.reviews
    effects = saga.on_review(
        WATCHED, review_id=review_id, approved=False, by="ana", comment="wrong customer", now=103.0
    )
    assert [d.step_id for d in dispatches(effects, compensate=True)] == ["a"]
    assert "rejected in review by ana: wrong customer" in saga.reason


def test_output_block_compensates_the_step_itself():
    checked = flow({"id": "a", "uses": "crm", "compensate": {}, "watchers": {"output": ["grounding"]}})
    saga, _ = start(checked)
    (check,) = checks(ok(saga, checked, "a", {"claim": "x"}))
    assert check.stage is Stage.OUTPUT and check.content == {"claim": "x"}
    effects = saga.on_checks(
        checked,
        step_id="a",
        stage=Stage.OUTPUT,
        attempt=1,
        outcomes=[WatcherOutcome("grounding", Verdict.BLOCK)],
        now=103.0,
    )
    assert [d.step_id for d in dispatches(effects, compensate=True)] == ["a"]


def test_cancel_compensates_and_is_refused_after_the_pivot():
    saga, _ = start()
    ok(saga, LINEAR, "a")
    effects = saga.on_cancel(LINEAR, reason="customer asked", now=150.0)
    assert kinds(effects)[:2] == ["task.cancel_requested", "task.compensating"]
    # b is still running: wait for it, then undo b and a.
    assert dispatches(effects) == []
    assert [d.step_id for d in dispatches(ok(saga, LINEAR, "b"))] == ["b"]
    pivoted = flow({"id": "send", "uses": "email", "pivot": True}, {"id": "log", "uses": "noop", "after": ["send"]})
    saga, _ = start(pivoted)
    ok(saga, pivoted, "send")
    assert kinds(saga.on_cancel(pivoted, reason="", now=150.0)) == ["cancel.rejected"]
    assert saga.status is TaskStatus.RUNNING


def test_missing_input_fails_the_step_without_dispatching():
    saga, effects = start(LINEAR, task_input={})
    assert dispatches(effects) == []
    assert saga.status is TaskStatus.COMPENSATED and "${input.x} not found" in saga.reason


# -- property: random DAGs, random completion orders, one failure point ------------------------


@st.composite
def scenarios(draw):
    size = draw(st.integers(2, 7))
    steps = []
    for i in range(size):
        after = sorted(draw(st.sets(st.sampled_from([f"s{j}" for j in range(i)]), max_size=min(i, 3)))) if i else []
        steps.append(
            {"id": f"s{i}", "uses": "noop", "after": after, **({"compensate": {}} if draw(st.booleans()) else {})}
        )
    failing = draw(st.sampled_from([s["id"] for s in steps]))
    return flow(*steps), failing


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.randoms(use_true_random=False))
def test_rollback_compensates_exactly_the_succeeded_compensatable_steps_in_reverse(scenario, rnd):
    workflow, failing = scenario
    saga, effects = Saga.create("t", workflow, task_input={}, now=0.0)
    outstanding = dispatches(effects)
    completed: list[str] = []
    compensations: list[str] = []
    now = 0.0
    while outstanding:
        command = outstanding.pop(rnd.randrange(len(outstanding)))
        now += 1
        if command.compensate:
            compensations.append(command.step_id)
            effects = saga.on_step_result(
                workflow, step_id=command.step_id, attempt=command.attempt, compensate=True, succeeded=True, now=now
            )
        elif command.step_id == failing:
            effects = saga.on_step_result(
                workflow,
                step_id=command.step_id,
                attempt=command.attempt,
                compensate=False,
                succeeded=False,
                error="boom",
                retryable=False,
                now=now,
            )
        else:
            completed.append(command.step_id)
            effects = saga.on_step_result(
                workflow,
                step_id=command.step_id,
                attempt=command.attempt,
                compensate=False,
                succeeded=True,
                output={},
                now=now,
            )
        outstanding += dispatches(effects)
    assert saga.status is TaskStatus.COMPENSATED
    expected = [s for s in reversed(completed) if workflow.step(s).compensate is not None]
    assert compensations == expected
    assert all(saga.steps[s].state is StepState.COMPENSATED for s in expected)


def test_in_flight_commands_are_the_ones_sent_and_change_nothing():
    saga, effects = start()
    assert saga.in_flight(LINEAR) == dispatches(effects)
    ok(saga, LINEAR, "a"), ok(saga, LINEAR, "b")
    effects = fail(saga, LINEAR, "c")
    snapshot = saga.model_dump()
    assert saga.in_flight(LINEAR) == dispatches(effects, compensate=True)  # b's compensation, attempt 1
    assert saga.model_dump() == snapshot


def test_a_finished_task_may_be_forgotten_once_its_retention_has_passed():
    saga, _ = start()
    assert saga.forget_at(60.0) is None  # running: never
    for step_id in ("a", "b", "c"):
        ok(saga, LINEAR, step_id, now=150.0)
    assert saga.status is TaskStatus.COMPLETED
    assert saga.forget_at(60.0) == 210.0  # from when it ended
