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

Control records (tasks.control) are repaired the same way (docs/decisions/0641): a cancel, or a
review decision, that the group committed past with no trace of it in tasks.events (for a cancel:
`task.cancel_requested` or `cancel.rejected`, or the task compensating or ended; for a decision:
`review.decided` naming the review, or the task ended) is published again. The coordinator applies
each at most once (a second cancel of a compensating task, a second decision of a decided review
change nothing).
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
from lammesh.kafka import EnvelopeProducer, PoisonRecord
from lammesh.kafka.client import client_config, consumer_config
from lammesh.kafka.fetch import batches
from lammesh.settings import Settings
from lammesh.topics import TASKS_CONTROL, TASKS_EVENTS, TASKS_REQUESTED, TASKS_STATE
from lammesh.v1 import review_pb2, task_pb2

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
    subject: str = ""
    """What the record asks for (a control record: the task's cancel, or one review's decision);
    empty for a task request, whose subject is its task."""

    @property
    def tracked_as(self) -> str:
        return self.subject or self.task_id


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
        subject = request.tracked_as
        if subject in self._started:
            return
        current = self.pending.get(subject)
        if current is None:
            self.pending[subject] = request
        elif request.partition == current.partition and request.offset > current.offset:
            # the newest copy is what the coordinator has to read past before we judge again
            request.republished = current.republished
            self.pending[subject] = request

    def started(self, subject: str, now: float) -> None:
        """The request's task started (or the control record took effect): nothing to repair."""
        self._started[subject] = now
        self.pending.pop(subject, None)

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
            del self.pending[request.tracked_as]
            self.given_up.append(request)
        return due

    def prune(self, now: float) -> None:
        for task_id in [t for t, at in self._started.items() if now - at > self.horizon_s]:
            del self._started[task_id]


CANCEL_TOOK_EFFECT = frozenset({"task.cancel_requested", "cancel.rejected"})
_CANCEL_MOOT = frozenset(
    {
        task_pb2.TASK_STATUS_COMPENSATING,
        task_pb2.TASK_STATUS_COMPENSATED,
        task_pb2.TASK_STATUS_COMPLETED,
        task_pb2.TASK_STATUS_FAILED,
    }
)
_ENDED = frozenset({task_pb2.TASK_STATUS_COMPENSATED, task_pb2.TASK_STATUS_COMPLETED, task_pb2.TASK_STATUS_FAILED})


def cancel_subject(task_id: str) -> str:
    return f"{task_id}#cancel"


def review_subject(task_id: str, review_id: str) -> str:
    return f"{task_id}#review:{review_id}"


def control_subject(payload: object) -> str | None:
    """What a tasks.control record asks for, if it is one the reconciler repairs (timer ticks are
    not: the coordinator sends them again itself)."""
    if isinstance(payload, task_pb2.TaskCancelRequested) and payload.task_id:
        return cancel_subject(payload.task_id)
    if isinstance(payload, review_pb2.ReviewDecided) and payload.task_id and payload.review_id:
        return review_subject(payload.task_id, payload.review_id)
    return None


class PendingControls:
    """Pure bookkeeping for tasks.control: cancels and review decisions not yet seen to take effect.

    Evidence comes from tasks.events, read independently of tasks.control, so it may come first:
    what an event settles is remembered (for the horizon), and a control record read later is
    judged against it."""

    def __init__(self, settle_s: float, horizon_s: float, max_republish: int = 3) -> None:
        self.records = PendingRequests(settle_s, horizon_s, max_republish)
        self.horizon_s = horizon_s
        self._ended: dict[str, float] = {}  # task -> when its end was read

    @property
    def pending(self) -> dict[str, Request]:
        return self.records.pending

    @property
    def given_up(self) -> list[Request]:
        return self.records.given_up

    def control(self, request: Request) -> None:
        if request.task_id not in self._ended:
            self.records.requested(request)

    def event(self, event: task_pb2.TaskEvent, now: float) -> None:
        task_id = event.task_id
        if event.kind in CANCEL_TOOK_EFFECT or event.status in _CANCEL_MOOT:
            self.records.started(cancel_subject(task_id), now)
        if event.kind == "review.decided":
            review_id = event.details.fields.get("review_id")
            if review_id is not None and review_id.string_value:
                self.records.started(review_subject(task_id, review_id.string_value), now)
        if event.status in _ENDED:  # every control of an ended task is moot
            self._ended[task_id] = now
            for subject in [s for s, r in self.records.pending.items() if r.task_id == task_id]:
                self.records.started(subject, now)

    def skipped(self, committed: dict[int, int], owned: frozenset[int], now: float) -> list[Request]:
        return self.records.skipped(committed, owned, now)

    def prune(self, now: float) -> None:
        self.records.prune(now)
        for task_id in [t for t, at in self._ended.items() if now - at > self.horizon_s]:
            del self._ended[task_id]


class RequestReconciler:
    """Fits the ServiceRuntime worker protocol (start, stop, `assigned`, `task`)."""

    def __init__(
        self, settings: Settings, producer: EnvelopeProducer, *, group: str, owned: Callable[[], frozenset[int] | None]
    ) -> None:
        self._settings = settings
        self._producer = producer
        self._group = group
        self._owned = owned
        self._requested = TASKS_REQUESTED.name(settings)
        self._state = TASKS_STATE.name(settings)
        self._control = TASKS_CONTROL.name(settings)
        self._events = TASKS_EVENTS.name(settings)
        self.pending = PendingRequests(settle_s=settings.reconcile_interval_s, horizon_s=settings.reconcile_horizon_s)
        self.controls = PendingControls(settle_s=settings.reconcile_interval_s, horizon_s=settings.reconcile_horizon_s)
        self.assigned = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._admin: AIOKafkaAdminClient | None = None

    async def start(self) -> None:
        name = f"{self._group}-reconciler-{uuid.uuid4().hex[:6]}"
        self._consumer = AIOKafkaConsumer(
            **consumer_config(self._settings, name), group_id=None, enable_auto_commit=False
        )
        self._admin = AIOKafkaAdminClient(**client_config(self._settings, f"{name}-admin"))
        await self._consumer.start()
        await self._admin.start()
        partitions = [
            TopicPartition(topic, p)
            for topic in (self._requested, self._state, self._control, self._events)
            for p in range(self._settings.topic_partitions)
        ]
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
        async for batch in batches(self._consumer, timeout_ms=500, max_records=5000, reader="coordinator-reconciler"):
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
                self.controls.prune(now)

    def _read(self, tp: TopicPartition, record: object, now: float) -> None:
        try:
            envelope = serde.decode(record.value)  # type: ignore[attr-defined]
        except serde.EnvelopeError:
            return  # the coordinator dead-letters it; nothing to reconcile
        if not envelope.task_id:
            return
        if tp.topic == self._state:
            self.pending.started(envelope.task_id, now)
        elif tp.topic == self._events:
            try:
                self.controls.event(serde.unpack(envelope, task_pb2.TaskEvent), now)
            except serde.EnvelopeError:
                return
        elif tp.topic == self._control:
            try:
                subject = control_subject(serde.unpack_any(envelope))
            except (serde.EnvelopeError, PoisonRecord):
                return
            if subject is not None:
                self.controls.control(
                    Request(
                        envelope.task_id,
                        tp.partition,
                        record.offset,
                        record.key,
                        record.value,  # type: ignore[attr-defined]
                        list(record.headers or ()),
                        now,
                        subject=subject,  # type: ignore[attr-defined]
                    )
                )
        else:
            self.pending.requested(
                Request(
                    envelope.task_id,
                    tp.partition,
                    record.offset,
                    record.key,
                    record.value,  # type: ignore[attr-defined]
                    list(record.headers or ()),
                    now,  # type: ignore[attr-defined]
                )
            )

    async def _republish_skipped(self, now: float) -> None:
        owned = self._owned()
        if not owned or not (self.pending.pending or self.controls.pending):
            return
        assert self._admin is not None
        offsets = await self._admin.list_consumer_group_offsets(self._group)
        sent = []
        for topic, pending, what in (
            (self._requested, self.pending, "task request"),
            (self._control, self.controls, "control record"),
        ):
            committed = {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic}
            skipped = pending.skipped(committed, owned, now)
            for request in pending.given_up:
                log.error(
                    f"{what} still without effect after being published again; giving up on it",
                    task_id=request.task_id,
                    subject=request.tracked_as,
                    partition=request.partition,
                    offset=request.offset,
                )
            pending.given_up.clear()
            for request in skipped:
                headers = [h for h in request.headers if h[0] != REPUBLISHED_HEADER] + [
                    (REPUBLISHED_HEADER, b"reconciler")
                ]
                sent.append(await self._producer.send_raw(topic, request.value, key=request.key, headers=headers))
                log.warning(
                    f"{what} was read past without taking effect; published it again",
                    task_id=request.task_id,
                    subject=request.tracked_as,
                    partition=request.partition,
                    offset=request.offset,
                    committed=committed.get(request.partition),
                )
                (metrics.REQUESTS_REPUBLISHED if topic == self._requested else metrics.CONTROLS_REPUBLISHED).inc()
        await self._producer.confirm(sent)  # only these: the coordinator's records share the producer
