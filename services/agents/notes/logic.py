"""Meeting notes from a speaker-tagged transcript. Pure: the sentence encoder comes in as a
function `embed(texts) -> unit vectors`, so the logic is tested on fixed inputs.

- attendees: every speaker, merged with the invitation's participant list (email, company);
- action items: commitments and requests found by rules (who: the speaker for "I'll ...", the
  person addressed or named otherwise; when: the due date resolved against the meeting date),
  near-duplicates merged by embedding similarity (the same promise repeated later);
- decisions: agreement phrases, also de-duplicated by embeddings;
- summary: the most central sentences of the discussion (embedding centrality with MMR), in
  transcript order, so every summary sentence is something somebody said.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from lammesh.agents.dates import resolve_due
from lammesh.agents.transcript import Utterance, utterances

Embed = Callable[[list[str]], np.ndarray]

_WORD = re.compile(r"[A-Za-z0-9']+")
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_FILLER = re.compile(
    r"^(?:(?:hi|hello|hey|thanks|thank you|great|sounds good|perfect|ok(?:ay)?|sure|bye|good (?:morning|afternoon)|"
    r"nice to (?:meet|see) you|you too|yes|no|right|exactly|absolutely|cheers)\b[\s,.!a-z]*)$",
    re.I,
)
_VERBS = (
    r"send|share|prepare|schedule|set up|follow up|draft|review|book|loop in|get back|check|confirm|provide|"
    r"update|organi[sz]e|arrange|write|email|forward|introduce|circulate|deliver|run|ship|finali[sz]e|sign|talk to|ask"
)
_FIRST_PERSON = re.compile(
    rf"\b(?:I(?:'ll| will| am going to|'m going to| can)|let me|let us|let's|we(?:'ll| will| are going to|'re going to))\s+(?:also\s+|then\s+|quickly\s+)?(?P<task>(?:{_VERBS})\b.*)",
    re.I,
)
_REQUEST = re.compile(
    rf"^(?:(?P<name>[A-Z][a-z]+),\s*)?(?:(?:can|could|would) you(?: please)?|please)\s+(?P<task>(?:{_VERBS})\b.*?)(?:,\s*(?P<name2>[A-Z][a-z]+))?\??$",
    re.I,
)
_THIRD_PERSON = re.compile(rf"\b(?P<name>[A-Z][a-z]+) (?:will|is going to|'ll) (?P<task>(?:{_VERBS})\b.*)")
_EXPLICIT = re.compile(r"^(?:action item|todo|to-do|next step)s?\s*[:\-]\s*(?P<task>.+)$", re.I)
_IMPERATIVE = re.compile(
    rf"^(?:(?:also|and),?\s+)?(?P<task>(?:{_VERBS})\s+(?:the|a|an|all|our|your|this|full|every)\b.*\bto\b.*)$", re.I
)
_SEND_TO = re.compile(
    r"\b(?P<task>(?:send|e-?mail|forward|share|mail)\b[^.?!]*?\bto\s+[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})",
    re.I,
)
_DECISION = re.compile(
    r"\b(?:we(?:'ve| have)? (?:agreed|decided)|(?:are|is) agreed|agreed (?:to|that|on)|the decision is|let's go with|"
    r"we(?:'ll| will) go (?:ahead )?with|go ahead with|signed off|sign off on|approved|we(?:'re| are) moving forward|"
    r"we(?:'re| are) going (?:ahead )?with)\b",
    re.I,
)


@dataclass(frozen=True)
class Participant:
    name: str
    email: str | None = None
    company: str = ""
    role: str = ""


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def is_content(text: str) -> bool:
    return len(words(text)) >= 4 and not _FILLER.match(text.strip())


def _clean_task(task: str) -> str:
    task = task.strip().rstrip("?.! ")
    task = re.sub(r",?\s*(?:ok(?:ay)?|right|alright)\s*$", "", task, flags=re.I)
    return task[:1].lower() + task[1:] if task else task


def merge_attendees(speakers: Sequence[Utterance], participants: Sequence[Participant]) -> list[dict]:
    """Speakers in order of first appearance, with email/company from the participant list
    (matched on full name, then on a unique first name); invited people who did not speak last."""
    by_full = {p.name.lower(): p for p in participants}
    by_first: dict[str, list[Participant]] = {}
    for p in participants:
        by_first.setdefault(p.name.split()[0].lower(), []).append(p)
    attendees: dict[str, dict] = {}
    for u in speakers:
        key = u.speaker.lower()
        match = by_full.get(key) or (
            by_first.get(key.split()[0]) if len(by_first.get(key.split()[0], [])) == 1 else None
        )
        if isinstance(match, list):
            match = match[0]
        name = match.name if match else u.speaker
        entry = attendees.setdefault(
            name.lower(),
            {
                "name": name,
                "email": match.email if match else None,
                "company": (match.company if match and match.company else u.company),
                "role": match.role if match else "",
                "spoke": True,
                "sentences": 0,
            },
        )
        entry["sentences"] += 1
    for p in participants:
        attendees.setdefault(
            p.name.lower(),
            {"name": p.name, "email": p.email, "company": p.company, "role": p.role, "spoke": False, "sentences": 0},
        )
    return list(attendees.values())


def _resolve_owner(name: str | None, speaker: str, attendees: list[dict]) -> str:
    if not name:
        return speaker
    for a in attendees:
        if a["name"].lower() == name.lower() or a["name"].split()[0].lower() == name.lower():
            return a["name"]
    return name


def find_action_items(sentences: Sequence[Utterance], attendees: list[dict], meeting: date) -> list[dict]:
    items = []
    for i, u in enumerate(sentences):
        text = u.text.strip()
        owner, task = None, None
        if m := _EXPLICIT.match(text):
            owner, task = u.speaker, m["task"]
            if t := _THIRD_PERSON.search(task):
                owner, task = _resolve_owner(t["name"], u.speaker, attendees), t["task"]
        elif m := _REQUEST.match(text):
            addressed = m["name"] or m["name2"]
            if not addressed and i + 1 < len(sentences) and sentences[i + 1].speaker != u.speaker:
                addressed = sentences[i + 1].speaker  # the person who answers the request
            owner, task = _resolve_owner(addressed, u.speaker, attendees) if addressed else "unassigned", m["task"]
            task = re.sub(r"\bme\b", u.speaker, task)  # "send me X" -> "send Sam Reed X"
        elif m := _FIRST_PERSON.search(text):
            owner, task = u.speaker, m["task"]
            owner = _resolve_owner(owner, u.speaker, attendees)
        elif m := _THIRD_PERSON.search(text):
            owner, task = _resolve_owner(m["name"], u.speaker, attendees), m["task"]
        elif (m := _IMPERATIVE.match(text)) or (m := _SEND_TO.search(text)):
            owner, task = "unassigned", m["task"]
        if task is None or len(words(task)) < 2:
            continue
        emails = _EMAIL.findall(text)
        items.append(
            {
                "owner": owner,
                "task": _clean_task(task),
                "due": resolve_due(text, meeting),
                "said_by": u.speaker,
                "source": text,
                "send_to": emails,
            }
        )
    return items


def find_decisions(sentences: Sequence[Utterance]) -> list[dict]:
    return [
        {"decision": u.text.strip(), "said_by": u.speaker}
        for u in sentences
        if _DECISION.search(u.text) and not u.text.strip().endswith("?")
    ]


# A request and its acceptance ("can you send me the questionnaire by Friday?" / "Sure, I will send
# the questionnaire by Friday.") measure 0.63-0.65 cosine, one owner's different tasks about 0.3; the
# INT8 encoder moves a cosine by ~0.01 with its batch-mates and the CPU, so the bound sits between.
REPEATED_ACTION_COSINE = 0.55


def merge_repeated_actions(items: list[dict], embed: Embed, threshold: float = REPEATED_ACTION_COSINE) -> list[dict]:
    """The same promise said twice (asked, then accepted) is one action item: items of the same
    owner whose tasks are within `threshold` cosine merge into the first, which takes the later
    one's due date if it had none."""
    if not items:
        return []
    vectors = embed([i["source"] for i in items])
    kept: list[int] = []
    for i, item in enumerate(items):
        twin = next(
            (k for k in kept if items[k]["owner"] == item["owner"] and float(vectors[i] @ vectors[k]) >= threshold),
            None,
        )
        if twin is None:
            kept.append(i)
        elif not items[twin]["due"] and item["due"]:
            items[twin] = {**items[twin], "due": item["due"]}
    return [items[k] for k in kept]


def dedupe(texts: list[str], embed: Embed, threshold: float) -> list[int]:
    """Indices to keep: a text whose embedding is within `threshold` cosine of a kept one is a
    repeat (the later mention usually restates the earlier promise with more detail: keep the later)."""
    if not texts:
        return []
    vectors = embed(texts)
    keep: list[int] = []
    for i in range(len(texts)):
        repeats = [k for k in keep if float(vectors[i] @ vectors[k]) >= threshold]
        for k in repeats:
            keep.remove(k)
        keep.append(i)
    return sorted(keep)


def summarise(
    sentences: Sequence[Utterance], embed: Embed, *, max_points: int = 4, diversity: float = 0.6
) -> list[Utterance]:
    """Most central content sentences, picked with maximal marginal relevance, in order."""
    content = [
        u for u in sentences if len(words(u.text)) >= 6 and is_content(u.text) and not u.text.strip().endswith("?")
    ]
    if not content:
        return []
    vectors = embed([u.text for u in content])
    centroid = vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    relevance = vectors @ centroid
    chosen: list[int] = []
    while len(chosen) < min(max_points, len(content)):
        best, best_score = -1, -np.inf
        for i in range(len(content)):
            if i in chosen:
                continue
            redundancy = max((float(vectors[i] @ vectors[j]) for j in chosen), default=0.0)
            score = diversity * relevance[i] - (1 - diversity) * redundancy
            if score > best_score:
                best, best_score = i, score
        chosen.append(best)
    return [content[i] for i in sorted(chosen)]


def take_notes(
    transcript: str,
    *,
    meeting_date: date,
    participants: Sequence[Participant] = (),
    embed: Embed,
    title: str = "",
    max_points: int = 4,
) -> dict:
    sentences = utterances(transcript)
    attendees = merge_attendees(sentences, participants)
    actions = find_action_items(sentences, attendees, meeting_date)
    actions = merge_repeated_actions(actions, embed)
    decisions = find_decisions(sentences)
    decisions = [decisions[i] for i in dedupe([d["decision"] for d in decisions], embed, threshold=0.92)]
    points = summarise(sentences, embed, max_points=max_points)
    discussion = [{"speaker": u.speaker, "text": u.text} for u in sentences if is_content(u.text)]
    return {
        "title": title,
        "date": meeting_date.isoformat(),
        "attendees": attendees,
        "summary": " ".join(u.text for u in points),
        "key_points": [{"speaker": u.speaker, "text": u.text} for u in points],
        "decisions": decisions,
        "action_items": actions,
        "discussion": discussion,
    }
