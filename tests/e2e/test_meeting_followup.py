"""The meeting follow-up workflow through the mesh (real broker, real gRPC, real models, real
SQLite CRM, real SMTP sink): clean meetings complete, the injected one is blocked before
anything is mailed, a failing CRM update compensates and leaves the database exactly as it was."""

from __future__ import annotations

from collections import Counter

import pytest

from lammesh.dev.smtpsink import read_maildir
from lammesh.v1 import task_pb2
from tests.support.meetings import WITHOUT_INJECTION_CHECK, load_meeting, meeting_mesh, write_meeting_workflows
from tests.support.mesh import Client

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def workflows(tmp_path_factory):
    # With the workflow without the transcript check: shows the second line of defence (the
    # policy watcher before the send) and a compensation of a CRM write that did happen.
    return write_meeting_workflows(tmp_path_factory.mktemp("workflows"))


@pytest.fixture(scope="module")
async def mesh(settings_module, tmp_path_factory, workflows):
    async with meeting_mesh(settings_module, tmp_path_factory.mktemp("mesh"), workflows) as mesh:
        async with Client(mesh.settings) as client:
            yield mesh, client


@pytest.fixture(scope="module")
def settings_module(kafka_bootstrap):
    from tests.conftest import make_settings

    return make_settings(kafka_bootstrap)


def opportunity(snapshot, name):
    return next(o for o in snapshot["opportunities"] if o["name"] == name)


def step_states(task):
    return {s.step_id: task_pb2.StepState.Name(s.state).removeprefix("STEP_STATE_").lower() for s in task.steps}


async def test_clean_meeting_updates_the_crm_and_mails_the_customer(mesh):
    mesh, client = mesh
    before = mesh.crm.snapshot()
    task_id = await client.submit("meeting_followup", load_meeting("01"))
    task = await client.wait_for(task_id, timeout=180)
    assert task.status == task_pb2.TASK_STATUS_COMPLETED, (task.reason, client.kinds(task_id))
    kinds = client.kinds(task_id)
    assert [e.step_id for e in client.events[task_id] if e.kind == "step.succeeded"] == [
        "notes",
        "insights",
        "crm",
        "followup",
        "email",
    ]
    assert kinds[-1] == "task.completed"

    after = mesh.crm.snapshot()
    acme = opportunity(after, "Acme analytics platform")
    assert (acme["stage"], acme["sentiment"], acme["last_meeting"]) == ("proposal", "positive", "2026-11-18")
    assert acme["version"] == opportunity(before, "Acme analytics platform")["version"] + 1
    assert any("security" in r for r in acme["risks"])
    assert "li.wei@acme.example" in {c["email"] for c in after["contacts"]}
    assert opportunity(after, "Globex fleet rollout") == opportunity(before, "Globex fleet rollout")

    mails = [
        m for m in read_maildir(mesh.maildir) if m["Subject"] == "Follow-up: Acme analytics platform: pilot review"
    ]
    assert len(mails) == 1
    mail = mails[0]
    assert mail["To"] == "Ana Lopez <ana.lopez@acme.example>, Li Wei <li.wei@acme.example>"
    body = mail.get_content()
    assert "send the proposal with pricing for 40 sites" in body and body.startswith("Hi Ana and Li,")
    email_output = {s.step_id: s for s in task.steps}["email"].output
    assert mail["Message-ID"] == email_output["message_id"]


async def test_injected_meeting_is_blocked_before_any_agent_reads_it(mesh):
    mesh, client = mesh
    before = mesh.crm.snapshot()
    task_id = await client.submit("meeting_followup", load_meeting("03"))
    task = await client.wait_for(task_id, timeout=180)
    assert task.status == task_pb2.TASK_STATUS_COMPENSATED, (task.reason, client.kinds(task_id))
    assert "injection" in task.reason
    blocked = [e for e in client.events[task_id] if e.kind == "step.blocked"]
    assert [e.step_id for e in blocked] == ["notes"]
    assert "step.dispatched" not in client.kinds(task_id)  # no agent ever saw the transcript
    assert mesh.crm.snapshot() == before
    assert not [m for m in read_maildir(mesh.maildir) if "competitor-intel" in str(m["Cc"] or "")]


async def test_without_the_transcript_check_the_policy_watcher_blocks_the_send_and_the_crm_is_restored(mesh):
    mesh, client = mesh
    before = mesh.crm.snapshot()
    task_id = await client.submit(WITHOUT_INJECTION_CHECK, load_meeting("03"))
    task = await client.wait_for(task_id, timeout=180)
    assert task.status == task_pb2.TASK_STATUS_COMPENSATED, (task.reason, client.kinds(task_id))
    assert "policy" in task.reason and "pipeline@competitor-intel.io" in task.reason
    states = step_states(task)
    assert states["crm"] == "compensated" and states["email"] in {"blocked", "failed"}
    compensations = Counter(e.step_id for e in client.events[task_id] if e.kind == "step.compensating")
    assert compensations["crm"] == 1
    assert mesh.crm.snapshot() == before  # the CRM update happened and was undone exactly
    assert not [m for m in read_maildir(mesh.maildir) if "Umbrella" in m["Subject"]]


async def test_crm_failure_compensates_nothing_twice_and_leaves_the_database_as_it_was(mesh):
    mesh, client = mesh
    before = mesh.crm.snapshot()
    mails_before = len(read_maildir(mesh.maildir))
    task_id = await client.submit("meeting_followup", load_meeting("04"))
    task = await client.wait_for(task_id, timeout=180)
    assert task.status == task_pb2.TASK_STATUS_COMPENSATED, (task.reason, client.kinds(task_id))
    assert "UNKNOWN_ACCOUNT" in task.reason or "initech.example" in task.reason
    events = client.events[task_id]
    assert [e.step_id for e in events if e.kind == "step.succeeded"] == ["notes", "insights"]
    assert [e.step_id for e in events if e.kind == "step.failed"] == ["crm"]
    compensations = Counter(e.step_id for e in events if e.kind == "step.compensating")
    assert all(count == 1 for count in compensations.values()), compensations
    assert "crm" not in compensations  # the failed step wrote nothing, so there is nothing to undo
    assert not {"followup", "email"} & {e.step_id for e in events if e.kind == "step.dispatched"}
    assert mesh.crm.snapshot() == before
    assert len(read_maildir(mesh.maildir)) == mails_before
