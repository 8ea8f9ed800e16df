"""The coordinator's stream worker: a Faust app embedded in the service runtime.

One agent reads the co-partitioned topics tasks.requested, steps.results and tasks.control, keyed
by task id, and runs records in ordered lanes (lammesh.lanes): records of different tasks overlap, those
of one task are applied in order. Acks are manual: Faust commits an offset only once every record
before it was stored, and a revocation waits for the lanes to drain (docs/decisions/0007). Saga state lives in the Faust
table "sagas" (changelog topic <prefix>-coordinator-sagas-changelog), so a restarted or second
instance recovers it. Table writes must happen inside the stream, so the timer loop does not touch
state: it publishes TaskTimerFired records for due tasks into tasks.control.

Task starts are paced (lammesh.coordinator.pacing, decision 0640): while
`coordinator_max_active_sagas` sagas run here, a request for a new task is held, unacknowledged,
with every later record of its task, and released in arrival order as sagas end.
"""

from __future__ import annotations

import asyncio
import functools
import shutil
import time
import weakref
from pathlib import Path

import faust
import structlog
from aiokafka.errors import KafkaError
from faust.exceptions import ConsistencyError
from faust.streams import _current_event

from lammesh import envelope as serde
from lammesh import metrics
from lammesh.coordinator.codec import timestamp
from lammesh.coordinator.faust_app import coordinator_app
from lammesh.coordinator.pacing import StartPacer
from lammesh.coordinator.processor import Forget, SagaProcessor
from lammesh.coordinator.store import RocksDBStore
from lammesh.coordinator.timers import TimerIndex
from lammesh.kafka import EnvelopeProducer, PoisonRecord
from lammesh.kafka.producer import RecordTooLarge
from lammesh.lanes import OrderedLanes
from lammesh.saga import Saga
from lammesh.saga import TaskStatus as SagaStatus
from lammesh.settings import Settings
from lammesh.topics import COORDINATOR_APP, STEPS_RESULTS, TASKS_CONTROL, TASKS_REQUESTED
from lammesh.v1 import task_pb2

log = structlog.get_logger(__name__)


class CoordinatorWorker:
    """Fits the ServiceRuntime worker protocol: start, stop, `assigned`, `task`."""

    def __init__(self, settings: Settings, processor: SagaProcessor, producer: EnvelopeProducer) -> None:
        self._settings = settings
        self._processor = processor
        self._producer = producer
        self.assigned = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self._timer_index = TimerIndex()
        self._assignment: frozenset[int] | None = None
        self._saw_assignment = False
        self._group = f"{settings.topic_prefix}-{COORDINATOR_APP}"
        self._control_topic = TASKS_CONTROL.name(settings)
        self._requested_topic = TASKS_REQUESTED.name(settings)
        self.app = coordinator_app(settings, self._group)
        self.table = self.app.Table("sagas", key_type=str, value_type=bytes, partitions=settings.topic_partitions)
        source = self.app.topic(
            self._requested_topic,
            STEPS_RESULTS.name(settings),
            self._control_topic,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
        )
        self.app.agent(source, name="sagas", concurrency=1)(self._agent)
        self.app.on_partitions_assigned.connect(self._on_assigned)
        self.app.on_partitions_revoked.connect(self._on_revoked)
        self._lanes: OrderedLanes | None = None
        self._pacer: StartPacer[faust.types.EventT] = StartPacer(settings.coordinator_max_active_sagas)
        self._submitting = asyncio.Lock()  # the stream and the releases submit to the lanes in turn: one order per task
        self._released = asyncio.Event()

    @property
    def group(self) -> str:
        """The coordinator's consumer group (its committed offsets say what it has read)."""
        return self._group

    def owned_partitions(self) -> frozenset[int] | None:
        """Partitions of tasks.requested this instance owns now; None while a rebalance or a
        table recovery is under way."""
        return self._assignment

    async def _on_assigned(self, sender: object, assigned: object, **_: object) -> None:
        self._saw_assignment = True

    async def _on_revoked(self, sender: object, revoked: object, **_: object) -> None:
        # Faust revokes the table's partitions after this returns: finish every record started
        # (and store its saga) while this instance still owns them.
        if self._lanes is not None:
            await self._lanes.drain()
        # Held records are unacknowledged: after the rebalance they are read again from the
        # committed offsets, here or by the new owner.
        self._pacer.reset()
        self._observe_pacing()

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._settings.coordinator_data_dir.mkdir(parents=True, exist_ok=True)
        await self.app.start()
        self.task = asyncio.create_task(self._timers(), name="coordinator-timers")

    async def stop(self, timeout: float | None = None) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await asyncio.wait_for(self.app.stop(), timeout)
        if isinstance(self.table.data, RocksDBStore):
            self.table.data.close()

    # -- the stream --------------------------------------------------------------------------

    async def _agent(self, stream: faust.Stream) -> None:
        lanes = self._lanes = OrderedLanes(self._settings.coordinator_max_in_flight)
        releases = asyncio.create_task(self._release_held(lanes), name="coordinator-release-held")
        try:
            async for event in stream.noack().events():
                key = event.message.key
                starts = event.message.topic == self._requested_topic and self._unknown_task(key)
                async with self._submitting:
                    if self._pacer.offer(key, event, starts_saga=starts):
                        await lanes.submit(key, functools.partial(self._process_and_ack, event, starts))
                    else:
                        self._observe_pacing()
        finally:
            releases.cancel()
            await asyncio.gather(releases, return_exceptions=True)
            await lanes.cancel()

    def _unknown_task(self, key: bytes | None) -> bool:
        return key is not None and self.table.get(key.decode(errors="replace")) is None

    async def _release_held(self, lanes: OrderedLanes) -> None:
        """Hand held records to the lanes as sagas end (a held task's first record is its start)."""
        while True:
            await self._released.wait()
            self._released.clear()
            async with self._submitting:
                first: set[bytes | None] = set()
                for event in self._pacer.release():
                    key = event.message.key
                    starts = key not in first
                    first.add(key)
                    await lanes.submit(key, functools.partial(self._process_and_ack, event, starts))
            self._observe_pacing()

    def _observe_pacing(self) -> None:
        metrics.COORDINATOR_REQUESTS_HELD.set(self._pacer.held)
        metrics.COORDINATOR_ACTIVE_SAGAS.set(self._pacer.active)

    async def _process_and_ack(self, event: faust.types.EventT, starts: bool = False) -> None:
        # Table writes find their partition through Faust's current event: a released record runs
        # in a task the release created, outside the stream's iteration, so name it here.
        _current_event.set(weakref.ref(event))
        try:
            if not self.app.flow_control.is_active() or event.message.generation_id != self.app.consumer_generation_id:
                # Fetched before a rebalance that began while it waited in its lane: as Faust's own
                # stream does, leave it (unacked, uncommitted) to whoever owns the partition now.
                return
            with metrics.COORDINATOR_RECORDS_IN_FLIGHT.track_inprogress():
                await self._process(event)
            event.ack()
        finally:
            if starts:
                self._pacer.start_finished()
                self._released.set()

    async def _process(self, event: faust.types.EventT) -> None:
        message = event.message
        started = time.perf_counter()
        while True:
            try:
                envelope = serde.decode(event.value)
                task_id = self._processor.task_id(envelope)
                outcome = await self._processor.handle(envelope, self.table.get(task_id))
            except (serde.EnvelopeError, PoisonRecord, RecordTooLarge) as exc:
                log.warning(
                    "poison record",
                    reason=exc.reason,
                    in_recovery=self.app.tables.recovery.in_recovery,
                    topic=message.topic,
                    partition=message.partition,
                    offset=message.offset,
                )
                await self._dead_letter(message, exc.reason)
                return
            except KafkaError as exc:
                # Outputs could not be produced; nothing was stored. Try the same record again.
                log.warning("publishing failed; retrying the record", error=str(exc), offset=message.offset)
                await asyncio.sleep(0.5)
                continue
            except Exception as exc:  # a bug must not stall the partition
                log.exception("coordinator failed on a record", topic=message.topic, offset=message.offset)
                await self._dead_letter(message, f"handler error: {type(exc).__name__}: {exc}")
                return
            break
        if isinstance(outcome, Forget):
            del self.table[task_id]
            self._timer_index.forgotten(task_id)
            self._saga_ended(task_id)
            metrics.TASKS_FORGOTTEN.inc()
        elif outcome is not None:
            saga, row = outcome
            self.table[task_id] = row
            self._track(saga)
        metrics.MESSAGES.labels(message.topic, "ok").inc()
        metrics.MESSAGE_SECONDS.labels(message.topic).observe(time.perf_counter() - started)

    async def _dead_letter(self, message: faust.types.Message, reason: str) -> None:
        await self._producer.confirm([await self._producer.dead_letter(message, reason, group=self._group)])
        metrics.MESSAGES.labels(message.topic, "dead_lettered").inc()

    # -- timers ------------------------------------------------------------------------------

    def _track(self, saga: Saga) -> None:
        """Index when the task next needs a tick: a step timer, or forgetting a finished task."""
        self._timer_index.track(
            saga.task_id,
            due=None if saga.status.terminal else saga.next_timer(),
            forget_at=saga.forget_at(self._settings.coordinator_retention_s),
        )
        if saga.status.terminal or saga.status is SagaStatus.AWAITING_REVIEW:
            self._saga_ended(saga.task_id)  # a task waiting for a person uses no room (0640)
        else:
            self._pacer.running(saga.task_id.encode())

    def _saga_ended(self, task_id: str) -> None:
        key = task_id.encode()
        if key in self._pacer:
            self._pacer.ended(key)
            self._released.set()

    def _discard_local_tables(self) -> None:
        """The local table is ahead of its changelog: the Kafka cluster was reset or the topic
        recreated. The changelog is the truth and the files only a cache of it, so delete them;
        the restart rebuilds the table from the changelog."""
        tables = Path(self.app.conf.tabledir)
        log.error(
            "the coordinator's local table is ahead of its changelog (was Kafka reset?); deleting it so the "
            "restart rebuilds it from the changelog",
            tables=str(tables),
            reason=str(self.app.crash_reason),
        )
        if isinstance(self.table.data, RocksDBStore):
            self.table.data.close()
        shutil.rmtree(tables, ignore_errors=True)

    def _rebuild_index(self) -> list[Saga]:
        """After (re)assignment: the local table holds exactly the tasks this instance owns.
        Returns the tasks still running."""
        self._timer_index.clear()
        running = []
        for _, raw in self.table.items():
            saga = Saga.model_validate_json(raw)
            self._track(saga)
            if not saga.status.terminal:
                running.append(saga)
        return running

    async def _timers(self) -> None:
        interval = self._settings.timer_interval_s
        while True:
            await asyncio.sleep(interval)
            if self.app.crashed:
                if isinstance(self.app.crash_reason, ConsistencyError):
                    self._discard_local_tables()
                # Never sit idle while reporting SERVING: fail the service so it is restarted.
                raise RuntimeError(f"the Faust app crashed: {self.app.crash_reason!r}")
            if self._lanes is not None and self._lanes.failure is not None:
                raise RuntimeError(f"the coordinator failed on a record: {self._lanes.failure!r}")
            if self.app.rebalancing or self.app.tables.recovery.in_recovery or not self._saw_assignment:
                self._assignment = None
                continue
            assignment = frozenset(
                tp.partition for tp in self.app.consumer.assignment() if tp.topic == self._requested_topic
            )
            if assignment != self._assignment:
                running = self._rebuild_index()
                self._assignment = assignment
                resent = await self._processor.resend_in_flight(running)
                log.info(
                    "coordinator partitions",
                    partitions=sorted(assignment),
                    running_tasks=len(running),
                    tasks_with_timers=len(self._timer_index),
                    resent_commands=resent,
                )
                self.assigned.set()
                self._timer_index.taken_over(time.time(), self._settings.timer_recovery_grace_s)
            now = time.time()
            for task_id, due in [*self._timer_index.forgets_due(now), *self._timer_index.due_ticks(now)]:
                await self._producer.send(
                    self._control_topic,
                    task_pb2.TaskTimerFired(task_id=task_id, due_at=timestamp(due)),
                    task_id=task_id,
                )
