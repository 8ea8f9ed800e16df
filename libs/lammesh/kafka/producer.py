"""The envelope producer: idempotent, acks=all, trace context in the envelope and the headers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.structs import RecordMetadata
from google.protobuf.message import Message

from lammesh import envelope as serde
from lammesh import tracing
from lammesh.kafka.client import client_config
from lammesh.settings import Settings

Headers = Sequence[tuple[str, bytes]]


class EnvelopeProducer:
    """Sends protobuf payloads wrapped in Envelopes, keyed by task id.

    `send` returns once the record is queued; `confirm` waits until everything sent so far is
    acknowledged by the broker. Consumers call `confirm` before committing offsets, so a result is
    always durable before the command that caused it is marked done.
    """

    def __init__(self, settings: Settings, *, name: str | None = None) -> None:
        self._settings = settings
        self._name = name or settings.service_name
        self._producer = AIOKafkaProducer(
            **client_config(settings, f"{self._name}-producer"),
            enable_idempotence=True,
            acks="all",
            linger_ms=settings.producer_linger_ms,
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
        trace_context = tracing.current_trace_context()
        envelope = serde.pack(
            payload,
            task_id=task_id,
            tenant=tenant,
            idempotency_key=idempotency_key,
            producer=self._name,
            trace_context=trace_context,
        )
        headers = [(k, v.encode("latin-1")) for k, v in trace_context.items()]
        headers.append(("lammesh-type", envelope.message_type.encode()))
        return await self.send_raw(
            topic,
            envelope.SerializeToString(),
            key=(key if key is not None else task_id).encode(),
            headers=headers,
        )

    async def send_raw(
        self, topic: str, value: bytes | None, *, key: bytes | None, headers: Headers = ()
    ) -> asyncio.Future[RecordMetadata]:
        future = await self._producer.send(topic, value=value, key=key, headers=list(headers))
        self._pending.add(future)
        future.add_done_callback(self._settled)
        return future

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
