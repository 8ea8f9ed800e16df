"""gRPC aio server bootstrap: health, reflection, one interceptor for logs, metrics, traces, errors."""

from __future__ import annotations

import inspect
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import grpc
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from lammesh import metrics, tracing
from lammesh.errors import InvalidArgument, ResourceExhausted, ServiceError, invalid_argument_from
from lammesh.grpc.authz import AuthorisationInterceptor
from lammesh.grpc.retry_info import retry_trailers
from lammesh.settings import GrpcSettings

log = structlog.get_logger(__name__)

_QUIET_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")


def _carrier(metadata: Any) -> dict[str, str]:
    return {key: value for key, value in (metadata or ()) if isinstance(value, str)}


class ObservabilityInterceptor(grpc.aio.ServerInterceptor):
    """Per call: a server span from the caller's trace context, a log line, metrics, and the
    mapping of ServiceError / pydantic ValidationError to status codes (INTERNAL for the rest)."""

    async def intercept_service(self, continuation, handler_call_details):  # type: ignore[override]
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        quiet = method.startswith(_QUIET_PREFIXES)
        deserializer = _lenient(handler.request_deserializer)
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap_unary(method, handler.unary_unary, quiet),
                request_deserializer=deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(method, handler.unary_stream, quiet),
                request_deserializer=deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler

    def _wrap_unary(self, method: str, behavior: Callable, quiet: bool) -> Callable:
        async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
            started = time.perf_counter()
            parent = tracing.context_from(_carrier(context.invocation_metadata()))
            in_flight = metrics.RPCS_IN_FLIGHT.labels(method)
            in_flight.inc()
            with tracing.tracer().start_as_current_span(method, context=parent, kind=SpanKind.SERVER):
                try:
                    if (bad := _undecodable(request)) is not None:
                        raise bad
                    return await behavior(request, context)
                except Exception as exc:
                    await _abort_for(exc, context, method)
                finally:  # also when the call is cancelled: its deadline passed, or the client left
                    in_flight.dec()
                    _observe(method, context, started, quiet)

        return call

    def _wrap_stream(self, method: str, behavior: Callable, quiet: bool) -> Callable:
        if not inspect.isasyncgenfunction(behavior):
            # A handler that streams with `await context.write(...)` (grpc.health.v1's Watch,
            # which clients' health checking uses) rather than by yielding.
            return self._wrap_unary(method, behavior, quiet)

        async def call(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            started = time.perf_counter()
            parent = tracing.context_from(_carrier(context.invocation_metadata()))
            in_flight = metrics.RPCS_IN_FLIGHT.labels(method)
            in_flight.inc()
            with tracing.tracer().start_as_current_span(method, context=parent, kind=SpanKind.SERVER):
                try:
                    if (bad := _undecodable(request)) is not None:
                        raise bad
                    async for response in behavior(request, context):
                        yield response
                except Exception as exc:
                    await _abort_for(exc, context, method)
                finally:  # also when the call is cancelled: its deadline passed, or the client left
                    in_flight.dec()
                    _observe(method, context, started, quiet)

        return call


class _Undecodable:
    """A request whose bytes are not the method's message (e.g. a string field that is not UTF-8)."""

    def __init__(self, message_type: str, error: Exception) -> None:
        self.message_type = message_type
        self.error = error


def _lenient(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    """gRPC answers a request its deserializer cannot parse with UNKNOWN; this one hands the
    method a marker instead, which the wrapper answers with INVALID_ARGUMENT."""
    if deserializer is None:
        return None
    message_class = getattr(deserializer, "__self__", None)  # Message.FromString is a classmethod
    message_type = getattr(getattr(message_class, "DESCRIPTOR", None), "full_name", "request message")

    def parse(raw: bytes) -> Any:
        try:
            return deserializer(raw)
        except Exception as exc:  # protobuf's DecodeError, or a UnicodeDecodeError from the runtime
            return _Undecodable(message_type, exc)

    return parse


def _undecodable(request: Any) -> InvalidArgument | None:
    if not isinstance(request, _Undecodable):
        return None
    problem = str(request.error).rpartition(": ")[2] or type(request.error).__name__  # "String field had bad UTF-8"
    return InvalidArgument("request", f"cannot be decoded as {request.message_type}: {problem}")


async def _abort_for(exc: Exception, context: grpc.aio.ServicerContext, method: str) -> None:
    if isinstance(exc, grpc.aio.AbortError):
        raise exc
    if isinstance(exc, ValidationError):
        exc = invalid_argument_from(exc)
    if isinstance(exc, ResourceExhausted) and exc.retry_after_s is not None:
        await context.abort(
            exc.code, exc.message, trailing_metadata=retry_trailers(exc.code, exc.message, exc.retry_after_s)
        )
    if isinstance(exc, ServiceError):
        await context.abort(exc.code, exc.message)
    log.exception("rpc failed", method=method)
    await context.abort(grpc.StatusCode.INTERNAL, f"internal error: {type(exc).__name__}")


def _observe(method: str, context: grpc.aio.ServicerContext, started: float, quiet: bool) -> None:
    elapsed = time.perf_counter() - started
    code = context.code() or grpc.StatusCode.OK
    code_name = code.name if isinstance(code, grpc.StatusCode) else str(code)
    metrics.RPCS.labels(method, code_name).inc()
    metrics.RPC_SECONDS.labels(method).observe(elapsed)
    if not quiet:
        log.debug("rpc", method=method, code=code_name, ms=round(elapsed * 1000, 3))


def _read(path: Path, setting: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(f"{setting}: cannot read {path}: {exc.strerror}") from None


def server_credentials(settings: GrpcSettings) -> grpc.ServerCredentials | None:
    """TLS credentials from the PEM files in the settings (mounted Secrets in Kubernetes); None
    when no certificate is configured (plaintext). With grpc_mtls, clients must present a
    certificate that grpc_tls_ca signed."""
    if settings.grpc_tls_cert is None or settings.grpc_tls_key is None:
        return None
    return grpc.ssl_server_credentials(
        [(_read(settings.grpc_tls_key, "grpc_tls_key"), _read(settings.grpc_tls_cert, "grpc_tls_cert"))],
        root_certificates=_read(settings.grpc_tls_ca, "grpc_tls_ca") if settings.grpc_tls_ca else None,
        require_client_auth=settings.grpc_mtls,
    )


class GrpcServer:
    """A grpc.aio server with the standard health service and server reflection.

    Health starts NOT_SERVING for the overall server ("") and every registered service; the owner
    flips it with `set_serving` when its dependencies (e.g. the Kafka consumer) are ready.
    """

    def __init__(self, settings: GrpcSettings) -> None:
        self._settings = settings
        options = [
            ("grpc.max_receive_message_length", settings.grpc_max_message_bytes),
            ("grpc.max_send_message_length", settings.grpc_max_message_bytes),
            ("grpc.so_reuseport", 0),
        ]
        interceptors: list[grpc.aio.ServerInterceptor] = [ObservabilityInterceptor()]
        if settings.grpc_mtls:  # every peer has a certificate: authorise it by its identity (0680)
            interceptors.append(AuthorisationInterceptor())
        self.server = grpc.aio.server(interceptors=interceptors, options=options)
        self.health = health.aio.HealthServicer()
        self._service_names: list[str] = []
        self.port: int | None = None
        self.health_port: int | None = None
        self._health_server: grpc.aio.Server | None = None

    def add(self, register: Callable[[Any, grpc.aio.Server], None], servicer: Any, service_name: str) -> None:
        register(servicer, self.server)
        self._service_names.append(service_name)

    async def start(self) -> int:
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            [*self._service_names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME],
            self.server,
        )
        address = f"{self._settings.grpc_host}:{self._settings.grpc_port}"
        credentials = server_credentials(self._settings)
        if credentials is None:
            self.port = self.server.add_insecure_port(address)
        else:
            self.port = self.server.add_secure_port(address, credentials)
        if self.port == 0:
            raise RuntimeError(f"could not bind gRPC to {address}")
        await self.set_serving(False)
        if self._settings.grpc_health_port is not None:
            await self._start_health_server()
        await self.server.start()
        log.info(
            "grpc listening",
            address=f"{self._settings.grpc_host}:{self.port}",
            tls=credentials is not None,
            mtls=self._settings.grpc_mtls,
            health_port=self.health_port,
        )
        return self.port

    async def _start_health_server(self) -> None:
        """grpc.health.v1 alone, in plaintext, for probes that cannot present a client certificate
        (Kubernetes gRPC probes). It shares the health state of the main server."""
        self._health_server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._health_server)
        address = f"{self._settings.grpc_host}:{self._settings.grpc_health_port}"
        self.health_port = self._health_server.add_insecure_port(address)
        if self.health_port == 0:
            raise RuntimeError(f"could not bind the gRPC health port to {address}")
        await self._health_server.start()

    async def set_serving(self, serving: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ("", *self._service_names):
            await self.health.set(name, status)

    async def stop(self, grace: float) -> None:
        await self.set_serving(False)
        await self.server.stop(grace)
        if self._health_server is not None:
            await self._health_server.stop(0)
