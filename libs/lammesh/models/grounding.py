"""Grounding: every sentence of an output must be supported by the step's sources.

A sentence (a claim) is supported when
  - some source sentence says much the same thing (cosine similarity of sentence embeddings at or
    above a threshold), and
  - every number, date, name and email address in it also appears in the sources (normalised:
    "$48,500" = "48.5k", "two" = "2", "Tuesday" = "tuesday").
Greetings, sign-offs and other boilerplate are not claims. Fact extraction is pure (no model);
`GroundingChecker` adds the encoder.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from lammesh.models.encoder import SentenceEncoder

# ----------------------------------------------------------------------------------------------
# Sentences
_BOUNDARY = re.compile(r"[.!?]+(?=[\s\"')\]]|$)|\n")
_BOILERPLATE = re.compile(
    r"^\s*(hi|hello|dear|hey|thanks|thank you|many thanks|best|best regards|kind regards|regards|cheers|sincerely|"
    r"looking forward|let me know|please let me know|hope (you|this|all)|have a (great|good|nice)|talk soon|see you)\b",
    re.IGNORECASE,
)
_ABBREVIATIONS = re.compile(r"\b(e\.g|i\.e|etc|vs|mr|mrs|ms|dr|inc|ltd|approx)\.$", re.IGNORECASE)


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int


def split_sentences(text: str) -> list[Sentence]:
    """Sentences with their character offsets; abbreviations ("e.g.", "Mr.") and decimals do not split."""
    pieces: list[Sentence] = []
    start = 0
    for boundary in _BOUNDARY.finditer(text):
        end = boundary.end()
        chunk = text[start:end]
        if boundary.group(0) != "\n" and _ABBREVIATIONS.search(chunk.strip()):
            continue
        _append(pieces, text, start, end)
        start = end
    _append(pieces, text, start, len(text))
    return pieces


def _append(pieces: list[Sentence], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if stripped:
        offset = start + chunk.index(stripped)
        pieces.append(Sentence(stripped, offset, offset + len(stripped)))


def is_claim(sentence: str) -> bool:
    """Boilerplate (greetings, thanks, sign-offs) and fragments of fewer than 3 words are not claims."""
    words = re.findall(r"\w+", sentence)
    return len(words) >= 3 and not _BOILERPLATE.match(sentence)


# ----------------------------------------------------------------------------------------------
# Facts
_NUMBER_WORDS = {w: str(i) for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6, "bn": 1e9, "b": 1e9, "billion": 1e9}
_NUMBER = re.compile(
    r"(?<![\w.])([$€£]\s?)?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s?(%|percent\b|k\b|m\b|mm\b|bn\b|b\b|thousand\b|million\b|billion\b)?",
    re.IGNORECASE,
)
_MONTHS = "january february march april may june july august september october november december".split()
_MONTH_ABBR = {m[:3]: m for m in _MONTHS}
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_DATE = re.compile(
    r"\b(\d{4}-\d{2}-\d{2}|q[1-4]|(?:" + "|".join(_MONTHS + list(_MONTH_ABBR)) + r")\.?(?:\s+\d{1,2}(?:st|nd|rd|th)?)?|"
    r"\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:" + "|".join(_MONTHS) + r")|" + "|".join(_WEEKDAYS) + r")\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NAME = re.compile(r"(?<![\w@.])([A-Z][a-z]+(?:[A-Z][a-z]+)*|[A-Z]{2,}[a-z]*)(?:\s+(?:[A-Z][a-z]+|[A-Z]{2,}))*")
_NOT_NAMES = {
    "i", "we", "you", "they", "he", "she", "it", "the", "a", "an", "our", "their", "your", "my", "this", "that", "these",
    "those", "as", "and", "but", "so", "if", "also", "next", "action", "items", "item", "decisions", "summary", "notes",
    "please", "thanks", "hi", "hello", "dear", "best", "regards", "meeting", "follow", "re", "fw", "fwd", "ok", "crm",
    "ceo", "cfo", "cto", "vp", "it", "api", "sso", "q1", "q2", "q3", "q4", "eu", "us", "uk", "pm", "am", "attendees",
    *_MONTHS, *_WEEKDAYS, *_MONTH_ABBR,
}


@dataclass(frozen=True)
class Fact:
    kind: str  # number | date | name | email
    value: str  # normalised
    text: str  # as written
    start: int
    end: int


def _number_value(match: re.Match[str]) -> str:
    currency, digits, decimals, unit = match.group(1), match.group(2), match.group(3) or "", (match.group(4) or "").lower()
    value = float(digits.replace(",", "") + decimals)
    if unit in _SCALE:
        value *= _SCALE[unit]
    percent = unit in ("%", "percent")
    return f"{value:g}{'%' if percent else ''}"


def _normalise_date(text: str) -> str:
    words = re.findall(r"q[1-4]|[a-z]+|\d+", text.lower())
    out = []
    for word in words:
        if word in ("st", "nd", "rd", "th", "of"):
            continue
        out.append(_MONTH_ABBR.get(word, word))
    return " ".join(sorted(out))


def extract_facts(text: str) -> list[Fact]:
    facts: list[Fact] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    for match in _EMAIL.finditer(text):
        facts.append(Fact("email", match.group(0).lower(), match.group(0), match.start(), match.end()))
        taken.append(match.span())
    for match in _DATE.finditer(text):
        if free(*match.span()):
            facts.append(Fact("date", _normalise_date(match.group(0)), match.group(0), match.start(), match.end()))
            taken.append(match.span())
    for match in _NUMBER.finditer(text):
        if free(*match.span()) and match.group(0).strip():
            facts.append(Fact("number", _number_value(match), match.group(0).strip(), match.start(), match.end()))
            taken.append(match.span())
    for word, digit in _NUMBER_WORDS.items():
        for match in re.finditer(rf"\b{word}\b", text, re.IGNORECASE):
            if free(*match.span()):
                facts.append(Fact("number", f"{float(digit):g}", match.group(0), match.start(), match.end()))
    for match in _NAME.finditer(text):
        if not free(*match.span()):
            continue
        name = match.group(0)
        words = [w for w in name.split() if w.lower() not in _NOT_NAMES]
        if not words:
            continue
        sentence_start = match.start() == 0 or text[: match.start()].rstrip()[-1:] in (".", "!", "?", "\n", ":", "")
        if sentence_start and len(name.split()) == 1:
            continue  # a capitalised first word is usually just the start of a sentence
        facts.append(Fact("name", " ".join(w.lower() for w in words), name, match.start(), match.end()))
    return facts


def _source_facts(sources: str) -> dict[str, set[str]]:
    known: dict[str, set[str]] = {"number": set(), "date": set(), "name": set(), "email": set()}
    for fact in extract_facts(sources):
        known[fact.kind].add(fact.value)
    # Names are also accepted when the words appear anywhere in the sources (any casing, any spot).
    words = re.findall(r"[\w'-]+", sources.lower())
    known["words"] = set(words)
    # Acronyms ("DPA") are accepted when the sources spell them out ("data processing agreement").
    known["initialisms"] = {
        "".join(w[0] for w in words[i : i + n]) for n in range(2, 6) for i in range(len(words) - n + 1)
    }
    for date in list(known["date"]):
        known["date"].update(date.split())
    return known


def missing_facts(claim: str, known: dict[str, set[str]], offset: int = 0) -> list[Fact]:
    """Facts of the claim the sources do not contain (positions relative to `offset`)."""
    missing = []
    for fact in extract_facts(claim):
        if fact.kind == "name":
            present = (
                fact.value in known["name"]
                or all(w in known["words"] for w in fact.value.split())
                or (fact.text.isupper() and fact.value in known["initialisms"])
            )
        elif fact.kind == "date":
            present = fact.value in known["date"] or all(part in known["date"] for part in fact.value.split())
        else:
            present = fact.value in known[fact.kind]
        if not present:
            missing.append(Fact(fact.kind, fact.value, fact.text, fact.start + offset, fact.end + offset))
    return missing


# ----------------------------------------------------------------------------------------------
# The checker
@dataclass(frozen=True)
class ClaimCheck:
    sentence: Sentence
    similarity: float
    best_source: str
    missing: list[Fact]
    supported: bool
    unsupported_probability: float


@dataclass
class GroundingReport:
    claims: list[ClaimCheck] = field(default_factory=list)

    @property
    def unsupported(self) -> list[ClaimCheck]:
        return [c for c in self.claims if not c.supported]

    @property
    def score(self) -> float:
        """Probability-like: the most unsupported claim's score; 0 with no claims."""
        return max((c.unsupported_probability for c in self.claims), default=0.0)


class GroundingChecker:
    def __init__(
        self,
        encoder: SentenceEncoder,
        *,
        similarity_threshold: float = 0.45,
        sharpness: float = 12.0,
        source_cache_size: int = 4096,
    ) -> None:
        self.encoder = encoder
        self.similarity_threshold = similarity_threshold
        self.sharpness = sharpness
        # A task's sources (its notes, the CRM record) are checked against again and again, step
        # after step: their sentence embeddings are kept (least recently used dropped first).
        self._source_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._source_cache_size = source_cache_size

    def _embed(self, claims: list[str], sources: list[str]) -> dict[str, np.ndarray]:
        cache = self._source_cache
        vectors: dict[str, np.ndarray] = {}
        for text in sources:
            if text in cache:
                cache.move_to_end(text)
                vectors[text] = cache[text]
        todo = list(dict.fromkeys([*claims, *(s for s in sources if s not in vectors)]))
        for text, vector in zip(todo, self.encoder.embed(todo) if todo else [], strict=True):
            vectors[text] = vector
        for text in sources:
            if text not in cache:
                cache[text] = vectors[text]
        while len(cache) > self._source_cache_size:
            cache.popitem(last=False)
        return vectors

    def check_batch(
        self, items: list[tuple[str, str]], *, similarity_thresholds: list[float] | None = None
    ) -> list[GroundingReport]:
        """items: (output text, sources text) pairs; one report each. Every distinct sentence is
        embedded once, in one encoder call for the whole batch (source sentences seen recently
        come from the cache)."""
        thresholds = similarity_thresholds or [self.similarity_threshold] * len(items)
        claims = [[s for s in split_sentences(output) if is_claim(s.text)] for output, _ in items]
        source_sentences = [[s.text for s in split_sentences(sources) if len(s.text.split()) >= 2] for _, sources in items]
        vectors = self._embed([c.text for group in claims for c in group], [s for group in source_sentences for s in group])
        known_by_sources: dict[str, dict[str, set[str]]] = {}
        reports = []
        for (_, sources), group, source_group, threshold in zip(items, claims, source_sentences, thresholds, strict=True):
            source_vectors = np.stack([vectors[s] for s in source_group]) if source_group else None
            if sources not in known_by_sources:
                known_by_sources[sources] = _source_facts(sources)
            known = known_by_sources[sources]
            report = GroundingReport()
            for sentence in group:
                if source_vectors is not None:
                    similarities = source_vectors @ vectors[sentence.text]
                    best = int(np.argmax(similarities))
                    similarity, best_source = float(similarities[best]), source_group[best]
                else:
                    similarity, best_source = 0.0, ""
                missing = missing_facts(sentence.text, known, sentence.start)
                semantic = float(1.0 / (1.0 + np.exp(self.sharpness * (similarity - threshold))))
                probability = max(semantic, 0.9 if missing else 0.0)
                report.claims.append(
                    ClaimCheck(sentence, similarity, best_source, missing, supported=probability < 0.5, unsupported_probability=probability)
                )
            reports.append(report)
        return reports
