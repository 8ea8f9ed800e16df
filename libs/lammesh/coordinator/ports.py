"""What the saga processor needs from the outside world, as narrow ports.

`EnvelopeProducer` and `WatcherClient` are the real adapters; the unit tests drive the processor
with fakes of these (tests/unit/coordinator), so its service-layer rules are checked without a broker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Protocol

from aiokafka.structs import RecordMetadata
from google.protobuf.message import Message

from lammesh.kafka.producer import Headers, OutboundRecord
from lammesh.saga import RunChecks, Saga, WatcherOutcome


class Outbox(Protocol):
    """Where the processor's records go: prepared (size-checked) first, then sent, then confirmed."""

    def prepare(
        self,
        topic: str,
        payload: Message,
        *,
        task_id: str,
        tenant: str = "",
        idempotency_key: str = "",
        key: str | None = None,
    ) -> OutboundRecord: ...

    async def send_prepared(self, record: OutboundRecord) -> asyncio.Future[RecordMetadata]: ...

    async def send_raw(
        self, topic: str, value: bytes | None, *, key: bytes | None, headers: Headers = ()
    ) -> asyncio.Future[RecordMetadata]: ...

    async def confirm(self, sent: Iterable[asyncio.Future[RecordMetadata]] | None = None) -> None:
        """Return once the broker acknowledged `sent`; raise the first delivery error."""


class Checks(Protocol):
    """Runs one RunChecks effect's watcher calls; every watcher gets an outcome (an error is one)."""

    async def check(self, saga: Saga, checks: RunChecks) -> list[WatcherOutcome]: ...
