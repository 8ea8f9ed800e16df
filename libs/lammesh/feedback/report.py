"""A tenant's report on a watcher's verdict (`lammesh feedback`, FeedbackService.ReportFeedback), checked
against what the task recorded. Pure: the task, its events and its workflow in; cases or a clear
error (lammesh.errors, mapped to gRPC codes by the gateway) out."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lammesh.errors import FailedPrecondition, InvalidArgument, NotFound
from lammesh.feedback.case import FeedbackCase, FeedbackError, FeedbackKind, FeedbackSource
from lammesh.feedback.recorded import RecordedCheck, flagged_texts, recorded_checks, stage_name
from lammesh.structs import from_struct
from lammesh.v1 import task_pb2, watcher_pb2
from lammesh.workflow import MissingReference, Workflow, resolve

REPORTABLE = (FeedbackKind.FALSE_POSITIVE, FeedbackKind.MISSED)


def checked_content(
    task: task_pb2.Task, workflow: Workflow | None, step: str, stage: str
) -> tuple[dict[str, Any], list[watcher_pb2.Span]]:
    """The content the watchers saw on `step`'s `stage`, and the spans a review named in it.

    A review keeps the exact content; otherwise the output is the step's recorded output and the
    input is rebuilt from the workflow's input mapping (deterministic: the task input and the
    outputs of the steps before it, as the saga resolved it)."""
    for review in reversed(task.reviews):
        if review.step_id == step and stage_name(review.stage) == stage:
            return from_struct(review.content), list(review.spans)
    snapshots = {s.step_id: s for s in task.steps}
    if stage == "output":
        snapshot = snapshots.get(step)
        return (from_struct(snapshot.output) if snapshot is not None else {}), []
    if workflow is None:
        return {}, []
    outputs = {sid: from_struct(s.output) for sid, s in snapshots.items() if s.HasField("output")}
    try:
        value = resolve(
            workflow.step(step).input,
            task_input=from_struct(task.input),
            outputs=outputs,
            task={"id": task.task_id, "tenant": task.tenant},
        )
    except (MissingReference, KeyError):
        return {}, []
    return (value if isinstance(value, dict) else {"input": value}), []


def choose_check(
    checks: Iterable[RecordedCheck],
    task: task_pb2.Task,
    *,
    step: str,
    watcher: str,
    stage: str,
) -> RecordedCheck:
    """The one recorded check the report is about, or NOT_FOUND / INVALID_ARGUMENT saying why."""
    checks = list(checks)
    steps = [s.step_id for s in task.steps]
    if not step:
        raise InvalidArgument("step", f"is required; task {task.task_id} has steps {', '.join(steps)}")
    if step not in steps:
        raise NotFound(f"task {task.task_id} has no step {step!r}; its steps: {', '.join(steps) or 'none'}")
    if stage and stage not in ("input", "output"):
        raise InvalidArgument("stage", f"{stage!r} must be 'input' or 'output'")
    on_step = [c for c in checks if c.step == step and (not stage or c.stage == stage)]
    if not on_step:
        where = f"{step} ({stage})" if stage else step
        raise FailedPrecondition(f"no watcher checked step {where} of task {task.task_id}; nothing to report")
    names = sorted({c.watcher for c in on_step})
    if not watcher:
        if len(names) > 1:
            raise InvalidArgument("watcher", f"several watchers checked step {step}: {', '.join(names)}; name one")
        watcher = names[0]
    mine = [c for c in on_step if c.watcher == watcher]
    if not mine:
        raise InvalidArgument(
            "watcher", f"{watcher!r} did not check step {step}; the watchers that did: {', '.join(names)}"
        )
    if len(mine) > 1:
        raise InvalidArgument(
            "stage", f"{watcher} checked both the input and the output of {step}; say which (input or output)"
        )
    return mine[0]


def report_cases(
    task: task_pb2.Task,
    events: Iterable[task_pb2.TaskEvent],
    workflow: Workflow | None,
    *,
    step: str,
    kind: FeedbackKind,
    watcher: str = "",
    stage: str = "",
    note: str = "",
    reporter: str = "",
    now: float,
) -> list[FeedbackCase]:
    """The cases one report makes (one per checked text field), or a clear error."""
    if kind not in REPORTABLE:
        raise InvalidArgument(
            "kind", f"report {' or '.join(k.value for k in REPORTABLE)}; {kind.value} comes from review decisions"
        )
    check = choose_check(recorded_checks(events), task, step=step, watcher=watcher, stage=stage)
    if check.error:
        raise FailedPrecondition(
            f"{check.watcher} did not answer on {step} ({check.error}); there is no verdict to correct"
        )
    flagged = check.verdict in ("REVIEW", "BLOCK")
    if kind is FeedbackKind.MISSED and flagged:
        raise FailedPrecondition(
            f"{check.watcher} already flagged step {step} ({check.verdict}); a miss is a verdict of ALLOW"
        )
    if kind is FeedbackKind.FALSE_POSITIVE and not flagged:
        raise FailedPrecondition(f"{check.watcher} allowed step {step}; report it as missed, not as a false positive")
    content, spans = checked_content(task, workflow, step, check.stage)
    fields = flagged_texts(content, spans)
    if not fields:
        raise FailedPrecondition(f"the content {check.watcher} checked on {step} ({check.stage}) is no longer recorded")
    cases = []
    for path, text in fields:
        try:
            cases.append(
                FeedbackCase(
                    tenant=task.tenant,
                    task_id=task.task_id,
                    step=step,
                    stage=check.stage,
                    watcher=check.watcher,
                    field=path,
                    content=text,
                    verdict=check.verdict,
                    score=check.score,
                    model=check.model,
                    kind=kind,
                    source=FeedbackSource.REPORT,
                    created_at=now,
                    workflow=task.workflow,
                    reporter=reporter,
                    note=note,
                )
            )
        except FeedbackError as error:
            raise InvalidArgument("note" if "note" in str(error) else "step", str(error)) from None
    return cases
