"""Pure helpers of the policy watcher: reading recipients, domains and attachments out of
tool-call arguments, and the generic per-field rules."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.utils import getaddresses
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lammesh.watchers import VerdictName, join_path, value_at
from lammesh.watchers.addresses import split_address


@dataclass(frozen=True)
class Recipient:
    address: str
    """Lower-cased address as written (for reasons), or the raw text when it does not parse."""
    domain: str
    """Canonical domain (lower case, IDN labels as A-labels; see lammesh.watchers.addresses), ''
    when the address does not parse."""
    field: str
    start: int
    end: int
    canonical: str = ""
    """Canonical address (local part lower-cased, canonical domain), for comparisons."""

    @property
    def valid(self) -> bool:
        return bool(self.domain)


def _recipients_in_text(text: str, field: str) -> Iterator[Recipient]:
    cursor = 0
    for _, address in getaddresses([text]):
        if not address:
            continue
        start = text.find(address, cursor)
        start = start if start >= 0 else 0
        cursor = start + len(address)
        parts = split_address(address)
        if parts is None:
            yield Recipient(address, "", field, start, start + len(address))
        else:
            shown = unicodedata.normalize("NFC", address).lower()
            yield Recipient(shown, parts[1], field, start, start + len(address), f"{parts[0]}@{parts[1]}")


def recipients_at(content: Mapping[str, Any], path: str) -> list[Recipient]:
    """Recipients in a field that holds a string ("Ana <ana@acme.com>, bo@x.com"), a list of
    strings, or a list of objects with an `email` (or `address`) key."""
    try:
        value = value_at(content, path)
    except KeyError:
        return []
    found: list[Recipient] = []
    items = value if isinstance(value, list) else [value]
    for index, item in enumerate(items):
        field = join_path(path, index) if isinstance(value, list) else path
        if isinstance(item, Mapping):
            key = next((k for k in ("email", "address") if isinstance(item.get(k), str)), None)
            if key is None:
                found.append(Recipient(str(dict(item)), "", field, 0, 0))
                continue
            item, field = item[key], join_path(field, key)
        if isinstance(item, str):
            parsed = list(_recipients_in_text(item, field))
            found.extend(parsed or ([Recipient(item, "", field, 0, len(item))] if item.strip() else []))
        elif item is not None:
            found.append(Recipient(str(item), "", field, 0, 0))
    return found


@dataclass(frozen=True)
class Attachment:
    field: str
    label: str
    """What to call it in a reason: its name, file name or URI."""
    label_field: str
    """The text field holding `label` ("attachments.0" or "attachments.0.name"), for spans."""
    texts: tuple[str, ...]
    """Every string that describes it (name, uri, path, source...), for pattern matching."""
    classification: str
    marked_internal: bool


_NAME_KEYS = ("name", "filename", "title", "uri", "url", "path", "source", "id", "kind", "type")
_CLASS_KEYS = ("classification", "sensitivity", "label", "visibility")


def attachments_at(content: Mapping[str, Any], path: str) -> list[Attachment]:
    try:
        value = value_at(content, path)
    except KeyError:
        return []
    items = value if isinstance(value, list) else [value]
    found = []
    for index, item in enumerate(items):
        field = join_path(path, index) if isinstance(value, list) else path
        if isinstance(item, str):
            found.append(Attachment(field, item, field, (item,), "", False))
        elif isinstance(item, Mapping):
            keys = [k for k in _NAME_KEYS if isinstance(item.get(k), str)]
            texts = tuple(item[k] for k in keys)
            classification = next((str(item[k]).lower() for k in _CLASS_KEYS if isinstance(item.get(k), str)), "")
            label, label_field = (texts[0], join_path(field, keys[0])) if keys else ("", field)
            found.append(Attachment(field, label, label_field, texts, classification, item.get("internal") is True))
    return found


class FieldRule(BaseModel):
    """A declared rule on one argument of the tool call. When the field holds a list, every
    item must satisfy it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str = Field(min_length=1, description="Dotted path in the content, e.g. 'amount' or 'to'.")
    required: bool = False
    one_of: list[str | float | bool] | None = None
    none_of: list[str | float | bool] | None = None
    pattern: str | None = Field(None, description="Regular expression the whole value must match.")
    max_length: int | None = Field(None, ge=0)
    min: float | None = None
    max: float | None = None
    verdict: VerdictName = "block"

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"not a valid regular expression: {error}") from None
        return pattern

    def violations(self, content: Mapping[str, Any]) -> list[tuple[str, str, int]]:
        """(field path, what is wrong, length of the offending string or 0) per violation."""
        try:
            value = value_at(content, self.field)
        except KeyError:
            return [(self.field, "is required but missing", 0)] if self.required else []
        items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        out = []
        for index, item in items:
            path = self.field if index is None else join_path(self.field, index)
            problem = self._problem(item)
            if problem:
                out.append((path, problem, len(item) if isinstance(item, str) else 0))
        return out

    def _problem(self, value: Any) -> str | None:
        shown = repr(value) if not isinstance(value, str) or len(value) <= 60 else repr(value[:57] + "...")
        if self.one_of is not None and value not in self.one_of:
            return f"{shown} is not one of {self.one_of}"
        if self.none_of is not None and value in self.none_of:
            return f"{shown} is not allowed"
        if self.pattern is not None and not (isinstance(value, str) and re.fullmatch(self.pattern, value)):
            return f"{shown} does not match {self.pattern!r}"
        if self.max_length is not None and isinstance(value, str) and len(value) > self.max_length:
            return f"is {len(value)} characters long, more than {self.max_length}"
        if self.min is not None or self.max is not None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return f"{shown} is not a number"
            if self.min is not None and value < self.min:
                return f"{value:g} is below the minimum {self.min:g}"
            if self.max is not None and value > self.max:
                return f"{value:g} is above the maximum {self.max:g}"
        return None
