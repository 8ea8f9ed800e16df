"""Runs one StepCommand through a handler: input conversion, deadline, error classification,
idempotent replay. Shared by the Kafka worker and the gRPC servicer so both behave the same."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import structlog
from opentelemetry.trace import Status, StatusCode
from pydantic import BaseModel, ValidationError

from lammesh import metrics, tracing
from lammesh.audit import audit
from lammesh.errors import first_problem
from lammesh.steps.handler import StepContext, StepFailure, StepHandler, StepIdentity
from lammesh.steps.idempotency import IdempotencyStore
from lammesh.structs import from_struct, to_struct
from lammesh.v1 import step_pb2

log = structlog.get_logger(__name__)

_ACTION_NAMES = {step_pb2.STEP_ACTION_EXECUTE: "execute", step_pb2.STEP_ACTION_COMPENSATE: "compensate"}


def success_key(command: step_pb2.StepCommand) -> str:
    """A success is final for (task, step, action): any later attempt gets the same answer."""
    return f"{command.task_id}/{command.step_id}/{command.action}"


def failure_key(command: step_pb2.StepCommand) -> str:
    """A failure is final only for its own attempt: the coordinator's retry runs again."""
    return f"{success_key(command)}/{command.attempt}"


def validate_command(command: step_pb2.StepCommand, capability: str) -> StepFailure | None:
    """Check the envelope-level fields of a command; None when it is well formed."""
    for name in ("task_id", "step_id"):
        if not getattr(command, name):
            return StepFailure("INVALID_COMMAND", "is required", retryable=False, field=name)
    if command.action not in _ACTION_NAMES:
        return StepFailure("INVALID_COMMAND", "must be EXECUTE or COMPENSATE", retryable=False, field="action")
    if command.capability and command.capability != capability:
        return StepFailure(
            "INVALID_COMMAND",
            f"this service serves {capability!r}, not {command.capability!r}",
            retryable=False,
            field="capability",
        )
    return None


class StepExecutor:
    def __init__(self, handler: StepHandler, store: IdempotencyStore, *, service: str, identity: StepIdentity) -> None:
        self.handler = handler
        self.identity = identity
        self._store = store
        self._service = service

    async def run(
        self, command: step_pb2.StepCommand, *, caller: str | None = None, via: str = "in-process"
    ) -> step_pb2.StepResult:
        """Execute or compensate a command that `validate_command` accepted, for `caller` (a
        service identity or Kafka producer) that sent it `via` grpc or kafka; audited, in a span
        of the task's trace (the caller's context: the consumed record's, or the gRPC call's)."""
        action = _ACTION_NAMES.get(command.action, "unknown")
        with tracing.tracer().start_as_current_span(
            f"{action} {self.identity.capability}",
            attributes={
                tracing.TASK_ID: command.task_id,
                tracing.STEP_ID: command.step_id,
                tracing.ATTEMPT: command.attempt,
                tracing.CAPABILITY: self.identity.capability,
                "lammesh.action": action,
            },
        ) as span:
            result = await self._run(command)
            span.set_attributes(
                {"lammesh.step_status": step_pb2.StepStatus.Name(result.status), "lammesh.replayed": result.replayed}
            )
            if result.status != step_pb2.STEP_STATUS_SUCCEEDED:
                span.set_status(Status(StatusCode.ERROR, f"{result.error.code}: {result.error.message}"))
        audit(
            _ACTION_NAMES.get(command.action, "unknown"),
            "replayed"
            if result.replayed
            else ("succeeded" if result.status == step_pb2.STEP_STATUS_SUCCEEDED else "failed"),
            caller=caller,
            via=via,
            task_id=command.task_id,
            step_id=command.step_id,
            idempotency_key=success_key(command),
            attempt=command.attempt,
            capability=self.identity.capability,
            tenant=command.tenant,
            error_code=result.error.code or None,
        )
        return result

    async def _run(self, command: step_pb2.StepCommand) -> step_pb2.StepResult:
        for key in (success_key(command), failure_key(command)):
            stored = await self._store.get(key)
            if stored is not None:
                # The stored outcome, as the answer to *this* command: a retry (attempt n+1) of a
                # step that already succeeded gets its result under the attempt it asked about.
                stored.attempt = command.attempt
                stored.replayed = True
                return stored
        started = time.perf_counter()
        result = self._result_shell(command)
        try:
            output = await self._call(command)
        except StepFailure as failure:
            result.status = step_pb2.STEP_STATUS_FAILED
            result.error.CopyFrom(
                step_pb2.StepError(
                    code=failure.code, message=failure.message, retryable=failure.retryable, field=failure.field
                )
            )
        else:
            result.status = step_pb2.STEP_STATUS_SUCCEEDED
            try:
                result.output.CopyFrom(to_struct(output))
            except (TypeError, ValueError) as exc:
                result.status = step_pb2.STEP_STATUS_FAILED
                result.error.CopyFrom(step_pb2.StepError(code="INVALID_OUTPUT", message=str(exc), retryable=False))
        elapsed = time.perf_counter() - started
        result.service_time_us = int(elapsed * 1_000_000)
        succeeded = result.status == step_pb2.STEP_STATUS_SUCCEEDED
        await self._store.put(success_key(command) if succeeded else failure_key(command), result)
        action = _ACTION_NAMES.get(command.action, "unknown")
        status = "succeeded" if succeeded else "failed"
        metrics.STEPS.labels(self.identity.capability, action, status).inc()
        metrics.STEP_SECONDS.labels(self.identity.capability).observe(elapsed)
        if not succeeded:
            log.info(
                "step failed",
                step_id=command.step_id,
                attempt=command.attempt,
                code=result.error.code,
                error=result.error.message,
                retryable=result.error.retryable,
            )
        return result

    def _result_shell(self, command: step_pb2.StepCommand) -> step_pb2.StepResult:
        return step_pb2.StepResult(
            task_id=command.task_id,
            step_id=command.step_id,
            attempt=command.attempt,
            capability=self.identity.capability,
            action=command.action,
            service=self._service,
            service_version=self.identity.version,
        )

    async def _call(self, command: step_pb2.StepCommand) -> Mapping[str, Any]:
        deadline = command.deadline.ToDatetime(tzinfo=UTC) if command.HasField("deadline") else None
        raw_input = from_struct(command.input)
        data = None
        input_model = self.handler.Input
        if input_model is not None and command.action == step_pb2.STEP_ACTION_EXECUTE:
            try:
                data = input_model.model_validate(raw_input)
            except ValidationError as exc:
                raise _failure("INVALID_INPUT", exc, "input") from None
        context = StepContext(
            task_id=command.task_id,
            step_id=command.step_id,
            attempt=command.attempt,
            capability=self.identity.capability,
            input=raw_input,
            previous_output=from_struct(command.previous_output),
            deadline=deadline,
            tenant=command.tenant,
            workflow=command.workflow,
            data=data,
        )
        method = self.handler.compensate if command.action == step_pb2.STEP_ACTION_COMPENSATE else self.handler.execute
        timeout = None if deadline is None else (deadline - datetime.now(UTC)).total_seconds()
        if timeout is not None and timeout <= 0:
            raise StepFailure("DEADLINE_EXCEEDED", "the step's deadline passed before it started", retryable=True)
        try:
            output = await asyncio.wait_for(method(context), timeout)
        except StepFailure:
            raise
        except TimeoutError:
            raise StepFailure(
                "DEADLINE_EXCEEDED", "the step did not finish before its deadline", retryable=True
            ) from None
        except ValidationError as exc:
            raise _failure("INVALID_INPUT", exc) from None
        except Exception as exc:  # unexpected: assume transient, let the retry policy decide
            log.exception("step handler raised", step_id=command.step_id)
            raise StepFailure("INTERNAL", f"{type(exc).__name__}: {exc}", retryable=True) from None
        return self._checked_output(output, compensating=command.action == step_pb2.STEP_ACTION_COMPENSATE)

    def _checked_output(self, output: Mapping[str, Any] | BaseModel, *, compensating: bool) -> Mapping[str, Any]:
        """A model is dumped as JSON; on execute, a mapping is validated against `Output` when declared."""
        output_model = self.handler.Output
        try:
            if not compensating and output_model is not None and not isinstance(output, output_model):
                output = output_model.model_validate(output)
        except ValidationError as exc:
            raise _failure("INVALID_OUTPUT", exc, "output") from None
        if isinstance(output, BaseModel):
            return output.model_dump(mode="json")
        return output


def _failure(code: str, error: ValidationError, *prefix: str) -> StepFailure:
    """Bad data never gets better by retrying: a non-retryable failure naming the field."""
    field, message = first_problem(error, *prefix)
    return StepFailure(code, message, retryable=False, field=field)
