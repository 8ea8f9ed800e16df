"""Micro-batching: concurrent single checks are scored together as one batch.

Pure asyncio, no gRPC. How a batch is formed, each time a batch slot is free:
1. take what is queued (up to `max_batch`);
2. if the batch is not full and there is concurrent traffic (the previous batch held more than
   one request) and another request is expected before the window closes (the moving average of
   the gap between arrivals is shorter than what is left of it), wait for more, at most
   `window_s` in total;
3. score it. While `max_concurrent` batches are being scored, new requests queue up and form the
   next batch, which is where most batching comes from under load.
A lone request at low traffic, or a single caller sending one check after another, is therefore
dispatched at once: it never waits for the window. When a batch raises, its requests are scored
again one by one, so a single bad request fails alone instead of taking its batch-mates along.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import structlog

log = structlog.get_logger(__name__)

T = TypeVar("T")
R = TypeVar("R")

_GAP_SMOOTHING = 0.2
"""Weight of the newest gap in the moving average of inter-arrival gaps."""


class MicroBatcher(Generic[T, R]):
    def __init__(
        self,
        run_batch: Callable[[list[T]], Awaitable[list[R]]],
        *,
        window_s: float,
        max_batch: int,
        max_concurrent: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if window_s < 0:
            raise ValueError("window_s must be >= 0")
        if max_batch < 1 or max_concurrent < 1:
            raise ValueError("max_batch and max_concurrent must be >= 1")
        self._run_batch = run_batch
        self.window_s = window_s
        self.max_batch = max_batch
        self._clock = clock
        self._queue: deque[tuple[T, asyncio.Future[R]]] = deque()
        self._arrived = asyncio.Event()
        self._slots = asyncio.Semaphore(max_concurrent)
        self._pump: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._last_arrival: float | None = None
        self._mean_gap = float("inf")
        self._last_batch_size = 0

    @property
    def queued(self) -> int:
        return len(self._queue)

    async def submit(self, item: T) -> R:
        """Score one item as part of a batch; returns its result or raises the batch's error."""
        return await self._enqueue([item])[0]

    async def submit_many(self, items: list[T]) -> list[R]:
        """Score several items (split into batches of at most `max_batch`), results in order."""
        return list(await asyncio.gather(*self._enqueue(items)))

    def _enqueue(self, items: list[T]) -> list[asyncio.Future[R]]:
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[R]] = []
        for item in items:
            self._note_arrival()
            future: asyncio.Future[R] = loop.create_future()
            self._queue.append((item, future))
            futures.append(future)
        self._arrived.set()
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._pump_batches())
        return futures

    def _note_arrival(self) -> None:
        now = self._clock()
        if self._last_arrival is not None:
            gap = now - self._last_arrival
            if self._mean_gap == float("inf"):
                self._mean_gap = gap
            else:
                self._mean_gap += _GAP_SMOOTHING * (gap - self._mean_gap)
        self._last_arrival = now

    async def _pump_batches(self) -> None:
        """Runs while requests are queued; exits when the queue is empty (no task lingers)."""
        while self._queue:
            await self._slots.acquire()
            try:
                batch = await self._collect()
            except BaseException:
                self._slots.release()
                raise
            if not batch:
                self._slots.release()
                continue
            task = asyncio.create_task(self._score(batch))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    def _take(self, room: int) -> list[tuple[T, asyncio.Future[R]]]:
        taken: list[tuple[T, asyncio.Future[R]]] = []
        while self._queue and len(taken) < room:
            entry = self._queue.popleft()
            if not entry[1].done():  # skip callers that gave up (cancelled, deadline passed)
                taken.append(entry)
        return taken

    async def _collect(self) -> list[tuple[T, asyncio.Future[R]]]:
        batch = self._take(self.max_batch)
        if not batch:
            return batch
        concurrent = self._last_batch_size > 1 or len(batch) > 1
        self._last_batch_size = len(batch)
        if self.window_s <= 0 or not concurrent:
            return batch
        deadline = self._clock() + self.window_s
        while len(batch) < self.max_batch:
            remaining = deadline - self._clock()
            if remaining <= 0 or self._mean_gap > remaining:
                break  # nobody is expected before the window closes: go now
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                break
            batch.extend(self._take(self.max_batch - len(batch)))
        self._last_batch_size = len(batch)
        return batch

    async def _score(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            try:
                self._settle(batch, await self._checked_run([item for item, _ in batch]))
            except Exception as exc:
                if len(batch) == 1:
                    self._fail(batch, exc)
                else:
                    # One bad request must not fail its batch-mates: score each on its own.
                    log.warning("batch failed, scoring its items one by one", size=len(batch), error=repr(exc))
                    for entry in batch:
                        try:
                            self._settle([entry], await self._checked_run([entry[0]]))
                        except Exception as single:
                            self._fail([entry], single)
        finally:
            for _, future in batch:
                if not future.done():  # cancelled mid-batch (shutdown)
                    future.cancel()
            self._slots.release()

    async def _checked_run(self, items: list[T]) -> list[R]:
        results = await self._run_batch(items)
        if len(results) != len(items):
            raise RuntimeError(f"batch of {len(items)} got {len(results)} results")
        return results

    @staticmethod
    def _settle(batch: list[tuple[T, asyncio.Future[R]]], results: list[R]) -> None:
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

    @staticmethod
    def _fail(batch: list[tuple[T, asyncio.Future[R]]], error: Exception) -> None:
        for _, future in batch:
            if not future.done():
                future.set_exception(error)
