"""What a dead letter carries, in one place for every loop that gives up on a record.

A dead letter is the original record (key, value, headers) plus why (`lammesh-dlq-reason`), where
from (`lammesh-dlq-source-topic/partition/offset`), who gave up on it (`lammesh-dlq-consumer-group`)
and when (`lammesh-dlq-at`). The step services' consumer, the coordinator's stream, and the read
models' readers all send them through `EnvelopeProducer.dead_letter`; `lammesh.kafka.dlq` reads
and replays them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

DLQ_REASON = "lammesh-dlq-reason"
DLQ_SOURCE_TOPIC = "lammesh-dlq-source-topic"
DLQ_SOURCE_PARTITION = "lammesh-dlq-source-partition"
DLQ_SOURCE_OFFSET = "lammesh-dlq-source-offset"
DLQ_CONSUMER_GROUP = "lammesh-dlq-consumer-group"
DLQ_AT = "lammesh-dlq-at"
DLQ_VALUE_OMITTED = "lammesh-dlq-value-omitted"


class SourceRecord(Protocol):
    """A consumed record as aiokafka's ConsumerRecord and Faust's Message both present it."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Iterable[tuple[str, bytes]] | None: ...


def dlq_headers(
    original: Iterable[tuple[str, bytes]] | None, reason: str, *, topic: str, partition: int, offset: int, group: str
) -> list[tuple[str, bytes]]:
    """The original headers plus why and where from: what every DLQ record carries. Ours come
    last, so they win for readers that take the last header of a name (Kafka's lastHeader), also
    when the original carried lammesh-dlq-* headers of its own (a replayed dead letter)."""
    return [
        *(original or ()),
        (DLQ_REASON, reason.encode()),
        (DLQ_SOURCE_TOPIC, topic.encode()),
        (DLQ_SOURCE_PARTITION, str(partition).encode()),
        (DLQ_SOURCE_OFFSET, str(offset).encode()),
        (DLQ_CONSUMER_GROUP, group.encode()),
        (DLQ_AT, datetime.now(UTC).isoformat().encode()),
    ]
