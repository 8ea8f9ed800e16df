"""Entrypoint of the followup agent: `lammesh run followup`."""

from __future__ import annotations

from lammesh.service import ServiceRuntime
from lammesh.settings import Settings
from lammesh.steps.service import build_step_service
from lammesh_services.agents.followup.agent import FollowupAgent


def bootstrap(settings: Settings) -> ServiceRuntime:
    return build_step_service(FollowupAgent(settings), settings)
