"""Entrypoint of the crm service: `lammesh run crm` (database from LAMMESH_CRM_DATABASE_URL)."""

from __future__ import annotations

from lammesh.service import ServiceRuntime
from lammesh.settings import Settings
from lammesh.steps.service import build_step_service
from lammesh_services.tools.crm.tool import CrmTool


def bootstrap(settings: Settings) -> ServiceRuntime:
    return build_step_service(CrmTool(settings.crm_database_url), settings)
