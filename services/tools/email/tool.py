"""The `email` handler. The Message-ID is derived from the step key, so a mail sent twice by some
failure outside our control is still recognisable as the same mail; the durable idempotency
store (side_effects) makes sure a redelivered command does not send it again, and the send journal
(journal.py) that a crash between the SMTP server's answer and that store does not either."""

from __future__ import annotations

import asyncio
import hashlib
import re
from email.message import EmailMessage
from email.utils import formatdate, getaddresses
from typing import Any, Self

import aiosmtplib
import structlog
from pydantic import BaseModel, Field, field_validator

from lammesh import metrics
from lammesh.settings import Settings
from lammesh.steps import StepContext, StepFailure, StepHandler
from lammesh_services.tools.email.journal import MailJournal, SendPlan, plan_send

log = structlog.get_logger(__name__)

HOLDING = "mail accepted and journaled; holding before its result is stored (fault injection)"
"""The log line `make chaos` waits for to kill the service inside the duplicate-mail window."""

_ADDRESS = r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$"


def _split(value: Any) -> Any:
    """Accept 'a@x.com, B <b@y.com>' as well as a list."""
    if isinstance(value, str):
        return [f"{name} <{addr}>" if name else addr for name, addr in getaddresses([value]) if addr]
    return value


class EmailInput(BaseModel):
    to: list[str] = Field(min_length=1, max_length=50)
    cc: list[str] = Field(default_factory=list, max_length=50)
    subject: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=100_000)
    reply_to: str | None = None

    @field_validator("to", "cc", mode="before")
    @classmethod
    def _addresses(cls, value: Any) -> Any:
        return _split(value)

    @field_validator("to", "cc")
    @classmethod
    def _valid(cls, value: list[str]) -> list[str]:
        for index, item in enumerate(value):
            [(_, address)] = getaddresses([item]) or [("", "")]
            if not re.match(_ADDRESS, address or ""):
                raise ValueError(f"item {index}: {item!r} is not an email address")
        return value

    @field_validator("subject")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value or "\r" in value:
            raise ValueError("must be a single line")
        return value


class EmailOutput(BaseModel):
    message_id: str
    recipients: list[str]
    smtp_response: str
    resent: bool = False
    """True when an earlier attempt may have sent this mail already (it died before recording the
    SMTP server's answer): it was sent again under the same Message-ID, which receivers can dedupe."""


def message_id_for(step_key: str) -> str:
    return f"<{hashlib.sha256(step_key.encode()).hexdigest()[:32]}@lammesh>"


def compose(data: EmailInput, *, sender: str, step_key: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(data.to)
    if data.cc:
        message["Cc"] = ", ".join(data.cc)
    if data.reply_to:
        message["Reply-To"] = data.reply_to
    message["Subject"] = data.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id_for(step_key)
    message["X-Lammesh-Step"] = step_key
    message.set_content(data.body)
    return message


class EmailTool(StepHandler):
    side_effects = True
    Input = EmailInput
    Output = EmailOutput

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls(settings)

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._journal: MailJournal | None = None

    @property
    def journal(self) -> MailJournal:
        if self._journal is None:
            s = self._settings
            self._journal = MailJournal(s.state_dir / f"{s.service_name}-mail-journal.sqlite3")
        return self._journal

    async def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    async def execute(self, step: StepContext) -> EmailOutput:
        data: EmailInput = step.data
        message = compose(data, sender=self._settings.mail_from, step_key=step.key)
        entry = await self.journal.get(step.key)
        plan = plan_send(entry)
        if plan is SendPlan.ANSWER and entry is not None and entry.output is not None:
            return EmailOutput.model_validate(entry.output)
        if plan is SendPlan.RESEND:
            log.warning(
                "an earlier attempt may have sent this mail; sending it again under the same Message-ID",
                step_key=step.key,
                message_id=message["Message-ID"],
            )
            metrics.MAIL_RESENDS.inc()
        await self.journal.sending(step.key, message["Message-ID"])
        refused, response = await self._send(message, step.key)
        addresses = [a for _, a in getaddresses([*data.to, *data.cc])]
        output = EmailOutput(
            message_id=message["Message-ID"],
            recipients=[a for a in addresses if a not in refused],
            smtp_response=response,
            resent=plan is SendPlan.RESEND,
        )
        await self.journal.accepted(step.key, output.model_dump(mode="json"))
        if self._settings.email_hold_after_send_s:
            log.warning(HOLDING, step_key=step.key, hold_s=self._settings.email_hold_after_send_s)
            await asyncio.sleep(self._settings.email_hold_after_send_s)
        return output

    async def _send(self, message: EmailMessage, step_key: str) -> tuple[dict[str, Any], str]:
        s = self._settings
        try:
            return await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username,
                password=s.smtp_password.get_secret_value() if s.smtp_password else None,
                start_tls=s.smtp_starttls,
                timeout=s.smtp_timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            await self.journal.refused(step_key)
            raise StepFailure("RECIPIENTS_REFUSED", str(exc), retryable=False, field="input.to") from None
        except aiosmtplib.SMTPResponseException as exc:
            await self.journal.refused(step_key)
            # 5xx is permanent, 4xx may pass on a later attempt
            raise StepFailure("SMTP_ERROR", f"{exc.code} {exc.message}", retryable=exc.code < 500) from None
        except (aiosmtplib.SMTPConnectError, ConnectionRefusedError) as exc:
            await self.journal.refused(step_key)  # never connected: nothing was handed over
            raise StepFailure("SMTP_UNAVAILABLE", f"{s.smtp_host}:{s.smtp_port}: {exc}", retryable=True) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            # e.g. a timeout or a dropped connection during DATA: the server may have the mail,
            # so the intent stays and the next attempt resends under the same Message-ID.
            raise StepFailure("SMTP_UNAVAILABLE", f"{s.smtp_host}:{s.smtp_port}: {exc}", retryable=True) from None
