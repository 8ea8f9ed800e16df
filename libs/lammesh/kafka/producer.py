"""The envelope producer: idempotent, acks=all, trace context in the envelope and the headers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from aiokafka.structs import RecordMetadata
from google.protobuf.message import Message

from lammesh import envelope as serde
from lammesh import metrics, tracing
from lammesh.kafka.client import client_config
from lammesh.kafka.deadletters import DLQ_VALUE_OMITTED, SourceRecord, dlq_headers
from lammesh.settings import Settings
from lammesh.topics import DLQ, DLQ_MAX_RECORD_BYTES

log = structlog.get_logger(__name__)

Headers = Sequence[tuple[str, bytes]]

# The list `EnvelopeProducer.collecting` opened in this context (asyncio tasks started inside
# share it): every record queued here is added, so a caller can confirm its own sends only.
_COLLECTED: ContextVar[list[asyncio.Future[RecordMetadata]] | None] = ContextVar("lammesh_sent", default=None)


@dataclass(frozen=True)
class OutboundRecord:
    topic: str
    value: bytes | None
    key: bytes | None
    headers: Headers


class RecordTooLarge(ValueError):
    """A record over `kafka_max_record_bytes`: refused before it is sent, so it never fails a
    whole batch at the broker. Sending it again can never work; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def ensure_fits(
    settings: Settings, topic: str, key: bytes | None, value: bytes | None, headers: Headers = (), *, reserve: int = 0
) -> None:
    """RecordTooLarge when the record would be over kafka_max_record_bytes (also for records
    another client writes, such as the coordinator's Faust table changelog). `reserve`: bytes to
    count on top, for an estimate of a record someone else will write later."""
    size = DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, list(headers)) + reserve
    limit = settings.kafka_max_record_bytes
    if size > limit:
        raise RecordTooLarge(
            f"a {topic} record of {size} bytes is over the {limit}-byte limit (kafka_max_record_bytes)"
        )


def prepare_record(
    settings: Settings,
    producer: str,
    topic: str,
    payload: Message,
    *,
    task_id: str,
    tenant: str = "",
    idempotency_key: str = "",
    key: str | None = None,
) -> OutboundRecord:
    """`payload` as a record from `producer`: in an Envelope carrying the current trace context
    (in the envelope and the headers), its type in a header, keyed by task id unless `key` is
    given; RecordTooLarge when it would be over kafka_max_record_bytes (the DLQ's own limit is
    checked when it is sent)."""
    trace_context = tracing.current_trace_context()
    envelope = serde.pack(
        payload,
        task_id=task_id,
        tenant=tenant,
        idempotency_key=idempotency_key,
        producer=producer,
        trace_context=trace_context,
    )
    headers = [(k, v.encode("latin-1")) for k, v in trace_context.items()]
    headers.append(("lammesh-type", envelope.message_type.encode()))
    record = OutboundRecord(
        topic, envelope.SerializeToString(), (key if key is not None else task_id).encode(), headers
    )
    if topic != DLQ.name(settings):
        ensure_fits(settings, record.topic, record.key, record.value, record.headers)
    return record


class EnvelopeProducer:
    """Sends protobuf payloads wrapped in Envelopes, keyed by task id.

    `send` returns once the record is queued; `confirm` waits until everything sent so far is
    acknowledged by the broker. Consumers call `confirm` before committing offsets, so a result is
    always durable before the command that caused it is marked done.
    """

    def __init__(self, settings: Settings, *, name: str | None = None) -> None:
        self._settings = settings
        self._name = name or settings.service_name
        self._dlq_topic = DLQ.name(settings)
        self._producer = AIOKafkaProducer(
            **client_config(settings, f"{self._name}-producer"),
            enable_idempotence=True,
            acks="all",
            linger_ms=settings.producer_linger_ms,
            # The client's own check, at the DLQ's limit; other topics get the stricter one in send_raw.
            max_request_size=max(DLQ_MAX_RECORD_BYTES, settings.kafka_max_record_bytes),
        )
        self._pending: set[asyncio.Future[RecordMetadata]] = set()
        self._started = False

    async def start(self) -> None:
        if not self._started:
            await self._producer.start()
            self._started = True

    async def stop(self) -> None:
        if self._started:
            await self._producer.flush()
            await self._producer.stop()
            self._started = False

    async def send(
        self,
        topic: str,
        payload: Message,
        *,
        task_id: str,
        tenant: str = "",
        idempotency_key: str = "",
        key: str | None = None,
    ) -> asyncio.Future[RecordMetadata]:
        return await self.send_prepared(
            self.prepare(topic, payload, task_id=task_id, tenant=tenant, idempotency_key=idempotency_key, key=key)
        )

    def prepare(
        self,
        topic: str,
        payload: Message,
        *,
        task_id: str,
        tenant: str = "",
        idempotency_key: str = "",
        key: str | None = None,
    ) -> OutboundRecord:
        """The record `send` would queue, size-checked (RecordTooLarge): a caller with several
        outputs prepares them all first, so one too large means none is sent."""
        return prepare_record(
            self._settings,
            self._name,
            topic,
            payload,
            task_id=task_id,
            tenant=tenant,
            idempotency_key=idempotency_key,
            key=key,
        )

    async def send_prepared(self, record: OutboundRecord) -> asyncio.Future[RecordMetadata]:
        return await self.send_raw(record.topic, record.value, key=record.key, headers=record.headers)

    def _check_size(self, record: OutboundRecord) -> None:
        if record.topic != self._dlq_topic:
            ensure_fits(self._settings, record.topic, record.key, record.value, record.headers)

    async def send_raw(
        self, topic: str, value: bytes | None, *, key: bytes | None, headers: Headers = ()
    ) -> asyncio.Future[RecordMetadata]:
        """Queue one record; RecordTooLarge (nothing queued) when it is over kafka_max_record_bytes."""
        headers = list(headers)
        self._check_size(OutboundRecord(topic, value, key, headers))
        future = await self._producer.send(topic, value=value, key=key, headers=headers)
        self._pending.add(future)
        future.add_done_callback(self._settled)
        collected = _COLLECTED.get()
        if collected is not None:
            collected.append(future)
        return future

    @staticmethod
    @contextlib.contextmanager
    def collecting() -> Iterator[list[asyncio.Future[RecordMetadata]]]:
        """Collect the futures of every record sent inside the block, by whatever code: a consumer
        handling records concurrently confirms each record's own outputs (`confirm(sent)`)."""
        sent: list[asyncio.Future[RecordMetadata]] = []
        token = _COLLECTED.set(sent)
        try:
            yield sent
        finally:
            _COLLECTED.reset(token)

    async def dead_letter(self, record: SourceRecord, reason: str, *, group: str) -> asyncio.Future[RecordMetadata]:
        """Queue `record` for the DLQ, saying why, where from and who (`group`) gave up on it."""
        headers = dlq_headers(
            record.headers, reason, topic=record.topic, partition=record.partition, offset=record.offset, group=group
        )
        sent = await self.send_dead_letter(record.value, key=record.key, headers=headers)
        log.warning(
            "record dead-lettered",
            reason=reason,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            group=group,
        )
        metrics.DEAD_LETTERS.labels(record.topic).inc()
        return sent

    async def send_dead_letter(
        self, value: bytes | None, *, key: bytes | None, headers: Headers
    ) -> asyncio.Future[RecordMetadata]:
        """Queue a record for the DLQ. One too large even for the DLQ (its source topic allows
        more than the DLQ does) goes without its value, saying so, rather than blocking its
        partition; the value stays in the source topic the headers name."""
        try:
            return await self.send_raw(self._dlq_topic, value, key=key, headers=headers)
        except MessageSizeTooLargeError as exc:
            log.error("dead letter too large for the DLQ; sent without its value", size=len(value or b""))
            omitted = (DLQ_VALUE_OMITTED, f"{len(value or b'')} bytes: {exc}".encode())
            return await self.send_raw(self._dlq_topic, None, key=key, headers=[*headers, omitted])

    def _settled(self, future: asyncio.Future[RecordMetadata]) -> None:
        # Failed deliveries stay pending so the next `confirm` reports them.
        if not future.cancelled() and future.exception() is None:
            self._pending.discard(future)

    async def confirm(self, sent: Iterable[asyncio.Future[RecordMetadata]] | None = None) -> None:
        """Wait until the broker acknowledged records; raises the first delivery error.

        Without `sent`: every record sent so far. With `sent` (futures `send` returned): only
        those, and their failures are the caller's alone — concurrent senders sharing this
        producer do not see each other's errors.
        """
        pending = list(self._pending) if sent is None else list(sent)
        if not pending:
            return
        try:
            await asyncio.gather(*pending)
        finally:
            self._pending.difference_update(f for f in pending if f.done())
