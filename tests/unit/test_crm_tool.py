"""The crm tool against a real SQLite file: versioned writes, exact restore, idempotency."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lammesh.steps import StepFailure
from lammesh_services.tools.crm.tool import CrmInput, CrmTool

SEED = json.loads((Path(__file__).parents[2] / "examples/meetings/crm_seed.json").read_text())


@pytest.fixture
async def crm(tmp_path):
    tool = CrmTool(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    await tool.start()
    tool.store.seed(SEED)
    yield tool
    await tool.close()


def meeting(**overrides) -> CrmInput:
    values = {
        "account_domain": "acme.example",
        "meeting_date": "2026-11-18",
        "stage": "proposal",
        "sentiment": "positive",
        "risks": ["security review pending"],
        "next_step": "Send the proposal by 2026-11-25",
        "summary": "Acme wants a proposal.",
        "attendees": [
            {"name": "Ana Lopez", "email": "ana.lopez@acme.example"},
            {"name": "Li Wei", "email": "li.wei@acme.example", "role": "IT lead"},
            {"name": "Sam Reed", "email": "sam.reed@northwind.example"},
        ],
    }
    values.update(overrides)
    return CrmInput.model_validate(values)


def opportunity(snapshot, name):
    return next(o for o in snapshot["opportunities"] if o["name"] == name)


async def test_apply_updates_the_opportunity_and_upserts_account_contacts_only(crm):
    result = crm.apply("t1/crm", meeting())
    after = crm.store.snapshot()
    opp = opportunity(after, "Acme analytics platform")
    assert (opp["stage"], opp["sentiment"], opp["version"]) == ("proposal", "positive", 2)
    assert opp["risks"] == ["security review pending"] and opp["last_meeting"] == "2026-11-18"
    emails = {c["email"] for c in after["contacts"]}
    assert "li.wei@acme.example" in emails  # new contact on the account's domain
    assert "sam.reed@northwind.example" not in emails  # our own people are not customer contacts
    assert result["opportunity"]["previous_stage"] == "evaluation"
    assert result["account"] == {"name": "Acme Corp", "domain": "acme.example"}
    assert {c["email"] for c in result["contacts"]} == {
        "ana.lopez@acme.example",
        "raj.patel@acme.example",
        "li.wei@acme.example",
    }


async def test_restore_puts_back_exactly_the_previous_rows_once(crm):
    before = crm.store.snapshot()
    crm.apply("t1/crm", meeting())
    assert crm.store.snapshot() != before
    first = crm.restore("t1/crm")
    assert crm.store.snapshot() == before
    assert {(r["table"], r["restored_version"]) for r in first["restored"]} >= {
        ("opportunities", 1),
        ("contacts", None),
    }
    second = crm.restore("t1/crm")  # a redelivered compensation finds nothing left to undo
    assert second == {"restored": [], "already_restored": True}
    assert crm.store.snapshot() == before


async def test_restore_undoes_only_its_own_step(crm):
    crm.apply("t1/crm", meeting())
    middle = crm.store.snapshot()
    crm.apply("t2/crm", meeting(stage="negotiation", sentiment="neutral", attendees=[]))
    crm.restore("t2/crm")
    assert crm.store.snapshot() == middle


async def test_same_step_key_applies_once(crm):
    first = crm.apply("t1/crm", meeting())
    again = crm.apply("t1/crm", meeting(stage="negotiation"))
    assert again == first
    assert opportunity(crm.store.snapshot(), "Acme analytics platform")["version"] == 2


async def test_unknown_account_fails_without_writing(crm):
    before = crm.store.snapshot()
    with pytest.raises(StepFailure) as failure:
        crm.apply("t1/crm", meeting(account_domain="initech.example"))
    assert (failure.value.code, failure.value.field, failure.value.retryable) == (
        "UNKNOWN_ACCOUNT",
        "input.account_domain",
        False,
    )
    assert crm.store.snapshot() == before


async def test_contact_of_another_account_rolls_back_the_whole_change(crm):
    before = crm.store.snapshot()
    # an address on acme's domain that the CRM already files under another account
    crm.store.seed(
        {
            "accounts": [
                {
                    "name": "Acme Ventures",
                    "domain": "ventures.example",
                    "contacts": [{"name": "Zed", "email": "zed@acme.example"}],
                }
            ]
        }
    )
    seeded = crm.store.snapshot()
    with pytest.raises(StepFailure) as failure:
        crm.apply(
            "t1/crm",
            meeting(
                attendees=[
                    {"name": "Li Wei", "email": "li.wei@acme.example"},
                    {"name": "Zed", "email": "zed@acme.example"},
                ]
            ),
        )
    assert failure.value.code == "CONTACT_CONFLICT"
    assert crm.store.snapshot() == seeded  # the opportunity update and Li's insert were rolled back
    assert seeded != before
