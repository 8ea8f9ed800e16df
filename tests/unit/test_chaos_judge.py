"""The chaos run's judge (loadtest/chaos.py) catches each kind of violation, and passes a clean run."""

from __future__ import annotations

import copy
from collections import Counter

from loadtest.chaos import ChaosConfig, Evidence, Plan, Trace, crm_seed, judge, plan_tasks, rows_by_domain
from loadtest.chaos_controls import CancelSent, ControlEvent, ControlLog, DecisionSent

COMPENSATABLE = {
    "noop_saga_watched": {"s1", "s2", "s3", "s4"},
    "meeting_followup": {"crm"},
    "meeting_followup_no_injection_check": {"crm"},
}


def rows(domain: str, version: int = 1) -> dict:
    return {
        "accounts": [{"id": 1, "domain": domain}],
        "contacts": [{"id": 1, "account_id": 1, "version": 1}],
        "opportunities": [{"id": 1, "account_id": 1, "stage": "proposal", "version": version}],
    }


def trace(*events: tuple[str, str]) -> Trace:
    t = Trace(events={i + 1: e for i, e in enumerate(events)})
    terminal = {"task.completed": "completed", "task.compensated": "compensated"}
    t.outcome = next((terminal[k] for k, _ in events if k in terminal), None)
    return t


def clean_run():
    plans = [
        Plan("n1", "noop", "noop_saga_watched", {}),
        Plan("n2", "noop_fail", "noop_saga_watched", {}),
        Plan("m1", "meeting", "meeting_followup", {}, account_domain="t1-acme.example"),
        Plan(
            "m2",
            "meeting_policy_block",
            "meeting_followup_no_injection_check",
            {},
            account_domain="t2-umbrella.example",
        ),
    ]
    traces = {
        "n1": trace(("task.started", ""), *[("step.succeeded", f"s{i}") for i in range(1, 6)], ("task.completed", "")),
        "n2": trace(
            ("task.started", ""),
            ("step.succeeded", "s1"),
            ("step.succeeded", "s2"),
            ("step.failed", "s3"),
            ("step.compensated", "s2"),
            ("step.compensated", "s1"),
            ("task.compensated", ""),
        ),
        "m1": trace(
            ("task.started", ""), ("step.succeeded", "crm"), ("step.succeeded", "email"), ("task.completed", "")
        ),
        "m2": trace(
            ("task.started", ""),
            ("step.succeeded", "crm"),
            ("step.blocked", "email"),
            ("step.compensated", "crm"),
            ("task.compensated", ""),
        ),
    }
    seed = {"t1-acme.example": rows("t1-acme.example"), "t2-umbrella.example": rows("t2-umbrella.example")}
    final = {"t1-acme.example": rows("t1-acme.example", version=2), "t2-umbrella.example": rows("t2-umbrella.example")}
    evidence = Evidence(
        seed,
        final,
        Counter({"m1/crm": 1, "m2/crm": 1}),
        Counter({"m2/crm": 1}),
        Counter({"m1/email": 1}),
        Counter({"<a@lammesh>": 1}),
    )
    return plans, traces, evidence


def test_a_clean_run_has_no_violations():
    plans, traces, evidence = clean_run()
    verdict = judge(plans, traces, evidence, COMPENSATABLE)
    assert verdict.ok, verdict.violations
    assert verdict.counts["completed"] == 2 and verdict.counts["compensated"] == 2
    assert verdict.counts["crm_applied"] == 2 and verdict.counts["crm_undone"] == 1 and verdict.counts["mails"] == 1


def test_lost_and_stuck_tasks():
    plans, traces, evidence = clean_run()
    del traces["n1"]
    traces["n2"] = trace(("task.started", ""), ("step.succeeded", "s1"))
    verdict = judge(plans, traces, evidence, COMPENSATABLE)
    assert verdict.violations["lost"] == ["n1"]
    assert verdict.violations["stuck"] == ["n2 (last event step.succeeded s1)"]


def test_duplicate_side_effects():
    plans, traces, evidence = clean_run()
    evidence.opportunity_revisions["m1/crm"] = 2
    evidence.mails["m1/email"] = 2
    evidence.message_ids["<a@lammesh>"] = 2
    verdict = judge(plans, traces, evidence, COMPENSATABLE)
    assert set(verdict.violations) == {"crm_applied_twice", "mail_sent_twice", "completed_without_effect"}


def test_a_row_changed_twice_shows_in_its_version():
    plans, traces, evidence = clean_run()
    evidence.final_rows["t1-acme.example"]["opportunities"][0]["version"] = 3
    assert set(judge(plans, traces, evidence, COMPENSATABLE).violations) == {"crm_applied_twice"}


def test_a_compensated_task_must_leave_its_rows_as_seeded_and_send_nothing():
    plans, traces, evidence = clean_run()
    evidence.final_rows["t2-umbrella.example"]["opportunities"][0]["stage"] = "negotiation"
    evidence.mails["m2/email"] = 1
    verdict = judge(plans, traces, evidence, COMPENSATABLE)
    assert verdict.violations["compensated_crm_not_restored"] == ["m2 (compensated): opportunities#1 stage"]
    assert verdict.violations["effect_without_completion"] == ["m2 (compensated): 1 mails"]


def test_a_completed_step_left_uncompensated():
    plans, traces, evidence = clean_run()
    traces["n2"] = trace(
        ("task.started", ""),
        ("step.succeeded", "s1"),
        ("step.succeeded", "s2"),
        ("step.failed", "s3"),
        ("step.compensated", "s2"),
        ("task.compensated", ""),
    )
    assert judge(plans, traces, evidence, COMPENSATABLE).violations == {"step_left_uncompensated": ["n2: s1"]}


def test_the_plan_gives_each_meeting_task_its_own_seeded_account():
    plans = plan_tasks(ChaosConfig(tasks=100, meeting_share=0.2, seed=3))
    meetings = [p for p in plans if p.account_domain]
    assert len(plans) == 100 and len(meetings) == 20
    assert len({p.account_domain for p in meetings}) == 20
    seeded = rows_by_domain(
        {
            "accounts": [{"id": i, "domain": a["domain"]} for i, a in enumerate(crm_seed(plans)["accounts"])],
            "contacts": [],
            "opportunities": [],
        }
    )
    unknown = {p.account_domain for p in meetings if p.kind == "meeting_unknown_account"}
    assert unknown and not unknown & set(seeded)
    assert {p.account_domain for p in meetings} - unknown == set(seeded)
    for plan in meetings:  # the participants' addresses moved to the task's own domain
        assert all(
            not e.endswith(f"@{plan.account_domain.split('-', 1)[1]}")
            for e in [x.get("email", "") for x in plan.task_input["participants"]]
        )
    assert copy.deepcopy(plans) == plan_tasks(ChaosConfig(tasks=100, meeting_share=0.2, seed=3))


# -- cancels and review decisions (loadtest.chaos_controls) ----------------------------------------

REVIEWED_STEPS = [("task.started", ""), ("step.succeeded", "s1"), ("step.succeeded", "s2")]


def control_run():
    plans = [
        Plan("ra", "review_approve", "noop_saga_reviewed", {}, approve=True),
        Plan("rr", "review_reject", "noop_saga_reviewed", {}, approve=False),
        Plan("c1", "cancel", "noop_saga_watched", {}),
    ]
    traces = {
        "ra": trace(*REVIEWED_STEPS, ("review.opened", "s3"), ("review.decided", "s3"), ("task.completed", "")),
        "rr": trace(
            *REVIEWED_STEPS,
            ("review.opened", "s3"),
            ("review.decided", "s3"),
            ("step.rejected", "s3"),
            ("step.compensated", "s2"),
            ("step.compensated", "s1"),
            ("task.compensated", ""),
        ),
        "c1": trace(
            *REVIEWED_STEPS,
            ("task.cancel_requested", ""),
            ("step.succeeded", "s3"),
            ("step.compensated", "s3"),
            ("step.compensated", "s2"),
            ("step.compensated", "s1"),
            ("task.compensated", ""),
        ),
    }
    traces["ra"].controls = [
        ControlEvent("review.opened", "s3", "pii: phone", "R1", 10.0),
        ControlEvent("review.decided", "s3", "approved by chaos@chaos.example", "R1", 11.0),
        ControlEvent("task.completed", "", "", "", 12.0),
    ]
    traces["rr"].controls = [
        ControlEvent("review.opened", "s3", "pii: phone", "R2", 10.0),
        ControlEvent("review.decided", "s3", "rejected by chaos@chaos.example", "R2", 11.0),
        ControlEvent("task.compensated", "", "", "", 12.0),
    ]
    traces["c1"].controls = [
        ControlEvent("task.cancel_requested", "", "chaos cancel", "", 20.0),
        ControlEvent("task.compensated", "", "", "", 31.0),
    ]
    traces["c1"].reason = "cancelled: chaos cancel"
    log = ControlLog(
        decisions={
            "R1": DecisionSent("R1", "ra", True, 1, "decided"),
            "R2": DecisionSent("R2", "rr", False, 2, "already decided"),
        },
        cancels={"c1": CancelSent("c1", 1, 19.5, "accepted")},
        read_model={"R1": ("ra", "approved"), "R2": ("rr", "rejected")},
        task_status={"ra": "completed", "rr": "compensated", "c1": "compensated"},
    )
    evidence = Evidence({}, {}, Counter(), Counter(), Counter(), Counter())
    return plans, traces, evidence, log


def test_cancels_and_decisions_applied_once_pass():
    plans, traces, evidence, log = control_run()
    verdict = judge(plans, traces, evidence, COMPENSATABLE | {"noop_saga_reviewed": {"s1", "s2", "s3", "s4"}}, log)
    assert verdict.ok, verdict.violations
    assert verdict.counts["reviews_decided"] == 2 and verdict.counts["cancels_applied"] == 1
    assert verdict.counts["ended_by_fault"] == 0


def test_a_decision_applied_twice_or_otherwise_than_asked_or_unlike_the_read_model():
    plans, traces, evidence, log = control_run()
    traces["ra"].controls.insert(2, ControlEvent("review.decided", "s3", "rejected by chaos", "R1", 11.5))
    log.read_model["R2"] = ("rr", "approved")
    log.task_status["rr"] = "completed"
    verdict = judge(plans, traces, evidence, {}, log)
    assert verdict.violations["review_not_applied_once"] == [
        "ra: review R1 decided 2 times (approved, rejected)",
        "ra: review R1 approved/rejected, asked approved",
        "rr: review R2 is approved in the read model",
        "rr: completed in the read model, compensated in the events",
    ]


def test_a_review_never_decided_and_a_rejected_one_that_completed():
    plans, traces, evidence, log = control_run()
    traces["ra"].controls = [ControlEvent("review.opened", "s3", "", "R1", 10.0)]
    traces["rr"].outcome = log.task_status["rr"] = "completed"
    problems = judge(plans, traces, evidence, {}, log).violations["review_not_applied_once"]
    assert problems == [
        "ra: ended completed with review(s) R1 never decided",
        "rr: completed although its review was rejected",
    ]


def test_a_second_review_left_undecided_and_an_approved_task_that_never_paused():
    plans, traces, evidence, log = control_run()
    traces["rr"].controls.insert(1, ControlEvent("review.opened", "s4", "", "R3", 10.5))
    traces["ra"].controls = [ControlEvent("task.completed", "", "", "", 12.0)]
    problems = judge(plans, traces, evidence, {}, log).violations["review_not_applied_once"]
    assert problems == [
        "ra: completed without the review it was meant to pause for",
        "rr: ended compensated with review(s) R3 never decided",
    ]


def test_a_read_model_never_read_back_is_a_violation_not_a_pass():
    plans, traces, evidence, log = control_run()
    log.task_status.clear()
    verdict = judge(plans, traces, evidence, {}, log)
    assert not verdict.ok
    assert any("never read back" in problem for problems in verdict.violations.values() for problem in problems)


def test_a_cancel_applied_twice_or_accepted_and_ignored():
    plans, traces, evidence, log = control_run()
    traces["c1"].controls.insert(1, ControlEvent("task.cancel_requested", "", "chaos cancel", "", 20.2))
    verdict = judge(plans, traces, evidence, {}, log)
    assert verdict.violations["cancel_not_applied_once"] == ["c1: cancel applied 2 times"]

    plans, traces, evidence, log = control_run()
    traces["c1"] = trace(*REVIEWED_STEPS, ("step.succeeded", "s3"), ("task.completed", ""))
    traces["c1"].controls = [ControlEvent("task.completed", "", "", "", 29.0)]
    log.task_status["c1"] = "completed"
    verdict = judge(plans, traces, evidence, {}, log)
    assert verdict.violations["cancel_not_applied_once"] == [
        "c1: cancel accepted by the gateway, yet the task completed 9.5s later"
    ]
    assert verdict.violations["ended_by_fault"] == ["c1 (completed, not compensated): "]


def test_a_task_that_completed_before_its_cancel_was_asked_is_no_violation():
    plans, traces, evidence, log = control_run()
    traces["c1"] = trace(*REVIEWED_STEPS, ("step.succeeded", "s3"), ("task.completed", ""))
    traces["c1"].controls = [ControlEvent("task.completed", "", "", "", 19.0)]
    log.task_status["c1"] = "completed"
    verdict = judge(plans, traces, evidence, {}, log)
    assert verdict.ok, verdict.violations
    assert verdict.counts["cancels_after_the_end"] == 1


def test_a_step_compensated_twice():
    plans, traces, evidence, log = control_run()
    traces["rr"].events[len(traces["rr"].events) + 1] = ("step.compensated", "s1")
    assert judge(plans, traces, evidence, {}, log).violations == {"compensated_twice": ["rr: s1 compensated 2 times"]}


def test_a_task_ended_by_a_fault_is_a_violation():
    plans, traces, evidence = clean_run()
    traces["n1"] = trace(("task.started", ""), ("step.blocked", "s1"), ("task.compensated", ""))
    traces["n1"].reason = "blocked by watchers on input: policy: unavailable for 0.5 s (deadline)"
    verdict = judge(plans, traces, evidence, COMPENSATABLE)
    assert verdict.violations == {
        "ended_by_fault": [
            "n1 (compensated, not completed): blocked by watchers on input: policy: unavailable for 0.5 s (deadline)"
        ]
    }
    assert verdict.counts["ended_by_fault"] == 1


def test_the_plan_mixes_in_reviews_and_cancels():
    plans = plan_tasks(ChaosConfig(tasks=200, meeting_share=0.1, review_share=0.05, cancel_share=0.03, seed=3))
    kinds = Counter(p.kind for p in plans)
    assert kinds["review_approve"] == kinds["review_reject"] == 5 and kinds["cancel"] == 6
    assert all(p.approve is (p.kind == "review_approve") for p in plans if p.kind.startswith("review"))
    cancel = next(p for p in plans if p.kind == "cancel")
    assert cancel.task_input["faults"]["s3"]["delay_ms"] > 0
