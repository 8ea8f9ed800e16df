"""The open-loop load generator: submit tasks on a fixed schedule, follow tasks.events, measure.

Timing sources, all wall clock on one machine (time.time in every process):
- `due`: when the schedule said the task should be submitted (latency counts from here, so a
  generator that falls behind cannot hide latency: no coordinated omission);
- TaskEvent.at: when the coordinator handled the record that caused the event;
- `finished`: when this process read the task's terminal event;
- StepResult.service_time_us: time inside the step's own work, subtracted to get mesh overhead.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import grpc
from aiokafka import AIOKafkaConsumer, TopicPartition

from lammesh import envelope as serde
from lammesh.kafka import EnvelopeProducer
from lammesh.kafka.client import client_config
from lammesh.settings import Settings
from lammesh.structs import to_struct
from lammesh.topics import STEPS_RESULTS, TASKS_EVENTS, TASKS_REQUESTED
from lammesh.v1 import step_pb2, task_pb2
from loadtest.histogram import LatencyHistogram
from loadtest.overload import REFUSED
from loadtest.ramp import Judgement, PhaseObservation, RampLimits, judge
from loadtest.schedule import arrival_offsets

TERMINAL = {
    "task.completed": "completed",
    "task.compensated": "compensated",
    "task.failed": "failed",
    "task.rejected": "rejected",
}
EXECUTE = step_pb2.STEP_ACTION_EXECUTE
PRE_DISPATCH = {"watchers.checked", "step.dispatched"}  # events of a step before its command goes out


@dataclass
class TaskTrace:
    task_id: str
    due: float
    expect: str = "completed"
    sent: float | None = None
    events: dict[int, tuple[str, str, float]] = field(default_factory=dict)  # sequence -> (kind, step, at)
    service_s: dict[tuple[str, int, int], float] = field(default_factory=dict)  # (step, attempt, action)
    outcome: str | None = None
    finished: float | None = None


def _seconds(ts: Any) -> float:
    return ts.seconds + ts.nanos / 1e9


class Observer:
    """Follows tasks.events and steps.results from their ends; updates the traces it knows."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.traces: dict[str, TaskTrace] = {}
        self._orphans: dict[str, list[Any]] = {}  # records for ids not registered yet (gRPC submit)
        self._events_topic = TASKS_EVENTS.name(settings)
        self._results_topic = STEPS_RESULTS.name(settings)
        self._consumer = AIOKafkaConsumer(
            **client_config(settings, f"loadtest-observer-{uuid.uuid4().hex[:6]}"),
            group_id=None,
            enable_auto_commit=False,
            max_poll_records=2000,
        )
        self._task: asyncio.Task[None] | None = None
        self.duplicates = 0
        self.changed = asyncio.Event()

    async def start(self) -> None:
        await self._consumer.start()
        partitions = []
        for topic in (self._events_topic, self._results_topic):
            found = None
            for _ in range(100):
                found = self._consumer.partitions_for_topic(topic)
                if found:
                    break
                # The services created these topics just now; aiokafka has no public call that
                # refreshes the metadata partitions_for_topic reads (topics() does not).
                await self._consumer._client.force_metadata_update()
                await asyncio.sleep(0.1)
            if not found:
                raise RuntimeError(f"topic {topic} does not exist (is the coordinator running with this prefix?)")
            partitions += [TopicPartition(topic, p) for p in found]
        self._consumer.assign(partitions)
        await self._consumer.seek_to_end(*partitions)
        for tp in partitions:  # resolve positions now, so nothing submitted later is missed
            await self._consumer.position(tp)
        self._task = asyncio.create_task(self._read(), name="loadtest-observer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()

    def register(self, trace: TaskTrace) -> None:
        self.traces[trace.task_id] = trace
        for record in self._orphans.pop(trace.task_id, []):
            self._apply(trace, record, time.time())

    def refuse(self, schedule_id: str) -> None:
        """The gateway refused the arrival `schedule_id` (admission control): it ends here."""
        trace = self.traces.pop(schedule_id, None)
        if trace is not None:
            trace.outcome = REFUSED

    def rename(self, schedule_id: str, task_id: str) -> None:
        """The gateway answered with its own task id for the arrival `schedule_id`."""
        trace = self.traces.pop(schedule_id, None)
        if trace is not None and task_id:
            trace.task_id = task_id
            self.register(trace)

    async def _read(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=50)
            now = time.time()
            for records in batch.values():
                for record in records:
                    envelope = serde.decode(record.value)
                    trace = self.traces.get(envelope.task_id)
                    if record.topic == self._events_topic:
                        payload: Any = serde.unpack(envelope, task_pb2.TaskEvent)
                    else:
                        payload = serde.unpack(envelope, step_pb2.StepResult)
                    if trace is None:
                        if len(self._orphans) < 100_000 and envelope.task_id:
                            self._orphans.setdefault(envelope.task_id, []).append(payload)
                        continue
                    self._apply(trace, payload, now)
            if batch:
                self.changed.set()

    def _apply(self, trace: TaskTrace, payload: Any, now: float) -> None:
        if isinstance(payload, task_pb2.TaskEvent):
            if payload.sequence in trace.events:  # repeated after a crash: dedupe by (task, sequence)
                self.duplicates += 1
                return
            trace.events[payload.sequence] = (payload.kind, payload.step_id, _seconds(payload.at))
            outcome = TERMINAL.get(payload.kind)
            if outcome and trace.outcome is None:
                trace.outcome, trace.finished = outcome, now
        else:
            trace.service_s[(payload.step_id, payload.attempt, payload.action)] = payload.service_time_us / 1e6


class Submitter(Protocol):
    async def start(self) -> None: ...
    async def submit(self, task_id: str, workflow: str, task_input: dict[str, Any]) -> str: ...
    async def flush(self) -> None: ...
    async def stop(self) -> None: ...


class KafkaSubmitter:
    """Publishes TaskRequested to <prefix>.tasks.requested keyed by task id (the primary path).
    Sends are queued without waiting for each ack; `flush` waits for all of them."""

    name = "kafka"

    def __init__(self, settings: Settings, tenant: str = "loadtest") -> None:
        self._settings = settings
        self._tenant = tenant
        self._topic = TASKS_REQUESTED.name(settings)
        self._producer = EnvelopeProducer(settings, name="loadtest")

    async def start(self) -> None:
        await self._producer.start()

    async def submit(self, task_id: str, workflow: str, task_input: dict[str, Any]) -> str:
        request = task_pb2.TaskRequested(
            task_id=task_id, workflow=workflow, tenant=self._tenant, input=to_struct(task_input)
        )
        await self._producer.send(self._topic, request, task_id=task_id, tenant=self._tenant)
        return task_id

    async def flush(self) -> None:
        await self._producer.confirm()

    async def stop(self) -> None:
        await self._producer.stop()


class GrpcSubmitter:
    """Calls TaskService.SubmitTask on a gateway (optional path). The gateway picks the task id; the
    schedule's id goes in client_key. Calls run concurrently so the schedule stays open-loop. A
    call refused by admission control (RESOURCE_EXHAUSTED) is reported to `on_refused`, not retried:
    the open loop offers the next arrival on schedule anyway."""

    name = "grpc"

    def __init__(
        self, address: str, on_task_id: Callable[[str, str], None], on_refused: Callable[[str], None] | None = None
    ) -> None:
        self._address = address
        self._on_task_id = on_task_id
        self._on_refused = on_refused
        self.refused = 0
        self._channel: grpc.aio.Channel | None = None
        self._stub: Any = None
        self._calls: set[asyncio.Task[None]] = set()
        self.errors = 0

    async def start(self) -> None:
        from lammesh.v1 import task_pb2_grpc

        self._channel = grpc.aio.insecure_channel(self._address)
        self._stub = task_pb2_grpc.TaskServiceStub(self._channel)

    async def submit(self, task_id: str, workflow: str, task_input: dict[str, Any]) -> str:
        async def call() -> None:
            try:
                reply = await self._stub.SubmitTask(
                    task_pb2.SubmitTaskRequest(workflow=workflow, input=to_struct(task_input), client_key=task_id),
                    timeout=30,
                )
                self._on_task_id(task_id, reply.task.task_id)
            except grpc.aio.AioRpcError as exc:
                if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and self._on_refused is not None:
                    self.refused += 1
                    self._on_refused(task_id)
                else:
                    self.errors += 1

        task = asyncio.create_task(call())
        self._calls.add(task)
        task.add_done_callback(self._calls.discard)
        return task_id

    async def flush(self) -> None:
        await asyncio.gather(*list(self._calls), return_exceptions=True)

    async def stop(self) -> None:
        await self.flush()
        if self._channel is not None:
            await self._channel.close()


@dataclass
class Workload:
    """What each arrival submits: workflow name, input and expected outcome for arrival number i."""

    workflow: str
    make_input: Callable[[int], dict[str, Any]]
    expect: Callable[[int], str] = lambda i: "completed"


@dataclass
class PhaseResult:
    offered_rate: float
    duration_s: float
    traces: list[TaskTrace]
    start: float  # wall clock of offset 0
    drained: bool
    lag: LatencyHistogram
    figures: dict[str, Any] = field(default_factory=dict)
    judgement: Judgement | None = None


async def run_phase(
    observer: Observer,
    submitter: Submitter,
    workload: Workload,
    rate: float,
    duration_s: float,
    *,
    drain_timeout_s: float = 60.0,
    poisson: bool = False,
    limits: RampLimits = RampLimits(),
    id_prefix: str = "",
) -> PhaseResult:
    """Submit at `rate` for `duration_s` on an open-loop schedule, wait for the tasks, analyse."""
    loop = asyncio.get_running_loop()
    offsets = arrival_offsets(rate, duration_s, poisson=poisson)
    wall_minus_mono = time.time() - loop.time()
    start_mono = loop.time() + 0.05
    lag = LatencyHistogram()
    traces: list[TaskTrace] = []
    run_id = id_prefix or uuid.uuid4().hex[:8]
    for index, offset in enumerate(offsets):
        due = start_mono + offset
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        elif index % 32 == 0:
            await asyncio.sleep(0)  # behind schedule: still let the observer run
        trace = TaskTrace(f"{run_id}-{index:06d}", due=wall_minus_mono + due, expect=workload.expect(index))
        observer.register(trace)
        traces.append(trace)
        lag.record(loop.time() - due)
        await submitter.submit(trace.task_id, workload.workflow, workload.make_input(index))
        trace.sent = time.time()
    await submitter.flush()
    deadline = loop.time() + drain_timeout_s
    drained = False
    while loop.time() < deadline:
        if all(t.outcome is not None for t in traces):
            drained = True
            break
        observer.changed.clear()
        try:
            await asyncio.wait_for(observer.changed.wait(), timeout=0.5)
        except TimeoutError:
            pass
    result = PhaseResult(rate, duration_s, traces, wall_minus_mono + start_mono, drained, lag)
    result.figures = analyse(result)
    result.judgement = judge(observation(result), limits)
    result.figures["sustainable"] = result.judgement.sustainable
    result.figures["not_sustainable_because"] = result.judgement.reasons
    return result


def step_breakdown(trace: TaskTrace) -> list[tuple[str, float, float, float]]:
    """(step, overhead, checks, transit) in seconds for each step that succeeded.

    ready = the event just before the step's first pre-dispatch event (watchers.checked or
    step.dispatched): the previous step's success, or the task's start;
    checks = dispatch - ready (watcher calls and coordinator work before the command goes out);
    transit = success - dispatch - service time (two Kafka hops, step framework, queueing);
    overhead = checks + transit = everything but the step's own work.
    """
    ready: dict[str, float] = {}
    dispatched: dict[str, float] = {}
    attempts: dict[str, int] = {}
    out = []
    previous: tuple[str, str, float] | None = None
    for sequence in sorted(trace.events):
        kind, step, at = trace.events[sequence]
        if kind in PRE_DISPATCH and step not in dispatched and step not in ready:
            if previous is not None and previous[0] in PRE_DISPATCH and previous[1] != step and previous[1] in ready:
                ready[step] = ready[previous[1]]  # started in the same pass as a sibling step
            else:
                ready[step] = previous[2] if previous is not None else at
        if kind == "step.dispatched":
            dispatched[step] = at
            attempts[step] = attempts.get(step, 0) + 1
        elif kind == "step.succeeded" and step in dispatched:
            service = trace.service_s.get((step, attempts[step], EXECUTE), 0.0)
            checks = dispatched[step] - ready[step]
            transit = at - dispatched[step] - service
            out.append((step, checks + transit, checks, transit))
        previous = (kind, step, at)
    return out


def analyse(result: PhaseResult) -> dict[str, Any]:
    hist = {
        name: LatencyHistogram()
        for name in ("e2e", "overhead", "intake", "delivery", "step_overhead", "step_checks", "step_transit")
    }
    per_step: dict[str, LatencyHistogram] = {}
    outcomes: dict[str, int] = {}
    unexpected = 0
    for trace in result.traces:
        outcome = trace.outcome or "lost"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if trace.outcome is not None and trace.outcome != trace.expect:
            unexpected += 1
        if trace.finished is None:
            continue
        e2e = trace.finished - trace.due
        hist["e2e"].record(e2e)
        hist["overhead"].record(e2e - sum(trace.service_s.values()))
        ordered = [trace.events[s] for s in sorted(trace.events)]
        if ordered and ordered[0][0] == "task.started":
            hist["intake"].record(ordered[0][2] - trace.due)
        terminal = next((e for e in ordered if e[0] in TERMINAL), None)
        if terminal is not None:
            hist["delivery"].record(trace.finished - terminal[2])
        if trace.outcome == "completed":
            for step, overhead, checks, transit in step_breakdown(trace):
                hist["step_overhead"].record(overhead)
                hist["step_checks"].record(checks)
                hist["step_transit"].record(transit)
                per_step.setdefault(step, LatencyHistogram()).record(overhead)
    finished = [t.finished for t in result.traces if t.finished is not None]
    span = (max(finished) - result.start) if finished else float("nan")
    return {
        "offered_rate": result.offered_rate,
        "duration_s": result.duration_s,
        "submitted": len(result.traces),
        "outcomes": outcomes,
        "expected": _count_expected(result.traces),
        "unexpected_outcomes": unexpected,
        "lost": outcomes.get("lost", 0),
        "throughput_per_s": round(len(finished) / span, 2) if finished and span > 0 else 0.0,
        "generator_lag": result.lag.summary(),
        **{name: h.summary() for name, h in hist.items()},
        "step_overhead_by_step": {step: h.summary() for step, h in sorted(per_step.items())},
        "hdr": {"e2e": hist["e2e"].encode(), "step_overhead": hist["step_overhead"].encode()},
    }


def _count_expected(traces: list[TaskTrace]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for trace in traces:
        counts[trace.expect] = counts.get(trace.expect, 0) + 1
    return counts


def observation(result: PhaseResult) -> PhaseObservation:
    """The judged window is the second half of the arrivals (the first half is warm-up)."""
    window_start = result.start + result.duration_s / 2
    window_end = result.start + result.duration_s

    def backlog(at: float) -> int:
        return sum(1 for t in result.traces if t.due <= at and (t.finished is None or t.finished > at))

    in_window = [t for t in result.traces if window_start <= t.due < window_end]
    e2e = LatencyHistogram()
    for trace in in_window:
        if trace.finished is not None:
            e2e.record(trace.finished - trace.due)
    p99 = e2e.percentile_ms(99) if e2e.count == len(in_window) else float("inf")
    return PhaseObservation(
        offered_rate=result.offered_rate,
        window_s=result.duration_s / 2,
        arrivals_in_window=len(in_window),
        completions_in_window=sum(
            1 for t in result.traces if t.finished is not None and window_start <= t.finished < window_end
        ),
        backlog_at_window_start=backlog(window_start),
        backlog_at_window_end=backlog(window_end),
        p99_ms=p99,
        generator_lag_p99_ms=result.lag.percentile_ms(99),
        lost=sum(1 for t in result.traces if t.outcome is None),
    )
