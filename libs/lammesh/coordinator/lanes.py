"""Ordered lanes: work for different keys runs concurrently, work for one key in arrival order.

The coordinator's records are keyed by task id. Records of one task must be applied one after the
other (each reads the saga the previous one stored); records of different tasks are independent,
so their watcher calls and broker round trips can overlap. Faust's agent `concurrency=N` does not
keep per-key order (docs/decisions/0502), hence this.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable


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
        except BaseException as exc:  # noqa: BLE001 - kept and re-raised to the owner
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
