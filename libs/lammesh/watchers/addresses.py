"""Email addresses and domains as rule watchers compare them (policy: who may receive; pii: which
addresses a mail may contain). Pure functions, no I/O.

Domains are compared in their canonical ASCII form: lower case, internationalised labels as
IDNA 2008 A-labels, so `Müller-Bau.example`, `müller-bau.example` and `xn--mller-bau-r8a.example`
are one domain. Only names that are already what they say are accepted: a domain that reads as a
host name only after compatibility mapping (full-width `ａｃｍｅ.com`, which UTS 46 would turn into
`acme.com`) or that holds characters IDNA 2008 disallows is not a domain here (None), so a
disguised address never passes as an allowed one. A look-alike in another script (`аcme.com`
with a Cyrillic а) is a different, valid domain: it is not the allowed one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

import idna

from lammesh.watchers.content import iter_text_fields, value_at

_ASCII_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_LOCAL_PART = re.compile(r"[^\s@<>()\[\],;:\"\\]+")


def canonical_domain(domain: str) -> str | None:
    """The domain in canonical ASCII form (lower case, A-labels), or None when it is not a host
    name of at least two labels as written (see the module docstring)."""
    name = unicodedata.normalize("NFC", domain.strip()).lower()
    if not name.isascii():
        try:
            name = idna.encode(name, uts46=False).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            return None
    labels = name.split(".")
    if len(labels) < 2 or not all(_ASCII_LABEL.fullmatch(label) for label in labels):
        return None
    if not (labels[-1].isalpha() or labels[-1].startswith("xn--")):
        return None  # a top-level domain is letters (or an IDN one): 10.0.0.1 is not a domain
    return name


def split_address(address: str) -> tuple[str, str] | None:
    """(lower-cased local part, canonical domain) of `local@domain`, or None when it is not one.
    Local parts may be Unicode (RFC 6531); quoted local parts are not accepted."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not _LOCAL_PART.fullmatch(local) or local.startswith(".") or local.endswith(".") or ".." in local:
        return None
    canonical = canonical_domain(domain)
    if canonical is None:
        return None
    return unicodedata.normalize("NFC", local).lower(), canonical


def canonical_address(address: str) -> str | None:
    """`local@domain` in canonical form (see split_address), or None."""
    parts = split_address(address)
    return f"{parts[0]}@{parts[1]}" if parts else None


def domain_allowed(domain: str, allowed: set[str]) -> bool:
    """`domain` (canonical) is one of `allowed` (canonical) or a subdomain of one (sales.acme.com
    under acme.com); look-alikes such as acme.com.evil.io or evilacme.com are not."""
    return any(domain == d or domain.endswith(f".{d}") for d in allowed)


def canonical_domains(values: Iterable[str]) -> set[str]:
    """Allowed domains as declared (`acme.com`, `@acme.com`, or an address standing for its
    domain), canonical; values that are not domains are left out."""
    out = set()
    for value in values:
        canonical = canonical_domain(value.strip().rpartition("@")[2])
        if canonical:
            out.add(canonical)
    return out


def strings_at(sources: Mapping[str, Any], path: str, key: str | None = None) -> list[str] | None:
    """Strings at a dotted path of the sources: a string, a list of strings, or a list of
    objects whose `key` is a string (every string inside them when `key` is None). None when
    the path is not there."""
    try:
        value = value_at(sources, path)
    except KeyError:
        return None
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, Mapping):
            if key is None:
                out.extend(field.text.strip() for field in iter_text_fields(item) if field.text.strip())
                continue
            item = item.get(key)
        if isinstance(item, str) and item.strip():
            out.append(item.strip())
    return out
