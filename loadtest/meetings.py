"""The sample meetings (examples/meetings) as many independent tasks, for the bench and chaos runs.

Each task gets its own account domain (`t00042-acme.example`), so concurrent tasks never update the
same CRM rows and "the CRM as before" has one right answer per task; `crm_seed` seeds those
accounts from the sample seed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lammesh_services.tools.crm.seed import load_seed

MEETINGS = Path(__file__).resolve().parents[1] / "examples" / "meetings"
META_FIELDS = {"expected", "expected_failed_step", "note", "meeting_id"}  # about the sample, not task input


def sample(stem: str) -> dict[str, Any]:
    return json.loads((MEETINGS / f"{stem}.json").read_text())


def own_domain(index: int, domain: str) -> str:
    return f"t{index:05d}-{domain}"


def task_input(meeting: dict[str, Any], domain: str) -> dict[str, Any]:
    """The meeting as a task's input, every mention of its account domain replaced by `domain`."""
    text = json.dumps({k: v for k, v in meeting.items() if k not in META_FIELDS})
    return json.loads(text.replace(meeting["account_domain"], domain))


def crm_seed(domains: Iterable[str]) -> dict[str, Any]:
    """Accounts for `own_domain` domains, each a copy of the sample seed's account for the domain
    it was made from; a domain whose sample account is not in the seed is left out."""
    seed = load_seed()
    by_domain = {a["domain"]: a for a in seed["accounts"]}
    accounts = []
    for domain in domains:
        base = domain.split("-", 1)[1]
        if base in by_domain:
            accounts.append(json.loads(json.dumps(by_domain[base]).replace(base, domain)))
    return {"accounts": accounts}
