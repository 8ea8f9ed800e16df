"""Pulling text out of a check's content (a protobuf Struct as a plain dict) with field paths.

Pure domain. Paths are dotted: dict keys and list indexes joined by ".", e.g. "transcript",
"to.0", "attendees.2.email"; a Span's `field` uses the same path, so a reviewer sees where a
finding sits. Only strings are text: numbers, booleans and nulls are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TextField:
    path: str
    text: str


def join_path(parent: str, part: str | int) -> str:
    return f"{parent}.{part}" if parent else str(part)


def iter_text_fields(value: Any, path: str = "") -> Iterator[TextField]:
    """Every string inside `value` (nested dicts and lists), depth first, in document order."""
    if isinstance(value, str):
        yield TextField(path, value)
    elif isinstance(value, Mapping):
        for key, child in value.items():
            yield from iter_text_fields(child, join_path(path, str(key)))
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        for index, child in enumerate(value):
            yield from iter_text_fields(child, join_path(path, index))


def text_fields(value: Any, path: str = "") -> list[TextField]:
    """Non-empty strings of `value` with their paths (see `iter_text_fields`)."""
    return [field for field in iter_text_fields(value, path) if field.text]


def value_at(value: Any, path: str) -> Any:
    """The value at a dotted path ("to.0"); KeyError when it is not there. "" is the root."""
    current = value
    if not path:
        return current
    for part in path.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif (
            isinstance(current, Sequence)
            and not isinstance(current, str)
            and part.isdigit()
            and int(part) < len(current)
        ):
            current = current[int(part)]
        else:
            raise KeyError(path)
    return current
