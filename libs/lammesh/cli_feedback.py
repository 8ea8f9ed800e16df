"""`lammesh feedback false-positive|missed TASK_ID STEP`: tell the mesh a watcher got a step wrong."""

from __future__ import annotations

from typing import Annotated

import grpc
import typer
from rich.table import Table

from lammesh.cli_tasks import _as_json, _metadata, _run, out
from lammesh.settings import Settings
from lammesh.v1 import feedback_pb2, feedback_pb2_grpc

feedback_app = typer.Typer(no_args_is_help=True, help="Report a watcher's wrong verdict (a case for the violet team).")

WatcherOption = Annotated[str, typer.Option("--watcher", "-w", help="Needed when several watchers checked the step.")]
NoteOption = Annotated[str, typer.Option("--note", "-m", help="Why the verdict was wrong.")]
StageOption = Annotated[str, typer.Option("--stage", help="input or output; needed when the watcher checked both.")]
JsonOption = Annotated[bool, typer.Option("--json")]


def _report(task_id: str, step: str, kind: int, watcher: str, note: str, stage: str, as_json: bool) -> None:
    async def call(channel: grpc.aio.Channel, settings: Settings) -> feedback_pb2.ReportFeedbackResponse:
        request = feedback_pb2.ReportFeedbackRequest(
            task_id=task_id, step=step, kind=kind, watcher=watcher, note=note, stage=stage
        )
        return await feedback_pb2_grpc.FeedbackServiceStub(channel).ReportFeedback(
            request, metadata=_metadata(settings)
        )

    reply = _run(call)
    if as_json:
        out.print(_as_json(reply), soft_wrap=True)
        return
    table = Table(
        "case", "watcher", "stage", "field", "verdict", "score", "model", title=f"feedback on {task_id} {step}"
    )
    for case in reply.cases:
        table.add_row(
            case.case_id,
            case.watcher,
            case.stage,
            case.field,
            case.verdict,
            f"{case.score:.3f}",
            f"{case.model.name}:{case.model.version}",
        )
    out.print(table)


@feedback_app.command("false-positive")
def false_positive(
    task_id: str,
    step: str,
    watcher: WatcherOption = "",
    note: NoteOption = "",
    stage: StageOption = "",
    as_json: JsonOption = False,
) -> None:
    """The watcher flagged the step, and it was fine."""
    _report(task_id, step, feedback_pb2.FEEDBACK_KIND_FALSE_POSITIVE, watcher, note, stage, as_json)


@feedback_app.command("missed")
def missed(
    task_id: str,
    step: str,
    watcher: WatcherOption = "",
    note: NoteOption = "",
    stage: StageOption = "",
    as_json: JsonOption = False,
) -> None:
    """The watcher let the step through, and should have flagged it."""
    _report(task_id, step, feedback_pb2.FEEDBACK_KIND_MISSED, watcher, note, stage, as_json)
