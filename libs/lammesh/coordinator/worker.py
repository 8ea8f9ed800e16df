"""The coordinator's stream worker: a Faust app embedded in the service runtime.

One agent (concurrency 1 per partition: see faust-streaming#606) reads the co-partitioned topics
tasks.requested, steps.results and tasks.control, keyed by task id. Saga state lives in the Faust
table "sagas" (changelog topic <prefix>-coordinator-sagas-changelog), so a restarted or second
instance recovers it. Table writes must happen inside the stream, so the timer loop does not touch
state: it publishes TaskTimerFired records for due tasks into tasks.control.
"""

from __future__ import annotations

import asyncio
import time

import faust
import structlog
from aiokafka.errors import KafkaError

from lammesh import envelope as serde
from lammesh import metrics
from lammesh.coordinator.codec import timestamp
from lammesh.coordinator.processor import SagaProcessor
from lammesh.coordinator.store import RocksDBStore, store_url
from lammesh.kafka import EnvelopeProducer, PoisonRecord
from lammesh.kafka.consumer import dlq_headers
from lammesh.saga import Saga
from lammesh.settings import Settings
from lammesh.topics import COORDINATOR_APP, DLQ, STEPS_RESULTS, TASKS_CONTROL, TASKS_REQUESTED
from lammesh.v1 import task_pb2

log = structlog.get_logger(__name__)


def _broker_urls(settings: Settings) -> list[str]:
    return [f"kafka://{host.strip()}" for host in settings.kafka_bootstrap.split(",") if host.strip()]


def _credentials(settings: Settings) -> faust.types.auth.CredentialsT | None:
    from aiokafka.helpers import create_ssl_context

    protocol = settings.kafka_security_protocol
    ssl_context = None
    if protocol in ("SSL", "SASL_SSL"):
        ssl_context = create_ssl_context(
            cafile=settings.kafka_ssl_cafile, certfile=settings.kafka_ssl_certfile, keyfile=settings.kafka_ssl_keyfile
        )
    if protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else None,
            mechanism=settings.kafka_sasl_mechanism or "SCRAM-SHA-512",
            ssl_context=ssl_context,
        )
    if ssl_context is not None:
        return faust.SSLCredentials(ssl_context)
    return None


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
        self._assignment: frozenset[int] | None = None
        self._hold_overdue_until = 0.0
        self._saw_assignment = False
        self._group = f"{settings.topic_prefix}-{COORDINATOR_APP}"
        self._control_topic = TASKS_CONTROL.name(settings)
        self._dlq_topic = DLQ.name(settings)
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
        async for event in stream.events():
            await self._process(event)

    async def _process(self, event: faust.types.EventT) -> None:
        message = event.message
        started = time.perf_counter()
        while True:
            try:
                envelope = serde.decode(event.value)
                task_id = self._processor.task_id(envelope)
                saga = await self._processor.handle(envelope, self.table.get(task_id))
            except (serde.EnvelopeError, PoisonRecord) as exc:
                log.warning("poison record", reason=exc.reason, in_recovery=self.app.tables.recovery.in_recovery,
                            topic=message.topic, partition=message.partition, offset=message.offset)
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
        if saga is not None:
            self.table[task_id] = saga.model_dump_json().encode()
            self._track(saga)
        metrics.MESSAGES.labels(message.topic, "ok").inc()
        metrics.MESSAGE_SECONDS.labels(message.topic).observe(time.perf_counter() - started)

    async def _dead_letter(self, message: faust.types.Message, reason: str) -> None:
        headers = dlq_headers(message.headers, reason, topic=message.topic, partition=message.partition,
                              offset=message.offset, group=self._group)
        await self._producer.send_raw(self._dlq_topic, message.value, key=message.key, headers=headers)
        await self._producer.confirm()
        log.warning("record dead-lettered", reason=reason, topic=message.topic, offset=message.offset)
        metrics.MESSAGES.labels(message.topic, "dead_lettered").inc()
        metrics.DEAD_LETTERS.labels(message.topic).inc()

    # -- timers ------------------------------------------------------------------------------

    def _track(self, saga: Saga) -> None:
        due = None if saga.status.terminal else saga.next_timer()
        if due is None:
            self._due.pop(saga.task_id, None)
            self._fired.pop(saga.task_id, None)
        else:
            self._due[saga.task_id] = due

    def _rebuild_index(self) -> list[Saga]:
        """After (re)assignment: the local table holds exactly the tasks this instance owns.
        Returns the tasks still running."""
        self._due.clear()
        self._fired.clear()
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
                # Never sit idle while reporting SERVING: fail the service so it is restarted.
                raise RuntimeError(f"the Faust app crashed: {self.app.crash_reason!r}")
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
                log.info("coordinator partitions", partitions=sorted(assignment), running_tasks=len(running),
                         tasks_with_timers=len(self._due), resent_commands=resent)
                self.assigned.set()
                self._hold_overdue_until = time.time() + self._settings.timer_recovery_grace_s
            now = time.time()
            for task_id, due in list(self._due.items()):
                # Deadlines that passed while no instance owned the task wait for the backlog first.
                overdue_on_takeover = now < self._hold_overdue_until and due < self._hold_overdue_until
                fired_due, fired_at = self._fired.get(task_id, (None, 0.0))
                # A tick goes out once per due time, and again if the task still has not moved a
                # second later (a record dropped around a rebalance must not stall the task).
                if due <= now and (fired_due != due or now - fired_at > 1.0) and not overdue_on_takeover:
                    self._fired[task_id] = (due, now)
                    await self._producer.send(
                        self._control_topic, task_pb2.TaskTimerFired(task_id=task_id, due_at=timestamp(due)), task_id=task_id
                    )
