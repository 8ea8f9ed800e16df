"""A task's timeline, derived from its snapshot and its events: per step, when it ran and how long
it took, how many attempts, what the watchers said (verdicts and scores), and how it was undone.

Pure code: no gRPC or Kafka. Clients (the CLI, the console) fetch the task and its events
(GetTask with include_events) and call `build`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format

from lammesh.v1 import task_pb2

# The events that end one run of a step (its last attempt) or its compensation.
STEP_ENDS = frozenset({"step.succeeded", "step.failed", "step.blocked", "step.rejected", "step.skipped"})
COMPENSATION_ENDS = frozenset({"step.compensated", "step.compensation_failed"})


@dataclass(frozen=True)
class WatcherCheck:
    watcher: str
    verdict: str
    score: float
    reasons: tuple[str, ...] = ()
    error: str = ""
    model: str = ""
    """The model (or rule code) that gave the verdict: "<name> <version>" ("" when none answered)."""


@dataclass(frozen=True)
class Check:
    """One `watchers.checked` event: the combined verdict of a stage and each watcher's answer."""

    stage: str
    verdict: str
    at: float
    watchers: tuple[WatcherCheck, ...]


@dataclass
class StepTimeline:
    step_id: str
    uses: str = ""
    state: str = ""
    attempts: int = 0
    started_at: float | None = None  # first dispatch (a step its input watchers blocked never started)
    ended_at: float | None = None
    error: str = ""
    checks: list[Check] = field(default_factory=list)
    retries: list[str] = field(default_factory=list)  # the error of each attempt that was retried
    compensation_attempts: int = 0
    compensation_started_at: float | None = None
    compensation_ended_at: float | None = None
    compensation_outcome: str = ""  # "compensated", "compensation_failed" or "" (none, or still running)

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at

    @property
    def compensation_duration_s(self) -> float | None:
        if self.compensation_started_at is None or self.compensation_ended_at is None:
            return None
        return self.compensation_ended_at - self.compensation_started_at


def format_duration(seconds: float | None) -> str:
    """How long something took, for people: 12 ms, 3.40 s, 2.5 min ("" when unknown)."""
    if seconds is None:
        return ""
    return (
        f"{seconds * 1000:.0f} ms"
        if seconds < 1
        else f"{seconds:.2f} s"
        if seconds < 120
        else f"{seconds / 60:.1f} min"
    )


def seconds(timestamp: Any) -> float:
    """A protobuf Timestamp as epoch seconds."""
    return float(timestamp.seconds + timestamp.nanos / 1e9)


def _model(model: Any) -> str:
    if not isinstance(model, dict):
        return ""
    return " ".join(str(model[key]) for key in ("name", "version") if model.get(key))


def _checks(event: task_pb2.TaskEvent) -> Check:
    details = json_format.MessageToDict(event.details)
    watchers = tuple(
        WatcherCheck(
            watcher=str(w.get("watcher", "")),
            verdict=str(w.get("verdict", "")),
            score=float(w.get("score") or 0.0),
            reasons=tuple(str(r) for r in w.get("reasons") or ()),
            error=str(w.get("error") or ""),
            model=_model(w.get("model")),
        )
        for w in details.get("watchers") or ()
    )
    return Check(
        stage=str(details.get("stage", "")),
        verdict=str(details.get("verdict", event.message)),
        at=seconds(event.at),
        watchers=watchers,
    )


def build(task: task_pb2.Task, events: list[task_pb2.TaskEvent]) -> list[StepTimeline]:
    """One entry per step, in the workflow's order (the snapshot's), then steps only events name."""
    steps: dict[str, StepTimeline] = {}
    for snapshot in task.steps:
        steps[snapshot.step_id] = StepTimeline(
            step_id=snapshot.step_id,
            uses=snapshot.capability,
            state=task_pb2.StepState.Name(snapshot.state).removeprefix("STEP_STATE_"),
            attempts=snapshot.attempt,
            error=snapshot.error,
        )
    known = set(steps)
    for event in sorted(events, key=lambda e: e.sequence):
        if not event.step_id:
            continue
        step = steps.setdefault(event.step_id, StepTimeline(step_id=event.step_id))
        at = seconds(event.at)
        attempt = json_format.MessageToDict(event.details).get("attempt")
        if event.kind.startswith("step.compensat"):
            if event.kind == "step.compensating":
                step.compensation_attempts = max(step.compensation_attempts, int(attempt or 0))
                if step.compensation_started_at is None:
                    step.compensation_started_at = at
            elif event.kind in COMPENSATION_ENDS:
                step.compensation_ended_at = at
                step.compensation_outcome = event.kind.removeprefix("step.")
                if event.kind == "step.compensation_failed":
                    step.error = event.message
            if event.step_id not in known and event.step_state:
                step.state = task_pb2.StepState.Name(event.step_state).removeprefix("STEP_STATE_")
            continue
        if event.kind == "step.dispatched" and step.started_at is None:
            step.started_at = at
        if attempt:
            step.attempts = max(step.attempts, int(attempt))
        if event.kind == "watchers.checked":
            step.checks.append(_checks(event))
        elif event.kind == "step.retry_scheduled":
            step.retries.append(event.message)
        elif event.kind in STEP_ENDS:
            step.ended_at = at if step.started_at is not None else None
            if event.kind != "step.succeeded" and event.message:
                step.error = event.message
        if event.step_id not in known and event.step_state:  # no snapshot: the latest event says
            step.state = task_pb2.StepState.Name(event.step_state).removeprefix("STEP_STATE_")
    return list(steps.values())
