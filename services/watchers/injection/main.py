"""Entrypoint of the injection watcher: `lammesh run injection`."""

from __future__ import annotations

from lammesh.service import ServiceRuntime
from lammesh.settings import Settings
from lammesh.watchers import build_watcher_service
from lammesh_services.watchers.injection.watcher import InjectionWatcher


def bootstrap(settings: Settings) -> ServiceRuntime:
    return build_watcher_service(InjectionWatcher(settings), settings)
