"""gRPC client side: channels that carry the caller's trace context in the call metadata."""

from __future__ import annotations

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


def insecure_channel(target: str, settings: Settings) -> grpc.aio.Channel:
    options = [
        ("grpc.max_receive_message_length", settings.grpc_max_message_bytes),
        ("grpc.max_send_message_length", settings.grpc_max_message_bytes),
    ]
    return grpc.aio.insecure_channel(target, options=options, interceptors=[TraceContextInterceptor()])
