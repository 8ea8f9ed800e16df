"""The contract an agent or tool implements: `execute`, and `compensate` for side effects.

    class Summarise(StepHandler):
        class Input(BaseModel):
            text: str = Field(min_length=1)

        class Output(BaseModel):
            summary: str

        async def execute(self, step: StepContext) -> Output:
            data: Summarise.Input = step.data       # validated before execute is called
            return self.Output(summary=data.text[:80])

Its identity (capability, kind, version) is declared once, in its catalogue entry
(`ServiceSpec(name="summarise", kind=AGENT, capability="summarise", handler="pkg.summarise:Summarise")`),
which the runtime hands to the executor as a `StepIdentity`: the class itself names no topic.

With `Input` set, the runtime validates the step input at the edge: a bad field becomes a
non-retryable `INVALID_INPUT` step error naming it (`input.text`), and `step.data` holds the model.
With `Output` set, whatever `execute` returns (a model or a mapping) is validated against it and
sent as JSON. `side_effects = True` gives the handler a durable idempotency store (SQLite), so a
redelivered command is answered from the store even after a restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self

from pydantic import BaseModel

from lammesh.v1 import registry_pb2

if TYPE_CHECKING:
    from lammesh.settings import Settings


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
    data: Any = None
    """The input validated against the handler's `Input` model (None when it declares none)."""

    @property
    def key(self) -> str:
        """The idempotency key of this step within its task: side effects are keyed on it."""
        return f"{self.task_id}/{self.step_id}"


@dataclass(frozen=True)
class StepIdentity:
    """What a step service serves and announces: commands arrive on `<prefix>.steps.<capability>`,
    results carry `version`, the registry lists `kind`. Read from the catalogue entry."""

    capability: str
    version: str = "1.0.0"
    kind: int = registry_pb2.SERVICE_KIND_TOOL


class StepHandler:
    """Base class of agents and tools: implement `execute`; tools with side effects implement
    `compensate` too and set `side_effects`. `from_settings` builds the handler the catalogue
    entry names when the service starts."""

    side_effects: ClassVar[bool] = False
    Input: ClassVar[type[BaseModel] | None] = None
    Output: ClassVar[type[BaseModel] | None] = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """The handler for a service started with `settings`; override when it needs them."""
        return cls()

    async def execute(self, step: StepContext) -> Mapping[str, Any] | BaseModel:
        raise NotImplementedError

    async def compensate(self, step: StepContext) -> Mapping[str, Any] | BaseModel:
        """Undo `execute`. The default suits handlers without side effects: nothing to undo."""
        return {}

    async def start(self) -> None:
        """Open what the handler needs (database, model); called before the service serves."""

    async def close(self) -> None:
        """Release it; called when the service stops."""
