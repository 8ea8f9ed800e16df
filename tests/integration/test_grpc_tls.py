"""gRPC TLS and mutual TLS through the settings: the real server bootstrap (GrpcServer) on a real
port, the mesh's one channel helper, certificates made by `lammesh.dev.certs` (what `make certs` runs)."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from pydantic import ValidationError

from lammesh.dev.certs import CertSet, make_certs
from lammesh.grpc.client import channel, sync_channel
from lammesh.grpc.server import GrpcServer
from lammesh.settings import Settings

SERVING = health_pb2.HealthCheckResponse.SERVING


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> CertSet:
    return make_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> CertSet:
    """A second, unrelated CA with its own client certificate."""
    return make_certs(tmp_path_factory.mktemp("other-certs"))


def server_settings(certs: CertSet, *, mtls: bool = False, **extra: object) -> Settings:
    return Settings(
        grpc_host="127.0.0.1",
        grpc_port=0,
        metrics_port=0,
        grpc_tls_cert=certs.server_cert,
        grpc_tls_key=certs.server_key,
        grpc_tls_ca=certs.ca,
        grpc_mtls=mtls,
        **extra,
    )


async def started(settings: Settings) -> GrpcServer:
    server = GrpcServer(settings)
    await server.start()
    await server.set_serving(True)
    return server


async def health(target: str, settings: Settings) -> int:
    async with channel(target, settings) as ch:
        reply = await health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=5)
        return reply.status


async def test_tls_call_works_and_a_client_without_the_ca_fails(certs: CertSet, other_ca: CertSet) -> None:
    server = await started(server_settings(certs))
    target = f"127.0.0.1:{server.port}"
    try:
        assert await health(target, Settings(grpc_tls_ca=certs.ca)) == SERVING
        # by name too: the certificate's SANs hold localhost
        assert await health(f"localhost:{server.port}", Settings(grpc_tls_ca=certs.ca)) == SERVING
        with pytest.raises(grpc.aio.AioRpcError) as plaintext:
            await health(target, Settings())  # no CA configured: a plaintext client
        assert plaintext.value.code() == grpc.StatusCode.UNAVAILABLE
        with pytest.raises(grpc.aio.AioRpcError) as untrusted:
            await health(target, Settings(grpc_tls_ca=other_ca.ca))  # does not trust this server
        assert untrusted.value.code() == grpc.StatusCode.UNAVAILABLE
        with pytest.raises(grpc.aio.AioRpcError) as wrong_name:
            await health(target, Settings(grpc_tls_ca=certs.ca, grpc_tls_server_name="gateway.example"))
        assert wrong_name.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await server.stop(0)


async def test_mtls_rejects_a_client_without_a_certificate_or_with_a_foreign_one(
    certs: CertSet, other_ca: CertSet
) -> None:
    server = await started(server_settings(certs, mtls=True))
    target = f"127.0.0.1:{server.port}"
    try:
        with_client_cert = Settings(
            grpc_tls_ca=certs.ca, grpc_tls_cert=certs.client_cert, grpc_tls_key=certs.client_key
        )
        assert await health(target, with_client_cert) == SERVING
        # a service's own certificate serves for its outgoing calls too
        as_service = Settings(grpc_tls_ca=certs.ca, grpc_tls_cert=certs.server_cert, grpc_tls_key=certs.server_key)
        assert await health(target, as_service) == SERVING
        with pytest.raises(grpc.aio.AioRpcError) as no_cert:
            await health(target, Settings(grpc_tls_ca=certs.ca))
        assert no_cert.value.code() == grpc.StatusCode.UNAVAILABLE
        foreign = Settings(grpc_tls_ca=certs.ca, grpc_tls_cert=other_ca.client_cert, grpc_tls_key=other_ca.client_key)
        with pytest.raises(grpc.aio.AioRpcError) as foreign_cert:
            await health(target, foreign)
        assert foreign_cert.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await server.stop(0)


async def test_plaintext_health_port_serves_probes_and_nothing_else(certs: CertSet) -> None:
    server = await started(server_settings(certs, mtls=True, grpc_health_port=0))
    assert server.health_port and server.health_port != server.port
    probe = f"127.0.0.1:{server.health_port}"
    try:
        assert await health(probe, Settings()) == SERVING  # what a kubelet gRPC probe does
        await server.set_serving(False)
        assert await health(probe, Settings()) == health_pb2.HealthCheckResponse.NOT_SERVING  # shared state
        async with channel(probe, Settings()) as ch:
            stream = reflection_pb2_grpc.ServerReflectionStub(ch).ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
            )
            with pytest.raises(grpc.aio.AioRpcError) as only_health:
                async for _ in stream:
                    pass
        assert only_health.value.code() == grpc.StatusCode.UNIMPLEMENTED
    finally:
        await server.stop(0)


async def test_blocking_channel_of_lammesh_up_speaks_tls_too(certs: CertSet) -> None:
    server = await started(server_settings(certs, mtls=True))
    try:
        client = Settings(grpc_tls_ca=certs.ca, grpc_tls_cert=certs.client_cert, grpc_tls_key=certs.client_key)

        def check() -> int:  # blocking, so off the event loop that runs the server
            with sync_channel(f"127.0.0.1:{server.port}", client) as ch:
                return health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=5).status

        assert await asyncio.to_thread(check) == SERVING
    finally:
        await server.stop(0)


def test_incomplete_tls_settings_are_refused_naming_the_setting(certs: CertSet) -> None:
    with pytest.raises(ValidationError, match="grpc_tls_cert and grpc_tls_key"):
        Settings(grpc_tls_cert=certs.server_cert)
    with pytest.raises(ValidationError, match="grpc_mtls"):
        Settings(grpc_mtls=True, grpc_tls_cert=certs.server_cert, grpc_tls_key=certs.server_key)
    with pytest.raises(ValueError, match="grpc_tls_ca: cannot read"):
        channel("127.0.0.1:1", Settings(grpc_tls_ca=certs.folder / "missing.crt"))
