"""Reading and writing real Kafka topics from tests."""

from __future__ import annotations

import asyncio
import time
import uuid

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord
from google.protobuf.message import Message

from lammesh import envelope as serde
from lammesh.settings import Settings


async def read_records(
    settings: Settings, topic: str, *, count: int, timeout: float = 30.0, quiet_for: float = 0.0
) -> list[ConsumerRecord]:
    """Read `topic` from the beginning until `count` records arrived (or `timeout` passed).

    With `quiet_for` > 0, keep reading that long after reaching `count`, so a test can assert
    that no *more* records show up."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        client_id=f"test-reader-{uuid.uuid4().hex[:6]}",
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        deadline = time.monotonic() + timeout
        quiet_deadline: float | None = None
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for recs in batch.values():
                records.extend(recs)
            if len(records) >= count:
                if quiet_for <= 0:
                    break
                quiet_deadline = quiet_deadline or time.monotonic() + quiet_for
                if time.monotonic() >= quiet_deadline:
                    break
    finally:
        await consumer.stop()
    return records


def payloads(records: list[ConsumerRecord], kind: type[Message]) -> list[Message]:
    return [serde.unpack(serde.decode(r.value), kind) for r in records]


def header(record: ConsumerRecord, name: str) -> str | None:
    """The last header of that name (as Kafka's Headers.lastHeader): a dead letter keeps the
    original headers, which may carry older or forged lammesh-dlq-* ones, and appends its own."""
    found = None
    for key, value in record.headers or ():
        if key == name:
            found = value
    return None if found is None else found.decode(errors="replace")


async def wait_until(predicate, *, timeout: float = 30.0, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(interval)
    raise TimeoutError("condition not met in time")
