"""`lammesh tasks replay TASK_ID --models VERSION...` (also `lammesh task replay`): a finished task's
recorded checks against other model versions, side by side (lammesh.replay)."""

from __future__ import annotations

import json
from typing import Annotated

import grpc
import typer
from rich.table import Table

from lammesh.cli_tasks import _metadata, _run, console, out
from lammesh.gateway.read_model import TERMINAL
from lammesh.replay import ReplayRow, replay
from lammesh.settings import Settings
from lammesh.v1 import task_pb2, task_pb2_grpc
from lammesh.workflow import Workflow


def _workflow(settings: Settings, name: str) -> Workflow | None:
    from lammesh.catalogue import known_watchers, served_capabilities
    from lammesh.workflow import WorkflowRegistry

    try:
        registry = WorkflowRegistry.load(
            settings.workflows_dir, capabilities=served_capabilities(), watchers=known_watchers(settings)
        )
    except Exception:
        return None
    return registry.by_name.get(name)


def _cell(verdict: str, score: float) -> str:
    return f"{verdict} {score:.3f}"


def tasks_replay(
    task_id: Annotated[str, typer.Argument(help="A finished task (its full id).")],
    models: Annotated[
        list[str],
        typer.Option("--models", help="A version of each check's model (repeat for more), e.g. --models 1 --models 2."),
    ] = [],  # noqa: B006
    as_json: Annotated[bool, typer.Option("--json", help="One JSON row per recorded check.")] = False,
) -> None:
    """Re-run a finished task's recorded checks against other model versions, without side effects.

    Rule watchers (no registry model) show their recorded verdict only."""
    if not models:
        console.print("[red]name at least one version with --models[/] (see `lammesh models list`)")
        raise typer.Exit(2)

    async def call(channel: grpc.aio.Channel, settings: Settings) -> list[ReplayRow]:
        from lammesh.modelregistry.service import registry

        stub = task_pb2_grpc.TaskServiceStub(channel)
        reply = await stub.GetTask(
            task_pb2.GetTaskRequest(task_id=task_id, include_events=True), metadata=_metadata(settings)
        )
        if reply.task.status not in TERMINAL:
            console.print(
                f"[red]task {task_id} has not finished[/] ({task_pb2.TaskStatus.Name(reply.task.status)}); replay a finished task"
            )
            raise typer.Exit(2)
        return await replay(
            settings,
            reply.task,
            reply.events,
            _workflow(settings, reply.task.workflow),
            await registry(settings),
            models,
        )

    rows = _run(call)
    if as_json:
        for row in rows:
            c = row.check
            out.print(
                json.dumps(
                    {
                        "step": c.step,
                        "stage": c.stage,
                        "watcher": c.watcher,
                        "recorded": {"verdict": c.verdict, "score": c.score, "model": c.model.as_dict()},
                        "replayed": {
                            v: {"verdict": r.verdict, "score": r.score, "note": r.note} for v, r in row.replayed.items()
                        },
                    }
                ),
                soft_wrap=True,
            )
        return
    table = Table("step", "stage", "watcher", "recorded", *models, title=f"replay of {task_id}")
    for row in rows:
        c = row.check
        cells = [r.note if r.note else _cell(r.verdict, r.score) for r in (row.replayed[v] for v in models)]
        table.add_row(
            c.step, c.stage, c.watcher, f"{_cell(c.verdict, c.score)} ({c.model.name}:{c.model.version})", *cells
        )
    out.print(table)
