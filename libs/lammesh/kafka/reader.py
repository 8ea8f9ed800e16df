"""Reads whole topics from the beginning without a consumer group: for read models that
materialise a compacted or event topic in memory (every instance reads everything).

A record it cannot apply is skipped and, given a producer, dead-lettered: every instance reads
every record, so each instance (and each restart) sends its own copy; the copies carry the same
source topic/partition/offset headers, which is what DLQ tooling dedupes on (docs/decisions/0611)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord

from lammesh import envelope as serde
from lammesh import metrics
from lammesh.kafka.client import consumer_config
from lammesh.kafka.fetch import batches
from lammesh.kafka.producer import EnvelopeProducer
from lammesh.settings import Settings
from lammesh.v1 import envelope_pb2

log = structlog.get_logger(__name__)

# The envelope is None for a tombstone (a compacted topic's record with no value: the key is gone).
Apply = Callable[[ConsumerRecord, envelope_pb2.Envelope | None], Awaitable[None] | None]


class TopicReader:
    """Fits the ServiceRuntime worker protocol: `assigned` is set once the topics are read up to
    the end offsets they had at start (the read model has caught up)."""

    def __init__(
        self,
        settings: Settings,
        topics: list[str],
        apply: Apply,
        *,
        name: str,
        dead_letters: EnvelopeProducer | None = None,
    ) -> None:
        self.topics = topics
        self.assigned = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self._apply = apply
        self._dead_letters = dead_letters
        self._reader_name = f"{settings.service_name}-{name}"  # the DLQ's consumer-group header
        self._consumer = AIOKafkaConsumer(
            **consumer_config(settings, f"{settings.service_name}-{name}-{uuid.uuid4().hex[:6]}"),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )

    async def start(self) -> None:
        await self._consumer.start()
        partitions = [
            TopicPartition(topic, p)
            for topic in self.topics
            for p in sorted(self._consumer.partitions_for_topic(topic) or await self._partitions(topic))
        ]
        self._consumer.assign(partitions)
        await self._consumer.seek_to_beginning(*partitions)
        ends = await self._consumer.end_offsets(partitions)
        self._catch_up = {tp: end for tp, end in ends.items() if end > 0}
        if not self._catch_up:
            self.assigned.set()
        self.task = asyncio.create_task(self._run(), name=f"reader:{','.join(self.topics)}")

    async def _partitions(self, topic: str) -> set[int]:
        for _ in range(50):
            await self._consumer._client.force_metadata_update()
            found = self._consumer.partitions_for_topic(topic)
            if found:
                return found
            await asyncio.sleep(0.1)
        raise RuntimeError(f"topic {topic} does not exist")

    async def stop(self, timeout: float | None = None) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self._consumer.stop()

    async def _run(self) -> None:
        async for batch in batches(self._consumer, timeout_ms=200, max_records=1000, reader=self._reader_name):
            for _tp, records in batch.items():
                for record in records:
                    try:
                        envelope = None if record.value is None else serde.decode(record.value)
                        outcome = self._apply(record, envelope)
                        if outcome is not None:
                            await outcome
                    except serde.EnvelopeError as exc:
                        await self._skip(record, exc.reason)
                    except Exception as exc:  # a bug must not stop the read model
                        log.exception("applying a record failed", topic=record.topic, offset=record.offset)
                        await self._skip(record, f"apply error: {type(exc).__name__}: {exc}")
                if self._dead_letters is not None:
                    try:
                        await self._dead_letters.confirm()
                    except KafkaError as exc:  # the next start reads (and dead-letters) it again
                        log.warning("dead letter not acknowledged", error=str(exc))
            if not self.assigned.is_set():
                await self._check_caught_up()

    async def _check_caught_up(self) -> None:
        # By position, not by the last record's offset: on a topic written in transactions the end
        # offset lies past the commit marker, which no record ever reaches.
        for tp, end in list(self._catch_up.items()):
            if await self._consumer.position(tp) >= end:
                del self._catch_up[tp]
        if not self._catch_up:
            self.assigned.set()

    async def _skip(self, record: ConsumerRecord, reason: str) -> None:
        log.warning(
            "unreadable record skipped",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=reason,
        )
        metrics.MESSAGES.labels(record.topic, "unreadable").inc()
        if self._dead_letters is not None:
            try:
                await self._dead_letters.dead_letter(record, reason, group=self._reader_name)
            except KafkaError as exc:  # the next start reads (and dead-letters) it again
                log.warning("dead letter not sent", error=str(exc))
