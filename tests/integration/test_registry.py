"""The capability registry: a step service registers SERVING at start and STOPPED at stop, and
`lammesh agents --json` lists it from the compacted topic."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from lammesh.registry import read_registry
from lammesh.v1 import registry_pb2
from tests.support.mesh import running
from tests.support.services import noop as bootstrap

pytestmark = pytest.mark.kafka


async def test_step_service_registers_and_deregisters(settings):
    settings = settings.model_copy(update={"service_name": "noop", "instance_id": "noop-a"})
    runtime = bootstrap(settings)
    await runtime.start()
    try:
        entries = await read_registry(settings)
        [entry] = [e for e in entries if e.registration.instance_id == "noop-a"]
        assert entry.registration.capability == "noop"
        assert entry.registration.version == "1.0.0"
        assert entry.registration.kind == registry_pb2.SERVICE_KIND_TOOL
        assert entry.registration.grpc_endpoint.endswith(f":{runtime.grpc.port}")
        assert entry.registration.command_topic == f"{settings.topic_prefix}.steps.noop"
        assert entry.health == "SERVING"

        env = {
            **os.environ,
            "LAMMESH_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
            "LAMMESH_TOPIC_PREFIX": settings.topic_prefix,
        }
        listed = subprocess.run(
            [sys.executable, "-m", "lammesh.cli", "agents", "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        rows = [json.loads(line) for line in listed.stdout.splitlines()]
        assert [(r["capability"], r["version"], r["health"], r["kind"]) for r in rows] == [
            ("noop", "1.0.0", "SERVING", "tool")
        ]
    finally:
        await runtime.stop()
    [after] = [e for e in await read_registry(settings) if e.registration.instance_id == "noop-a"]
    assert after.health == "STOPPED"


async def test_unreadable_registry_records_are_skipped(settings):
    from lammesh.kafka import EnvelopeProducer, ensure_topics
    from lammesh.topics import REGISTRY

    await ensure_topics(settings, [REGISTRY])
    producer = EnvelopeProducer(settings, name="fuzzer")
    await producer.start()
    try:
        await producer.send_raw(REGISTRY.name(settings), b"\x07not protobuf", key=b"\xff\xfe not utf-8")
        await producer.send_raw(REGISTRY.name(settings), b"\x00", key=b"noop/ghost")
        await producer.confirm()
    finally:
        await producer.stop()
    runtime = bootstrap(settings.model_copy(update={"service_name": "noop", "instance_id": "noop-b"}))
    async with running(runtime):
        entries = await read_registry(settings)
    assert [(e.registration.instance_id, e.health) for e in entries] == [("noop-b", "SERVING")]
