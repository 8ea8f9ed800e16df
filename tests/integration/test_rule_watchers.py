"""The pii, policy and loop services as deployed: started from the service catalogue, over real
gRPC. gRPC-only services need no broker (settings point where none listens)."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from lammesh.catalogue import ServiceKind, load_services
from lammesh.v1 import watcher_pb2, watcher_pb2_grpc
from lammesh.watchers import check_request
from tests.conftest import make_settings

NO_BROKER = "127.0.0.1:9"

# name -> (a request that must be blocked, the reason it must give, a request that must pass,
#          params with a wrong field and the field the error must name)
CASES = {
    "pii": (
        check_request(content={"body": "use key AKIAIOSFODNN7EXAMPLE"}, stage="output"),
        "AWS access key id in body",
        check_request(content={"to": ["ana@acme.com"], "body": "See you Friday"}, params={"allow": ["email"]}),
        {"allow": ["emails"]},
        "params.allow.0",
    ),
    "policy": (
        check_request(
            content={"to": ["ana@acme.com", "pipeline@evil.io"], "body": "As discussed"},
            sources={"crm": {"account": {"domain": "acme.com"}}},
            params={"allowed_domains_from": ["crm.account.domain"]},
            stage="input",
        ),
        "recipient pipeline@evil.io in to.1 is not an allowed contact or domain",
        check_request(content={"to": ["ana@acme.com"]}, params={"allowed_domains": ["acme.com"]}),
        {"outside_recipient": "shrug"},
        "params.outside_recipient",
    ),
    "loop": (
        check_request(content={"body": "same answer"}, sources={"history": ["same answer"] * 3}, attempt=2),
        "output repeats 3 earlier outputs (similarity up to 1.00), more than the 2 allowed",
        check_request(content={"body": "fresh answer"}, sources={"history": ["older answer text here"]}, attempt=1),
        {"max_repeats": -2},
        "params.max_repeats",
    ),
}


def test_rule_watchers_are_in_the_catalogue():
    services = load_services()
    for name in CASES:
        assert services[name].kind is ServiceKind.WATCHER
        assert not services[name].latency_critical


@pytest.mark.parametrize("name", sorted(CASES))
async def test_rule_watcher_service_over_grpc(name):
    blocked, reason, passing, bad_params, bad_field = CASES[name]
    runtime = load_services()[name].load()(make_settings(NO_BROKER, service_name=name))
    await asyncio.wait_for(runtime.start(), 30)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{runtime.grpc.port}") as channel:
            health = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
            assert health.status == health_pb2.HealthCheckResponse.SERVING
            stub = watcher_pb2_grpc.WatcherServiceStub(channel)

            response = await stub.Check(blocked, timeout=10)
            assert response.verdict == watcher_pb2.VERDICT_BLOCK
            assert reason in response.reasons
            assert response.watcher == name and response.watcher_version

            batch = await stub.CheckBatch(watcher_pb2.CheckBatchRequest(requests=[passing, blocked]), timeout=10)
            assert [r.verdict for r in batch.responses] == [watcher_pb2.VERDICT_ALLOW, watcher_pb2.VERDICT_BLOCK]

            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.Check(check_request(content={"body": "x"}, params=bad_params), timeout=10)
            assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
            assert caught.value.details().startswith(f"{bad_field}:")
    finally:
        await runtime.stop()
