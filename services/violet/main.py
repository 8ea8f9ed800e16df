"""Entrypoint of the violet team: `lammesh run violet` (lammesh.violet.service)."""

from __future__ import annotations

from lammesh.service import ServiceRuntime
from lammesh.settings import Settings
from lammesh.topics import MODELS, WATCHERS_FEEDBACK
from lammesh.violet.service import VioletWorker


def bootstrap(settings: Settings) -> ServiceRuntime:
    runtime = ServiceRuntime(settings, topics=[WATCHERS_FEEDBACK, MODELS])
    runtime.add_consumer(VioletWorker(settings))
    return runtime
