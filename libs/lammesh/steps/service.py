"""Builds a step service (agent or tool) from a StepHandler: Kafka worker + gRPC StepService."""

from __future__ import annotations

from lammesh.kafka import EnvelopeConsumer
from lammesh.service import ServiceRuntime
from lammesh.settings import Settings
from lammesh.steps.executor import StepExecutor
from lammesh.steps.handler import StepHandler
from lammesh.steps.idempotency import IdempotencyStore, MemoryIdempotencyStore
from lammesh.steps.servicer import StepServicer
from lammesh.steps.worker import StepCommandHandler
from lammesh.topics import STEP_SERVICE_TOPICS, step_commands
from lammesh.v1 import step_pb2, step_pb2_grpc


def build_step_service(
    handler: StepHandler, settings: Settings, *, store: IdempotencyStore | None = None
) -> ServiceRuntime:
    commands = step_commands(handler.capability)
    runtime = ServiceRuntime(settings, topics=[*STEP_SERVICE_TOPICS, commands])
    executor = StepExecutor(handler, store or MemoryIdempotencyStore(), service=settings.service_name)
    runtime.grpc.add(
        step_pb2_grpc.add_StepServiceServicer_to_server,
        StepServicer(executor),
        step_pb2.DESCRIPTOR.services_by_name["StepService"].full_name,
    )
    runtime.add_consumer(
        EnvelopeConsumer(
            settings,
            topics=[commands.name(settings)],
            group_id=f"{settings.topic_prefix}.{handler.capability}",
            handler=StepCommandHandler(settings, executor, runtime.producer),
            producer=runtime.producer,
        )
    )
    return runtime
