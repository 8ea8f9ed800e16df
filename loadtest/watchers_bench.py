"""Latency and throughput of the model watchers (injection, grounding), per encoder backend.

    make bench-watchers                      # or: .venv/bin/python loadtest/watchers_bench.py
    .venv/bin/python loadtest/watchers_bench.py --watchers injection --precisions int8 --checks 3000

For each watcher and backend, the service runs as its own process (started by `lammesh.up.Mesh`,
the one launcher: real gRPC on a free port, the settings in its environment, no broker); this
process is the client. It measures
  - batch-1 latency as a caller sees it (one check after another): p50/p99 for a short input
    (~25 tokens), a <=128-token input and a 512-token input;
  - throughput with --concurrency callers sending short checks at once, which the server
    micro-batches (the mean batch size is read from the service's Prometheus metrics).
For grounding the sources (six transcript lines) are the same in every check, as when a task's
steps are checked against its notes: their embeddings come from the watcher's cache, and the
claims (the checked text) are embedded each time.
Prints a table and writes loadtest/results/watchers.json. Numbers depend on the machine and on
whatever else runs on it; the bench asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import grpc

from lammesh.models.artifacts import encoder_artifacts
from lammesh.models.backends import tensorrt_unavailable_reason
from lammesh.models.tokenize import WindowTokenizer
from lammesh.up import Mesh
from lammesh.v1 import watcher_pb2_grpc
from lammesh.watchers import check_request

ROOT = Path(__file__).resolve().parents[1]
LINES = [
    "Ana: Acme is happy with the pilot and wants to expand to two more teams next quarter.",
    "Bo: The budget is around $48,500, pending approval from their finance department.",
    "Ana: Their main concern is the timeline for the SSO rollout and SCIM provisioning.",
    "Bo: Legal needs to review the data processing agreement before the 14th of March.",
    "Ana: Action items: Bo sends the revised proposal, I book the security review for Tuesday.",
    "Bo: Overall sentiment was positive, but pricing is still a blocker for their CFO.",
]
SHORT = "Bo: please send the revised proposal to Ana before the security review on Tuesday."


def varied_text_of_tokens(tokenizer: WindowTokenizer, tokens: int) -> str:
    """Distinct sentences (the grounding watcher embeds each distinct sentence once)."""
    lines: list[str] = []
    while True:
        i = len(lines)
        line = f"{LINES[i % len(LINES)][:-1]}, as noted in item {i} of the plan for team {i % 7}."
        if tokenizer.count_tokens("\n".join([*lines, line])) > tokens:
            return "\n".join(lines)
        lines.append(line)


def requests_for(watcher: str, text: str):
    if watcher == "injection":
        return check_request(content={"transcript": text}, stage="input")
    source = "\n".join(LINES)
    return check_request(content={"body": text}, sources={"notes": {"transcript": source}}, stage="output")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def metrics_batch_sizes(metrics_port: int) -> tuple[float, float]:
    """The watcher's lammesh_watcher_batch_size histogram: (sum, count)."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
    total = float(re.search(r'lammesh_watcher_batch_size_sum\{watcher="\w+"\} ([\d.e+]+)', text).group(1))
    count = float(re.search(r'lammesh_watcher_batch_size_count\{watcher="\w+"\} ([\d.e+]+)', text).group(1))
    return total, count


async def sequential(stub, request, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        await stub.Check(request, timeout=30)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def concurrent(stub, request, checks: int, concurrency: int) -> float:
    remaining = checks

    async def caller() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await stub.Check(request, timeout=60)

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return checks / (time.perf_counter() - started)


async def bench(watcher: str, backend: str, precision: str, texts: dict[str, str], args) -> dict:
    env = {"LAMMESH_ENCODER_BACKEND": backend, "LAMMESH_ENCODER_PRECISION": precision}
    if args.threads:
        env["LAMMESH_ENCODER_THREADS"] = str(args.threads)
    # One watcher process through the one launcher (lammesh.up): real gRPC on a free port, no broker.
    mesh = Mesh(
        run_dir=Path(tempfile.mkdtemp(prefix=f"bench-{watcher}-")),
        services=[watcher],
        start_kafka=False,
        smtp_sink=False,
        extra_env={**env, "LAMMESH_LOG_LEVEL": "WARNING"},
    )
    mesh.start()
    service = mesh.processes[0]
    try:
        async with grpc.aio.insecure_channel(service.address) as channel:
            stub = watcher_pb2_grpc.WatcherServiceStub(channel)
            result: dict = {"watcher": watcher, "backend": backend, "precision": precision}
            for label, text in texts.items():
                request = requests_for(watcher, text)
                count = args.sequential if label != "512_tokens" else max(20, args.sequential // 4)
                await sequential(stub, request, 10)  # warm-up
                latencies = await sequential(stub, request, count)
                result[label] = {
                    "p50_ms": round(statistics.median(latencies), 2),
                    "p99_ms": round(percentile(latencies, 0.99), 2),
                    "n": count,
                }
            request = requests_for(watcher, texts["short"])
            await concurrent(stub, request, min(200, args.checks), args.concurrency)  # warm-up
            before = metrics_batch_sizes(service.metrics_port)
            rate = await concurrent(stub, request, args.checks, args.concurrency)
            after = metrics_batch_sizes(service.metrics_port)
            result["throughput"] = {
                "checks_per_s": round(rate),
                "concurrency": args.concurrency,
                "mean_batch": round((after[0] - before[0]) / max(after[1] - before[1], 1), 1),
            }
            return result
    except grpc.aio.AioRpcError:
        print(f"{watcher} service failed; its log:\n{service.log_tail(40)}", file=sys.stderr)
        raise
    finally:
        mesh.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watchers", nargs="+", default=["injection", "grounding"])
    parser.add_argument("--precisions", nargs="+", default=["int8", "fp32"], help="ONNX Runtime graphs to measure")
    parser.add_argument("--sequential", type=int, default=200, help="batch-1 checks per input size")
    parser.add_argument("--checks", type=int, default=2000, help="checks in the throughput run")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--threads", type=int, default=0, help="LAMMESH_ENCODER_THREADS (0: every core)")
    args = parser.parse_args()

    tokenizer = WindowTokenizer(encoder_artifacts().require().tokenizer)
    texts = {
        "short": SHORT,
        "128_tokens": varied_text_of_tokens(tokenizer, 128),
        "512_tokens": varied_text_of_tokens(tokenizer, 512),
    }
    sizes = {label: tokenizer.count_tokens(text) for label, text in texts.items()}
    backends = [("onnxruntime", precision) for precision in args.precisions]
    trt_missing = tensorrt_unavailable_reason()
    if trt_missing is None:
        backends.insert(0, ("tensorrt", "auto"))
    else:
        print(f"tensorrt: not measured ({trt_missing})")
    print(f"inputs (tokens): {sizes}; machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}")

    results = []
    header = f"{'watcher':10} {'backend':22} {'short p50/p99 ms':>17} {'128t p50/p99 ms':>17} {'512t p50/p99 ms':>17} {'checks/s':>9} {'batch':>6}"
    print(header)
    for watcher in args.watchers:
        for backend, precision in backends:
            result = await bench(watcher, backend, precision, texts, args)
            results.append(result)
            name = "tensorrt-fp16" if backend == "tensorrt" else f"onnxruntime-cpu-{precision}"
            cells = [
                f"{result[k]['p50_ms']:7.2f}/{result[k]['p99_ms']:<8.2f}" for k in ("short", "128_tokens", "512_tokens")
            ]
            print(
                f"{watcher:10} {name:22} {cells[0]:>17} {cells[1]:>17} {cells[2]:>17} {result['throughput']['checks_per_s']:9d} {result['throughput']['mean_batch']:6.1f}",
                flush=True,
            )

    out = ROOT / "loadtest" / "results" / "watchers.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
                "cores": os.cpu_count(),
                "load_average_at_end": os.getloadavg(),
                "input_tokens": sizes,
                "tensorrt": trt_missing or "measured",
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
