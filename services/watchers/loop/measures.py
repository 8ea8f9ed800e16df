"""Pure measures the loop watcher uses: normalised words, near-duplicate similarity, an
approximate token count, fan-out."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from lammesh.watchers import iter_text_fields, value_at

_WORD = re.compile(r"\w+", re.UNICODE)
_PIECE = re.compile(r"\w+|[^\w\s]", re.UNICODE)
SHINGLE = 3


def words(value: Any) -> list[str]:
    """The lower-cased words of every string in `value`; a value without strings (numbers only)
    is compared by its canonical JSON."""
    texts = [field.text for field in iter_text_fields(value)]
    if not texts:
        texts = [json.dumps(value, sort_keys=True, default=str)]
    return _WORD.findall(" ".join(texts).lower())


def _shingles(tokens: list[str]) -> set[tuple[str, ...]]:
    if len(tokens) < SHINGLE:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1)}


def similarity(a: list[str], b: list[str]) -> float:
    """1.0 for the same words in the same order; otherwise the Jaccard similarity of their
    3-word shingles (so reordering sentences or changing a few words lowers it gradually)."""
    if a == b:
        return 1.0
    left, right = _shingles(a), _shingles(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def approx_tokens(value: Any) -> int:
    """Roughly what a sub-word (BPE) tokenizer would count: each word in pieces of up to 6
    characters (common short words are one token), each punctuation mark one. Meant for
    budgets, not billing: good to within tens of percent for English business text."""
    total = 0
    for field in iter_text_fields(value):
        for piece in _PIECE.findall(field.text):
            total += math.ceil(len(piece) / 6) if piece[0].isalnum() or piece[0] == "_" else 1
    return total


def list_length_at(content: Mapping[str, Any], path: str) -> int:
    """How many items the list at `path` holds (a single value counts 1, missing 0)."""
    try:
        value = value_at(content, path)
    except KeyError:
        return 0
    if isinstance(value, list):
        return len(value)
    return 0 if value is None else 1


def number_at(sources: Mapping[str, Any], path: str) -> float:
    """A count carried in the sources (e.g. tokens already spent); 0 when absent or not a number."""
    try:
        value = value_at(sources, path)
    except KeyError:
        return 0.0
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
