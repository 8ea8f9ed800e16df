"""The contract a watcher implements. Pure: no gRPC in here (see `servicer` and `proto`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Generic, TypeVar

from lammesh.modelregistry.domain import ModelRef
from lammesh.modelregistry.identity import code_ref
from lammesh.verdict import Stage
from lammesh.watchers.content import TextField, text_fields
from lammesh.watchers.verdicts import CheckOutcome, WatcherParams

P = TypeVar("P", bound=WatcherParams)


@dataclass(frozen=True)
class CheckInput(Generic[P]):
    """A CheckRequest as plain Python: Structs are dicts, params are the watcher's validated
    params model."""

    params: P
    content: Mapping[str, Any] = field(default_factory=dict)
    sources: Mapping[str, Any] = field(default_factory=dict)
    stage: Stage = Stage.UNSPECIFIED
    task_id: str = ""
    step_id: str = ""
    attempt: int = 0
    capability: str = ""
    tenant: str = ""

    @cached_property
    def texts(self) -> list[TextField]:
        """The non-empty strings of `content`, with dotted field paths."""
        return text_fields(self.content)


class Watcher(Generic[P]):
    """Base class of every watcher.

    Subclasses set `name`, `version` and `params_model` (a `WatcherParams` subclass; its fields
    are what a workflow may put in CheckRequest.params) and implement `check_batch`. The server
    validates params before calling, so `check_batch` only sees well-formed inputs. Override
    `start` to load models or warm up: it runs before the service reports SERVING.

    `model` names what gives the verdicts (every CheckResponse carries it): by default the
    watcher's code (its version and the sha256 of its package sources); a model watcher sets
    `self.model` in `start` to the artifact it loaded (`lammesh.modelregistry.identity`).
    """

    name: ClassVar[str]
    version: ClassVar[str] = "0.1.0"
    params_model: ClassVar[type[WatcherParams]] = WatcherParams
    _model: ModelRef | None = None

    @property
    def model(self) -> ModelRef:
        if self._model is None:
            self._model = code_ref(self.name, self.version, type(self))
        return self._model

    @model.setter
    def model(self, ref: ModelRef) -> None:
        self._model = ref

    async def start(self) -> None:
        """Load and warm up; called once before the service goes SERVING."""

    async def check_batch(self, inputs: list[CheckInput[P]]) -> list[CheckOutcome]:
        """One outcome per input, same order. Called with 1..settings.watcher_max_batch inputs."""
        raise NotImplementedError


class RuleWatcher(Watcher[P]):
    """A watcher whose checks are quick pure functions of one input: implement `check`."""

    def check(self, item: CheckInput[P]) -> CheckOutcome:
        raise NotImplementedError

    async def check_batch(self, inputs: list[CheckInput[P]]) -> list[CheckOutcome]:
        return [self.check(item) for item in inputs]
