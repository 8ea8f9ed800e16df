"""Seeding the CRM with accounts: the development CRM of `lammesh up` (`lammesh crm seed`), the
demo, the bench and the chaos run all seed through here.

The sample accounts are examples/meetings/crm_seed.json, the customers of the sample meetings.
A seed file is validated before anything is written (a bad one is refused naming the field), and
seeding is idempotent: an account whose domain is in the database already is left as it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.engine import make_url

from lammesh_services.tools.crm.store import CrmStore

SAMPLE_SEED = Path(__file__).resolve().parents[3] / "examples" / "meetings" / "crm_seed.json"


class SeedError(ValueError):
    """A seed file that cannot be read or does not have the shape of a seed."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SeedContact(_Strict):
    name: str = Field(min_length=1)
    email: str = Field(min_length=3, pattern=r"^[^@\s]+@[^@\s]+$")
    role: str = ""


class SeedOpportunity(_Strict):
    name: str = Field(min_length=1)
    stage: str = Field(min_length=1)
    amount: float = 0
    next_step: str = ""
    sentiment: str = ""
    risks: list[str] = []


class SeedAccount(_Strict):
    name: str = Field(min_length=1)
    domain: str = Field(min_length=1)
    contacts: list[SeedContact] = []
    opportunities: list[SeedOpportunity] = []


class CrmSeed(_Strict):
    accounts: list[SeedAccount]


def validate_seed(data: Any, source: str = "seed") -> dict[str, Any]:
    """The seed as plain data, or SeedError naming the offending field (`accounts.1.domain`)."""
    try:
        return CrmSeed.model_validate(data).model_dump()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors())
        raise SeedError(f"{source}: {problems}") from None


def load_seed(path: Path = SAMPLE_SEED) -> dict[str, Any]:
    """Read and validate a seed file (JSON: {"accounts": [...]}); the sample accounts by default."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise SeedError(f"cannot read the CRM seed {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SeedError(f"{path} is not valid JSON: {exc}") from None
    return validate_seed(data, str(path))


@dataclass(frozen=True)
class SeedResult:
    added: list[str]
    """Domains of the accounts written now."""
    present: list[str]
    """Domains that were there already (left as they are)."""


def seed_store(store: CrmStore, data: dict[str, Any]) -> SeedResult:
    seed = validate_seed(data)
    added = store.seed(seed)
    domains = [account["domain"].lower() for account in seed["accounts"]]
    return SeedResult(added=added, present=[d for d in domains if d not in added])


def seed_database(url: str, data: dict[str, Any] | None = None) -> SeedResult:
    """Seed the CRM at `url` (created when missing) with `data`, the sample accounts by default."""
    seed = load_seed() if data is None else validate_seed(data)  # refused before the database is touched
    store = CrmStore(url)
    try:
        return seed_store(store, seed)
    finally:
        store.close()


def resolve_sqlite_url(url: str, base: Path) -> str:
    """A SQLite URL with a relative file made absolute against `base` (the folder the service
    runs in); any other URL as it is."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or database in (None, "", ":memory:") or Path(database).is_absolute():
        return url
    return parsed.set(database=str(base / database)).render_as_string(hide_password=False)
