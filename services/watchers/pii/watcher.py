"""The `pii` watcher: finds personal data, secrets and internal markers in every text field of
the content and answers with the strictest verdict their kinds call for, with one span each.

Defaults: secrets (api_key, private_key, credential) and card numbers BLOCK; other personal data,
random-looking tokens and internal markers REVIEW. A workflow relaxes this per step with params,
e.g. a follow-up email may contain the customer's address: `allow_values: [ana@acme.com]`, or
`allow: [email]` for any address; `address_fields: [to, cc]` lets addresses be where they belong
while their display names are still checked.

Every text is also matched as it reads once its disguises are off (lammesh.watchers.reveal):
NFKC-folded with invisible characters removed, and each base64/hex run decoded, so
`exfil<ZWSP>@evil.io`, a full-width address or a base64-encoded key id are found like plain ones;
their spans point at the original text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Literal

from pydantic import Field

from lammesh.watchers import CheckInput, CheckOutcome, Finding, RuleWatcher, Span, Verdict, VerdictName, WatcherParams
from lammesh.watchers.reveal import reveal
from lammesh_services.watchers.pii.detectors import (
    Match,
    drop_overlaps,
    find_cards,
    find_emails,
    find_high_entropy,
    find_ibans,
    find_keys,
    find_national_ids,
    find_phones,
    marker_finder,
)

PiiKind = Literal[
    "email",
    "phone",
    "card_number",
    "iban",
    "national_id",
    "api_key",
    "private_key",
    "credential",
    "high_entropy",
    "internal_marker",
]

DEFAULT_VERDICTS: dict[str, Verdict] = {
    "email": Verdict.REVIEW,
    "phone": Verdict.REVIEW,
    "card_number": Verdict.BLOCK,  # a full card number must never leave by email or chat (PCI DSS)
    "iban": Verdict.REVIEW,
    "national_id": Verdict.REVIEW,
    "api_key": Verdict.BLOCK,
    "private_key": Verdict.BLOCK,
    "credential": Verdict.BLOCK,
    "high_entropy": Verdict.REVIEW,
    "internal_marker": Verdict.REVIEW,
}


class PiiParams(WatcherParams):
    allow: list[PiiKind] = Field(default_factory=list, description="Kinds that are fine in this step.")
    verdicts: dict[PiiKind, VerdictName] = Field(
        default_factory=dict, description="Verdict per kind, overriding DEFAULT_VERDICTS."
    )
    allow_values: list[str] = Field(
        default_factory=list,
        description="Exact values that are fine (case, spaces, dashes, dots, plus signs and brackets ignored), "
        "e.g. the customer's own address in a follow-up email.",
    )
    skip_fields: list[str] = Field(
        default_factory=list, description="Dotted field paths not checked, with everything below them."
    )
    address_fields: list[str] = Field(
        default_factory=list,
        description="Dotted field paths holding recipients (e.g. to, cc): email addresses are fine there, "
        "anything else in them (a key in a display name) is checked as everywhere.",
    )
    internal_markers: list[str] = Field(
        default_factory=list, description="More internal-only phrases, e.g. project code names."
    )
    entropy_min_length: int = Field(24, ge=12, le=512, description="Shortest token judged by entropy.")
    entropy_min_bits: float = Field(4.0, ge=2.0, le=8.0, description="Bits per character from which a token looks random.")


_SEPARATORS = re.compile(r"[\s().+-]")


def normalise_value(value: str) -> str:
    return _SEPARATORS.sub("", value).lower()


@lru_cache(maxsize=64)
def _markers(extra: tuple[str, ...]) -> Callable[[str], list[Match]]:
    return marker_finder(extra)


def _skipped(path: str, skip_fields: list[str]) -> bool:
    return any(path == skip or path.startswith(f"{skip}.") for skip in skip_fields)


def _matches(text: str, params: PiiParams, find_markers: Callable[[str], list[Match]]) -> list[Match]:
    return [
        *find_keys(text),
        *find_emails(text),
        *find_cards(text),
        *find_ibans(text),
        *find_national_ids(text),
        *find_phones(text),
        *find_high_entropy(text, min_length=params.entropy_min_length, min_bits=params.entropy_min_bits),
        *find_markers(text),
    ]


_HOW = {"folded": "hidden with invisible or look-alike characters", "base64": "base64-encoded", "hex": "hex-encoded"}


def find_all(text: str, params: PiiParams, find_markers: Callable[[str], list[Match]]) -> list[tuple[Match, str]]:
    """Matches in the text and in its revealed views, as (match in original offsets, matched
    value as it reads), overlaps dropped (the plain match wins a tie)."""
    found: list[tuple[Match, str]] = [(m, text[m.start : m.end]) for m in _matches(text, params, find_markers)]
    for view in reveal(text):
        for m in _matches(view.text, params, find_markers):
            start, end = view.origin(m.start, m.end)
            moved = Match(m.kind, start, end, m.confidence - 0.001, f"{m.detail}, {_HOW[view.how]}")
            found.append((moved, view.text[m.start : m.end]))
    values = {id(m): value for m, value in found}
    return [(m, values[id(m)]) for m in drop_overlaps([m for m, _ in found])]


class PiiWatcher(RuleWatcher[PiiParams]):
    name = "pii"
    version = "1.0.0"
    params_model = PiiParams

    def check(self, item: CheckInput[PiiParams]) -> CheckOutcome:
        params = item.params
        verdicts = {**DEFAULT_VERDICTS, **{kind: Verdict.parse(v) for kind, v in params.verdicts.items()}}
        allowed_kinds = set(params.allow)
        allowed_values = {normalise_value(value) for value in params.allow_values}
        find_markers = _markers(tuple(params.internal_markers))
        findings = []
        for field in item.texts:
            if _skipped(field.path, params.skip_fields):
                continue
            address_field = _skipped(field.path, params.address_fields)
            for match, value in find_all(field.text, params, find_markers):
                verdict = verdicts[match.kind]
                if (
                    match.kind in allowed_kinds
                    or verdict is Verdict.ALLOW
                    or normalise_value(value) in allowed_values
                    or (address_field and match.kind == "email")
                ):
                    continue
                findings.append(
                    Finding(
                        kind=match.kind,
                        reason=f"{match.detail} in {field.path}",
                        score=match.confidence,
                        verdict=verdict,
                        spans=(Span(field.path, match.start, match.end, match.kind),),
                    )
                )
        return CheckOutcome.from_findings(findings)
