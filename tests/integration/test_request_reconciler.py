"""The request reconciler against the real broker: a request the coordinator group committed past
without a task snapshot is published again; a started task's and an unread request are not. The same
for cancels and review decisions without a trace in tasks.events (0641)."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from lammesh import envelope as serde
from lammesh.coordinator.reconciler import REPUBLISHED_HEADER, RequestReconciler
from lammesh.kafka import EnvelopeProducer, ensure_topics
from lammesh.structs import to_struct
from lammesh.topics import COORDINATOR_APP, CORE_TOPICS, TASKS_CONTROL, TASKS_EVENTS, TASKS_REQUESTED, TASKS_STATE
from lammesh.v1 import review_pb2, task_pb2
from tests.conftest import make_settings
from tests.support.kafka import header, read_records

pytestmark = pytest.mark.kafka


async def test_a_request_read_past_without_a_task_is_published_again(kafka_bootstrap):
    settings = make_settings(kafka_bootstrap, topic_partitions=1, reconcile_interval_s=0.3)
    await ensure_topics(settings, CORE_TOPICS)
    group = f"{settings.topic_prefix}-{COORDINATOR_APP}"
    requested = TASKS_REQUESTED.name(settings)
    producer = EnvelopeProducer(settings, name="test")
    await producer.start()
    try:
        for task_id in ("started", "skipped"):
            await producer.send(
                requested, task_pb2.TaskRequested(task_id=task_id, workflow="noop_saga"), task_id=task_id
            )
        await producer.send(
            TASKS_STATE.name(settings), task_pb2.Task(task_id="started", workflow="noop_saga"), task_id="started"
        )
        await producer.confirm()
        # The coordinator group has read (and committed) past both requests, as Faust does when it skips one.
        committer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=group, enable_auto_commit=False)
        await committer.start()
        committer.assign([TopicPartition(requested, 0)])
        await committer.commit({TopicPartition(requested, 0): OffsetAndMetadata(2, "")})
        await committer.stop()
        # A third request the group has not read yet: a backlog, not a loss.
        await producer.send(requested, task_pb2.TaskRequested(task_id="queued", workflow="noop_saga"), task_id="queued")
        await producer.confirm()

        reconciler = RequestReconciler(settings, producer, group=group, owned=lambda: frozenset({0}))
        await reconciler.start()
        try:
            records = await read_records(
                settings, requested, count=4, timeout=60, quiet_for=3 * settings.reconcile_interval_s
            )
        finally:
            await reconciler.stop()
    finally:
        await producer.stop()
    task_ids = [serde.decode(r.value).task_id for r in records]
    assert task_ids[:3] == ["started", "skipped", "queued"]
    assert task_ids[3:] == ["skipped"], task_ids  # once: the copy is not read past yet
    copy = records[3]
    assert header(copy, REPUBLISHED_HEADER) == "reconciler"
    assert (
        copy.key == b"skipped"
        and serde.unpack(serde.decode(copy.value), task_pb2.TaskRequested).workflow == "noop_saga"
    )


async def test_control_records_read_past_without_effect_are_published_again(kafka_bootstrap):
    settings = make_settings(kafka_bootstrap, topic_partitions=1, reconcile_interval_s=0.3)
    await ensure_topics(settings, CORE_TOPICS)
    group = f"{settings.topic_prefix}-{COORDINATOR_APP}"
    control = TASKS_CONTROL.name(settings)
    events = TASKS_EVENTS.name(settings)
    producer = EnvelopeProducer(settings, name="test")
    await producer.start()
    try:
        await producer.send(
            control, task_pb2.TaskCancelRequested(task_id="cancel-applied", reason="r"), task_id="cancel-applied"
        )
        await producer.send(
            control, task_pb2.TaskCancelRequested(task_id="cancel-lost", reason="r"), task_id="cancel-lost"
        )
        for review_id in ("decided-lost:send:1", "decided-applied:send:1"):
            task_id = review_id.split(":")[0]
            await producer.send(
                control,
                review_pb2.ReviewDecided(
                    review_id=review_id, task_id=task_id, step_id="send", decision=review_pb2.REVIEW_DECISION_APPROVED
                ),
                task_id=task_id,
            )
        await producer.send(control, task_pb2.TaskTimerFired(task_id="ticked"), task_id="ticked")  # never repaired
        applied = [
            task_pb2.TaskEvent(task_id="cancel-applied", sequence=4, kind="task.cancel_requested"),
            task_pb2.TaskEvent(
                task_id="decided-applied",
                sequence=3,
                kind="review.decided",
                details=to_struct({"review_id": "decided-applied:send:1"}),
            ),
        ]
        for event in applied:
            await producer.send(events, event, task_id=event.task_id)
        await producer.confirm()
        committer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=group, enable_auto_commit=False)
        await committer.start()
        committer.assign([TopicPartition(control, 0)])
        await committer.commit({TopicPartition(control, 0): OffsetAndMetadata(5, "")})
        await committer.stop()
        await producer.send(control, task_pb2.TaskCancelRequested(task_id="cancel-unread"), task_id="cancel-unread")
        await producer.confirm()

        reconciler = RequestReconciler(settings, producer, group=group, owned=lambda: frozenset({0}))
        await reconciler.start()
        try:
            records = await read_records(
                settings, control, count=8, timeout=60, quiet_for=3 * settings.reconcile_interval_s
            )
        finally:
            await reconciler.stop()
    finally:
        await producer.stop()
    copies = records[6:]
    assert sorted(serde.decode(r.value).task_id for r in copies) == ["cancel-lost", "decided-lost"], [
        serde.decode(r.value).task_id for r in records
    ]
    assert all(header(r, REPUBLISHED_HEADER) == "reconciler" for r in copies)
    review = next(
        serde.unpack(serde.decode(r.value), review_pb2.ReviewDecided) for r in copies if r.key == b"decided-lost"
    )
    assert review.review_id == "decided-lost:send:1" and review.decision == review_pb2.REVIEW_DECISION_APPROVED
