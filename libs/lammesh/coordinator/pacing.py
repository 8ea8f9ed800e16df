"""Pacing of task starts in one coordinator instance (docs/decisions/0640). Pure bookkeeping.

At most `max_active` sagas of this instance run at once. A request for a new task that arrives
while that many run is held back, unacknowledged (so its offset is not committed), together with
every later record of the same task, in arrival order; each time a saga ends, the oldest held task
is released. A held record costs memory (its bytes), not work: no saga, no watcher call, no
step command; the gateway's admission bound keeps the backlog it can cause small. Pausing the
partitions instead was rejected (decision 0640: Faust drops records fetched for a partition paused
mid-batch and commits past them, the 0631 mechanism).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

Item = TypeVar("Item")


class StartPacer(Generic[Item]):
    def __init__(self, max_active: int) -> None:
        if max_active < 1:
            raise ValueError(f"max_active must be at least 1, got {max_active}")
        self.max_active = max_active
        self._active: set[Hashable] = set()
        self._starting = 0  # released or admitted starts whose saga is not stored yet
        self._held: OrderedDict[Hashable, list[Item]] = OrderedDict()

    # -- what the worker reports ----------------------------------------------------------------

    def running(self, key: Hashable) -> None:
        """The task's saga is stored and not terminal."""
        self._active.add(key)

    def ended(self, key: Hashable) -> None:
        """The task's saga is terminal, forgotten, or no longer owned here."""
        self._active.discard(key)

    def start_finished(self) -> None:
        """A start let through by `offer`/`release` was processed (whatever came of it)."""
        self._starting = max(0, self._starting - 1)

    def reset(self) -> list[Item]:
        """After a rebalance: forget everything; returns the held items (the caller drops them:
        they are redelivered from the committed offsets)."""
        held = [item for items in self._held.values() for item in items]
        self._active.clear()
        self._held.clear()
        self._starting = 0
        return held

    # -- decisions --------------------------------------------------------------------------------

    def offer(self, key: Hashable, item: Item, *, starts_saga: bool) -> bool:
        """May `item` (a record of task `key`) be processed now? False: it is held."""
        if key in self._held:
            self._held[key].append(item)
            return False
        if not starts_saga or key in self._active:
            return True
        if self._has_room():
            self._starting += 1
            return True
        self._held[key] = [item]
        return False

    def release(self) -> list[Item]:
        """Items of the oldest held tasks that now have room, in their order."""
        out: list[Item] = []
        while self._held and self._has_room():
            _, items = self._held.popitem(last=False)
            self._starting += 1
            out.extend(items)
        return out

    def __contains__(self, key: Hashable) -> bool:
        """Is the task running here (as far as the pacer knows)?"""
        return key in self._active

    @property
    def held(self) -> int:
        return len(self._held)

    @property
    def active(self) -> int:
        return len(self._active)

    def _has_room(self) -> bool:
        return len(self._active) + self._starting < self.max_active
