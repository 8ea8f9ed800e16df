"""Latency and throughput of the rule watchers (pii, policy, loop) over real gRPC.

    .venv/bin/python -m loadtest.rule_watchers [--checks 2000] [--concurrency 32]

Starts each service in this process on a free port (no broker needed), then measures
batch-1 latency (one caller, one check after another: p50/p99 as the caller sees it) and
throughput with `--concurrency` callers. Prints a table; numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import grpc

from lammesh.catalogue import load_services
from lammesh.logging import configure_logging
from lammesh.settings import Settings
from lammesh.v1 import watcher_pb2_grpc
from lammesh.watchers import check_request

TRANSCRIPT = (
    "Ana (Acme): thanks for joining. We reviewed the Q3 pilot, 25 seats from March. "
    "Bo: pricing review on Friday; send the deck to ana.lopez@acme.com and call +1 415 555 0132. "
) * 8  # about 1,400 characters, the size of a meeting summary

REQUESTS = {
    "pii": check_request(content={"summary": TRANSCRIPT, "to": ["ana.lopez@acme.com"]}, params={"allow": ["email"]}),
    "policy": check_request(
        content={"to": ["ana.lopez@acme.com"], "cc": "Bo <bo@acme.com>", "subject": "Follow-up", "body": TRANSCRIPT},
        sources={"crm": {"account": {"domain": "acme.com"}}},
        params={"allowed_domains_from": ["crm.account.domain"], "internal_domains": ["ourco.com"]},
    ),
    "loop": check_request(
        content={"body": TRANSCRIPT},
        sources={"history": [TRANSCRIPT[:700], TRANSCRIPT[700:]], "tokens_used": 900},
        params={"token_budget": 20000},
        attempt=2,
    ),
}


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(name: str, checks: int, concurrency: int) -> dict[str, float]:
    settings = Settings(
        kafka_bootstrap="127.0.0.1:9",
        grpc_host="127.0.0.1",
        grpc_port=0,
        metrics_port=0,
        service_name=name,
        log_level="WARNING",
    )
    runtime = load_services()[name].load()(settings)
    await runtime.start()
    request = REQUESTS[name]
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{runtime.grpc.port}") as channel:
            stub = watcher_pb2_grpc.WatcherServiceStub(channel)
            for _ in range(50):
                await stub.Check(request)
            latencies = []
            for _ in range(min(checks, 1000)):
                started = time.perf_counter()
                await stub.Check(request)
                latencies.append((time.perf_counter() - started) * 1000)
            remaining = checks

            async def caller() -> None:
                nonlocal remaining
                while remaining > 0:
                    remaining -= 1
                    await stub.Check(request)

            started = time.perf_counter()
            await asyncio.gather(*(caller() for _ in range(concurrency)))
            elapsed = time.perf_counter() - started
    finally:
        await runtime.stop()
    return {
        "p50_ms": statistics.median(latencies),
        "p99_ms": _percentile(latencies, 0.99),
        "checks_per_s": checks / elapsed,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    configure_logging(Settings(log_level="WARNING", log_format="console"))
    print(f"{'watcher':8} {'batch-1 p50 ms':>15} {'batch-1 p99 ms':>15} {'checks/s @' + str(args.concurrency):>15}")
    for name in REQUESTS:
        result = await measure(name, args.checks, args.concurrency)
        print(f"{name:8} {result['p50_ms']:15.2f} {result['p99_ms']:15.2f} {result['checks_per_s']:15.0f}")


if __name__ == "__main__":
    asyncio.run(main())
