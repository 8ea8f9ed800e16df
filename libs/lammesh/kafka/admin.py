"""Topic creation: every topic the code uses is created from its TopicSpec, idempotently."""

from __future__ import annotations

from collections.abc import Iterable

import asyncio

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
            await _wait_until_visible(admin, created)
            log.info("topics created", topics=created)
        return created
    finally:
        await admin.close()


async def _wait_until_visible(admin: AIOKafkaAdminClient, names: list[str], timeout: float = 30.0) -> None:
    """Creation is acknowledged before every broker knows the topic; a consumer subscribing in that
    window gets no partitions until its next metadata refresh. Wait until each partition has a leader."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        described = await admin.describe_topics(names)
        if all(t["error_code"] == 0 and t["partitions"] and all(p["leader"] >= 0 for p in t["partitions"]) for t in described):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise RuntimeError(f"topics {names} were created but have no leaders after {timeout:.0f}s")
        await asyncio.sleep(0.05)
