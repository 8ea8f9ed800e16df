"""Every Kafka consumer of the mesh against hypothesis-made bad records, on the real broker.

For each consumer (a step service's command consumer — noop and the email tool —, the gateway's
read-model reader, the coordinator's Faust worker): a batch of malformed, truncated, oversized and
wrong-type records with garbage headers goes onto its topics, then one good record. Every bad
record must be in the DLQ with a reason and its source topic/partition/offset, the consumer must
still run, and the good record must have been handled."""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator

import grpc
import pytest
from hypothesis import strategies as st

from lammesh.dev.localkafka import free_port
from lammesh.dev.smtpsink import SmtpSink, read_maildir
from lammesh.kafka import EnvelopeProducer
from lammesh.topics import DLQ, STEPS_RESULTS, TASKS_CONTROL, TASKS_EVENTS, TASKS_REQUESTED, TASKS_STATE, step_commands
from lammesh.v1 import registry_pb2, step_pb2, task_pb2, task_pb2_grpc
from lammesh_services.coordinator.main import bootstrap as coordinator_bootstrap
from lammesh_services.gateway.main import bootstrap as gateway_bootstrap
from tests.conftest import make_settings
from tests.support.fuzz import (
    Bad,
    assert_dead_lettered,
    bad_type_url,
    draw,
    envelope_bytes,
    future_schema,
    garbage,
    garbage_headers,
    kinds,
    oversized,
    publish,
    truncated,
    wrong_type,
)
from tests.support.kafka import payloads, read_records, wait_until
from tests.support.mesh import Client, running, write_workflow
from tests.support.services import email as email_bootstrap
from tests.support.services import noop as noop_bootstrap

pytestmark = pytest.mark.kafka

task_ids = st.text(alphabet="abcdef0123456789", min_size=1, max_size=12)


@contextlib.asynccontextmanager
async def producing(settings) -> AsyncIterator[EnvelopeProducer]:
    producer = EnvelopeProducer(settings, name="fuzzer")
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


def step_command(capability: str, task_id: str, **fields: object) -> step_pb2.StepCommand:
    command = step_pb2.StepCommand(
        task_id=task_id, step_id="s", attempt=1, capability=capability, action=step_pb2.STEP_ACTION_EXECUTE
    )
    command.input.update(fields)
    return command


def invalid_commands(capability: str) -> st.SearchStrategy[Bad]:
    """Well-formed envelopes around StepCommands a step service must refuse, naming the field."""

    def build(task_id: str, problem: str, headers: list) -> Bad:
        command = step_command(capability, task_id)
        if problem == "task_id":
            command.task_id = ""
        elif problem == "step_id":
            command.step_id = ""
        elif problem == "action":
            command.action = 7
        else:
            command.capability = "someone-else"
        return Bad(
            f"invalid_command.{problem}",
            envelope_bytes(command, task_id=task_id),
            rf"^invalid StepCommand: {problem}: ",
            headers,
        )

    return st.builds(build, task_ids, st.sampled_from(["task_id", "step_id", "action", "capability"]), garbage_headers)


def step_service_bad_records(capability: str, limit: int) -> list[Bad]:
    not_a_command = "^expected payload lammesh.v1.StepCommand, got "
    valid = task_ids.map(lambda tid: envelope_bytes(step_command(capability, tid), task_id=tid))
    others = [
        task_pb2.TaskRequested(task_id="x", workflow="w"),
        step_pb2.StepResult(task_id="x", step_id="s"),
        task_pb2.Task(task_id="x"),
        registry_pb2.CapabilityRegistration(capability=capability),
    ]
    return [
        *draw(garbage(), 10),
        *draw(truncated(valid, "^invalid StepCommand: task_id: is required$"), 8),
        *draw(wrong_type(others, task_id=task_ids, reason=not_a_command), 6),
        *draw(bad_type_url(step_command(capability, "t"), task_id="t", reason=not_a_command), 6),
        *draw(future_schema(step_command(capability, "t"), task_id="t"), 3),
        *draw(invalid_commands(capability), 8),
        *draw(oversized(limit), 2),
    ]


async def _fuzz_step_service(settings, capability: str, good: step_pb2.StepCommand) -> list[step_pb2.StepResult]:
    """Publish the bad batch then `good` on the capability's command topic; the results that came."""
    bad = step_service_bad_records(capability, settings.kafka_max_record_bytes)
    assert set(kinds(bad)) >= {"garbage", "truncated", "wrong_type", "bad_type_url", "future_schema", "oversized"}
    topic = step_commands(capability).name(settings)
    async with producing(settings) as producer:
        sent = await publish(producer, topic, bad, key=b"fuzz")
        await producer.send(topic, good, task_id="fuzz")
        await producer.confirm()
    results = payloads(
        await read_records(settings, STEPS_RESULTS.name(settings), count=1, quiet_for=1.0), step_pb2.StepResult
    )
    dead = await read_records(settings, DLQ.name(settings), count=len(sent))
    assert_dead_lettered(dead, sent, group=f"{settings.topic_prefix}.{capability}")
    return results


async def test_the_noop_tool_dead_letters_every_bad_command_and_answers_the_next(settings):
    runtime = noop_bootstrap(settings)
    async with running(runtime):
        good = step_command("noop", "good-task", greeting="still here")
        results = await _fuzz_step_service(settings, "noop", good)
        consumer = runtime.consumers[0].task
        assert consumer is not None and not consumer.done()
    assert [(r.task_id, r.status) for r in results] == [("good-task", step_pb2.STEP_STATUS_SUCCEEDED)]
    assert results[0].output["greeting"] == "still here"


async def test_a_command_whose_answer_is_too_large_fails_the_step_naming_the_limit(settings):
    # A valid command whose output (noop echoes its input) cannot fit in a steps.results record:
    # the step fails visibly (the coordinator compensates at once), the next command still runs.
    small = settings.model_copy(update={"kafka_max_record_bytes": 64 * 1024})  # the tool's limit; the sender's is 1 MiB
    runtime = noop_bootstrap(small)
    async with running(runtime), producing(settings) as producer:
        topic = step_commands("noop").name(settings)
        big = step_command("noop", "big-task", blob="x" * 100_000)
        await producer.send(topic, big, task_id="fuzz")
        await producer.send(topic, step_command("noop", "next-task", n=1), task_id="fuzz")
        await producer.confirm()
        results = payloads(await read_records(settings, STEPS_RESULTS.name(settings), count=2), step_pb2.StepResult)
    by_task = {r.task_id: r for r in results}
    assert by_task["big-task"].status == step_pb2.STEP_STATUS_FAILED
    assert by_task["big-task"].error.code == "OUTPUT_TOO_LARGE" and not by_task["big-task"].error.retryable
    assert f"over the {64 * 1024}-byte limit (kafka_max_record_bytes)" in by_task["big-task"].error.message
    assert by_task["next-task"].status == step_pb2.STEP_STATUS_SUCCEEDED


async def test_the_email_tool_dead_letters_every_bad_command_and_sends_only_the_good_mail(settings, tmp_path):
    tool_settings = settings.model_copy(
        update={
            "service_name": "email",
            "state_dir": tmp_path / "state",
            "maildir": tmp_path / "maildir",
            "smtp_port": free_port(),
        }
    )
    sink = SmtpSink(tool_settings.maildir, port=tool_settings.smtp_port)
    await sink.start()
    try:
        runtime = email_bootstrap(tool_settings)
        async with running(runtime):
            good = step_command(
                "email", "mail-task", to=["ana@acme.example"], subject="After the fuzz", body="Hello Ana."
            )
            results = await _fuzz_step_service(tool_settings, "email", good)
            consumer = runtime.consumers[0].task
            assert consumer is not None and not consumer.done()
    finally:
        await sink.stop()
    assert [(r.task_id, r.status) for r in results] == [("mail-task", step_pb2.STEP_STATUS_SUCCEEDED)], results
    [mail] = read_maildir(tool_settings.maildir)  # no bad record sent anything
    assert mail["Subject"] == "After the fuzz"


# --- the gateway's read model (TopicReader over tasks.state and tasks.events) -------------------

ONE_STEP = """
name: one
steps:
  - {id: only, uses: noop}
"""


def _tenant() -> tuple[tuple[str, str], ...]:
    return (("x-lammesh-tenant", "acme"), ("x-lammesh-user", "ana@acme.com"))


async def test_the_gateway_read_model_dead_letters_every_bad_record_and_applies_the_next(settings, tmp_path):
    write_workflow(tmp_path / "workflows", ONE_STEP)
    settings = settings.model_copy(update={"workflows_dir": tmp_path / "workflows", "service_name": "gateway"})
    limit = settings.kafka_max_record_bytes
    snapshot = task_pb2.Task(task_id="t", tenant="acme", workflow="one", version=1)
    event = task_pb2.TaskEvent(task_id="t", sequence=1, kind="task.started")
    state_topic, events_topic = TASKS_STATE.name(settings), TASKS_EVENTS.name(settings)
    others = [step_pb2.StepResult(task_id="x"), task_pb2.TaskRequested(task_id="x", workflow="one")]
    by_topic = {
        state_topic: [
            *draw(garbage(null=False), 6),  # a null value there is a tombstone (test_gateway)
            *draw(
                truncated(
                    task_ids.map(lambda tid: envelope_bytes(task_pb2.Task(task_id=tid, tenant="acme"), task_id=tid)),
                    "^lammesh.v1.Task has no task_id$",
                ),
                5,
            ),
            *draw(wrong_type([*others, event], task_id=task_ids, reason="^expected payload lammesh.v1.Task, got "), 5),
            *draw(bad_type_url(snapshot, task_id="t", reason="^expected payload lammesh.v1.Task, got "), 4),
            *draw(future_schema(snapshot, task_id="t"), 2),
            Bad(
                "no_task_id",
                envelope_bytes(task_pb2.Task(tenant="acme", version=3), task_id="t"),
                "^lammesh.v1.Task has no task_id$",
            ),
            *draw(oversized(limit), 1),
        ],
        events_topic: [
            *draw(garbage(), 6),
            *draw(
                truncated(
                    task_ids.map(lambda tid: envelope_bytes(task_pb2.TaskEvent(task_id=tid, sequence=1), task_id=tid)),
                    "^lammesh.v1.TaskEvent has no task_id$",
                ),
                5,
            ),
            *draw(
                wrong_type(
                    [*others, snapshot], task_id=task_ids, reason="^expected payload lammesh.v1.TaskEvent, got "
                ),
                5,
            ),
            *draw(bad_type_url(event, task_id="t", reason="^expected payload lammesh.v1.TaskEvent, got "), 4),
            Bad(
                "no_task_id",
                envelope_bytes(task_pb2.TaskEvent(sequence=2), task_id="t"),
                "^lammesh.v1.TaskEvent has no task_id$",
            ),
            *draw(oversized(limit), 1),
        ],
    }
    runtime = gateway_bootstrap(settings)
    async with running(runtime), Client(settings) as client:
        sent = {}
        for topic, bad in by_topic.items():
            sent |= await publish(client.producer, topic, bad, key=b"fuzz")
        good = task_pb2.Task(
            task_id="good-task", tenant="acme", workflow="one", version=1, status=task_pb2.TASK_STATUS_RUNNING
        )
        await client.producer.send(
            events_topic, task_pb2.TaskEvent(task_id="good-task", sequence=1, kind="task.started"), task_id="fuzz"
        )
        await client.producer.send(state_topic, good, task_id="fuzz")
        await client.producer.confirm()
        async with grpc.aio.insecure_channel(f"127.0.0.1:{runtime.grpc.port}") as channel:
            stub = task_pb2_grpc.TaskServiceStub(channel)

            async def applied() -> bool:
                try:
                    await stub.GetTask(task_pb2.GetTaskRequest(task_id="good-task"), metadata=_tenant())
                except grpc.aio.AioRpcError as exc:
                    assert exc.code() == grpc.StatusCode.NOT_FOUND
                    return False
                return True

            await wait_until(applied)
            stream = stub.WatchTask(task_pb2.WatchTaskRequest(task_id="good-task"), metadata=_tenant(), timeout=30)
            first = await stream.read()
            stream.cancel()
        reader = runtime.consumers[0].task
        assert reader is not None and not reader.done()
        dead = await read_records(settings, DLQ.name(settings), count=len(sent))
    assert first.event.kind == "task.started"
    assert_dead_lettered(dead, sent, group="gateway-read-model")


# --- the coordinator (Faust worker over tasks.requested, steps.results, tasks.control) ---------


TWICE = """
name: twice
steps:
  - {id: only, uses: noop, input: {blob: "${input.blob}", again: "${input.blob}"}}
"""


async def test_the_coordinator_dead_letters_every_bad_record_and_runs_the_next_task(kafka_bootstrap, tmp_path):
    write_workflow(tmp_path / "workflows", TWICE)
    settings = make_settings(
        kafka_bootstrap,
        workflows_dir=tmp_path / "workflows",
        timer_interval_s=0.02,
        timer_recovery_grace_s=0,
        coordinator_data_dir=tmp_path / "coordinator",
    )
    limit = settings.kafka_max_record_bytes
    requested, results, control = (
        TASKS_REQUESTED.name(settings),
        STEPS_RESULTS.name(settings),
        TASKS_CONTROL.name(settings),
    )
    request = task_pb2.TaskRequested(task_id="t", workflow="twice", tenant="acme")
    unknown_task = r"for unknown task |has no task_id$"
    not_handled = rf"{unknown_task}|^the coordinator does not handle |^unknown message_type "
    ghost_results = task_ids.map(
        lambda tid: envelope_bytes(step_pb2.StepResult(task_id=tid, step_id="only", attempt=1), task_id=tid)
    )
    ghost_controls = task_ids.map(lambda tid: envelope_bytes(task_pb2.TaskCancelRequested(task_id=tid), task_id=tid))
    # Valid and fit one record, but what they start cannot: the saga row and step command (the input
    # twice over), the saga row of JSON with every quote escaped. Not dead letters: tasks that end
    # FAILED naming the limit (decision 0670), with nothing else published for them.
    too_large = {"big": {"blob": "y" * (limit // 2 + 1000)}, "quoted": {"blob": '"' * (limit * 6 // 10)}}
    by_topic = {
        requested: [
            *draw(garbage(), 6),
            *draw(
                truncated(
                    task_ids.map(lambda tid: envelope_bytes(request, task_id=tid)), "^$", inside_payload_only=True
                ),
                4,
            ),
            *draw(
                wrong_type(
                    [step_pb2.StepCommand(task_id="x"), task_pb2.Task(task_id="x"), task_pb2.TaskEvent(task_id="x")],
                    task_id=task_ids,
                    reason=not_handled,
                ),
                5,
            ),
            *draw(bad_type_url(request, task_id="t", reason="^unknown message_type "), 4),
            *draw(future_schema(request, task_id="t"), 2),
            Bad("no_task_id", envelope_bytes(request, task_id=""), "^lammesh.v1.TaskRequested record has no task_id$"),
            *draw(oversized(limit), 1),
        ],
        results: [
            *draw(garbage(), 4),
            *draw(truncated(ghost_results, unknown_task), 4),
            *draw(
                st.builds(
                    lambda raw, headers: Bad("unknown_task", raw, unknown_task, headers), ghost_results, garbage_headers
                ),
                3,
            ),
        ],
        control: [
            *draw(garbage(), 4),
            *draw(truncated(ghost_controls, unknown_task), 3),
            *draw(
                st.builds(
                    lambda raw, headers: Bad("unknown_task", raw, unknown_task, headers),
                    ghost_controls,
                    garbage_headers,
                ),
                3,
            ),
        ],
    }
    runtime = coordinator_bootstrap(settings)
    task_id = f"good-{uuid.uuid4().hex[:6]}"
    async with running(noop_bootstrap(settings), runtime), Client(settings) as client:
        sent = {}
        for topic, bad in by_topic.items():  # on the good task's partition, before it
            sent |= await publish(client.producer, topic, bad, key=task_id.encode())
        for big_id, big_input in too_large.items():
            await client.submit("twice", big_input, task_id=big_id)
        await client.submit("twice", {"blob": "fine"}, task_id=task_id)
        task = await client.wait_for(task_id, timeout=90)
        refused = {big_id: await client.wait_for(big_id, timeout=90) for big_id in too_large}
        for _ in range(200):  # the event may be read a moment after the snapshot
            if all(client.events.get(big_id) for big_id in too_large):
                break
            await asyncio.sleep(0.05)
        worker = runtime.consumers[0]
        assert not worker.app.crashed and worker.task is not None and not worker.task.done()
        dead = await read_records(settings, DLQ.name(settings), count=len(sent), timeout=60)
    assert task.status == task_pb2.TASK_STATUS_COMPLETED, task.reason
    assert_dead_lettered(dead, sent, group=f"{settings.topic_prefix}-coordinator")
    for big_id, big in refused.items():  # refused before anything of them was published
        assert big.status == task_pb2.TASK_STATUS_FAILED and not big.steps and not big.input.fields
        assert re.fullmatch(
            rf"the task is too large to run: a \S+-coordinator-sagas-changelog record of \d+ bytes is over "
            rf"the {limit}-byte limit \(kafka_max_record_bytes\)",
            big.reason,
        ), big.reason
        assert [e.kind for e in client.events[big_id]] == ["task.rejected"]
