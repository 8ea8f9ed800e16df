"""The floors the mesh is compared with, measured on the same broker and machine in the same run.

- Kafka hop: one record produced (EnvelopeProducer: acks=all, idempotent, the services' linger) and
  read by a consumer, one at a time; a 5-step saga needs at least 2 hops per step, plus the
  request going in and the terminal event coming out.
- gRPC unary: a health Check, and noop's StepService.Execute (a real step call without Kafka).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import grpc
from aiokafka import AIOKafkaConsumer, TopicPartition
from grpc_health.v1 import health_pb2, health_pb2_grpc

from lammesh.kafka import EnvelopeProducer
from lammesh.kafka.admin import ensure_topics
from lammesh.kafka.client import client_config
from lammesh.settings import Settings
from lammesh.structs import to_struct
from lammesh.topics import TopicSpec
from lammesh.v1 import step_pb2, step_pb2_grpc, task_pb2
from loadtest.histogram import LatencyHistogram

HOP_TOPIC = TopicSpec(
    "loadtest.hop", partitions=1, retention_ms=3_600_000, description="Load test: Kafka hop baseline."
)


async def kafka_hop(settings: Settings, count: int = 300, warmup: int = 30) -> dict[str, Any]:
    """Produce -> consume latency of one small Envelope, one record in flight at a time."""
    await ensure_topics(settings, [HOP_TOPIC])
    topic = HOP_TOPIC.name(settings)
    producer = EnvelopeProducer(settings, name="loadtest-hop")
    consumer = AIOKafkaConsumer(
        **client_config(settings, f"loadtest-hop-{uuid.uuid4().hex[:6]}"), group_id=None, enable_auto_commit=False
    )
    await producer.start()
    await consumer.start()
    partition = TopicPartition(topic, 0)
    consumer.assign([partition])
    await consumer.seek_to_end(partition)
    await consumer.position(partition)
    hist = LatencyHistogram()
    try:
        for index in range(count + warmup):
            task_id = f"hop-{index}"
            message = task_pb2.TaskTimerFired(task_id=task_id)
            started = time.perf_counter()
            await producer.send(topic, message, task_id=task_id)
            while True:
                batch = await consumer.getmany(partition, timeout_ms=5000)
                records = batch.get(partition, [])
                if not records:
                    raise RuntimeError("kafka hop baseline: a record did not come back within 5 s")
                if any(r.key == task_id.encode() for r in records):
                    break
            if index >= warmup:
                hist.record(time.perf_counter() - started)
            await producer.confirm()
    finally:
        await consumer.stop()
        await producer.stop()
    return hist.summary()


async def grpc_unary(address: str, count: int = 500, warmup: int = 50) -> dict[str, Any]:
    """Sequential unary calls to one service: a health Check and noop's StepService.Execute."""
    health = LatencyHistogram()
    execute = LatencyHistogram()
    async with grpc.aio.insecure_channel(address) as channel:
        health_stub = health_pb2_grpc.HealthStub(channel)
        step_stub = step_pb2_grpc.StepServiceStub(channel)
        for index in range(count + warmup):
            started = time.perf_counter()
            await health_stub.Check(health_pb2.HealthCheckRequest())
            if index >= warmup:
                health.record(time.perf_counter() - started)
        for index in range(count + warmup):
            command = step_pb2.StepCommand(
                task_id=f"grpc-baseline-{uuid.uuid4().hex[:8]}",
                step_id="s1",
                attempt=1,
                capability="noop",
                action=step_pb2.STEP_ACTION_EXECUTE,
                input=to_struct({"payload": index}),
                tenant="loadtest",
            )
            started = time.perf_counter()
            await step_stub.Execute(step_pb2.ExecuteRequest(command=command), timeout=10)
            if index >= warmup:
                execute.record(time.perf_counter() - started)
    return {"health_check": health.summary(), "noop_execute": execute.summary()}
