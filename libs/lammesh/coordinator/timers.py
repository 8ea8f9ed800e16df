"""When each task owned here next needs a tick (pure: no I/O, the caller's clock).

The coordinator's stream owns the saga table, so a timer never touches state: the worker sends a
TaskTimerFired record into tasks.control for each tick this index says is due, and the stream
applies it like any other record. Two kinds of tick:

- a step timer (a deadline, a retry backoff): sent once per due time, and again when the task has
  still not moved a second later (a record dropped around a rebalance must not stall the task);
  deadlines that passed while no instance owned the task wait out the takeover grace first, so
  results that arrived meanwhile are read before any deadline fires;
- forgetting a finished task: days away, so kept in a heap rather than scanned; sent again a
  minute later while the task is still there (that tick may be lost too).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

REFIRE_AFTER_S = 1.0
FORGET_AGAIN_AFTER_S = 60.0


@dataclass
class TimerIndex:
    _due: dict[str, float] = field(default_factory=dict)
    _fired: dict[str, tuple[float, float]] = field(default_factory=dict)  # task -> (due, when it was sent)
    _forget_at: dict[str, float] = field(default_factory=dict)
    _forget_queue: list[tuple[float, str]] = field(default_factory=list)
    _hold_overdue_until: float = 0.0

    def __len__(self) -> int:
        """Tasks with a step timer."""
        return len(self._due)

    def track(self, task_id: str, *, due: float | None, forget_at: float | None) -> None:
        """The task's next step timer (None: none) and when it may be forgotten (None: running)."""
        if forget_at is not None and self._forget_at.get(task_id) != forget_at:
            self._schedule_forget(task_id, forget_at)
        if due is None:
            self._due.pop(task_id, None)
            self._fired.pop(task_id, None)
        else:
            self._due[task_id] = due

    def forgotten(self, task_id: str) -> None:
        self._due.pop(task_id, None)
        self._fired.pop(task_id, None)
        self._forget_at.pop(task_id, None)

    def taken_over(self, now: float, grace_s: float) -> None:
        """Partitions were (re)assigned and the index rebuilt: hold overdue ticks for `grace_s`."""
        self._hold_overdue_until = now + grace_s

    def clear(self) -> None:
        self._due.clear()
        self._fired.clear()
        self._forget_at.clear()
        self._forget_queue.clear()

    def due_ticks(self, now: float) -> list[tuple[str, float]]:
        """(task, due) of every step timer to send a tick for now; each is marked sent."""
        ticks = []
        holding = now < self._hold_overdue_until
        for task_id, due in self._due.items():
            if due > now or (holding and due < self._hold_overdue_until):
                continue
            fired_due, fired_at = self._fired.get(task_id, (None, 0.0))
            if fired_due != due or now - fired_at > REFIRE_AFTER_S:
                self._fired[task_id] = (due, now)
                ticks.append((task_id, due))
        return ticks

    def forgets_due(self, now: float) -> list[tuple[str, float]]:
        """(task, forget time) of every finished task to send a forgetting tick for now."""
        ticks = []
        while self._forget_queue and self._forget_queue[0][0] <= now:
            at, task_id = heapq.heappop(self._forget_queue)
            if self._forget_at.get(task_id) != at:
                continue  # rescheduled since, or already forgotten
            ticks.append((task_id, at))
            self._schedule_forget(task_id, now + FORGET_AGAIN_AFTER_S)
        return ticks

    def _schedule_forget(self, task_id: str, at: float) -> None:
        self._forget_at[task_id] = at
        heapq.heappush(self._forget_queue, (at, task_id))
