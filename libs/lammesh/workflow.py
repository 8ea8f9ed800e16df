"""The workflow model: a YAML file describing a DAG of steps, validated at load.

Pure code: no Kafka, gRPC or clock. A bad file raises WorkflowError naming the file and the path of
the offending field (e.g. `steps[2].compensate`).

    name: meeting_followup
    steps:
      - id: notes
        uses: notes
        input: {transcript: "${input.transcript}"}
        watchers: {input: [injection]}
      - id: crm
        uses: crm
        input: {summary: "${steps.notes.output.summary}"}
        compensate: {}            # undo by sending COMPENSATE to the same capability
      - id: email
        uses: email
        after: [crm]
        pivot: true               # irreversible: later steps retry forward, never compensate

A workflow may declare `input_schema:` (JSON Schema, see lammesh.input_schema) that every task
input is checked against before the task starts. Watcher names must be known (`watchers`: the
catalogue's watcher services and the configured watcher endpoints) when the caller passes them.

Input values may reference `${input.<path>}`, `${steps.<id>.output.<path>}`, `${task.id}` and
`${task.tenant}`, optionally with a JSON default: `${input.faults ?? {}}`. A value that is exactly
one reference keeps its JSON type; references inside a longer string are formatted into it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lammesh.input_schema import input_problem, schema_problem

REFERENCE = re.compile(r"\$\{((?:[^{}]|\{[^{}]*\})*)\}")  # one level of {} for defaults
_ID = r"^[a-z][a-z0-9_]*$"
_CAPABILITY = r"^[A-Za-z0-9._-]+$"


class WorkflowError(ValueError):
    """An invalid workflow. `path` is the dotted/indexed path of the offending field."""

    def __init__(self, path: str, message: str, source: str = "") -> None:
        self.path = path
        self.problem = message
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{path}: {message}")


class WatcherErrorPolicy(StrEnum):
    BLOCK = "block"  # fail closed
    ALLOW = "allow"  # fail open


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RetryPolicy(_Strict):
    max_attempts: int = Field(3, ge=1, le=100)
    backoff_s: float = Field(0.2, ge=0, le=3600)
    multiplier: float = Field(2.0, ge=1, le=10)
    max_backoff_s: float = Field(30.0, ge=0, le=86_400)

    def delay_after(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return min(self.backoff_s * self.multiplier ** (attempt - 1), self.max_backoff_s)


class WatcherRef(_Strict):
    name: str = Field(pattern=_ID)
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value


class StepWatchers(_Strict):
    input: list[WatcherRef] = Field(default_factory=list)
    output: list[WatcherRef] = Field(default_factory=list)


class Compensation(_Strict):
    """How to undo a step: COMPENSATE sent to `uses` (default: the step's own capability)."""

    uses: str | None = Field(None, pattern=_CAPABILITY)
    input: dict[str, Any] | None = None
    retry: RetryPolicy = Field(default_factory=lambda: RetryPolicy(max_attempts=5, backoff_s=0.5))
    timeout_s: float | None = Field(None, gt=0, le=86_400)


class Step(_Strict):
    id: str = Field(pattern=_ID)
    uses: str = Field(pattern=_CAPABILITY)
    input: dict[str, Any] = Field(default_factory=dict)
    after: list[str] = Field(default_factory=list)
    timeout_s: float = Field(30.0, gt=0, le=86_400)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    compensate: Compensation | None = None
    pivot: bool = False
    watchers: StepWatchers = Field(default_factory=StepWatchers)
    on_watcher_error: WatcherErrorPolicy | None = None
    watcher_timeout_ms: int | None = Field(None, ge=1, le=60_000)


class Workflow(_Strict):
    name: str = Field(pattern=_ID)
    version: int = Field(1, ge=1)
    description: str = ""
    on_watcher_error: WatcherErrorPolicy = WatcherErrorPolicy.BLOCK
    watcher_timeout_ms: int = Field(500, ge=1, le=60_000)
    input_schema: dict[str, Any] | None = None
    steps: list[Step] = Field(min_length=1)

    @field_validator("steps")
    @classmethod
    def _unique_ids(cls, steps: list[Step]) -> list[Step]:
        seen: set[str] = set()
        for index, step in enumerate(steps):
            if step.id in seen:
                raise ValueError(f"duplicate step id {step.id!r} at steps[{index}]")
            seen.add(step.id)
        return steps

    def input_problem(self, task_input: Mapping[str, Any]) -> tuple[str, str] | None:
        """(field path, message) of the first way `task_input` breaks `input_schema`; None if it fits."""
        return input_problem(self.input_schema, task_input)

    # -- derived views (cached: the model is frozen) --------------------------------------------

    def step(self, step_id: str) -> Step:
        return self._by_id()[step_id]

    def _by_id(self) -> dict[str, Step]:
        cached = self.__dict__.get("_by_id_cache")
        if cached is None:
            cached = {s.id: s for s in self.steps}
            self.__dict__["_by_id_cache"] = cached
        return cached

    def dependencies(self, step_id: str) -> frozenset[str]:
        """Direct dependencies: `after` plus every step the input references."""
        deps: dict[str, frozenset[str]] = self.__dict__.setdefault("_deps_cache", {})
        if step_id not in deps:
            step = self.step(step_id)
            deps[step_id] = frozenset(step.after) | referenced_steps(step.input)
        return deps[step_id]

    def ancestors(self, step_id: str) -> frozenset[str]:
        found: set[str] = set()
        stack = list(self.dependencies(step_id))
        while stack:
            current = stack.pop()
            if current not in found:
                found.add(current)
                stack.extend(self.dependencies(current))
        return frozenset(found)

    def after_pivot(self, step_id: str) -> bool:
        """True when a pivot step must run before this one (it is retried forward only)."""
        return any(self.step(a).pivot for a in self.ancestors(step_id))

    @property
    def digest(self) -> str:
        cached = self.__dict__.get("_digest")
        if cached is None:
            definition = self.model_dump(mode="json")
            if definition["input_schema"] is None:  # workflows without one keep the digest they had before it existed
                del definition["input_schema"]
            canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"))
            cached = hashlib.sha256(canonical.encode()).hexdigest()[:16]
            self.__dict__["_digest"] = cached
        return cached


# -- references -------------------------------------------------------------------------------


def _split_default(ref: str) -> tuple[str, str | None]:
    path, sep, default = ref.partition("??")
    return path.strip(), (default.strip() if sep else None)


def _references(value: Any) -> Iterable[str]:
    """The paths referenced in `value` (without their defaults)."""
    if isinstance(value, str):
        yield from (_split_default(m)[0] for m in REFERENCE.findall(value))
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def referenced_steps(value: Any) -> frozenset[str]:
    return frozenset(
        ref.split(".")[1] for ref in _references(value) if ref.startswith("steps.") and ref.count(".") >= 2
    )


def _check_reference(ref: str) -> str | None:
    """None when `ref` is well formed, else what is wrong with it."""
    parts = ref.split(".")
    if parts[0] == "input":
        return None if all(parts[1:]) else "an input reference looks like ${input.field}"
    if parts[0] == "task":
        return None if len(parts) == 2 and parts[1] in ("id", "tenant") else "use ${task.id} or ${task.tenant}"
    if parts[0] == "steps":
        if len(parts) < 3 or parts[2] != "output" or not all(parts[1:]):
            return "a step reference looks like ${steps.<id>.output[.field]}"
        return None
    return f"unknown reference root {parts[0]!r} (use input, steps or task)"


class MissingReference(LookupError):
    """A reference points at data the task does not have (yet)."""


def _lookup(data: Any, path: list[str], ref: str) -> Any:
    for key in path:
        if isinstance(data, Mapping) and key in data:
            data = data[key]
        elif isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        else:
            raise MissingReference(f"${{{ref}}} not found")
    return data


def resolve(value: Any, *, task_input: Mapping[str, Any], outputs: Mapping[str, Any], task: Mapping[str, str]) -> Any:
    """Replace references in `value` by the data they point at."""
    if isinstance(value, Mapping):
        return {k: resolve(v, task_input=task_input, outputs=outputs, task=task) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, task_input=task_input, outputs=outputs, task=task) for v in value]
    if not isinstance(value, str) or "${" not in value:
        return value

    def one(expression: str) -> Any:
        ref, default = _split_default(expression)
        parts = ref.split(".")
        try:
            if parts[0] == "input":
                return _lookup(task_input, parts[1:], ref)
            if parts[0] == "task":
                return _lookup(task, parts[1:], ref)
            return _lookup(outputs, [parts[1], *parts[3:]], ref)
        except MissingReference:
            if default is None:
                raise
            return json.loads(default)

    whole = REFERENCE.fullmatch(value)
    if whole:
        return one(whole.group(1))
    return REFERENCE.sub(lambda m: _as_text(one(m.group(1))), value)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


# -- loading and graph validation -------------------------------------------------------------


def _pydantic_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "<root>"


def _walk_values(value: Any, path: str) -> Iterable[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk_values(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk_values(item, f"{path}[{index}]")
    else:
        yield path, value


Names = set[str] | frozenset[str]


def validate_graph(workflow: Workflow, capabilities: Names | None = None, watchers: Names | None = None) -> None:
    """Checks pydantic cannot: capabilities, watcher names, the input schema, references, cycles,
    pivot rules."""
    if workflow.input_schema is not None:
        problem = schema_problem(workflow.input_schema)
        if problem is not None:
            where, message = problem
            raise WorkflowError(f"input_schema.{where}" if where else "input_schema", message)
    ids = {s.id for s in workflow.steps}
    index = {s.id: i for i, s in enumerate(workflow.steps)}
    for i, step in enumerate(workflow.steps):
        at = f"steps[{i}]"
        for stage in ("input", "output"):
            for j, ref in enumerate(getattr(step.watchers, stage)):
                if watchers is not None and ref.name not in watchers:
                    raise WorkflowError(
                        f"{at}.watchers.{stage}[{j}]",
                        f"unknown watcher {ref.name!r}; known: {', '.join(sorted(watchers)) or 'none'}",
                    )
        if capabilities is not None and step.uses not in capabilities:
            raise WorkflowError(
                f"{at}.uses", f"unknown capability {step.uses!r}; known: {', '.join(sorted(capabilities))}"
            )
        if (
            step.compensate
            and step.compensate.uses
            and capabilities is not None
            and step.compensate.uses not in capabilities
        ):
            raise WorkflowError(f"{at}.compensate.uses", f"unknown capability {step.compensate.uses!r}")
        for j, dep in enumerate(step.after):
            if dep not in ids:
                raise WorkflowError(f"{at}.after[{j}]", f"no step {dep!r} in this workflow")
            if dep == step.id:
                raise WorkflowError(f"{at}.after[{j}]", "a step cannot run after itself")
        mappings = [(f"{at}.input", step.input)]
        if step.compensate and step.compensate.input is not None:
            mappings.append((f"{at}.compensate.input", step.compensate.input))
        for base, mapping in mappings:
            for path, leaf in _walk_values(mapping, base):
                for expression in REFERENCE.findall(leaf) if isinstance(leaf, str) else ():
                    _, fallback = _split_default(expression)
                    if fallback is not None:
                        try:
                            json.loads(fallback)
                        except ValueError:
                            raise WorkflowError(path, f"default of ${{{expression}}} is not JSON") from None
                for ref in _references(leaf):
                    reference_problem = _check_reference(ref)
                    if reference_problem:
                        raise WorkflowError(path, f"bad reference ${{{ref}}}: {reference_problem}")
                    parts = ref.split(".")
                    if parts[0] == "steps" and parts[1] not in ids:
                        raise WorkflowError(path, f"${{{ref}}} refers to missing step {parts[1]!r}")
                    if parts[0] == "steps" and parts[1] == step.id:
                        raise WorkflowError(path, f"${{{ref}}} refers to the step's own output")
    _check_acyclic(workflow, index)
    for i, step in enumerate(workflow.steps):
        if step.compensate is not None and workflow.after_pivot(step.id):
            pivots = sorted(a for a in workflow.ancestors(step.id) if workflow.step(a).pivot)
            raise WorkflowError(
                f"steps[{i}].compensate",
                f"step {step.id!r} runs after pivot {pivots[0]!r}, so it is retried forward and cannot be compensated",
            )


def _check_acyclic(workflow: Workflow, index: dict[str, int]) -> None:
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(step_id: str, trail: list[str]) -> None:
        state[step_id] = 1
        for dep in sorted(workflow.dependencies(step_id)):
            if state.get(dep) == 1:
                cycle = " -> ".join([*trail[trail.index(dep) :], dep]) if dep in trail else f"{step_id} -> {dep}"
                raise WorkflowError(f"steps[{index[step_id]}]", f"dependency cycle: {cycle}")
            if state.get(dep) is None:
                visit(dep, [*trail, dep])
        state[step_id] = 2

    for step in workflow.steps:
        if step.id not in state:
            visit(step.id, [step.id])


def parse_workflow(
    data: Any, *, capabilities: Names | None = None, watchers: Names | None = None, source: str = ""
) -> Workflow:
    if not isinstance(data, Mapping):
        raise WorkflowError("<root>", "a workflow is a mapping with name and steps", source)
    try:
        workflow = Workflow.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise WorkflowError(_pydantic_path(tuple(first["loc"])), first["msg"], source) from None
    try:
        validate_graph(workflow, capabilities, watchers)
    except WorkflowError as exc:
        raise WorkflowError(exc.path, exc.problem, source) from None
    return workflow


def load_workflow(path: str | Path, *, capabilities: Names | None = None, watchers: Names | None = None) -> Workflow:
    path = Path(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise WorkflowError("<file>", f"cannot read: {exc.strerror}", str(path)) from None
    return parse_workflow(_parse_yaml(content, path), capabilities=capabilities, watchers=watchers, source=str(path))


def _parse_yaml(content: bytes, path: Path) -> Any:
    try:
        return yaml.safe_load(content)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "<file>"
        raise WorkflowError(where, f"not valid YAML: {getattr(exc, 'problem', exc)}", str(path)) from None


def workflow_files(directory: str | Path) -> list[Path]:
    """The workflow files of a folder (`*.yaml`, `*.yml`), in the order they are loaded."""
    return sorted(Path(directory).glob("*.y*ml"))


def load_workflows(
    directory: str | Path, *, capabilities: Names | None = None, watchers: Names | None = None
) -> dict[str, Workflow]:
    """Every `*.yaml` in `directory`, by workflow name; the first bad file raises."""
    workflows: dict[str, Workflow] = {}
    for path in workflow_files(directory):
        workflow = load_workflow(path, capabilities=capabilities, watchers=watchers)
        if workflow.name in workflows:
            raise WorkflowError("name", f"workflow {workflow.name!r} is defined twice", str(path))
        workflows[workflow.name] = workflow
    return workflows


@dataclass(frozen=True)
class WorkflowChanges:
    """What one (re)read of the workflow folder did."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    refused: tuple[WorkflowError, ...] = ()
    """Bad files (each error names the file and the field); their workflows keep the last good version."""

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.refused)


class WorkflowRegistry:
    """The loaded workflows: by name (to start tasks) and by digest (to continue them).

    `follow(directory)` makes a registry that `reload()` keeps up with the folder: a valid file
    adds or replaces its workflow, a bad one is refused (its error returned, the workflow keeps
    its last good version), a removed file's workflow takes no new tasks. Every version loaded
    stays in `by_digest`, so a task goes on with the version it started with."""

    def __init__(self, workflows: dict[str, Workflow]) -> None:
        self.by_name = workflows
        self.by_digest = {w.digest: w for w in workflows.values()}
        self._folder: Path | None = None
        self._capabilities: Names | None = None
        self._watchers: Names | None = None
        self._files: dict[Path, tuple[bytes, str | None]] = {}  # path -> (content, workflow name it holds)
        self.refused: dict[Path, WorkflowError] = {}

    @classmethod
    def load(
        cls, directory: str | Path, *, capabilities: Names | None = None, watchers: Names | None = None
    ) -> WorkflowRegistry:
        """Every file must be valid: the first bad one raises (`lammesh workflows validate`, tools)."""
        return cls(load_workflows(directory, capabilities=capabilities, watchers=watchers))

    @classmethod
    def follow(
        cls, directory: str | Path, *, capabilities: Names | None = None, watchers: Names | None = None
    ) -> tuple[WorkflowRegistry, WorkflowChanges]:
        """The valid workflows of `directory` now (bad files refused, in the changes), for `reload`."""
        registry = cls({})
        registry._folder = Path(directory)
        registry._capabilities, registry._watchers = capabilities, watchers
        return registry, registry.reload()

    def reload(self) -> WorkflowChanges:
        """Read the folder again (files whose content changed, and refused ones, are parsed)."""
        if self._folder is None:
            raise RuntimeError("this registry was not made by WorkflowRegistry.follow")
        added: list[str] = []
        changed: list[str] = []
        removed: list[str] = []
        refused: list[WorkflowError] = []
        current: dict[Path, bytes] = {}
        for path in workflow_files(self._folder):
            try:
                current[path] = path.read_bytes()
            except OSError as exc:  # gone between listing and reading, or unreadable: as if absent now
                if path in self._files:
                    current[path] = self._files[path][0]
                refused.append(WorkflowError("<file>", f"cannot read: {exc.strerror}", str(path)))
        for path in [p for p in self._files if p not in current]:
            _, name = self._files.pop(path)
            self.refused.pop(path, None)
            if name is not None and name in self.by_name:
                del self.by_name[name]
                removed.append(name)
        owners = {name: path for path, (_, name) in self._files.items() if name is not None}
        for path, content in current.items():
            before = self._files.get(path)
            unchanged = before is not None and before[0] == content
            if unchanged and path not in self.refused:
                continue
            # a refused file is tried again (a workflow it duplicated may be gone), reported once per content
            try:
                workflow = parse_workflow(
                    _parse_yaml(content, path),
                    capabilities=self._capabilities,
                    watchers=self._watchers,
                    source=str(path),
                )
                owner = owners.get(workflow.name)
                if owner is not None and owner != path:
                    raise WorkflowError("name", f"workflow {workflow.name!r} is already defined in {owner}", str(path))
            except WorkflowError as exc:
                if not unchanged:
                    refused.append(exc)
                self.refused[path] = exc
                # the workflow this file held keeps its last good version; the content is not read again until it changes
                self._files[path] = (content, before[1] if before else None)
                continue
            self.refused.pop(path, None)
            previous_name = before[1] if before else None
            if previous_name is not None and previous_name != workflow.name and previous_name in self.by_name:
                del self.by_name[previous_name]  # the file now holds another workflow
                removed.append(previous_name)
            old = self.by_name.get(workflow.name)
            if old is None:
                added.append(workflow.name)
            elif old.digest != workflow.digest:
                changed.append(workflow.name)
            self.by_name[workflow.name] = workflow
            self.by_digest.setdefault(workflow.digest, workflow)
            self._files[path] = (content, workflow.name)
            owners[workflow.name] = path
        return WorkflowChanges(tuple(added), tuple(changed), tuple(removed), tuple(refused))

    def capabilities(self) -> set[str]:
        """Every capability the workflows use, compensations included."""
        used = set()
        for workflow in self.by_name.values():
            for step in workflow.steps:
                used.add(step.uses)
                if step.compensate and step.compensate.uses:
                    used.add(step.compensate.uses)
        return used
