"""The coordinator paces task starts (docs/decisions/0640): at most coordinator_max_active_sagas run
at once; the other requests wait, unacknowledged, and start in order as sagas end, each with the
records that came after it (a cancel of a waiting task applies after its start)."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY

from lammesh.v1 import task_pb2
from lammesh_services.coordinator.main import bootstrap as coordinator
from tests.conftest import make_settings
from tests.support.mesh import Client, running, write_workflow
from tests.support.services import noop

pytestmark = pytest.mark.kafka

SLOW = """
name: paced
steps:
  - {id: wait, uses: noop, input: {delay_ms: "${input.delay_ms}"}, compensate: {}}
"""


async def wait_held(count: int, timeout: float = 60) -> None:
    for _ in range(int(timeout / 0.05)):
        if (REGISTRY.get_sample_value("lammesh_coordinator_requests_held") or 0) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the coordinator never held {count} requests")


def _seconds(ts) -> float:  # type: ignore[no-untyped-def]
    return ts.seconds + ts.nanos / 1e9


async def test_no_more_than_the_max_active_sagas_run_at_once(kafka_bootstrap, tmp_path):
    write_workflow(tmp_path / "workflows", SLOW)
    settings = make_settings(
        kafka_bootstrap,
        workflows_dir=tmp_path / "workflows",
        timer_interval_s=0.02,
        coordinator_data_dir=tmp_path / "coordinator",
        coordinator_max_active_sagas=2,
    )
    async with running(noop(settings), coordinator(settings)), Client(settings) as client:
        tasks = [await client.submit("paced", {"delay_ms": 700}) for _ in range(5)]
        held = tasks[-1]
        # Once the coordinator holds tasks 3-5 (a cancel read before its task's request would be
        # a record for an unknown task: another topic, so no order between the two):
        await wait_held(3)
        await client.cancel(held, "not needed")
        ended = [await client.wait_for(task_id, timeout=60) for task_id in tasks]
    assert [t.status for t in ended[:4]] == [task_pb2.TASK_STATUS_COMPLETED] * 4
    assert ended[4].status == task_pb2.TASK_STATUS_COMPENSATED and ended[4].reason == "cancelled: not needed"
    spans = []
    for task_id in tasks[:4]:
        events = {e.kind: _seconds(e.at) for e in client.events[task_id]}
        spans.append((events["task.started"], events["task.completed"]))
    for start, _ in spans:
        running_then = sum(1 for s, e in spans if s <= start < e)
        assert running_then <= 2, f"{running_then} sagas ran at once: {spans}"
    assert spans[2][0] >= min(end for _, end in spans[:2]), (
        "the third task started before either of the first two ended"
    )
