"""Entrypoint of the noop service: `lammesh run noop`."""

from __future__ import annotations

from lammesh.service import ServiceRuntime
from lammesh.settings import Settings
from lammesh.steps.service import build_step_service
from lammesh_services.tools.noop.tool import NoopTool


def bootstrap(settings: Settings) -> ServiceRuntime:
    return build_step_service(NoopTool(), settings)
