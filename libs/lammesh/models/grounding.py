"""Grounding: every sentence of an output must be supported by the step's sources.

A sentence (a claim) is supported when
  - some source sentence says much the same thing (cosine similarity of sentence embeddings at or
    above a threshold), and
  - every number, date, name, phone number and email address in it also appears in the sources
    (normalised: "$48,500" = "48.5k" = "48 500", "thirty-five" = "35", "14 October" = "October
    14th" = "14/10", "13. Oktober" = "13.10.").
A sentence's first word is never taken for a name ("Let", "Below"); in German text, where every
noun is capitalised, only runs of two or more capitalised words are. A missing fact makes a claim
unsupported; low similarity alone only weighs `semantic_weight` (see SEMANTIC_WEIGHT).
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
    r"looking forward|let me know|please let me know|hope (you|this|all)|have a (great|good|nice)|talk soon|see you|"
    r"good (morning|afternoon|evening)|all the best|warm regards|with best wishes|"
    r"hallo|guten (tag|morgen)|vielen dank|mit freundlichen gr|viele gr|beste gr|bonjour|merci|cordialement|bien à vous|"
    r"hola|buenos días|gracias|saludos|un saludo|atentamente)\b",
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
_UNITS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
        "eighteen nineteen".split()
    )
}
_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i >= 2}
_SCALE = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mm": 1e6,
    "million": 1e6,
    "millionen": 1e6,
    "millones": 1e6,
    "millions": 1e6,
    "mio": 1e6,
    "bn": 1e9,
    "b": 1e9,
    "billion": 1e9,
}
_SCALES = "|".join(sorted(_SCALE, key=len, reverse=True))
# 12,500 / 12.500 / 12 500 (thousands groups of exactly three digits), then an optional decimal part
# with either separator ("4,5 millones"), a unit or scale; currency before or after.
_NUMBER = re.compile(
    r"(?<![\w.,])([$€£]\s?)?(\d{1,3}(?:(?:,|\.|[ \u00a0\u202f](?=\d{3}\b))\d{3})+(?![\d])|\d+)([.,]\d+)?"
    rf"\s?(%|percent\b|prozent\b|por ciento\b|(?:{_SCALES})\b)?",
    re.IGNORECASE,
)
# "thirty-five", "one hundred and forty", "six hundred", "twenty three"
_WORD_NUMBER = re.compile(
    r"\b(?:(?:" + "|".join(_TENS) + r")(?:[-\s](?:" + "|".join(list(_UNITS)[1:10]) + r"))?|" + "|".join(_UNITS) + r")"
    r"(?:\s+hundred(?:\s+(?:and\s+)?(?:(?:"
    + "|".join(_TENS)
    + r")(?:[-\s](?:"
    + "|".join(list(_UNITS)[1:10])
    + r"))?|"
    + "|".join(_UNITS)
    + r"))?)?(?:\s+(?:thousand|million))?\b",
    re.IGNORECASE,
)
_MONTHS = "january february march april may june july august september october november december".split()
_MONTH_ABBR = {m[:3]: m for m in _MONTHS}
_FOREIGN_MONTHS = {
    # German, French, Spanish, Dutch, Portuguese, Italian month names -> English
    **dict(zip("januar februar märz april mai juni juli august september oktober november dezember".split(), _MONTHS)),
    **dict(
        zip("janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(), _MONTHS)
    ),
    **dict(
        zip("enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split(), _MONTHS)
    ),
    **dict(
        zip("januari februari maart april mei juni juli augustus september oktober november december".split(), _MONTHS)
    ),
    **dict(
        zip("janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro".split(), _MONTHS)
    ),
    **dict(
        zip(
            "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre".split(),
            _MONTHS,
        )
    ),
}
_MONTH_WORDS = {**{m: m for m in _MONTHS}, **_MONTH_ABBR, **_FOREIGN_MONTHS}
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_MONTH_RE = "|".join(sorted(_MONTH_WORDS, key=len, reverse=True))
_DATE = re.compile(
    r"(?<![\w.])(\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}(?:/(?:\d{4}|\d{2}))?(?![\d/])|\d{1,2}\.\d{1,2}\.(?:\d{4}|\d{2})?(?!\d)|q[1-4]|"
    r"(?:" + _MONTH_RE + r")(?:\.(?=\s+\d))?(?:\s+\d{1,2}(?:st|nd|rd|th)?\b)?|"
    r"\d{1,2}(?:st|nd|rd|th|er|\.|º)?\s+(?:of\s+|de\s+)?(?:" + _MONTH_RE + r")|" + "|".join(_WEEKDAYS) + r")(?!\w)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A phone number is one fact (its digits), not three numbers: "+1 (303) 555-0144", "0131 496 0872".
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{1,5}(?:[\s.-]\d{2,5}){1,4}(?:\s?(?:ext\.?|x)\s?\d{1,5})?(?![\w])"
)
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_NOT_NAMES = {
    "i",
    "we",
    "you",
    "they",
    "he",
    "she",
    "it",
    "the",
    "a",
    "an",
    "our",
    "their",
    "your",
    "my",
    "this",
    "that",
    "these",
    "those",
    "as",
    "and",
    "but",
    "so",
    "if",
    "also",
    "next",
    "action",
    "items",
    "item",
    "decisions",
    "summary",
    "notes",
    "please",
    "thanks",
    "hi",
    "hello",
    "dear",
    "best",
    "regards",
    "meeting",
    "follow",
    "re",
    "fw",
    "fwd",
    "ok",
    "crm",
    "ceo",
    "cfo",
    "cto",
    "vp",
    "api",
    "sso",
    "q1",
    "q2",
    "q3",
    "q4",
    "eu",
    "us",
    "uk",
    "pm",
    "am",
    "attendees",
    "eur",
    "usd",
    "gbp",
    "chf",
    "jpy",
    "aud",
    "cad",
    "dr",
    "prof",
    "mr",
    "mrs",
    "ms",
    # greetings and pronouns of the other languages the mesh sees
    "hallo",
    "guten",
    "tag",
    "morgen",
    "frau",
    "herr",
    "sie",
    "ihr",
    "ihre",
    "ihnen",
    "wir",
    "bonjour",
    "madame",
    "monsieur",
    "vous",
    "nous",
    "hola",
    "buenos",
    "días",
    "señor",
    "señora",
    "usted",
    "ustedes",
    *_MONTH_WORDS,
    *_WEEKDAYS,
}


def _looks_german(text: str) -> bool:
    """German capitalises every noun, so capitalisation says nothing about names there."""
    words = re.findall(r"\w+", text.lower())
    hits = sum(
        w
        in {
            "der",
            "die",
            "das",
            "und",
            "ist",
            "nicht",
            "wir",
            "sie",
            "ihr",
            "ihnen",
            "mit",
            "für",
            "auf",
            "bei",
            "zum",
            "zur",
            "den",
            "dem",
            "des",
            "ein",
            "eine",
            "einen",
            "über",
            "bis",
        }
        for w in words
    )
    return hits >= 2 or (bool(words) and hits / len(words) > 0.15)


@dataclass(frozen=True)
class Fact:
    kind: str  # number | date | name | email
    value: str  # normalised
    text: str  # as written
    start: int
    end: int


def _number_value(match: re.Match[str]) -> str:
    digits, decimals, unit = match.group(2), match.group(3) or "", (match.group(4) or "").lower()
    value = float(re.sub(r"[,. \u00a0\u202f]", "", digits) + decimals.replace(",", "."))
    if unit in _SCALE:
        value *= _SCALE[unit]
    percent = unit in ("%", "percent", "prozent", "por ciento")
    return f"{value:g}{'%' if percent else ''}"


def _word_number_value(text: str) -> float:
    total, current = 0.0, 0.0
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current *= 100
        elif word in ("thousand", "million"):
            total += current * _SCALE[word]
            current = 0.0
    return total + current


def _normalise_date(text: str) -> str:
    numeric = re.fullmatch(r"(\d{1,2})[./](\d{1,2})(?:[./](\d{2,4}))?", text)
    if numeric:
        day, month = int(numeric.group(1)), int(numeric.group(2))
        if 1 <= month <= 12 and 1 <= day <= 31:
            return f"{day} {_MONTHS[month - 1]}"
        return text
    iso = re.fullmatch(r"\d{4}-(\d{2})-(\d{2})", text)
    if iso and 1 <= int(iso.group(1)) <= 12:
        return f"{int(iso.group(2))} {_MONTHS[int(iso.group(1)) - 1]}"
    out = []
    for word in re.findall(r"q[1-4]|[^\W\d_]+|\d+", text.lower()):
        if word in ("st", "nd", "rd", "th", "of", "de", "er", "º"):
            continue
        out.append(str(int(word)) if word.isdigit() else _MONTH_WORDS.get(word, word))
    return " ".join(sorted(out))


def _names(text: str, taken) -> list[tuple[str, int, int]]:
    """Runs of capitalised words (Unicode letters), with a sentence-initial or common first word
    dropped: "Let", "Below", "Ihr Budget" are not names; "Priya Natarajan" is."""
    german = _looks_german(text)
    runs: list[list[re.Match[str]]] = []
    for match in _WORD.finditer(text):
        word = match.group(0)
        if not word[0].isupper() or not taken(*match.span()):
            continue
        if runs and text[runs[-1][-1].end() : match.start()] == " ":
            runs[-1].append(match)
        else:
            runs.append([match])
    out = []
    for run in runs:
        start = run[0].start()
        before = text[:start].rstrip(" \t\"'(“‘«¡¿-–—*•")
        if not before or before[-1] in ".!?:;\n" or text[:start].endswith("\n"):
            run = run[1:]  # a sentence's first word is capitalised whatever it is
        run = [m for m in run if m.group(0).lower().strip("'’") not in _NOT_NAMES]
        if german:
            # only multi-word runs (a first and a last name) are taken for names in German text
            if len(run) < 2:
                continue
        if run:
            out.append((" ".join(m.group(0) for m in run), run[0].start(), run[-1].end()))
    return out


def extract_facts(text: str) -> list[Fact]:
    facts: list[Fact] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    for match in _EMAIL.finditer(text):
        facts.append(Fact("email", match.group(0).lower(), match.group(0), match.start(), match.end()))
        taken.append(match.span())
    for match in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if free(*match.span()) and len(digits) >= 7 and not _DATE.fullmatch(match.group(0)):
            facts.append(Fact("phone", digits, match.group(0), match.start(), match.end()))
            taken.append(match.span())
    for match in _DATE.finditer(text):
        if free(*match.span()):
            facts.append(Fact("date", _normalise_date(match.group(0)), match.group(0), match.start(), match.end()))
            taken.append(match.span())
    for match in _NUMBER.finditer(text):
        if free(*match.span()) and match.group(0).strip():
            facts.append(Fact("number", _number_value(match), match.group(0).strip(), match.start(), match.end()))
            taken.append(match.span())
    for match in _WORD_NUMBER.finditer(text):
        # "one" alone is as often a pronoun or an article ("one of", "one month") as a number
        if free(*match.span()) and match.group(0).lower() != "one":
            facts.append(
                Fact("number", f"{_word_number_value(match.group(0)):g}", match.group(0), match.start(), match.end())
            )
            taken.append(match.span())
    for name, start, end in _names(text, free):
        facts.append(Fact("name", " ".join(w.lower() for w in name.split()), name, start, end))
    return facts


def _source_facts(sources: str) -> dict[str, set[str]]:
    known: dict[str, set[str]] = {"number": set(), "date": set(), "name": set(), "email": set(), "phone": set()}
    for fact in extract_facts(sources):
        known[fact.kind].add(fact.value)
    # Names are also accepted when the words appear anywhere in the sources (any casing, any spot).
    words = [w for w in re.findall(r"[\w'’-]+", sources.lower()) if w.strip("-")]  # "--" is no word
    words += [part for w in words if "-" in w for part in w.split("-") if part]
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
        elif fact.kind == "phone":
            # a sentence break inside "ext. 42" leaves the number without its extension
            present = any(fact.value in known_phone for known_phone in known["phone"])
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


# Sentence similarity alone does not tell an unsupported claim from a pleasantry or a paraphrase
# ("Here is where we landed." scores 0.2 against every meeting): measured on the frozen set
# (evaluation/frozen/grounding/), a claim whose every fact is in the sources but which resembles no
# source sentence scores at most this much, below the 0.5 thresholds the workflows ship, so it is
# only surfaced where a workflow asks for review at or below it.
SEMANTIC_WEIGHT = 0.45


class GroundingChecker:
    def __init__(
        self,
        encoder: SentenceEncoder,
        *,
        similarity_threshold: float = 0.45,
        sharpness: float = 12.0,
        semantic_weight: float = SEMANTIC_WEIGHT,
        source_cache_size: int = 4096,
    ) -> None:
        self.encoder = encoder
        self.similarity_threshold = similarity_threshold
        self.sharpness = sharpness
        self.semantic_weight = semantic_weight
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
        source_sentences = [
            [s.text for s in split_sentences(sources) if len(s.text.split()) >= 2] for _, sources in items
        ]
        vectors = self._embed(
            [c.text for group in claims for c in group], [s for group in source_sentences for s in group]
        )
        known_by_sources: dict[str, dict[str, set[str]]] = {}
        reports = []
        for (_, sources), group, source_group, threshold in zip(
            items, claims, source_sentences, thresholds, strict=True
        ):
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
                probability = max(semantic * self.semantic_weight, 0.9 if missing else 0.0)
                report.claims.append(
                    ClaimCheck(
                        sentence,
                        similarity,
                        best_source,
                        missing,
                        supported=probability < 0.5,
                        unsupported_probability=probability,
                    )
                )
            reports.append(report)
        return reports
