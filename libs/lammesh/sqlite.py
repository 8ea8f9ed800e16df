"""SQLite files for a process's own local state (idempotency results, the mail journal, the feedback
store): one place for how they are opened."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Literal


def open_database(
    path: Path | str, *, schema: Iterable[str] = (), synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
) -> sqlite3.Connection:
    """The file's connection, its folder made and `schema` applied: autocommit (each statement its
    own transaction), WAL so readers never block the writer, usable from worker threads (the
    caller serialises access with a lock). FULL survives a power cut, NORMAL a process crash."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous}")
    for statement in schema:
        db.execute(statement)
    return db
