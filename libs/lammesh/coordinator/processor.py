"""The coordinator's service layer: one function from (record, stored state) to (new state, outputs).

It loads the saga, hands the event to the pure state machine, runs the watcher checks the machine
asks for, and publishes the resulting commands, events and snapshot. Outputs are acknowledged by
the broker before the caller stores the new state, so a crash can repeat outputs (consumers dedupe
by task sequence / idempotency key) but never lose them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import structlog
from aiokafka.structs import RecordMetadata
from google.protobuf.message import Message
from opentelemetry.trace import Link, SpanKind

from lammesh import envelope as serde
from lammesh import metrics, tracing
from lammesh.coordinator import codec
from lammesh.coordinator.ports import Checks, Outbox
from lammesh.kafka import PoisonRecord
from lammesh.kafka.producer import OutboundRecord, RecordTooLarge, ensure_fits
from lammesh.saga import Dispatch, Effect, Emit, RunChecks, Saga
from lammesh.settings import Settings
from lammesh.structs import from_struct
from lammesh.topics import COORDINATOR_CHANGELOG, TASKS_EVENTS, TASKS_STATE, step_commands
from lammesh.v1 import envelope_pb2, review_pb2, step_pb2, task_pb2
from lammesh.workflow import Workflow, WorkflowRegistry

log = structlog.get_logger(__name__)

_TASK_OUTCOMES = {
    "task.completed": "completed",
    "task.compensated": "compensated",
    "task.failed": "failed",
    "task.rejected": "rejected",
}
_COMPENSATION_OUTCOMES = {"step.compensated": "compensated", "step.compensation_failed": "failed"}

OUTPUT_TOO_LARGE = "OUTPUT_TOO_LARGE"  # a step service's failure code: it ran, but its output cannot travel


@dataclass(frozen=True)
class Forget:
    """handle()'s answer when a finished task's retention has passed: delete it from the table."""

    task_id: str


class SagaProcessor:
    def __init__(
        self,
        settings: Settings,
        workflows: WorkflowRegistry,
        watchers: Checks,
        producer: Outbox,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self.workflows = workflows
        self._watchers = watchers
        self._producer = producer
        self._clock = clock
        self._events_topic = TASKS_EVENTS.name(settings)
        self._state_topic = TASKS_STATE.name(settings)
        self._changelog_topic = COORDINATOR_CHANGELOG.name(settings)

    @staticmethod
    def task_id(envelope: envelope_pb2.Envelope) -> str:
        if not envelope.task_id:
            raise PoisonRecord(f"{envelope.message_type} record has no task_id")
        return envelope.task_id

    async def handle(self, envelope: envelope_pb2.Envelope, stored: bytes | None) -> tuple[Saga, bytes] | Forget | None:
        """Apply one record; returns the saga and its stored form, Forget when the task is to be
        deleted, or None when nothing changed.

        The record is handled in a span of the task's trace (the one its request came with, kept
        in the saga): results, timer ticks and review decisions all land in the task's one trace,
        and a record that came with another trace (a reviewer's call) is linked to it."""
        payload = serde.unpack_any(envelope)
        task_id = self.task_id(envelope)
        saga = Saga.model_validate_json(stored) if stored else None
        incoming = dict(envelope.trace_context)
        task_trace = saga.trace_context if saga is not None and saga.trace_context else incoming
        links = []
        sender = tracing.span_context_of(incoming)
        if sender.is_valid and sender.trace_id != tracing.span_context_of(task_trace).trace_id:
            links.append(Link(sender))
        attributes = {
            tracing.TASK_ID: task_id,
            tracing.WORKFLOW: saga.workflow if saga else getattr(payload, "workflow", ""),
        }
        if isinstance(payload, step_pb2.StepResult):
            attributes.update({tracing.STEP_ID: payload.step_id, tracing.ATTEMPT: payload.attempt})
        with tracing.tracer().start_as_current_span(
            f"saga {payload.DESCRIPTOR.name}",
            context=tracing.context_from(task_trace),
            kind=SpanKind.CONSUMER,
            links=links,
            attributes=attributes,
        ) as span:
            outcome = await self._handle(envelope, payload, task_id, saga, stored)
            if isinstance(outcome, tuple):
                span.set_attribute(tracing.STATUS, outcome[0].status.value)
            return outcome

    async def _handle(
        self,
        envelope: envelope_pb2.Envelope,
        payload: Message,
        task_id: str,
        saga: Saga | None,
        stored: bytes | None,
    ) -> tuple[Saga, bytes] | Forget | None:
        now = self._clock()
        if isinstance(payload, task_pb2.TaskRequested):
            if saga is not None:
                return None  # the same task requested again (client retry, redelivery)
            saga, effects, workflow = self._start(task_id, payload, envelope.tenant, now)
            # The task's trace: the request's (a gateway's SubmitTask span), else this span's.
            saga.trace_context = dict(envelope.trace_context) or tracing.current_trace_context()
        else:
            if saga is None:
                raise PoisonRecord(f"{envelope.message_type} for unknown task {task_id}")
            forget_at = saga.forget_at(self._settings.coordinator_retention_s)
            if isinstance(payload, task_pb2.TaskTimerFired) and forget_at is not None and now >= forget_at:
                await self._producer.confirm(
                    [await self._producer.send_raw(self._state_topic, None, key=task_id.encode())]
                )
                return Forget(task_id)
            workflow = self.workflows.by_digest.get(saga.workflow_digest)
            if workflow is None:
                effects = saga.abandon(
                    f"workflow {saga.workflow} (definition {saga.workflow_digest}) is no longer loaded", now
                )
            else:
                effects = self._apply(saga, workflow, payload, now)
        if not effects:
            log.debug(
                "record changed nothing (duplicate or stale)",
                task_id=task_id,
                kind=envelope.message_type,
                status=saga.status.value,
                detail=_describe_payload(payload, saga),
            )
            return None
        effects = await self._run_checks(saga, workflow, effects)
        try:
            row = await self._store_and_publish(saga, workflow, effects)
        except RecordTooLarge as exc:
            # Nothing was published. Rather than dead-letter the record (a task PENDING forever, or
            # a step that times out), apply "too large" to the state as it was, naming the limit.
            log.warning(
                "a record's outcome is over a size limit; the task fails instead",
                task_id=task_id,
                kind=envelope.message_type,
                reason=exc.reason,
            )
            for saga, effects in self._too_large(payload, task_id, envelope.tenant, stored, workflow, exc.reason, now):
                saga.trace_context = (
                    saga.trace_context or dict(envelope.trace_context) or tracing.current_trace_context()
                )
                try:
                    return saga, await self._store_and_publish(saga, workflow, effects)
                except RecordTooLarge:
                    continue
            raise  # not even that fits: the record is dead-lettered with the reason
        return saga, row

    async def _store_and_publish(self, saga: Saga, workflow: Workflow | None, effects: list[Effect]) -> bytes:
        row = saga.model_dump_json().encode()
        # The table row goes to the changelog topic: checked before anything is published, so a
        # saga too large to store never crashes the Faust app.
        ensure_fits(self._settings, self._changelog_topic, saga.task_id.encode(), row)
        await self._publish(saga, workflow, effects)
        return row

    def _too_large(
        self,
        payload: Message,
        task_id: str,
        tenant: str,
        stored: bytes | None,
        workflow: Workflow | None,
        reason: str,
        now: float,
    ) -> Iterator[tuple[Saga, list[Effect]]]:
        """Outcomes for a record whose own outcome is over a size limit, best first: a request
        too large to run is rejected (FAILED, without its input: that stays in tasks.requested); a
        step result fails its step (OUTPUT_TOO_LARGE, compensated as a step that ran); otherwise,
        or when the rollback does not fit either, the task stops for a person (FAILED, needs attention)."""
        if isinstance(payload, task_pb2.TaskRequested):
            yield Saga.rejected(
                task_id,
                payload.workflow,
                reason=f"the task is too large to run: {reason}",
                task_input={},
                tenant=payload.tenant or tenant or self._settings.default_tenant,
                client_key=payload.client_key,
                now=now,
            )
            return
        if stored is None or workflow is None:
            return
        if isinstance(payload, step_pb2.StepResult) and payload.action != step_pb2.STEP_ACTION_COMPENSATE:
            saga = Saga.model_validate_json(stored)
            effects = saga.on_result_too_large(
                workflow, step_id=payload.step_id, attempt=payload.attempt, reason=reason, now=now
            )
            if effects and not any(isinstance(e, RunChecks) for e in effects):
                yield saga, effects
        saga = Saga.model_validate_json(stored)
        effects = saga.abandon(f"the task's state is too large to go on: {reason}", now)
        if effects:
            yield saga, effects

    def _start(
        self, task_id: str, request: task_pb2.TaskRequested, tenant: str, now: float
    ) -> tuple[Saga, list[Effect], Workflow | None]:
        task_input = from_struct(request.input)
        tenant = request.tenant or tenant or self._settings.default_tenant
        workflow = self.workflows.by_name.get(request.workflow)
        if workflow is None:
            known = ", ".join(sorted(self.workflows.by_name)) or "none"
            saga, effects = Saga.rejected(
                task_id,
                request.workflow,
                reason=f"unknown workflow {request.workflow!r} (known: {known})",
                task_input=task_input,
                tenant=tenant,
                client_key=request.client_key,
                now=now,
            )
            return saga, effects, None
        problem = workflow.input_problem(task_input)
        if problem is not None:  # what SubmitTask refuses with INVALID_ARGUMENT, for requests sent to Kafka
            saga, effects = Saga.rejected(
                task_id,
                request.workflow,
                reason=f"invalid input: {problem[0]}: {problem[1]}",
                task_input=task_input,
                tenant=tenant,
                client_key=request.client_key,
                now=now,
            )
            return saga, effects, None
        saga, effects = Saga.create(
            task_id, workflow, task_input=task_input, tenant=tenant, client_key=request.client_key, now=now
        )
        return saga, effects, workflow

    def _apply(self, saga: Saga, workflow: Workflow, payload: Message, now: float) -> list[Effect]:
        apply = _APPLY.get(payload.DESCRIPTOR.full_name)
        if apply is None:
            raise PoisonRecord(f"the coordinator does not handle {payload.DESCRIPTOR.full_name}")
        return apply(saga, workflow, payload, now)

    async def _run_checks(self, saga: Saga, workflow: Workflow | None, effects: list[Effect]) -> list[Effect]:
        """Carry out watcher checks (concurrently) until the machine asks for none."""
        done: list[Effect] = []
        pending = effects
        while pending:
            checks = [e for e in pending if isinstance(e, RunChecks)]
            done += [e for e in pending if not isinstance(e, RunChecks)]
            if not checks or workflow is None:
                break
            outcomes = await asyncio.gather(*(self._watchers.check(saga, c) for c in checks))
            pending = []
            for check, result in zip(checks, outcomes, strict=True):
                pending += saga.on_checks(
                    workflow,
                    step_id=check.step_id,
                    stage=check.stage,
                    attempt=check.attempt,
                    outcomes=result,
                    now=self._clock(),
                )
        return done

    async def resend_in_flight(self, sagas: list[Saga]) -> int:
        """After taking over partitions: send every in-flight command again, same attempt. A result
        lost around the rebalance (see docs/decisions/0006) is then answered again by the step
        service's idempotency store; one that was not lost arrives twice and the copy is ignored."""
        sent = []
        for saga in sagas:
            workflow = self.workflows.by_digest.get(saga.workflow_digest)
            if workflow is not None and not saga.status.terminal:
                for dispatch in saga.in_flight(workflow):
                    sent.append(await self._send_command(saga, dispatch))
        await self._producer.confirm(sent)
        return len(sent)

    async def _send_command(self, saga: Saga, dispatch: Dispatch) -> asyncio.Future[RecordMetadata]:
        return await self._producer.send_prepared(self._command(saga, dispatch))

    def _command(self, saga: Saga, dispatch: Dispatch) -> OutboundRecord:
        command = codec.command(saga, dispatch)
        key = f"{saga.task_id}/{dispatch.step_id}/{command.action}/{dispatch.attempt}"
        return self._producer.prepare(
            step_commands(dispatch.capability).name(self._settings),
            command,
            task_id=saga.task_id,
            tenant=saga.tenant,
            idempotency_key=key,
        )

    async def _publish(self, saga: Saga, workflow: Workflow | None, effects: list[Effect]) -> None:
        """Send the record's outputs and wait for the broker to acknowledge them — only these:
        other tasks' records are processed concurrently on the same producer (decision 0007)."""
        # Every output is prepared (and size-checked) before the first is sent: a record too large
        # for Kafka (RecordTooLarge) leaves nothing half-published behind.
        prepare = self._producer.prepare
        outputs: list[OutboundRecord] = []
        for effect in effects:
            if isinstance(effect, Emit):
                outputs.append(
                    prepare(
                        self._events_topic,
                        codec.event(saga.task_id, effect),
                        task_id=saga.task_id,
                        tenant=saga.tenant,
                        idempotency_key=f"{saga.task_id}#{effect.sequence}",
                    )
                )
            elif isinstance(effect, Dispatch):
                outputs.append(self._command(saga, effect))
        capabilities = {s.id: s.uses for s in workflow.steps} if workflow else {}
        outputs.append(
            prepare(self._state_topic, codec.snapshot(saga, capabilities), task_id=saga.task_id, tenant=saga.tenant)
        )
        sent = [await self._producer.send_prepared(record) for record in outputs]
        await self._producer.confirm(sent)
        self._count(saga, workflow, effects)

    def _count(self, saga: Saga, workflow: Workflow | None, effects: list[Effect]) -> None:
        """Task outcomes and compensations, once their events are published. The workflow label
        is a loaded workflow's name or "unknown" (a request may name anything)."""
        name = (
            workflow.name
            if workflow is not None
            else (saga.workflow if saga.workflow in self.workflows.by_name else "unknown")
        )
        capabilities = {s.id: s.uses for s in workflow.steps} if workflow else {}
        for effect in effects:
            if not isinstance(effect, Emit):
                continue
            if effect.kind == "task.started":
                metrics.TASKS_STARTED.labels(name).inc()
            elif effect.kind in _TASK_OUTCOMES:
                metrics.TASKS_FINISHED.labels(name, _TASK_OUTCOMES[effect.kind]).inc()
            elif effect.kind == "task.compensating":
                metrics.ROLLBACKS.labels(name).inc()
            elif effect.kind in _COMPENSATION_OUTCOMES:
                capability = capabilities.get(effect.step_id, "unknown")
                metrics.COMPENSATIONS.labels(name, capability, _COMPENSATION_OUTCOMES[effect.kind]).inc()


def _on_result(saga: Saga, workflow: Workflow, result: step_pb2.StepResult, now: float) -> list[Effect]:
    failed = result.status != step_pb2.STEP_STATUS_SUCCEEDED
    return saga.on_step_result(
        workflow,
        step_id=result.step_id,
        attempt=result.attempt,
        compensate=result.action == step_pb2.STEP_ACTION_COMPENSATE,
        succeeded=not failed,
        output=from_struct(result.output),
        error=f"{result.error.code}: {result.error.message}" if failed else "",
        retryable=result.error.retryable,
        ran=result.error.code == OUTPUT_TOO_LARGE,
        now=now,
    )


def _on_timer(saga: Saga, workflow: Workflow, _: task_pb2.TaskTimerFired, now: float) -> list[Effect]:
    return saga.on_tick(workflow, now)


def _on_cancel(saga: Saga, workflow: Workflow, cancel: task_pb2.TaskCancelRequested, now: float) -> list[Effect]:
    return saga.on_cancel(workflow, reason=cancel.reason, now=now)


def _on_review(saga: Saga, workflow: Workflow, decided: review_pb2.ReviewDecided, now: float) -> list[Effect]:
    return saga.on_review(
        workflow,
        review_id=decided.review_id,
        approved=decided.decision == review_pb2.REVIEW_DECISION_APPROVED,
        by=decided.decided_by,
        comment=decided.comment,
        now=now,
    )


# What each record type on a running task does to its saga (TaskRequested starts one: see handle).
_APPLY: dict[str, Callable[[Saga, Workflow, Any, float], list[Effect]]] = {
    step_pb2.StepResult.DESCRIPTOR.full_name: _on_result,
    task_pb2.TaskTimerFired.DESCRIPTOR.full_name: _on_timer,
    task_pb2.TaskCancelRequested.DESCRIPTOR.full_name: _on_cancel,
    review_pb2.ReviewDecided.DESCRIPTOR.full_name: _on_review,
}


def _describe_payload(payload: Message, saga: Saga) -> str:
    if isinstance(payload, step_pb2.StepResult):
        run = saga.steps.get(payload.step_id)
        now = f"{run.state.value} attempt {run.attempt}" if run else "no such step"
        return f"result for {payload.step_id} attempt {payload.attempt} action {payload.action}; step is {now}"
    return payload.DESCRIPTOR.name
