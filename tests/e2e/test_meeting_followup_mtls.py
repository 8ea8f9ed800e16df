"""The meeting follow-up workflow on a mutual-TLS mesh where every service presents its own
identity (docs/decisions/0680): the coordinator's watcher checks are authorised, the task
completes and mails the customer once; the email tool's audit names the coordinator."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from lammesh.dev.certs import make_certs
from lammesh.dev.smtpsink import read_maildir
from lammesh.v1 import task_pb2
from tests.support.meetings import STEP_SERVICES, WATCHERS, load_meeting, meeting_mesh, write_meeting_workflows
from tests.support.mesh import Client

pytestmark = pytest.mark.kafka


async def test_clean_meeting_completes_on_the_mutual_tls_mesh_with_one_identity_per_service(settings, tmp_path) -> None:
    certs = make_certs(tmp_path / "certs", services=(*WATCHERS, *STEP_SERVICES, "coordinator"))
    (tmp_path / "workflows").mkdir()
    (tmp_path / "mesh").mkdir()
    workflows = write_meeting_workflows(tmp_path / "workflows")
    with capture_logs() as logs:
        async with meeting_mesh(settings, tmp_path / "mesh", workflows, certs=certs) as mesh:
            async with Client(mesh.settings) as client:
                task_id = await client.submit("meeting_followup", load_meeting("01"))
                task = await client.wait_for(task_id, timeout=180)
    assert task.status == task_pb2.TASK_STATUS_COMPLETED, (task.reason, client.kinds(task_id))
    assert not [e for e in logs if e.get("event") == "watcher call failed"]
    mails = [
        m for m in read_maildir(mesh.maildir) if m["Subject"] == "Follow-up: Acme analytics platform: pilot review"
    ]
    assert len(mails) == 1
    audited = {
        (e["step_id"], e["caller"], e["via"])
        for e in logs
        if e.get("event") == "audit" and e["task_id"] == task_id and e["outcome"] == "succeeded"
    }
    assert audited == {(step, "coordinator", "kafka") for step in ("notes", "insights", "crm", "followup", "email")}
