"""Bookkeeping of the control-record repair (lammesh.coordinator.reconciler.PendingControls): pure."""

from __future__ import annotations

from google.protobuf import struct_pb2

from lammesh.coordinator.reconciler import PendingControls, Request, cancel_subject, control_subject, review_subject
from lammesh.v1 import review_pb2, task_pb2

OWNED = frozenset({0})


def record(task_id: str, subject: str, offset: int) -> Request:
    return Request(task_id, 0, offset, task_id.encode(), b"v", [], checked_at=0.0, subject=subject)


def event(task_id: str, kind: str, status: int = task_pb2.TASK_STATUS_RUNNING, **details: str) -> task_pb2.TaskEvent:
    fields = struct_pb2.Struct()
    fields.update(details)
    return task_pb2.TaskEvent(task_id=task_id, kind=kind, status=status, details=fields)


def test_subjects_of_control_records() -> None:
    assert control_subject(task_pb2.TaskCancelRequested(task_id="t")) == cancel_subject("t")
    assert control_subject(review_pb2.ReviewDecided(task_id="t", review_id="t:send:1")) == review_subject(
        "t", "t:send:1"
    )
    assert control_subject(task_pb2.TaskTimerFired(task_id="t")) is None


def test_controls_read_past_without_effect_are_due_once_per_settle_time() -> None:
    controls = PendingControls(settle_s=5, horizon_s=3600)
    controls.control(record("lost-cancel", cancel_subject("lost-cancel"), 0))
    controls.control(record("applied", cancel_subject("applied"), 1))
    controls.control(record("r", review_subject("r", "r:send:1"), 2))
    controls.control(record("r", review_subject("r", "r:send:2"), 3))
    controls.control(record("unread", cancel_subject("unread"), 9))
    controls.event(event("applied", "task.cancel_requested"), now=1)
    controls.event(event("r", "review.decided", review_id="r:send:1"), now=1)
    committed = {0: 5}
    assert controls.skipped(committed, OWNED, now=2) == []  # settle time not over
    due = controls.skipped(committed, OWNED, now=7)
    assert sorted(r.tracked_as for r in due) == [cancel_subject("lost-cancel"), review_subject("r", "r:send:2")]
    assert controls.skipped(committed, OWNED, now=8) == []


def test_a_cancel_of_a_compensating_task_and_every_control_of_an_ended_task_are_moot() -> None:
    controls = PendingControls(settle_s=1, horizon_s=3600)
    controls.event(event("c", "step.failed", status=task_pb2.TASK_STATUS_COMPENSATING), now=0)
    controls.control(record("c", cancel_subject("c"), 0))  # read after its evidence
    controls.control(record("e", review_subject("e", "e:s:1"), 1))
    controls.event(event("e", "task.completed", status=task_pb2.TASK_STATUS_COMPLETED), now=0)
    controls.control(record("e", cancel_subject("e"), 2))
    assert controls.pending == {}
    assert controls.skipped({0: 10}, OWNED, now=100) == []
