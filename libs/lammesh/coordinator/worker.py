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
import heapq
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
from lammesh.coordinator.pacing import StartPacer
from lammesh.coordinator.processor import Forget, SagaProcessor
from lammesh.coordinator.store import RocksDBStore, store_url
from lammesh.kafka import EnvelopeProducer, PoisonRecord
from lammesh.kafka.client import sasl_login, ssl_context
from lammesh.kafka.consumer import dlq_headers
from lammesh.kafka.producer import RecordTooLarge
from lammesh.lanes import OrderedLanes
from lammesh.saga import Saga
from lammesh.saga import TaskStatus as SagaStatus
from lammesh.settings import Settings
from lammesh.topics import COORDINATOR_APP, STEPS_RESULTS, TASKS_CONTROL, TASKS_REQUESTED
from lammesh.v1 import task_pb2

log = structlog.get_logger(__name__)


def _broker_urls(settings: Settings) -> list[str]:
    return [f"kafka://{host.strip()}" for host in settings.kafka_bootstrap.split(",") if host.strip()]


def _credentials(settings: Settings) -> faust.types.auth.CredentialsT | None:
    """The same TLS context and SASL login every aiokafka client gets, in Faust's terms."""
    context, login = ssl_context(settings), sasl_login(settings)
    if login is not None:
        return faust.SASLCredentials(
            username=login.username, password=login.password, mechanism=login.mechanism, ssl_context=context
        )
    return faust.SSLCredentials(context) if context is not None else None


class CoordinatorWorker:
    """Fits the ServiceRuntime worker protocol: start, stop, `assigned`, `task`."""

    def __init__(self, settings: Settings, processor: SagaProcessor, producer: EnvelopeProducer) -> None:
        self._settings = settings
        self._processor = processor
        self._producer = producer
        self.assigned = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self._due: dict[str, float] = {}
        self._fired: dict[str, tuple[float, float]] = {}  # task -> (due, when its tick was sent)
        # Finished tasks wait days to be forgotten: a heap, so the timer loop does not scan them.
        self._forget_at: dict[str, float] = {}
        self._forget_queue: list[tuple[float, str]] = []
        self._assignment: frozenset[int] | None = None
        self._hold_overdue_until = 0.0
        self._saw_assignment = False
        self._group = f"{settings.topic_prefix}-{COORDINATOR_APP}"
        self._control_topic = TASKS_CONTROL.name(settings)
        self._requested_topic = TASKS_REQUESTED.name(settings)
        self.app = faust.App(
            self._group,
            broker=_broker_urls(settings),
            broker_credentials=_credentials(settings),
            store=store_url(settings.coordinator_store),
            datadir=str(settings.coordinator_data_dir / settings.topic_prefix),
            web_enabled=False,
            autodiscover=False,
            topic_partitions=settings.topic_partitions,
            topic_replication_factor=settings.topic_replication,
            consumer_auto_offset_reset="earliest",
            broker_commit_interval=1.0,
            producer_linger_ms=settings.producer_linger_ms,
            producer_max_request_size=settings.kafka_max_record_bytes,  # table rows are checked against it
            stream_wait_empty=False,
            table_standby_replicas=0,
            broker_session_timeout=settings.coordinator_session_timeout_s,
            broker_heartbeat_interval=max(settings.coordinator_session_timeout_s / 3, 0.5),
        )
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
            self._due.pop(task_id, None)
            self._fired.pop(task_id, None)
            self._forget_at.pop(task_id, None)
            self._saga_ended(task_id)
            metrics.TASKS_FORGOTTEN.inc()
        elif outcome is not None:
            saga, row = outcome
            self.table[task_id] = row
            self._track(saga)
        metrics.MESSAGES.labels(message.topic, "ok").inc()
        metrics.MESSAGE_SECONDS.labels(message.topic).observe(time.perf_counter() - started)

    async def _dead_letter(self, message: faust.types.Message, reason: str) -> None:
        headers = dlq_headers(
            message.headers,
            reason,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            group=self._group,
        )
        sent = await self._producer.send_dead_letter(message.value, key=message.key, headers=headers)
        await self._producer.confirm([sent])
        log.warning("record dead-lettered", reason=reason, topic=message.topic, offset=message.offset)
        metrics.MESSAGES.labels(message.topic, "dead_lettered").inc()
        metrics.DEAD_LETTERS.labels(message.topic).inc()

    # -- timers ------------------------------------------------------------------------------

    def _track(self, saga: Saga) -> None:
        """Index when the task next needs a tick: a step timer, or forgetting a finished task."""
        forget_at = saga.forget_at(self._settings.coordinator_retention_s)
        if forget_at is not None and self._forget_at.get(saga.task_id) != forget_at:
            self._schedule_forget(saga.task_id, forget_at)
        if saga.status.terminal or saga.status is SagaStatus.AWAITING_REVIEW:
            self._saga_ended(saga.task_id)  # a task waiting for a person uses no room (0640)
        else:
            self._pacer.running(saga.task_id.encode())
        due = None if saga.status.terminal else saga.next_timer()
        if due is None:
            self._due.pop(saga.task_id, None)
            self._fired.pop(saga.task_id, None)
        else:
            self._due[saga.task_id] = due

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

    def _schedule_forget(self, task_id: str, at: float) -> None:
        self._forget_at[task_id] = at
        heapq.heappush(self._forget_queue, (at, task_id))

    async def _forget_due(self, now: float) -> None:
        while self._forget_queue and self._forget_queue[0][0] <= now:
            at, task_id = heapq.heappop(self._forget_queue)
            if self._forget_at.get(task_id) != at:
                continue  # rescheduled since, or already forgotten
            await self._producer.send(
                self._control_topic, task_pb2.TaskTimerFired(task_id=task_id, due_at=timestamp(at)), task_id=task_id
            )
            self._schedule_forget(task_id, now + 60.0)  # again if that tick is lost; forgetting drops it

    def _rebuild_index(self) -> list[Saga]:
        """After (re)assignment: the local table holds exactly the tasks this instance owns.
        Returns the tasks still running."""
        self._due.clear()
        self._fired.clear()
        self._forget_at.clear()
        self._forget_queue.clear()
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
                    tasks_with_timers=len(self._due),
                    resent_commands=resent,
                )
                self.assigned.set()
                self._hold_overdue_until = time.time() + self._settings.timer_recovery_grace_s
            now = time.time()
            await self._forget_due(now)
            for task_id, due in list(self._due.items()):
                # Deadlines that passed while no instance owned the task wait for the backlog first.
                overdue_on_takeover = now < self._hold_overdue_until and due < self._hold_overdue_until
                fired_due, fired_at = self._fired.get(task_id, (None, 0.0))
                # A tick goes out once per due time, and again if the task still has not moved a
                # second later (a record dropped around a rebalance must not stall the task).
                if due <= now and (fired_due != due or now - fired_at > 1.0) and not overdue_on_takeover:
                    self._fired[task_id] = (due, now)
                    await self._producer.send(
                        self._control_topic,
                        task_pb2.TaskTimerFired(task_id=task_id, due_at=timestamp(due)),
                        task_id=task_id,
                    )
