"""OpenTelemetry: one trace per task across services, carried in Kafka headers and gRPC metadata.

Configured by the standard OTEL_* variables, read by the SDK itself: OTEL_EXPORTER_OTLP_ENDPOINT
(or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_EXPORTER_OTLP_HEADERS,
OTEL_EXPORTER_OTLP_INSECURE, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER(_ARG),
OTEL_BSP_*. OTEL_TRACES_EXPORTER picks otlp (the default), console or none; OTEL_SDK_DISABLED=true
turns tracing off. LAMMESH_OTLP_ENDPOINT is an alias of OTEL_EXPORTER_OTLP_TRACES_ENDPOINT. Spans
are recorded and exported only where an endpoint (or OTEL_TRACES_EXPORTER) is set; without one,
trace ids still exist and propagate (unsampled), so logs carry them at almost no cost.

The attributes every task span carries are the constants below (`lammesh.task_id`, ...).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider, sampling
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, Sampler, SamplingResult
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from lammesh.settings import ProcessSettings

TASK_ID = "lammesh.task_id"
STEP_ID = "lammesh.step_id"
ATTEMPT = "lammesh.attempt"
WORKFLOW = "lammesh.workflow"
CAPABILITY = "lammesh.capability"
WATCHER = "lammesh.watcher"
STAGE = "lammesh.stage"
VERDICT = "lammesh.verdict"
MODEL_VERSION = "lammesh.model_version"
STATUS = "lammesh.status"

_propagator = TraceContextTextMapPropagator()
_configured = False


class TracingConfigError(ValueError):
    """An OTEL_* setting names something this process cannot do."""


def _env(*names: str) -> str | None:
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def _otlp_exporter(settings: ProcessSettings) -> SpanExporter:
    protocol = _env("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL") or "grpc"
    # The SDK reads the OTEL_ endpoint itself; LAMMESH_OTLP_ENDPOINT only fills in when none is set.
    endpoint = None
    if not _env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT") and settings.otlp_endpoint:
        endpoint = settings.otlp_endpoint
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        insecure = None
        if endpoint is not None and "://" not in endpoint and _env("OTEL_EXPORTER_OTLP_INSECURE") is None:
            insecure = True  # a bare host:port (the alias's historical form) is plaintext
        return OTLPSpanExporter(endpoint=endpoint, insecure=insecure)
    if protocol == "http/protobuf":
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
        except ImportError:
            raise TracingConfigError(
                "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf needs the opentelemetry-exporter-otlp-proto-http package; "
                "this install exports OTLP over gRPC (OTEL_EXPORTER_OTLP_PROTOCOL=grpc)"
            ) from None
        return HttpExporter(endpoint=endpoint)
    raise TracingConfigError(f"OTEL_EXPORTER_OTLP_PROTOCOL: {protocol!r} is not one of grpc, http/protobuf")


def span_exporters(settings: ProcessSettings) -> list[SpanExporter]:
    """The exporters the environment asks for (OTEL_TRACES_EXPORTER, an OTLP endpoint)."""
    chosen = _env("OTEL_TRACES_EXPORTER")
    if chosen is None:
        has_endpoint = (
            _env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT") or settings.otlp_endpoint
        )
        return [_otlp_exporter(settings)] if has_endpoint else []
    exporters: list[SpanExporter] = []
    for name in (n.strip() for n in chosen.split(",")):
        if name == "otlp":
            exporters.append(_otlp_exporter(settings))
        elif name == "console":
            exporters.append(ConsoleSpanExporter())
        elif name in ("none", ""):
            continue
        else:
            raise TracingConfigError(f"OTEL_TRACES_EXPORTER: {name!r} is not one of otlp, console, none")
    return exporters


def resource(settings: ProcessSettings) -> Resource:
    """service.name: OTEL_SERVICE_NAME when set, else the service's own name (LAMMESH_SERVICE_NAME);
    OTEL_RESOURCE_ATTRIBUTES adds the rest (the SDK reads both)."""
    from lammesh.registry import instance_id

    attributes: dict[str, Any] = {"service.instance.id": instance_id(settings)}
    if not _env("OTEL_SERVICE_NAME"):
        attributes[SERVICE_NAME] = settings.service_name
    return Resource.create(attributes)


class _SampledWhenExported(Sampler):
    """The configured sampler (OTEL_TRACES_SAMPLER) once something takes spans; until then every
    span is dropped, which still gives it ids that propagate (and are logged): a process that
    exports nothing does not pay for recording spans on its hot path."""

    def __init__(self) -> None:
        self.delegate: Sampler | None = None

    def should_sample(self, *args: Any, **kwargs: Any) -> SamplingResult:
        if self.delegate is None:
            return _DROP.should_sample(*args, **kwargs)
        return self.delegate.should_sample(*args, **kwargs)

    def get_description(self) -> str:
        return f"SampledWhenExported{{{self.delegate.get_description() if self.delegate else 'nothing exported'}}}"


_DROP = ALWAYS_OFF
_sampler = _SampledWhenExported()


def setup_tracing(settings: ProcessSettings) -> None:
    """Install an SDK tracer provider (once per process) so span ids exist and propagate; export
    where the environment says (see the module doc)."""
    global _configured
    if _configured:
        return
    if (_env("OTEL_SDK_DISABLED") or "").lower() == "true":
        _configured = True
        return
    provider = TracerProvider(resource=resource(settings), sampler=_sampler)
    trace.set_tracer_provider(provider)
    _configured = True
    for exporter in span_exporters(settings):
        add_span_processor(BatchSpanProcessor(exporter))


def add_span_processor(processor: SpanProcessor) -> None:
    """Send spans to `processor` too (after setup_tracing); spans are recorded from now on."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        raise RuntimeError("setup_tracing has not installed the SDK tracer provider (or OTEL_SDK_DISABLED is set)")
    provider.add_span_processor(processor)
    if _sampler.delegate is None:
        _sampler.delegate = sampling._get_from_env_or_default()  # OTEL_TRACES_SAMPLER(_ARG), as the SDK reads it


_tracer: trace.Tracer | None = None


def tracer() -> trace.Tracer:
    """The project's tracer, made once: `trace.get_tracer` builds a new Tracer (and its
    instrumentation scope) per call, a few percent of the coordinator's CPU when called per
    record and per watcher check (#14). Made before setup_tracing it is the API's proxy, which
    follows the provider installed later."""
    global _tracer
    if _tracer is None:
        _tracer = trace.get_tracer("lammesh")
    return _tracer


def current_trace_context() -> dict[str, str]:
    """The current span's W3C headers (traceparent, tracestate)."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier


def context_from(carrier: Mapping[str, str]) -> otel_context.Context:
    return _propagator.extract(carrier)


def span_context_of(carrier: Mapping[str, str]) -> trace.SpanContext:
    """The remote span a carrier names (invalid when it names none)."""
    return trace.get_current_span(context_from(carrier)).get_span_context()


def trace_id_of(carrier: Mapping[str, str]) -> str:
    """The trace id (32 hex digits) a carrier names, else ""."""
    span_context = span_context_of(carrier)
    return format(span_context.trace_id, "032x") if span_context.is_valid else ""


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


def annotate(**attributes: Any) -> None:
    """Set `lammesh.<name>` attributes on the current span (empty values are left out)."""
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attributes({f"lammesh.{key}": value for key, value in attributes.items() if value not in (None, "")})
