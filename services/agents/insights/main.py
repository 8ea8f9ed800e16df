"""Entrypoint of the insights agent: `lammesh run insights`."""

from __future__ import annotations

from lammesh.service import ServiceRuntime
from lammesh.settings import Settings
from lammesh.steps.service import build_step_service
from lammesh_services.agents.insights.agent import InsightsAgent


def bootstrap(settings: Settings) -> ServiceRuntime:
    return build_step_service(InsightsAgent(settings), settings)
