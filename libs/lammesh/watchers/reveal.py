"""What a text says once its disguises are taken off, for rule watchers that match patterns.

Pure functions. An attacker who wants an address or a key past a pattern writes it so that the
pattern does not see it but a person (or a mail client, or a model) still reads it:

- invisible characters inside it (zero-width space/joiners, word joiner, soft hyphen, BOM, bidi
  marks): `exfil<ZWSP>@evil.io`;
- compatibility forms that NFKC folds to ASCII: full-width `ｅｘｆｉｌ＠ｅｖｉｌ．ｉｏ`, ligatures,
  circled or mathematical letters;
- homoglyphs: Cyrillic or Greek letters that look like Latin ones (`gh<CYRILLIC ER>_...`,
  `<CYRILLIC A>cme.example`), folded with the Unicode confusables table (TR39, from the
  `confusable-homoglyphs` package) to the ASCII character they imitate;
- Unicode tag characters (U+E0020..U+E007E), invisible copies of ASCII;
- base64 or hex runs: `QUtJQUlPU0ZPRE5ON0VYQU1QTEU=`.

`reveal(text)` returns the views worth matching besides the text itself: the folded text (with a
map from its offsets back to the original's) and each decoded run (whose matches point at the
whole run). Views equal to the text are left out, so plain text costs one NFKC check.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

INVISIBLE = frozenset("\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff")
TAG_FIRST, TAG_LAST = 0xE0000, 0xE007F

_BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
_HEX_RUN = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}){8,}(?![0-9A-Fa-f])")


@dataclass(frozen=True)
class View:
    """A readable form of (part of) a text. `origin(start, end)` maps a match in `text` back to
    the original's character offsets."""

    how: str
    """'folded' (NFKC, invisible characters removed, tag characters made visible, homoglyphs
    made Latin) or the
    encoding of a decoded run ('base64', 'hex')."""
    text: str
    offsets: tuple[int, ...] | None = None
    """Per character of `text`, its offset in the original (folded views)."""
    run: tuple[int, int] = (0, 0)
    """The encoded run in the original (decoded views)."""

    def origin(self, start: int, end: int) -> tuple[int, int]:
        if self.offsets is None:
            return self.run
        if start >= len(self.offsets):
            return (self.offsets[-1] + 1, self.offsets[-1] + 1) if self.offsets else (0, 0)
        return self.offsets[start], self.offsets[max(start, end - 1)] + 1


@cache
def ascii_lookalikes() -> dict[str, str]:
    """Non-ASCII character -> the ASCII letter, digit or address character it is confusable
    with (Unicode confusables.txt). Loaded on the first non-ASCII text."""
    from confusable_homoglyphs.confusables import confusables_data

    table: dict[str, str] = {}
    for char, homoglyphs in confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        ascii_forms = [h["c"] for h in homoglyphs if len(h["c"]) == 1 and h["c"].isascii() and (h["c"].isalnum() or h["c"] in "@._-")]
        if ascii_forms:
            table[char] = ascii_forms[0]
    return table


def fold(text: str) -> tuple[str, tuple[int, ...]]:
    """NFKC per character, invisible characters dropped, tag characters turned into the ASCII
    they copy, homoglyphs into the ASCII they imitate; with the original offset of every
    character of the result."""
    out: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        if char in INVISIBLE:
            continue
        code = ord(char)
        if TAG_FIRST <= code <= TAG_LAST:
            folded = chr(code - TAG_FIRST) if 0x20 <= code - TAG_FIRST <= 0x7E else ""
        elif code < 0x80:
            folded = char
        else:
            folded = unicodedata.normalize("NFKC", char)
            if not folded.isascii():
                lookalikes = ascii_lookalikes()
                folded = "".join(lookalikes.get(c, c) for c in folded)
        out.append(folded)
        offsets.extend([index] * len(folded))
    return "".join(out), tuple(offsets)


def _printable(decoded: str) -> bool:
    return len(decoded) >= 8 and sum(ch.isprintable() for ch in decoded) / len(decoded) > 0.95


def decoded_runs(text: str) -> list[View]:
    """Base64 (standard or URL-safe) and hex runs that decode to printable UTF-8 text, with or
    without spaces: an encoded key id is as much a secret as an encoded sentence."""
    views = []
    for match in _BASE64_RUN.finditer(text):
        run = match.group(0)
        if run.isdigit() or run.isalpha() and (run.islower() or run.isupper()):
            continue  # a long number or a plain word is not base64 worth decoding
        try:
            raw = base64.b64decode(run.replace("-", "+").replace("_", "/") + "=" * (-len(run) % 4), validate=True)
            decoded = raw.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if _printable(decoded):
            views.append(View("base64", decoded, run=match.span()))
    for match in _HEX_RUN.finditer(text):
        try:
            decoded = bytes.fromhex(match.group(0)).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
        if _printable(decoded):
            views.append(View("hex", decoded, run=match.span()))
    return views


def reveal(text: str) -> list[View]:
    """The views of `text` other than itself: folded (when folding changes anything) and every
    decoded run of the folded text."""
    if text.isascii():  # nothing to fold (the common case, checked at C speed)
        return decoded_runs(text)
    folded, offsets = fold(text)
    views: list[View] = []
    if folded != text:
        views.append(View("folded", folded, offsets))
    for view in decoded_runs(folded):
        start, end = view.run
        views.append(View(view.how, view.text, run=(offsets[start], offsets[end - 1] + 1)))
    return views
