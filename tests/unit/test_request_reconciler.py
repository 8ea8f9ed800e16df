"""The request reconciler's bookkeeping (lammesh.coordinator.reconciler.PendingRequests)."""

from __future__ import annotations

from lammesh.coordinator.reconciler import PendingRequests, Request

ALL = frozenset({0, 1})


def request(task_id: str, offset: int, partition: int = 0, at: float = 0.0) -> Request:
    return Request(task_id, partition, offset, task_id.encode(), b"v", [], at)


def test_a_request_read_past_without_a_snapshot_is_due_after_the_settle_time():
    pending = PendingRequests(settle_s=5, horizon_s=3600)
    pending.requested(request("t1", offset=7))
    assert pending.skipped({0: 8}, ALL, now=1.0) == []  # read past, but the snapshot may be on its way
    assert [r.task_id for r in pending.skipped({0: 8}, ALL, now=5.0)] == ["t1"]
    assert pending.skipped({0: 8}, ALL, now=6.0) == []  # once per settle time


def test_a_backlog_is_not_a_loss():
    pending = PendingRequests(settle_s=5, horizon_s=3600)
    pending.requested(request("t1", offset=7))
    assert pending.skipped({0: 7}, ALL, now=100.0) == []  # the group has not read it yet
    assert pending.skipped({}, ALL, now=200.0) == []
    assert pending.skipped({0: 8}, ALL, now=201.0) == []  # the settle time counts from when it was read
    assert len(pending.skipped({0: 8}, ALL, now=206.0)) == 1


def test_a_started_task_is_never_due_whatever_the_order_of_reading():
    pending = PendingRequests(settle_s=0, horizon_s=3600)
    pending.requested(request("t1", offset=1))
    pending.started("t1", now=1.0)
    pending.started("t2", now=1.0)
    pending.requested(request("t2", offset=2))  # a client's retry of a known task
    assert pending.skipped({0: 10}, ALL, now=10.0) == []


def test_only_owned_partitions_are_reconciled():
    pending = PendingRequests(settle_s=0, horizon_s=3600)
    pending.requested(request("t1", offset=1, partition=1))
    assert pending.skipped({1: 5}, frozenset({0}), now=10.0) == []
    assert len(pending.skipped({1: 5}, frozenset({1}), now=20.0)) == 1


def test_the_copy_is_judged_on_its_own_offset_and_a_refused_request_is_given_up():
    pending = PendingRequests(settle_s=0, horizon_s=3600, max_republish=2)
    pending.requested(request("t1", offset=1))
    assert len(pending.skipped({0: 2}, ALL, now=1.0)) == 1
    pending.requested(request("t1", offset=5))  # the copy we published
    assert pending.skipped({0: 2}, ALL, now=2.0) == []  # not read past yet
    assert len(pending.skipped({0: 6}, ALL, now=3.0)) == 1
    pending.requested(request("t1", offset=9))
    assert pending.skipped({0: 10}, ALL, now=4.0) == []
    assert [r.task_id for r in pending.given_up] == ["t1"] and not pending.pending


def test_prune_forgets_started_tasks_past_the_horizon():
    pending = PendingRequests(settle_s=0, horizon_s=10)
    pending.started("t1", now=0.0)
    pending.prune(now=11.0)
    pending.requested(request("t1", offset=1))
    assert "t1" in pending.pending
