"""The operator's CLI as a user runs it (`python -m lammesh.cli` in its own process) against the real
gateway, coordinator, noop tool and pii/policy watchers on the real broker: tasks list|show|cancel,
review list with full ids, dlq list|show|replay."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys

import grpc
import pytest
from aiokafka import AIOKafkaProducer

from lammesh import envelope as serde
from lammesh.kafka.deadletters import DLQ_SOURCE_OFFSET, DLQ_VALUE_OMITTED, dlq_headers
from lammesh.kafka.dlq import DeadLetter, DeadLetterQueue
from lammesh.structs import to_struct
from lammesh.topics import DLQ, TASKS_REQUESTED, step_commands
from lammesh.v1 import task_pb2, task_pb2_grpc
from tests.support.mesh import TERMINAL, gateway_mesh, guarded_send
from tests.support.mesh import wait_status as shared_wait_status

pytestmark = pytest.mark.kafka

FLOW = guarded_send("cli_flow")
CLEAN = {"account": "acme", "to": ["ana@acme.com"], "body": "Thanks for the meeting, Ana."}
OUTSIDE = {**CLEAN, "to": ["ana@acme.com", "pipeline@evil.io"]}
PHONE = {**CLEAN, "body": "Call me on +44 20 7946 0958 tomorrow."}  # pii asks for a review


@pytest.fixture(scope="module")
async def mesh(kafka_bootstrap, tmp_path_factory):
    async with gateway_mesh(kafka_bootstrap, tmp_path_factory.mktemp("cli"), FLOW) as (wired, address):
        channel = grpc.aio.insecure_channel(address)
        yield {"settings": wired, "channel": channel, "address": address}
        await channel.close()


def cli(mesh, *args: str, tenant: str = "acme") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMMESH_")}
    settings = mesh["settings"]
    env.update(
        LAMMESH_GATEWAY_ADDRESS=mesh["address"],
        LAMMESH_DEFAULT_TENANT=tenant,
        LAMMESH_LOG_LEVEL="WARNING",
        LAMMESH_KAFKA_BOOTSTRAP=settings.kafka_bootstrap,
        LAMMESH_TOPIC_PREFIX=settings.topic_prefix,
    )
    env.pop("COLUMNS", None)  # the default 80 columns of a pipe: ids must still be printed whole
    return subprocess.run(
        [sys.executable, "-m", "lammesh.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


async def run(mesh, *args: str, tenant: str = "acme") -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(cli, mesh, *args, tenant=tenant)


def lines(result: subprocess.CompletedProcess[str]) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def one_line_error(result: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert result.stderr.strip().count("\n") == 0 and text in result.stderr, result.stderr


async def submit(mesh, task_input: dict, tenant: str = "acme") -> str:
    stub = task_pb2_grpc.TaskServiceStub(mesh["channel"])
    request = task_pb2.SubmitTaskRequest(workflow="cli_flow", input=to_struct(task_input))
    reply = await stub.SubmitTask(request, metadata=(("x-lammesh-tenant", tenant), ("x-lammesh-user", "ana")))
    return reply.task.task_id


async def wait_status(mesh, task_id: str, statuses: set[int], tenant: str = "acme") -> task_pb2.Task:
    return await shared_wait_status(
        mesh["channel"],
        task_id,
        statuses,
        metadata=(("x-lammesh-tenant", tenant), ("x-lammesh-user", "ana")),
        timeout=60,
    )


async def test_tasks_list_filters_and_show_explains_a_blocked_task(mesh):
    clean, blocked, theirs = (
        await submit(mesh, CLEAN),
        await submit(mesh, OUTSIDE),
        await submit(mesh, CLEAN, tenant="globex"),
    )
    for task_id, tenant in ((clean, "acme"), (blocked, "acme"), (theirs, "globex")):
        await wait_status(mesh, task_id, TERMINAL, tenant)

    listed = lines(await run(mesh, "tasks", "list", "--json"))
    assert {clean, blocked} <= {t["task_id"] for t in listed} and theirs not in {t["task_id"] for t in listed}
    compensated = lines(await run(mesh, "tasks", "list", "--status", "COMPENSATED", "--json"))
    assert blocked in [t["task_id"] for t in compensated] and clean not in [t["task_id"] for t in compensated]
    newest = lines(
        await run(mesh, "tasks", "list", "--workflow", "cli_flow", "--since", "10m", "--limit", "1", "--json")
    )
    assert len(newest) == 1
    assert lines(await run(mesh, "tasks", "list", "--since", "2099-01-01T00:00:00+00:00", "--json")) == []
    assert lines(await run(mesh, "tasks", "list", "--workflow", "nothing_like_it", "--json")) == []
    table = await run(mesh, "tasks", "list", "--status", "compensated")
    assert table.returncode == 0 and blocked in table.stdout  # the full id, in 80 columns

    shown = await run(mesh, "tasks", "show", blocked)
    assert shown.returncode == 0, shown.stderr
    for expected in (blocked, "COMPENSATED", "pipeline@evil.io", "↩ record", "step.blocked", "task.compensated"):
        assert expected in shown.stdout, (expected, shown.stdout)
    assert re.search(r"send .*input .*policy .*BLOCK .*1\.00", shown.stdout), shown.stdout
    document = json.loads((await run(mesh, "tasks", "show", blocked, "--json")).stdout)
    assert document["task"]["status"] == "TASK_STATUS_COMPENSATED" and "policy" in document["task"]["reason"]
    steps = {s["step_id"]: s for s in document["steps"]}
    assert (steps["record"]["state"], steps["record"]["compensation_outcome"]) == ("COMPENSATED", "compensated")
    assert steps["record"]["attempts"] == 1 and steps["record"]["duration_s"] >= 0
    (check,) = steps["send"]["checks"]
    verdicts = {w["watcher"]: (w["verdict"], w["score"]) for w in check["watchers"]}
    assert check["verdict"] == "BLOCK" and verdicts["policy"][0] == "BLOCK" and verdicts["pii"][0] == "ALLOW"
    assert [int(e["sequence"]) for e in document["events"]] == list(range(1, len(document["events"]) + 1))

    one_line_error(await run(mesh, "tasks", "show", "no-such-task"), 2, "NOT_FOUND: task no-such-task not found")
    one_line_error(await run(mesh, "tasks", "show", theirs), 2, f"task {theirs} not found")  # another tenant's
    one_line_error(await run(mesh, "tasks", "list", "--status", "done"), 2, "--status: unknown status 'done'")
    one_line_error(await run(mesh, "tasks", "list", "--since", "last week"), 2, "--since: 'last week' is neither")


async def test_review_list_prints_ids_approve_takes_and_cancel_compensates(mesh):
    approve_me, cancel_me = await submit(mesh, PHONE), await submit(mesh, PHONE)
    for task_id in (approve_me, cancel_me):
        await wait_status(mesh, task_id, {task_pb2.TASK_STATUS_AWAITING_REVIEW})

    table = await run(mesh, "review", "list")
    assert table.returncode == 0, table.stderr
    printed = re.findall(rf"{approve_me}:send:\S+", table.stdout)
    assert printed, table.stdout  # the whole review id, as `approve` needs it
    approved = await run(mesh, "review", "approve", printed[0], "-m", "a phone number is fine")
    assert approved.returncode == 0 and "approved" in approved.stdout, approved.stderr
    assert (await wait_status(mesh, approve_me, TERMINAL)).status == task_pb2.TASK_STATUS_COMPLETED

    cancelled = await run(mesh, "tasks", "cancel", cancel_me, "--reason", "customer withdrew", "--wait")
    assert cancelled.returncode == 3, cancelled.stderr  # compensated
    task = await wait_status(mesh, cancel_me, TERMINAL)
    assert task.status == task_pb2.TASK_STATUS_COMPENSATED and "customer withdrew" in task.reason
    assert {s.step_id: s.state for s in task.steps}["record"] == task_pb2.STEP_STATE_COMPENSATED

    one_line_error(await run(mesh, "tasks", "cancel", cancel_me), 1, "FAILED_PRECONDITION")
    one_line_error(await run(mesh, "tasks", "cancel", "no-such-task"), 2, "task no-such-task not found")
    one_line_error(await run(mesh, "tasks", "cancel", approve_me, tenant="globex"), 2, f"task {approve_me} not found")


async def dead_letters(mesh, match, count: int = 1) -> list[DeadLetter]:
    async with DeadLetterQueue(mesh["settings"]) as queue:
        for _ in range(600):
            found = [d for d in await queue.all() if match(d)]
            if len(found) >= count:
                return found
            await asyncio.sleep(0.1)
    raise AssertionError("the dead letter never arrived")


async def test_a_poison_record_is_listed_shown_and_replayed_to_its_source(mesh):
    settings = mesh["settings"]
    source = step_commands("noop").name(settings)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        sent = await producer.send_and_wait(source, b"\x08\x96\x01 not an envelope", key=b"poison-1")
    finally:
        await producer.stop()
    (letter,) = await dead_letters(mesh, lambda d: d.key == b"poison-1")
    assert (letter.source_topic, letter.source_offset) == (source, sent.offset)

    listed = [d for d in lines(await run(mesh, "dlq", "list", "--json")) if d["task_id"] == "poison-1"]
    assert len(listed) == 1 and listed[0]["offset"] == letter.offset
    assert listed[0]["source_topic"] == source and listed[0]["reason"] == letter.reason and listed[0]["consumer_group"]
    human = await run(mesh, "dlq", "list")
    assert (
        f"{letter.offset}  " in human.stdout and "task poison-1" in human.stdout and letter.reason[:40] in human.stdout
    )
    table = await run(mesh, "dlq", "show", str(letter.offset))
    assert table.returncode == 0 and letter.reason[:30] in table.stdout and "not an Envelope" in table.stdout, (
        table.stdout
    )
    (by_task,) = lines(await run(mesh, "dlq", "show", "poison-1", "--json"))
    assert by_task["offset"] == letter.offset and by_task["envelope"] is None and by_task["key"] == "poison-1"

    dry = await run(mesh, "dlq", "replay", str(letter.offset), "--dry-run")
    assert dry.returncode == 0 and "would replay" in dry.stdout
    replayed = await run(mesh, "dlq", "replay", str(letter.offset), "--json")
    assert replayed.returncode == 0, replayed.stderr
    (answer,) = lines(replayed)
    assert answer["topic"] == source and answer["to_offset"] > sent.offset
    # Still poison: noop reads the replayed copy and dead-letters it again, naming where it came from.
    again = await dead_letters(
        mesh, lambda d: (d.source_partition, d.source_offset) == (answer["to_partition"], answer["to_offset"])
    )
    assert again[0].replayed_from == f"{DLQ.name(settings)}:0:{letter.offset}"

    # A dead letter too large for the DLQ went without its value: replay takes it from the source record.
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        omitted = [*letter.headers, (DLQ_VALUE_OMITTED, b"3000000 bytes")]
        lean = await producer.send_and_wait(DLQ.name(settings), None, key=b"poison-2", headers=omitted)
        gone = [(k, b"999999" if k == DLQ_SOURCE_OFFSET else v) for k, v in omitted]
        lost = await producer.send_and_wait(DLQ.name(settings), None, key=b"poison-3", headers=gone)
    finally:
        await producer.stop()
    (answer,) = lines(await run(mesh, "dlq", "replay", str(lean.offset), "--json"))
    (third,) = await dead_letters(
        mesh, lambda d: (d.source_partition, d.source_offset) == (answer["to_partition"], answer["to_offset"])
    )
    assert third.value == b"\x08\x96\x01 not an envelope" and third.replayed_from.endswith(f":{lean.offset}")
    one_line_error(
        await run(mesh, "dlq", "replay", str(lost.offset)), 2, "went without its value and the source record is gone"
    )

    one_line_error(await run(mesh, "dlq", "show", "999999"), 2, "no record at offset 999999")
    one_line_error(
        await run(mesh, "dlq", "replay", "no-such-task"), 2, "no dead letter of task or source 'no-such-task'"
    )


async def test_replaying_a_dead_lettered_task_request_runs_the_task(mesh):
    settings = mesh["settings"]
    task_id = "replayed0123456789abcdef01234567"
    request = task_pb2.TaskRequested(task_id=task_id, workflow="cli_flow", tenant="acme", input=to_struct(CLEAN))
    value = serde.pack(request, task_id=task_id, tenant="acme").SerializeToString()
    headers = dlq_headers(
        [("lammesh-type", b"lammesh.v1.TaskRequested")],
        "coordinator: workflow not loaded yet",
        topic=TASKS_REQUESTED.name(settings),
        partition=0,
        offset=0,
        group="coordinator",
    )
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(DLQ.name(settings), value, key=task_id.encode(), headers=headers)
    finally:
        await producer.stop()

    shown = lines(await run(mesh, "dlq", "show", task_id, "--json"))
    assert shown[0]["payload"]["workflow"] == "cli_flow" and shown[0]["message_type"] == "lammesh.v1.TaskRequested"
    replayed = await run(mesh, "dlq", "replay", task_id)
    assert replayed.returncode == 0 and f"to {TASKS_REQUESTED.name(settings)}" in replayed.stdout, replayed.stderr
    task = await wait_status(mesh, task_id, TERMINAL)
    assert task.status == task_pb2.TASK_STATUS_COMPLETED
    assert "COMPLETED" in (await run(mesh, "tasks", "show", task_id)).stdout
