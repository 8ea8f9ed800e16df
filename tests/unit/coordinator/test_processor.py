"""The coordinator's service layer, driven through its ports with fakes: no broker, no gRPC.

What is checked here is the processor's own rules (what it publishes for a record, when it runs
the checks, what a failed delivery or an oversized record does); the saga's rules are in
test_saga.py, the real adapters in tests/integration/test_coordinator.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import pytest
from aiokafka.errors import KafkaTimeoutError
from google.protobuf.message import Message

from lammesh import envelope as serde
from lammesh.coordinator.processor import Forget, SagaProcessor
from lammesh.kafka import PoisonRecord
from lammesh.kafka.producer import Headers, OutboundRecord, prepare_record
from lammesh.saga import RunChecks, Saga, TaskStatus, WatcherOutcome
from lammesh.settings import Settings
from lammesh.structs import to_struct
from lammesh.topics import TASKS_EVENTS, TASKS_STATE, step_commands
from lammesh.v1 import envelope_pb2, step_pb2, task_pb2
from lammesh.verdict import Stage, Verdict
from lammesh.workflow import WorkflowRegistry, parse_workflow

SETTINGS = Settings(kafka_bootstrap="unused:9092", topic_prefix="unit")
WORKFLOW = parse_workflow(
    {
        "name": "guarded",
        "steps": [
            {"id": "draft", "uses": "noop", "input": {"text": "${input.text}"}, "watchers": {"input": ["pii"]}},
            {"id": "send", "uses": "email", "input": {"body": "${steps.draft.output.text}"}, "after": ["draft"]},
        ],
    }
)


class FakeOutbox:
    """Records what is sent; `failing` makes every delivery fail as a broker timeout would."""

    def __init__(self) -> None:
        self.sent: list[OutboundRecord] = []
        self.failing = False

    def prepare(
        self,
        topic: str,
        payload: Message,
        *,
        task_id: str,
        tenant: str = "",
        idempotency_key: str = "",
        key: str | None = None,
    ) -> OutboundRecord:
        return prepare_record(
            SETTINGS,
            "coordinator",
            topic,
            payload,
            task_id=task_id,
            tenant=tenant,
            idempotency_key=idempotency_key,
            key=key,
        )

    async def send_prepared(self, record: OutboundRecord) -> asyncio.Future[None]:
        return await self.send_raw(record.topic, record.value, key=record.key, headers=record.headers)

    async def send_raw(
        self, topic: str, value: bytes | None, *, key: bytes | None, headers: Headers = ()
    ) -> asyncio.Future[None]:
        delivered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.failing:
            delivered.set_exception(KafkaTimeoutError())
        else:
            self.sent.append(OutboundRecord(topic, value, key, list(headers)))
            delivered.set_result(None)
        return delivered

    async def confirm(self, sent: Iterable[asyncio.Future[None]] | None = None) -> None:
        await asyncio.gather(*(sent or ()))

    def payloads(self, topic: str) -> list[Message]:
        return [
            serde.unpack_any(envelope_pb2.Envelope.FromString(r.value))
            for r in self.sent
            if r.topic == topic and r.value
        ]


class FakeChecks:
    def __init__(self, verdicts: dict[str, Verdict] | None = None) -> None:
        self.verdicts = verdicts or {}
        self.calls: list[RunChecks] = []

    async def check(self, saga: Saga, checks: RunChecks) -> list[WatcherOutcome]:
        self.calls.append(checks)
        return [
            WatcherOutcome(w.name, self.verdicts.get(w.name, Verdict.ALLOW), 0.9, ("fake",)) for w in checks.watchers
        ]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def envelope(payload: Message, task_id: str = "t1") -> envelope_pb2.Envelope:
    return serde.pack(payload, task_id=task_id, tenant="acme", producer="test")


def processor(
    checks: FakeChecks | None = None, settings: Settings = SETTINGS
) -> tuple[SagaProcessor, FakeOutbox, FakeChecks, Clock]:
    outbox, checks, clock = FakeOutbox(), checks or FakeChecks(), Clock()
    return (
        SagaProcessor(settings, WorkflowRegistry({WORKFLOW.name: WORKFLOW}), checks, outbox, clock),
        outbox,
        checks,
        clock,
    )


def request(workflow: str = "guarded") -> envelope_pb2.Envelope:
    return envelope(task_pb2.TaskRequested(workflow=workflow, input=to_struct({"text": "hello"}), tenant="acme"))


def result(step_id: str, attempt: int = 1, output: dict | None = None) -> envelope_pb2.Envelope:
    return envelope(
        step_pb2.StepResult(
            step_id=step_id,
            attempt=attempt,
            status=step_pb2.STEP_STATUS_SUCCEEDED,
            output=to_struct(output or {"text": "hello"}),
        )
    )


def events(outbox: FakeOutbox) -> list[str]:
    return [e.kind for e in outbox.payloads(TASKS_EVENTS.name(SETTINGS))]


async def test_a_request_runs_the_input_checks_then_dispatches_and_publishes_events_and_a_snapshot() -> None:
    proc, outbox, checks, _ = processor()
    handled = await proc.handle(request(), None)
    assert handled is not None and not isinstance(handled, Forget)
    saga, row = handled
    assert Saga.model_validate_json(row).task_id == "t1" and saga.status is TaskStatus.RUNNING
    assert [(c.step_id, c.stage, [w.name for w in c.watchers]) for c in checks.calls] == [
        ("draft", Stage.INPUT, ["pii"])
    ]
    commands = outbox.payloads(step_commands("noop").name(SETTINGS))
    assert [(c.step_id, c.attempt) for c in commands] == [("draft", 1)]
    assert events(outbox) == ["task.started", "watchers.checked", "step.dispatched"]
    snapshots = outbox.payloads(TASKS_STATE.name(SETTINGS))
    assert len(snapshots) == 1 and snapshots[-1].task_id == "t1"
    assert outbox.sent[-1].topic == TASKS_STATE.name(SETTINGS), "the snapshot goes last, after the events it sums up"


async def test_the_same_request_again_changes_nothing_and_publishes_nothing() -> None:
    proc, outbox, _, _ = processor()
    _, row = await proc.handle(request(), None)  # type: ignore[misc]
    before = len(outbox.sent)
    assert await proc.handle(request(), row) is None
    assert len(outbox.sent) == before


async def test_a_blocking_watcher_stops_the_step_before_any_command() -> None:
    proc, outbox, _, _ = processor(FakeChecks({"pii": Verdict.BLOCK}))
    saga, _ = await proc.handle(request(), None)  # type: ignore[misc]
    assert saga.status.terminal and saga.status is not TaskStatus.COMPLETED
    assert not outbox.payloads(step_commands("noop").name(SETTINGS))
    assert "watchers.checked" in events(outbox)


async def test_a_step_result_moves_the_task_to_its_next_step() -> None:
    proc, outbox, _, _ = processor()
    _, row = await proc.handle(request(), None)  # type: ignore[misc]
    saga, _ = await proc.handle(result("draft"), row)  # type: ignore[misc]
    assert [c.step_id for c in outbox.payloads(step_commands("email").name(SETTINGS))] == ["send"]
    assert saga.status is TaskStatus.RUNNING


async def test_an_unknown_workflow_is_rejected_as_a_failed_task_not_a_poison_record() -> None:
    proc, outbox, checks, _ = processor()
    saga, _ = await proc.handle(request("nope"), None)  # type: ignore[misc]
    assert saga.status is TaskStatus.FAILED and "unknown workflow 'nope'" in saga.reason
    assert not checks.calls and events(outbox) == ["task.rejected"]


async def test_a_result_for_an_unknown_task_is_a_poison_record() -> None:
    proc, _, _, _ = processor()
    with pytest.raises(PoisonRecord, match="unknown task t1"):
        await proc.handle(result("draft"), None)


async def test_a_failed_delivery_raises_so_the_caller_does_not_store_the_new_state() -> None:
    proc, outbox, _, _ = processor()
    outbox.failing = True
    with pytest.raises(KafkaTimeoutError):
        await proc.handle(request(), None)


async def test_a_step_output_over_the_record_limit_fails_the_step_instead_of_dead_lettering() -> None:
    small = Settings(kafka_bootstrap="unused:9092", topic_prefix="unit", kafka_max_record_bytes=20_000)
    proc, outbox, _, _ = processor(settings=small)
    _, row = await proc.handle(request(), None)  # type: ignore[misc]
    saga, _ = await proc.handle(result("draft", output={"text": "x" * 50_000}), row)  # type: ignore[misc]
    assert saga.steps["draft"].error.startswith("OUTPUT_TOO_LARGE")
    assert not outbox.payloads(step_commands("email").name(SETTINGS))


async def test_a_finished_task_past_its_retention_is_forgotten_with_a_tombstone() -> None:
    proc, outbox, _, clock = processor(FakeChecks({"pii": Verdict.BLOCK}))
    _, row = await proc.handle(request(), None)  # type: ignore[misc]
    clock.now += SETTINGS.coordinator_retention_s + 1
    assert await proc.handle(envelope(task_pb2.TaskTimerFired()), row) == Forget("t1")
    tombstone = outbox.sent[-1]
    assert tombstone.topic == TASKS_STATE.name(SETTINGS) and tombstone.value is None and tombstone.key == b"t1"


async def test_a_record_type_the_coordinator_does_not_handle_is_a_poison_record() -> None:
    proc, _, _, _ = processor()
    _, row = await proc.handle(request(), None)  # type: ignore[misc]
    with pytest.raises(PoisonRecord, match="does not handle lammesh.v1.StepCommand"):
        await proc.handle(envelope(step_pb2.StepCommand(step_id="draft")), row)


async def test_a_cancel_compensates_a_running_task() -> None:
    proc, outbox, _, _ = processor()
    _, row = await proc.handle(request(), None)  # type: ignore[misc]
    saga, _ = await proc.handle(envelope(task_pb2.TaskCancelRequested(reason="customer asked")), row)  # type: ignore[misc]
    assert "task.cancel_requested" in events(outbox)
    assert saga.status is TaskStatus.COMPENSATING, "the running draft step may have run: it is compensated first"
