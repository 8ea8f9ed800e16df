"""Ways attackers hide text (pure functions), for the corpus generator and the tests. The one
decoder of hidden text is lammesh.watchers.reveal."""

from __future__ import annotations

import base64
import codecs

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


def to_base32(text: str) -> str:
    return base64.b32encode(text.encode()).decode()


def to_ascii85(text: str) -> str:
    return "<~" + base64.a85encode(text.encode()).decode() + "~>"


def to_atbash(text: str) -> str:
    return "".join(
        chr(ord("z") - (ord(c) - ord("a")))
        if "a" <= c <= "z"
        else chr(ord("Z") - (ord(c) - ord("A")))
        if "A" <= c <= "Z"
        else c
        for c in text
    )


_MORSE_OF = {
    "a": ".-",
    "b": "-...",
    "c": "-.-.",
    "d": "-..",
    "e": ".",
    "f": "..-.",
    "g": "--.",
    "h": "....",
    "i": "..",
    "j": ".---",
    "k": "-.-",
    "l": ".-..",
    "m": "--",
    "n": "-.",
    "o": "---",
    "p": ".--.",
    "q": "--.-",
    "r": ".-.",
    "s": "...",
    "t": "-",
    "u": "..-",
    "v": "...-",
    "w": ".--",
    "x": "-..-",
    "y": "-.--",
    "z": "--..",
}


def to_morse(text: str) -> str:
    return " / ".join(" ".join(_MORSE_OF[c] for c in word if c in _MORSE_OF) for word in text.lower().split())


def to_leetspeak(text: str) -> str:
    return text.translate(str.maketrans({"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}))
