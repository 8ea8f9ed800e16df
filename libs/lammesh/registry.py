"""The capability registry: each step service announces itself on the compacted
`<prefix>.registry` topic (key `<capability>/<instance_id>`) when it starts serving, renews the
entry with a heartbeat, and marks it STOPPED when it stops. `lammesh agents` reads the topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from google.protobuf.timestamp_pb2 import Timestamp

from lammesh import envelope as serde
from lammesh.kafka import EnvelopeProducer
from lammesh.kafka.client import consumer_config
from lammesh.settings import ProcessSettings, Settings
from lammesh.topics import REGISTRY
from lammesh.v1 import registry_pb2

log = structlog.get_logger(__name__)


def instance_id(settings: ProcessSettings) -> str:
    return settings.instance_id or f"{socket.gethostname()}-{os.getpid()}"


def advertised_endpoint(settings: Settings, port: int | None) -> str:
    host = settings.grpc_host
    if host in ("0.0.0.0", "::", ""):
        host = socket.gethostname()
    return f"{host}:{port}" if port else ""


class RegistryPublisher:
    """Publishes one instance's registration: SERVING at start, heartbeats, STOPPED at stop."""

    def __init__(
        self,
        settings: Settings,
        producer: EnvelopeProducer,
        *,
        capability: str,
        kind: int,
        version: str,
        command_topic: str,
        grpc_port: Callable[[], int | None],
    ) -> None:
        self._settings = settings
        self._producer = producer
        self._topic = REGISTRY.name(settings)
        self._grpc_port = grpc_port
        self._template = registry_pb2.CapabilityRegistration(
            capability=capability,
            kind=kind,
            service=settings.service_name,
            version=version,
            instance_id=instance_id(settings),
            command_topic=command_topic,
        )
        self._heartbeat: asyncio.Task[None] | None = None

    @property
    def key(self) -> str:
        return f"{self._template.capability}/{self._template.instance_id}"

    async def publish(self, health: int) -> None:
        registration = registry_pb2.CapabilityRegistration()
        registration.CopyFrom(self._template)
        registration.health = health
        registration.grpc_endpoint = advertised_endpoint(self._settings, self._grpc_port())
        stamp = Timestamp()
        stamp.GetCurrentTime()
        registration.heartbeat_at.CopyFrom(stamp)
        await self._producer.send(self._topic, registration, task_id="", key=self.key)
        await self._producer.confirm()

    async def started(self) -> None:
        await self.publish(registry_pb2.SERVICE_HEALTH_SERVING)
        self._heartbeat = asyncio.create_task(self._beat(), name=f"registry-heartbeat-{self.key}")
        log.info("registered capability", key=self.key)

    async def stopping(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        try:
            await self.publish(registry_pb2.SERVICE_HEALTH_STOPPED)
        except Exception:  # the broker may be gone; the entry then goes stale, which readers show
            log.warning("could not publish STOPPED to the registry", key=self.key, exc_info=True)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self._settings.registry_heartbeat_s)
            try:
                await self.publish(registry_pb2.SERVICE_HEALTH_SERVING)
            except Exception:
                log.warning("registry heartbeat failed", key=self.key, exc_info=True)


@dataclass(frozen=True)
class RegistryEntry:
    registration: registry_pb2.CapabilityRegistration
    age_s: float
    """Seconds since the last heartbeat."""
    stale: bool
    """SERVING but no heartbeat for three intervals: the instance probably died without saying so."""

    @property
    def health(self) -> str:
        if self.stale:
            return "STALE"
        return registry_pb2.ServiceHealth.Name(self.registration.health).removeprefix("SERVICE_HEALTH_")


async def read_registry(settings: Settings, *, now: float | None = None) -> list[RegistryEntry]:
    """The latest registration of every instance: the topic read from its start to its end."""
    topic = REGISTRY.name(settings)
    consumer = AIOKafkaConsumer(
        **consumer_config(settings, "lammesh-registry-reader"), group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    latest: dict[str, registry_pb2.CapabilityRegistration] = {}
    try:
        if topic not in await consumer.topics():  # also refreshes the metadata
            return []
        assigned = [TopicPartition(topic, p) for p in range(REGISTRY.partition_count(settings))]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        end = await consumer.end_offsets(assigned)
        remaining = {tp for tp in assigned if end[tp] > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for records in batch.values():
                for record in records:
                    key = record.key.decode(errors="replace") if record.key else ""
                    if record.value is None:
                        latest.pop(key, None)
                        continue
                    try:
                        latest[key] = serde.unpack(serde.decode(record.value), registry_pb2.CapabilityRegistration)
                    except Exception:
                        log.warning("unreadable registry record", key=key, offset=record.offset)
            for tp in list(remaining):
                if await consumer.position(tp) >= end[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    now = time.time() if now is None else now
    stale_after = 3 * settings.registry_heartbeat_s
    entries = []
    for registration in latest.values():
        age = now - registration.heartbeat_at.seconds - registration.heartbeat_at.nanos / 1e9
        stale = registration.health == registry_pb2.SERVICE_HEALTH_SERVING and age > stale_after
        entries.append(RegistryEntry(registration, max(0.0, age), stale))
    return sorted(entries, key=lambda e: (e.registration.capability, e.registration.instance_id))
