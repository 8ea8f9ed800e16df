"""The chaos run's judge (loadtest/chaos.py) catches each kind of violation, and passes a clean run."""

from __future__ import annotations

import copy
from collections import Counter

from loadtest.chaos import ChaosConfig, Evidence, Plan, Trace, crm_seed, judge, plan_tasks, rows_by_domain

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
