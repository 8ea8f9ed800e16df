"""Shared fixtures. Tests that need Kafka ask for `kafka_bootstrap` (or `settings`): the broker in
LAMMESH_KAFKA_BOOTSTRAP when set, otherwise a real KRaft broker started once per session on free
ports in a temp folder, and stopped at the end."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from lammesh.dev.localkafka import LocalKafka, free_port
from lammesh.settings import Settings


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("LAMMESH_KAFKA_BOOTSTRAP")
    if configured:
        yield configured
        return
    broker = LocalKafka(home=tmp_path_factory.mktemp("kafka"), port=free_port(), controller_port=free_port())
    broker.start()
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


def make_settings(kafka_bootstrap: str, **overrides: object) -> Settings:
    """Settings isolated per test: a unique topic prefix, free ports, short drain."""
    values: dict[str, object] = {
        "kafka_bootstrap": kafka_bootstrap,
        "topic_prefix": f"t{uuid.uuid4().hex[:12]}",
        "topic_partitions": 3,
        "grpc_host": "127.0.0.1",
        "grpc_port": 0,
        "metrics_port": 0,
        "drain_timeout_s": 10.0,
        "log_format": "console",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(kafka_bootstrap: str) -> Settings:
    return make_settings(kafka_bootstrap)
