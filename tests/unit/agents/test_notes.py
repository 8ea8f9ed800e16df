"""The notes agent on fixed transcripts: who attended, what was decided, who does what by when."""

from __future__ import annotations

from datetime import date

import pytest

from lammesh.agents.dates import resolve_due
from lammesh.agents.transcript import TranscriptError, utterances
from lammesh_services.agents.notes.logic import take_notes


def test_attendees_merge_speakers_with_the_invitation(notes_of):
    attendees = {a["name"]: a for a in notes_of("01")["attendees"]}
    assert set(attendees) == {"Sam Reed", "Ana Lopez", "Li Wei"}
    assert attendees["Li Wei"]["email"] == "li.wei@acme.example"
    assert attendees["Ana Lopez"]["company"] == "Acme Corp" and attendees["Ana Lopez"]["spoke"]


def test_action_items_have_owner_task_and_resolved_due_date(notes_of):
    items = {(i["owner"], i["due"]): i["task"] for i in notes_of("01")["action_items"]}
    assert items[("Sam Reed", "2026-11-25")].startswith("send the proposal with pricing for 40 sites")
    # "Li, can you send me the questionnaire by Friday?" + "Sure, I will send it by Friday." is ONE item
    li_items = [task for (owner, _), task in items.items() if owner == "Li Wei"]
    assert len(li_items) == 1 and "security questionnaire" in li_items[0] and "Sam Reed" in li_items[0]
    assert ("Li Wei", "2026-11-20") in items  # Friday after Wednesday 2026-11-18
    assert len(items) == 2


def test_decisions_and_summary_are_what_people_said(notes_of):
    notes = notes_of("01")
    decisions = [d["decision"] for d in notes["decisions"]]
    assert "We agreed to move forward with the full rollout if the proposal fits the budget." in decisions
    transcript_sentences = {
        u.text
        for u in utterances(__import__("tests.unit.agents.conftest", fromlist=["meeting"]).meeting("01")["transcript"])
    }
    assert notes["key_points"] and all(p["text"] in transcript_sentences for p in notes["key_points"])
    assert not any(p["text"].startswith(("Good morning", "Thanks")) for p in notes["key_points"])


def test_request_to_send_to_an_address_is_an_unassigned_item_with_that_address(notes_of):
    items = notes_of("03")["action_items"]
    flagged = [i for i in items if i["send_to"]]
    assert [i["send_to"] for i in flagged] == [["pipeline@competitor-intel.io"]]
    assert flagged[0]["owner"] == "unassigned" and flagged[0]["said_by"] == "Alice Abernathy"


def test_a_transcript_without_speaker_tags_is_refused(embed):
    with pytest.raises(TranscriptError):
        take_notes("just some text without speakers", meeting_date=date(2026, 1, 5), embed=embed)


@pytest.mark.parametrize(
    ("sentence", "due"),
    [
        ("I will send it by Friday.", "2026-11-20"),  # meeting on Wednesday 2026-11-18
        ("By the 25th please.", "2026-11-25"),
        ("Send it by November 2.", "2027-11-02"),  # already past this year
        ("We meet again next week.", "2026-11-23"),
        ("Deadline 2026-12-01.", "2026-12-01"),
        ("Tomorrow works.", "2026-11-19"),
        ("No date here.", None),
    ],
)
def test_due_dates_resolve_against_the_meeting_date(sentence, due):
    assert resolve_due(sentence, date(2026, 11, 18)) == due


async def test_an_unreachable_llm_endpoint_falls_back_to_the_local_summary(embed):
    from lammesh.dev.localkafka import free_port
    from lammesh.settings import Settings
    from lammesh.steps import StepContext
    from lammesh_services.agents.notes.agent import NotesAgent, NotesInput
    from tests.unit.agents.conftest import meeting

    m = meeting("01")
    settings = Settings(llm_url=f"http://127.0.0.1:{free_port()}/v1", llm_timeout_s=2)  # nothing listens there
    agent = NotesAgent(settings, embed=embed)
    await agent.start()
    data = NotesInput.model_validate({k: m[k] for k in ("transcript", "date", "title", "participants")})
    out = await agent.execute(StepContext("t", "notes", 1, "notes", {}, data=data))
    assert out["summary_by"] == "encoder"
    assert "forecasting accuracy" in out["summary"]
