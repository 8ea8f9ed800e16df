"""The noop handler. Fault injection is driven by input fields, and keyed on the attempt number so
it is deterministic across redeliveries and restarts."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lammesh.steps import StepContext, StepFailure, StepHandler


class NoopFaults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fail: bool = Field(False, description="Fail every attempt.")
    fail_times: int = Field(0, ge=0, description="Fail attempts 1..N, then succeed.")
    retryable: bool = Field(True, description="Whether the injected failures are retryable.")
    delay_ms: float = Field(0, ge=0, le=600_000, description="Sleep this long before answering.")
    fail_compensation: bool = Field(False, description="Fail every compensation attempt.")
    fail_compensation_times: int = Field(0, ge=0, description="Fail compensation attempts 1..N.")


class NoopInput(NoopFaults):
    """Fault fields for this call, or per step id under `faults` (so one task input can steer
    every step of a workflow). Any other field is echoed back untouched."""

    model_config = ConfigDict(extra="allow")

    faults: dict[str, NoopFaults] = Field(default_factory=dict)

    def for_step(self, step_id: str) -> NoopFaults:
        return self.faults.get(step_id, self)


class NoopTool(StepHandler):
    async def execute(self, step: StepContext) -> Mapping[str, Any]:
        control = NoopInput.model_validate(step.input).for_step(step.step_id)
        if control.delay_ms:
            await asyncio.sleep(control.delay_ms / 1000)
        if control.fail or step.attempt <= control.fail_times:
            raise StepFailure(
                "INJECTED_FAILURE",
                f"noop told to fail (attempt {step.attempt})",
                retryable=control.retryable,
            )
        return dict(step.input)

    async def compensate(self, step: StepContext) -> Mapping[str, Any]:
        control = NoopInput.model_validate(step.input).for_step(step.step_id)
        if control.fail_compensation or step.attempt <= control.fail_compensation_times:
            raise StepFailure(
                "INJECTED_FAILURE",
                f"noop told to fail compensation (attempt {step.attempt})",
                retryable=True,
            )
        return {"compensated": True}
