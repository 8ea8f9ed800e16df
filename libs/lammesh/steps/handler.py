"""The contract an agent or tool implements: `execute`, and `compensate` for side effects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from lammesh.v1 import registry_pb2


class StepFailure(Exception):
    """A step failed in a way the handler understands; `retryable` tells the coordinator whether
    another attempt may succeed, `field` names the offending input field when there is one."""

    def __init__(self, code: str, message: str, *, retryable: bool, field: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retryable = retryable
        self.field = field


@dataclass(frozen=True)
class StepContext:
    task_id: str
    step_id: str
    attempt: int
    capability: str
    input: Mapping[str, Any]
    previous_output: Mapping[str, Any] = field(default_factory=dict)
    deadline: datetime | None = None
    tenant: str = ""
    workflow: str = ""


class StepHandler:
    """Base class of agents and tools. Subclasses set `capability` and `version` and implement
    `execute`; tools with side effects implement `compensate` too."""

    capability: ClassVar[str]
    version: ClassVar[str] = "0.1.0"
    kind: ClassVar[int] = registry_pb2.SERVICE_KIND_TOOL

    async def execute(self, step: StepContext) -> Mapping[str, Any]:
        raise NotImplementedError

    async def compensate(self, step: StepContext) -> Mapping[str, Any]:
        """Undo `execute`. The default suits handlers without side effects: nothing to undo."""
        return {}
