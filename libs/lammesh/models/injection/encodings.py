"""Ways attackers hide text, and the matching decoders (pure functions, used by both the corpus
generator and the heuristics)."""

from __future__ import annotations

import base64
import binascii
import codecs
import re

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
TAG_BASE = 0xE0000  # Unicode "tag" block: invisible copies of ASCII (U+E0020..U+E007E)


def to_base64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def to_hex(text: str) -> str:
    return text.encode().hex()


def to_rot13(text: str) -> str:
    return codecs.encode(text, "rot13")


def to_unicode_tags(text: str) -> str:
    return "".join(chr(TAG_BASE + ord(c)) for c in text if 0x20 <= ord(c) <= 0x7E)


def interleave_zero_width(text: str, every: int = 1) -> str:
    out = []
    for index, char in enumerate(text):
        out.append(char)
        if char != " " and index % every == 0:
            out.append(ZERO_WIDTH[index % len(ZERO_WIDTH)])
    return "".join(out)


_BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")
_HEX_RUN = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}){8,}(?![0-9A-Fa-f])")
_TAGS = re.compile("[\U000e0000-\U000e007f]+")


def _mostly_text(decoded: str) -> bool:
    if len(decoded) < 6:
        return False
    printable = sum(ch.isprintable() for ch in decoded)
    letters = sum(ch.isalpha() or ch == " " for ch in decoded)
    return printable / len(decoded) > 0.95 and letters / len(decoded) > 0.7 and " " in decoded


def decode_base64_runs(text: str) -> list[tuple[int, int, str]]:
    """(start, end, decoded) of every base64 run that decodes to readable words."""
    found = []
    for match in _BASE64_RUN.finditer(text):
        chunk = match.group(0)
        try:
            decoded = base64.b64decode(chunk + "=" * (-len(chunk) % 4), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if _mostly_text(decoded):
            found.append((match.start(), match.end(), decoded))
    return found


def decode_hex_runs(text: str) -> list[tuple[int, int, str]]:
    found = []
    for match in _HEX_RUN.finditer(text):
        try:
            decoded = bytes.fromhex(match.group(0)).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
        if _mostly_text(decoded):
            found.append((match.start(), match.end(), decoded))
    return found


def decode_unicode_tags(text: str) -> list[tuple[int, int, str]]:
    return [
        (m.start(), m.end(), "".join(chr(ord(c) - TAG_BASE) for c in m.group(0)))
        for m in _TAGS.finditer(text)
    ]


def zero_width_positions(text: str) -> list[int]:
    return [index for index, char in enumerate(text) if char in ZERO_WIDTH]


def strip_invisible(text: str) -> str:
    return _TAGS.sub("", "".join(c for c in text if c not in ZERO_WIDTH))
