"""The Kafka adapter of the model registry: the compacted `lammesh.models` topic.

Each record is an Envelope around a `ModelVersion`, keyed "<name>/<version>"; compaction keeps the
latest status of every version. A change (a publish, a promotion that also retires the old active
version, a rollback) is written in one Kafka transaction, so readers (read_committed) never see
two active versions or none in between. Every writer uses the same transactional id: starting a
writer fences off any other one still in a transaction, and a writer reads the topic only after
that, so two operators' changes are serialised instead of one silently overwriting the other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord
from google.protobuf.timestamp_pb2 import Timestamp

from lammesh import envelope as serde
from lammesh.kafka.admin import ensure_topics
from lammesh.kafka.client import client_config
from lammesh.kafka.producer import EnvelopeProducer, ensure_fits
from lammesh.kafka.reader import TopicReader
from lammesh.modelregistry.domain import ModelVersion, Registry, Status
from lammesh.settings import Settings
from lammesh.topics import DLQ, MODELS
from lammesh.v1 import envelope_pb2, model_pb2

log = structlog.get_logger(__name__)

_STATUS = {
    Status.CANDIDATE: model_pb2.MODEL_STATUS_CANDIDATE,
    Status.CANARY: model_pb2.MODEL_STATUS_CANARY,
    Status.ACTIVE: model_pb2.MODEL_STATUS_ACTIVE,
    Status.RETIRED: model_pb2.MODEL_STATUS_RETIRED,
}
_FROM_STATUS = {number: status for status, number in _STATUS.items()}


def _timestamp(seconds: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromMicroseconds(round(seconds * 1e6))
    return stamp


def to_proto(version: ModelVersion) -> model_pb2.ModelVersion:
    return model_pb2.ModelVersion(
        name=version.name,
        version=version.version,
        sha256=version.sha256,
        parent=version.parent,
        metrics=dict(version.metrics),
        status=_STATUS[version.status],
        created_at=_timestamp(version.created_at),
        status_changed_at=_timestamp(version.status_changed_at),
        size_bytes=version.size_bytes,
        file_count=version.file_count,
        note=version.note,
    )


def from_proto(message: model_pb2.ModelVersion) -> ModelVersion:
    status = _FROM_STATUS.get(message.status)
    if status is None:
        raise serde.EnvelopeError(f"model {message.name}/{message.version} has no valid status ({message.status})")
    if not message.name or not message.version or len(message.sha256) != 64:
        raise serde.EnvelopeError("model version record lacks name, version or a sha256")
    return ModelVersion(
        name=message.name,
        version=message.version,
        sha256=message.sha256,
        parent=message.parent,
        metrics=dict(message.metrics),
        status=status,
        created_at=message.created_at.ToMicroseconds() / 1e6,
        status_changed_at=message.status_changed_at.ToMicroseconds() / 1e6,
        size_bytes=message.size_bytes,
        file_count=message.file_count,
        note=message.note,
    )


async def read_models(
    settings: Settings, *, dead_letters: EnvelopeProducer | None = None, timeout_s: float = 30.0
) -> Registry:
    """Every model version announced so far: lammesh.models read from its start to its end. A
    record that is not a valid ModelVersion is skipped (and dead-lettered given a producer)."""
    await ensure_topics(settings, [MODELS, DLQ])
    registry = Registry()

    def apply(record: ConsumerRecord, envelope: envelope_pb2.Envelope | None) -> None:
        if envelope is None:  # a tombstone: nothing to forget, versions are never deleted
            return
        version = from_proto(serde.unpack(envelope, model_pb2.ModelVersion))
        expected = f"{version.name}/{version.version}"
        key = record.key.decode(errors="replace") if record.key else ""
        if key != expected:
            raise serde.EnvelopeError(f"record key {key!r} is not {expected!r}")
        registry.apply([version])

    reader = TopicReader(settings, [MODELS.name(settings)], apply, name="models-reader", dead_letters=dead_letters)
    await reader.start()
    try:
        await asyncio.wait_for(reader.assigned.wait(), timeout_s)
    finally:
        await reader.stop()
    return registry


class RegistryWriter:
    """Announces registry changes, each in one transaction. Use as `async with`: entering fences
    off other writers and then reads the topic, so `registry` is current for this writer."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._topic = MODELS.name(settings)
        self._producer = AIOKafkaProducer(
            **client_config(settings, f"{settings.service_name}-models-writer"),
            transactional_id=f"{settings.topic_prefix}-models-registry",
            enable_idempotence=True,
            acks="all",
        )
        self.registry = Registry()

    async def __aenter__(self) -> RegistryWriter:
        await ensure_topics(self._settings, [MODELS, DLQ])
        await self._producer.start()  # InitProducerId: aborts another writer's open transaction
        try:
            self.registry = await read_models(self._settings)
        except BaseException:
            await self._producer.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._producer.stop()

    async def announce(self, changed: Iterable[ModelVersion]) -> None:
        """Write the changed versions in one transaction, then apply them to `registry`."""
        changed = list(changed)
        records = []
        for version in changed:
            envelope = serde.pack(to_proto(version), task_id="", producer=self._settings.service_name)
            value, key = envelope.SerializeToString(), version.key.encode()
            headers = [("lammesh-type", envelope.message_type.encode())]
            ensure_fits(self._settings, self._topic, key, value, headers)
            records.append((key, value, headers))
        async with self._producer.transaction():
            sent = [
                await self._producer.send(self._topic, value, key=key, headers=headers)
                for key, value, headers in records
            ]
            await asyncio.gather(*sent)  # a fenced writer fails here, and the transaction is aborted
        self.registry.apply(changed)
        log.info("model registry changed", changes=[f"{v.key}={v.status.value}" for v in changed])
