"""The coordinator as real processes: kill -9 mid-saga, restart, and two instances sharing the work."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from lammesh.kafka import ensure_topics
from lammesh.topics import CORE_TOPICS, step_commands
from lammesh.v1 import step_pb2, task_pb2
from tests.conftest import make_settings
from tests.support.kafka import payloads, read_records
from tests.support.mesh import Client, process_mesh, running
from tests.support.services import noop

pytestmark = pytest.mark.kafka

SLOW = {"faults": {"s2": {"delay_ms": 800}, "s3": {"delay_ms": 800}}}


@pytest.fixture
async def settings(kafka_bootstrap, tmp_path):
    settings = make_settings(
        kafka_bootstrap,
        coordinator_data_dir=tmp_path / "coordinator",
        timer_interval_s=0.02,
        workflows_dir=Path("workflows").resolve(),
    )
    await ensure_topics(settings, [*CORE_TOPICS, step_commands("noop")])  # as the deployment does
    return settings


async def test_kill_9_mid_saga_loses_nothing_and_adds_no_attempts(settings, tmp_path):
    mesh = process_mesh(settings, tmp_path / "run", ["coordinator"])
    async with running(noop(settings)), Client(settings) as client:
        await asyncio.to_thread(mesh.start)
        try:
            tasks = [await client.submit("noop_saga", {"payload": i, **SLOW}) for i in range(8)]
            # Let the sagas get going, then pull the plug without any chance to clean up.
            while sum("step.succeeded" in client.kinds(t) for t in tasks) < len(tasks):
                await asyncio.sleep(0.05)
            killed_at = __import__("time").time()
            await asyncio.to_thread(mesh.kill, "coordinator")  # SIGKILL
            await asyncio.to_thread(mesh.respawn, "coordinator")  # same ports, same data folder
            finished = [await client.wait_for(t, timeout=120) for t in tasks]
            assert await asyncio.to_thread(mesh.stop_service, "coordinator", 60) == 0
        finally:
            await asyncio.to_thread(mesh.stop)
    assert [t.status for t in finished] == [task_pb2.TASK_STATUS_COMPLETED] * len(tasks), [
        (t.task_id, t.reason, client.kinds(t.task_id)) for t in finished if t.status != task_pb2.TASK_STATUS_COMPLETED
    ]
    commands = payloads(
        await read_records(settings, f"{settings.topic_prefix}.steps.noop", count=5 * len(tasks)), step_pb2.StepCommand
    )
    # Redelivery may repeat a command, but a restart alone never makes a new attempt.
    retried = [e.task_id for t in tasks for e in client.events[t] if e.kind == "step.retry_scheduled"]
    if retried:
        results = await read_records(settings, f"{settings.topic_prefix}.steps.results", count=10_000, timeout=5)
        mine = [
            (r.partition, r.offset, r.timestamp, p.step_id, p.attempt, p.replayed)
            for r, p in zip(results, payloads(results, step_pb2.StepResult))
            if p.task_id == retried[0]
        ]
        cmds = [(c.step_id, c.attempt) for c in commands if c.task_id == retried[0]]
        evs = [(e.sequence, e.kind, e.step_id, e.at.ToJsonString()[11:23]) for e in client.events[retried[0]]]
        print("RESULTS", mine, "\nCOMMANDS", cmds, "\nEVENTS", evs, "\nKILLED_AT", killed_at)
    assert {c.attempt for c in commands} == {1}
    assert {(c.task_id, c.step_id) for c in commands} == {(t, f"s{i}") for t in tasks for i in range(1, 6)}
    for task_id in tasks:
        kinds = client.kinds(task_id)
        assert kinds.count("task.started") == 1 and kinds[-1] == "task.completed"


async def test_two_instances_share_the_partitions(settings, tmp_path):
    mesh = process_mesh(settings, tmp_path / "run", ["coordinator"], replicas={"coordinator": 2})
    instances = ["coordinator-0", "coordinator-1"]
    async with running(noop(settings)), Client(settings) as client:
        await asyncio.to_thread(mesh.start)
        logs = [mesh.process(i).log_path for i in instances]
        try:
            await asyncio.sleep(3)  # let the group settle on both members
            tasks = [await client.submit("noop_saga", {"payload": i}) for i in range(12)]
            finished = [await client.wait_for(t, timeout=120) for t in tasks]
            codes = [await asyncio.to_thread(mesh.stop_service, i, 60) for i in instances]
        finally:
            await asyncio.to_thread(mesh.stop)
    assert codes == [0, 0]
    assert all(t.status == task_pb2.TASK_STATUS_COMPLETED for t in finished)
    owned = []
    for log in logs:
        ready = [json.loads(line) for line in log.read_text().splitlines() if '"coordinator partitions"' in line]
        owned.append(set(ready[-1]["partitions"]) if ready else set())
    assert owned[0] and owned[1] and not owned[0] & owned[1], owned
