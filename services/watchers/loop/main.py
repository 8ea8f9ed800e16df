"""Entrypoint of the loop watcher: `lammesh run loop`."""

from __future__ import annotations

from lammesh.service import ServiceRuntime
from lammesh.settings import Settings
from lammesh.watchers import build_watcher_service
from lammesh_services.watchers.loop.watcher import LoopWatcher


def bootstrap(settings: Settings) -> ServiceRuntime:
    return build_watcher_service(LoopWatcher(), settings)
