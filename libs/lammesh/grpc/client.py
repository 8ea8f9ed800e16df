"""gRPC client side: one way to open a channel — TLS (and mTLS) when the settings say so — and
channels that carry the caller's trace context in the call metadata.

Every channel rides out a replica's restart (docs/decisions/0632): calls are balanced round-robin
over every address of the target (several ip:port, or a name resolving to every replica, like a
headless Service), a call that fails UNAVAILABLE is retried by gRPC itself (the retry policy in
the service config: up to 5 tries, exponential backoff with jitter, within the call's deadline),
and a channel reconnects within grpc_reconnect_backoff_max_ms of a replica coming back.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc

from lammesh import tracing
from lammesh.grpc.targets import grpc_target
from lammesh.settings import GrpcSettings


def _with_trace(details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
    carrier = tracing.current_trace_context()
    if not carrier:
        return details
    metadata = grpc.aio.Metadata(*(details.metadata or ()))
    for key, value in carrier.items():
        metadata[key] = value
    return details._replace(metadata=metadata)


class TraceContextInterceptor(grpc.aio.UnaryUnaryClientInterceptor, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_unary(self, continuation, client_call_details, request) -> Any:  # type: ignore[override]
        return await continuation(_with_trace(client_call_details), request)

    async def intercept_unary_stream(self, continuation, client_call_details, request) -> Any:  # type: ignore[override]
        return await continuation(_with_trace(client_call_details), request)


def _read(path: Path | None, setting: str) -> bytes | None:
    if path is None:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(f"{setting}: cannot read {path}: {exc.strerror}") from None


def uses_tls(settings: GrpcSettings) -> bool:
    """Clients speak TLS when a CA to verify servers against is configured."""
    return settings.grpc_tls_ca is not None


def client_credentials(settings: GrpcSettings) -> grpc.ChannelCredentials:
    """Verify the server against grpc_tls_ca; present grpc_tls_cert/key (for mTLS) when set."""
    return grpc.ssl_channel_credentials(
        root_certificates=_read(settings.grpc_tls_ca, "grpc_tls_ca"),
        private_key=_read(settings.grpc_tls_key, "grpc_tls_key"),
        certificate_chain=_read(settings.grpc_tls_cert, "grpc_tls_cert"),
    )


def service_config(settings: GrpcSettings, *, retry: bool = True, health_service: str | None = None) -> dict[str, Any]:
    """Round-robin over the replicas; with `retry`, UNAVAILABLE retried with backoff. With
    `health_service`, a replica is picked only while it reports SERVING for that name (client-side
    health checking: one that is starting or draining gets no calls)."""
    config: dict[str, Any] = {"loadBalancingConfig": [{"round_robin": {}}]}
    if retry:
        config["methodConfig"] = [
            {
                "name": [{}],  # every method
                "retryPolicy": {
                    "maxAttempts": 5,  # gRPC's own cap
                    "initialBackoff": f"{settings.grpc_retry_initial_backoff_ms / 1000:.3f}s",
                    "maxBackoff": f"{settings.grpc_retry_max_backoff_ms / 1000:.3f}s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    if health_service is not None:
        config["healthCheckConfig"] = {"serviceName": health_service}
    return config


def channel_options(
    settings: GrpcSettings, *, retry: bool = True, health_service: str | None = None
) -> list[tuple[str, Any]]:
    reconnect_max = settings.grpc_reconnect_backoff_max_ms
    options: list[tuple[str, Any]] = [
        ("grpc.max_receive_message_length", settings.grpc_max_message_bytes),
        ("grpc.max_send_message_length", settings.grpc_max_message_bytes),
        ("grpc.service_config", json.dumps(service_config(settings, retry=retry, health_service=health_service))),
        ("grpc.enable_retries", 1),
        ("grpc.initial_reconnect_backoff_ms", min(100, reconnect_max)),
        ("grpc.max_reconnect_backoff_ms", reconnect_max),
        # Look the name up again soon after a replica went away (a rolling update's new pods).
        ("grpc.dns_min_time_between_resolutions_ms", 1000),
    ]
    if uses_tls(settings) and settings.grpc_tls_server_name:
        options.append(("grpc.ssl_target_name_override", settings.grpc_tls_server_name))
    return options


def channel(
    target: str, settings: GrpcSettings, *, retry: bool = True, health_service: str | None = None
) -> grpc.aio.Channel:
    """An asyncio channel to `target` (an address as lammesh.grpc.targets reads it): TLS/mTLS per
    the settings, else plaintext; trace context travels with every call. Every client in the
    mesh opens its channels here. `retry=False` for a caller that retries itself (the watcher
    client: gRPC's retries, run into the deadline, end DEADLINE_EXCEEDED and hide the cause)."""
    interceptors = [TraceContextInterceptor()]
    resolved = grpc_target(target)
    options = channel_options(settings, retry=retry, health_service=health_service)
    if uses_tls(settings):
        return grpc.aio.secure_channel(
            resolved, client_credentials(settings), options=options, interceptors=interceptors
        )
    return grpc.aio.insecure_channel(resolved, options=options, interceptors=interceptors)


def sync_channel(target: str, settings: GrpcSettings) -> grpc.Channel:
    """The blocking twin of `channel` (used where no event loop runs, e.g. `lammesh up`)."""
    resolved = grpc_target(target)
    if uses_tls(settings):
        return grpc.secure_channel(resolved, client_credentials(settings), options=channel_options(settings))
    return grpc.insecure_channel(resolved, options=channel_options(settings))


class NotServing(RuntimeError):
    """A service did not report SERVING: it exited, or the time ran out."""


async def wait_serving(
    channel: grpc.aio.Channel, *, exited: Callable[[], str | None], timeout: float, name: str
) -> None:
    """Poll grpc.health.v1 on `channel` until the server is SERVING. `exited` returns why the
    service's process is gone (None while it runs), so a crash is reported at once, not at timeout."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    health = health_pb2_grpc.HealthStub(channel)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        why = exited()
        if why is not None:
            raise NotServing(f"{name} {why}")
        try:
            reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return
        except grpc.aio.AioRpcError:
            pass
        await asyncio.sleep(0.2)
    raise NotServing(f"{name} did not become SERVING within {timeout:.0f}s")
