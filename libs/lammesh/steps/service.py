"""Builds a step service (agent or tool) from a StepHandler: Kafka worker + gRPC StepService,
idempotency store (durable for handlers with side effects) and the capability registry entry.

A catalogue entry with a `handler` is started by `bootstrap_handler`: no per-service bootstrap."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lammesh.kafka import EnvelopeConsumer
from lammesh.registry import RegistryPublisher
from lammesh.service import ServiceRuntime
from lammesh.settings import Settings
from lammesh.steps.executor import StepExecutor
from lammesh.steps.handler import StepHandler, StepIdentity
from lammesh.steps.idempotency import IdempotencyStore, MemoryIdempotencyStore, SqliteIdempotencyStore
from lammesh.steps.servicer import StepServicer
from lammesh.steps.worker import StepCommandHandler
from lammesh.topics import STEP_SERVICE_TOPICS, step_commands
from lammesh.v1 import step_pb2, step_pb2_grpc

if TYPE_CHECKING:
    from lammesh.catalogue import ServiceSpec


def idempotency_db_path(settings: Settings) -> Path:
    return settings.idempotency_db or settings.state_dir / f"{settings.service_name}-idempotency.sqlite3"


def default_store(handler: StepHandler, settings: Settings) -> IdempotencyStore:
    """Side-effect handlers get the durable SQLite store; pure ones the in-memory LRU."""
    if handler.side_effects:
        return SqliteIdempotencyStore(idempotency_db_path(settings))
    return MemoryIdempotencyStore()


def bootstrap_handler(spec: ServiceSpec, settings: Settings) -> ServiceRuntime:
    """The service of a catalogue entry that names its handler class."""
    return build_step_service(spec.handler_class().from_settings(settings), settings, spec.identity)


def build_step_service(
    handler: StepHandler, settings: Settings, identity: StepIdentity, *, store: IdempotencyStore | None = None
) -> ServiceRuntime:
    commands = step_commands(identity.capability)
    runtime = ServiceRuntime(settings, topics=[*STEP_SERVICE_TOPICS, commands])
    store = store or default_store(handler, settings)
    executor = StepExecutor(handler, store, service=settings.service_name, identity=identity)
    runtime.grpc.add(
        step_pb2_grpc.add_StepServiceServicer_to_server,
        StepServicer(executor),
        step_pb2.DESCRIPTOR.services_by_name["StepService"].full_name,
    )
    runtime.add_consumer(
        EnvelopeConsumer(
            settings,
            topics=[commands.name(settings)],
            group_id=f"{settings.topic_prefix}.{identity.capability}",
            handler=StepCommandHandler(settings, executor, runtime.producer),
            producer=runtime.producer,
        )
    )
    registry = RegistryPublisher(
        settings,
        runtime.producer,
        capability=identity.capability,
        kind=identity.kind,
        version=identity.version,
        command_topic=commands.name(settings),
        grpc_port=lambda: runtime.grpc.port,
    )
    runtime.on_starting.append(handler.start)
    runtime.on_started.append(registry.started)
    runtime.on_stopping.append(registry.stopping)

    async def close() -> None:
        await handler.close()
        closer = getattr(store, "close", None)
        if closer is not None:
            closer()

    runtime.on_stopped.append(close)
    return runtime
