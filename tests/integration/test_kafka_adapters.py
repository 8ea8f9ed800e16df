"""Envelope producer and consumer against the real broker: round trip, trace context, the DLQ."""

import pytest

from lammesh import tracing
from lammesh.kafka import EnvelopeConsumer, EnvelopeProducer, InboundRecord, PoisonRecord, ensure_topics
from lammesh.kafka.deadletters import DLQ_REASON, DLQ_SOURCE_OFFSET, DLQ_SOURCE_TOPIC
from lammesh.topics import DLQ, TopicSpec
from lammesh.v1 import step_pb2, task_pb2
from tests.support.kafka import header, read_records, wait_until

pytestmark = pytest.mark.kafka

INBOX = TopicSpec("inbox", partitions=2)


async def _run_consumer(settings, handler):
    await ensure_topics(settings, [INBOX, DLQ])
    producer = EnvelopeProducer(settings, name="test")
    await producer.start()
    consumer = EnvelopeConsumer(
        settings,
        topics=[INBOX.name(settings)],
        group_id=f"{settings.topic_prefix}.g",
        handler=handler,
        producer=producer,
    )
    await consumer.start()
    return producer, consumer


async def test_envelope_round_trip_carries_the_trace(settings):
    tracing.setup_tracing(settings)
    seen: list[InboundRecord] = []

    async def handler(record: InboundRecord) -> None:
        seen.append(record)

    producer, consumer = await _run_consumer(settings, handler)
    try:
        request = task_pb2.TaskRequested(task_id="task-1", workflow="noop5", tenant="acme")
        request.input.update({"x": 1})
        with tracing.tracer().start_as_current_span("submit") as span:
            trace_id = format(span.get_span_context().trace_id, "032x")
            await producer.send(INBOX.name(settings), request, task_id="task-1", tenant="acme", idempotency_key="k1")
        await producer.confirm()
        await wait_until(lambda: _true(len(seen) == 1), timeout=30)
    finally:
        await consumer.stop()
        await producer.stop()
    record = seen[0]
    assert record.key == b"task-1"
    assert record.envelope.message_type == "lammesh.v1.TaskRequested"
    assert (record.envelope.tenant, record.envelope.idempotency_key) == ("acme", "k1")
    assert record.envelope.trace_context["traceparent"].split("-")[1] == trace_id


async def test_the_consumer_fetches_with_the_configured_wait(settings):
    async def handler(record: InboundRecord) -> None:
        pass

    producer, consumer = await _run_consumer(settings.model_copy(update={"consumer_fetch_max_wait_ms": 77}), handler)
    try:
        assert consumer._consumer._fetcher._fetch_max_wait_ms == 77
    finally:
        await consumer.stop()
        await producer.stop()


async def _true(value: bool) -> bool:
    return value


async def test_bad_records_go_to_the_dlq_with_their_reason_and_the_consumer_keeps_going(settings):
    handled: list[str] = []

    async def handler(record: InboundRecord) -> None:
        command = step_pb2.StepCommand()
        command.ParseFromString(record.envelope.payload)
        if command.step_id == "poison":
            raise PoisonRecord("step poison can never run")
        if command.step_id == "bug":
            raise KeyError("missing")
        handled.append(command.step_id)

    producer, consumer = await _run_consumer(settings, handler)
    inbox = INBOX.name(settings)
    try:
        # Same key, so all land on one partition in this order.
        await producer.send(inbox, step_pb2.StepCommand(step_id="first"), task_id="t")
        await producer.send_raw(inbox, b"\x00garbage\xff", key=b"t")
        await producer.send_raw(inbox, None, key=b"t")
        await producer.send(inbox, step_pb2.StepCommand(step_id="poison"), task_id="t")
        await producer.send(inbox, step_pb2.StepCommand(step_id="bug"), task_id="t")
        await producer.send(inbox, step_pb2.StepCommand(step_id="last"), task_id="t")
        await producer.confirm()
        await wait_until(lambda: _true("last" in handled), timeout=30)
        dead = await read_records(settings, DLQ.name(settings), count=4, timeout=30)
    finally:
        await consumer.stop()
        await producer.stop()
    assert handled == ["first", "last"]
    reasons = [header(r, DLQ_REASON) for r in dead]
    assert len(reasons) == 4
    assert reasons[0].startswith("not a protobuf Envelope")
    assert reasons[1] == "empty record value"
    assert reasons[2] == "step poison can never run"
    assert reasons[3].startswith("handler error: KeyError")
    assert dead[0].value == b"\x00garbage\xff"  # the original bytes are kept
    assert {header(r, DLQ_SOURCE_TOPIC) for r in dead} == {inbox}
    assert [int(header(r, DLQ_SOURCE_OFFSET)) for r in dead] == [1, 2, 3, 4]


async def test_ensure_topics_is_idempotent_and_applies_the_policy(settings):
    compacted = TopicSpec("state", partitions=2, compacted=True)
    assert await ensure_topics(settings, [compacted]) == [compacted.name(settings)]
    assert await ensure_topics(settings, [compacted]) == []
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        described = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, compacted.name(settings))])
        entries = {name: value for name, value, *_ in described[0].resources[0][4]}
        topics = await admin.describe_topics([compacted.name(settings)])
    finally:
        await admin.close()
    assert entries["cleanup.policy"] == "compact"
    assert len(topics[0]["partitions"]) == 2
