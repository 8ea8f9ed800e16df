"""Checks ride out watcher restarts (docs/decisions/0632), with the policy watcher as a real
process on a real port (lammesh.up, the one launcher): a watcher that starts late or is killed
and restarted while checks are out answers them once it is back within their deadline; with two
replicas, one draining or killed, the other answers; with no watcher at all, the step fails
closed at the check's deadline with a reason that says so. Outcomes and order are asserted,
never durations."""

from __future__ import annotations

import asyncio
import re

import pytest

from lammesh import metrics
from lammesh.coordinator.watchers import WatcherClient
from lammesh.saga import RunChecks, Saga
from lammesh.up import Mesh
from lammesh.v1 import task_pb2
from lammesh.verdict import Stage, Verdict
from lammesh.workflow import WatcherRef
from lammesh_services.coordinator.main import bootstrap as coordinator
from tests.conftest import make_settings
from tests.support.kafka import wait_until
from tests.support.mesh import Client, process_mesh, running, write_workflow
from tests.support.services import noop

pytestmark = pytest.mark.kafka  # the watcher needs none, but the launcher runs every service on one

NO_BROKER = "127.0.0.1:9"
RECIPIENTS = [f"user{i}@{'acme.com' if i % 3 else 'evil.io'}" for i in range(12)]
BLOCKED = sum(1 for to in RECIPIENTS if to.endswith("evil.io"))

SEND = """
name: {name}
watcher_timeout_ms: {timeout_ms}
steps:
  - id: send
    uses: noop
    input: {{to: "${{input.to}}"}}
    watchers:
      input:
        - {{name: policy, params: {{allowed_domains: [acme.com]}}}}
"""


def retries() -> float:
    return metrics.WATCHER_CLIENT_RETRIES.labels("policy")._value.get()


async def retried_since(before: float) -> bool:
    return retries() > before


def checks(to: str, timeout_ms: int = 60_000) -> RunChecks:
    ref = WatcherRef(name="policy", params={"allowed_domains": ["acme.com"]})
    return RunChecks(
        step_id="send",
        capability="email",
        stage=Stage.INPUT,
        attempt=1,
        watchers=(ref,),
        content={"to": [to], "body": "hello"},
        sources={},
        timeout_ms=timeout_ms,
    )


def issue(client: WatcherClient, tag: str) -> list[asyncio.Task]:
    return [
        asyncio.create_task(
            client.check(Saga(task_id=f"{tag}{i}", workflow="w", workflow_digest="d", tenant="acme"), checks(to))
        )
        for i, to in enumerate(RECIPIENTS)
    ]


async def answered(pending: list[asyncio.Task]) -> list[Verdict]:
    outcomes = [o[0] for o in await asyncio.gather(*pending)]
    assert [o.error for o in outcomes] == [""] * len(outcomes)
    return [o.verdict for o in outcomes]


def policy_watcher(settings, tmp_path, replicas: int = 1) -> Mesh:
    """The policy watcher as `replicas` real processes, planned but not started: its addresses
    (`watcher_endpoints()`) are known before any process exists."""
    mesh = process_mesh(settings, tmp_path / "run", ["policy"], replicas={"policy": replicas} if replicas > 1 else None)
    mesh.plan()
    return mesh


async def test_checks_wait_for_a_watcher_that_starts_late_or_restarts(kafka_bootstrap, tmp_path):
    mesh = policy_watcher(make_settings(kafka_bootstrap), tmp_path)
    client = WatcherClient(make_settings(NO_BROKER, watcher_endpoints=mesh.watcher_endpoints()))
    try:
        # Started late: the checks go out (and fail to connect) before the watcher exists.
        before = retries()
        pending = issue(client, "late")
        await wait_until(lambda: retried_since(before), timeout=30)
        await asyncio.to_thread(mesh.start)
        assert (await answered(pending)).count(Verdict.BLOCK) == BLOCKED

        # Killed and restarted on the same port: checks issued while it is down are answered.
        await asyncio.to_thread(mesh.kill, "policy")
        before = retries()
        pending = issue(client, "restart")
        await wait_until(lambda: retried_since(before), timeout=30)
        await asyncio.to_thread(mesh.respawn, "policy")
        assert (await answered(pending)).count(Verdict.BLOCK) == BLOCKED
    finally:
        await client.close()
        await asyncio.to_thread(mesh.stop)


@pytest.mark.parametrize("how", ["drained", "killed"])
async def test_with_two_replicas_the_other_answers_while_one_goes_away(kafka_bootstrap, tmp_path, how):
    mesh = policy_watcher(make_settings(kafka_bootstrap), tmp_path, replicas=2)
    endpoints = mesh.watcher_endpoints()
    assert endpoints == {"policy": f"{mesh.process('policy-0').address},{mesh.process('policy-1').address}"}
    await asyncio.to_thread(mesh.start)
    client = WatcherClient(make_settings(NO_BROKER, watcher_endpoints=endpoints))
    try:
        assert (await answered(issue(client, "both"))).count(Verdict.BLOCK) == BLOCKED
        # Checks keep going out while the first replica drains (SIGTERM, as a rolling update
        # does) or dies (SIGKILL), and after it is gone; it never comes back.
        rounds: list[list[asyncio.Task]] = [issue(client, "during")]
        going = asyncio.create_task(asyncio.to_thread(mesh.stop_service if how == "drained" else mesh.kill, "policy-0"))
        while not going.done():  # done once the replica has exited
            rounds.append(issue(client, f"during{len(rounds)}"))
            await asyncio.sleep(0.05)  # pacing the load, not a timed assertion
        exit_status = await going
        assert how != "drained" or exit_status == 0, mesh.process("policy-0").log_tail()
        rounds.append(issue(client, "after"))
        for pending in rounds:
            assert (await answered(pending)).count(Verdict.BLOCK) == BLOCKED
    finally:
        await client.close()
        await asyncio.to_thread(mesh.stop)


async def test_a_saga_rides_out_a_watcher_restart_and_fails_closed_at_the_deadline_without_one(
    kafka_bootstrap, tmp_path
):
    write_workflow(tmp_path / "workflows", SEND.format(name="send_patient", timeout_ms=60_000))
    write_workflow(tmp_path / "workflows", SEND.format(name="send_strict", timeout_ms=1500))
    settings = make_settings(
        kafka_bootstrap,
        workflows_dir=tmp_path / "workflows",
        timer_interval_s=0.02,
        timer_recovery_grace_s=0,
        coordinator_data_dir=tmp_path / "coordinator",
    )
    watcher = policy_watcher(settings, tmp_path)
    settings = settings.model_copy(update={"watcher_endpoints": watcher.watcher_endpoints()})
    async with running(noop(settings), coordinator(settings)), Client(settings) as mesh:
        try:
            # No watcher at all: the step fails closed once the check's deadline passed.
            alone = await mesh.submit("send_strict", {"to": "ana@acme.com"})
            task = await mesh.wait_for(alone)
            assert task.status == task_pb2.TASK_STATUS_COMPENSATED
            assert re.search(
                r"policy: unavailable for \d+\.\d s \(deadline\): last error: UNAVAILABLE: ", task.reason
            ), task.reason

            # The watcher comes up while the tasks' checks are out: they complete.
            before = retries()
            waiting = [await mesh.submit("send_patient", {"to": f"u{i}@acme.com"}) for i in range(4)]
            await wait_until(lambda: retried_since(before), timeout=30)
            await asyncio.to_thread(watcher.start)
            for task_id in waiting:
                assert (await mesh.wait_for(task_id)).status == task_pb2.TASK_STATUS_COMPLETED

            # Killed and restarted: tasks submitted meanwhile complete; a bad recipient is still blocked.
            await asyncio.to_thread(watcher.kill, "policy")
            before = retries()
            waiting = [await mesh.submit("send_patient", {"to": f"v{i}@acme.com"}) for i in range(4)]
            blocked = await mesh.submit("send_patient", {"to": "eve@evil.io"})
            await wait_until(lambda: retried_since(before), timeout=30)
            await asyncio.to_thread(watcher.respawn, "policy")
            for task_id in waiting:
                assert (await mesh.wait_for(task_id)).status == task_pb2.TASK_STATUS_COMPLETED
            task = await mesh.wait_for(blocked)
            assert task.status == task_pb2.TASK_STATUS_COMPENSATED and "unavailable" not in task.reason
        finally:
            await asyncio.to_thread(watcher.stop)
