"""FeedbackStore: the feedback topic materialised into SQLite, for the violet team.

Each record of `lammesh.topics.WATCHERS_FEEDBACK` (key = case id, value = `FeedbackCase.to_json()`)
is applied with `apply`; the later report of a case id wins (its content, label and note replace
the earlier ones), and a case a patch has already used stays marked as used unless its label
changed (a changed label is new evidence, so it is pending again). Reads are per watcher: the
pending cases (not yet used by a patch) and all cases (every earlier case is a gate).

One connection used under a lock, WAL mode, like `lammesh.steps.idempotency.SqliteIdempotencyStore`.
"""

from __future__ import annotations

import threading
from pathlib import Path

from lammesh.feedback.case import FeedbackCase, FeedbackError
from lammesh.sqlite import open_database

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS feedback_cases ("
    " case_id TEXT PRIMARY KEY, watcher TEXT NOT NULL, should_flag INTEGER NOT NULL,"
    " created_at REAL NOT NULL, record BLOB NOT NULL, used_by TEXT NOT NULL DEFAULT '')",
    "CREATE INDEX IF NOT EXISTS feedback_cases_by_watcher ON feedback_cases (watcher, used_by)",
)


class FeedbackStore:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._db = open_database(path, schema=_SCHEMA)
        self._lock = threading.Lock()

    def apply(self, key: bytes | str | None, value: bytes | None) -> FeedbackCase | None:
        """Apply one topic record: a tombstone (value None) deletes the case; a record that is not
        a feedback case raises FeedbackError (the caller logs and skips it). Returns the case."""
        if value is None:
            if key is not None:
                case_id = key.decode() if isinstance(key, bytes) else key
                with self._lock:
                    self._db.execute("DELETE FROM feedback_cases WHERE case_id = ?", (case_id,))
            return None
        case = FeedbackCase.from_json(value)
        if key is not None:
            given = key.decode() if isinstance(key, bytes) else key
            if given != case.case_id:
                raise FeedbackError(f"record key {given!r} is not the case id {case.case_id!r} of its value")
        self.put(case)
        return case

    def put(self, case: FeedbackCase) -> None:
        with self._lock:
            row = self._db.execute(
                "SELECT should_flag, used_by FROM feedback_cases WHERE case_id = ?", (case.case_id,)
            ).fetchone()
            used_by = ""
            if row is not None and bool(row[0]) == case.should_flag:
                used_by = row[1]
            self._db.execute(
                "INSERT OR REPLACE INTO feedback_cases (case_id, watcher, should_flag, created_at, record, used_by)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (case.case_id, case.watcher, int(case.should_flag), case.created_at, case.to_json(), used_by),
            )

    def get(self, case_id: str) -> FeedbackCase | None:
        with self._lock:
            row = self._db.execute("SELECT record FROM feedback_cases WHERE case_id = ?", (case_id,)).fetchone()
        return None if row is None else FeedbackCase.from_json(row[0])

    def pending(self, watcher: str) -> list[FeedbackCase]:
        """The watcher's cases no patch has used yet, oldest first."""
        return self._select("WHERE watcher = ? AND used_by = '' ORDER BY created_at, case_id", (watcher,))

    def cases(self, watcher: str) -> list[FeedbackCase]:
        """Every case of the watcher, oldest first (each one is a gate for the next patch)."""
        return self._select("WHERE watcher = ? ORDER BY created_at, case_id", (watcher,))

    def watchers_with_pending(self) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT watcher FROM feedback_cases WHERE used_by = '' ORDER BY watcher"
            ).fetchall()
        return [row[0] for row in rows]

    def mark_used(self, case_ids: list[str], patch_version: str) -> None:
        """Record that the patch `patch_version` was built from these cases."""
        if not patch_version:
            raise ValueError("mark_used needs the patch version that used the cases")
        with self._lock:
            self._db.executemany(
                "UPDATE feedback_cases SET used_by = ? WHERE case_id = ?", [(patch_version, cid) for cid in case_ids]
            )

    def used_by(self, case_id: str) -> str:
        with self._lock:
            row = self._db.execute("SELECT used_by FROM feedback_cases WHERE case_id = ?", (case_id,)).fetchone()
        return "" if row is None else row[0]

    def _select(self, where: str, args: tuple) -> list[FeedbackCase]:
        with self._lock:
            rows = self._db.execute(f"SELECT record FROM feedback_cases {where}", args).fetchall()
        return [FeedbackCase.from_json(row[0]) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> FeedbackStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
