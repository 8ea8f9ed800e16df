"""The gateway's read model: the latest snapshot of every task and each task's event history,
materialised from tasks.state and tasks.events, with live subscriptions for Watch streams.

Built from the topics, never from a coordinator's memory, so it works with any number of
coordinator instances and after restarts of either side.

The two topics are read independently, so an event can arrive before the snapshot that includes
it. An event is therefore only *visible* (to Watch streams) once the task's snapshot has reached
its sequence (Task.version is the sequence of the last event the snapshot reflects): a client that
has watched a task to its end and then asks for it gets the ended task, never an older one.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Iterable

from lammesh.v1 import review_pb2, task_pb2

TERMINAL = frozenset({task_pb2.TASK_STATUS_COMPLETED, task_pb2.TASK_STATUS_COMPENSATED, task_pb2.TASK_STATUS_FAILED})


class ReadModel:
    def __init__(self) -> None:
        self.tasks: dict[str, task_pb2.Task] = {}
        self._events: dict[str, list[task_pb2.TaskEvent]] = {}
        self._sequences: dict[str, list[int]] = {}
        self._watchers: dict[str, set[asyncio.Event]] = {}
        self._pending: dict[str, int] = {}  # task id -> its pending reviews
        self._pending_by_tenant: dict[str, int] = {}

    # -- materialisation ---------------------------------------------------------------------

    def apply_snapshot(self, task: task_pb2.Task) -> None:
        current = self.tasks.get(task.task_id)
        if current is None or task.version >= current.version:
            self.tasks[task.task_id] = task
            self._count_pending(
                task.task_id, task.tenant, sum(r.decision == review_pb2.REVIEW_DECISION_PENDING for r in task.reviews)
            )
            if current is None or task.version > current.version:
                self._wake(task.task_id)

    def apply_event(self, event: task_pb2.TaskEvent) -> None:
        """Insert in sequence order; a repeated sequence (outputs repeat after a crash) is ignored."""
        sequences = self._sequences.setdefault(event.task_id, [])
        index = bisect.bisect_left(sequences, event.sequence)
        if index < len(sequences) and sequences[index] == event.sequence:
            return
        sequences.insert(index, event.sequence)
        self._events.setdefault(event.task_id, []).insert(index, event)
        self._wake(event.task_id)

    def forget(self, task_id: str) -> None:
        """The task's retention passed (a tombstone on tasks.state): drop it and its history."""
        task = self.tasks.pop(task_id, None)
        if task is not None:
            self._count_pending(task_id, task.tenant, 0)
        self._events.pop(task_id, None)
        self._sequences.pop(task_id, None)

    def _count_pending(self, task_id: str, tenant: str, pending: int) -> None:
        before = self._pending.pop(task_id, 0)
        if pending:
            self._pending[task_id] = pending
        left = self._pending_by_tenant.get(tenant, 0) + pending - before
        if left:
            self._pending_by_tenant[tenant] = left
        else:
            self._pending_by_tenant.pop(tenant, None)

    # -- queries -----------------------------------------------------------------------------

    def pending_reviews(self) -> dict[str, int]:
        """Reviews waiting for a decision, per tenant (the review queue's depth)."""
        return dict(self._pending_by_tenant)

    def get(self, task_id: str, tenant: str) -> task_pb2.Task | None:
        task = self.tasks.get(task_id)
        return task if task is not None and task.tenant == tenant else None

    def list(
        self, tenant: str, *, status: int = 0, workflow: str = "", created_after: tuple[int, int] = (0, 0)
    ) -> list[task_pb2.Task]:
        """The tenant's tasks, newest first; `created_after` is (seconds, nanos), inclusive."""
        found = [
            t
            for t in self.tasks.values()
            if t.tenant == tenant
            and (not status or t.status == status)
            and (not workflow or t.workflow == workflow)
            and (t.created_at.seconds, t.created_at.nanos) >= created_after
        ]
        found.sort(key=lambda t: (-t.created_at.seconds, -t.created_at.nanos, t.task_id))
        return found

    def events_after(self, task_id: str, sequence: int) -> list[task_pb2.TaskEvent]:
        """The visible events after `sequence`, in order: those the task's snapshot reflects."""
        task = self.tasks.get(task_id)
        if task is None:
            return []
        sequences = self._sequences.get(task_id, [])
        start = bisect.bisect_right(sequences, sequence)
        end = bisect.bisect_right(sequences, task.version)
        return self._events.get(task_id, [])[start:end]

    def reviews(self, tenant: str, *, include_decided: bool) -> Iterable[review_pb2.Review]:
        for task in self.list(tenant):
            for review in task.reviews:
                if include_decided or review.decision == review_pb2.REVIEW_DECISION_PENDING:
                    yield review

    def find_review(self, review_id: str, tenant: str) -> tuple[task_pb2.Task, review_pb2.Review] | None:
        task = self.get(review_id.split(":", 1)[0], tenant)
        if task is None:
            return None
        for review in task.reviews:
            if review.review_id == review_id:
                return task, review
        return None

    # -- live updates ------------------------------------------------------------------------

    def subscribe(self, task_id: str) -> asyncio.Event:
        """An event set whenever the task may have new visible events; the watcher clears it."""
        changed = asyncio.Event()
        self._watchers.setdefault(task_id, set()).add(changed)
        return changed

    def unsubscribe(self, task_id: str, changed: asyncio.Event) -> None:
        watchers = self._watchers.get(task_id)
        if watchers is not None:
            watchers.discard(changed)
            if not watchers:
                del self._watchers[task_id]

    def _wake(self, task_id: str) -> None:
        for changed in self._watchers.get(task_id, ()):
            changed.set()
