"""Services whose manifests are written ahead of their catalogue entries.

The coordinator, the gateway and the watchers are being built in parallel with k8s/; until each
joins `services/catalogue.py`, the k8s tests use the spec below for its manifests. Once it is in
the catalogue, the catalogue's spec wins (so a changed kind, capability or latency_critical flag
there makes the manifests fail the tests until they follow). An entry here that is already in the
catalogue is harmless and can be deleted.
"""

from __future__ import annotations

from lammesh.catalogue import ServiceKind, ServiceSpec, load_services

_NOT_YET = "(not in the service catalogue yet)"

UPCOMING: dict[str, ServiceSpec] = {
    spec.name: spec
    for spec in (
        ServiceSpec("coordinator", ServiceKind.COORDINATOR, _NOT_YET),
        ServiceSpec("gateway", ServiceKind.GATEWAY, _NOT_YET),
        ServiceSpec("injection", ServiceKind.WATCHER, _NOT_YET, latency_critical=True),
        ServiceSpec("grounding", ServiceKind.WATCHER, _NOT_YET, latency_critical=True),
        ServiceSpec("pii", ServiceKind.WATCHER, _NOT_YET),
        ServiceSpec("policy", ServiceKind.WATCHER, _NOT_YET),
        ServiceSpec("loop", ServiceKind.WATCHER, _NOT_YET),
    )
}


def catalogue() -> dict[str, ServiceSpec]:
    """The service catalogue as `lammesh run` sees it."""
    return load_services()


def expected_services() -> dict[str, ServiceSpec]:
    """Every service the manifests should deploy: the catalogue, plus the upcoming ones."""
    return {**UPCOMING, **catalogue()}
