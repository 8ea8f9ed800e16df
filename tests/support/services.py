"""The catalogue's bootstraps by service name, for tests that start one service in-process.

Agents and tools have no bootstrap module: their catalogue entry names the handler class and
`ServiceSpec.load()` wires it (decision 0410)."""

from __future__ import annotations

from collections.abc import Callable

from lammesh.catalogue import load_services
from lammesh.service import ServiceRuntime
from lammesh.settings import Settings

Bootstrap = Callable[[Settings], ServiceRuntime]


_CATALOGUE = load_services()


def bootstrap_of(name: str) -> Bootstrap:
    return _CATALOGUE[name].load()


noop = bootstrap_of("noop")
crm = bootstrap_of("crm")
email = bootstrap_of("email")
notes = bootstrap_of("notes")
insights = bootstrap_of("insights")
followup = bootstrap_of("followup")
