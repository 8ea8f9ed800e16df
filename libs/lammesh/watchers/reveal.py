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
- base64, base32, ascii85 or hex runs: `QUtJQUlPU0ZPRE5ON0VYQU1QTEU=`;
- with `layout=True` (the pii watcher), the layouts that keep a value readable but break its
  pattern: characters spaced or dotted apart (`4 1 4 9 ...`, `A.K.I.A...`, `ghp_ a1B2 c3D4 ...`), a value split across
  lines, split into the pieces of a JSON array (`["4149", "2717", ...]`), written with JSON/Python
  escapes (`\u0073\u006b...`), or its digits spelled out in words (`four one four nine ...`,
  `vier eins ...`, `quatre un ...`, `cuatro uno ...`);
- and, for watchers that read what a text *says* (`ciphers=True`, the injection watcher): lines
  written in rot13, Atbash, leetspeak or Morse code, kept only where the decoded line reads as
  English and the line itself does not (`english_share`), so ordinary text costs a word count.

`reveal(text)` returns the views worth matching besides the text itself: the folded text (with a
map from its offsets back to the original's) and each decoded run (whose matches point at the
whole run). Views equal to the text are left out, so plain text costs one NFKC check. This is the
one decoder of hidden text in the mesh: the pii and injection watchers both read its views.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

INVISIBLE = frozenset(
    "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)
TAG_FIRST, TAG_LAST = 0xE0000, 0xE007F

_BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
_BASE32_RUN = re.compile(r"(?<![A-Za-z0-9=])[A-Z2-7]{16,}={0,6}(?![A-Za-z0-9=])")
_ASCII85_RUN = re.compile(r"<~(.{10,}?)~>", re.DOTALL)
_HEX_RUN = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}){8,}(?![0-9A-Fa-f])")


@dataclass(frozen=True)
class View:
    """A readable form of (part of) a text. `origin(start, end)` maps a match in `text` back to
    the original's character offsets."""

    how: str
    """'folded' (NFKC, invisible characters removed, tag characters made visible, homoglyphs
    made Latin), 'rejoined' (line breaks inside a value removed), 'unescaped' (escape sequences
    decoded), the encoding of a decoded run ('base64', 'hex', ...), or the layout of a run
    put back together ('spaced', 'pieces', 'spelled', 'lettered': letters for digits)."""
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
        ascii_forms = [
            h["c"]
            for h in homoglyphs
            if len(h["c"]) == 1 and h["c"].isascii() and (h["c"].isalnum() or h["c"] in "@._-")
        ]
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


def _decode_base64(run: str) -> bytes:
    if run.isdigit() or run.isalpha() and (run.islower() or run.isupper()):
        raise ValueError("a long number or a plain word is not base64 worth decoding")
    return base64.b64decode(run.replace("-", "+").replace("_", "/") + "=" * (-len(run) % 4), validate=True)


def _decode_base32(run: str) -> bytes:
    return base64.b32decode(run + "=" * (-len(run) % 8))


_RUNS: tuple[tuple[str, re.Pattern[str], Callable[[str], bytes]], ...] = (
    ("base64", _BASE64_RUN, _decode_base64),
    ("base32", _BASE32_RUN, _decode_base32),
    ("ascii85", _ASCII85_RUN, lambda run: base64.a85decode(run, adobe=False, ignorechars=" \t\r\n")),
    ("hex", _HEX_RUN, bytes.fromhex),
)


def decoded_runs(text: str) -> list[View]:
    """Base64 (standard or URL-safe), base32, ascii85 (`<~...~>`) and hex runs that decode to
    printable UTF-8 text, with or without spaces: an encoded key id is as much a secret as an
    encoded sentence."""
    views = []
    for how, pattern, decode in _RUNS:
        for match in pattern.finditer(text):
            run = match.group(match.lastindex or 0)
            try:
                decoded = decode(run).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                continue
            if _printable(decoded):
                views.append(View(how, decoded, run=match.span()))
    return views


# ----------------------------------------------------------------------------------------------
# Ciphers a person (or a model) reads back easily: rot13, Atbash, leetspeak, Morse code.
# Words of ordinary English and of the things attackers ask for: a decoded line "reads as
# English" when enough of its words are here.
_ENGLISH = frozenset(
    """a about above after again all also am an and any are as ask at be been before being below
    but by can could data delete did do does doing don't each email every file for forget from
    get give has have he her here him his how i if ignore in instructions into is it its just key
    keys let me more most my new no not now of off on only or other our out over password
    passwords previous print prompt reply reveal rules say secret secrets send she should show so
    some such system tell than that the their them then there these they this those to too under
    until up us user very want was we were what when where which while who why will with would
    you your above admin answer assistant above before forward instead mail message output
    password please respond return safe stop text told word words write""".split()
)
_WORD = re.compile(r"[A-Za-z']{2,}")
_ROT13 = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "NOPQRSTUVWXYZABCDEFGHIJKLMnopqrstuvwxyzabcdefghijklm"
)
_ATBASH = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkjihgfedcba"
)
_LEET = str.maketrans(
    {
        "4": "a",
        "@": "a",
        "3": "e",
        "1": "i",
        "!": "i",
        "0": "o",
        "5": "s",
        "$": "s",
        "7": "t",
        "+": "t",
        "8": "b",
        "9": "g",
        "|": "l",
    }
)
_LEET_WORD = re.compile(r"\S*[A-Za-z]\S*")
MORSE = {
    ".-": "a",
    "-...": "b",
    "-.-.": "c",
    "-..": "d",
    ".": "e",
    "..-.": "f",
    "--.": "g",
    "....": "h",
    "..": "i",
    ".---": "j",
    "-.-": "k",
    ".-..": "l",
    "--": "m",
    "-.": "n",
    "---": "o",
    ".--.": "p",
    "--.-": "q",
    ".-.": "r",
    "...": "s",
    "-": "t",
    "..-": "u",
    "...-": "v",
    ".--": "w",
    "-..-": "x",
    "-.--": "y",
    "--..": "z",
    "-----": "0",
    ".----": "1",
    "..---": "2",
    "...--": "3",
    "....-": "4",
    ".....": "5",
    "-....": "6",
    "--...": "7",
    "---..": "8",
    "----.": "9",
    ".-.-.-": ".",
    "--..--": ",",
    "..--..": "?",
    ".--.-.": "@",
}
_MORSE_RUN = re.compile(r"(?:[.\-\u2022\u2013\u2014_]{1,7}[ /|]+){4,}[.\-\u2022\u2013\u2014_]{1,7}")
_LINE = re.compile(r"[^\n]+")
MIN_ENGLISH_SHARE = 0.4
MIN_ENGLISH_GAIN = 0.25


def english_share(text: str) -> float:
    """Share of the words of `text` that are common English (0 when it has fewer than 3 words)."""
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < 3:
        return 0.0
    return sum(w in _ENGLISH for w in words) / len(words)


def _deleet(line: str) -> str:
    return _LEET_WORD.sub(
        lambda m: m.group(0).translate(_LEET) if any(c.isalpha() for c in m.group(0)) else m.group(0), line
    )


def decode_morse(code: str) -> str:
    words = re.split(
        r"\s*[/|]\s*|\s{3,}",
        code.replace("\u2022", ".").replace("\u2013", "-").replace("\u2014", "-").replace("_", "-").strip(),
    )
    return " ".join("".join(MORSE.get(letter, "?") for letter in word.split()) for word in words if word.strip())


def cipher_views(text: str) -> list[View]:
    """Lines (and Morse runs) of `text` that read as English once deciphered, and did not before."""
    views: list[View] = []
    for match in _MORSE_RUN.finditer(text):
        decoded = decode_morse(match.group(0))
        if decoded.count("?") <= len(decoded) // 10 and english_share(decoded) >= MIN_ENGLISH_SHARE:
            views.append(View("morse", decoded, run=match.span()))
    for match in _LINE.finditer(text):
        line = match.group(0)
        plain = english_share(line)
        if plain >= 1 - MIN_ENGLISH_GAIN:
            continue
        for how, decoded in (
            ("rot13", line.translate(_ROT13)),
            ("atbash", line.translate(_ATBASH)),
            ("leetspeak", _deleet(line)),
        ):
            if decoded != line and english_share(decoded) >= max(MIN_ENGLISH_SHARE, plain + MIN_ENGLISH_GAIN):
                views.append(View(how, decoded, run=match.span()))
                break
    return views


# ----------------------------------------------------------------------------------------------
# Layouts that keep a value readable to a person and break the pattern that would find it.
_VALUE_CHAR = r"[A-Za-z0-9_+/=-]"
# one character at a time, always the same separator: "4 1 4 9 ...", "A.K.I.A...", "s k _ l i v e"
_SPACED_RUN = re.compile(
    rf"(?<![\w.]){_VALUE_CHAR}( {{1,2}}|\.|\u00b7| \. )(?:{_VALUE_CHAR}\1){{10,}}{_VALUE_CHAR}(?![\w.])"
)
# a line break inside a value (`ghp_8Wd...` wrapped at the margin, or split to get past a filter):
# on both sides a run of value characters that is not a word ("Northwind\n+1 555 ..." stays apart)
_LINE_BREAK = re.compile(rf"(?<={_VALUE_CHAR}{{6}})[ \t]*\r?\n[ \t>]*(?={_VALUE_CHAR}{{4}})")
_VALUE_BEFORE = re.compile(rf"{_VALUE_CHAR}+$")
_VALUE_AFTER = re.compile(rf"^{_VALUE_CHAR}+")


def _value_like(run: str) -> bool:
    """A piece of a key or number, not a word: it has a digit, a `_+/=` or inner capitals."""
    return len(run) >= 6 and (
        any(c.isdigit() or c in "_+/=" for c in run)
        or (any(c.isupper() for c in run[1:]) and any(c.islower() for c in run))
    )


def _inside_a_value(text: str, match: re.Match[str]) -> bool:
    before = _VALUE_BEFORE.search(text, max(0, match.start() - 200), match.start())
    after = _VALUE_AFTER.match(text[match.end() : match.end() + 200])
    return bool(before and after) and _value_like(before.group()) and _value_like(after.group())


# a key printed in groups ("ghp_ a1B2 c3D4 ..." or "sk-p.roj4.fT9x..."): three or more groups of 3-8
# value characters, one separator throughout, letters and digits mixed within a group
_GROUPED_RUN = re.compile(
    rf"(?<![\w.]){_VALUE_CHAR}{{3,8}}( |\.)(?:{_VALUE_CHAR}{{3,8}}\1){{2,}}{_VALUE_CHAR}{{1,8}}(?![\w.])"
)


def _piece_like(group: str) -> bool:
    """A group of a key, not a word: a digit, a `_+/=-`, or capitals inside it."""
    return any(c.isdigit() or c in "_+/=-" for c in group) or (
        any(c.isupper() for c in group[1:]) and any(c.islower() for c in group)
    )


def _grouped_values(text: str) -> list[View]:
    """Runs of three or more key-like groups with one separator, at least 20 characters together
    and letters and digits mixed, put back together; words around them stay out."""
    views = []
    for match in _GROUPED_RUN.finditer(text):
        separator = match.group(1)
        position = match.start()
        run: list[tuple[int, str]] = []
        for group in [*match.group().split(separator), None]:
            # (a group of letters only counts inside a run of groups of its size: a key printed in
            # fixed-size groups, "ghp_XwpB PzOp ... sbwe Nj1B", decision 0661)
            if group is not None and (
                _piece_like(group) or (len(run) >= 2 and group.isalnum() and len(group) == len(run[-1][1]) >= 4)
            ):
                run.append((position, group))
            else:
                joined = "".join(g for _, g in run)
                if (
                    len(run) >= 3
                    and len(joined) >= 20
                    and any(c.isdigit() for c in joined)
                    and any(c.isalpha() for c in joined)
                ):
                    views.append(View("spaced", joined, run=(run[0][0], run[-1][0] + len(run[-1][1]))))
                run = []
            if group is not None:
                position += len(group) + len(separator)
    return views


_PIECES = re.compile(r"\[\s*(?:[\"'][A-Za-z0-9_+/=-]{1,12}[\"']\s*,\s*){2,}[\"'][A-Za-z0-9_+/=-]{1,12}[\"']\s*\]")
# `\uXXXX`, `\xXX`, and (decision 0661) HTML character references `&#52;`/`&#x34;` and URL
# percent-escapes `%34` of printable ASCII
_ESCAPE = re.compile(
    r"\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})|&#([0-9]{2,3});|&#[xX]([0-9a-fA-F]{2});|%([2-7][0-9a-fA-F])"
)
DIGIT_WORDS: dict[str, str] = {
    word: str(digit)
    for words in (
        "zero one two three four five six seven eight nine",  # en
        "null eins zwei drei vier fünf sechs sieben acht neun",  # de
        "zéro un deux trois quatre cinq six sept huit neuf",  # fr
        "cero uno dos tres cuatro cinco seis siete ocho nueve",  # es
        "nul een twee drie vier vijf zes zeven acht negen",  # nl
        "zero um dois três quatro cinco seis sete oito nove",  # pt
    )
    for digit, word in enumerate(words.split())
} | {"oh": "0", "zero": "0", "une": "1", "una": "1", "uma": "1", "één": "1"}
_DIGIT_WORD = "|".join(sorted(map(re.escape, DIGIT_WORDS), key=len, reverse=True))
_SPELLED_RUN = re.compile(rf"(?<!\w)(?:{_DIGIT_WORD})(?:[\s,;/-]+(?:{_DIGIT_WORD})){{11,}}(?!\w)", re.IGNORECASE)
_SPELLED_WORD = re.compile(rf"(?<!\w)(?:{_DIGIT_WORD})(?!\w)", re.IGNORECASE)
# digits and digit words mixed ("5199 zero two zero five 4739 4401"): at least one of each, 12-19
# digits in all (decision 0661)
_MIXED_RUN = re.compile(
    rf"(?<![\w.,])(?:{_DIGIT_WORD}|\d{{1,4}})(?:[\s,;/-]+(?:{_DIGIT_WORD}|\d{{1,4}})){{3,}}(?![\w.])", re.IGNORECASE
)
_MIXED_TOKEN = re.compile(rf"(?<!\w)(?:{_DIGIT_WORD}|\d{{1,4}})(?!\w)", re.IGNORECASE)
# a card's groups with letters for digits ("5lO5 5974 l7l7 743l"): O/o for 0, l/I for 1; every
# group has a digit, most characters are digits (decision 0661)
_LETTER_DIGITS = str.maketrans("OolI", "0011")
_DIGITISH_RUN = re.compile(
    r"(?<![\w.-])[0-9OolI]{4}(?:([ .-])[0-9OolI]{4})(?:\1[0-9OolI]{4}){1,2}(?:\1[0-9OolI]{1,4})?(?![\w.-])"
)


# one digit at a time with one to three spaces or a comma between ("4 5 3 9  1 4 8 8 ...",
# "4, 5, 3, 9, ..."), 12-19 digits (decision 0661)
_DIGIT_BY_DIGIT = re.compile(r"(?<![\w.,])\d(?:(?:[ ]{1,3}|,[ ]?)\d){11,18}(?![\w.,]\d|\w)")


def _mixed_views(text: str) -> list[View]:
    views = []
    for match in _DIGIT_BY_DIGIT.finditer(text):
        if "," in match.group() or "  " in match.group():  # one space throughout is _SPACED_RUN's
            views.append(View("spaced", "".join(c for c in match.group() if c.isdigit()), run=match.span()))
    for match in _MIXED_RUN.finditer(text):
        tokens = _MIXED_TOKEN.findall(match.group())
        words = sum(not token.isdigit() for token in tokens)
        digits = "".join(token if token.isdigit() else DIGIT_WORDS[token.lower()] for token in tokens)
        if 0 < words < len(tokens) and 12 <= len(digits) <= 19:
            views.append(View("spelled", digits, run=match.span()))
    for match in _DIGITISH_RUN.finditer(text):
        run = match.group()
        groups = run.split(match.group(1))
        letters = sum(char in "OolI" for char in run)
        if letters and all(any(c.isdigit() for c in g) for g in groups) and letters * 3 <= len(groups) * 4:
            views.append(View("lettered", "".join(groups).translate(_LETTER_DIGITS), run=match.span()))
    return views


def _joined(text: str, pattern: re.Pattern[str], how: str, keep: Callable[[str, re.Match[str]], bool]) -> View | None:
    """`text` with every match of `pattern` that `keep` accepts removed, offsets mapped back;
    None when nothing was removed."""
    out: list[str] = []
    offsets: list[int] = []
    position = 0
    for match in pattern.finditer(text):
        if not keep(text, match):
            continue
        out.append(text[position : match.start()])
        offsets.extend(range(position, match.start()))
        position = match.end()
    if position == 0:
        return None
    out.append(text[position:])
    offsets.extend(range(position, len(text)))
    return View(how, "".join(out), tuple(offsets))


def _unescaped(text: str) -> View | None:
    if "\\" not in text and "&#" not in text and "%" not in text:
        return None
    out: list[str] = []
    offsets: list[int] = []
    position = 0
    for match in _ESCAPE.finditer(text):
        out.append(text[position : match.start()])
        offsets.extend(range(position, match.start()))
        decimal, hexadecimal = match.group(3), match.group(1) or match.group(2) or match.group(4) or match.group(5)
        out.append(chr(int(decimal)) if decimal else chr(int(hexadecimal, 16)))
        offsets.append(match.start())
        position = match.end()
    if position == 0:
        return None
    out.append(text[position:])
    offsets.extend(range(position, len(text)))
    return View("unescaped", "".join(out), tuple(offsets))


def layout_views(text: str) -> list[View]:
    """The views of `text` with its layout disguises undone: the whole text with line breaks
    inside values removed ('rejoined') and escapes decoded ('unescaped'), and each spaced-out,
    split-into-pieces or spelled-out run put back together ('spaced', 'pieces', 'spelled';
    their matches point at the whole run). A whole-text view's decoded runs come with it (a
    base64 blob wrapped over lines)."""
    views: list[View] = []
    for view in (_joined(text, _LINE_BREAK, "rejoined", _inside_a_value), _unescaped(text)):
        if view is not None:
            views.append(view)
            views += [View(v.how, v.text, run=view.origin(*v.run)) for v in decoded_runs(view.text)]
    for match in _SPACED_RUN.finditer(text):
        views.append(View("spaced", match.group().replace(match.group(1), ""), run=match.span()))
    views += _grouped_values(text)
    for match in _PIECES.finditer(text):
        views.append(View("pieces", "".join(re.findall(r"[\"']([^\"']*)[\"']", match.group())), run=match.span()))
    for match in _SPELLED_RUN.finditer(text):
        digits = "".join(DIGIT_WORDS[w.lower()] for w in _SPELLED_WORD.findall(match.group()))
        views.append(View("spelled", digits, run=match.span()))
    return views + _mixed_views(text)


def reveal(text: str, *, ciphers: bool = False, layout: bool = False) -> list[View]:
    """The views of `text` other than itself: folded (when folding changes anything) and every
    decoded run of the folded text; with `ciphers`, also its deciphered lines; with `layout`,
    also its layout views (layout_views)."""

    def decode(t: str) -> list[View]:
        return decoded_runs(t) + (cipher_views(t) if ciphers else []) + (layout_views(t) if layout else [])

    if text.isascii():  # nothing to fold (the common case, checked at C speed)
        return decode(text)
    folded, offsets = fold(text)
    views: list[View] = []
    if folded != text:
        views.append(View("folded", folded, offsets))
    for view in decode(folded):
        if view.offsets is not None:
            views.append(View(view.how, view.text, tuple(offsets[i] for i in view.offsets)))
        else:
            start, end = view.run
            views.append(View(view.how, view.text, run=(offsets[start], offsets[end - 1] + 1)))
    return views
