"""The request reconciler: a task request the coordinator group read past without starting the task
is published again (docs/decisions/0631).

faust-streaming can advance — and commit — its offset past a record it never handed to the agent
when the broker or the group goes away at the wrong moment (decisions 0006, 0631; the chaos run
shows it). A lost step result is repaired by deadlines and the re-sent commands; a lost
TaskRequested would be lost for good: no saga, no timer. So each coordinator instance also reads
tasks.requested and tasks.state with a plain consumer (no group) and, for the partitions it owns,
publishes a request again when

- the coordinator group's committed offset is past the request (it was read, not just queued: a
  backlog is never mistaken for a loss), and
- no snapshot of the task has appeared in tasks.state (every started task writes one before its
  request is committed), for at least `interval` (the snapshot may still be on its way to us).

Publishing again is safe: the coordinator ignores a request for a task it knows. The copy is a new
record, so if it is skipped too it is found again.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from lammesh import envelope as serde
from lammesh import metrics
from lammesh.kafka import EnvelopeProducer
from lammesh.kafka.client import client_config
from lammesh.settings import Settings
from lammesh.topics import TASKS_REQUESTED, TASKS_STATE

log = structlog.get_logger(__name__)

REPUBLISHED_HEADER = "lammesh-republished"


@dataclass
class Request:
    task_id: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]
    checked_at: float
    republished: int = 0


class PendingRequests:
    """Pure bookkeeping: requests seen without a snapshot of their task yet."""

    def __init__(self, settle_s: float, horizon_s: float, max_republish: int = 3) -> None:
        self.settle_s = settle_s
        self.horizon_s = horizon_s
        self.max_republish = max_republish
        """A request still without a task after this many copies is given up (logged): it is not
        a skip but something the coordinator refuses (a poison payload, a task id reused after
        the horizon)."""
        self.given_up: list[Request] = []
        self.pending: dict[str, Request] = {}
        self._started: dict[str, float] = {}  # task id -> when its snapshot was seen

    def requested(self, request: Request) -> None:
        if request.task_id in self._started:
            return
        current = self.pending.get(request.task_id)
        if current is None:
            self.pending[request.task_id] = request
        elif request.partition == current.partition and request.offset > current.offset:
            # the newest copy is what the coordinator has to read past before we judge again
            request.republished = current.republished
            self.pending[request.task_id] = request

    def started(self, task_id: str, now: float) -> None:
        self._started[task_id] = now
        self.pending.pop(task_id, None)

    def skipped(self, committed: dict[int, int], owned: frozenset[int], now: float) -> list[Request]:
        """Requests the group committed past, on owned partitions, still without a snapshot after
        settle_s; each is returned at most once per settle_s."""
        due = []
        for request in self.pending.values():
            if request.partition not in owned or committed.get(request.partition, -1) <= request.offset:
                request.checked_at = now  # not read yet: the settle time counts from when it is
                continue
            if now - request.checked_at >= self.settle_s:
                request.checked_at = now
                request.republished += 1
                due.append(request)
        for request in [r for r in due if r.republished > self.max_republish]:
            due.remove(request)
            del self.pending[request.task_id]
            self.given_up.append(request)
        return due

    def prune(self, now: float) -> None:
        for task_id in [t for t, at in self._started.items() if now - at > self.horizon_s]:
            del self._started[task_id]


class RequestReconciler:
    """Fits the ServiceRuntime worker protocol (start, stop, `assigned`, `task`)."""

    def __init__(self, settings: Settings, producer: EnvelopeProducer, *, group: str,
                 owned: Callable[[], frozenset[int] | None]) -> None:
        self._settings = settings
        self._producer = producer
        self._group = group
        self._owned = owned
        self._requested = TASKS_REQUESTED.name(settings)
        self._state = TASKS_STATE.name(settings)
        self.pending = PendingRequests(settle_s=settings.reconcile_interval_s, horizon_s=settings.reconcile_horizon_s)
        self.assigned = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._admin: AIOKafkaAdminClient | None = None

    async def start(self) -> None:
        name = f"{self._group}-reconciler-{uuid.uuid4().hex[:6]}"
        self._consumer = AIOKafkaConsumer(**client_config(self._settings, name), group_id=None, enable_auto_commit=False)
        self._admin = AIOKafkaAdminClient(**client_config(self._settings, f"{name}-admin"))
        await self._consumer.start()
        await self._admin.start()
        partitions = [TopicPartition(topic, p) for topic in (self._requested, self._state)
                      for p in range(self._settings.topic_partitions)]
        self._consumer.assign(partitions)
        since = int((time.time() - self._settings.reconcile_horizon_s) * 1000)
        found = await self._consumer.offsets_for_times({tp: since for tp in partitions})
        ends = await self._consumer.end_offsets(partitions)
        for tp in partitions:
            self._consumer.seek(tp, found[tp].offset if found.get(tp) is not None else ends[tp])
        self.task = asyncio.create_task(self._run(), name="coordinator-reconciler")
        self.assigned.set()  # never holds up readiness: the coordinator's own consumer does that

    async def stop(self, timeout: float | None = None) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()
        if self._admin is not None:
            await self._admin.close()

    async def _run(self) -> None:
        assert self._consumer is not None
        next_check = time.monotonic() + self._settings.reconcile_interval_s
        while True:
            try:
                batch = await self._consumer.getmany(timeout_ms=500, max_records=5000)
            except KafkaError as exc:
                log.warning("reconciler read failed; retrying", error=str(exc))
                await asyncio.sleep(1.0)
                continue
            now = time.time()
            for tp, records in batch.items():
                for record in records:
                    self._read(tp, record, now)
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + self._settings.reconcile_interval_s
                try:
                    await self._republish_skipped(now)
                except KafkaError as exc:
                    log.warning("reconciler check failed; retrying", error=str(exc))
                self.pending.prune(now)

    def _read(self, tp: TopicPartition, record: object, now: float) -> None:
        try:
            envelope = serde.decode(record.value)  # type: ignore[attr-defined]
        except serde.EnvelopeError:
            return  # the coordinator dead-letters it; nothing to reconcile
        if not envelope.task_id:
            return
        if tp.topic == self._state:
            self.pending.started(envelope.task_id, now)
        else:
            self.pending.requested(Request(
                envelope.task_id, tp.partition, record.offset, record.key, record.value,  # type: ignore[attr-defined]
                list(record.headers or ()), now,  # type: ignore[attr-defined]
            ))

    async def _republish_skipped(self, now: float) -> None:
        owned = self._owned()
        if not owned or not self.pending.pending:
            return
        assert self._admin is not None
        offsets = await self._admin.list_consumer_group_offsets(self._group)
        committed = {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == self._requested}
        skipped = self.pending.skipped(committed, owned, now)
        for request in self.pending.given_up:
            log.error("task request still has no task after being published again; giving up on it",
                      task_id=request.task_id, partition=request.partition, offset=request.offset,
                      copies=self.pending.max_republish)
        self.pending.given_up.clear()
        sent = []
        for request in skipped:
            headers = [h for h in request.headers if h[0] != REPUBLISHED_HEADER] + [(REPUBLISHED_HEADER, b"reconciler")]
            sent.append(await self._producer.send_raw(self._requested, request.value, key=request.key, headers=headers))
            log.warning("task request was read past without starting its task; published it again",
                        task_id=request.task_id, partition=request.partition, offset=request.offset,
                        committed=committed.get(request.partition))
            metrics.REQUESTS_REPUBLISHED.inc()
        await self._producer.confirm(sent)  # only these: the coordinator's records share the producer
