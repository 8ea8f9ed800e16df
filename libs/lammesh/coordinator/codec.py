"""Mapping between the saga domain (plain Python) and the lammesh.v1 protobuf messages."""

from __future__ import annotations

from google.protobuf import struct_pb2, timestamp_pb2

from lammesh.saga import Dispatch, Emit, Review, RunChecks, Saga, StepState, TaskStatus
from lammesh.structs import to_struct as struct
from lammesh.tracing import trace_id_of
from lammesh.v1 import model_pb2, review_pb2, step_pb2, task_pb2, watcher_pb2
from lammesh.workflow import WatcherRef


def timestamp(seconds: float) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromMicroseconds(round(seconds * 1e6))
    return ts


def task_status(status: TaskStatus) -> int:
    return task_pb2.TaskStatus.Value(f"TASK_STATUS_{status.value}")


def step_state(state: StepState | None) -> int:
    return task_pb2.StepState.Value(f"STEP_STATE_{state.value}") if state else task_pb2.STEP_STATE_UNSPECIFIED


_DECISIONS = {
    "PENDING": review_pb2.REVIEW_DECISION_PENDING,
    "APPROVED": review_pb2.REVIEW_DECISION_APPROVED,
    "REJECTED": review_pb2.REVIEW_DECISION_REJECTED,
}


def review(saga: Saga, item: Review) -> review_pb2.Review:
    message = review_pb2.Review(
        review_id=item.review_id,
        task_id=saga.task_id,
        step_id=item.step_id,
        stage=item.stage.proto,
        watcher=", ".join(item.watchers),
        reasons=item.reasons,
        content=struct(item.content),
        decision=_DECISIONS[item.decision],
        decided_by=item.decided_by,
        comment=item.comment,
        created_at=timestamp(item.created_at),
        tenant=saga.tenant,
    )
    for span in item.spans:
        message.spans.add(
            field=str(span.get("field", "")),
            start=int(span.get("start", 0)),
            end=int(span.get("end", 0)),
            label=str(span.get("label", "")),
        )
    message.models.extend(
        model_pb2.ModelRef(name=m.get("name", ""), version=m.get("version", ""), sha256=m.get("sha256", ""))
        for m in item.models
    )
    if item.decided_at is not None:
        message.decided_at.CopyFrom(timestamp(item.decided_at))
    return message


def snapshot(saga: Saga, capabilities: dict[str, str]) -> task_pb2.Task:
    """The Task message for tasks.state and the gateway's Get/List."""
    task = task_pb2.Task(
        task_id=saga.task_id,
        workflow=saga.workflow,
        tenant=saga.tenant,
        status=task_status(saga.status),
        input=struct(saga.input),
        reason=saga.reason,
        needs_attention=saga.needs_attention,
        created_at=timestamp(saga.created_at),
        updated_at=timestamp(saga.updated_at),
        client_key=saga.client_key,
        version=saga.sequence,
        trace_id=trace_id_of(saga.trace_context),
    )
    for step_id, run in saga.steps.items():
        task.steps.add(
            step_id=step_id,
            capability=capabilities.get(step_id, ""),
            state=step_state(run.state),
            attempt=run.attempt,
            output=struct(run.output),
            error=run.error,
        )
    task.reviews.extend(review(saga, r) for r in saga.reviews.values())
    return task


def event(task_id: str, emit: Emit) -> task_pb2.TaskEvent:
    return task_pb2.TaskEvent(
        task_id=task_id,
        sequence=emit.sequence,
        kind=emit.kind,
        status=task_status(emit.status),
        step_id=emit.step_id,
        step_state=step_state(emit.step_state),
        message=emit.message,
        at=timestamp(emit.at),
        details=struct(emit.details),
    )


def command(saga: Saga, dispatch: Dispatch) -> step_pb2.StepCommand:
    return step_pb2.StepCommand(
        task_id=saga.task_id,
        step_id=dispatch.step_id,
        attempt=dispatch.attempt,
        capability=dispatch.capability,
        action=step_pb2.STEP_ACTION_COMPENSATE if dispatch.compensate else step_pb2.STEP_ACTION_EXECUTE,
        input=struct(dispatch.input),
        previous_output=struct(dispatch.previous_output),
        deadline=timestamp(dispatch.deadline),
        tenant=saga.tenant,
        workflow=saga.workflow,
    )


def check_request(
    saga: Saga,
    checks: RunChecks,
    watcher: WatcherRef,
    *,
    content: struct_pb2.Struct | None = None,
    sources: struct_pb2.Struct | None = None,
) -> watcher_pb2.CheckRequest:
    """One watcher's CheckRequest for `checks` (`content`/`sources`: the converted structs, when
    the caller shares them between the watchers of one check)."""
    return watcher_pb2.CheckRequest(
        task_id=saga.task_id,
        step_id=checks.step_id,
        attempt=checks.attempt,
        capability=checks.capability,
        stage=checks.stage.proto,
        content=content if content is not None else struct(checks.content),
        sources=sources if sources is not None else struct(checks.sources),
        params=struct(watcher.params),
        tenant=saga.tenant,
    )
