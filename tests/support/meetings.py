"""The meeting follow-up mesh, in-process against the real broker: every service of the workflow
(agents, tools, watchers, coordinator) on its own gRPC port, a real SMTP sink, a seeded CRM file."""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from lammesh.dev.certs import CertSet
from lammesh.dev.localkafka import free_port
from lammesh.dev.smtpsink import SmtpSink
from lammesh.settings import Settings
from lammesh_services.coordinator.main import bootstrap as coordinator
from lammesh_services.tools.crm.seed import load_seed
from lammesh_services.tools.crm.store import CrmStore
from lammesh_services.watchers.grounding.main import bootstrap as grounding
from lammesh_services.watchers.injection.main import bootstrap as injection
from lammesh_services.watchers.pii.main import bootstrap as pii
from lammesh_services.watchers.policy.main import bootstrap as policy
from tests.support.mesh import running
from tests.support.services import crm, email, followup, insights, notes

REPO = Path(__file__).parents[2]
MEETINGS = REPO / "examples" / "meetings"
WATCHERS = {"injection": injection, "grounding": grounding, "pii": pii, "policy": policy}
STEP_SERVICES = {"notes": notes, "insights": insights, "crm": crm, "followup": followup, "email": email}


def load_meeting(prefix: str) -> dict:
    return json.loads(next(MEETINGS.glob(f"{prefix}*.json")).read_text())


def crm_seed() -> dict:
    return load_seed()


WITHOUT_INJECTION_CHECK = "meeting_followup_no_injection_check"


def write_meeting_workflows(directory: Path) -> Path:
    """meeting_followup.yaml, and the same workflow without the transcript's injection check
    (WITHOUT_INJECTION_CHECK): it shows what the watchers before the send (policy, pii) stop alone."""
    shutil.copy(REPO / "workflows" / "meeting_followup.yaml", directory)
    variant = yaml.safe_load((REPO / "workflows" / "meeting_followup.yaml").read_text())
    variant["name"] = WITHOUT_INJECTION_CHECK
    notes = next(step for step in variant["steps"] if step["id"] == "notes")
    assert [w["name"] for w in notes.pop("watchers")["input"]] == ["injection"]
    (directory / f"{WITHOUT_INJECTION_CHECK}.yaml").write_text(yaml.safe_dump(variant))
    return directory


@dataclass
class MeetingMesh:
    settings: Settings
    crm: CrmStore
    maildir: Path


@contextlib.asynccontextmanager
async def meeting_mesh(
    settings: Settings, tmp: Path, workflows_dir: Path, certs: CertSet | None = None
) -> AsyncIterator[MeetingMesh]:
    """With `certs` (made with services=...): gRPC mutual TLS, each service its own identity."""

    def as_service(settings: Settings, name: str) -> Settings:
        update: dict[str, object] = {"service_name": name}
        if certs is not None:
            update.update(
                grpc_mtls=True,
                grpc_tls_ca=certs.ca,
                grpc_tls_cert=certs.service_cert(name),
                grpc_tls_key=certs.service_key(name),
            )
        return settings.model_copy(update=update)

    base = settings.model_copy(
        update={
            "workflows_dir": workflows_dir,
            "crm_database_url": f"sqlite:///{tmp / 'crm.sqlite3'}",
            "state_dir": tmp / "state",
            "maildir": tmp / "maildir",
            "smtp_port": free_port(),
            "timer_interval_s": 0.02,
            "coordinator_data_dir": tmp / "coordinator",
            "encoder_threads": 2,
        }
    )
    store = CrmStore(base.crm_database_url)
    store.seed(crm_seed())
    sink = SmtpSink(base.maildir, port=base.smtp_port)
    await sink.start()
    try:
        watchers = {name: make(as_service(base, name)) for name, make in WATCHERS.items()}
        async with running(*watchers.values()):
            endpoints = {name: f"127.0.0.1:{runtime.grpc.port}" for name, runtime in watchers.items()}
            with_watchers = base.model_copy(update={"watcher_endpoints": endpoints})
            steps = [make(as_service(with_watchers, name)) for name, make in STEP_SERVICES.items()]
            async with running(*steps, coordinator(as_service(with_watchers, "coordinator"))):
                yield MeetingMesh(with_watchers, store, base.maildir)
    finally:
        await sink.stop()
        store.close()
