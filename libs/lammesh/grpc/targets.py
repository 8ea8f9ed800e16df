"""Where a gRPC client connects: one address setting to one gRPC target (pure, no I/O).

An address is `host:port` (gRPC's default DNS resolver: every address the name resolves to, e.g.
a headless Kubernetes Service, is one replica), a resolver URI (`dns:///name:port`,
`ipv4:10.0.0.1:50051,10.0.0.2:50051`, `unix:/path`), or several `ip:port` joined by commas (one
replica each). Channels balance calls round-robin over the replicas (lammesh.grpc.client).
"""

from __future__ import annotations

import ipaddress

_SCHEMES = ("dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:", "vsock:")


def grpc_target(address: str) -> str:
    """The gRPC target for `address`; ValueError saying what is wrong with it."""
    address = address.strip()
    if not address:
        raise ValueError("is empty (expected host:port)")
    if address.startswith(_SCHEMES) or "://" in address:
        return address
    parts = [part.strip() for part in address.split(",")]
    if len(parts) == 1:
        _host_port(parts[0])
        return parts[0]
    families = set()
    literals = []
    for part in parts:
        host, port = _host_port(part)
        if host == "localhost":
            host = "127.0.0.1"
        try:
            ip = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            raise ValueError(
                f"{part!r}: several addresses must be IP literals (ip:port,ip:port); for host names use one "
                "name that resolves to every replica (a headless Service: name:port or dns:///name:port)"
            ) from None
        families.add(ip.version)
        literals.append(f"{ip}:{port}" if ip.version == 4 else f"[{ip}]:{port}")
    if len(families) > 1:
        raise ValueError(f"{address!r}: mixes IPv4 and IPv6 addresses; use one family")
    return f"ipv{families.pop()}:{','.join(literals)}"


def _host_port(part: str) -> tuple[str, int]:
    host, sep, port = part.rpartition(":")
    if not sep or not host:
        raise ValueError(f"{part!r}: expected host:port")
    try:
        number = int(port)
    except ValueError:
        raise ValueError(f"{part!r}: port {port!r} is not a number") from None
    if not 0 < number < 65536:
        raise ValueError(f"{part!r}: port {number} is out of range")
    return host, number
