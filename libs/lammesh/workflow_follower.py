"""Workflows as data in a running service: the folder is read at start and again every
`workflows_reload_s`, so workflows are added or changed without a restart (docs/decisions/0721).

A bad file never stops the service: it is refused with its path and field (logged, counted in
lammesh_workflow_files_refused) and its workflow keeps the last good version; the other files load.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from lammesh import metrics
from lammesh.catalogue import known_watchers, served_capabilities
from lammesh.service import ServiceRuntime
from lammesh.settings import Settings
from lammesh.workflow import WorkflowChanges, WorkflowRegistry

log = structlog.get_logger(__name__)

OnChange = Callable[[WorkflowRegistry, WorkflowChanges], Awaitable[None]]


def report(registry: WorkflowRegistry, changes: WorkflowChanges) -> None:
    for error in changes.refused:
        log.error(
            "workflow file refused; its workflow keeps its last good version",
            file=error.source,
            field=error.path,
            problem=error.problem,
        )
    if changes.added or changes.changed or changes.removed:
        log.info(
            "workflows loaded",
            added=list(changes.added),
            changed=list(changes.changed),
            removed=list(changes.removed),
            versions={name: w.digest for name, w in sorted(registry.by_name.items())},
        )
    metrics.WORKFLOW_FILES_REFUSED.set(len(registry.refused))
    metrics.WORKFLOWS_LOADED.set(len(registry.by_name))


def follow_workflows(
    runtime: ServiceRuntime, settings: Settings, *, on_change: OnChange | None = None
) -> WorkflowRegistry:
    """The service's workflows, kept up with settings.workflows_dir while `runtime` runs."""
    registry, changes = WorkflowRegistry.follow(
        settings.workflows_dir, capabilities=served_capabilities(), watchers=known_watchers(settings)
    )
    report(registry, changes)
    if settings.workflows_reload_s <= 0:
        return registry
    follower: list[asyncio.Task[None]] = []

    async def follow() -> None:
        while True:
            await asyncio.sleep(settings.workflows_reload_s)
            try:
                changes = registry.reload()
                report(registry, changes)
                if changes and on_change is not None:
                    await on_change(registry, changes)
            except Exception:  # a reload must never take the service down
                log.exception("reading the workflow folder failed; trying again", folder=str(settings.workflows_dir))

    async def start() -> None:
        follower.append(asyncio.create_task(follow(), name="workflow-follower"))

    async def stop() -> None:
        for task in follower:
            task.cancel()
        await asyncio.gather(*follower, return_exceptions=True)

    runtime.on_started.append(start)
    runtime.on_stopping.append(stop)
    return registry
