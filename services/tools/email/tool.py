"""The `email` handler. The Message-ID is derived from the step key, so a mail sent twice by some
failure outside our control is still recognisable as the same mail; the durable idempotency
store (side_effects) makes sure a redelivered command does not send it again."""

from __future__ import annotations

import hashlib
import re
from email.message import EmailMessage
from email.utils import formatdate, getaddresses
from typing import Any

import aiosmtplib
from pydantic import BaseModel, Field, field_validator

from lammesh.settings import Settings
from lammesh.steps import StepContext, StepFailure, StepHandler
from lammesh.v1 import registry_pb2

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
    capability = "email"
    version = "1.0.0"
    kind = registry_pb2.SERVICE_KIND_TOOL
    side_effects = True
    Input = EmailInput
    Output = EmailOutput

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def execute(self, step: StepContext) -> EmailOutput:
        data: EmailInput = step.data
        s = self._settings
        message = compose(data, sender=s.mail_from, step_key=step.key)
        try:
            refused, response = await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username,
                password=s.smtp_password.get_secret_value() if s.smtp_password else None,
                start_tls=s.smtp_starttls,
                timeout=s.smtp_timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise StepFailure("RECIPIENTS_REFUSED", str(exc), retryable=False, field="input.to") from None
        except aiosmtplib.SMTPResponseException as exc:
            # 5xx is permanent, 4xx may pass on a later attempt
            raise StepFailure("SMTP_ERROR", f"{exc.code} {exc.message}", retryable=exc.code < 500) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise StepFailure("SMTP_UNAVAILABLE", f"{s.smtp_host}:{s.smtp_port}: {exc}", retryable=True) from None
        addresses = [a for _, a in getaddresses([*data.to, *data.cc])]
        return EmailOutput(
            message_id=message["Message-ID"],
            recipients=[a for a in addresses if a not in refused],
            smtp_response=response,
        )
