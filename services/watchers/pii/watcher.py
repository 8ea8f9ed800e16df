"""The `pii` watcher: finds personal data, secrets and internal markers in every text field of
the content and answers with the strictest verdict their kinds call for, with one span each.

Defaults: secrets (api_key, private_key, credential) and card numbers BLOCK; other personal data,
random-looking tokens and internal markers REVIEW. A workflow relaxes this per step with params,
e.g. a follow-up email may contain the customer's address: `allow_values: [ana@acme.com]`, or
`allow: [email]` for any address; `address_fields: [to, cc]` lets addresses be where they belong
while their display names are still checked.

What a mail may contain is taken from its context, not from special cases: addresses on the
company's own domains (`allowed_domains`) and on the customer's (`allowed_domains_from`, e.g. the
CRM account's domain), the recipients' own addresses (`address_fields`), values the sources hold
(`allow_values_from`, e.g. the CRM contacts and the sender), and the sender's contact details in
the signature block after the closing line (`signature_kinds`, phone numbers by default). These
allowances apply to what is written plainly; a disguised or encoded value is always reported.

Every text is also matched as it reads once its disguises are off (lammesh.watchers.reveal):
NFKC-folded with invisible characters removed, and each base64/hex run decoded, so
`exfil<ZWSP>@evil.io`, a full-width address or a base64-encoded key id are found like plain ones;
their spans point at the original text. Layout disguises are undone too (`reveal(text,
layout=True)`): values spaced or dotted apart, split across lines or into JSON pieces, escaped, or
spelled out in words.

A meeting invitation's join link and passcode are for the invitee (`meeting_passcode`, allowed by
default); a Luhn-valid number written as an unbroken id right after an id noun ("Order #",
"Bestellnummer") with no expiry after it is not a card (decision 0635).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from pydantic import Field

from lammesh.watchers import CheckInput, CheckOutcome, Finding, RuleWatcher, Span, Verdict, VerdictName, WatcherParams
from lammesh.watchers.addresses import canonical_domains, domain_allowed, split_address, strings_at
from lammesh.watchers.reveal import reveal
from lammesh_services.watchers.pii.detectors import (
    Match,
    drop_overlaps,
    find_cards,
    find_emails,
    find_high_entropy,
    find_ibans,
    find_keys,
    find_meeting_details,
    find_national_ids,
    find_phones,
    marker_finder,
    signature_start,
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
    "meeting_passcode",
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
    "meeting_passcode": Verdict.ALLOW,  # an invitation's join link and passcode are for the invitee
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
    allowed_domains: list[str] = Field(
        default_factory=list,
        description="Domains (and their subdomains) whose email addresses are fine anywhere, e.g. the company's own.",
    )
    allowed_domains_from: list[str] = Field(
        default_factory=list,
        description="Dotted paths in sources holding more such domains (strings, {domain} objects, or addresses "
        "standing for their domain), e.g. steps.crm.account.domain. A missing path allows nothing.",
    )
    allow_values_from: list[str] = Field(
        default_factory=list,
        description="Dotted paths in sources whose strings are allowed values, e.g. steps.crm.contacts (the "
        "account's contacts' addresses and numbers) or task_input.sender. A missing path allows nothing.",
    )
    signature_kinds: list[PiiKind] = Field(
        default_factory=lambda: ["phone"],
        description="Kinds that are the sender's own contact details when they stand in a text's signature (the "
        "short block after its closing line): fine there, and wherever else the mail repeats them. [] checks "
        "signatures like any text.",
    )
    internal_markers: list[str] = Field(
        default_factory=list, description="More internal-only phrases, e.g. project code names."
    )
    entropy_min_length: int = Field(24, ge=12, le=512, description="Shortest token judged by entropy.")
    entropy_min_bits: float = Field(
        4.0, ge=2.0, le=8.0, description="Bits per character from which a token looks random."
    )


_SEPARATORS = re.compile(r"[\s().+-]")


def normalise_value(value: str) -> str:
    return _SEPARATORS.sub("", value).lower()


@lru_cache(maxsize=64)
def _markers(extra: tuple[str, ...]) -> Callable[[str], list[Match]]:
    return marker_finder(extra)


def _skipped(path: str, skip_fields: list[str]) -> bool:
    return any(path == skip or path.startswith(f"{skip}.") for skip in skip_fields)


def _matches(
    text: str, params: PiiParams, find_markers: Callable[[str], list[Match]], *, disguised: bool = False
) -> list[Match]:
    return [
        *find_keys(text),
        *find_emails(text),
        *find_cards(text, disguised=disguised),
        *find_ibans(text),
        *find_national_ids(text),
        *find_phones(text),
        *find_high_entropy(text, min_length=params.entropy_min_length, min_bits=params.entropy_min_bits),
        *find_markers(text),
        *find_meeting_details(text),
    ]


_HOW = {
    "folded": "hidden with invisible or look-alike characters",
    "base64": "base64-encoded",
    "base32": "base32-encoded",
    "ascii85": "ascii85-encoded",
    "hex": "hex-encoded",
    "rejoined": "split across lines",
    "unescaped": "written with escape sequences",
    "spaced": "spaced or dotted apart",
    "pieces": "split into pieces",
    "spelled": "spelled out in words",
    "lettered": "written with letters for digits",
}


def find_all(text: str, params: PiiParams, find_markers: Callable[[str], list[Match]]) -> list[tuple[Match, str, bool]]:
    """Matches in the text and in its revealed views, as (match in original offsets, matched
    value as it reads, whether it was written plainly), overlaps dropped (the plain match wins
    a tie)."""
    found: list[tuple[Match, str, bool]] = [
        (m, text[m.start : m.end], True) for m in _matches(text, params, find_markers)
    ]
    for view in reveal(text, layout=True):
        # a value taken out of its disguise (spelled out, spaced apart, decoded) stands alone
        for m in _matches(view.text, params, find_markers, disguised=view.offsets is None):
            start, end = view.origin(m.start, m.end)
            moved = Match(m.kind, start, end, m.confidence - 0.001, f"{m.detail}, {_HOW[view.how]}")
            found.append((moved, view.text[m.start : m.end], False))
    found_by_id = {id(m): (value, plain) for m, value, plain in found}
    return [(m, *found_by_id[id(m)]) for m in drop_overlaps([m for m, _, _ in found])]


@dataclass
class _Allowances:
    """What this mail may contain, from params, sources and the mail itself."""

    kinds: set[str]
    values: set[str]  # normalised (normalise_value)
    context_values: set[str] = field(default_factory=set)  # normalised; only for plain matches
    domains: set[str] = field(default_factory=set)  # canonical

    def allow(self, match: Match, value: str, plain: bool) -> bool:
        if match.kind in self.kinds or normalise_value(value) in self.values:
            return True
        if not plain:
            return False
        if normalise_value(value) in self.context_values:
            return True
        parts = split_address(value) if match.kind == "email" else None
        return parts is not None and domain_allowed(parts[1], self.domains)


def _source_strings(sources: dict, paths: list[str], key: str | None) -> list[str]:
    return [value for path in paths for value in strings_at(sources, path, key) or []]


class PiiWatcher(RuleWatcher[PiiParams]):
    name = "pii"
    version = "1.2.0"
    params_model = PiiParams

    def check(self, item: CheckInput[PiiParams]) -> CheckOutcome:
        params = item.params
        verdicts = {**DEFAULT_VERDICTS, **{kind: Verdict.parse(v) for kind, v in params.verdicts.items()}}
        find_markers = _markers(tuple(params.internal_markers))
        fields = [f for f in item.texts if not _skipped(f.path, params.skip_fields)]
        matches = {f.path: find_all(f.text, params, find_markers) for f in fields}
        allowances = _Allowances(
            kinds=set(params.allow),
            values={normalise_value(value) for value in params.allow_values},
            context_values={normalise_value(v) for v in _source_strings(item.sources, params.allow_values_from, None)},
            domains=canonical_domains(
                [*params.allowed_domains, *_source_strings(item.sources, params.allowed_domains_from, "domain")]
            ),
        )
        signature_kinds = set(params.signature_kinds)
        for f in fields:
            address_field = _skipped(f.path, params.address_fields)
            signature = signature_start(f.text) if signature_kinds else None
            for match, value, plain in matches[f.path]:
                if not plain:
                    continue
                # the recipients' own addresses, and the sender's own contact details in the
                # signature, are fine wherever the mail repeats them
                if (address_field and match.kind == "email") or (
                    signature is not None and match.start >= signature and match.kind in signature_kinds
                ):
                    allowances.context_values.add(normalise_value(value))
        findings = []
        for f in fields:
            address_field = _skipped(f.path, params.address_fields)
            for match, value, plain in matches[f.path]:
                verdict = verdicts[match.kind]
                if (
                    verdict is Verdict.ALLOW
                    or (address_field and match.kind == "email")
                    or allowances.allow(match, value, plain)
                ):
                    continue
                findings.append(
                    Finding(
                        kind=match.kind,
                        reason=f"{match.detail} in {f.path}",
                        score=match.confidence,
                        verdict=verdict,
                        spans=(Span(f.path, match.start, match.end, match.kind),),
                    )
                )
        return CheckOutcome.from_findings(findings)
