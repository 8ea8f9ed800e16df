"""Service identities and who may call what (pure: no I/O; docs/decisions/0680).

An identity is a SPIFFE-style URI in the certificate's subject alternative names:
`spiffe://lammesh.local/ns/<namespace>/sa/<service>` (trust domain `lammesh.local`, namespace
`lammesh` by default, the catalogue's service name as the service account). The gRPC server
interceptor (lammesh.grpc.authz) reads it from the peer certificate and asks `authorise`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

TRUST_DOMAIN = "lammesh.local"
DEFAULT_NAMESPACE = "lammesh"

OPEN_METHOD_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")
"""Reachable by any peer that passed TLS (decision 0600: probes, tooling)."""

CALLERS: Mapping[str, tuple[str, ...]] = {
    # only the coordinator executes (and compensates) steps on agents and tools
    "/lammesh.v1.StepService/": ("coordinator",),
    # watchers check for the coordinator (steps) and the gateway (reviews)
    "/lammesh.v1.WatcherService/": ("coordinator", "gateway"),
}
"""Method prefix -> services allowed to call it. The gateway's user-facing services are not here:
under TLS without client certificates it serves users, who authenticate with bearer tokens (0601)."""


def spiffe_id(service: str, namespace: str = DEFAULT_NAMESPACE, trust_domain: str = TRUST_DOMAIN) -> str:
    if not service or "/" in service or not namespace or "/" in namespace:
        raise ValueError(f"service and namespace must be non-empty names without '/', not {service!r}, {namespace!r}")
    return f"spiffe://{trust_domain}/ns/{namespace}/sa/{service}"


def service_of(uri: str, trust_domain: str = TRUST_DOMAIN) -> str | None:
    """The service an identity URI names, or None when it is not one of this trust domain's."""
    prefix = f"spiffe://{trust_domain}/ns/"
    if not uri.startswith(prefix):
        return None
    parts = uri[len(prefix) :].split("/")
    if len(parts) != 3 or parts[1] != "sa" or not parts[0] or not parts[2]:
        return None
    return parts[2]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    caller: str | None
    """The caller's service name (None: its certificate names no identity of the trust domain)."""
    allowed_callers: tuple[str, ...] | None = None
    """Who may call the method; None: anyone who passed TLS."""

    @property
    def reason(self) -> str:
        if self.allowed:
            return "allowed"
        who = self.caller if self.caller is not None else "a caller without a lammesh identity"
        return f"{who} may not call this method; allowed callers: {', '.join(self.allowed_callers or ())}"


def allowed_callers(method: str, callers: Mapping[str, tuple[str, ...]] = CALLERS) -> tuple[str, ...] | None:
    if method.startswith(OPEN_METHOD_PREFIXES):
        return None
    for prefix, services in callers.items():
        if method.startswith(prefix):
            return services
    return None


def authorise(
    caller_uris: tuple[str, ...],
    method: str,
    callers: Mapping[str, tuple[str, ...]] = CALLERS,
    trust_domain: str = TRUST_DOMAIN,
) -> Decision:
    """May the peer whose certificate holds `caller_uris` call `method`?"""
    names = [name for uri in caller_uris if (name := service_of(uri, trust_domain)) is not None]
    caller = names[0] if len(names) == 1 else None  # two identities in one certificate: none trusted
    allowed = allowed_callers(method, callers)
    if allowed is None:
        return Decision(True, caller)
    return Decision(caller in allowed, caller, allowed)
