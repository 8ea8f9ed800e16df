"""Addresses to gRPC targets, the retry backoff, and the settings that carry them (pure)."""

import json
import random

import pytest
from pydantic import ValidationError

from lammesh.grpc.client import service_config
from lammesh.grpc.retry import Backoff
from lammesh.grpc.targets import grpc_target
from lammesh.settings import Settings


@pytest.mark.parametrize(
    ("address", "target"),
    [
        ("policy:50051", "policy:50051"),  # gRPC's DNS resolver: every address of the name (headless Service)
        ("dns:///policy.lammesh.svc:50051", "dns:///policy.lammesh.svc:50051"),
        ("127.0.0.1:7001", "127.0.0.1:7001"),
        ("127.0.0.1:7001, 127.0.0.1:7002", "ipv4:127.0.0.1:7001,127.0.0.1:7002"),
        ("localhost:7001,10.0.0.2:7001", "ipv4:127.0.0.1:7001,10.0.0.2:7001"),
        ("[::1]:7001,[fe80::1]:7002", "ipv6:[::1]:7001,[fe80::1]:7002"),
        ("unix:/run/watcher.sock", "unix:/run/watcher.sock"),
    ],
)
def test_addresses_become_targets(address, target):
    assert grpc_target(address) == target


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("", "is empty"),
        ("policy", "expected host:port"),
        ("policy:http", "not a number"),
        ("policy:70000", "out of range"),
        ("a.example:1,b.example:1", "must be IP literals"),
        ("127.0.0.1:1,[::1]:2", "mixes IPv4 and IPv6"),
    ],
)
def test_bad_addresses_say_what_is_wrong(address, problem):
    with pytest.raises(ValueError, match=problem):
        grpc_target(address)


def test_bad_watcher_endpoints_name_the_watcher():
    with pytest.raises(ValidationError, match=r"watcher_endpoints[\s\S]*policy: 'a.example:1': several addresses"):
        Settings(watcher_endpoints={"policy": "a.example:1,b.example:1"})
    with pytest.raises(ValidationError, match="gateway_address"):
        Settings(gateway_address="nowhere")
    with pytest.raises(ValidationError, match="grpc_retry_initial_backoff_ms"):
        Settings(grpc_retry_initial_backoff_ms=900, grpc_retry_max_backoff_ms=500)


def test_backoff_grows_to_its_cap_with_jitter():
    backoff = Backoff(0.05, 0.4, rng=random.Random(7))
    delays = [backoff.next() for _ in range(8)]
    steps = [0.05, 0.1, 0.2, 0.4, 0.4, 0.4, 0.4, 0.4]
    assert all(step / 2 <= d <= step for d, step in zip(delays, steps, strict=True))
    assert len(set(delays[3:])) == len(delays[3:])  # jittered: capped delays still differ
    with pytest.raises(ValueError, match="initial <= maximum"):
        Backoff(1.0, 0.5)


def test_channels_balance_round_robin_and_retry_only_when_asked():
    settings = Settings(grpc_retry_initial_backoff_ms=20, grpc_retry_max_backoff_ms=300)
    config = service_config(settings, health_service="lammesh.v1.WatcherService")
    assert config["loadBalancingConfig"] == [{"round_robin": {}}]
    assert config["healthCheckConfig"] == {"serviceName": "lammesh.v1.WatcherService"}
    policy = config["methodConfig"][0]["retryPolicy"]
    assert (policy["initialBackoff"], policy["maxBackoff"], policy["retryableStatusCodes"]) == (
        "0.020s",
        "0.300s",
        ["UNAVAILABLE"],
    )
    assert "methodConfig" not in service_config(settings, retry=False)
    json.dumps(config)  # what the channel option carries
