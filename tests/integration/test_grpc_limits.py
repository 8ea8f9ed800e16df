"""gRPC limits on the real servers: oversized messages are refused naming the limit, and the
service serves the next call; a call past its deadline ends with DEADLINE_EXCEEDED and the server
stops working on it. (INVALID_ARGUMENT naming the field and NOT_FOUND for an unknown workflow are
covered in test_gateway.py, test_noop_service.py and the watcher tests.)"""

from __future__ import annotations

import grpc
import pytest
from prometheus_client import REGISTRY

from lammesh.grpc.client import channel as lammesh_channel
from lammesh.structs import to_struct
from lammesh.v1 import step_pb2, step_pb2_grpc, task_pb2, task_pb2_grpc, watcher_pb2, watcher_pb2_grpc
from lammesh.watchers import check_request
from lammesh_services.gateway.main import bootstrap as gateway_bootstrap
from lammesh_services.watchers.pii.main import bootstrap as pii_bootstrap
from tests.support.kafka import wait_until
from tests.support.mesh import running, write_workflow
from tests.support.services import noop as noop_bootstrap

pytestmark = pytest.mark.kafka

GRPC_LIMIT = 256 * 1024
KAFKA_LIMIT = 64 * 1024

ONE_STEP = """
name: one
steps:
  - {id: only, uses: noop}
"""

TENANT = (("x-lammesh-tenant", "acme"), ("x-lammesh-user", "ana@acme.com"))


def in_flight(method: str) -> float:
    return REGISTRY.get_sample_value("lammesh_rpcs_in_flight", {"method": method}) or 0.0


def submit(blob_bytes: int) -> task_pb2.SubmitTaskRequest:
    return task_pb2.SubmitTaskRequest(workflow="one", input=to_struct({"blob": "z" * blob_bytes}))


@pytest.fixture
async def gateway(settings, tmp_path):
    write_workflow(tmp_path / "workflows", ONE_STEP)
    settings = settings.model_copy(
        update={
            "workflows_dir": tmp_path / "workflows",
            "service_name": "gateway",
            "grpc_max_message_bytes": GRPC_LIMIT,
            "kafka_max_record_bytes": KAFKA_LIMIT,
        }
    )
    runtime = gateway_bootstrap(settings)
    async with running(runtime):
        yield settings, f"127.0.0.1:{runtime.grpc.port}"


async def test_an_oversized_submit_is_refused_naming_the_limit_and_the_next_is_served(gateway):
    settings, address = gateway
    # A client without our limits: the server's own limit refuses the message.
    async with grpc.aio.insecure_channel(address, options=[("grpc.max_send_message_length", -1)]) as channel:
        stub = task_pb2_grpc.TaskServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as over_grpc:
            await stub.SubmitTask(submit(GRPC_LIMIT + 10_000), metadata=TENANT, timeout=30)
        # Under the gRPC limit but over what one Kafka record may carry: refused before publishing.
        with pytest.raises(grpc.aio.AioRpcError) as over_kafka:
            await stub.SubmitTask(submit(KAFKA_LIMIT + 10_000), metadata=TENANT, timeout=30)
        reply = await stub.SubmitTask(submit(1000), metadata=TENANT, timeout=30)
    assert over_grpc.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert f"vs. {GRPC_LIMIT})" in over_grpc.value.details()  # "Received message larger than max (N vs. 262144)"
    assert over_kafka.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert f"over the {KAFKA_LIMIT}-byte limit (kafka_max_record_bytes)" in over_kafka.value.details()
    assert reply.created and reply.task.status == task_pb2.TASK_STATUS_PENDING

    # The mesh's own clients apply the same setting before sending anything.
    async with lammesh_channel(address, settings) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await task_pb2_grpc.TaskServiceStub(channel).SubmitTask(
                submit(GRPC_LIMIT + 10_000), metadata=TENANT, timeout=30
            )
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert f"vs. {GRPC_LIMIT})" in refused.value.details()


async def test_an_oversized_check_is_refused_and_the_watcher_checks_the_next(settings):
    watcher = settings.model_copy(update={"service_name": "pii", "grpc_max_message_bytes": KAFKA_LIMIT})
    runtime = pii_bootstrap(watcher)
    async with running(runtime), grpc.aio.insecure_channel(f"127.0.0.1:{runtime.grpc.port}") as channel:
        stub = watcher_pb2_grpc.WatcherServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Check(check_request(content={"body": "word " * 20_000}), timeout=30)
        answer = await stub.Check(
            check_request(content={"body": "use key AKIAIOSFODNN7EXAMPLE"}, stage="output"), timeout=30
        )
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert f"vs. {KAFKA_LIMIT})" in caught.value.details()
    assert answer.verdict == watcher_pb2.VERDICT_BLOCK


async def test_a_watch_past_its_deadline_ends_and_the_gateway_lets_go_of_it(gateway):
    # No coordinator runs, so the task stays PENDING and its Watch stream would never end.
    _, address = gateway
    method = "/lammesh.v1.TaskService/WatchTask"
    before = in_flight(method)
    async with grpc.aio.insecure_channel(address) as channel:
        stub = task_pb2_grpc.TaskServiceStub(channel)
        task = (await stub.SubmitTask(submit(10), metadata=TENANT, timeout=30)).task
        stream = stub.WatchTask(task_pb2.WatchTaskRequest(task_id=task.task_id), metadata=TENANT, timeout=3)
        await wait_until(lambda: _at(method, before + 1))  # the server is serving it
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            async for _ in stream:
                pass
        await wait_until(lambda: _at(method, before))  # the server-side stream ended too
        again = await stub.GetTask(task_pb2.GetTaskRequest(task_id=task.task_id), metadata=TENANT, timeout=30)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert again.task.status == task_pb2.TASK_STATUS_PENDING


async def test_a_slow_step_call_past_its_deadline_is_abandoned_by_the_server(settings):
    method = "/lammesh.v1.StepService/Execute"
    runtime = noop_bootstrap(settings)
    async with running(runtime), grpc.aio.insecure_channel(f"127.0.0.1:{runtime.grpc.port}") as channel:
        stub = step_pb2_grpc.StepServiceStub(channel)
        before = in_flight(method)
        slow = step_pb2.StepCommand(task_id="slow", step_id="s", capability="noop")
        slow.input.update({"delay_ms": 600_000})  # ten minutes, unless the server gives up
        call = stub.Execute(step_pb2.ExecuteRequest(command=slow), timeout=3)
        await wait_until(lambda: _at(method, before + 1))  # the server is working on it
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        await wait_until(lambda: _at(method, before))
        quick = step_pb2.StepCommand(task_id="quick", step_id="s", capability="noop")
        reply = await stub.Execute(step_pb2.ExecuteRequest(command=quick), timeout=30)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert reply.result.status == step_pb2.STEP_STATUS_SUCCEEDED


async def _at(method: str, value: float) -> bool:
    return in_flight(method) == value
