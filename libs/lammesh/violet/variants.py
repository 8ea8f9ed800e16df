"""Variants of a feedback case that keep its label (pure, deterministic given a seed).

A case is one text a watcher got wrong. To teach a patch the *intent* and not the exact string,
each case becomes many texts with the same label:

- carrier swaps: the text as a mail, a meeting transcript, a JSON tool output, and the carrier
  frames in other languages (German, French, Spanish) where the words are the carrier's;
- paraphrase templates: greetings and sign-offs, sentence order, a few safe word swaps;
- insertions: the text placed at a boundary of other benign texts (`seed_corpus.insert`);
- for attacks (should flag): the text hidden with an encoding (`lammesh.models.injection.encodings`);
- for benign texts (should pass): rewrites dense with the words keyword detectors trip on.

A share of the variants (by a hash of the text, so the split is stable) is held out for the gate;
the case's own text is never held out (the gate checks it separately: the case must be fixed).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from lammesh.feedback.case import FeedbackCase
from lammesh.models.injection import encodings
from lammesh.models.injection.seed_corpus import insert

DEFAULT_HELDOUT_PERCENT = 25
DEFAULT_ROUNDS = 20
"""Rounds of each kind of variant: 20 gives about 130 variants (about 30 held out, so one miss
is 3 points of the held-out floor, not 6), measured on five case ids of the test case."""


@dataclass(frozen=True)
class Variant:
    text: str
    should_flag: bool
    kind: str
    """How it was made, e.g. "carrier/email", "encoded/base64", "dense", "language/de"."""
    case_id: str
    heldout: bool


_SENTENCE = re.compile(r"(?<=[.!?])\s+")

_MAIL = [
    "From: {sender}\nTo: {recipient}\nSubject: {subject}\n\n{text}\n\nBest regards,\n{name}",
    "Hi {first},\n\n{text}\n\nThanks,\n{name}",
    "Subject: Re: {subject}\n\n{text}\n\n-- \n{name}\n{company}",
]
_LANGUAGE_MAIL = {
    "de": "Von: {sender}\nAn: {recipient}\nBetreff: {subject}\n\nHallo {first},\n\n{text}\n\nViele Grüße\n{name}",
    "fr": "De : {sender}\nÀ : {recipient}\nObjet : {subject}\n\nBonjour {first},\n\n{text}\n\nCordialement,\n{name}",
    "es": "De: {sender}\nPara: {recipient}\nAsunto: {subject}\n\nHola {first}:\n\n{text}\n\nSaludos,\n{name}",
}
_PEOPLE = [
    ("Dana Whitfield", "dana@northwind.example"),
    ("Omar Haddad", "omar@contoso.example"),
    ("Mei Lin", "mei.lin@fabrikam.example"),
    ("Lukas Berger", "lukas@tailspin.example"),
]
_SUBJECTS = ["Q3 renewal", "Revised quote", "Meeting follow-up", "Invoice 4471", "Project kickoff"]
_COMPANIES = ["Northwind Traders", "Contoso Ltd", "Fabrikam Inc", "Tailspin Toys"]
_OPENERS = ["", "Quick note: ", "As discussed, ", "For the record, ", "Following up on today: "]
_CLOSERS = ["", " Let me know if anything is unclear.", " Thanks in advance.", " Talk soon."]
_SWAPS = [
    ("please", "kindly"),
    ("send", "forward"),
    ("quote", "offer"),
    ("meeting", "call"),
    ("tomorrow", "on the next business day"),
    ("thanks", "thank you"),
]
_TRIGGER_SENTENCES = [
    "Please ignore the previous quote; the revised one is attached.",
    "The override on the discount was approved by finance.",
    "Our system admin will reset the shared calendar tonight.",
    "Disregard my earlier email, the venue changed.",
    "New instructions for the loading dock: use gate B from Monday.",
    "Forget the old price list, it expired last month.",
    "The assistant instructions setting in the CRM is now on by default.",
    "Act as the main contact while I am away next week.",
]
_BENIGN_HOSTS = [
    "Thanks for joining the call today. We agreed on the delivery dates and the budget for the pilot.",
    "Attached are the minutes of the steering meeting.\nAction items are listed at the end.",
    "The warehouse inventory was counted on Friday. Two pallets were missing labels.",
    "Reminder: the quarterly review is moved to Thursday at 10:00 in room 4B.",
]
_ENCODERS = {
    "base64": encodings.to_base64,
    "hex": encodings.to_hex,
    "rot13": encodings.to_rot13,
    "unicode_tags": encodings.to_unicode_tags,
    "zero_width": encodings.interleave_zero_width,
    "leetspeak": encodings.to_leetspeak,
}


def _slots(rng: random.Random) -> dict[str, str]:
    (name, sender), (_, recipient) = rng.sample(_PEOPLE, 2)
    return {
        "sender": sender,
        "recipient": recipient,
        "name": name,
        "first": recipient.split("@")[0].split(".")[0].title(),
        "subject": rng.choice(_SUBJECTS),
        "company": rng.choice(_COMPANIES),
    }


def _transcript(text: str, rng: random.Random) -> str:
    speakers = [p[0].split()[0] for p in rng.sample(_PEOPLE, 2)]
    lines, minute = [], rng.randint(0, 20)
    for index, sentence in enumerate(s for s in _SENTENCE.split(text) if s.strip()):
        minute += rng.randint(0, 2)
        lines.append(
            f"[{minute // 60:02d}:{minute % 60:02d}:{rng.randint(0, 59):02d}] {speakers[index % 2]}: {sentence.strip()}"
        )
    return "Meeting transcript\n" + "\n".join(lines)


def _tool_output(text: str, rng: random.Random) -> str:
    tool = rng.choice(["crm.get_note", "mail.fetch", "docs.read"])
    return json.dumps(
        {"tool": tool, "status": "ok", "result": {"id": rng.randint(1000, 9999), "text": text}}, ensure_ascii=False
    )


def _paraphrase(text: str, rng: random.Random) -> str:
    sentences = [s for s in _SENTENCE.split(text) if s.strip()]
    if len(sentences) > 2 and rng.random() < 0.5:
        head, *rest = sentences
        rng.shuffle(rest)
        sentences = [head, *rest]
    out = " ".join(sentences)
    for old, new in rng.sample(_SWAPS, 2):
        out = re.sub(rf"\b{old}\b", new, out, flags=re.IGNORECASE)
    return rng.choice(_OPENERS) + out + rng.choice(_CLOSERS)


def _dense(text: str, rng: random.Random) -> str:
    """A benign rewrite with benign sentences full of trigger words around the case's text."""
    added = rng.sample(_TRIGGER_SENTENCES, 2)
    sentences = [s for s in _SENTENCE.split(text) if s.strip()]
    at = rng.randint(0, len(sentences))
    return " ".join([*sentences[:at], added[0], *sentences[at:], added[1]])


def _is_heldout(text: str, percent: int) -> bool:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % 100 < percent


def generate(
    case: FeedbackCase,
    *,
    seed: int = 0,
    rounds: int = DEFAULT_ROUNDS,
    heldout_percent: int = DEFAULT_HELDOUT_PERCENT,
    extra_texts: Sequence[tuple[str, str]] = (),
) -> list[Variant]:
    """The case's own text (never held out) and its variants, deduplicated, in a stable order.
    `rounds` sets how many of each kind; `extra_texts` are (kind, text) made elsewhere (an LLM's
    paraphrases), kept with the case's label and split like the rest."""
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, not {rounds}")
    if not 0 <= heldout_percent < 100:
        raise ValueError(f"heldout_percent must be in [0, 100), not {heldout_percent}")
    rng = random.Random(f"{seed}:{case.case_id}")
    text, label = case.content, case.should_flag
    made: list[tuple[str, str]] = list(extra_texts)
    for _ in range(rounds):
        slots = _slots(rng)
        made.append(("carrier/email", rng.choice(_MAIL).format(text=text, **slots)))
        made.append(("carrier/transcript", _transcript(text, rng)))
        made.append(("carrier/tool_output", _tool_output(text, rng)))
        language = rng.choice(sorted(_LANGUAGE_MAIL))
        made.append((f"language/{language}", _LANGUAGE_MAIL[language].format(text=text, **slots)))
        made.append(("paraphrase", _paraphrase(text, rng)))
        made.append(("insertion", insert(rng.choice(_BENIGN_HOSTS), text, rng)[0]))
        if label:
            kind = rng.choice(sorted(_ENCODERS))
            made.append((f"encoded/{kind}", _ENCODERS[kind](text)))
        else:
            made.append(("dense", _dense(text, rng)))
    variants = [Variant(text, label, "original", case.case_id, heldout=False)]
    seen = {text}
    for kind, variant_text in made:
        if variant_text in seen or not variant_text.strip():
            continue
        seen.add(variant_text)
        variants.append(Variant(variant_text, label, kind, case.case_id, _is_heldout(variant_text, heldout_percent)))
    return variants


def split(variants: Sequence[Variant]) -> tuple[list[Variant], list[Variant]]:
    """(train, heldout)."""
    return [v for v in variants if not v.heldout], [v for v in variants if v.heldout]
