"""OpenTelemetry: one trace per task across services, carried in Kafka headers and gRPC metadata."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from lammesh.settings import Settings

_propagator = TraceContextTextMapPropagator()
_configured = False


def setup_tracing(settings: Settings) -> None:
    """Install an SDK tracer provider so span ids exist and propagate; export only with OTLP set."""
    global _configured
    if _configured:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": settings.service_name}))
    if settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint)))
    trace.set_tracer_provider(provider)
    _configured = True


def tracer() -> trace.Tracer:
    return trace.get_tracer("lammesh")


def current_trace_context() -> dict[str, str]:
    """The current span's W3C headers (traceparent, tracestate)."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier


def context_from(carrier: Mapping[str, str]) -> otel_context.Context:
    return _propagator.extract(carrier)


def headers_to_carrier(headers: Iterable[tuple[str, bytes]] | None) -> dict[str, str]:
    """Kafka record headers (str, bytes) to a text carrier, for the trace headers only."""
    carrier: dict[str, str] = {}
    for key, value in headers or ():
        if key in _propagator.fields and value is not None:
            carrier[key] = value.decode("latin-1")
    return carrier


def trace_id_hex() -> str | None:
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None
