"""The `policy` watcher: checks a tool call's arguments against rules the workflow declares.

- Recipients (fields `to`, `cc`, `bcc` by default) must be allowed: an allowed address, or an
  address in an allowed or internal domain (subdomains included). Allowed addresses and domains
  come from params, or from the step's sources (e.g. the CRM account's contacts and domain) via
  `allowed_recipients_from` / `allowed_domains_from`. With no rule declared, every recipient
  outside the internal domains is outside: the watcher fails closed.
- Internal records (attachments classified internal/confidential/..., marked `internal: true`,
  or matching `internal_record_patterns`) must not go to anyone outside the internal domains.
- Generic `rules` on any argument: required, one_of, none_of, pattern, max_length, min, max.
Every violation names the offending value and field; the verdict per rule is configurable.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from lammesh.watchers import CheckInput, CheckOutcome, Finding, RuleWatcher, Span, Verdict, VerdictName, WatcherParams
from lammesh.watchers.addresses import canonical_address, canonical_domains, domain_allowed, strings_at
from lammesh_services.watchers.policy.rules import Attachment, FieldRule, Recipient, attachments_at, recipients_at

SCORE = 1.0  # a declared rule either holds or it does not


class PolicyParams(WatcherParams):
    recipient_fields: list[str] = Field(default_factory=lambda: ["to", "cc", "bcc"])
    allowed_recipients: list[str] = Field(default_factory=list, description="Addresses that may receive.")
    allowed_domains: list[str] = Field(default_factory=list, description="Domains (and subdomains) that may receive.")
    allowed_recipients_from: list[str] = Field(
        default_factory=list, description="Dotted paths in sources holding allowed addresses (strings or {email})."
    )
    allowed_domains_from: list[str] = Field(
        default_factory=list,
        description="Dotted paths in sources holding allowed domains (strings, {domain}, or addresses whose domain counts).",
    )
    internal_domains: list[str] = Field(default_factory=list, description="The company's own domains.")
    outside_recipient: VerdictName = "block"
    max_recipients: int | None = Field(None, ge=1)
    too_many_recipients: VerdictName = "review"
    attachment_fields: list[str] = Field(default_factory=lambda: ["attachments"])
    internal_classifications: list[str] = Field(
        default_factory=lambda: ["internal", "confidential", "restricted", "secret"]
    )
    internal_record_patterns: list[str] = Field(
        default_factory=list, description="Regular expressions (case-insensitive) on an attachment's name or URI."
    )
    internal_attachment: VerdictName = "block"
    rules: list[FieldRule] = Field(default_factory=list)

    @field_validator("allowed_domains", "internal_domains", "allowed_recipients", "internal_classifications")
    @classmethod
    def _lower(cls, values: list[str]) -> list[str]:
        return [value.strip().lower().lstrip("@") for value in values if value.strip()]

    @field_validator("internal_record_patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for index, pattern in enumerate(patterns):
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"item {index} is not a valid regular expression: {error}") from None
        return patterns


def _span(recipient: Recipient, label: str) -> Span:
    return Span(recipient.field, recipient.start, recipient.end, label)


class PolicyWatcher(RuleWatcher[PolicyParams]):
    name = "policy"
    version = "1.0.0"
    params_model = PolicyParams

    def check(self, item: CheckInput[PolicyParams]) -> CheckOutcome:
        params = item.params
        recipients = [r for path in params.recipient_fields for r in recipients_at(item.content, path)]
        findings = self._recipient_findings(item, recipients)
        findings += self._attachment_findings(item, recipients)
        for rule in params.rules:
            for path, problem, length in rule.violations(item.content):
                span = Span(path, 0, length, "rule")
                findings.append(Finding("rule", f"{path}: {problem}", SCORE, Verdict.parse(rule.verdict), (span,)))
        return CheckOutcome.from_findings(findings)

    def _allowed(self, item: CheckInput[PolicyParams]) -> tuple[set[str], set[str], list[Finding]]:
        """Allowed addresses and domains, canonical (lammesh.watchers.addresses: IDN domains as
        A-labels), and a finding per declared source path that is missing."""
        params = item.params
        addresses = list(params.allowed_recipients)
        domains = list(params.allowed_domains)
        missing: list[Finding] = []
        for paths, key, into in (
            (params.allowed_recipients_from, "email", addresses),
            (params.allowed_domains_from, "domain", domains),  # a contact's address stands for its domain
        ):
            for path in paths:
                values = strings_at(item.sources, path, key)
                if values is None:
                    reason = f"sources has no {path} to take allowed recipients from"
                    missing.append(Finding("missing_source", reason, SCORE, Verdict.REVIEW))
                    continue
                into.extend(values)
        canonical = {a for a in map(canonical_address, addresses) if a}
        return canonical, canonical_domains(domains), missing

    def _recipient_findings(self, item: CheckInput[PolicyParams], recipients: list[Recipient]) -> list[Finding]:
        if not recipients:
            return []
        params = item.params
        addresses, domains, findings = self._allowed(item)
        internal = canonical_domains(params.internal_domains)
        outside = Verdict.parse(params.outside_recipient)
        for recipient in recipients:
            if not recipient.valid:
                reason = f"recipient {recipient.address!r} in {recipient.field} is not an email address"
                findings.append(
                    Finding("invalid_recipient", reason, SCORE, outside, (_span(recipient, "invalid_recipient"),))
                )
            elif not (
                recipient.canonical in addresses
                or domain_allowed(recipient.domain, domains)
                or domain_allowed(recipient.domain, internal)
            ):
                reason = f"recipient {recipient.address} in {recipient.field} is not an allowed contact or domain"
                findings.append(
                    Finding("outside_recipient", reason, SCORE, outside, (_span(recipient, "outside_recipient"),))
                )
        if params.max_recipients is not None and len(recipients) > params.max_recipients:
            reason = f"{len(recipients)} recipients, more than {params.max_recipients}"
            findings.append(Finding("too_many_recipients", reason, SCORE, Verdict.parse(params.too_many_recipients)))
        return findings

    def _is_internal(self, attachment: Attachment, params: PolicyParams) -> bool:
        if attachment.marked_internal or attachment.classification in params.internal_classifications:
            return True
        return any(
            re.search(pattern, text, re.IGNORECASE)
            for pattern in params.internal_record_patterns
            for text in attachment.texts
        )

    def _attachment_findings(self, item: CheckInput[PolicyParams], recipients: list[Recipient]) -> list[Finding]:
        params = item.params
        internal = canonical_domains(params.internal_domains)
        external = [r for r in recipients if not (r.valid and domain_allowed(r.domain, internal))]
        if not external:
            return []
        findings = []
        verdict = Verdict.parse(params.internal_attachment)
        for path in params.attachment_fields:
            for attachment in attachments_at(item.content, path):
                if not self._is_internal(attachment, params):
                    continue
                names = ", ".join(r.address for r in external)
                spans = (
                    Span(attachment.label_field, 0, len(attachment.label), "internal_attachment"),
                    *(_span(r, "outside_recipient") for r in external),
                )
                what = f"{attachment.label!r} ({attachment.field})" if attachment.label else attachment.field
                reason = f"internal record {what} attached for outside recipient(s) {names}"
                findings.append(Finding("internal_attachment", reason, SCORE, verdict, spans))
        return findings
