"""Tracing follows the standard OTEL_* variables (the SDK's own handling), LAMMESH_OTLP_ENDPOINT an alias."""

from __future__ import annotations

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import ConsoleSpanExporter

from lammesh import tracing
from lammesh.settings import Settings

_OTEL = (
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in _OTEL:
        monkeypatch.delenv(name, raising=False)


def test_nothing_is_exported_without_an_endpoint():
    assert tracing.span_exporters(Settings()) == []


def test_the_standard_endpoint_turns_otlp_export_on(monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")
    [exporter] = tracing.span_exporters(Settings())
    assert isinstance(exporter, OTLPSpanExporter)
    assert exporter._endpoint == "collector:4317"  # the SDK read it (and dropped the scheme)


def test_lammesh_otlp_endpoint_is_an_alias(monkeypatch):
    [exporter] = tracing.span_exporters(Settings(otlp_endpoint="127.0.0.1:4317"))
    assert isinstance(exporter, OTLPSpanExporter)
    assert exporter._endpoint == "127.0.0.1:4317"


def test_otel_traces_exporter_chooses(monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert tracing.span_exporters(Settings()) == []
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console,otlp")
    assert [type(e) for e in tracing.span_exporters(Settings())] == [ConsoleSpanExporter, OTLPSpanExporter]


@pytest.mark.parametrize(
    ("variable", "value", "names"),
    [
        ("OTEL_TRACES_EXPORTER", "zipkin", "OTEL_TRACES_EXPORTER: 'zipkin'"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "thrift", "OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift'"),
    ],
)
def test_an_unknown_choice_is_refused_naming_the_variable(monkeypatch, variable, value, names):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")
    monkeypatch.setenv(variable, value)
    with pytest.raises(tracing.TracingConfigError, match=names):
        tracing.span_exporters(Settings())


def test_service_name_is_otel_service_name_else_the_services_own(monkeypatch):
    assert tracing.resource(Settings(service_name="coordinator")).attributes["service.name"] == "coordinator"
    monkeypatch.setenv("OTEL_SERVICE_NAME", "coordinator-eu")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=staging")
    attributes = tracing.resource(Settings(service_name="coordinator")).attributes
    assert attributes["service.name"] == "coordinator-eu"
    assert attributes["deployment.environment"] == "staging"


def test_spans_are_dropped_until_something_takes_them_then_the_configured_sampler_decides():
    from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Decision

    sampler = tracing._SampledWhenExported()
    assert sampler.should_sample(None, 1, "span").decision is Decision.DROP  # ids still made, nothing recorded
    sampler.delegate = ALWAYS_ON
    assert sampler.should_sample(None, 1, "span").decision is Decision.RECORD_AND_SAMPLE
