"""What a finished (or paused) task recorded about its checks, and the feedback cases built from it.

Pure: reads the task snapshot, its review and its events (protobuf data), no I/O.

Where the checked content lives (docs/feedback.md):
- each `watchers.checked` task event records, per watcher, its verdict, score and ModelRef for one
  step and stage (details: {"stage", "verdict", "watchers": [WatcherOutcome.record(), ...]});
- a REVIEW pause keeps the exact content the watchers saw (`Review.content`: the step's input or
  output) and the spans (`Review.spans`) naming the flagged field(s).
So a review decision has everything a case needs in the gateway's read model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lammesh.feedback.case import FeedbackCase, FeedbackError, FeedbackKind, FeedbackSource
from lammesh.modelregistry.domain import ModelRef
from lammesh.structs import from_struct
from lammesh.v1 import review_pb2, task_pb2, watcher_pb2
from lammesh.watchers.content import text_fields

CHECKED_EVENT = "watchers.checked"


@dataclass(frozen=True)
class RecordedCheck:
    """One watcher's recorded verdict on one step and stage (the latest, when the step was retried)."""

    step: str
    stage: str
    """"input" or "output"."""
    watcher: str
    verdict: str
    score: float
    model: ModelRef
    error: str = ""


def _model(raw: object) -> ModelRef:
    if isinstance(raw, dict):
        return ModelRef(str(raw.get("name", "")), str(raw.get("version", "")), str(raw.get("sha256", "")))
    return ModelRef("", "", "")


def recorded_checks(events: Iterable[task_pb2.TaskEvent]) -> list[RecordedCheck]:
    """Every watcher verdict the events record, the latest per (step, stage, watcher), in order."""
    latest: dict[tuple[str, str, str], RecordedCheck] = {}
    for event in sorted(events, key=lambda e: e.sequence):
        if event.kind != CHECKED_EVENT:
            continue
        details = from_struct(event.details)
        stage = str(details.get("stage", "")).lower()
        for entry in details.get("watchers") or []:
            if not isinstance(entry, dict):
                continue
            check = RecordedCheck(
                step=event.step_id,
                stage=stage,
                watcher=str(entry.get("watcher", "")),
                verdict=str(entry.get("verdict", "")),
                score=float(entry.get("score") or 0.0),
                model=_model(entry.get("model")),
                error=str(entry.get("error", "")),
            )
            latest.pop((check.step, check.stage, check.watcher), None)  # keep the order of the latest
            latest[(check.step, check.stage, check.watcher)] = check
    return list(latest.values())


def stage_name(stage: int) -> str:
    return "output" if stage == watcher_pb2.CHECK_STAGE_OUTPUT else "input"


def flagged_texts(content: dict, spans: Iterable[watcher_pb2.Span]) -> list[tuple[str, str]]:
    """(field path, text) of the flagged fields: those the spans name, else every text field."""
    texts = {f.path: f.text for f in text_fields(content)}
    named = list(dict.fromkeys(s.field for s in spans if getattr(s, "field", "") in texts))
    if named:
        return [(path, texts[path]) for path in named]
    return [(path, text) for path, text in texts.items() if text.strip()]


def review_cases(
    task: task_pb2.Task,
    review: review_pb2.Review,
    events: Iterable[task_pb2.TaskEvent],
    *,
    approved: bool,
    reviewer: str,
    note: str,
    now: float,
) -> list[FeedbackCase]:
    """The cases a decision on `review` makes: one per watcher that flagged the step and per
    flagged field. Approve = the watcher was wrong (FALSE_POSITIVE); reject = right (CONFIRMED)."""
    stage = stage_name(review.stage)
    checks = {(c.step, c.stage, c.watcher): c for c in recorded_checks(events)}
    watchers = [w.strip() for w in review.watcher.split(",") if w.strip()]
    content = from_struct(review.content)
    fields = flagged_texts(content, review.spans)
    kind = FeedbackKind.FALSE_POSITIVE if approved else FeedbackKind.CONFIRMED
    cases: list[FeedbackCase] = []
    for index, watcher in enumerate(watchers):
        recorded = checks.get((review.step_id, stage, watcher))
        model = recorded.model if recorded else ModelRef("", "", "")
        if index < len(review.models) and review.models[index].sha256:
            pinned = review.models[index]
            model = ModelRef(pinned.name, pinned.version, pinned.sha256)
        verdict = recorded.verdict if recorded and recorded.verdict in ("REVIEW", "BLOCK") else "REVIEW"
        score = recorded.score if recorded else 0.0
        for path, text in fields:
            try:
                cases.append(
                    FeedbackCase(
                        tenant=task.tenant,
                        task_id=task.task_id,
                        step=review.step_id,
                        stage=stage,
                        watcher=watcher,
                        field=path,
                        content=text,
                        verdict=verdict,
                        score=score,
                        model=model,
                        kind=kind,
                        source=FeedbackSource.REVIEW,
                        created_at=now,
                        workflow=task.workflow,
                        reporter=reviewer,
                        note=note[:2000],
                        extra={"review_id": review.review_id},
                    )
                )
            except FeedbackError:
                continue  # e.g. a field over the size limit: the other fields still teach something
    return cases
