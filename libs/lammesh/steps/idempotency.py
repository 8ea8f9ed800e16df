"""Idempotency store port: remembers step results so a redelivered command is answered, not redone."""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

from lammesh.v1 import step_pb2


class IdempotencyStore(Protocol):
    async def get(self, key: str) -> step_pb2.StepResult | None: ...

    async def put(self, key: str, result: step_pb2.StepResult) -> None: ...


class MemoryIdempotencyStore:
    """Bounded in-process store (LRU). Enough for side-effect-free handlers such as `noop`;
    tools with side effects use a durable store so dedupe survives restarts."""

    def __init__(self, capacity: int = 100_000) -> None:
        self._capacity = capacity
        self._results: OrderedDict[str, bytes] = OrderedDict()

    async def get(self, key: str) -> step_pb2.StepResult | None:
        raw = self._results.get(key)
        if raw is None:
            return None
        self._results.move_to_end(key)
        return step_pb2.StepResult.FromString(raw)

    async def put(self, key: str, result: step_pb2.StepResult) -> None:
        self._results[key] = result.SerializeToString()
        self._results.move_to_end(key)
        while len(self._results) > self._capacity:
            self._results.popitem(last=False)
