"""The noop tool as a real service: Kafka commands, gRPC calls, health, reflection, shutdown."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from lammesh.kafka import EnvelopeProducer
from lammesh.topics import STEPS_RESULTS, step_commands
from lammesh.v1 import step_pb2, step_pb2_grpc
from tests.conftest import make_settings
from tests.support.kafka import payloads, read_records, wait_until
from tests.support.mesh import process_mesh, running
from tests.support.services import noop as bootstrap

pytestmark = pytest.mark.kafka


def command(task_id: str, step_id: str = "s1", attempt: int = 1, **fields) -> step_pb2.StepCommand:
    cmd = step_pb2.StepCommand(
        task_id=task_id, step_id=step_id, attempt=attempt, capability="noop", action=step_pb2.STEP_ACTION_EXECUTE
    )
    cmd.input.update(fields)
    return cmd


@pytest.fixture
async def noop(settings):
    runtime = bootstrap(settings)
    await runtime.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{runtime.grpc.port}")
    yield runtime, channel
    await channel.close()
    await runtime.stop()


async def _send(settings, *commands: step_pb2.StepCommand) -> None:
    producer = EnvelopeProducer(settings, name="test-client")
    await producer.start()
    try:
        for cmd in commands:
            await producer.send(step_commands("noop").name(settings), cmd, task_id=cmd.task_id)
        await producer.confirm()
    finally:
        await producer.stop()


async def test_answers_commands_over_kafka(settings, noop):
    await _send(settings, command("t1", greeting="hi"), command("t2", fail=True, retryable=False))
    results = payloads(await read_records(settings, STEPS_RESULTS.name(settings), count=2), step_pb2.StepResult)
    by_task = {r.task_id: r for r in results}
    assert by_task["t1"].status == step_pb2.STEP_STATUS_SUCCEEDED
    assert dict(by_task["t1"].output)["greeting"] == "hi"
    assert by_task["t2"].status == step_pb2.STEP_STATUS_FAILED
    assert by_task["t2"].error.code == "INJECTED_FAILURE" and not by_task["t2"].error.retryable


async def test_a_redelivered_command_is_answered_from_the_idempotency_store(settings, noop):
    await _send(settings, command("t1", n=1), command("t1", n=1))
    results = payloads(await read_records(settings, STEPS_RESULTS.name(settings), count=2), step_pb2.StepResult)
    assert [r.replayed for r in results] == [False, True]
    assert results[0].output == results[1].output


async def test_answers_over_grpc_and_rejects_bad_requests_naming_the_field(noop):
    _, channel = noop
    stub = step_pb2_grpc.StepServiceStub(channel)
    reply = await stub.Execute(step_pb2.ExecuteRequest(command=command("g1", fail_times=1)))
    assert reply.result.status == step_pb2.STEP_STATUS_FAILED and reply.result.error.retryable
    reply = await stub.Execute(step_pb2.ExecuteRequest(command=command("g1", attempt=2, fail_times=1)))
    assert reply.result.status == step_pb2.STEP_STATUS_SUCCEEDED
    compensated = await stub.Compensate(
        step_pb2.CompensateRequest(command=step_pb2.StepCommand(task_id="g1", step_id="s1"))
    )
    assert dict(compensated.result.output) == {"compensated": True}

    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await stub.Execute(step_pb2.ExecuteRequest())
    assert (
        missing.value.code() == grpc.StatusCode.INVALID_ARGUMENT and missing.value.details() == "command: is required"
    )
    with pytest.raises(grpc.aio.AioRpcError) as no_task:
        await stub.Execute(step_pb2.ExecuteRequest(command=step_pb2.StepCommand(step_id="s")))
    assert no_task.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "command.task_id" in no_task.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as wrong:
        await stub.Execute(
            step_pb2.ExecuteRequest(command=step_pb2.StepCommand(task_id="g2", step_id="s", capability="crm"))
        )
    assert wrong.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "command.capability" in wrong.value.details()


async def test_health_is_serving_and_reflection_lists_the_services(noop):
    _, channel = noop
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "lammesh.v1.StepService"):
        reply = await health.Check(health_pb2.HealthCheckRequest(service=service))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    names = set()
    async for response in responses:
        names |= {s.name for s in response.list_services_response.service}
    assert {"lammesh.v1.StepService", "grpc.health.v1.Health"} <= names


async def _committed(settings, group: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(meta.offset for tp, meta in offsets.items() if tp.topic == topic)


async def test_sigterm_drains_commits_offsets_and_a_restart_does_not_reprocess(settings, tmp_path):
    commands_topic = step_commands("noop").name(settings)
    results_topic = STEPS_RESULTS.name(settings)
    mesh = process_mesh(settings, tmp_path / "run", ["noop"])
    await asyncio.to_thread(mesh.start)
    try:
        proc = mesh.process("noop")
        # Slow commands, so some are still in flight when SIGTERM arrives.
        await _send(settings, *(command(f"t{i}", delay_ms=150) for i in range(6)))
        await read_records(settings, results_topic, count=1, timeout=30)
        code = await asyncio.to_thread(mesh.stop_service, "noop", 60)
        log = proc.log_path.read_text()
        assert code == 0, log[-2000:]
        assert "service stopped" in log
        results = await read_records(settings, results_topic, count=6, timeout=30)
        assert sorted(r.key.decode() for r in results) == [f"t{i}" for i in range(6)]
        assert await _committed(settings, f"{settings.topic_prefix}.noop", commands_topic) == 6

        # A new instance (same ports) picks up where the old one committed: nothing is answered twice.
        await asyncio.to_thread(mesh.respawn, "noop")
        await _send(settings, command("after-restart"))
        results = await read_records(settings, results_topic, count=7, timeout=30, quiet_for=2)
    finally:
        await asyncio.to_thread(mesh.stop)
    keys = [r.key.decode() for r in results]
    assert sorted(keys) == sorted([*(f"t{i}" for i in range(6)), "after-restart"])  # no repeats


async def test_a_slow_step_holds_up_only_its_own_task(kafka_bootstrap):
    # One partition: every command below is on it, so the old consumer (records of a partition
    # strictly in turn, the next fetch after the whole batch) ran them all behind the slow one.
    settings = make_settings(kafka_bootstrap, topic_partitions=1)
    commands_topic, results_topic = step_commands("noop").name(settings), STEPS_RESULTS.name(settings)
    group = f"{settings.topic_prefix}.noop"
    fast = [command(f"fast{i}") for i in range(6)]
    async with running(bootstrap(settings)):
        # offset 0: a quick one; 1: the slow step; 2: the slow task's next step; 3..7: other tasks
        await _send(settings, command("first"), command("slow", "s1", delay_ms=12_000), command("slow", "s2"), *fast)
        early = payloads(await read_records(settings, results_topic, count=7, timeout=60), step_pb2.StepResult)
        # Every other task finished while the slow step still ran; the slow task's own next
        # step waited behind it (in order per task).
        assert sorted(r.task_id for r in early[:7]) == sorted(["first", *(c.task_id for c in fast)])
        # Only the finished prefix is committed: up to the slow record, not past it.
        await wait_until(lambda: _committed_is(settings, group, commands_topic, 1), timeout=30)
        results = payloads(await read_records(settings, results_topic, count=9, timeout=60), step_pb2.StepResult)
        assert [(r.task_id, r.step_id) for r in results[7:]] == [("slow", "s1"), ("slow", "s2")]
        assert all(r.status == step_pb2.STEP_STATUS_SUCCEEDED for r in results)
        await wait_until(lambda: _committed_is(settings, group, commands_topic, 9), timeout=30)


async def _committed_is(settings, group: str, topic: str, offset: int) -> bool:
    return await _committed(settings, group, topic) == offset
