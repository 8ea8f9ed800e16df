"""The fetch every aiokafka loop here shares: batches from `getmany`, riding out a broker away.

The step services' consumer (lammesh.kafka.consumer), the read models' readers
(lammesh.kafka.reader) and the coordinator's reconciler differ in what they do with a record and
in what they commit (the finished prefix, nothing, nothing); they fetch alike. The coordinator's
own stream is fetched by Faust.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord

log = structlog.get_logger(__name__)

RETRY_AFTER_S = 0.5

Batch = dict[TopicPartition, list[ConsumerRecord]]


async def batches(
    consumer: AIOKafkaConsumer, *, timeout_ms: int, max_records: int, reader: str
) -> AsyncIterator[Batch]:
    """Each fetch's records by partition (empty when none came within `timeout_ms`), until the
    caller stops iterating. A fetch that fails is logged, naming `reader`, and tried again."""
    while True:
        try:
            batch = await consumer.getmany(timeout_ms=timeout_ms, max_records=max_records)
        except KafkaError as exc:
            log.warning("fetch failed; retrying", reader=reader, error=str(exc))
            await asyncio.sleep(RETRY_AFTER_S)
            continue
        yield batch
