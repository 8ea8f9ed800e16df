"""The policy watcher on fixed tool calls: outside recipients and internal attachments are
blocked with the offender named; allowed contacts, domains and colleagues pass."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from lammesh.watchers import CheckInput, Verdict
from lammesh_services.watchers.policy.watcher import PolicyParams, PolicyWatcher

WATCHER = PolicyWatcher()
CRM = {
    "crm": {
        "account": {"name": "Acme", "domain": "acme.com"},
        "contacts": [{"name": "Ana Lopez", "email": "Ana.Lopez@acme.com"}, {"email": "cfo@acme-holdings.com"}],
    }
}
FROM_CRM = {
    "allowed_domains_from": ["crm.account.domain"],
    "allowed_recipients_from": ["crm.contacts"],
    "internal_domains": ["ourco.com"],
}


def check(content, sources=None, **params):
    return WATCHER.check(CheckInput(params=PolicyParams.model_validate(params), content=content, sources=sources or {}))


def test_email_to_the_accounts_contacts_and_domain_is_allowed():
    content = {
        "to": ["ana.lopez@acme.com"],
        "cc": "CFO <cfo@acme-holdings.com>, Sales <sales@eu.acme.com>, me@ourco.com",
        "subject": "Follow-up",
        "body": "Thanks for the meeting",
    }
    outcome = check(content, CRM, **FROM_CRM)
    assert outcome.verdict is Verdict.ALLOW, outcome.reasons
    assert outcome.score == 0.0


def test_injected_outside_recipient_is_blocked_and_named_with_its_span():
    cc = "Ana <ana.lopez@acme.com>, attacker@evil.io"
    outcome = check({"to": ["ana.lopez@acme.com"], "cc": cc}, CRM, **FROM_CRM)
    assert outcome.verdict is Verdict.BLOCK
    assert outcome.reasons == ("recipient attacker@evil.io in cc is not an allowed contact or domain",)
    assert [(s.field, cc[s.start : s.end]) for s in outcome.spans] == [("cc", "attacker@evil.io")]


@pytest.mark.parametrize("address", ["bo@acme.com.evil.io", "bo@evilacme.com", "bo@acme.co", "x@acme-holdings.com"])
def test_look_alike_domains_are_outside(address):
    outcome = check({"to": [address]}, CRM, **FROM_CRM)
    assert outcome.verdict is Verdict.BLOCK
    assert address in outcome.reasons[0]


def test_with_no_rule_declared_outside_recipients_fail_closed():
    assert check({"to": ["ana@acme.com"]}).verdict is Verdict.BLOCK
    assert check({"to": ["me@ourco.com"]}, internal_domains=["ourco.com"]).verdict is Verdict.ALLOW
    assert check({"subject": "no recipients in a CRM update"}).verdict is Verdict.ALLOW


def test_unparseable_and_missing_sources_do_not_pass():
    bad = check({"to": ["not an address"]}, allowed_domains=["acme.com"])
    assert bad.verdict is Verdict.BLOCK and "not an email address" in bad.reasons[0]
    missing = check({"to": ["ana@acme.com"]}, {}, allowed_recipients_from=["crm.contacts"])
    assert missing.verdict is Verdict.BLOCK
    assert "sources has no crm.contacts to take allowed recipients from" in missing.reasons


def test_internal_record_to_a_customer_is_blocked_but_fine_between_colleagues():
    attachments = [
        {"name": "meeting-notes.pdf"},
        {"name": "Q3 pipeline.xlsx", "uri": "crm://opportunities/export", "classification": "Internal"},
    ]
    to_customer = check({"to": ["ana.lopez@acme.com"], "attachments": attachments}, CRM, **FROM_CRM)
    assert to_customer.verdict is Verdict.BLOCK
    assert to_customer.reasons == (
        "internal record 'Q3 pipeline.xlsx' (attachments.1) attached for outside recipient(s) ana.lopez@acme.com",
    )
    assert ("attachments.1.name", "internal_attachment") in {(s.field, s.label) for s in to_customer.spans}
    to_colleague = check({"to": ["me@ourco.com"], "attachments": attachments}, CRM, **FROM_CRM)
    assert to_colleague.verdict is Verdict.ALLOW


def test_internal_records_found_by_flag_and_by_pattern():
    content = {"to": ["ana@acme.com"], "attachments": ["crm://accounts/acme/full-export.csv"]}
    assert check(content, allowed_domains=["acme.com"]).verdict is Verdict.ALLOW
    flagged = check(content, allowed_domains=["acme.com"], internal_record_patterns=[r"^crm://"])
    assert flagged.verdict is Verdict.BLOCK
    marked = {"to": ["ana@acme.com"], "attachments": [{"filename": "x.pdf", "internal": True}]}
    assert check(marked, allowed_domains=["acme.com"]).verdict is Verdict.BLOCK


def test_verdicts_are_configurable_and_recipient_count_is_limited():
    assert check({"to": ["bo@other.org"]}, outside_recipient="review").verdict is Verdict.REVIEW
    many = {"to": [f"p{i}@acme.com" for i in range(12)]}
    outcome = check(many, allowed_domains=["acme.com"], max_recipients=10)
    assert outcome.verdict is Verdict.REVIEW and outcome.reasons == ("12 recipients, more than 10",)


def test_declared_field_rules():
    rules = [
        {"field": "amount", "max": 10000},
        {"field": "stage", "one_of": ["qualify", "propose", "negotiate"]},
        {"field": "owner", "required": True, "pattern": r"[a-z]+@ourco\.com"},
        {"field": "tags", "none_of": ["delete-all"], "verdict": "review"},
    ]
    good = {"amount": 9000, "stage": "propose", "owner": "kim@ourco.com", "tags": ["q3"]}
    assert check(good, rules=rules).verdict is Verdict.ALLOW
    bad = {"amount": 250000, "stage": "closed-won", "tags": ["q3", "delete-all"]}
    outcome = check(bad, rules=rules)
    assert outcome.verdict is Verdict.BLOCK
    assert set(outcome.reasons) == {
        "amount: 250000 is above the maximum 10000",
        "stage: 'closed-won' is not one of ['qualify', 'propose', 'negotiate']",
        "owner: is required but missing",
        "tags.1: 'delete-all' is not allowed",
    }
    assert check({"amount": "lots"}, rules=[{"field": "amount", "min": 0}]).reasons == (
        "amount: 'lots' is not a number",
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"outside_recipient": "deny"}, ("outside_recipient",)),
        ({"internal_record_patterns": ["("]}, ("internal_record_patterns",)),
        ({"rules": [{"field": "x", "pattern": "["}]}, ("rules", 0, "pattern")),
        ({"rules": [{"feild": "x"}]}, ("rules", 0, "field")),
        ({"max_recipients": 0}, ("max_recipients",)),
    ],
)
def test_bad_params_name_the_field(params, field):
    with pytest.raises(ValidationError) as caught:
        PolicyParams.model_validate(params)
    assert caught.value.errors()[0]["loc"] == field


@pytest.mark.parametrize(
    ("to", "offender"),
    [
        ("ana.lopez@acme.com; Ana Lopez <ana@acme.com.evil.io>", "ana@acme.com.evil.io"),
        ('"ana.lopez@acme.com" <drop@evil.io>', "drop@evil.io"),  # display name dressed as a contact
        ("ana.lopez@acme.com <drop@evil.io>", "drop@evil.io"),
    ],
)
def test_recipient_strings_are_parsed_like_a_mail_client_would(to, offender):
    outcome = check({"to": to}, CRM, **FROM_CRM)
    assert outcome.verdict is Verdict.BLOCK
    assert any(offender in reason for reason in outcome.reasons)
    assert offender in [to[s.start : s.end] for s in outcome.spans]


# Recipients tried by the attack suite (examples/attacks, tests/e2e/test_attack_suite.py).
@pytest.mark.parametrize(
    "address",
    [
        "ana.lopez@acrne.com",  # rn for m
        "ana.lopez@acme-com.io",
        "ANA.LOPEZ@ACME.COM.EVIL.IO",
        "ana.lopez@\u0430cme.com",  # Cyrillic a
        "ana.lopez@\uff41cme.com",  # full-width a
        "ana.lopez@acme.com\u200b.evil.io",  # zero-width space inside the domain
        '"ana.lopez@acme.com"@evil.io',  # quoted local part that looks like a contact
        "Ana Lopez <exfil@evil.io>, Ana <ana.lopez@acme.com>",  # display name carrying a second mailbox
    ],
)
def test_disguised_outside_recipients_are_outside(address):
    outcome = check({"to": ["ana.lopez@acme.com", address]}, CRM, **FROM_CRM)
    assert outcome.verdict is Verdict.BLOCK, outcome.reasons
    assert all(s.field == "to.1" for s in outcome.spans)


# ---- issue 18 (evaluation/frozen/policy): an account on an internationalised domain. Its
# ---- contacts were refused as "not an email address"; IDN domains are compared as A-labels.
IDN_CRM = {
    "crm": {
        "account": {"name": "Müller Bau", "domain": "müller-bau.example"},
        "contacts": [{"name": "Jürgen Müller", "email": "Jürgen.Müller@müller-bau.example"}],
    }
}


@pytest.mark.parametrize(
    "to",
    [
        "jürgen.müller@müller-bau.example",  # the contact, as in the CRM but lower case
        "Petra Schäfer <petra.schaefer@Müller-Bau.example>",  # the account's domain, another case
        "einkauf@xn--mller-bau-q9a.example",  # the same domain written as its A-label
        "einkauf@werk2.müller-bau.example",  # a subdomain
        "jüergen@mu\u0308ller-bau.example",  # ü written as u + combining diaeresis (NFC is the same name)
    ],
)
def test_contacts_and_domain_of_an_internationalised_account_are_allowed(to):
    outcome = check({"to": [to]}, IDN_CRM, **FROM_CRM)
    assert outcome.verdict is Verdict.ALLOW, outcome.reasons


@pytest.mark.parametrize(
    "address",
    [
        "einkauf@mueller-bau.example",  # transliterated: another domain
        "einkauf@muller-bau.example",
        "einkauf@müller-bau.example.evil.io",
        "einkauf@müIler-bau.example",  # capital I for l
        "einkauf@ｍüller-bau.example",  # full-width m: reads as the domain only after mapping
        "einkauf@m\u00fcller\u200b-bau.example",  # zero-width space inside
    ],
)
def test_look_alikes_of_an_internationalised_domain_are_outside(address):
    outcome = check({"to": ["einkauf@müller-bau.example", address]}, IDN_CRM, **FROM_CRM)
    assert outcome.verdict is Verdict.BLOCK, outcome.reasons
    assert [s.field for s in outcome.spans] == ["to.1"]


def test_a_recipient_on_an_internationalised_domain_is_named_as_written():
    outcome = check({"to": ["bo@bäckerei.example"]}, IDN_CRM, **FROM_CRM)
    assert outcome.reasons == ("recipient bo@bäckerei.example in to.0 is not an allowed contact or domain",)
