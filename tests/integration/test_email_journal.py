"""The email tool's send journal on a real service, a real SMTP sink and real SQLite files: a crash
after the SMTP server accepted a mail does not send it again, a crash while handing it over resends
it under the same Message-ID (and says so), a server that never took it leaves no intent behind."""

from __future__ import annotations

import sqlite3

import grpc
import pytest

from lammesh.dev.localkafka import free_port
from lammesh.dev.smtpsink import SmtpSink, read_maildir
from lammesh.steps.service import idempotency_db_path
from lammesh.v1 import step_pb2, step_pb2_grpc
from lammesh_services.tools.email.journal import MailJournal, SendState
from lammesh_services.tools.email.tool import message_id_for
from tests.support.mesh import running
from tests.support.services import email as email_bootstrap

pytestmark = pytest.mark.kafka

MAIL = {"to": ["ana.lopez@acme.example"], "subject": "Follow-up: Acme", "body": "Thanks for the meeting."}


@pytest.fixture
def email_settings(settings, tmp_path):
    return settings.model_copy(
        update={
            "service_name": "email",
            "state_dir": tmp_path / "state",
            "maildir": tmp_path / "maildir",
            "smtp_port": free_port(),
        }
    )


def command(task_id: str, attempt: int = 1) -> step_pb2.StepCommand:
    cmd = step_pb2.StepCommand(task_id=task_id, step_id="email", attempt=attempt, capability="email")
    cmd.input.update(MAIL)
    return cmd


async def execute(settings, cmd: step_pb2.StepCommand) -> step_pb2.StepResult:
    runtime = email_bootstrap(settings)
    async with running(runtime):
        async with grpc.aio.insecure_channel(f"127.0.0.1:{runtime.grpc.port}") as channel:
            reply = await step_pb2_grpc.StepServiceStub(channel).Execute(
                step_pb2.ExecuteRequest(command=cmd), timeout=30
            )
    return reply.result


def journal(settings) -> MailJournal:
    return MailJournal(settings.state_dir / "email-mail-journal.sqlite3")


def forget_results(settings) -> None:
    """What a crash between the SMTP answer and the idempotency write leaves: no stored result."""
    with sqlite3.connect(idempotency_db_path(settings)) as db:
        db.execute("DELETE FROM step_results")


async def test_a_mail_the_server_accepted_is_not_sent_again_when_its_result_was_never_stored(email_settings):
    sink = SmtpSink(email_settings.maildir, port=email_settings.smtp_port)
    await sink.start()
    try:
        first = await execute(email_settings, command("m1"))
        forget_results(email_settings)
        again = await execute(email_settings, command("m1", attempt=2))
    finally:
        await sink.stop()
    assert first.status == again.status == step_pb2.STEP_STATUS_SUCCEEDED
    assert not again.replayed, "the idempotency store had nothing: the journal answered"
    assert again.output["message_id"] == first.output["message_id"] and not again.output["resent"]
    assert len(read_maildir(email_settings.maildir)) == 1


async def test_a_mail_handed_over_without_a_recorded_answer_is_resent_under_the_same_message_id(email_settings):
    crashed = journal(email_settings)  # the earlier process died between the intent and the answer
    await crashed.sending("m2/email", message_id_for("m2/email"))
    crashed.close()
    sink = SmtpSink(email_settings.maildir, port=email_settings.smtp_port)
    await sink.start()
    try:
        result = await execute(email_settings, command("m2", attempt=2))
    finally:
        await sink.stop()
    assert result.status == step_pb2.STEP_STATUS_SUCCEEDED and result.output["resent"]
    [mail] = read_maildir(email_settings.maildir)
    assert mail["Message-ID"] == message_id_for("m2/email") == result.output["message_id"]
    entry = await journal(email_settings).get("m2/email")
    assert entry is not None and entry.state is SendState.ACCEPTED


async def test_a_server_that_never_took_the_mail_leaves_no_intent_so_the_retry_is_a_plain_send(email_settings):
    down = await execute(email_settings, command("m3"))  # nothing listens on smtp_port
    assert down.error.code == "SMTP_UNAVAILABLE" and down.error.retryable
    assert await journal(email_settings).get("m3/email") is None
    sink = SmtpSink(email_settings.maildir, port=email_settings.smtp_port)
    await sink.start()
    try:
        result = await execute(email_settings, command("m3", attempt=2))
    finally:
        await sink.stop()
    assert result.status == step_pb2.STEP_STATUS_SUCCEEDED and not result.output["resent"]
    assert len(read_maildir(email_settings.maildir)) == 1
