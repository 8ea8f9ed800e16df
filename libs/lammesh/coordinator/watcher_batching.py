"""Coordinator-side batching of watcher checks: no timer, no added latency when idle.

Checks for one watcher go out at once while fewer than `max_calls` calls to it are in flight;
the checks that arrive meanwhile queue, and leave together as one CheckBatch when a call returns.
Under load (many tasks' records in flight at once, decision 0007) this turns N unary calls into a
few batch calls: the gRPC call path was the coordinator's largest CPU cost (decision 0502).

A batch call that fails as a whole is retried check by check when the reason may belong to one
request (INVALID_ARGUMENT, e.g. one task's params), so one bad request never fails other tasks'
checks; other failures (UNAVAILABLE, DEADLINE_EXCEEDED) are every request's answer.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field

import grpc

from lammesh import metrics
from lammesh.v1 import watcher_pb2, watcher_pb2_grpc


class WatcherBatchError(Exception):
    """The watcher's CheckBatch answer did not fit the request (a watcher bug)."""


@dataclass
class _Pending:
    request: watcher_pb2.CheckRequest
    deadline: float  # time.monotonic()
    answer: asyncio.Future[watcher_pb2.CheckResponse] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class BatchingWatcherCaller:
    def __init__(self, name: str, stub: watcher_pb2_grpc.WatcherServiceStub, *, max_batch: int, max_calls: int) -> None:
        self._name = name
        self._stub = stub
        self._max_batch = max_batch
        self._max_calls = max_calls
        self._queue: deque[_Pending] = deque()
        self._calls = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def check(self, request: watcher_pb2.CheckRequest, timeout: float) -> watcher_pb2.CheckResponse:
        """Raises grpc.aio.AioRpcError as a direct Check call would, or WatcherBatchError."""
        pending = _Pending(request, time.monotonic() + timeout)
        self._queue.append(pending)
        self._send_what_waits()
        return await pending.answer

    def _send_what_waits(self) -> None:
        while self._queue and self._calls < self._max_calls:
            batch = [self._queue.popleft() for _ in range(min(self._max_batch, len(self._queue)))]
            batch = [p for p in batch if not p.answer.done()]  # the caller gave up (cancelled)
            if not batch:
                continue
            self._calls += 1
            task = asyncio.create_task(self._call(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _call(self, batch: list[_Pending]) -> None:
        metrics.WATCHER_CLIENT_BATCH.labels(self._name).observe(len(batch))
        try:
            if len(batch) == 1:
                await self._one(batch[0])
                return
            timeout = max(min(p.deadline for p in batch) - time.monotonic(), 0.001)
            try:
                reply = await self._stub.CheckBatch(
                    watcher_pb2.CheckBatchRequest(requests=[p.request for p in batch]), timeout=timeout
                )
            except grpc.aio.AioRpcError as exc:
                if exc.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNIMPLEMENTED):
                    await asyncio.gather(*(self._one(p) for p in batch))
                else:
                    for p in batch:
                        _settle(p, error=exc)
                return
            if len(reply.responses) != len(batch):
                error = WatcherBatchError(f"CheckBatch answered {len(reply.responses)} of {len(batch)} checks")
                for p in batch:
                    _settle(p, error=error)
                return
            for p, response in zip(batch, reply.responses, strict=True):
                _settle(p, response=response)
        finally:
            self._calls -= 1
            self._send_what_waits()

    async def _one(self, pending: _Pending) -> None:
        try:
            response = await self._stub.Check(pending.request, timeout=max(pending.deadline - time.monotonic(), 0.001))
        except grpc.aio.AioRpcError as exc:
            _settle(pending, error=exc)
        else:
            _settle(pending, response=response)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def _settle(
    pending: _Pending, *, response: watcher_pb2.CheckResponse | None = None, error: BaseException | None = None
) -> None:
    if pending.answer.done():
        return
    if error is not None:
        pending.answer.set_exception(error)
    else:
        pending.answer.set_result(response)
