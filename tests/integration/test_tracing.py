"""One trace per task across the mesh's processes, exported with the standard OTEL_* variables to a
real OTLP/gRPC receiver; and the metrics a dashboard reads, scraped from the same run."""

from __future__ import annotations

import asyncio
import time
import urllib.request

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from lammesh.gateway.auth import TENANT_HEADER
from lammesh.structs import to_struct
from lammesh.v1 import task_pb2, task_pb2_grpc
from tests.conftest import make_settings
from tests.support.mesh import guarded_send, process_mesh, wait_status, write_workflow
from tests.support.otlp import OtlpReceiver, ReceivedSpan

pytestmark = pytest.mark.kafka

SERVICES = ["coordinator", "gateway", "noop", "pii", "policy"]
ENDED = {task_pb2.TASK_STATUS_COMPLETED, task_pb2.TASK_STATUS_COMPENSATED, task_pb2.TASK_STATUS_FAILED}


def _task_trace(receiver: OtlpReceiver, task_id: str) -> tuple[set[str], list[ReceivedSpan]]:
    """The trace ids of the spans that name the task, and every span of those traces."""
    ids = {s.trace_id for s in receiver.spans() if s.attributes.get("lammesh.task_id") == task_id}
    return ids, [s for s in receiver.spans() if s.trace_id in ids]


async def _wait_for_spans(receiver: OtlpReceiver, task_id: str, wanted: set[tuple[str, str]]) -> list[ReceivedSpan]:
    """Until the task's trace holds a span of each (service, name prefix) in `wanted` (exporters
    send in batches), at most 60 s; returns the trace's spans."""
    deadline = time.monotonic() + 60
    while True:
        _, spans = _task_trace(receiver, task_id)
        missing = {
            (svc, name) for svc, name in wanted if not any(s.service == svc and s.name.startswith(name) for s in spans)
        }
        if not missing:
            return spans
        if time.monotonic() > deadline:
            raise AssertionError(
                f"task {task_id}: no spans for {sorted(missing)}; got {sorted({(s.service, s.name) for s in spans})}"
            )
        await asyncio.sleep(0.2)


def _metrics_text(port: int) -> str:
    return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()


def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    body = _metrics_text(port)
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_one_trace_per_task_across_services_and_the_dashboard_metrics(kafka_bootstrap, tmp_path):
    write_workflow(tmp_path / "workflows", guarded_send("traced"))
    settings = make_settings(kafka_bootstrap, workflows_dir=tmp_path / "workflows", timer_interval_s=0.02)
    with OtlpReceiver() as receiver:
        # Only standard variables: the SDK reads the endpoint, the batch delay and the sampler.
        mesh = process_mesh(
            settings,
            tmp_path / "run",
            SERVICES,
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
            OTEL_BSP_SCHEDULE_DELAY="100",
            OTEL_TRACES_SAMPLER="parentbased_always_on",
        )
        await asyncio.to_thread(mesh.start)
        try:
            async with grpc.aio.insecure_channel(mesh.gateway_address) as channel:
                stub = task_pb2_grpc.TaskServiceStub(channel)
                metadata = ((TENANT_HEADER, "acme"),)
                ids = {}
                for name, to in (("allowed", "ann@acme.com"), ("blocked", "eve@evil.example")):
                    request = task_pb2.SubmitTaskRequest(
                        workflow="traced", input=to_struct({"account": "A-1", "to": to, "body": "see you soon"})
                    )
                    ids[name] = (await stub.SubmitTask(request, metadata=metadata)).task.task_id
                ended = {
                    name: await wait_status(channel, task_id, ENDED, metadata=metadata) for name, task_id in ids.items()
                }
            assert ended["allowed"].status == task_pb2.TASK_STATUS_COMPLETED, ended["allowed"]
            assert ended["blocked"].status == task_pb2.TASK_STATUS_COMPENSATED, ended["blocked"]

            wanted = {
                ("gateway", "/lammesh.v1.TaskService/SubmitTask"),
                ("coordinator", "saga TaskRequested"),
                ("coordinator", "saga StepResult"),
                ("coordinator", "check policy"),
                ("policy", "watch policy"),
                ("pii", "watch pii"),
                ("noop", "execute noop"),
            }
            allowed = await _wait_for_spans(receiver, ids["allowed"], wanted)
            blocked = await _wait_for_spans(receiver, ids["blocked"], wanted | {("noop", "compensate noop")})

            samples = {name: _scrape(mesh.process(name).metrics_port) for name in SERVICES}
            gateway_metrics = _metrics_text(mesh.process("gateway").metrics_port)
        finally:
            await asyncio.to_thread(mesh.stop)

    for name, spans in (("allowed", allowed), ("blocked", blocked)):
        traces, _ = _task_trace(receiver, ids[name])
        assert len(traces) == 1, f"{name}: the task's spans are in {len(traces)} traces"
        assert traces == {ended[name].trace_id}  # GetTask tells where to find the trace
        services = {s.service for s in spans}
        assert len(services) >= 3 and {"gateway", "coordinator", "noop"} <= services, services
        # The gateway's SubmitTask span is the root; every other span's parent is in the trace.
        roots = [s for s in spans if not s.parent_span_id]
        assert [(r.service, r.name) for r in roots] == [("gateway", "/lammesh.v1.TaskService/SubmitTask")], roots
        span_ids = {s.span_id for s in spans}
        assert all(s.parent_span_id in span_ids for s in spans if s.parent_span_id), "a span's parent is missing"
        step_spans = [s for s in spans if s.service == "noop" and s.name.startswith("execute")]
        assert {s.attributes.get("lammesh.step_id") for s in step_spans} >= {"record"}
        assert all(s.attributes.get("lammesh.capability") == "noop" for s in step_spans)
        watched = [s for s in spans if s.name == "watch policy"]
        assert all(
            s.attributes.get("lammesh.watcher") == "policy" and s.attributes.get("lammesh.model_version")
            for s in watched
        )
        assert all(s.attributes.get("lammesh.workflow") == "traced" for s in spans if s.name.startswith("saga "))
    assert _task_trace(receiver, ids["allowed"])[0] != _task_trace(receiver, ids["blocked"])[0]
    verdicts = {s.attributes.get("lammesh.verdict") for s in blocked if s.name == "watch policy"}
    assert "block" in verdicts, verdicts

    coordinator = samples["coordinator"]
    assert _value(coordinator, "lammesh_tasks_started_total", workflow="traced") == 2
    assert _value(coordinator, "lammesh_tasks_finished_total", workflow="traced", outcome="completed") == 1
    assert _value(coordinator, "lammesh_tasks_finished_total", workflow="traced", outcome="compensated") == 1
    assert _value(coordinator, "lammesh_task_rollbacks_total", workflow="traced") == 1
    assert (
        _value(coordinator, "lammesh_compensations_total", workflow="traced", capability="noop", outcome="compensated")
        == 1
    )
    assert _value(samples["noop"], "lammesh_step_seconds_count", capability="noop") >= 3  # 2 records, 1 send, 1 undo
    policy_blocks = [
        v
        for (name, labels), v in samples["policy"].items()
        if name == "lammesh_watcher_verdicts_total" and ("verdict", "block") in labels
    ]
    assert policy_blocks == [1.0], samples["policy"]
    # The review queue's depth is exported even while the queue is empty (no sample, the family).
    assert "# TYPE lammesh_reviews_pending gauge" in gateway_metrics
