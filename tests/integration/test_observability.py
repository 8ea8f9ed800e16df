"""Metrics endpoint and trace propagation over gRPC, against a running noop service."""

import urllib.request

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from lammesh import tracing
from lammesh.dev.localkafka import free_port
from lammesh.grpc.client import channel as grpc_channel
from lammesh.v1 import step_pb2, step_pb2_grpc
from tests.conftest import make_settings
from tests.support.services import noop as bootstrap

pytestmark = pytest.mark.kafka


async def test_metrics_endpoint_and_one_trace_across_a_grpc_call(kafka_bootstrap):
    settings = make_settings(kafka_bootstrap, metrics_port=free_port())
    tracing.setup_tracing(settings)
    exporter = InMemorySpanExporter()
    tracing.add_span_processor(SimpleSpanProcessor(exporter))
    runtime = bootstrap(settings)
    await runtime.start()
    try:
        channel = grpc_channel(f"127.0.0.1:{runtime.grpc.port}", settings)
        stub = step_pb2_grpc.StepServiceStub(channel)
        with tracing.tracer().start_as_current_span("caller") as caller:
            await stub.Execute(step_pb2.ExecuteRequest(command=step_pb2.StepCommand(task_id="m", step_id="s")))
        await channel.close()
        body = urllib.request.urlopen(f"http://127.0.0.1:{settings.metrics_port}/metrics", timeout=5).read().decode()
    finally:
        await runtime.stop()
    assert 'lammesh_steps_total{action="execute",capability="noop",status="succeeded"}' in body
    assert 'lammesh_rpc_total{code="OK",method="/lammesh.v1.StepService/Execute"}' in body
    assert "lammesh_step_seconds_bucket" in body
    server_spans = [s for s in exporter.get_finished_spans() if s.name == "/lammesh.v1.StepService/Execute"]
    assert server_spans, [s.name for s in exporter.get_finished_spans()]
    assert server_spans[-1].context.trace_id == caller.get_span_context().trace_id
    assert server_spans[-1].parent.span_id == caller.get_span_context().span_id


async def test_every_listener_binds_to_the_configured_host(kafka_bootstrap):
    from lammesh.service import ServiceRuntime

    settings = make_settings(kafka_bootstrap, grpc_host="127.0.0.1", metrics_port=free_port(), grpc_health_port=0)
    runtime = ServiceRuntime(settings, kafka=False)
    await runtime.start()
    try:
        assert runtime._metrics_server is not None
        assert runtime._metrics_server.server_address[0] == "127.0.0.1"  # was 0.0.0.0 whatever grpc_host said
        body = urllib.request.urlopen(f"http://127.0.0.1:{settings.metrics_port}/metrics", timeout=5).read().decode()
        assert "# HELP lammesh_tasks_finished_total" in body  # every service exports the same registry
    finally:
        await runtime.stop()
