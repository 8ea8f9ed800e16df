"""Ordered lanes: work for different keys runs concurrently, work for one key in arrival order.

Kafka records of the mesh are keyed by task id. Records of one task must be handled one after the
other (the coordinator's each read the saga the previous one stored; a step service's commands of
one task follow the saga's order); records of different tasks are independent, so their watcher
calls, steps and broker round trips can overlap, and a slow one holds up only its own task.
Faust's agent `concurrency=N` does not keep per-key order (docs/decisions/0502), hence this.

`FinishedPrefix` is the other half for a consumer that commits its own offsets (the step
services' EnvelopeConsumer; Faust does this for the coordinator): records of a partition finish
out of order, and only the offsets below the first unfinished one may be committed.

Both are plain asyncio / plain Python: no Kafka inside (docs/decisions/0007, 0008).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Iterable


class LaneFailure(RuntimeError):
    """A unit of work raised: the lanes stop taking work and the owner should fail."""


class OrderedLanes:
    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        self._slots = asyncio.Semaphore(limit)
        self._tails: dict[Hashable, asyncio.Task[None]] = {}
        self._running: set[asyncio.Task[None]] = set()
        self._failure: BaseException | None = None

    @property
    def in_flight(self) -> int:
        return len(self._running)

    @property
    def failure(self) -> BaseException | None:
        return self._failure

    async def submit(self, key: Hashable, work: Callable[[], Awaitable[None]]) -> None:
        """Start `work` after every earlier work of `key`; waits while `limit` works are in flight.
        The work starts in a task created here, so it sees this caller's context variables."""
        self._raise_failure()
        await self._slots.acquire()
        self._raise_failure()
        previous = self._tails.get(key)
        task = asyncio.create_task(self._run(previous, work))
        self._tails[key] = task
        self._running.add(task)
        task.add_done_callback(lambda done: self._finished(key, done))

    async def drain(self) -> None:
        """Wait until everything submitted so far has finished; raises LaneFailure if any failed."""
        while self._running:
            await asyncio.wait(set(self._running))
        self._raise_failure()

    async def cancel(self) -> None:
        for task in self._running:
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    async def _run(self, previous: asyncio.Task[None] | None, work: Callable[[], Awaitable[None]]) -> None:
        try:
            if previous is not None:
                await asyncio.wait([previous])
            if self._failure is None:
                await work()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            if self._failure is None:
                self._failure = exc
        finally:
            self._slots.release()

    def _finished(self, key: Hashable, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if self._tails.get(key) is task:
            del self._tails[key]

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise LaneFailure(f"a lane failed: {self._failure!r}") from self._failure


class FinishedPrefix:
    """Per partition: which offsets were started and finished, and how far it is safe to commit.

    Offsets of a partition are started in increasing order (the order a consumer reads them);
    they may finish in any order. `advanced()` answers the commit position (the next offset to
    read) of each partition whose finished prefix grew since the last call: an offset is never
    committed while an earlier one of its partition is unfinished, so a crash re-reads every
    record that had not finished, and only those and the ones after them.
    """

    def __init__(self) -> None:
        self._started: dict[Hashable, deque[int]] = {}  # in start order, finished ones included
        self._open: dict[Hashable, set[int]] = {}  # started, not finished
        self._position: dict[Hashable, int] = {}
        self._reported: dict[Hashable, int] = {}

    def started(self, partition: Hashable, offset: int) -> None:
        started = self._started.setdefault(partition, deque())
        if started and offset <= started[-1]:
            raise ValueError(f"offset {offset} of {partition!r} started after {started[-1]}: offsets must increase")
        if not started and offset < self._position.get(partition, 0):
            raise ValueError(
                f"offset {offset} of {partition!r} is below its finished prefix ({self._position[partition]})"
            )
        started.append(offset)
        self._open.setdefault(partition, set()).add(offset)

    def finished(self, partition: Hashable, offset: int) -> None:
        open_ = self._open.get(partition)
        if not open_ or offset not in open_:
            raise ValueError(f"offset {offset} of {partition!r} finished but was not in flight")
        open_.discard(offset)
        started = self._started[partition]
        while started and started[0] not in open_:
            self._position[partition] = started.popleft() + 1

    def in_flight(self, partition: Hashable) -> int:
        """Offsets of `partition` started and not yet committable (finished later ones included)."""
        return len(self._started.get(partition, ()))

    def advanced(self) -> dict[Hashable, int]:
        """The commit position of each partition whose finished prefix grew past what was last
        `committed`."""
        return {p: pos for p, pos in self._position.items() if self._reported.get(p) != pos}

    def committed(self, positions: dict[Hashable, int]) -> None:
        """`positions` (from `advanced`) were committed; a commit that failed is simply not
        reported, and `advanced` offers it again."""
        for partition, position in positions.items():
            if partition in self._position:
                self._reported[partition] = position

    def forget(self, partitions: Iterable[Hashable]) -> None:
        """Drop partitions this consumer no longer owns (a rebalance took them)."""
        for partition in partitions:
            for table in (self._started, self._open, self._position, self._reported):
                table.pop(partition, None)
