"""gRPC client side: one way to open a channel — TLS (and mTLS) when the settings say so — and
channels that carry the caller's trace context in the call metadata."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc

from lammesh import tracing
from lammesh.settings import Settings


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


def uses_tls(settings: Settings) -> bool:
    """Clients speak TLS when a CA to verify servers against is configured."""
    return settings.grpc_tls_ca is not None


def client_credentials(settings: Settings) -> grpc.ChannelCredentials:
    """Verify the server against grpc_tls_ca; present grpc_tls_cert/key (for mTLS) when set."""
    return grpc.ssl_channel_credentials(
        root_certificates=_read(settings.grpc_tls_ca, "grpc_tls_ca"),
        private_key=_read(settings.grpc_tls_key, "grpc_tls_key"),
        certificate_chain=_read(settings.grpc_tls_cert, "grpc_tls_cert"),
    )


def channel_options(settings: Settings) -> list[tuple[str, Any]]:
    options: list[tuple[str, Any]] = [
        ("grpc.max_receive_message_length", settings.grpc_max_message_bytes),
        ("grpc.max_send_message_length", settings.grpc_max_message_bytes),
    ]
    if uses_tls(settings) and settings.grpc_tls_server_name:
        options.append(("grpc.ssl_target_name_override", settings.grpc_tls_server_name))
    return options


def channel(target: str, settings: Settings) -> grpc.aio.Channel:
    """An asyncio channel to `target`: TLS/mTLS per the settings, else plaintext; trace context
    travels with every call. Every client in the mesh opens its channels here."""
    interceptors = [TraceContextInterceptor()]
    if uses_tls(settings):
        return grpc.aio.secure_channel(target, client_credentials(settings), options=channel_options(settings), interceptors=interceptors)
    return grpc.aio.insecure_channel(target, options=channel_options(settings), interceptors=interceptors)


def sync_channel(target: str, settings: Settings) -> grpc.Channel:
    """The blocking twin of `channel` (used where no event loop runs, e.g. `lammesh up`)."""
    if uses_tls(settings):
        return grpc.secure_channel(target, client_credentials(settings), options=channel_options(settings))
    return grpc.insecure_channel(target, options=channel_options(settings))



class NotServing(RuntimeError):
    """A service did not report SERVING: it exited, or the time ran out."""


async def wait_serving(channel: grpc.aio.Channel, *, exited: Callable[[], str | None], timeout: float, name: str) -> None:
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
