"""The registry's use cases: one small function each, wiring the store (volume), the domain
(lifecycle rules) and the topic (announcements). The CLI calls these; so will the violet service."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lammesh.modelregistry.domain import (
    AlreadyPublished,
    ModelVersion,
    Registry,
    RegistryError,
    Status,
    flatten_metrics,
)
from lammesh.modelregistry.store import ArtifactStore, Manifest
from lammesh.modelregistry.topic import RegistryWriter, read_models
from lammesh.settings import Settings

METRICS_FILES = ("metrics.json", "report.json")
"""Where `publish` looks for figures when none are given: what `make models` writes beside a model."""


@dataclass(frozen=True)
class Published:
    version: ModelVersion
    manifest: Manifest
    created: bool
    """False when the same content was already a version of this model (nothing announced)."""


def store_of(settings: Settings) -> ArtifactStore:
    return ArtifactStore(settings.models_registry_dir)


def metrics_from(directory: Path, metrics_file: Path | None) -> dict[str, float]:
    """Figures for a new version: `metrics_file`, else the folder's metrics.json / report.json."""
    candidates = [metrics_file] if metrics_file is not None else [directory / name for name in METRICS_FILES]
    for path in candidates:
        if path.is_file():
            try:
                data = json.loads(path.read_text())
            except (OSError, ValueError) as exc:
                raise RegistryError(f"{path}: not a JSON document ({exc})") from None
            if not isinstance(data, Mapping):
                raise RegistryError(f"{path}: expected a JSON object of figures")
            return flatten_metrics(data)
        if metrics_file is not None:
            raise RegistryError(f"{path}: no such file")
    return {}


async def publish(
    settings: Settings,
    directory: Path,
    *,
    name: str,
    add: Mapping[str, Path] | None = None,
    version: str | None = None,
    parent: str | None = None,
    metrics_file: Path | None = None,
    note: str = "",
    now: float | None = None,
) -> Published:
    """Store a folder (plus `add`: prefix -> folder, e.g. {"encoder": …}) and announce it as a
    CANDIDATE. The artifact is stored before it is announced, so an announced version is always
    there to fetch."""
    directory = Path(directory)
    figures = metrics_from(directory, metrics_file)
    sources = [("", directory)] + [(f"{prefix.strip('/')}/", Path(path)) for prefix, path in (add or {}).items()]
    store = store_of(settings)
    manifest = store.put(sources)
    async with RegistryWriter(settings) as writer:
        lineage = writer.registry.lineage(name, create=True)
        try:
            changed = lineage.publish(
                manifest.sha256,
                now=time.time() if now is None else now,
                version=version,
                parent=parent,
                metrics=figures,
                size_bytes=manifest.size_bytes,
                file_count=len(manifest.files),
                note=note,
            )
        except AlreadyPublished as exc:
            store.record_name(name, exc.existing.version, manifest.sha256)
            return Published(exc.existing, manifest, created=False)
        await writer.announce(changed)
    store.record_name(name, changed[0].version, manifest.sha256)
    return Published(changed[0], manifest, created=True)


async def promote(
    settings: Settings, name: str, version: str, *, to: Status | None = None, now: float | None = None
) -> list[ModelVersion]:
    async with RegistryWriter(settings) as writer:
        lineage = writer.registry.lineage(name)
        changed = lineage.promote(version, to=to, now=time.time() if now is None else now)
        target = store_of(settings)
        if target.has(changed[0].sha256) and (problems := target.verify(changed[0].sha256)):
            raise RegistryError(f"{name}:{changed[0].version} is damaged in the store: {'; '.join(problems)}")
        await writer.announce(changed)
    return changed


async def rollback(settings: Settings, name: str, *, now: float | None = None) -> list[ModelVersion]:
    async with RegistryWriter(settings) as writer:
        changed = writer.registry.lineage(name).rollback(now=time.time() if now is None else now)
        await writer.announce(changed)
    return changed


async def registry(settings: Settings) -> Registry:
    return await read_models(settings)
