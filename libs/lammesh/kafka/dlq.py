"""Reading and replaying the dead-letter topic (lammesh.dlq).

A dead letter is the original record (key, value, headers) plus the headers `dlq_headers` adds:
why (`lammesh-dlq-reason`), where from (`lammesh-dlq-source-topic/partition/offset`), who gave up
on it (`lammesh-dlq-consumer-group`) and when (`lammesh-dlq-at`). When a name repeats (a replayed
dead letter that failed again) the last header wins, as in Kafka's lastHeader.

Replaying re-publishes a dead letter to its source topic: same key, same value, the original
headers plus `lammesh-dlq-replayed-from` (`<dlq topic>:<partition>:<offset>`). A dead letter that
went without its value (too large even for the DLQ) is replayed from the source record the headers
name, while the source topic still holds it. Consumers dedupe on the envelope's idempotency key,
so replaying a record that was in fact handled repeats no side effect.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from lammesh import envelope as serde
from lammesh.kafka.client import consumer_config
from lammesh.kafka.deadletters import (
    DLQ_AT,
    DLQ_CONSUMER_GROUP,
    DLQ_REASON,
    DLQ_SOURCE_OFFSET,
    DLQ_SOURCE_PARTITION,
    DLQ_SOURCE_TOPIC,
    DLQ_VALUE_OMITTED,
)
from lammesh.kafka.producer import EnvelopeProducer
from lammesh.settings import Settings
from lammesh.topics import DLQ
from lammesh.v1 import envelope_pb2

DLQ_REPLAYED_FROM = "lammesh-dlq-replayed-from"

Headers = Sequence[tuple[str, bytes]]


class DeadLetterError(LookupError):
    """A dead letter that is not there, or cannot be replayed; the message says why."""


def last_header(headers: Headers, name: str) -> str:
    found = ""
    for key, value in headers:
        if key == name:
            found = (value or b"").decode("utf-8", "replace")
    return found


@dataclass(frozen=True)
class DeadLetter:
    """One record of the DLQ topic."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    @classmethod
    def from_record(cls, record: ConsumerRecord) -> DeadLetter:
        return cls(
            record.topic,
            record.partition,
            record.offset,
            record.timestamp,
            record.key,
            record.value,
            tuple((k, v or b"") for k, v in record.headers or ()),
        )

    def header(self, name: str) -> str:
        return last_header(self.headers, name)

    @property
    def reason(self) -> str:
        return self.header(DLQ_REASON)

    @property
    def source_topic(self) -> str:
        return self.header(DLQ_SOURCE_TOPIC)

    @property
    def source_partition(self) -> int | None:
        value = self.header(DLQ_SOURCE_PARTITION)
        return int(value) if value.isdigit() else None

    @property
    def source_offset(self) -> int | None:
        value = self.header(DLQ_SOURCE_OFFSET)
        return int(value) if value.isdigit() else None

    @property
    def source(self) -> str:
        """`topic:partition:offset` of the original record: what copies of one dead letter share."""
        return f"{self.source_topic}:{self.header(DLQ_SOURCE_PARTITION)}:{self.header(DLQ_SOURCE_OFFSET)}"

    @property
    def consumer_group(self) -> str:
        return self.header(DLQ_CONSUMER_GROUP)

    @property
    def dead_lettered_at(self) -> str:
        return self.header(DLQ_AT) or datetime.fromtimestamp(self.timestamp_ms / 1000, UTC).isoformat()

    @property
    def value_omitted(self) -> str:
        return self.header(DLQ_VALUE_OMITTED)

    @property
    def replayed_from(self) -> str:
        return self.header(DLQ_REPLAYED_FROM)

    def envelope(self) -> envelope_pb2.Envelope | None:
        """The value as an Envelope, or None when it is not one (often why it is here)."""
        try:
            return serde.decode(self.value)
        except serde.EnvelopeError:
            return None

    @property
    def task_id(self) -> str:
        envelope = self.envelope()
        if envelope is not None and envelope.task_id:
            return envelope.task_id
        return (self.key or b"").decode("utf-8", "replace")


def dedupe(letters: Iterable[DeadLetter]) -> list[tuple[DeadLetter, int]]:
    """One entry per source record (readers without a consumer group dead-letter one record once per
    instance and restart, docs/decisions/0611): the newest copy and how many there are."""
    found: dict[str, tuple[DeadLetter, int]] = {}
    for letter in letters:
        newest, copies = found.get(letter.source, (letter, 0))
        found[letter.source] = (letter if letter.offset >= newest.offset else newest, copies + 1)
    return list(found.values())


class DeadLetterQueue:
    """The DLQ topic read without a consumer group (nothing is committed, nothing moves on)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.topic = DLQ.name(settings)
        self._consumer = AIOKafkaConsumer(
            **consumer_config(settings, f"lammesh-cli-dlq-{uuid.uuid4().hex[:6]}"),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )

    async def __aenter__(self) -> DeadLetterQueue:
        try:
            await self._consumer.start()
        except BaseException:
            await self._consumer.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._consumer.stop()

    async def _partitions(self, topic: str) -> list[TopicPartition]:
        cluster = await self._consumer._client.fetch_all_metadata()  # fresh: the topic may be new
        found = cluster.partitions_for_topic(topic)
        if not found:
            raise DeadLetterError(f"topic {topic} does not exist on {self.settings.kafka_bootstrap}")
        return [TopicPartition(topic, p) for p in sorted(found)]

    async def _read(self, ranges: dict[TopicPartition, tuple[int, int]]) -> list[ConsumerRecord]:
        """Every record in [start, end) of each partition."""
        wanted = {tp: r for tp, r in ranges.items() if r[1] > r[0]}
        if not wanted:
            return []
        self._consumer.assign(list(wanted))
        for tp, (start, _) in wanted.items():
            self._consumer.seek(tp, start)
        records: list[ConsumerRecord] = []
        while wanted:
            batch = await self._consumer.getmany(*wanted, timeout_ms=500)
            for tp, got in batch.items():
                records += [r for r in got if r.offset < wanted[tp][1]]
            for tp in list(wanted):  # the position passes transaction markers and compacted gaps too
                if await self._consumer.position(tp) >= wanted[tp][1]:
                    del wanted[tp]
        return records

    async def _bounds(self, partitions: list[TopicPartition]) -> dict[TopicPartition, tuple[int, int]]:
        begins = await self._consumer.beginning_offsets(partitions)
        ends = await self._consumer.end_offsets(partitions)
        return {tp: (begins[tp], ends[tp]) for tp in partitions}

    async def latest(self, limit: int) -> tuple[list[DeadLetter], int]:
        """The newest `limit` records of each partition, newest first, and how many the topic holds."""
        bounds = await self._bounds(await self._partitions(self.topic))
        ranges = {tp: (max(begin, end - limit), end) for tp, (begin, end) in bounds.items()}
        letters = [DeadLetter.from_record(r) for r in await self._read(ranges)]
        letters.sort(key=lambda d: (d.timestamp_ms, d.offset), reverse=True)
        return letters[:limit], sum(end - begin for begin, end in bounds.values())

    async def all(self) -> list[DeadLetter]:
        bounds = await self._bounds(await self._partitions(self.topic))
        return [DeadLetter.from_record(r) for r in await self._read(bounds)]

    async def at(self, offset: int, partition: int = 0) -> DeadLetter:
        record = await self._record(self.topic, partition, offset)
        return DeadLetter.from_record(record)

    async def _record(self, topic: str, partition: int, offset: int) -> ConsumerRecord:
        partitions = {tp.partition: tp for tp in await self._partitions(topic)}
        if partition not in partitions:
            raise DeadLetterError(f"{topic} has no partition {partition} (it has {', '.join(map(str, partitions))})")
        tp = partitions[partition]
        begin, end = (await self._bounds([tp]))[tp]
        if not begin <= offset < end:
            raise DeadLetterError(
                f"no record at offset {offset} of {topic}[{partition}] (it holds offsets {begin}..{end - 1})"
                if end > begin
                else f"no record at offset {offset}: {topic}[{partition}] is empty"
            )
        records = await self._read({tp: (offset, offset + 1)})
        if not records or records[0].offset != offset:
            raise DeadLetterError(f"no record at offset {offset} of {topic}[{partition}] (compacted or deleted)")
        return records[0]

    async def replay(
        self, letters: Sequence[DeadLetter], producer: EnvelopeProducer
    ) -> list[tuple[DeadLetter, str, int, int]]:
        """Re-publish each dead letter to its source topic: (letter, topic, partition, new offset).
        Every letter is checked (and a value left out fetched) before the first is sent."""
        prepared = []
        for letter in letters:
            if not letter.source_topic:
                raise DeadLetterError(f"dead letter at offset {letter.offset} has no {DLQ_SOURCE_TOPIC} header")
            if letter.source_topic == self.topic:
                raise DeadLetterError(f"dead letter at offset {letter.offset} names the DLQ itself as its source")
            value = letter.value
            if letter.value_omitted:
                if letter.source_partition is None or letter.source_offset is None:
                    raise DeadLetterError(f"dead letter at offset {letter.offset} has no value and no source offset")
                try:
                    value = (
                        await self._record(letter.source_topic, letter.source_partition, letter.source_offset)
                    ).value
                except DeadLetterError as exc:
                    raise DeadLetterError(
                        f"dead letter at offset {letter.offset} went without its value and the "
                        f"source record is gone: {exc}"
                    ) from None
            headers = [
                *letter.headers,
                (DLQ_REPLAYED_FROM, f"{self.topic}:{letter.partition}:{letter.offset}".encode()),
            ]
            prepared.append((letter, value, headers))
        done = []
        for letter, value, headers in prepared:
            sent = await producer.send_raw(letter.source_topic, value, key=letter.key, headers=headers)
            await producer.confirm([sent])
            meta = sent.result()
            done.append((letter, meta.topic, meta.partition, meta.offset))
        return done
