"""Entrypoint of the notes agent: `lammesh run notes`."""

from __future__ import annotations

from lammesh.service import ServiceRuntime
from lammesh.settings import Settings
from lammesh.steps.service import build_step_service
from lammesh_services.agents.notes.agent import NotesAgent


def bootstrap(settings: Settings) -> ServiceRuntime:
    return build_step_service(NotesAgent(settings), settings)
