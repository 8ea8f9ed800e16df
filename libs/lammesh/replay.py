"""`lammesh task replay`: re-run a finished task's recorded checks against other model versions.

In process and without side effects: nothing is published, no task changes. For each check the
task recorded (a `watchers.checked` event: watcher, verdict, score, ModelRef), the content the
watcher saw is rebuilt (lammesh.feedback.report.checked_content), each requested version of the
watcher's registry model is materialised from the content-addressed store (ArtifactStore.checkout)
and loaded by the watcher's own class (its `start()`, the loader the service uses), and its verdict
is set beside the recorded one.

A rule watcher (pii, policy, loop: no registry model) is shown with its recorded verdict only:
its "model" is its code, which the registry does not version (docs/feedback.md, decision 0710).
"""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lammesh.feedback.recorded import RecordedCheck, recorded_checks
from lammesh.feedback.report import checked_content
from lammesh.modelregistry.domain import Registry, RegistryError
from lammesh.modelregistry.store import ArtifactStore
from lammesh.settings import Settings
from lammesh.v1 import task_pb2
from lammesh.verdict import Stage
from lammesh.watchers.watcher import CheckInput, Watcher
from lammesh.workflow import Workflow

# Watchers whose verdicts come from a registry model, and the class that loads it from models_dir.
MODEL_WATCHERS: dict[str, str] = {
    "injection": "lammesh_services.watchers.injection.watcher:InjectionWatcher",
}
RULE_WATCHER = "rule watcher: recorded verdict only"


@dataclass(frozen=True)
class Replayed:
    verdict: str = ""
    score: float = 0.0
    note: str = ""
    """Why there is no verdict (a rule watcher, a version missing from the store, ...)."""


@dataclass
class ReplayRow:
    check: RecordedCheck
    replayed: dict[str, Replayed] = field(default_factory=dict)
    """Version -> its verdict on the same content."""


def watcher_params(workflow: Workflow | None, step: str, stage: str, watcher: str) -> dict:
    if workflow is None:
        return {}
    try:
        refs = getattr(workflow.step(step).watchers, stage)
    except KeyError:
        return {}
    return next((dict(ref.params) for ref in refs if ref.name == watcher), {})


def plan(checks: Iterable[RecordedCheck], versions: Sequence[str]) -> list[ReplayRow]:
    """Pure: one row per recorded check; rule watchers and errors get their note right away."""
    rows = []
    for check in checks:
        row = ReplayRow(check)
        for version in versions:
            if check.watcher not in MODEL_WATCHERS:
                row.replayed[version] = Replayed(note=RULE_WATCHER)
            elif check.error:
                row.replayed[version] = Replayed(note=f"not replayed: the recorded check failed ({check.error})")
        rows.append(row)
    return rows


def _watcher_class(watcher: str) -> type[Watcher]:
    module, _, name = MODEL_WATCHERS[watcher].partition(":")
    return getattr(importlib.import_module(module), name)


async def replay(
    settings: Settings,
    task: task_pb2.Task,
    events: Iterable[task_pb2.TaskEvent],
    workflow: Workflow | None,
    registry: Registry,
    versions: Sequence[str],
) -> list[ReplayRow]:
    """Every recorded check of `task`, with the verdict of each of `versions` of its model."""
    rows = plan(recorded_checks(events), versions)
    store = ArtifactStore(settings.models_registry_dir)
    loaded: dict[tuple[str, str], Watcher] = {}
    with tempfile.TemporaryDirectory(prefix="lammesh-replay-") as scratch:
        for row in rows:
            check = row.check
            for version in versions:
                if version in row.replayed:
                    continue
                try:
                    sha = registry.lineage(check.model.name or check.watcher).get(version).sha256
                except RegistryError as error:
                    row.replayed[version] = Replayed(note=str(error))
                    continue
                watcher = loaded.get((check.watcher, sha))
                if watcher is None:
                    if not store.has(sha):
                        row.replayed[version] = Replayed(note=f"artifact {sha[:12]} is not in the store {store.root}")
                        continue
                    models_dir = Path(scratch) / sha
                    store.checkout(sha, models_dir / check.watcher)
                    watcher = _watcher_class(check.watcher)(settings.model_copy(update={"models_dir": str(models_dir)}))
                    await watcher.start()
                    loaded[(check.watcher, sha)] = watcher
                content, _ = checked_content(task, workflow, check.step, check.stage)
                params = watcher.params_model.model_validate(
                    watcher_params(workflow, check.step, check.stage, check.watcher)
                )
                [outcome] = await watcher.check_batch(
                    [
                        CheckInput(
                            params=params,
                            content=content,
                            stage=Stage(check.stage),
                            task_id=task.task_id,
                            step_id=check.step,
                            tenant=task.tenant,
                        )
                    ]
                )
                row.replayed[version] = Replayed(verdict=outcome.verdict.name, score=outcome.score)
    return rows
