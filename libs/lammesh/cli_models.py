"""`lammesh models`: the model registry from the command line (lammesh.modelregistry)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from aiokafka.errors import KafkaConnectionError, KafkaError
from rich.console import Console
from rich.table import Table

from lammesh.modelregistry.domain import ModelVersion, RegistryError, Status, parse_target
from lammesh.settings import Settings

console = Console(stderr=True, soft_wrap=True)
out = Console()
models_app = typer.Typer(
    no_args_is_help=True,
    help="The model registry: versioned, content-addressed model artifacts and their status (lammesh.models).",
)

T = TypeVar("T")

STATUS_STYLE = {Status.ACTIVE: "green", Status.CANARY: "yellow", Status.CANDIDATE: "cyan", Status.RETIRED: "dim"}


def _settings() -> Settings:
    """Settings, with logs on stderr (stdout is for tables and --json) at WARNING unless
    LAMMESH_LOG_LEVEL says otherwise."""
    from lammesh.logging import configure_logging

    settings = Settings()
    if "log_level" not in settings.model_fields_set:
        settings = settings.model_copy(update={"log_level": "WARNING"})
    if "log_format" not in settings.model_fields_set:
        settings = settings.model_copy(update={"log_format": "console"})
    configure_logging(settings)
    return settings


def _run(work: Awaitable[T], settings: Settings) -> T:
    """Run a registry call; a refused request or an unreachable broker becomes a clear message."""
    try:
        return asyncio.run(work)
    except RegistryError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    except (TimeoutError, OSError, KafkaConnectionError) as exc:
        console.print(
            f"[red]cannot reach Kafka at {settings.kafka_bootstrap}: {exc or type(exc).__name__}[/]"
            " (is it up? `lammesh kafka up`, or set LAMMESH_KAFKA_BOOTSTRAP)"
        )
        raise typer.Exit(1) from None
    except (KafkaError, RuntimeError) as exc:  # e.g. fenced off by another registry writer mid-change
        console.print(
            f"[red]Kafka refused the registry change: {type(exc).__name__}: {exc}[/] (nothing was changed; try again)"
        )
        raise typer.Exit(1) from None


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _status(version: ModelVersion) -> str:
    return f"[{STATUS_STYLE[version.status]}]{version.status.value}[/]"


def _record(version: ModelVersion) -> dict[str, Any]:
    return {
        "name": version.name,
        "version": version.version,
        "sha256": version.sha256,
        "parent": version.parent,
        "status": version.status.value,
        "created_at": _when(version.created_at),
        "status_changed_at": _when(version.status_changed_at),
        "size_bytes": version.size_bytes,
        "file_count": version.file_count,
        "note": version.note,
        "metrics": dict(version.metrics),
    }


def _changes(changed: list[ModelVersion]) -> str:
    return ", ".join(f"{v.name}:{v.version} -> {v.status.value}" for v in changed)


@models_app.command("list")
def list_models(
    name: Annotated[str | None, typer.Argument(help="Only this model's versions.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per version.")] = False,
) -> None:
    """Every version of every model (or of NAME), with status, sha256 and parent."""
    from lammesh.modelregistry import service

    settings = _settings()
    registry = _run(service.registry(settings), settings)
    if name and name not in registry.models:
        console.print(f"[red]no model named {name!r}[/]; models: {', '.join(sorted(registry.models)) or 'none yet'}")
        raise typer.Exit(2)
    versions = registry.lineage(name).ordered() if name else registry.versions()
    if as_json:
        for version in versions:
            print(json.dumps(_record(version)))
        return
    if not versions:
        console.print("no models published yet: `lammesh models publish DIR --name NAME`")
        return
    table = Table("model", "version", "status", "sha256", "parent", "created", "size", "note")
    for v in versions:
        table.add_row(
            v.name,
            v.version,
            _status(v),
            v.sha256[:12],
            v.parent or "-",
            _when(v.created_at),
            _size(v.size_bytes),
            v.note,
        )
    out.print(table)


@models_app.command("show")
def show(
    target: Annotated[
        str,
        typer.Argument(
            help="NAME (its active version, else the newest) or NAME:VERSION (a version or a sha256 prefix)."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="The version as one JSON object.")] = False,
) -> None:
    """One version: status, content address, parent, figures, and the files in the store."""
    from lammesh.modelregistry import service
    from lammesh.modelregistry.store import ArtifactMissing

    name, wanted = parse_target(target)
    settings = _settings()

    async def find() -> ModelVersion:
        lineage = (await service.registry(settings)).lineage(name)
        return lineage.get(wanted) if wanted else lineage.current()

    version = _run(find(), settings)
    if as_json:
        print(json.dumps(_record(version)))
        return
    table = Table.grid(padding=(0, 2))
    for label, value in (
        ("model", f"{version.name}:{version.version}"),
        ("status", _status(version)),
        ("sha256", version.sha256),
        ("parent", version.parent or "-"),
        ("created", _when(version.created_at)),
        ("status since", _when(version.status_changed_at)),
        ("size", f"{_size(version.size_bytes)} in {version.file_count} files"),
        ("note", version.note or "-"),
    ):
        table.add_row(f"[bold]{label}[/]", value)
    out.print(table)
    try:
        files = service.store_of(settings).manifest(version.sha256).files
    except ArtifactMissing:
        console.print(f"(the store at {settings.models_registry_dir} does not hold this artifact)")
    else:
        listing = Table("file", "size", "sha256")
        for f in files:
            listing.add_row(f.path, _size(f.size), f.sha256[:12])
        out.print(listing)
    if version.metrics:
        figures = Table("metric", "value")
        for key in sorted(version.metrics):
            figures.add_row(key, f"{version.metrics[key]:.6g}")
        out.print(figures)


@models_app.command("publish")
def publish(
    directory: Annotated[
        Path, typer.Argument(help="The model's folder, e.g. .cache/models/injection.", exists=True, file_okay=False)
    ],
    name: Annotated[str, typer.Option("--name", help="Registry name, e.g. injection.")],
    version: Annotated[
        str | None, typer.Option("--version", help="Default: one more than the highest numbered version.")
    ] = None,
    parent: Annotated[
        str | None, typer.Option("--parent", help="Version it derives from; default: the active version.")
    ] = None,
    metrics: Annotated[
        Path | None, typer.Option("--metrics", help="JSON figures; default: metrics.json or report.json in DIR.")
    ] = None,
    add: Annotated[
        list[str] | None, typer.Option("--add", help="PREFIX=DIR: also store DIR's files under PREFIX/ (repeatable).")
    ] = None,
    note: Annotated[str, typer.Option("--note", help="What changed, why.")] = "",
) -> None:
    """Store a model folder (content-addressed) and announce it as a candidate."""
    from lammesh.modelregistry import service

    extra: dict[str, Path] = {}
    for item in add or []:
        prefix, sep, path = item.partition("=")
        if not sep or not prefix or not path:
            console.print(f"[red]--add {item!r}: expected PREFIX=DIR, e.g. encoder=.cache/models/encoder[/]")
            raise typer.Exit(2)
        extra[prefix] = Path(path)
    settings = _settings()
    started = time.perf_counter()
    published = _run(
        service.publish(
            settings, directory, name=name, add=extra, version=version, parent=parent, metrics_file=metrics, note=note
        ),
        settings,
    )
    v = published.version
    if not published.created:
        console.print(
            f"{v.name}:{v.version} already has this content (sha256 {v.sha256[:12]}…, {v.status.value}); nothing published"
        )
        return
    console.print(
        f"published {v.name}:{v.version} as a candidate: sha256 {v.sha256}, {_size(v.size_bytes)} in {v.file_count} files, "
        f"parent {v.parent or '-'} ({time.perf_counter() - started:.1f}s)"
    )
    console.print(f"next: lammesh models promote {v.name} {v.version}" + (" --to active" if not v.parent else ""))


@models_app.command("promote")
def promote(
    name: Annotated[str, typer.Argument(help="Model name.")],
    version: Annotated[str, typer.Argument(help="Version (or sha256 prefix) to promote.")],
    to: Annotated[
        str | None,
        typer.Option("--to", help="canary or active; default: the next step (candidate -> canary -> active)."),
    ] = None,
) -> None:
    """Move a version to canary or active; activating one retires the version it replaces."""
    from lammesh.modelregistry import service

    target = Status.parse(to) if to else None
    if target not in (None, Status.CANARY, Status.ACTIVE):
        console.print(f"[red]--to {to}: promote moves a version to canary or active[/]")
        raise typer.Exit(2)
    settings = _settings()
    changed = _run(service.promote(settings, name, version, to=target), settings)
    console.print(_changes(changed))


@models_app.command("rollback")
def rollback(name: Annotated[str, typer.Argument(help="Model name.")]) -> None:
    """Retire the active version and re-activate its parent."""
    from lammesh.modelregistry import service

    settings = _settings()
    changed = _run(service.rollback(settings, name), settings)
    console.print(_changes(changed))


@models_app.command("diff")
def diff(
    name: Annotated[str, typer.Argument(help="Model name.")],
    first: Annotated[str, typer.Argument(help="Version (or sha256 prefix).")],
    second: Annotated[str, typer.Argument(help="Version (or sha256 prefix).")],
    changed_only: Annotated[bool, typer.Option("--changed", help="Only the figures and files that differ.")] = False,
) -> None:
    """Two versions side by side: status, sha256, parent, files, and every figure with the change."""
    from lammesh.modelregistry import service
    from lammesh.modelregistry.store import ArtifactMissing

    settings = _settings()

    async def find() -> tuple[ModelVersion, ModelVersion]:
        lineage = (await service.registry(settings)).lineage(name)
        return lineage.get(first), lineage.get(second)

    a, b = _run(find(), settings)
    table = Table("", f"{name}:{a.version}", f"{name}:{b.version}", "change")
    for label, left, right in (
        ("status", a.status.value, b.status.value),
        ("sha256", a.sha256[:16], b.sha256[:16]),
        ("parent", a.parent or "-", b.parent or "-"),
        ("created", _when(a.created_at), _when(b.created_at)),
        ("size", _size(a.size_bytes), _size(b.size_bytes)),
        ("files", str(a.file_count), str(b.file_count)),
    ):
        table.add_row(label, left, right, "" if left == right else "≠")
    store = service.store_of(settings)
    try:
        files_a, files_b = store.manifest(a.sha256).paths(), store.manifest(b.sha256).paths()
    except ArtifactMissing:
        console.print(f"(the store at {settings.models_registry_dir} lacks one of the artifacts: files not compared)")
    else:
        table.add_section()
        for path in sorted(set(files_a) | set(files_b)):
            left = files_a[path].sha256[:12] if path in files_a else "-"
            right = files_b[path].sha256[:12] if path in files_b else "-"
            if left != right or not changed_only:
                table.add_row(path, left, right, "" if left == right else "≠")
    table.add_section()
    for key in sorted(set(a.metrics) | set(b.metrics)):
        left, right = a.metrics.get(key), b.metrics.get(key)
        if changed_only and left == right:
            continue
        delta = (
            f"{right - left:+.4g}"
            if left is not None and right is not None and left != right
            else ("" if left == right else "≠")
        )
        table.add_row(key, "-" if left is None else f"{left:.6g}", "-" if right is None else f"{right:.6g}", delta)
    out.print(table)
