"""Run pieces of the mesh in-process against the real broker, and talk to them like a user."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
from aiokafka import AIOKafkaConsumer

from lammesh import envelope as serde
from lammesh.dev.localkafka import free_port
from lammesh.kafka import EnvelopeProducer
from lammesh.service import ServiceRuntime
from lammesh.settings import Settings
from lammesh.structs import to_struct
from lammesh.topics import TASKS_CONTROL, TASKS_EVENTS, TASKS_REQUESTED, TASKS_STATE
from lammesh.up import Mesh
from lammesh.v1 import review_pb2, task_pb2, task_pb2_grpc

TERMINAL = {task_pb2.TASK_STATUS_COMPLETED, task_pb2.TASK_STATUS_COMPENSATED, task_pb2.TASK_STATUS_FAILED}


@contextlib.asynccontextmanager
async def running(*runtimes: ServiceRuntime) -> AsyncIterator[None]:
    started: list[ServiceRuntime] = []
    try:
        for runtime in runtimes:
            await runtime.start()
            started.append(runtime)
        yield
    finally:
        for runtime in reversed(started):
            await runtime.stop()


def process_mesh(
    settings: Settings, run_dir: Path, services: list[str], *, replicas: dict[str, int] | None = None, **env: str
) -> Mesh:
    """`services` as real processes (`lammesh run NAME`, through lammesh.up: the launcher users
    run) on the broker, topic prefix, partitions, workflows and timer of `settings`; JSON logs in
    <run_dir>/logs/<instance>.log; no SMTP sink. Start and stop it off the event loop
    (asyncio.to_thread): in-process services of the same test keep running meanwhile."""
    return Mesh(
        run_dir=run_dir,
        services=services,
        replicas=replicas or {},
        kafka_bootstrap=settings.kafka_bootstrap,
        topic_prefix=settings.topic_prefix,
        partitions=settings.topic_partitions,
        smtp_sink=False,
        gateway_address=f"127.0.0.1:{free_port()}",
        extra_env={
            "LAMMESH_WORKFLOWS_DIR": str(Path(settings.workflows_dir).resolve()),
            "LAMMESH_TIMER_INTERVAL_S": str(settings.timer_interval_s),
            "LAMMESH_LOG_FORMAT": "json",
            **env,
        },
    )


def guarded_send(name: str, watchers: tuple[str, ...] = ("policy", "pii")) -> str:
    """A workflow of the gateway and CLI tests: a compensatable `record` step, then a `send` step
    whose input the watchers check (policy: acme.com recipients only; pii: the body)."""
    refs = {
        "policy": "{name: policy, params: {allowed_domains: [acme.com]}}",
        "pii": "{name: pii, params: {skip_fields: [to]}}",
    }
    checks = "".join(f"\n        - {refs[w]}" for w in watchers)
    return f"""
name: {name}
steps:
  - {{id: record, uses: noop, input: {{account: "${{input.account}}"}}, compensate: {{}}}}
  - id: send
    uses: noop
    input: {{to: "${{input.to}}", body: "${{input.body}}"}}
    watchers:
      input:{checks}
"""


async def wait_status(
    channel: grpc.aio.Channel,
    task_id: str,
    statuses: set[int],
    *,
    metadata: tuple[tuple[str, str], ...] = (),
    timeout: float = 60,
) -> task_pb2.Task:
    """GetTask through the gateway until the task is in one of `statuses` (NOT_FOUND while the
    gateway has not seen it yet)."""
    stub = task_pb2_grpc.TaskServiceStub(channel)
    for _ in range(int(timeout / 0.05)):
        try:
            task = (await stub.GetTask(task_pb2.GetTaskRequest(task_id=task_id), metadata=metadata)).task
            if task.status in statuses:
                return task
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND:
                raise
        await asyncio.sleep(0.05)
    raise AssertionError(f"task {task_id} never reached {statuses}")


def write_workflow(directory: Path, text: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    name = text.split("name:", 1)[1].split()[0]
    (directory / f"{name}.yaml").write_text(text)


class Client:
    """Publishes task requests and control records, and follows tasks.events / tasks.state."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.producer = EnvelopeProducer(settings, name="test-client")
        self.events: dict[str, list[task_pb2.TaskEvent]] = {}
        self.state: dict[str, task_pb2.Task] = {}
        self._consumer = AIOKafkaConsumer(
            TASKS_EVENTS.name(settings),
            TASKS_STATE.name(settings),
            bootstrap_servers=settings.kafka_bootstrap,
            group_id=None,
            auto_offset_reset="earliest",
            client_id=f"test-follow-{uuid.uuid4().hex[:6]}",
        )
        self._follow: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Client:
        await self.producer.start()
        await self._consumer.start()
        self._follow = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._follow is not None
        self._follow.cancel()
        await asyncio.gather(self._follow, return_exceptions=True)
        await self._consumer.stop()
        await self.producer.stop()

    async def _read(self) -> None:
        events_topic = TASKS_EVENTS.name(self.settings)
        while True:
            batch = await self._consumer.getmany(timeout_ms=100)
            for records in batch.values():
                for record in records:
                    envelope = serde.decode(record.value)
                    if record.topic == events_topic:
                        event = serde.unpack(envelope, task_pb2.TaskEvent)
                        seen = self.events.setdefault(event.task_id, [])
                        if all(e.sequence != event.sequence for e in seen):  # outputs may repeat after a crash
                            seen.append(event)
                            seen.sort(key=lambda e: e.sequence)
                    else:
                        task = serde.unpack(envelope, task_pb2.Task)
                        current = self.state.get(task.task_id)
                        if current is None or task.version >= current.version:
                            self.state[task.task_id] = task

    async def submit(
        self, workflow: str, task_input: dict[str, Any], *, task_id: str | None = None, tenant: str = "acme"
    ) -> str:
        task_id = task_id or uuid.uuid4().hex
        request = task_pb2.TaskRequested(task_id=task_id, workflow=workflow, tenant=tenant, input=to_struct(task_input))
        await self.producer.send(TASKS_REQUESTED.name(self.settings), request, task_id=task_id, tenant=tenant)
        await self.producer.confirm()
        return task_id

    async def control(self, task_id: str, message: Any) -> None:
        await self.producer.send(TASKS_CONTROL.name(self.settings), message, task_id=task_id)
        await self.producer.confirm()

    async def cancel(self, task_id: str, reason: str = "test") -> None:
        await self.control(task_id, task_pb2.TaskCancelRequested(task_id=task_id, reason=reason))

    async def decide(self, task_id: str, review_id: str, approve: bool) -> None:
        decision = review_pb2.REVIEW_DECISION_APPROVED if approve else review_pb2.REVIEW_DECISION_REJECTED
        await self.control(
            task_id,
            review_pb2.ReviewDecided(review_id=review_id, task_id=task_id, decision=decision, decided_by="tester"),
        )

    async def wait_for(self, task_id: str, statuses: set[int] = TERMINAL, timeout: float = 60.0) -> task_pb2.Task:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = self.state.get(task_id)
            if task is not None and task.status in statuses:
                return task
            await asyncio.sleep(0.05)
        current = self.state.get(task_id)
        kinds = [e.kind for e in self.events.get(task_id, [])]
        raise AssertionError(
            f"task {task_id} did not reach {statuses}: now {current and current.status}, events {kinds}"
        )

    def kinds(self, task_id: str) -> list[str]:
        return [e.kind for e in self.events.get(task_id, [])]


@contextlib.asynccontextmanager
async def gateway_mesh(
    kafka_bootstrap: str, tmp: Path, workflow: str, **overrides: Any
) -> AsyncIterator[tuple[Settings, str]]:
    """The gateway, coordinator, noop tool and the pii and policy watchers in process on the real
    broker, running `workflow`; yields the wired settings and the gateway's address. `overrides`
    are settings of the wired services (e.g. gateway_tokens_file)."""
    from lammesh_services.coordinator.main import bootstrap as coordinator
    from lammesh_services.gateway.main import bootstrap as gateway
    from lammesh_services.watchers.pii.main import bootstrap as pii
    from lammesh_services.watchers.policy.main import bootstrap as policy
    from tests.conftest import make_settings
    from tests.support.services import noop

    write_workflow(tmp / "workflows", workflow)
    base: dict[str, Any] = dict(
        workflows_dir=tmp / "workflows", timer_interval_s=0.02, coordinator_data_dir=tmp / "coordinator", **overrides
    )
    settings = make_settings(kafka_bootstrap, **base)
    watchers = {"pii": pii(settings), "policy": policy(settings)}
    async with running(*watchers.values()):
        endpoints = {name: f"127.0.0.1:{rt.grpc.port}" for name, rt in watchers.items()}
        wired = make_settings(kafka_bootstrap, topic_prefix=settings.topic_prefix, watcher_endpoints=endpoints, **base)
        front = gateway(wired)
        async with running(noop(wired), front, coordinator(wired)):
            yield wired, f"127.0.0.1:{front.grpc.port}"


def write_tokens_file(path: Path, grants: dict[str, tuple[str, str, list[str]]]) -> Path:
    """A gateway tokens file granting each token (tenant, user, roles)."""
    import yaml

    from lammesh.gateway.auth import tokens_file_entry

    entries: dict[str, Any] = {}
    for token, (tenant, user, roles) in grants.items():
        entries.update(tokens_file_entry(token, tenant=tenant, user=user, roles=roles))
    path.write_text(yaml.safe_dump({"tokens": entries}))
    return path
