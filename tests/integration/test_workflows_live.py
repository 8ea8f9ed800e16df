"""Workflows as data in the running coordinator: changed without a restart, a bad file refused
while the rest runs on, and a task keeps the workflow version it started with."""

from __future__ import annotations

import asyncio
import time

import pytest
from prometheus_client import REGISTRY

from lammesh.v1 import task_pb2
from lammesh_services.coordinator.main import bootstrap as coordinator
from tests.conftest import make_settings
from tests.support.mesh import Client, running, write_workflow
from tests.support.services import noop

pytestmark = pytest.mark.kafka

V1 = """
name: live
steps:
  - {id: slow, uses: noop, input: {delay_ms: 1500}}
  - {id: then, uses: noop, after: [slow]}
"""
V2 = """
name: live
steps:
  - {id: only, uses: noop}
"""


async def _until(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never: {what}")
        await asyncio.sleep(0.05)


def dispatched(client: Client, task_id: str) -> list[str]:
    return [e.step_id for e in client.events.get(task_id, []) if e.kind == "step.dispatched"]


async def test_a_changed_workflow_applies_to_new_tasks_while_running_ones_keep_their_version(kafka_bootstrap, tmp_path):
    folder = tmp_path / "workflows"
    write_workflow(folder, V1)
    settings = make_settings(
        kafka_bootstrap,
        workflows_dir=folder,
        timer_interval_s=0.02,
        workflows_reload_s=0.1,
        coordinator_data_dir=tmp_path / "coordinator",
    )
    the_coordinator = coordinator(settings)
    async with running(noop(settings), the_coordinator), Client(settings) as client:
        first = await client.submit("live", {})
        await _until(lambda: dispatched(client, first) == ["slow"], "the first task's slow step was dispatched")

        # Change the workflow and add a broken file while the first task runs.
        write_workflow(folder, V2)
        (folder / "broken.yaml").write_text("name: broken\nsteps:\n  - {id: a, uses: no-such-capability}\n")
        await _until(
            lambda: REGISTRY.get_sample_value("lammesh_workflow_files_refused") == 1, "the broken file was refused"
        )

        second = await client.submit("live", {})
        assert (await client.wait_for(second)).status == task_pb2.TASK_STATUS_COMPLETED
        assert dispatched(client, second) == ["only"]  # the new version, without a restart
        assert (await client.wait_for(first)).status == task_pb2.TASK_STATUS_COMPLETED
        assert dispatched(client, first) == ["slow", "then"]  # the version it started with

        unknown = await client.submit("broken", {})
        task = await client.wait_for(unknown)
        assert task.status == task_pb2.TASK_STATUS_FAILED and "unknown workflow 'broken'" in task.reason
        assert all(c.task is None or not c.task.done() for c in the_coordinator.consumers)  # still running
