"""Entrypoint of the pii watcher: `lammesh run pii`."""

from __future__ import annotations

from lammesh.service import ServiceRuntime
from lammesh.settings import Settings
from lammesh.watchers import build_watcher_service
from lammesh_services.watchers.pii.watcher import PiiWatcher


def bootstrap(settings: Settings) -> ServiceRuntime:
    return build_watcher_service(PiiWatcher(), settings)
