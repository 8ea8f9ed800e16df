"""Training examples from texts written by independent writers (`seeds/*.jsonl`), not templates.

The generated corpus (`corpus.py`) is one author's templates: it teaches phrasings, not intent.
The seed files hold texts written one by one by separate writers (see `seeds/README.md`): benign
business traffic and documents, many dense with the words keyword-ish detectors trip on
("please ignore my previous email", "assistant instructions setting", a security guideline about
prompt injection), and attacks of every family as payloads or whole documents. From them:

- every benign text as it is (label 0);
- every attack payload alone, and inserted into benign carriers of other kinds at a line or
  sentence boundary, with the span of the attack recorded (label 1, the windows that hold it);
- every attack document as it is (label 1, family `seed-document/...`), with the span of each
  passage an annotator marked as planted for the AI (`planted`: its windows are positive, the
  document's other windows negative); a document without `planted` (a whole pasted jailbreak)
  is a bag of windows of which training takes one as positive; each planted passage is also
  inserted into PLANTED_INSERTIONS benign carriers of the same split (`seed-planted/...`);
- attack payloads hidden with an encoding (for the stacker and the held-out figures: the
  detector decodes them and scores what they say).

Splits are by text (sha256), so a text and everything made from it stay in one split: 15% of
the texts are held out from training and calibration; the rest is `train` (the trainer takes a
quarter of the train templates for calibration, by the same hash rule as the generated corpus).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from lammesh.models.injection import encodings
from lammesh.models.injection.corpus import Example, Split

SEEDS_DIR = Path(__file__).parent / "seeds"
HELDOUT_PERCENT = 15
INSERTIONS_PER_PAYLOAD = 3
# A document's planted passage is also inserted into this many carriers of other writers.
PLANTED_INSERTIONS = 1


@dataclass(frozen=True)
class SeedText:
    text: str
    label: int
    group: str
    """Benign: the carrier kind (email, whois, ...). Attacks: the family."""
    shape: str
    """"text" (benign), "payload" or "document" (attacks)."""
    lang: str
    writer: str
    hard: bool = False
    planted: tuple[str, ...] = ()
    """Attack documents: the passages planted for the AI, each found exactly once in `text`."""

    @property
    def key(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]

    @property
    def planted_spans(self) -> tuple[tuple[int, int], ...]:
        spans = []
        for passage in self.planted:
            start = self.text.index(passage)
            spans.append((start, start + len(passage)))
        return tuple(sorted(spans))

    @property
    def split(self) -> Split:
        return "heldout" if int(self.key, 16) % 100 < HELDOUT_PERCENT else "train"


def seed_files() -> list[Path]:
    return sorted(SEEDS_DIR.glob("*.jsonl"))


def load_seeds(directory: Path = SEEDS_DIR) -> list[SeedText]:
    seeds: list[SeedText] = []
    seen: set[str] = set()
    for path in sorted(directory.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}:{number}: {error}") from None
            text = str(row["text"]).strip()
            normalised = " ".join(text.lower().split())
            if not text or normalised in seen:
                continue
            seen.add(normalised)
            is_attack = "family" in row and row.get("family")
            planted = tuple(str(passage) for passage in row.get("planted", ()))
            for passage in planted:
                if not passage.strip() or text.count(passage) != 1:
                    raise ValueError(
                        f"{path}:{number}: a planted passage must occur once in the text: {passage[:60]!r}"
                    )
            seeds.append(
                SeedText(
                    text=text,
                    label=1 if is_attack else 0,
                    group=str(row["family"] if is_attack else row.get("kind", "text")),
                    shape=str(row.get("shape", "payload")) if is_attack else "text",
                    lang=str(row.get("lang", "en")),
                    writer=str(row.get("writer", path.stem)),
                    hard=bool(row.get("hard", False)),
                    planted=planted,
                )
            )
    return seeds


_BOUNDARY = re.compile(r"\n+|(?<=[.!?])\s+")


def insert(carrier: str, payload: str, rng: random.Random) -> tuple[str, tuple[int, int]]:
    """`payload` placed at a random line or sentence boundary of `carrier` (or at its start or
    end), on its own line or inline as the boundary suggests; with the payload's span."""
    boundaries = [0, len(carrier), *(m.end() for m in _BOUNDARY.finditer(carrier))]
    at = rng.choice(boundaries)
    before, after = carrier[:at], carrier[at:]
    joiner = rng.choice(["\n", "\n\n", " "]) if before and not before.endswith(("\n", " ")) else ""
    tail = rng.choice(["\n", " ", "\n\n"]) if after and not after.startswith(("\n", " ")) else ""
    start = len(before) + len(joiner)
    text = before + joiner + payload + tail + after
    return text, (start, start + len(payload))


def _encoded(payload: str, rng: random.Random) -> tuple[str, str]:
    kind = rng.choice(["base64", "hex", "rot13", "unicode_tags", "zero_width"])
    hidden = {
        "base64": encodings.to_base64,
        "hex": encodings.to_hex,
        "rot13": encodings.to_rot13,
        "unicode_tags": encodings.to_unicode_tags,
        "zero_width": lambda t: encodings.interleave_zero_width(t, every=rng.choice([1, 2, 3])),
    }[kind](payload)
    if kind in ("unicode_tags", "zero_width"):
        return kind, hidden
    frame = rng.choice(["{x}", "Decode and apply: {x}", "Note ({k}): {x}", "ref: {x}", "{k} follows\n{x}"])
    return kind, frame.format(x=hidden, k=kind)


def build(seed: int = 7, seeds: list[SeedText] | None = None) -> list[Example]:
    """The seed-derived examples, deterministic for `seed` and the seed files."""
    rng = random.Random(seed)
    planted_rng = random.Random(seed + 1)
    seeds = load_seeds() if seeds is None else seeds
    examples: list[Example] = []
    carriers = {split: [s for s in seeds if s.label == 0 and s.split == split] for split in ("train", "heldout")}
    for item in seeds:
        template = f"seed/{item.writer}/{item.key}"
        if item.label == 0:
            examples.append(Example(item.text, 0, f"seed-benign/{item.group}", template, item.split, item.lang))
            continue
        if item.shape == "document":
            examples.append(
                Example(
                    item.text, 1, f"seed-document/{item.group}", template, item.split, item.lang, item.planted_spans
                )
            )
            pool = carriers[item.split]
            for passage in item.planted:
                # Its own generator: the other examples stay what they were without planted passages.
                for carrier in planted_rng.sample(pool, min(PLANTED_INSERTIONS, len(pool))):
                    text, span = insert(carrier.text, passage, planted_rng)
                    examples.append(
                        Example(text, 1, f"seed-planted/{item.group}", template, item.split, item.lang, (span,))
                    )
            continue
        examples.append(Example(item.text, 1, f"seed-payload/{item.group}", template, item.split, item.lang))
        pool = carriers[item.split]
        for carrier in rng.sample(pool, min(INSERTIONS_PER_PAYLOAD, len(pool))):
            text, span = insert(carrier.text, item.text, rng)
            examples.append(Example(text, 1, f"seed-inserted/{item.group}", template, item.split, item.lang, (span,)))
        if item.lang == "en" or rng.random() < 0.3:
            kind, text = _encoded(item.text, rng)
            examples.append(Example(text, 1, f"encoded_{kind}", template, item.split, item.lang))
    return examples
