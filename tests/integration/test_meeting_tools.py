"""The crm and email tools as real services: commands over Kafka and gRPC, a real SQLite file, a
real SMTP sink writing a Maildir, dedupe that survives a restart."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest

from lammesh.dev.localkafka import free_port
from lammesh.dev.smtpsink import SmtpSink, read_maildir
from lammesh.kafka import EnvelopeProducer
from lammesh.topics import STEPS_RESULTS, step_commands
from lammesh.v1 import step_pb2, step_pb2_grpc
from lammesh_services.tools.crm.store import CrmStore
from tests.support.kafka import payloads, read_records
from tests.support.mesh import running
from tests.support.services import crm as crm_bootstrap
from tests.support.services import email as email_bootstrap

pytestmark = pytest.mark.kafka

SEED = json.loads((Path(__file__).parents[2] / "examples/meetings/crm_seed.json").read_text())


def command(capability: str, task_id: str, step_id: str, action=step_pb2.STEP_ACTION_EXECUTE, attempt=1, **fields):
    cmd = step_pb2.StepCommand(task_id=task_id, step_id=step_id, attempt=attempt, capability=capability, action=action)
    cmd.input.update(fields)
    return cmd


async def send(settings, capability: str, *commands: step_pb2.StepCommand) -> None:
    producer = EnvelopeProducer(settings, name="test-client")
    await producer.start()
    try:
        for cmd in commands:
            await producer.send(step_commands(capability).name(settings), cmd, task_id=cmd.task_id)
        await producer.confirm()
    finally:
        await producer.stop()


@pytest.fixture
def tool_settings(settings, tmp_path):
    return settings.model_copy(
        update={
            "crm_database_url": f"sqlite:///{tmp_path / 'crm.sqlite3'}",
            "state_dir": tmp_path / "state",
            "maildir": tmp_path / "maildir",
            "smtp_port": free_port(),
        }
    )


CRM_INPUT = {
    "account_domain": "globex.example",
    "meeting_date": "2026-11-19",
    "stage": "negotiation",
    "sentiment": "neutral",
    "risks": ["budget approval"],
    "next_step": "Call on Friday",
    "attendees": [{"name": "Mia Chen", "email": "mia.chen@globex.example"}],
}


async def test_crm_over_kafka_then_compensated_over_grpc(tool_settings):
    settings = tool_settings.model_copy(update={"service_name": "crm"})
    CrmStore(settings.crm_database_url).seed(SEED)
    before = CrmStore(settings.crm_database_url).snapshot()
    runtime = crm_bootstrap(settings)
    async with running(runtime):
        await send(
            settings, "crm", command("crm", "k1", "crm", **CRM_INPUT), command("crm", "k2", "crm", account_domain="x")
        )
        results = payloads(await read_records(settings, STEPS_RESULTS.name(settings), count=2), step_pb2.StepResult)
        by_task = {r.task_id: r for r in results}
        assert by_task["k1"].status == step_pb2.STEP_STATUS_SUCCEEDED
        assert by_task["k1"].output["opportunity"]["stage"] == "negotiation"
        assert by_task["k2"].error.code == "INVALID_INPUT" and by_task["k2"].error.field == "input.account_domain"
        changed = CrmStore(settings.crm_database_url).snapshot()
        assert any(c["email"] == "mia.chen@globex.example" for c in changed["contacts"])

        async with grpc.aio.insecure_channel(f"127.0.0.1:{runtime.grpc.port}") as channel:
            stub = step_pb2_grpc.StepServiceStub(channel)
            undo = step_pb2.StepCommand(task_id="k1", step_id="crm", capability="crm")
            undo.input.update(CRM_INPUT)
            reply = await stub.Compensate(step_pb2.CompensateRequest(command=undo))
            assert reply.result.status == step_pb2.STEP_STATUS_SUCCEEDED
            assert len(reply.result.output["restored"]) == 2
    assert CrmStore(settings.crm_database_url).snapshot() == before


async def test_email_sends_through_smtp_into_the_maildir_once_even_across_restarts(tool_settings):
    settings = tool_settings.model_copy(update={"service_name": "email"})
    sink = SmtpSink(settings.maildir, port=settings.smtp_port)
    await sink.start()
    mail = {
        "to": ["Ana Lopez <ana.lopez@acme.example>"],
        "cc": "raj.patel@acme.example",
        "subject": "Follow-up: Acme",
        "body": "Thanks for the meeting.",
    }
    try:
        async with running(email_bootstrap(settings)):
            await send(settings, "email", command("email", "m1", "email", **mail))
            [result] = payloads(
                await read_records(settings, STEPS_RESULTS.name(settings), count=1), step_pb2.StepResult
            )
        assert result.status == step_pb2.STEP_STATUS_SUCCEEDED, result.error
        assert list(result.output["recipients"]) == ["ana.lopez@acme.example", "raj.patel@acme.example"]

        # a new process (same durable store) gets the same command again: answered, not re-sent
        async with running(email_bootstrap(settings)):
            await send(settings, "email", command("email", "m1", "email", attempt=2, **mail))
            results = payloads(await read_records(settings, STEPS_RESULTS.name(settings), count=2), step_pb2.StepResult)
        assert results[1].replayed and results[1].output == result.output
    finally:
        await sink.stop()
    [stored] = read_maildir(settings.maildir)
    assert stored["Subject"] == "Follow-up: Acme"
    assert stored["To"] == "Ana Lopez <ana.lopez@acme.example>" and stored["Cc"] == "raj.patel@acme.example"
    assert stored["Message-ID"] == result.output["message_id"]
    assert stored.get_content().strip() == "Thanks for the meeting."


async def test_email_without_smtp_server_is_a_retryable_failure_and_bad_address_is_named(tool_settings):
    settings = tool_settings.model_copy(update={"service_name": "email"})  # no sink on smtp_port
    runtime = email_bootstrap(settings)
    async with running(runtime):
        async with grpc.aio.insecure_channel(f"127.0.0.1:{runtime.grpc.port}") as channel:
            stub = step_pb2_grpc.StepServiceStub(channel)
            down = await stub.Execute(
                step_pb2.ExecuteRequest(
                    command=command("email", "m2", "email", to=["a@acme.example"], subject="s", body="b")
                )
            )
            bad = await stub.Execute(
                step_pb2.ExecuteRequest(
                    command=command(
                        "email", "m3", "email", to=["a@acme.example", "not-an-address"], subject="s", body="b"
                    )
                )
            )
    assert down.result.error.code == "SMTP_UNAVAILABLE" and down.result.error.retryable
    assert bad.result.error.code == "INVALID_INPUT" and bad.result.error.field == "input.to"
    assert "item 1" in bad.result.error.message
