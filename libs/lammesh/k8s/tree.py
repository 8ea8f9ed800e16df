"""The k8s/ directory on disk: its hand-written settings in, the generated files out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from lammesh.catalogue import ServiceSpec, load_services
from lammesh.k8s.manifests import Cluster
from lammesh.k8s.render import SERVICES_DIR, render
from lammesh.settings import Settings

CONFIG_FILES = ("base/config/runtime.env", "base/config/kafka.env")


class _FileSettings(Settings):
    """Settings from the values given only, never from this process's environment."""

    @classmethod
    def settings_customise_sources(  # type: ignore[override]
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource, **_sources: object
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as kustomize's configMapGenerator reads them (# comments, blank lines)."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key:
            raise ValueError(f"{path}:{number}: expected KEY=VALUE, got {raw!r}")
        values[key] = value
    return values


def settings_from_env(env: dict[str, str]) -> Settings:
    """The Settings a pod would read from these LAMMESH_* variables (others are ignored)."""
    values = {k.removeprefix("LAMMESH_").lower(): v for k, v in env.items() if k.startswith("LAMMESH_")}
    return _FileSettings(**cast(dict[str, Any], values))


def cluster_of(k8s: Path) -> Cluster:
    env: dict[str, str] = {}
    for name in CONFIG_FILES:
        env.update(read_env_file(k8s / name))
    return Cluster(settings_from_env(env))


def expected_files(k8s: Path, services: Sequence[ServiceSpec] | None = None) -> dict[Path, str]:
    """What render writes, by absolute path; `services` defaults to the installed catalogue."""
    services = list(load_services().values()) if services is None else list(services)
    return {k8s / path: text for path, text in render(services, cluster_of(k8s)).items()}


def stale(k8s: Path, services: Sequence[ServiceSpec] | None = None) -> list[str]:
    """What differs between k8s/ and a fresh render: changed, missing and left-over files."""
    expected = expected_files(k8s, services)
    problems = [
        f"{path}: {'missing' if not path.exists() else 'stale'}"
        for path, text in expected.items()
        if not path.exists() or path.read_text() != text
    ]
    problems += [
        f"{path}: not generated any more (no such service in the catalogue)"
        for path in sorted((k8s / SERVICES_DIR).glob("*.yaml"))
        if path not in expected
    ]
    return problems


def write(k8s: Path, services: Sequence[ServiceSpec] | None = None) -> list[Path]:
    """Render into k8s/: changed files rewritten, left-over service files removed."""
    expected = expected_files(k8s, services)
    for path in sorted((k8s / SERVICES_DIR).glob("*.yaml")):
        if path not in expected:
            path.unlink()
    changed = []
    for path, text in expected.items():
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(path)
    return changed
