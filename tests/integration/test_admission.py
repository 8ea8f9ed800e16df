"""Admission control on the real broker (docs/decisions/0640): the gateway refuses tasks beyond its
in-flight bounds with RESOURCE_EXHAUSTED and a RetryInfo hint, one tenant's flood does not keep
another tenant out, and the count comes from the topics (a second gateway sees the same)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import grpc
import pytest

from lammesh.grpc.retry_info import retry_after_s
from lammesh.structs import to_struct
from lammesh.v1 import task_pb2, task_pb2_grpc
from lammesh_services.gateway.main import bootstrap as gateway
from tests.support.mesh import TERMINAL, gateway_mesh, running, wait_status

pytestmark = pytest.mark.kafka

SLOW = """
name: slow_noop
steps:
  - {id: wait, uses: noop, input: {delay_ms: "${input.delay_ms}"}}
"""
LIMITS = dict(
    admission_max_in_flight=6, admission_max_in_flight_per_tenant=6, admission_reserve=2, admission_retry_after_s=0.25
)


def tenant(name: str) -> tuple[tuple[str, str], ...]:
    return (("x-lammesh-tenant", name), ("x-lammesh-user", f"ops@{name}.com"))


async def submit(stub, who: str, key: str, delay_ms: float):  # type: ignore[no-untyped-def]
    request = task_pb2.SubmitTaskRequest(workflow="slow_noop", input=to_struct({"delay_ms": delay_ms}), client_key=key)
    return await stub.SubmitTask(request, metadata=tenant(who))


async def test_a_flood_is_refused_with_a_retry_hint_and_another_tenant_still_gets_in(kafka_bootstrap, tmp_path):
    async with gateway_mesh(kafka_bootstrap, tmp_path, SLOW, **LIMITS) as (wired, address):
        async with grpc.aio.insecure_channel(address) as channel:
            stub = task_pb2_grpc.TaskServiceStub(channel)
            flood, refusals = [], []
            for i in range(12):
                try:
                    flood.append((await submit(stub, "floods", f"a{i}", 15000)).task.task_id)
                except grpc.aio.AioRpcError as exc:
                    refusals.append(exc)
            assert len(flood) == 4, "the flooder alone stops at the shared part (6 - reserve 2)"
            assert {e.code() for e in refusals} == {grpc.StatusCode.RESOURCE_EXHAUSTED}
            assert retry_after_s(refusals[0]) == pytest.approx(0.25)
            assert "retry in 0.25 s" in refusals[0].details() and "fair share" in refusals[0].details()
            refused = await asyncio.to_thread(cli_submit, address, tmp_path, "floods")
            assert refused.returncode == 75, refused.stdout + refused.stderr
            assert "the mesh is busy, the task was not submitted" in refused.stderr and "--wait" in refused.stderr

            # A second gateway (or this one restarted) counts the flood from the topics: it refuses
            # the flooder too, and admits the quiet tenant at once, whose tasks finish meanwhile.
            second = gateway(wired)
            async with running(second), grpc.aio.insecure_channel(f"127.0.0.1:{second.grpc.port}") as other:
                other_stub = task_pb2_grpc.TaskServiceStub(other)
                with pytest.raises(grpc.aio.AioRpcError) as flooder:
                    await submit(other_stub, "floods", "a-via-second", 15000)
                assert flooder.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                quiet = [(await submit(other_stub, "quiet", f"b{i}", 0)).task.task_id for i in range(2)]
                with pytest.raises(grpc.aio.AioRpcError) as full:
                    await submit(other_stub, "quiet", "b-third", 0)
                assert full.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "limit 6" in full.value.details()
                for task_id in quiet:
                    done = await wait_status(other, task_id, TERMINAL, metadata=tenant("quiet"), timeout=60)
                    assert done.status == task_pb2.TASK_STATUS_COMPLETED

            # A repeat of an admitted request is answered as before, never refused.
            again = await submit(stub, "floods", "a0", 15000)
            assert not again.created and again.task.task_id == flood[0]

            # As the quiet tenant's tasks end, its slots free: it is admitted again, the flooder is not.
            later = await retry_until_admitted(stub, "quiet", "b-later")
            assert later.created
            for task_id in flood:
                await wait_status(channel, task_id, TERMINAL, metadata=tenant("floods"), timeout=120)
            # Once the flood's tasks ended, the flooder is admitted again.
            assert (await retry_until_admitted(stub, "floods", "a-after")).created


def cli_submit(address: str, tmp: Path, who: str) -> subprocess.CompletedProcess[str]:
    """`lammesh submit` as a user runs it, in its own process."""
    (tmp / "input.json").write_text('{"delay_ms": 0}')
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMMESH_")}
    env.update(LAMMESH_GATEWAY_ADDRESS=address, LAMMESH_DEFAULT_TENANT=who, LAMMESH_LOG_LEVEL="WARNING", COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "lammesh.cli", "submit", "slow_noop", "--input", str(tmp / "input.json")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def retry_until_admitted(stub, who: str, key: str):  # type: ignore[no-untyped-def]
    for _ in range(200):
        try:
            return await submit(stub, who, key, 0)
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
                raise
            await asyncio.sleep(retry_after_s(exc) or 0.25)
    raise AssertionError(f"{who} was never admitted")
