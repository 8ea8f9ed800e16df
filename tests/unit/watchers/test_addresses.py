"""lammesh.watchers.addresses: domains compared as written, internationalised ones as A-labels,
disguised ones refused."""

from __future__ import annotations

import idna
import pytest

from lammesh.watchers.addresses import (
    canonical_address,
    canonical_domain,
    canonical_domains,
    domain_allowed,
    strings_at,
)


@pytest.mark.parametrize(
    ("domain", "canonical"),
    [
        ("Acme.COM", "acme.com"),
        ("müller-bau.example", idna.encode("müller-bau.example").decode()),
        ("Müller-Bau.example", idna.encode("müller-bau.example").decode()),
        ("mu\u0308ller-bau.example", idna.encode("müller-bau.example").decode()),  # decomposed ü
        ("XN--MLLER-BAU-Q9A.example", "xn--mller-bau-q9a.example"),
        ("straße.example", idna.encode("straße.example").decode()),  # IDNA 2008: not strasse
    ],
)
def test_canonical_domain(domain, canonical):
    assert canonical_domain(domain) == canonical


def test_sharp_s_is_not_ss_and_a_cyrillic_a_is_not_a_latin_one():
    assert canonical_domain("straße.example") != canonical_domain("strasse.example")
    assert canonical_domain("\u0430cme.com") not in (None, "acme.com")


@pytest.mark.parametrize(
    "domain", ["\uff41cme.com", "acme\u200b.com", "localhost", "10.0.0.1", "a_b.com", "-acme.com", "acme.com.", ""]
)
def test_what_is_not_a_domain_as_written(domain):
    assert canonical_domain(domain) is None


def test_addresses_and_allowed_domains():
    assert canonical_address("Jürgen.Müller@Müller-Bau.example") == "jürgen.müller@" + canonical_domain(
        "müller-bau.example"
    )
    assert canonical_address('"x"@acme.com') is None and canonical_address("a..b@acme.com") is None
    allowed = canonical_domains(["@Acme.com", "ana@müller-bau.example", "not a domain"])
    assert allowed == {"acme.com", canonical_domain("müller-bau.example")}
    assert domain_allowed("eu.acme.com", allowed) and not domain_allowed("evilacme.com", allowed)


def test_strings_at_reads_strings_keys_or_every_string():
    sources = {"crm": {"contacts": [{"email": "a@x.io", "phone": "+1 415 555 0132"}, "b@x.io"]}}
    assert strings_at(sources, "crm.contacts", "email") == ["a@x.io", "b@x.io"]
    assert strings_at(sources, "crm.contacts") == ["a@x.io", "+1 415 555 0132", "b@x.io"]
    assert strings_at(sources, "crm.account") is None
