"""Checks ride out watcher restarts (docs/decisions/0632), with the policy watcher as a real
process on a real port: a watcher that starts late or is killed and restarted while checks are
out answers them once it is back within their deadline; with two replicas, one draining or
killed, the other answers; with no watcher at all, the step fails closed at the check's deadline
with a reason that says so. Outcomes and order are asserted, never durations."""

from __future__ import annotations

import asyncio
import re
import signal

import pytest

from lammesh import metrics
from lammesh.coordinator.watchers import WatcherClient
from lammesh.localkafka import free_port
from lammesh.saga import RunChecks, Saga, Stage, Verdict
from lammesh.v1 import task_pb2
from lammesh.workflow import WatcherRef
from lammesh_services.coordinator.main import bootstrap as coordinator
from lammesh_services.tools.noop.main import bootstrap as noop
from tests.conftest import make_settings
from tests.support.kafka import wait_until
from tests.support.mesh import Client, running, write_workflow
from tests.support.processes import start_service, stop, wait_serving

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
    return RunChecks(step_id="send", capability="email", stage=Stage.INPUT, attempt=1, watchers=(ref,),
                     content={"to": [to], "body": "hello"}, sources={}, timeout_ms=timeout_ms)


def issue(client: WatcherClient, tag: str) -> list[asyncio.Task]:
    return [asyncio.create_task(client.check(Saga(task_id=f"{tag}{i}", workflow="w", workflow_digest="d", tenant="acme"), checks(to)))
            for i, to in enumerate(RECIPIENTS)]


async def answered(pending: list[asyncio.Task]) -> list[Verdict]:
    outcomes = [o[0] for o in await asyncio.gather(*pending)]
    assert [o.error for o in outcomes] == [""] * len(outcomes)
    return [o.verdict for o in outcomes]


async def start_policy(port: int, tmp_path) -> asyncio.subprocess.Process:
    process = await start_service("policy", make_settings(NO_BROKER), port, log=tmp_path / f"policy-{port}.log")
    await wait_serving(port, process)
    return process


async def test_checks_wait_for_a_watcher_that_starts_late_or_restarts(tmp_path):
    port = free_port()
    client = WatcherClient(make_settings(NO_BROKER, watcher_endpoints={"policy": f"127.0.0.1:{port}"}))
    process = None
    try:
        # Started late: the checks go out (and fail to connect) before the watcher exists.
        before = retries()
        pending = issue(client, "late")
        await wait_until(lambda: retried_since(before), timeout=30)
        process = await start_policy(port, tmp_path)
        assert (await answered(pending)).count(Verdict.BLOCK) == BLOCKED

        # Killed and restarted on the same port: checks issued while it is down are answered.
        process.kill()
        await process.wait()
        before = retries()
        pending = issue(client, "restart")
        await wait_until(lambda: retried_since(before), timeout=30)
        process = await start_policy(port, tmp_path)
        assert (await answered(pending)).count(Verdict.BLOCK) == BLOCKED
    finally:
        await client.close()
        if process is not None:
            await stop(process)


@pytest.mark.parametrize("how", ["drained", "killed"])
async def test_with_two_replicas_the_other_answers_while_one_goes_away(tmp_path, how):
    ports = [free_port(), free_port()]
    replicas = list(await asyncio.gather(*(start_policy(port, tmp_path) for port in ports)))
    client = WatcherClient(make_settings(NO_BROKER, watcher_endpoints={"policy": ",".join(f"127.0.0.1:{p}" for p in ports)}))
    try:
        assert (await answered(issue(client, "both"))).count(Verdict.BLOCK) == BLOCKED
        # Checks keep going out while the first replica drains (SIGTERM, as a rolling update
        # does) or dies (SIGKILL), and after it is gone; it never comes back.
        rounds: list[list[asyncio.Task]] = [issue(client, "during")]
        replicas[0].send_signal(signal.SIGTERM if how == "drained" else signal.SIGKILL)
        while replicas[0].returncode is None:
            rounds.append(issue(client, f"during{len(rounds)}"))
            await asyncio.sleep(0.05)  # pacing the load, not a timed assertion
        rounds.append(issue(client, "after"))
        for pending in rounds:
            assert (await answered(pending)).count(Verdict.BLOCK) == BLOCKED
    finally:
        await client.close()
        for replica in replicas:
            await stop(replica)


async def test_a_saga_rides_out_a_watcher_restart_and_fails_closed_at_the_deadline_without_one(kafka_bootstrap, tmp_path):
    port = free_port()
    write_workflow(tmp_path / "workflows", SEND.format(name="send_patient", timeout_ms=60_000))
    write_workflow(tmp_path / "workflows", SEND.format(name="send_strict", timeout_ms=1500))
    settings = make_settings(kafka_bootstrap, workflows_dir=tmp_path / "workflows", timer_interval_s=0.02,
                             timer_recovery_grace_s=0, coordinator_data_dir=tmp_path / "coordinator",
                             watcher_endpoints={"policy": f"127.0.0.1:{port}"})
    process = None
    async with running(noop(settings), coordinator(settings)), Client(settings) as mesh:
        try:
            # No watcher at all: the step fails closed once the check's deadline passed.
            alone = await mesh.submit("send_strict", {"to": "ana@acme.com"})
            task = await mesh.wait_for(alone)
            assert task.status == task_pb2.TASK_STATUS_COMPENSATED
            assert re.search(r"policy: unavailable for \d+\.\d s \(deadline\): last error: UNAVAILABLE: ", task.reason), task.reason

            # The watcher comes up while the tasks' checks are out: they complete.
            before = retries()
            waiting = [await mesh.submit("send_patient", {"to": f"u{i}@acme.com"}) for i in range(4)]
            await wait_until(lambda: retried_since(before), timeout=30)
            process = await start_policy(port, tmp_path)
            for task_id in waiting:
                assert (await mesh.wait_for(task_id)).status == task_pb2.TASK_STATUS_COMPLETED

            # Killed and restarted: tasks submitted meanwhile complete; a bad recipient is still blocked.
            process.kill()
            await process.wait()
            before = retries()
            waiting = [await mesh.submit("send_patient", {"to": f"v{i}@acme.com"}) for i in range(4)]
            blocked = await mesh.submit("send_patient", {"to": "eve@evil.io"})
            await wait_until(lambda: retried_since(before), timeout=30)
            process = await start_policy(port, tmp_path)
            for task_id in waiting:
                assert (await mesh.wait_for(task_id)).status == task_pb2.TASK_STATUS_COMPLETED
            task = await mesh.wait_for(blocked)
            assert task.status == task_pb2.TASK_STATUS_COMPENSATED and "unavailable" not in task.reason
        finally:
            if process is not None:
                await stop(process)
