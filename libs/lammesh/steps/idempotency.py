"""Idempotency store port: remembers step results so a redelivered command is answered, not redone."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

from lammesh.sqlite import open_database
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


class SqliteIdempotencyStore:
    """Durable store in a SQLite file: dedupe survives restarts, so a side effect (a CRM write, a
    mail) is never repeated for a redelivered command. One connection, used from a worker thread
    under a lock; WAL mode so readers do not block the writer."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db = open_database(
            self.path,
            schema=[
                "CREATE TABLE IF NOT EXISTS step_results (key TEXT PRIMARY KEY, result BLOB NOT NULL, stored_at REAL NOT NULL)"
            ],
        )
        self._lock = threading.Lock()

    def _get(self, key: str) -> bytes | None:
        with self._lock:
            row = self._db.execute("SELECT result FROM step_results WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def _put(self, key: str, raw: bytes) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO step_results (key, result, stored_at) VALUES (?, ?, ?)", (key, raw, time.time())
            )

    async def get(self, key: str) -> step_pb2.StepResult | None:
        raw = await asyncio.to_thread(self._get, key)
        return None if raw is None else step_pb2.StepResult.FromString(raw)

    async def put(self, key: str, result: step_pb2.StepResult) -> None:
        await asyncio.to_thread(self._put, key, result.SerializeToString())

    def close(self) -> None:
        with self._lock:
            self._db.close()
