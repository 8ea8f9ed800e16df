"""`lammesh up`'s supervisor: services as separate processes on their own ports, health-gated
start, logs per service, and a stop that leaves no process behind — also when a start fails."""

from __future__ import annotations

import json
import os

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from lammesh.dev.localkafka import free_port
from lammesh.settings import Settings
from lammesh.up import Mesh, MeshError, port_open

pytestmark = pytest.mark.kafka


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie still answers kill(0); its state says it is gone
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] == "Z"


def mesh_for(settings, tmp_path, services, **env) -> Mesh:
    return Mesh(
        run_dir=tmp_path / "run",
        services=services,
        kafka_bootstrap=settings.kafka_bootstrap,
        gateway_address=f"127.0.0.1:{free_port()}",
        smtp_port=free_port(),
        extra_env={
            "LAMMESH_TOPIC_PREFIX": settings.topic_prefix,
            "LAMMESH_STATE_DIR": str(tmp_path / "state"),
            "LAMMESH_TOPIC_PARTITIONS": "3",
            "LAMMESH_DRAIN_TIMEOUT_S": "5",
            **env,
        },
    )


async def test_up_starts_separate_processes_and_stops_them_all(settings, tmp_path):
    events = []
    mesh = mesh_for(settings, tmp_path, ["noop", "pii", "policy"])
    mesh.progress = lambda service, state, detail: events.append((service, state))
    mesh.start()
    try:
        pids = {p.name: p.process.pid for p in mesh.processes}
        assert len(set(pids.values())) == 3 and os.getpid() not in pids.values()
        assert len({p.grpc_port for p in mesh.processes}) == 3
        assert set(mesh.watcher_endpoints()) == {"pii", "policy"}
        for proc in mesh.processes:
            with grpc.insecure_channel(proc.address) as channel:
                reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
            assert proc.log_path.is_file()
        assert port_open("127.0.0.1", mesh.smtp_port)
        assert (mesh.run_dir / "mesh.json").is_file()
        # watchers come up before the step services that their callers depend on
        serving = [s for s, state in events if state == "serving" and s in pids]
        assert set(serving[:2]) == {"pii", "policy"}
        # one instance's health, as the chaos run asks before a kill
        assert all(mesh.serving(p.instance) for p in mesh.processes)
        mesh.kill("pii")
        assert not mesh.serving("pii") and mesh.serving("policy")
    finally:
        sink_pid = mesh.sink.pid
        mesh.stop()
    assert all(gone(pid) for pid in [*pids.values(), sink_pid])
    assert not port_open("127.0.0.1", mesh.smtp_port)
    assert not (mesh.run_dir / "mesh.json").exists()
    assert ("noop", "stopped") in events


def test_a_plan_gives_every_address_before_anything_starts(settings, tmp_path):
    # a client can be pointed at a watcher that is not up yet; a replicated watcher's callers
    # are told every instance (they balance over them), not only the last one planned
    mesh = mesh_for(settings, tmp_path, ["noop", "pii", "policy"])
    mesh.replicas = {"policy": 2}
    mesh.plan()
    assert [p.instance for p in mesh.processes] == ["pii", "policy-0", "policy-1", "noop"]
    assert all(p.process is None for p in mesh.processes) and mesh.sink is None
    ports = {p.instance: (p.grpc_port, p.metrics_port) for p in mesh.processes}
    endpoints = {
        "pii": mesh.process("pii").address,
        "policy": f"{mesh.process('policy-0').address},{mesh.process('policy-1').address}",
    }
    assert mesh.watcher_endpoints() == endpoints
    assert Settings(watcher_endpoints=endpoints).watcher_endpoints == endpoints  # a valid setting
    assert json.loads(mesh.service_env(mesh.process("noop"))["LAMMESH_WATCHER_ENDPOINTS"]) == endpoints
    mesh.plan()  # planned once: start() starts these ports
    assert {p.instance: (p.grpc_port, p.metrics_port) for p in mesh.processes} == ports
    mesh.stop()
    assert mesh.processes == []


def test_otel_variables_reach_every_service_each_under_its_own_name(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "one-name-for-all")
    mesh = mesh_for(settings, tmp_path, ["noop", "pii"])
    mesh.plan()
    for proc in mesh.processes:
        env = mesh.service_env(proc)
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://collector:4317"
        assert env["OTEL_TRACES_SAMPLER"] == "parentbased_traceidratio"
        assert env["OTEL_SERVICE_NAME"] == proc.spec.name  # traces must tell the services apart
    mesh.stop()


def test_without_names_up_plans_the_catalogue_but_the_optional_services(settings, tmp_path):
    """`lammesh up` with no --services: every catalogue service except those not in the default
    mesh (the violet team: a pass costs minutes of CPU), which start only when named."""
    whole = mesh_for(settings, tmp_path, None)
    whole.plan()
    planned = {p.name for p in whole.processes}
    assert "injection" in planned and "gateway" in planned and "violet" not in planned
    whole.stop()
    named = mesh_for(settings, tmp_path, ["violet"])
    named.plan()
    assert [p.name for p in named.processes] == ["violet"]
    named.stop()


async def test_a_service_that_cannot_start_fails_the_start_and_leaves_nothing(settings, tmp_path):
    mesh = mesh_for(settings, tmp_path, ["pii", "crm"], LAMMESH_CRM_DATABASE_URL="nosuchdb://x")
    started = []
    mesh.progress = lambda service, state, detail: started.append((service, state, detail))
    with pytest.raises(MeshError) as failure:
        mesh.start()
    assert "crm exited during start" in str(failure.value)
    pids = [int(d.split()[1].rstrip(",")) for s, state, d in started if state == "starting" and d.startswith("pid")]
    assert pids and all(gone(pid) for pid in pids)
    assert mesh.processes == [] and mesh.sink is None


async def test_up_health_gates_services_that_require_mutual_tls(settings, tmp_path):
    """With gRPC mTLS in the environment, the services serve mTLS only and `lammesh up`'s health
    checks present the certificate too (a plaintext check would never see SERVING)."""
    import asyncio

    from lammesh.dev.certs import make_certs
    from lammesh.grpc.client import sync_channel

    certs = make_certs(tmp_path / "certs")
    tls = {
        "LAMMESH_GRPC_TLS_CERT": str(certs.server_cert),
        "LAMMESH_GRPC_TLS_KEY": str(certs.server_key),
        "LAMMESH_GRPC_TLS_CA": str(certs.ca),
        "LAMMESH_GRPC_MTLS": "true",
    }
    mesh = mesh_for(settings, tmp_path, ["pii"], **tls)
    mesh.start_timeout_s = 90
    await asyncio.to_thread(mesh.start)
    try:
        [proc] = mesh.processes
        with grpc.insecure_channel(proc.address) as plain, pytest.raises(grpc.RpcError) as refused:
            health_pb2_grpc.HealthStub(plain).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        client = Settings(grpc_tls_ca=certs.ca, grpc_tls_cert=certs.client_cert, grpc_tls_key=certs.client_key)
        with sync_channel(proc.address, client) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        await asyncio.to_thread(mesh.stop)


async def test_the_coordinator_keeps_its_table_in_the_run_folder(settings, tmp_path):
    # with the broker: a table left from another broker's changelog would stop it starting
    mesh = mesh_for(settings, tmp_path, ["coordinator", "noop"])
    mesh.start()
    try:
        tables = mesh.run_dir / "coordinator" / settings.topic_prefix
        assert tables.is_dir() and any(tables.rglob("*.db"))
    finally:
        mesh.stop()


async def test_seed_crm_adds_the_sample_accounts_before_the_crm_starts_and_only_once(settings, tmp_path):
    from lammesh_services.tools.crm.store import CrmStore

    crm_url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    said = []
    for _ in range(2):  # a second `lammesh up` on the same CRM adds nothing
        mesh = mesh_for(settings, tmp_path, ["crm"], LAMMESH_CRM_DATABASE_URL=crm_url)
        mesh.seed_crm = True
        mesh.progress = lambda service, state, detail: said.append((service, state, detail))
        assert mesh.crm_database_url() == crm_url
        mesh.start()
        mesh.stop()
    seeded = [detail for service, state, detail in said if state == "seeded"]
    assert len(seeded) == 2
    assert seeded[0].startswith(
        "sample accounts: added acme.example, globex.example, umbrella.example; 0 there already"
    )
    assert seeded[1].startswith("sample accounts: nothing to add; 3 there already")
    store = CrmStore(crm_url)
    try:
        assert sorted(a["domain"] for a in store.snapshot()["accounts"]) == [
            "acme.example",
            "globex.example",
            "umbrella.example",
        ]
    finally:
        store.close()


def test_the_dev_crm_is_where_the_crm_service_looks_for_it(tmp_path, monkeypatch):
    # services run in the repository: a relative SQLite file (the default) is relative to it
    monkeypatch.delenv("LAMMESH_CRM_DATABASE_URL", raising=False)
    from lammesh.dev.localkafka import REPO_ROOT

    assert Mesh(run_dir=tmp_path).crm_database_url() == f"sqlite:///{REPO_ROOT}/.run/state/crm.sqlite3"
    mesh = Mesh(run_dir=tmp_path, extra_env={"LAMMESH_CRM_DATABASE_URL": "sqlite:///x/crm.db"})
    assert mesh.crm_database_url() == f"sqlite:///{REPO_ROOT}/x/crm.db"


async def test_a_dev_crm_that_cannot_be_seeded_fails_the_start_saying_which(settings, tmp_path):
    mesh = mesh_for(settings, tmp_path, ["crm"], LAMMESH_CRM_DATABASE_URL="nosuchdb://x")
    mesh.seed_crm = True
    with pytest.raises(MeshError, match=r"the dev CRM at nosuchdb://x could not be seeded .*--no-seed-crm"):
        mesh.start()
    assert mesh.processes == [] and mesh.sink is None


def test_up_starts_the_console_after_the_gateway_and_it_signs_a_dev_tenant_in(settings, tmp_path):
    import httpx

    events = []
    mesh = mesh_for(settings, tmp_path, ["console", "gateway"])
    mesh.console_port = free_port()
    mesh.progress = lambda service, state, detail: events.append((service, state))
    mesh.start()
    try:
        serving = [s for s, state in events if state == "serving" and s in ("gateway", "console")]
        assert serving == ["gateway", "console"]  # the console's pages need the gateway
        url = mesh.console_url
        assert url == f"http://127.0.0.1:{mesh.console_port}/"
        assert json.loads((mesh.run_dir / "mesh.json").read_text())["console"] == url
        with httpx.Client(base_url=url, timeout=30) as web:
            anonymous = web.get("/tasks")
            assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
            assert "Sign in" in web.get("/login").text
            assert web.get("/static/console.js").status_code == 200  # shipped in the package
            # the gateway runs in dev mode here (no tokens file): a tenant name signs in
            signed_in = web.post("/login", data={"tenant": "acme", "user": "ana", "next": "/tasks"})
            assert signed_in.status_code == 303 and signed_in.headers["location"] == "/tasks"
            assert (
                "httponly" in signed_in.headers["set-cookie"].lower()
                and "samesite=strict" in signed_in.headers["set-cookie"].lower()
            )
            page = web.get("/tasks")
            assert page.status_code == 200 and "No tasks match." in page.text
            bad = web.get("/tasks", params={"status": "done"})
            assert bad.status_code == 400 and "status: unknown status &#39;done&#39;" in bad.text
            forged = web.post("/logout", headers={"origin": "http://evil.example"})
            assert forged.status_code == 403  # a form posted from another site
            mesh.stop_service("gateway")
            away = web.get("/tasks")
            assert away.status_code == 503 and f"cannot reach the gateway at {mesh.gateway_address}" in away.text
    finally:
        pid = mesh.process("console").pid
        mesh.stop()
    assert gone(pid) and not port_open("127.0.0.1", mesh.console_port)
    assert ("console", "stopped") in events


def test_watchers_start_without_a_broker_when_the_mesh_needs_none(tmp_path):
    nothing_there = f"127.0.0.1:{free_port()}"
    mesh = Mesh(
        run_dir=tmp_path / "run",
        services=["policy"],
        kafka_bootstrap=nothing_there,
        start_kafka=False,
        smtp_sink=False,
        extra_env={"LAMMESH_DRAIN_TIMEOUT_S": "5"},
    )
    mesh.start()
    try:
        assert mesh.kafka is None and not port_open(
            "127.0.0.1", int(nothing_there.rsplit(":", 1)[1])
        )  # no broker was started
        (proc,) = mesh.processes
        with grpc.insecure_channel(proc.address) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        mesh.stop()
    assert gone(proc.process.pid)
