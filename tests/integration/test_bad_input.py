"""Bad input on the real gateway, coordinator and noop tool against the real broker: every input
size from 0 to the gRPC limit ends with a clear outcome (COMPLETED, refused at submit naming the
limit, or COMPENSATED/FAILED naming it; never PENDING, never a timeout); input schemas are checked
by SubmitTask and for requests published to Kafka; undecodable requests get INVALID_ARGUMENT; an
unknown watcher name stops the service at load.

The limits are scaled down (Kafka records 64 KiB, gRPC messages 256 KiB) so the sweep is cheap on
two cores; the bands are the same fractions of the defaults (1 MiB, 4 MiB)."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from lammesh.catalogue import known_watchers, served_capabilities
from lammesh.structs import to_struct
from lammesh.v1 import task_pb2, task_pb2_grpc
from lammesh.workflow import WorkflowError, WorkflowRegistry
from lammesh_services.coordinator.main import bootstrap as coordinator
from lammesh_services.gateway.main import bootstrap as gateway
from tests.conftest import make_settings
from tests.support.mesh import TERMINAL, Client, running, write_workflow
from tests.support.services import noop

pytestmark = pytest.mark.kafka

KAFKA_LIMIT = 64 * 1024
GRPC_LIMIT = 256 * 1024

# Each step echoes its input: the saga's state holds the input, each step's input and output,
# so it outgrows the record limit a step or two after a start that fitted.
ECHO = """
name: echo
steps:
  - {id: s1, uses: noop, input: {payload: "${input.payload}"}, compensate: {}}
  - {id: s2, uses: noop, input: {payload: "${steps.s1.output.payload}"}, compensate: {}}
  - {id: s3, uses: noop, input: {payload: "${steps.s2.output.payload}"}}
"""

SCHEMA = """
name: typed
input_schema:
  type: object
  required: [account, to]
  properties:
    account: {type: string, minLength: 1}
    to: {type: array, items: {type: string, format: email}}
steps:
  - {id: only, uses: noop, input: {account: "${input.account}"}}
"""

TENANT = (("x-lammesh-tenant", "acme"), ("x-lammesh-user", "ana@acme.com"))
LIMIT_NAMES = ("kafka_max_record_bytes", "grpc_max_message_bytes")


@pytest.fixture(scope="module")
async def mesh(kafka_bootstrap, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("badinput")
    write_workflow(tmp / "workflows", ECHO)
    write_workflow(tmp / "workflows", SCHEMA)
    settings = make_settings(
        kafka_bootstrap,
        workflows_dir=tmp / "workflows",
        timer_interval_s=0.05,
        coordinator_data_dir=tmp / "coordinator",
        kafka_max_record_bytes=KAFKA_LIMIT,
        grpc_max_message_bytes=GRPC_LIMIT,
    )
    front = gateway(settings)
    async with running(noop(settings), coordinator(settings), front):
        channel = grpc.aio.insecure_channel(
            f"127.0.0.1:{front.grpc.port}", options=[("grpc.max_send_message_length", -1)]
        )
        yield settings, channel
        await channel.close()


async def final(stub, task_id: str, timeout: float = 90) -> task_pb2.Task:
    """The task once it ended; fails the test if it has not ended within `timeout` (a hang)."""
    task = None
    for _ in range(int(timeout / 0.1)):
        try:
            task = (await stub.GetTask(task_pb2.GetTaskRequest(task_id=task_id), metadata=TENANT)).task
        except grpc.aio.AioRpcError as exc:  # sent to Kafka directly: known once its first snapshot is read
            if exc.code() != grpc.StatusCode.NOT_FOUND:
                raise
        if task is not None and task.status in TERMINAL:
            return task
        await asyncio.sleep(0.1)
    state = task_pb2.TaskStatus.Name(task.status) if task is not None else "unknown to the gateway"
    raise AssertionError(f"task {task_id} still {state} after {timeout}s")


async def outcome(stub, size: int) -> tuple[str, str]:
    """('refused', details) or (final status, reason) for an input of `size` bytes."""
    request = task_pb2.SubmitTaskRequest(workflow="echo", input=to_struct({"payload": "z" * size}))
    try:
        reply = await stub.SubmitTask(request, metadata=TENANT, timeout=30)
    except grpc.aio.AioRpcError as exc:
        assert exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, (size, exc.code(), exc.details())
        return "refused", exc.details()
    task = await final(stub, reply.task.task_id)
    return task_pb2.TaskStatus.Name(task.status).removeprefix("TASK_STATUS_"), task.reason


async def test_every_input_size_up_to_the_grpc_limit_ends_with_a_clear_outcome(mesh):
    settings, channel = mesh
    stub = task_pb2_grpc.TaskServiceStub(channel)
    sizes = [
        0,
        1024,
        KAFKA_LIMIT // 16,
        KAFKA_LIMIT // 10,  # fits all the way (the state ends near 7x the input)
        KAFKA_LIMIT * 3 // 10,
        KAFKA_LIMIT * 45 // 100,  # starts, outgrows the limit on the way
        KAFKA_LIMIT * 55 // 100,
        KAFKA_LIMIT * 9 // 10,  # the start does not fit
        KAFKA_LIMIT * 3 // 2,
        GRPC_LIMIT // 2,  # over one Kafka record
        GRPC_LIMIT - 4096,
        GRPC_LIMIT + 4096,
    ]  # at and over the gRPC limit
    seen = {}
    for size in sizes:
        status, why = await outcome(stub, size)
        seen[size] = status
        if status == "COMPLETED":
            continue
        assert status in ("refused", "COMPENSATED", "FAILED"), (size, status, why)
        assert any(name in why for name in LIMIT_NAMES) or "larger than max" in why, (size, status, why)
        assert "timed out" not in why, (size, why)
        if status != "refused":  # a step's result that cannot be kept fails the step, not its deadline
            assert "OUTPUT_TOO_LARGE" in why and "kafka_max_record_bytes" in why, (size, why)
    assert [seen[s] for s in sizes[:4]] == ["COMPLETED"] * 4, seen
    assert {seen[s] for s in sizes[4:6]} <= {"COMPENSATED", "FAILED"}, seen
    assert all(seen[s] == "refused" for s in sizes[6:]), seen
    # and a small task right after is served as before
    assert (await outcome(stub, 10))[0] == "COMPLETED"


async def test_a_kafka_request_too_large_to_run_ends_failed_naming_the_limit(mesh):
    settings, channel = mesh
    stub = task_pb2_grpc.TaskServiceStub(channel)
    async with Client(settings) as client:
        # One record fits, but the saga (input + step input) does not: no gateway to refuse it.
        task_id = await client.submit("echo", {"payload": "z" * (KAFKA_LIMIT * 6 // 10)})
        bad_id = await client.submit("typed", {"account": "acme", "to": ["not an address"]})
    task = await final(stub, task_id)
    assert task.status == task_pb2.TASK_STATUS_FAILED
    assert task.reason.startswith("the task is too large to run: a ") and "kafka_max_record_bytes" in task.reason
    assert not task.input.fields  # not kept: it stays in tasks.requested
    bad = await final(stub, bad_id)
    assert (
        bad.status == task_pb2.TASK_STATUS_FAILED
        and bad.reason == "invalid input: input.to[0]: must be an email (name@domain)"
    )


async def test_submit_checks_the_input_schema_naming_the_field(mesh):
    settings, channel = mesh
    stub = task_pb2_grpc.TaskServiceStub(channel)
    cases = [
        ({"to": []}, "input.account: is required"),
        ({"account": "", "to": []}, "input.account: must have at least 1 characters"),
        ({"account": "acme", "to": "ana@acme.com"}, "input.to: must be a list"),
    ]
    for task_input, message in cases:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.SubmitTask(
                task_pb2.SubmitTaskRequest(workflow="typed", input=to_struct(task_input)), metadata=TENANT
            )
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT and info.value.details() == message
    reply = await stub.SubmitTask(
        task_pb2.SubmitTaskRequest(workflow="typed", input=to_struct({"account": "acme", "to": ["ana@acme.com"]})),
        metadata=TENANT,
    )
    assert (await final(stub, reply.task.task_id)).status == task_pb2.TASK_STATUS_COMPLETED


async def test_an_undecodable_request_gets_invalid_argument_and_the_next_is_served(mesh):
    settings, channel = mesh
    raw = channel.unary_unary("/lammesh.v1.TaskService/SubmitTask", request_serializer=None, response_deserializer=None)
    good = task_pb2.SubmitTaskRequest(workflow="echo", input=to_struct({"payload": "caf"})).SerializeToString()
    for broken in (good.replace(b"caf", b"ca\xff"), b"\xff\xff\xff\xff"):
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await raw(broken, metadata=TENANT, timeout=30)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert info.value.details().startswith("request: cannot be decoded as lammesh.v1.SubmitTaskRequest")
    assert task_pb2.SubmitTaskResponse.FromString(await raw(good, metadata=TENANT, timeout=30)).created


async def test_a_workflow_naming_an_unknown_watcher_is_refused_at_load_and_the_service_still_starts(
    tmp_path, kafka_bootstrap
):
    write_workflow(
        tmp_path / "workflows", "name: odd\nsteps:\n  - {id: a, uses: noop, watchers: {input: [pii, telepathy]}}\n"
    )
    settings = make_settings(kafka_bootstrap, workflows_dir=tmp_path / "workflows")
    with pytest.raises(WorkflowError) as info:  # what `lammesh workflows validate` uses
        WorkflowRegistry.load(
            settings.workflows_dir, capabilities=served_capabilities(), watchers=known_watchers(settings)
        )
    assert info.value.path == "steps[0].watchers.input[1]" and "unknown watcher 'telepathy'" in str(info.value)
    registry, changes = WorkflowRegistry.follow(
        settings.workflows_dir, capabilities=served_capabilities(), watchers=known_watchers(settings)
    )
    assert [e.path for e in changes.refused] == ["steps[0].watchers.input[1]"] and "odd" not in registry.by_name
    for bootstrap in (gateway, coordinator):
        bootstrap(settings)  # a bad file does not stop the service (it is refused, the rest loads)
    # a watcher given an address is one the operator deployed: it loads
    registry, changes = WorkflowRegistry.follow(
        settings.workflows_dir,
        capabilities=served_capabilities(),
        watchers=known_watchers(settings.model_copy(update={"watcher_endpoints": {"telepathy": "127.0.0.1:9"}})),
    )
    assert not changes.refused and "odd" in registry.by_name
