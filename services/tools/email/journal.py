"""The email tool's send journal: an intent row before a mail goes to the SMTP server, the server's
answer right after, in a SQLite file beside the idempotency store.

The idempotency store records a step's result only after the handler returns, so a crash after the
SMTP server accepted a mail but before that write used to send it again (decision 0401). With the
journal the window shrinks to the instant between the server's 250 and the `accepted` write; a
crash there leaves an intent without an answer, and the retry sends the mail again under the same
Message-ID, says so in its output and counts it (decision 0413).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from lammesh.sqlite import open_database


class SendState(StrEnum):
    SENDING = "SENDING"
    """Handed to the SMTP server (or about to be); its answer is not recorded."""
    ACCEPTED = "ACCEPTED"
    """The SMTP server accepted it; `output` is the step's output."""


@dataclass(frozen=True)
class JournalEntry:
    step_key: str
    message_id: str
    state: SendState
    output: dict[str, Any] | None


class SendPlan(StrEnum):
    SEND = "send"
    ANSWER = "answer"
    """Accepted before: answer with the recorded output, send nothing."""
    RESEND = "resend"
    """Maybe accepted before: send again under the same Message-ID, and say so."""


def plan_send(entry: JournalEntry | None) -> SendPlan:
    if entry is None:
        return SendPlan.SEND
    return SendPlan.ANSWER if entry.state is SendState.ACCEPTED else SendPlan.RESEND


class MailJournal:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        # FULL: an `accepted` row that a power cut could lose would reopen the window.
        self._db = open_database(
            self.path,
            synchronous="FULL",
            schema=[
                "CREATE TABLE IF NOT EXISTS sends (step_key TEXT PRIMARY KEY, message_id TEXT NOT NULL, state TEXT NOT NULL,"
                " output TEXT, updated_at REAL NOT NULL)"
            ],
        )
        self._lock = threading.Lock()

    def _execute(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    async def get(self, step_key: str) -> JournalEntry | None:
        rows = await asyncio.to_thread(
            self._execute, "SELECT step_key, message_id, state, output FROM sends WHERE step_key = ?", step_key
        )
        if not rows:
            return None
        key, message_id, state, output = rows[0]
        return JournalEntry(key, message_id, SendState(state), json.loads(output) if output else None)

    async def sending(self, step_key: str, message_id: str) -> None:
        await asyncio.to_thread(
            self._execute,
            "INSERT OR REPLACE INTO sends (step_key, message_id, state, output, updated_at) VALUES (?, ?, ?, NULL, ?)",
            step_key,
            message_id,
            SendState.SENDING.value,
            time.time(),
        )

    async def accepted(self, step_key: str, output: dict[str, Any]) -> None:
        await asyncio.to_thread(
            self._execute,
            "UPDATE sends SET state = ?, output = ?, updated_at = ? WHERE step_key = ?",
            SendState.ACCEPTED.value,
            json.dumps(output, sort_keys=True),
            time.time(),
            step_key,
        )

    async def refused(self, step_key: str) -> None:
        """The server answered and did not take the mail: nothing was sent, forget the intent."""
        await asyncio.to_thread(self._execute, "DELETE FROM sends WHERE step_key = ?", step_key)

    def close(self) -> None:
        with self._lock:
            self._db.close()
