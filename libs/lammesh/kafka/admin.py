"""Topic creation: every topic the code uses is created from its TopicSpec, idempotently."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from lammesh.kafka.client import client_config
from lammesh.settings import Settings
from lammesh.topics import TopicSpec

log = structlog.get_logger(__name__)


async def ensure_topics(settings: Settings, specs: Iterable[TopicSpec]) -> list[str]:
    """Create the topics that do not exist yet; returns the names of those created."""
    specs = list(specs)
    admin = AIOKafkaAdminClient(**client_config(settings, f"{settings.service_name}-admin"))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name=spec.name(settings),
                num_partitions=spec.partition_count(settings),
                replication_factor=settings.topic_replication,
                topic_configs=spec.config(),
            )
            for spec in specs
            if spec.name(settings) not in existing
        ]
        if not wanted:
            await _wait_until_ready(admin, [spec.name(settings) for spec in specs])
            return []
        response = await admin.create_topics(wanted)
        created = []
        for name, code, *rest in response.topic_errors:
            if code == 0:
                created.append(name)
            elif code != TopicAlreadyExistsError.errno:  # lost a race with another service: fine
                message = rest[0] if rest else ""
                raise RuntimeError(f"creating topic {name} failed: error {code} {message}")
        if created:
            log.info("topics created", topics=created)
        await _wait_until_ready(admin, [spec.name(settings) for spec in specs])
        return created
    finally:
        await admin.close()


async def _wait_until_ready(admin: AIOKafkaAdminClient, names: list[str], timeout: float = 30.0) -> None:
    """Wait until every topic has all its partitions led: a consumer that subscribes to a topic the
    broker still reports without partitions joins its group with nothing assigned and, until its
    next metadata refresh (minutes), never sees a record (seen on a broker that just started while
    a dozen services created their topics at once)."""
    if not names:
        return
    deadline = time.monotonic() + timeout
    while True:
        pending = []
        for topic in await admin.describe_topics(names):
            partitions = topic.get("partitions") or []
            if topic.get("error_code", 0) != 0 or not partitions or any(p.get("leader", -1) < 0 for p in partitions):
                pending.append(topic.get("topic"))
        if not pending:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"topics not ready after {timeout:.0f}s: {sorted(pending)}")
        await asyncio.sleep(0.2)
