"""`lammesh watch` rides out a gateway restart: the stream breaks, the CLI reconnects and resumes
after the last event it printed (WatchTask after_sequence), with no event lost or repeated.
Real broker, real gateway, coordinator and noop in-process; the CLI as a real process."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest

from lammesh.localkafka import free_port
from lammesh.v1 import task_pb2
from lammesh_services.coordinator.main import bootstrap as coordinator
from lammesh_services.gateway.main import bootstrap as gateway
from tests.conftest import make_settings
from tests.support.mesh import Client, running, write_workflow
from tests.support.services import noop

pytestmark = pytest.mark.kafka

SLOW = """
name: slow_pair
steps:
  - {id: first, uses: noop, input: {delay_ms: "${input.delay_ms}"}}
  - {id: second, uses: noop, input: {after: "${steps.first.output.delay_ms}"}}
"""


async def test_watch_resumes_after_a_gateway_restart(kafka_bootstrap, tmp_path):
    write_workflow(tmp_path / "workflows", SLOW)
    port = free_port()
    settings = make_settings(
        kafka_bootstrap,
        workflows_dir=tmp_path / "workflows",
        timer_interval_s=0.02,
        timer_recovery_grace_s=0,
        coordinator_data_dir=tmp_path / "coordinator",
        grpc_port=port,
    )
    other = settings.model_copy(update={"grpc_port": 0})  # the in-process services beside the gateway
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMMESH_")}
    env.update(LAMMESH_GATEWAY_ADDRESS=f"127.0.0.1:{port}", LAMMESH_LOG_LEVEL="WARNING")
    async with running(noop(other), coordinator(other)), Client(settings) as mesh:
        front = gateway(settings)
        await front.start()
        try:
            task_id = await mesh.submit("slow_pair", {"delay_ms": 6000}, tenant="default")
            watcher = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "lammesh.cli",
                "watch",
                task_id,
                "--json",
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            first = json.loads(await asyncio.wait_for(watcher.stdout.readline(), 60))  # the stream is live
            await front.stop()  # the gateway goes away mid-stream (its replica drained) ...
            front = gateway(settings)
            await front.start()  # ... and comes back on the same address
            rest, stderr = await asyncio.wait_for(watcher.communicate(), 120)
        finally:
            await front.stop()
    assert watcher.returncode == 0, stderr.decode()[-2000:]
    events = [first, *(json.loads(line) for line in rest.decode().splitlines() if line.strip())]
    sequences = [int(e["sequence"]) for e in events]
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))  # nothing lost, nothing twice
    assert events[-1]["status"] == task_pb2.TaskStatus.Name(task_pb2.TASK_STATUS_COMPLETED)
