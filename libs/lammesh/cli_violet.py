"""`lammesh violet run`: one violet-team pass (lammesh.violet.service.run_pass) with its gate table."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from lammesh.cli_models import _settings

if TYPE_CHECKING:  # the models load only when a pass runs
    from lammesh.violet.service import PassResult

console = Console(stderr=True, soft_wrap=True)
out = Console()
violet_app = typer.Typer(
    no_args_is_help=True, help="The violet team: feedback cases -> variants -> a gated patch -> canary."
)


def gate_table(result: PassResult) -> Table:
    decision = result.candidate.decision
    table = Table(title=f"{result.watcher}: {'published ' + result.version if result.version else 'refused'}")
    for column in ("gate", "texts", "parent", "candidate", "verdict"):
        table.add_column(column)
    for item in decision.figures:
        failure = item.failure()
        table.add_row(
            item.gate,
            str(item.count),
            f"{item.parent_accuracy:.1%}",
            f"{item.candidate_accuracy:.1%}",
            "[green]pass[/]" if failure is None else f"[red]{failure.split(': ', 1)[1]}[/]",
        )
    return table


@violet_app.command("run")
def run() -> None:
    """One pass: read the feedback topic, patch each watcher with new cases, gate, publish to canary.
    Exit code 3 when a patch was refused by its gates."""
    from lammesh.violet.service import run_pass

    settings = _settings()
    with console.status("violet team pass") as status:
        results = asyncio.run(
            run_pass(settings, progress=lambda message: status.update(message) or console.log(message))
        )
    if not results:
        console.print("no new feedback cases to patch")
    for result in results:
        out.print(gate_table(result))
        candidate = result.candidate
        out.print(
            f"{candidate.variant_count} variants ({candidate.heldout_count} held out), patch {candidate.patch_bytes} bytes,"
            f" {result.seconds:.1f} s"
        )
        if not result.version:
            console.print(f"[red]{candidate.decision.refusal}[/]")
    if any(not r.version for r in results):
        raise typer.Exit(3)


@violet_app.command("serve")
def serve() -> None:
    """The violet service in the foreground: a pass every 30 s (what `lammesh run violet` will run
    once the catalogue has a kind for it; see docs/violet.md)."""
    from lammesh.logging import configure_logging
    from lammesh.settings import Settings
    from lammesh_services.violet.main import bootstrap

    settings = Settings()
    configure_logging(settings)
    asyncio.run(bootstrap(settings).run())
