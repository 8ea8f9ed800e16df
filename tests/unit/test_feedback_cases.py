"""Feedback cases from what a task recorded: review decisions and tenant reports (pure)."""

from __future__ import annotations

import json

import pytest

from lammesh.errors import FailedPrecondition, InvalidArgument, NotFound
from lammesh.feedback import FeedbackCase, FeedbackKind, FeedbackSource
from lammesh.feedback.recorded import recorded_checks, review_cases
from lammesh.feedback.report import report_cases
from lammesh.structs import to_struct
from lammesh.v1 import model_pb2, review_pb2, task_pb2, watcher_pb2
from lammesh.workflow import parse_workflow

INJECTION = {"name": "injection", "version": "3", "sha256": "ab" * 32}
PII = {"name": "pii", "version": "1.2.0", "sha256": "cd" * 32}
WORKFLOW = parse_workflow(
    {
        "name": "mail",
        "steps": [
            {"id": "draft", "uses": "noop", "input": {"text": "${input.text}"}, "watchers": {"output": ["injection"]}},
            {
                "id": "send",
                "uses": "noop",
                "input": {"body": "${steps.draft.output.text}", "to": "${input.to}"},
                "watchers": {"input": ["injection", "pii"]},
            },
        ],
    },
    capabilities={"noop"},
    watchers={"injection", "pii"},
)


def checked(sequence: int, step: str, stage: str, *outcomes: dict) -> task_pb2.TaskEvent:
    return task_pb2.TaskEvent(
        task_id="t1",
        sequence=sequence,
        kind="watchers.checked",
        step_id=step,
        details=to_struct({"stage": stage, "verdict": "REVIEW", "watchers": list(outcomes)}),
    )


def outcome(watcher: str, verdict: str, score: float, model: dict) -> dict:
    return {"watcher": watcher, "verdict": verdict, "score": score, "reasons": [], "error": "", "model": model}


EVENTS = [
    task_pb2.TaskEvent(task_id="t1", sequence=1, kind="task.started"),
    checked(2, "draft", "OUTPUT", outcome("injection", "ALLOW", 0.1, INJECTION)),
    checked(3, "send", "INPUT", outcome("injection", "REVIEW", 0.91, INJECTION), outcome("pii", "ALLOW", 0.0, PII)),
]


def task(with_review: bool = True) -> tuple[task_pb2.Task, review_pb2.Review]:
    review = review_pb2.Review(
        review_id="t1:send:input:1",
        task_id="t1",
        step_id="send",
        stage=watcher_pb2.CHECK_STAGE_INPUT,
        watcher="injection",
        spans=[watcher_pb2.Span(field="body", start=0, end=4, label="injection")],
        content=to_struct({"body": "Ignore the agenda, meet at 10", "to": "bob@example.com"}),
        models=[model_pb2.ModelRef(**INJECTION)],
        tenant="acme",
    )
    snapshot = task_pb2.Task(
        task_id="t1",
        workflow="mail",
        tenant="acme",
        input=to_struct({"text": "hello", "to": "bob@example.com"}),
        steps=[
            task_pb2.StepSnapshot(step_id="draft", output=to_struct({"text": "Ignore the agenda, meet at 10"})),
            task_pb2.StepSnapshot(step_id="send"),
        ],
        reviews=[review] if with_review else [],
    )
    return snapshot, review


def test_recorded_checks_keep_the_latest_verdict_of_each_watcher_per_step_and_stage():
    retried = checked(4, "send", "INPUT", outcome("injection", "BLOCK", 0.99, INJECTION))
    checks = {(c.step, c.stage, c.watcher): c for c in recorded_checks([*EVENTS, retried])}
    assert checks["send", "input", "injection"].verdict == "BLOCK"
    assert checks["send", "input", "pii"].model.version == "1.2.0"
    assert checks["draft", "output", "injection"].score == pytest.approx(0.1)


def test_an_approved_review_is_a_false_positive_of_the_flagging_watcher_on_the_flagged_field():
    snapshot, review = task()
    [case] = review_cases(snapshot, review, EVENTS, approved=True, reviewer="ann", note="a real meeting", now=5.0)
    assert (case.kind, case.source, case.watcher, case.field) == (
        FeedbackKind.FALSE_POSITIVE,
        FeedbackSource.REVIEW,
        "injection",
        "body",
    )
    assert case.content == "Ignore the agenda, meet at 10"
    assert (case.verdict, case.score, case.model.version, case.note, case.reporter) == (
        "REVIEW",
        0.91,
        "3",
        "a real meeting",
        "ann",
    )
    assert not case.should_flag
    assert FeedbackCase.from_json(case.to_json()) == case


def test_a_rejected_review_is_confirmed_and_the_same_review_always_gives_the_same_case_id():
    snapshot, review = task()
    [rejected] = review_cases(snapshot, review, EVENTS, approved=False, reviewer="ann", note="", now=5.0)
    [approved] = review_cases(snapshot, review, EVENTS, approved=True, reviewer="bob", note="", now=9.0)
    assert rejected.kind is FeedbackKind.CONFIRMED and rejected.should_flag
    assert rejected.case_id == approved.case_id  # the later decision replaces the case on the compacted topic


def test_a_review_without_spans_gives_one_case_per_text_field():
    snapshot, review = task()
    del review.spans[:]
    cases = review_cases(snapshot, review, EVENTS, approved=True, reviewer="ann", note="", now=1.0)
    assert sorted(c.field for c in cases) == ["body", "to"]


def test_a_false_positive_report_uses_the_reviewed_content_and_the_recorded_verdict():
    snapshot, _ = task()
    [case] = report_cases(
        snapshot,
        EVENTS,
        WORKFLOW,
        step="send",
        kind=FeedbackKind.FALSE_POSITIVE,
        watcher="injection",
        reporter="carol",
        now=2.0,
    )
    assert (case.source, case.stage, case.field, case.score) == (FeedbackSource.REPORT, "input", "body", 0.91)
    assert json.loads(case.to_json())["model"] == INJECTION


def test_a_miss_on_an_input_without_a_review_rebuilds_the_content_from_the_input_mapping():
    snapshot, _ = task(with_review=False)
    cases = report_cases(snapshot, EVENTS, WORKFLOW, step="send", kind=FeedbackKind.MISSED, watcher="pii", now=2.0)
    assert {c.field: c.content for c in cases} == {"body": "Ignore the agenda, meet at 10", "to": "bob@example.com"}
    assert all(c.verdict == "ALLOW" and c.model.name == "pii" for c in cases)


def test_a_miss_on_an_output_uses_the_recorded_output():
    snapshot, _ = task()
    [case] = report_cases(snapshot, EVENTS, WORKFLOW, step="draft", kind=FeedbackKind.MISSED, now=2.0)
    assert (case.watcher, case.stage, case.field) == ("injection", "output", "text")


def test_report_errors_name_what_is_there():
    snapshot, _ = task()
    with pytest.raises(NotFound, match="draft, send"):
        report_cases(snapshot, EVENTS, WORKFLOW, step="publish", kind=FeedbackKind.MISSED, now=0)
    with pytest.raises(InvalidArgument, match="injection, pii"):
        report_cases(snapshot, EVENTS, WORKFLOW, step="send", kind=FeedbackKind.MISSED, now=0)
    with pytest.raises(InvalidArgument, match="the watchers that did: injection, pii"):
        report_cases(snapshot, EVENTS, WORKFLOW, step="send", kind=FeedbackKind.MISSED, watcher="loop", now=0)
    with pytest.raises(FailedPrecondition, match="already flagged"):
        report_cases(snapshot, EVENTS, WORKFLOW, step="send", kind=FeedbackKind.MISSED, watcher="injection", now=0)
    with pytest.raises(FailedPrecondition, match="report it as missed"):
        report_cases(snapshot, EVENTS, WORKFLOW, step="send", kind=FeedbackKind.FALSE_POSITIVE, watcher="pii", now=0)
    with pytest.raises(InvalidArgument, match="review decisions"):
        report_cases(snapshot, EVENTS, WORKFLOW, step="send", kind=FeedbackKind.CONFIRMED, watcher="injection", now=0)
