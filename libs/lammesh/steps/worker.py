"""Kafka side of a step service: commands from lammesh.steps.<capability>, results to steps.results."""

from __future__ import annotations

from lammesh import envelope as serde
from lammesh.kafka import EnvelopeProducer, InboundRecord, PoisonRecord
from lammesh.kafka.producer import RecordTooLarge
from lammesh.settings import Settings
from lammesh.steps.executor import StepExecutor, validate_command
from lammesh.topics import STEPS_RESULTS
from lammesh.v1 import step_pb2


class StepCommandHandler:
    def __init__(self, settings: Settings, executor: StepExecutor, producer: EnvelopeProducer) -> None:
        self._executor = executor
        self._producer = producer
        self._results_topic = STEPS_RESULTS.name(settings)

    async def __call__(self, record: InboundRecord) -> None:
        command = serde.unpack(record.envelope, step_pb2.StepCommand)
        invalid = validate_command(command, self._executor.identity.capability)
        if invalid is not None:
            raise PoisonRecord(f"invalid StepCommand: {invalid.field}: {invalid.message}")
        # Kafka ACLs decide who may write the command topic (only the coordinator, k8s/); the
        # envelope names the producer that did.
        result = await self._executor.run(command, caller=record.envelope.producer or None, via="kafka")
        try:
            await self._send(command, result, record.envelope.tenant)
        except RecordTooLarge as exc:
            # The step ran but its answer cannot travel: tell the coordinator it failed (so the
            # task compensates now, not at its deadline), without the output.
            too_large = step_pb2.StepResult()
            too_large.CopyFrom(result)
            too_large.ClearField("output")
            too_large.status = step_pb2.STEP_STATUS_FAILED
            too_large.error.CopyFrom(step_pb2.StepError(code="OUTPUT_TOO_LARGE", message=exc.reason, retryable=False))
            await self._send(command, too_large, record.envelope.tenant)

    async def _send(self, command: step_pb2.StepCommand, result: step_pb2.StepResult, tenant: str) -> None:
        await self._producer.send(
            self._results_topic,
            result,
            task_id=command.task_id,
            tenant=tenant,
            idempotency_key=f"{command.task_id}/{command.step_id}/{command.attempt}",
        )
