"""Entrypoint of the email service: `lammesh run email` (LAMMESH_SMTP_HOST / _PORT / ...)."""

from __future__ import annotations

from lammesh.service import ServiceRuntime
from lammesh.settings import Settings
from lammesh.steps.service import build_step_service
from lammesh_services.tools.email.tool import EmailTool


def bootstrap(settings: Settings) -> ServiceRuntime:
    return build_step_service(EmailTool(settings), settings)
