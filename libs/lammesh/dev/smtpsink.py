"""A local SMTP sink (aiosmtpd) that stores every mail it accepts in a Maildir.

`lammesh smtp-sink` runs it; `lammesh up` starts it for the email tool; tests run it in-process.
Nothing is relayed anywhere: this is the default "SMTP server" of a development mesh.
"""

from __future__ import annotations

import asyncio
import mailbox
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import structlog
from aiosmtpd.smtp import SMTP, Envelope, Session

log = structlog.get_logger(__name__)


class MaildirHandler:
    def __init__(self, maildir: Path) -> None:
        self.maildir = Path(maildir)
        self._box = mailbox.Maildir(self.maildir, create=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else str(raw).encode()
        message = mailbox.MaildirMessage(data)
        message["X-Lammesh-Envelope-From"] = envelope.mail_from or ""
        message["X-Lammesh-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        key = await asyncio.to_thread(self._box.add, message)
        log.info("mail stored", key=key, recipients=len(envelope.rcpt_tos), maildir=str(self.maildir))
        return "250 Message accepted for delivery"


class SmtpSink:
    """Serves SMTP on host:port inside the running event loop."""

    def __init__(self, maildir: Path, host: str = "127.0.0.1", port: int = 2525) -> None:
        self.handler = MaildirHandler(maildir)
        self.host = host
        self.port = port
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self.handler, hostname="lammesh-sink", data_size_limit=10 * 1024 * 1024),
            host=self.host,
            port=self.port,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("smtp sink listening", host=self.host, port=self.port, maildir=str(self.handler.maildir))
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None


def read_maildir(maildir: Path) -> list[EmailMessage]:
    """Every mail in the Maildir (new and cur), oldest first."""
    path = Path(maildir)
    if not path.exists():
        return []
    box = mailbox.Maildir(path, create=False)
    mails: list[tuple[float, Any]] = []
    for key in box.keys():  # noqa: SIM118 (iterating a Maildir yields messages, not keys)
        raw = box.get_bytes(key)
        mails.append((box.get_message(key).get_date(), message_from_bytes(raw, policy=policy.default)))
    return [m for _, m in sorted(mails, key=lambda pair: pair[0])]
