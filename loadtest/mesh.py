"""A small process launcher for the bench: a local broker and each service as its own process.

Each service is started with `lammesh run NAME` and its own LAMMESH_GRPC_PORT / LAMMESH_METRICS_PORT;
the coordinator gets LAMMESH_WATCHER_ENDPOINTS pointing at the watcher processes. Ready means the
gRPC health check answers SERVING (the runtime sets it once its consumers joined their groups).

Kept deliberately small so it can be swapped for the `lammesh up` supervisor later: the bench only
uses `await Mesh.start()`, `await Mesh.stop()`, `Mesh.processes` and `Mesh.settings`.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import psutil

from lammesh.catalogue import ServiceKind, load_services
from lammesh.grpc.client import NotServing, wait_serving
from lammesh.dev.localkafka import LocalKafka, free_port
from lammesh.up import log_tail
from lammesh.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]

# Settings the bench tunes through the environment (the products' defaults are left alone; see
# docs/decisions/0501). `--env KEY=VALUE` overrides any of them, e.g. to measure the defaults.
BENCH_ENV = {
    "LAMMESH_LOG_LEVEL": "WARNING",  # logging every transition would be part of what is measured
    "LAMMESH_LOG_FORMAT": "json",
    # A linger is paid on the critical path of every record (each waits for the broker's ack of
    # its outputs): 0 sends at once. With ordered lanes the product default (2 ms) costs ~30 ms
    # of saga overhead at light load and nothing at the max rate (BENCHMARKS.md).
    "LAMMESH_PRODUCER_LINGER_MS": "0",
    # A blocking check should not wait for batch mates when watchers answer in microseconds.
    "LAMMESH_WATCHER_BATCH_WINDOW_MS": "0",
}


class MeshError(RuntimeError):
    pass


@dataclass
class ServiceProcess:
    name: str
    instance: str
    grpc_port: int
    metrics_port: int
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def rss_bytes(self) -> int | None:
        try:
            return psutil.Process(self.pid).memory_info().rss
        except (psutil.Error, AssertionError):
            return None

    def cpu_seconds(self) -> float | None:
        try:
            times = psutil.Process(self.pid).cpu_times()
            return times.user + times.system
        except (psutil.Error, AssertionError):
            return None

    def scrape(self) -> dict[str, float]:
        """Record handling time from /metrics: {"<topic>:sum": s, "<topic>:count": n}, plus CPU seconds."""
        from urllib.request import urlopen

        from prometheus_client.parser import text_string_to_metric_families

        values: dict[str, float] = {}
        cpu = self.cpu_seconds()
        if cpu is not None:
            values["cpu_seconds"] = cpu
        try:
            with urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=2) as response:
                text = response.read().decode()
        except OSError:
            return values
        for family in text_string_to_metric_families(text):
            if family.name != "lammesh_message_handle_seconds":
                continue
            for sample in family.samples:
                if sample.name.endswith("_sum") or sample.name.endswith("_count"):
                    kind = sample.name.rsplit("_", 1)[1]
                    topic = sample.labels.get("topic", "")
                    values[f"{topic}:{kind}"] = values.get(f"{topic}:{kind}", 0.0) + sample.value
        return values

    def log_tail(self, lines: int = 15) -> str:
        return log_tail(self.log_path, lines)


@dataclass
class Mesh:
    """Services to run (names from the catalogue) and how many coordinator instances."""

    services: list[str]
    workdir: Path
    kafka_bootstrap: str | None = None  # None: start a LocalKafka on free ports in workdir
    partitions: int = 1
    coordinators: int = 1
    topic_prefix: str = field(default_factory=lambda: f"bench{uuid.uuid4().hex[:8]}")
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[ServiceProcess] = field(default_factory=list)
    broker: LocalKafka | None = None

    @property
    def settings(self) -> Settings:
        """Settings for the load generator's own clients (same broker, prefix, partitions)."""
        assert self.kafka_bootstrap is not None
        linger = {**BENCH_ENV, **self.extra_env}.get("LAMMESH_PRODUCER_LINGER_MS")
        extra = {"producer_linger_ms": int(linger)} if linger is not None else {}
        return Settings(kafka_bootstrap=self.kafka_bootstrap, topic_prefix=self.topic_prefix,
                        topic_partitions=self.partitions, grpc_port=0, metrics_port=0, log_level="WARNING", **extra)

    def process(self, name: str) -> ServiceProcess:
        for proc in self.processes:
            if proc.name == name:
                return proc
        raise KeyError(name)

    async def start(self, timeout: float = 180.0) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.kafka_bootstrap is None:
            self.broker = LocalKafka(home=self.workdir / "kafka", port=free_port(), controller_port=free_port())
            await asyncio.to_thread(self.broker.start)
            self.kafka_bootstrap = self.broker.bootstrap
        catalogue = load_services()
        unknown = [s for s in self.services if s not in catalogue]
        if unknown:
            raise MeshError(f"not in the service catalogue: {', '.join(unknown)} (known: {', '.join(sorted(catalogue))})")
        watchers = [s for s in self.services if catalogue[s].kind is ServiceKind.WATCHER]
        others = [s for s in self.services if s not in watchers and catalogue[s].kind is not ServiceKind.COORDINATOR]
        try:
            # Watchers first (the coordinator needs their addresses), then steps, then coordinator(s).
            for name in watchers + others:
                self._spawn(name, name)
            endpoints = {p.name: p.address for p in self.processes if p.name in watchers}
            if "coordinator" in self.services:
                for index in range(self.coordinators):
                    self._spawn("coordinator", f"coordinator-{index}",
                                {"LAMMESH_WATCHER_ENDPOINTS": json.dumps(endpoints)})
            await self._wait_serving(timeout)
        except BaseException:
            await self.stop()
            raise

    def _spawn(self, name: str, instance: str, env: dict[str, str] | None = None) -> ServiceProcess:
        proc = ServiceProcess(name, instance, free_port(), free_port(), self.workdir / "logs" / f"{instance}.log")
        proc.log_path.parent.mkdir(parents=True, exist_ok=True)
        environment = {
            **os.environ,
            **BENCH_ENV,
            "LAMMESH_KAFKA_BOOTSTRAP": self.kafka_bootstrap or "",
            "LAMMESH_TOPIC_PREFIX": self.topic_prefix,
            "LAMMESH_TOPIC_PARTITIONS": str(self.partitions),
            "LAMMESH_GRPC_HOST": "127.0.0.1",
            "LAMMESH_GRPC_PORT": str(proc.grpc_port),
            "LAMMESH_METRICS_PORT": str(proc.metrics_port),
            "LAMMESH_INSTANCE_ID": instance,
            "LAMMESH_SERVICE_NAME": name,
            "LAMMESH_WORKFLOWS_DIR": str(REPO_ROOT / "workflows"),
            "LAMMESH_COORDINATOR_DATA_DIR": str(self.workdir / "data" / instance),
            **self.extra_env,
            **(env or {}),
        }
        command = [str(Path(sys.executable).with_name("lammesh")), "run", name]
        if not Path(command[0]).exists():
            command = [sys.executable, "-c", "from lammesh.cli import main; main()", "run", name]
        with proc.log_path.open("wb") as log:
            proc.popen = subprocess.Popen(command, env=environment, cwd=REPO_ROOT, stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(proc)
        return proc

    async def _wait_serving(self, timeout: float) -> None:
        async def one(proc: ServiceProcess) -> None:
            assert proc.popen is not None
            popen = proc.popen

            def exited() -> str | None:
                return None if popen.poll() is None else f"exited with {popen.returncode}"

            async with grpc.aio.insecure_channel(proc.address) as channel:
                try:
                    await wait_serving(channel, exited=exited, timeout=timeout, name=proc.instance)
                except NotServing as exc:
                    raise MeshError(f"{exc}:\n{proc.log_tail()}") from None

        await asyncio.gather(*(one(p) for p in self.processes))

    def alive(self) -> list[str]:
        """Instances that exited (a crash during the run invalidates its figures)."""
        return [p.instance for p in self.processes if p.popen is not None and p.popen.poll() is not None]

    async def stop(self, timeout: float = 30.0) -> None:
        await asyncio.to_thread(self._stop_blocking, timeout)

    def _stop_blocking(self, timeout: float) -> None:
        for proc in reversed(self.processes):
            if proc.popen is not None and proc.popen.poll() is None:
                proc.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in reversed(self.processes):
            if proc.popen is None:
                continue
            try:
                proc.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait()
        if self.broker is not None:
            self.broker.stop()
            self.broker = None

    async def __aenter__(self) -> Mesh:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
