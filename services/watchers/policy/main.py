"""Entrypoint of the policy watcher: `lammesh run policy`."""

from __future__ import annotations

from lammesh.service import ServiceRuntime
from lammesh.settings import Settings
from lammesh.watchers import build_watcher_service
from lammesh_services.watchers.policy.watcher import PolicyWatcher


def bootstrap(settings: Settings) -> ServiceRuntime:
    return build_watcher_service(PolicyWatcher(), settings)
