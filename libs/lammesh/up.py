"""`lammesh up`: the whole mesh on one machine, every service its own process.

Starts Kafka when none answers (lammesh.dev.localkafka), an SMTP sink writing a Maildir, then every
catalogue service with `lammesh run NAME` on its own gRPC and metrics ports: watchers first, then
agents and tools, the coordinator (told where the watchers are through
LAMMESH_WATCHER_ENDPOINTS) and the gateway (on LAMMESH_GATEWAY_ADDRESS). It waits for each
service's grpc.health.v1 SERVING, logs each service to .run/logs/<name>.log, and stops
everything it started on `stop()` — SIGTERM first (services drain), SIGKILL after the grace
period — so nothing is left behind. `make demo` and the tests reuse it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from lammesh.catalogue import ServiceKind, ServiceSpec, load_services
from lammesh.grpc.client import sync_channel
from lammesh.dev.localkafka import DEFAULT_HOME, REPO_ROOT, LocalKafka, free_port, free_ports
from lammesh.settings import Settings

_CLIENT_TLS_SETTINGS = ("grpc_tls_cert", "grpc_tls_key", "grpc_tls_ca", "grpc_tls_server_name")

# Watchers before the services that call them; the gateway last (it accepts work).
START_ORDER = {ServiceKind.WATCHER: 0, ServiceKind.AGENT: 1, ServiceKind.TOOL: 1, ServiceKind.COORDINATOR: 2, ServiceKind.GATEWAY: 3}

Progress = Callable[[str, str, str], None]
"""(service, state, detail): state is starting / serving / failed / stopping / stopped / killed."""


class MeshError(RuntimeError):
    pass


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _split(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host or "127.0.0.1", int(port)


@dataclass
class ServiceProcess:
    spec: ServiceSpec
    grpc_port: int
    metrics_port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        return log_tail(self.log_path, lines)


def log_tail(path: Path, lines: int = 15) -> str:
    """The last lines of a service's log, for error messages ("" when there is none)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class Mesh:
    """One local mesh. `start()` brings it up (raises MeshError naming what failed, after
    stopping what it had started); `stop()` takes it down; usable as a context manager."""

    run_dir: Path = REPO_ROOT / ".run"
    services: list[str] | None = None
    """Catalogue names to run; None: every service in the catalogue."""
    kafka_bootstrap: str = field(default_factory=lambda: os.environ.get("LAMMESH_KAFKA_BOOTSTRAP", "127.0.0.1:9092"))
    gateway_address: str = field(default_factory=lambda: os.environ.get("LAMMESH_GATEWAY_ADDRESS", "127.0.0.1:50051"))
    smtp_port: int = field(default_factory=lambda: int(os.environ.get("LAMMESH_SMTP_PORT", "2525")))
    maildir: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    start_timeout_s: float = 180.0
    stop_timeout_s: float = 30.0
    progress: Progress = lambda service, state, detail: None  # noqa: E731

    processes: list[ServiceProcess] = field(default_factory=list, init=False)
    kafka: LocalKafka | None = field(default=None, init=False)
    sink: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def logs_dir(self) -> Path:
        return self.run_dir / "logs"

    @property
    def maildir_path(self) -> Path:
        return self.maildir or self.run_dir / "maildir"

    def watcher_endpoints(self) -> dict[str, str]:
        return {p.name: p.address for p in self.processes if p.spec.kind == ServiceKind.WATCHER}

    # -- start ---------------------------------------------------------------------------------

    def start(self) -> None:
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._ensure_kafka()
            self._start_sink()
            self._plan()
            for group in sorted({START_ORDER[p.spec.kind] for p in self.processes}):
                batch = [p for p in self.processes if START_ORDER[p.spec.kind] == group]
                for proc in batch:
                    self._spawn(proc)
                self._wait_serving(batch)
            self._write_state()
        except BaseException:
            self.stop()
            raise

    def _ensure_kafka(self) -> None:
        host, port = _split(self.kafka_bootstrap.split(",")[0])
        if port_open(host, port):
            self.progress("kafka", "serving", f"using the broker on {self.kafka_bootstrap}")
            return
        if host not in ("127.0.0.1", "localhost"):
            raise MeshError(f"no Kafka answers on {self.kafka_bootstrap}")
        self.progress("kafka", "starting", f"local KRaft broker on {host}:{port}")
        default_home = self.run_dir.resolve() == (REPO_ROOT / ".run").resolve()
        broker = LocalKafka(  # the default home keeps `make kafka-up`'s ports: KRaft remembers its controller
            home=DEFAULT_HOME if default_home else self.run_dir / "kafka", port=port,
            controller_port=9093 if default_home else free_port(),
        )
        broker.start()
        self.kafka = broker
        self.progress("kafka", "serving", f"{broker.bootstrap} (logs {broker.log_file})")

    def _start_sink(self) -> None:
        if port_open("127.0.0.1", self.smtp_port):
            raise MeshError(f"port {self.smtp_port} (SMTP sink) is taken; set LAMMESH_SMTP_PORT to a free one")
        log = (self.logs_dir / "smtp-sink.log").open("wb")
        self.sink = subprocess.Popen(
            [sys.executable, "-m", "lammesh.cli", "smtp-sink", "--port", str(self.smtp_port), "--maildir", str(self.maildir_path)],
            stdout=log, stderr=subprocess.STDOUT, env=self._env({}), start_new_session=True, cwd=REPO_ROOT,
        )
        deadline = time.monotonic() + 30
        while not port_open("127.0.0.1", self.smtp_port):
            if self.sink.poll() is not None or time.monotonic() > deadline:
                raise MeshError(f"the SMTP sink did not start; see {self.logs_dir / 'smtp-sink.log'}")
            time.sleep(0.1)
        self.progress("smtp-sink", "serving", f"127.0.0.1:{self.smtp_port} -> {self.maildir_path}")

    def _plan(self) -> None:
        catalogue = load_services()
        names = self.services if self.services is not None else sorted(catalogue)
        unknown = [n for n in names if n not in catalogue]
        if unknown:
            raise MeshError(f"unknown services {unknown}; known: {sorted(catalogue)}")
        gateway_host, gateway_port = _split(self.gateway_address)
        ports = iter(free_ports(2 * len(names)))  # distinct: two services never share a port
        for name in sorted(names, key=lambda n: (START_ORDER[catalogue[n].kind], n)):
            spec = catalogue[name]
            grpc_port = next(ports)
            if spec.kind == ServiceKind.GATEWAY:
                grpc_port = gateway_port
                if port_open(gateway_host, gateway_port):
                    raise MeshError(f"{self.gateway_address} (gateway) is taken; set LAMMESH_GATEWAY_ADDRESS to a free port")
            self.processes.append(ServiceProcess(spec, grpc_port, next(ports), self.logs_dir / f"{name}.log"))

    def _env(self, overrides: dict[str, str]) -> dict[str, str]:
        env = {
            **os.environ,
            "LAMMESH_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "LAMMESH_GATEWAY_ADDRESS": self.gateway_address,
            "LAMMESH_SMTP_HOST": "127.0.0.1",
            "LAMMESH_SMTP_PORT": str(self.smtp_port),
            "LAMMESH_MAILDIR": str(self.maildir_path),
            # The coordinator's local table belongs with this run's broker: a table built from
            # another broker's changelog is ahead of this one's, and Faust refuses to start.
            "LAMMESH_COORDINATOR_DATA_DIR": str(self.run_dir / "coordinator"),
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
            **overrides,
        }
        return env

    def _client_settings(self) -> Settings:
        """How the services' clients reach each other (gRPC TLS files, if any), for health checks."""
        env = self._env({})
        tls = {key: env[f"LAMMESH_{key.upper()}"] for key in _CLIENT_TLS_SETTINGS if env.get(f"LAMMESH_{key.upper()}")}
        return Settings(**tls)  # type: ignore[arg-type]

    def _spawn(self, proc: ServiceProcess) -> None:
        env = self._env({
            "LAMMESH_SERVICE_NAME": proc.name,
            "LAMMESH_GRPC_HOST": "127.0.0.1",
            "LAMMESH_GRPC_PORT": str(proc.grpc_port),
            "LAMMESH_METRICS_PORT": str(proc.metrics_port),
            "LAMMESH_WATCHER_ENDPOINTS": json.dumps(self.watcher_endpoints()),
        })
        log = proc.log_path.open("ab" if proc.process is not None else "wb")  # a restart keeps the earlier log
        proc.process = subprocess.Popen(
            [sys.executable, "-m", "lammesh.cli", "run", proc.name],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True, cwd=REPO_ROOT,
        )
        log.close()
        self.progress(proc.name, "starting", f"pid {proc.process.pid}, gRPC {proc.address}, metrics :{proc.metrics_port}")

    def _wait_serving(self, batch: list[ServiceProcess]) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        waiting = list(batch)
        client_settings = self._client_settings()
        channels = {p.name: sync_channel(p.address, client_settings) for p in batch}
        try:
            while waiting:
                for proc in list(waiting):
                    if not proc.alive():
                        self.progress(proc.name, "failed", f"exited with {proc.process.returncode if proc.process else '?'}")
                        raise MeshError(f"{proc.name} exited during start; last log lines ({proc.log_path}):\n{proc.log_tail()}")
                    try:
                        reply = health_pb2_grpc.HealthStub(channels[proc.name]).Check(health_pb2.HealthCheckRequest(), timeout=1)
                    except grpc.RpcError:
                        continue
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        waiting.remove(proc)
                        self.progress(proc.name, "serving", proc.address)
                if waiting and time.monotonic() > deadline:
                    names = ", ".join(p.name for p in waiting)
                    raise MeshError(f"not SERVING after {self.start_timeout_s:.0f}s: {names} (logs in {self.logs_dir})")
                if waiting:
                    time.sleep(0.25)
        finally:
            for channel in channels.values():
                channel.close()

    def _write_state(self) -> None:
        state = {
            "kafka_bootstrap": self.kafka_bootstrap,
            "gateway_address": self.gateway_address,
            "smtp": f"127.0.0.1:{self.smtp_port}",
            "maildir": str(self.maildir_path),
            "services": {p.name: {"pid": p.process.pid if p.process else None, "grpc": p.address,
                                  "metrics": p.metrics_port, "log": str(p.log_path)} for p in self.processes},
        }
        (self.run_dir / "mesh.json").write_text(json.dumps(state, indent=2))

    # -- faults (the chaos test) -----------------------------------------------------------------

    def process(self, name: str) -> ServiceProcess:
        for proc in self.processes:
            if proc.name == name:
                return proc
        raise KeyError(name)

    def kill(self, name: str) -> None:
        """SIGKILL a service (its whole process group): no drain, no clean-up, as a crash would."""
        proc = self.process(name)
        if proc.process is not None:
            self._signal(proc.process, signal.SIGKILL)
            proc.process.wait()
            self.progress(name, "killed", f"exit {proc.process.returncode}")

    def respawn(self, name: str) -> None:
        """Start a service that is not running again, on the same ports, and wait for SERVING."""
        proc = self.process(name)
        if proc.alive():
            raise MeshError(f"{name} is still running (pid {proc.process.pid if proc.process else '?'})")
        self._spawn(proc)
        self._wait_serving([proc])

    def restart_kafka(self, *, hard: bool = False) -> None:
        """Stop the broker this mesh started (controlled shutdown; `hard`: SIGKILL at once) and
        start it again on the same data."""
        if self.kafka is None:
            raise MeshError("this mesh did not start the broker, so it does not restart it")
        self.progress("kafka", "stopping", "restart (SIGKILL)" if hard else "restart")
        self.kafka.stop(timeout=0 if hard else 60.0)
        self.progress("kafka", "starting", "restart")
        self.kafka.start()
        self.progress("kafka", "serving", self.kafka.bootstrap)

    # -- stop ----------------------------------------------------------------------------------

    def stop(self) -> None:
        """SIGTERM every process (newest first), wait for them to drain, SIGKILL what remains."""
        running = [p for p in reversed(self.processes) if p.alive()]
        for proc in running:
            self.progress(proc.name, "stopping", "")
            self._signal(proc.process, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout_s
        for proc in running:
            assert proc.process is not None
            try:
                proc.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._signal(proc.process, signal.SIGKILL)
                proc.process.wait()
            self.progress(proc.name, "stopped", f"exit {proc.process.returncode}")
        self.processes = []
        if self.sink is not None and self.sink.poll() is None:
            self._signal(self.sink, signal.SIGTERM)
            try:
                self.sink.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._signal(self.sink, signal.SIGKILL)
                self.sink.wait()
            self.progress("smtp-sink", "stopped", "")
        self.sink = None
        if self.kafka is not None:
            self.progress("kafka", "stopping", "")
            self.kafka.stop()
            self.progress("kafka", "stopped", "")
            self.kafka = None
        with contextlib.suppress(FileNotFoundError):
            (self.run_dir / "mesh.json").unlink()

    @staticmethod
    def _signal(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
        # each service runs in its own session: signal its whole process group (no strays)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)

    def __enter__(self) -> Mesh:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def stop_on_signals(mesh: Mesh) -> Iterator[None]:
    """Turn SIGTERM (and SIGINT) into KeyboardInterrupt so `finally: mesh.stop()` runs."""

    fired = False

    def interrupt(signum: int, frame: object) -> None:
        nonlocal fired
        if fired:  # already stopping: a second Ctrl-C must not cut the clean stop short
            return
        fired = True
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
