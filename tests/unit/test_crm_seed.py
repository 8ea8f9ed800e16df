"""Seeding the CRM (lammesh_services.tools.crm.seed): a bad seed is refused naming the field before
anything is written; seeding twice changes nothing; relative SQLite files follow the service's folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lammesh_services.tools.crm.seed import SAMPLE_SEED, SeedError, load_seed, resolve_sqlite_url, seed_database
from lammesh_services.tools.crm.store import CrmStore


def test_the_sample_seed_is_valid_and_names_the_sample_meetings_accounts():
    domains = [a["domain"] for a in load_seed()["accounts"]]
    assert domains == ["acme.example", "globex.example", "umbrella.example"]
    meeting = json.loads((SAMPLE_SEED.parent / "01-acme-proposal.json").read_text())
    assert meeting["account_domain"] in domains


def test_seeding_twice_adds_the_accounts_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    first = seed_database(url)
    assert first.added == ["acme.example", "globex.example", "umbrella.example"] and first.present == []
    second = seed_database(url)
    assert second.added == [] and second.present == first.added
    store = CrmStore(url)
    try:
        snapshot = store.snapshot()
    finally:
        store.close()
    assert len(snapshot["accounts"]) == 3 and len(snapshot["opportunities"]) == 3
    assert {o["version"] for o in snapshot["opportunities"]} == {1}


@pytest.mark.parametrize(
    "data, field",
    [
        ({"accounts": [{"name": "Acme"}]}, "accounts.0.domain: Field required"),
        (
            {"accounts": [{"name": "Acme", "domain": "acme.example", "contacts": [{"name": "Ana", "email": "nope"}]}]},
            "accounts.0.contacts.0.email",
        ),
        (
            {
                "accounts": [
                    {
                        "name": "A",
                        "domain": "a.example",
                        "opportunities": [{"name": "o", "stage": "x", "amount": "lots"}],
                    }
                ]
            },
            "accounts.0.opportunities.0.amount",
        ),
        ({"acounts": []}, "accounts: Field required"),
    ],
)
def test_a_bad_seed_is_refused_naming_the_field_and_writes_nothing(tmp_path, data, field):
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    with pytest.raises(SeedError) as refused:
        seed_database(url, data)
    assert field in str(refused.value)
    assert not (tmp_path / "crm.sqlite3").exists()


def test_an_unreadable_or_malformed_seed_file_says_which(tmp_path):
    with pytest.raises(SeedError, match="cannot read the CRM seed .*missing.json"):
        load_seed(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"accounts": [')
    with pytest.raises(SeedError, match="broken.json is not valid JSON"):
        load_seed(broken)


def test_relative_sqlite_files_resolve_against_the_services_folder():
    base = Path("/srv/mesh")
    assert resolve_sqlite_url("sqlite:///.run/state/crm.sqlite3", base) == "sqlite:////srv/mesh/.run/state/crm.sqlite3"
    assert resolve_sqlite_url("sqlite:////abs/crm.sqlite3", base) == "sqlite:////abs/crm.sqlite3"
    assert resolve_sqlite_url("sqlite://", base) == "sqlite://"
    assert resolve_sqlite_url("postgresql://u:p@db/crm", base) == "postgresql://u:p@db/crm"
