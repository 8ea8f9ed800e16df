"""Service identities and the caller policy (pure), and the per-service certificates `make certs` writes."""

from __future__ import annotations

import pytest
from cryptography import x509

from lammesh.dev.certs import make_certs
from lammesh.identity import allowed_callers, authorise, service_of, spiffe_id

EXECUTE = "/lammesh.v1.StepService/Execute"
CHECK = "/lammesh.v1.WatcherService/Check"


def test_identity_uri_round_trips_and_foreign_uris_name_no_service() -> None:
    uri = spiffe_id("coordinator")
    assert uri == "spiffe://lammesh.local/ns/lammesh/sa/coordinator"
    assert service_of(uri) == "coordinator"
    assert service_of("spiffe://evil.example/ns/lammesh/sa/coordinator") is None
    assert service_of("spiffe://lammesh.local/ns/lammesh/coordinator") is None
    assert service_of("https://lammesh.local/ns/lammesh/sa/coordinator") is None
    with pytest.raises(ValueError, match="without '/'"):
        spiffe_id("a/b")


def test_only_the_coordinator_executes_steps() -> None:
    assert authorise((spiffe_id("coordinator"),), EXECUTE).allowed
    refused = authorise((spiffe_id("gateway"),), EXECUTE)
    assert not refused.allowed and refused.caller == "gateway"
    assert refused.reason == "gateway may not call this method; allowed callers: coordinator"
    assert not authorise((spiffe_id("gateway"),), "/lammesh.v1.StepService/Compensate").allowed


def test_watchers_serve_the_coordinator_and_the_gateway_only() -> None:
    assert authorise((spiffe_id("coordinator"),), CHECK).allowed
    assert authorise((spiffe_id("gateway"),), "/lammesh.v1.WatcherService/CheckBatch").allowed
    assert not authorise((spiffe_id("email"),), CHECK).allowed


def test_a_certificate_without_one_identity_is_refused_where_callers_are_named() -> None:
    nobody = authorise((), EXECUTE)
    assert not nobody.allowed and "without a lammesh identity" in nobody.reason
    two = authorise((spiffe_id("coordinator"), spiffe_id("gateway")), EXECUTE)
    assert not two.allowed and two.caller is None


def test_health_reflection_and_user_services_are_not_restricted_by_identity() -> None:
    assert allowed_callers("/grpc.health.v1.Health/Check") is None
    assert authorise((), "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo").allowed
    assert authorise((), "/lammesh.v1.TaskService/SubmitTask").allowed  # bearer tokens decide (0601)


def test_each_service_certificate_names_its_service_and_its_kubernetes_names(tmp_path) -> None:
    certs = make_certs(tmp_path, services=("email", "coordinator"), namespace="prod")
    ca = x509.load_pem_x509_certificate(certs.ca.read_bytes())
    email = x509.load_pem_x509_certificate(certs.service_cert("email").read_bytes())
    email.verify_directly_issued_by(ca)
    san = email.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == ["spiffe://lammesh.local/ns/prod/sa/email"]
    assert {"localhost", "email", "email.prod.svc", "email.prod.svc.cluster.local"} <= set(
        san.get_values_for_type(x509.DNSName)
    )
    assert certs.service_key("email").stat().st_mode & 0o777 == 0o600
    assert certs.service_cert("coordinator").exists()
