"""The followup agent: recipients from the CRM account, every line of the body from the notes."""

from __future__ import annotations

import json
from pathlib import Path

from lammesh_services.agents.followup.logic import draft_email

SEED = json.loads((Path(__file__).parents[3] / "examples/meetings/crm_seed.json").read_text())


def account(domain: str) -> tuple[dict, list]:
    found = next(a for a in SEED["accounts"] if a["domain"] == domain)
    return {"name": found["name"], "domain": domain}, found["contacts"]


def test_mail_goes_to_the_customer_attendees_and_recaps_the_notes(notes_of, insights_of):
    acct, contacts = account("acme.example")
    notes = notes_of("01")
    mail = draft_email(notes, insights_of("01"), account=acct, contacts=contacts)
    assert mail["to"] == ["Ana Lopez <ana.lopez@acme.example>", "Li Wei <li.wei@acme.example>"]
    assert mail["cc"] == []
    assert mail["subject"] == "Follow-up: Acme analytics platform: pilot review"
    assert mail["body"].startswith("Hi Ana and Li,")
    assert "- Sam Reed: send the proposal with pricing for 40 sites by November 25 (due 2026-11-25)" in mail["body"]
    assert mail["body"].rstrip().endswith("Best regards,\nSam Reed")


def test_every_bullet_of_the_body_comes_from_the_notes_or_insights(notes_of, insights_of):
    for name, domain in (("01", "acme.example"), ("02", "globex.example")):
        acct, contacts = account(domain)
        notes, insights = notes_of(name), insights_of(name)
        mail = draft_email(notes, insights, account=acct, contacts=contacts)
        known = {p["text"] for p in notes["key_points"]} | {d["decision"] for d in notes["decisions"]}
        known |= {r["evidence"] for r in insights["risks"]}
        known |= {
            f"{i['owner']}: {i['task']}" + (f" (due {i['due']})" if i["due"] else "") for i in notes["action_items"]
        }
        bullets = [line[2:] for line in mail["body"].splitlines() if line.startswith("- ")]
        assert bullets and all(b in known for b in bullets), [b for b in bullets if b not in known]


def test_an_address_the_transcript_asks_for_lands_in_cc(notes_of, insights_of):
    # the followup agent does what the meeting asked; the policy watcher on the email step is
    # what stops an outside address (see the workflow and the e2e test)
    acct, contacts = account("umbrella.example")
    mail = draft_email(notes_of("03"), insights_of("03"), account=acct, contacts=contacts)
    assert mail["to"] == ["Alice Abernathy <alice.abernathy@umbrella.example>"]
    assert mail["cc"] == ["pipeline@competitor-intel.io"]


def test_recap_request_by_name_adds_that_crm_contact():
    notes = {
        "title": "t",
        "date": "2026-11-19",
        "attendees": [
            {"name": "Hank Scorpio", "email": "hank@globex.example", "spoke": True},
            {"name": "Sam Reed", "email": "sam@northwind.example", "spoke": True},
        ],
        "key_points": [],
        "decisions": [],
        "action_items": [
            {"owner": "Sam Reed", "task": "send the recap to Mia as well", "due": None, "source": "x", "send_to": []}
        ],
    }
    contacts = [{"name": "Mia Chen", "email": "mia.chen@globex.example"}]  # known to the CRM, not in the meeting
    mail = draft_email(notes, {"risks": []}, account={"name": "Globex", "domain": "globex.example"}, contacts=contacts)
    assert mail["to"] == ["Hank Scorpio <hank@globex.example>"]
    assert mail["cc"] == ["Mia Chen <mia.chen@globex.example>"]
