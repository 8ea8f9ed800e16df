"""The consumer loop every service uses: decode, handle, produce, then commit; bad records to the DLQ.

Guarantees:
- records run in ordered lanes (lammesh.lanes, docs/decisions/0008): records of one key (one
  task) one after the other in offset order, records of different keys concurrently, at most
  consumer_max_in_flight at once, so a slow or stuck record holds up only its own task;
- an offset is committed only after its record's handler returned and everything it produced is
  acked, and only up to the first unfinished record of its partition (the finished prefix); while
  records keep coming, at most every consumer_commit_interval_ms;
- a record that cannot be decoded, or that its handler rejects (including one whose output is
  over kafka_max_record_bytes), goes to the DLQ with the reason in its headers, and its lane
  moves on to the next record;
- when an output cannot be produced (the broker is away), the record is handled again (handlers
  are idempotent) until its outputs are acked; it and the records after it stay uncommitted;
- on stop, and before a rebalance takes the partitions, the records in flight are finished and
  committed; records not yet started are left to the next owner.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, OffsetAndMetadata
from opentelemetry.trace import SpanKind

from lammesh import envelope as serde
from lammesh import metrics, tracing
from lammesh.kafka.client import consumer_config
from lammesh.kafka.fetch import batches
from lammesh.kafka.producer import EnvelopeProducer, RecordTooLarge
from lammesh.lanes import FinishedPrefix, LaneFailure, OrderedLanes
from lammesh.settings import Settings
from lammesh.v1 import envelope_pb2

log = structlog.get_logger(__name__)


class PoisonRecord(Exception):
    """Raised by a handler for a record that can never be handled; it goes to the DLQ."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class InboundRecord:
    envelope: envelope_pb2.Envelope
    topic: str
    partition: int
    offset: int
    key: bytes | None
    timestamp_ms: int


Handler = Callable[[InboundRecord], Awaitable[None]]


class _Rebalance(ConsumerRebalanceListener):
    def __init__(self, owner: EnvelopeConsumer) -> None:
        self._owner = owner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        # Let the records in flight finish and commit before the partitions move elsewhere.
        await self._owner._revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info("partitions assigned", group=self._owner.group_id, partitions=len(assigned))
        self._owner._generation += 1
        self._owner.assigned.set()
        if self._owner._on_assigned is not None:
            self._owner._on_assigned(assigned)


class EnvelopeConsumer:
    def __init__(
        self,
        settings: Settings,
        *,
        topics: list[str],
        group_id: str,
        handler: Handler,
        producer: EnvelopeProducer,
        on_assigned: Callable[[set[TopicPartition]], None] | None = None,
    ) -> None:
        self.group_id = group_id
        self.topics = topics
        self.assigned = asyncio.Event()
        self._settings = settings
        self._handler = handler
        self._producer = producer
        self._on_assigned = on_assigned
        self._consumer = AIOKafkaConsumer(
            **consumer_config(settings, f"{settings.service_name}-{group_id}"),
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            metadata_max_age_ms=30_000,  # notice new partitions within half a minute
        )
        self._lanes = OrderedLanes(settings.consumer_max_in_flight)
        self._prefix = FinishedPrefix()
        # Bumped at every revocation and assignment: a record read under an older one is left
        # (unhandled, uncommitted) to whoever owns its partition now.
        self._generation = 0
        self._commit_lock = asyncio.Lock()
        self._in_flight = metrics.CONSUMER_RECORDS_IN_FLIGHT.labels(group_id)
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        self._consumer.subscribe(self.topics, listener=_Rebalance(self))
        self._task = asyncio.create_task(self._run(), name=f"consumer:{self.group_id}")

    async def stop(self, timeout: float | None = None) -> None:
        """Finish and commit the records in flight, then leave the group."""
        self._stopping.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout)
            except TimeoutError:
                log.warning("consumer did not drain in time; uncommitted records will be redelivered")
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
            except Exception:
                pass
        await self._commit()  # what finished, also when the drain ran out of time
        await self._consumer.stop()

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The running loop; it ends only on stop, or with the exception that broke it."""
        return self._task

    async def _run(self) -> None:
        max_records = self._settings.consumer_max_batch
        # Under load every fetch returns a record or two, and an OffsetCommit per fetch was the
        # broker's largest cost per step (#14): while records keep coming, commit at most every
        # interval; when a fetch comes back empty, at once. A later commit only means more records
        # read again after a crash, which the handlers' idempotency makes safe.
        interval = self._settings.consumer_commit_interval_ms / 1000
        loop = asyncio.get_running_loop()
        last_commit = loop.time()
        try:
            fetched = batches(self._consumer, timeout_ms=100, max_records=max_records, reader=self.group_id)
            async with contextlib.aclosing(fetched):
                async for batch in fetched:
                    if self._stopping.is_set():
                        break
                    generation = self._generation
                    for tp, records in batch.items():
                        for record in records:
                            if self._stopping.is_set() or generation != self._generation:
                                break  # stopping, or a rebalance came: the rest is the next owner's
                            await self._submit(tp, record, generation)
                    if not batch or loop.time() - last_commit >= interval:
                        await self._commit()
                        last_commit = loop.time()
            await self._lanes.drain()
        except BaseException:  # cancelled (stop ran out of time), or a lane failed: stop the rest
            await self._lanes.cancel()
            raise
        await self._commit()

    async def _submit(self, tp: TopicPartition, record: ConsumerRecord, generation: int) -> None:
        try:
            self._prefix.started(tp, record.offset)
        except ValueError:
            # Read again around a rebalance while it is still in flight, or already finished.
            log.warning(
                "record read twice; the first read handles it",
                topic=tp.topic,
                partition=tp.partition,
                offset=record.offset,
            )
            return
        await self._lanes.submit((tp, record.key), functools.partial(self._work, tp, record, generation))

    async def _work(self, tp: TopicPartition, record: ConsumerRecord, generation: int) -> None:
        """One record in its lane: handle it, confirm its own outputs, mark it finished."""
        with self._in_flight.track_inprogress():
            while generation == self._generation:
                with self._producer.collecting() as sent:
                    try:
                        await self._handle_record(record)
                        await self._producer.confirm(sent)
                    except KafkaError:
                        if self._stopping.is_set():
                            return  # not finished, not committed: read again after the restart
                        # A result could not be produced: nothing of this record is committed and
                        # it is handled again (handlers are idempotent).
                        log.exception("producing results failed; handling the record again", offset=record.offset)
                        await asyncio.sleep(0.5)
                        continue
                self._prefix.finished(tp, record.offset)
                return

    async def _revoked(self, revoked: set[TopicPartition]) -> None:
        self._generation += 1  # records waiting in their lanes are left to the next owner
        try:
            await self._lanes.drain()
        except LaneFailure:
            pass  # the loop raises it and the service fails
        await self._commit()
        self._prefix.forget(revoked)

    async def _commit(self) -> None:
        async with self._commit_lock:
            positions = self._prefix.advanced()
            if not positions:
                return
            try:
                await self._consumer.commit({tp: OffsetAndMetadata(pos, "") for tp, pos in positions.items()})
            except KafkaError as exc:
                # Typically a rebalance took the partitions; the new owner re-reads from the last
                # commit and the step services' idempotency makes that safe.
                log.warning("offset commit failed", error=str(exc))
                return
            self._prefix.committed(positions)

    async def _handle_record(self, record: ConsumerRecord) -> None:
        started = time.perf_counter()
        try:
            envelope = serde.decode(record.value)
        except serde.EnvelopeError as exc:
            await self.dead_letter(record, exc.reason)
            return
        inbound = InboundRecord(
            envelope=envelope,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            timestamp_ms=record.timestamp,
        )
        parent = tracing.context_from(envelope.trace_context)
        attributes = {
            tracing.TASK_ID: envelope.task_id,
            "messaging.system": "kafka",
            "messaging.destination.name": record.topic,
            "messaging.consumer.group.name": self.group_id,
        }
        with tracing.tracer().start_as_current_span(
            f"consume {record.topic}", context=parent, kind=SpanKind.CONSUMER, attributes=attributes
        ):
            structlog.contextvars.bind_contextvars(task_id=envelope.task_id, trace_id=tracing.trace_id_hex())
            try:
                await self._handler(inbound)
            except (PoisonRecord, serde.EnvelopeError, RecordTooLarge) as exc:
                await self.dead_letter(record, exc.reason)
                return
            except KafkaError:
                raise
            except Exception as exc:  # a handler bug must not stall the partition
                log.exception("handler failed; record dead-lettered", offset=record.offset)
                await self.dead_letter(record, f"handler error: {type(exc).__name__}: {exc}")
                return
            finally:
                structlog.contextvars.unbind_contextvars("task_id", "trace_id")
        metrics.MESSAGES.labels(record.topic, "ok").inc()
        metrics.MESSAGE_SECONDS.labels(record.topic).observe(time.perf_counter() - started)

    async def dead_letter(self, record: ConsumerRecord, reason: str) -> None:
        await self._producer.dead_letter(record, reason, group=self.group_id)
        metrics.MESSAGES.labels(record.topic, "dead_lettered").inc()
