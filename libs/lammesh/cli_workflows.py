"""`lammesh workflows list|validate`: what the workflows folder holds, and a file checked before it
is deployed, by the loader the coordinator and the gateway use (lammesh.workflow)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Column, Table

from lammesh.catalogue import known_watchers, served_capabilities
from lammesh.settings import Settings
from lammesh.workflow import Workflow, WorkflowError, load_workflow, workflow_files

console = Console(stderr=True)
out = Console()
workflows_app = typer.Typer(no_args_is_help=True, help="Workflow files: what is deployed, and checks before deploying.")


def _check(
    paths: list[Path], capabilities: set[str], watchers: set[str] | None = None
) -> tuple[list[tuple[Path, Workflow]], list[WorkflowError]]:
    """Load each file as the mesh would; a folder stands for its workflow files. Two files may not
    define the same workflow name (the mesh refuses that too)."""
    good: list[tuple[Path, Workflow]] = []
    bad: list[WorkflowError] = []
    names: dict[str, Path] = {}
    for path in paths:
        for file in workflow_files(path) if path.is_dir() else [path]:
            try:
                workflow = load_workflow(file, capabilities=capabilities, watchers=watchers)
            except WorkflowError as exc:
                bad.append(exc)
                continue
            if workflow.name in names:
                bad.append(
                    WorkflowError(
                        "name", f"workflow {workflow.name!r} is also defined in {names[workflow.name]}", str(file)
                    )
                )
                continue
            names[workflow.name] = file
            good.append((file, workflow))
    return good, bad


def _describe(workflow: Workflow) -> str:
    return " → ".join(f"{s.id}{' (pivot)' if s.pivot else ''}" for s in workflow.steps)


@workflows_app.command("list")
def workflows_list(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Workflows folder (default LAMMESH_WORKFLOWS_DIR).")
    ] = None,
) -> None:
    """The workflows the folder holds: name, version, steps, digest; a bad file with its error (exit 2)."""
    folder = directory or Settings().workflows_dir
    if not folder.is_dir():
        console.print(f"[red]{folder} is not a folder[/] (set LAMMESH_WORKFLOWS_DIR or --dir)", soft_wrap=True)
        raise typer.Exit(2)
    good, bad = _check([folder], served_capabilities(), known_watchers(Settings()))
    widest = max((len(w.name) for _, w in good), default=8)
    table = Table(
        Column("workflow", no_wrap=True, min_width=widest),
        "version",
        Column("steps", overflow="fold"),
        Column("digest", no_wrap=True, min_width=16),
        Column("file", overflow="fold"),
        title=f"workflows in {folder}",
    )
    for file, workflow in good:
        table.add_row(workflow.name, str(workflow.version), _describe(workflow), workflow.digest, file.name)
    out.print(table if good else f"no valid workflow files in {folder}")
    for error in bad:
        console.print(f"[red]invalid[/] {error}", soft_wrap=True)
    if bad:
        raise typer.Exit(2)


@workflows_app.command("validate")
def workflows_validate(
    files: Annotated[list[Path], typer.Argument(help="Workflow files (or folders of them) to check.")],
) -> None:
    """Check workflow files as the mesh loads them: exit 0 when all are valid, 2 with each file and
    the path of the offending field otherwise."""
    good, bad = _check(files, served_capabilities(), known_watchers(Settings()))
    for file, workflow in good:
        out.print(
            f"[green]ok[/] {file}: {workflow.name} v{workflow.version}, {len(workflow.steps)} steps "
            f"({_describe(workflow)}), digest {workflow.digest}",
            soft_wrap=True,
        )
    for error in bad:
        console.print(f"[red]invalid[/] {error}", soft_wrap=True)
    if bad or not good:
        if not bad:
            console.print("[red]no workflow files given[/]")
        raise typer.Exit(2)
