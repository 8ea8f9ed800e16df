"""Entrypoint of the grounding watcher: `lammesh run grounding`."""

from __future__ import annotations

from lammesh.service import ServiceRuntime
from lammesh.settings import Settings
from lammesh.watchers import build_watcher_service
from lammesh_services.watchers.grounding.watcher import GroundingWatcher


def bootstrap(settings: Settings) -> ServiceRuntime:
    return build_watcher_service(GroundingWatcher(settings), settings)
