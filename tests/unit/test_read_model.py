"""The gateway's read model: events become visible to Watch only once the snapshot reflects them."""

from __future__ import annotations

import asyncio

from lammesh.gateway.read_model import ReadModel
from lammesh.v1 import task_pb2


def snapshot(version: int, status: int = task_pb2.TASK_STATUS_RUNNING) -> task_pb2.Task:
    return task_pb2.Task(task_id="t1", tenant="acme", status=status, version=version)


def event(sequence: int, status: int = task_pb2.TASK_STATUS_RUNNING) -> task_pb2.TaskEvent:
    return task_pb2.TaskEvent(task_id="t1", sequence=sequence, kind=f"e{sequence}", status=status)


def sequences(model: ReadModel, after: int = 0) -> list[int]:
    return [e.sequence for e in model.events_after("t1", after)]


def test_an_event_ahead_of_the_snapshot_is_held_back_until_the_snapshot_catches_up():
    model = ReadModel()
    model.apply_snapshot(snapshot(1))
    for n in (1, 2, 3):
        model.apply_event(event(n, task_pb2.TASK_STATUS_COMPENSATED if n == 3 else task_pb2.TASK_STATUS_RUNNING))
    assert sequences(model) == [1]
    model.apply_snapshot(snapshot(3, task_pb2.TASK_STATUS_COMPENSATED))
    assert sequences(model) == [1, 2, 3]
    assert model.get("t1", "acme").status == task_pb2.TASK_STATUS_COMPENSATED


def test_events_without_any_snapshot_are_not_visible_and_repeats_are_ignored():
    model = ReadModel()
    model.apply_event(event(2))
    model.apply_event(event(1))
    model.apply_event(event(2))
    assert sequences(model) == []
    model.apply_snapshot(snapshot(2))
    assert sequences(model) == [1, 2]
    assert sequences(model, after=1) == [2]


def test_an_older_snapshot_never_replaces_a_newer_one():
    model = ReadModel()
    model.apply_snapshot(snapshot(5, task_pb2.TASK_STATUS_COMPLETED))
    model.apply_snapshot(snapshot(4))
    assert model.get("t1", "acme").status == task_pb2.TASK_STATUS_COMPLETED
    assert model.get("t1", "globex") is None


async def test_a_subscriber_is_woken_by_the_snapshot_that_makes_an_event_visible():
    model = ReadModel()
    model.apply_snapshot(snapshot(0))
    changed = model.subscribe("t1")
    changed.clear()
    model.apply_event(event(1))
    assert changed.is_set() and sequences(model) == []
    changed.clear()
    model.apply_snapshot(snapshot(1))
    await asyncio.wait_for(changed.wait(), 1)
    assert sequences(model) == [1]
    model.unsubscribe("t1", changed)
    changed.clear()
    model.apply_snapshot(snapshot(2))
    assert not changed.is_set()


def test_a_forgotten_task_and_its_history_are_gone():
    model = ReadModel()
    model.apply_snapshot(snapshot(1, task_pb2.TASK_STATUS_COMPLETED))
    model.apply_event(event(1, task_pb2.TASK_STATUS_COMPLETED))
    model.forget("t1")
    assert model.get("t1", "acme") is None and sequences(model) == [] and model.list("acme") == []


def test_list_filters_by_tenant_status_workflow_and_creation_time_newest_first():
    model = ReadModel()
    for task_id, tenant, status, workflow, created in [
        ("a", "acme", task_pb2.TASK_STATUS_COMPLETED, "followup", 100),
        ("b", "acme", task_pb2.TASK_STATUS_RUNNING, "followup", 200),
        ("c", "acme", task_pb2.TASK_STATUS_COMPLETED, "other", 300),
        ("d", "globex", task_pb2.TASK_STATUS_COMPLETED, "followup", 400),
    ]:
        task = task_pb2.Task(task_id=task_id, tenant=tenant, status=status, workflow=workflow, version=1)
        task.created_at.seconds = created
        model.apply_snapshot(task)
    ids = lambda **kw: [t.task_id for t in model.list("acme", **kw)]  # noqa: E731
    assert ids() == ["c", "b", "a"]
    assert ids(status=task_pb2.TASK_STATUS_COMPLETED) == ["c", "a"]
    assert ids(workflow="followup") == ["b", "a"]
    assert ids(created_after=(200, 0)) == ["c", "b"]
    assert ids(created_after=(200, 1)) == ["c"]
    assert [t.task_id for t in model.list("globex", created_after=(0, 0))] == ["d"]


def test_the_review_queue_depth_follows_snapshots_per_tenant_and_forgotten_tasks():
    from lammesh.v1 import review_pb2

    pending, approved = review_pb2.REVIEW_DECISION_PENDING, review_pb2.REVIEW_DECISION_APPROVED

    def task(task_id: str, tenant: str, version: int, *decisions: int) -> task_pb2.Task:
        reviews = [review_pb2.Review(review_id=f"{task_id}:{i}", decision=d) for i, d in enumerate(decisions)]
        return task_pb2.Task(task_id=task_id, tenant=tenant, version=version, reviews=reviews)

    model = ReadModel()
    assert model.pending_reviews() == {}
    model.apply_snapshot(task("t1", "acme", 1, pending, pending))
    model.apply_snapshot(task("t2", "globex", 1, pending))
    assert model.pending_reviews() == {"acme": 2, "globex": 1}
    model.apply_snapshot(task("t1", "acme", 2, approved, pending))
    model.apply_snapshot(task("t1", "acme", 1, pending, pending))  # an older snapshot changes nothing
    assert model.pending_reviews() == {"acme": 1, "globex": 1}
    model.forget("t2")
    model.apply_snapshot(task("t1", "acme", 3, approved, approved))
    assert model.pending_reviews() == {}
