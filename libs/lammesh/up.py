"""The one process launcher: the whole mesh on one machine, every service its own process.

`lammesh up`, `make demo`, the bench and the soak (loadtest/), the chaos run and the tests that
need services as real processes all start them through `Mesh`; this is the one place that builds
a service process's `LAMMESH_*` environment (`Mesh.service_env`).

Starts Kafka when none answers (or, with `kafka_bootstrap=None`, a broker of its own on free
ports; lammesh.dev.localkafka), an SMTP sink writing a Maildir, then every catalogue service with
`lammesh run NAME` on its own gRPC and metrics ports: watchers first, then agents and tools, the
coordinator (told where the watchers are through LAMMESH_WATCHER_ENDPOINTS; `replicas` runs
several instances) and the gateway (on LAMMESH_GATEWAY_ADDRESS). With `seed_crm` it first adds
the sample accounts to the crm service's database (`lammesh up` does, so the README's example
finds its account). It waits for each service's grpc.health.v1 SERVING, logs each instance to
<run_dir>/logs/<instance>.log, and stops everything it started on `stop()` — SIGTERM first
(services drain), SIGKILL after the grace period — so nothing is left behind.
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
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from lammesh.catalogue import ServiceKind, ServiceSpec, load_services
from lammesh.dev.localkafka import DEFAULT_HOME, REPO_ROOT, LocalKafka, free_ports
from lammesh.grpc.client import sync_channel
from lammesh.settings import Settings

_CLIENT_TLS_SETTINGS = ("grpc_tls_cert", "grpc_tls_key", "grpc_tls_ca", "grpc_tls_server_name")

# Watchers before the services that call them; the gateway last (it accepts work).
START_ORDER = {
    ServiceKind.WATCHER: 0,
    ServiceKind.AGENT: 1,
    ServiceKind.TOOL: 1,
    ServiceKind.COORDINATOR: 2,
    ServiceKind.GATEWAY: 3,
    ServiceKind.CONSOLE: 4,
    ServiceKind.WORKER: 4,
}

Progress = Callable[[str, str, str], None]
"""(instance, state, detail): state is starting / serving / failed / stopping / stopped / killed
(and `seeded` for the dev CRM)."""


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
    instance: str
    """The service's name, or `<name>-<i>` for an instance of a replicated service."""
    grpc_port: int
    metrics_port: int
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    """What this instance's environment adds to the mesh's (ports, name, data folder)."""
    process: subprocess.Popen[bytes] | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

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
    """Catalogue names to run; None: every service in the catalogue that is `in_default_mesh`."""
    kafka_bootstrap: str | None = field(
        default_factory=lambda: os.environ.get("LAMMESH_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    )
    """The broker; one is started on it when none answers there (on 127.0.0.1). None: a broker
    of this mesh's own on free ports, under <run_dir>/kafka."""
    gateway_address: str = field(default_factory=lambda: os.environ.get("LAMMESH_GATEWAY_ADDRESS", "127.0.0.1:50051"))
    smtp_port: int = field(default_factory=lambda: int(os.environ.get("LAMMESH_SMTP_PORT", "2525")))
    console_port: int = field(default_factory=lambda: int(os.environ.get("LAMMESH_CONSOLE_PORT", "8080")))
    """HTTP port of the web console (when the console is one of the services)."""
    smtp_sink: bool = True
    """Start the SMTP sink (and point the services at it); False: leave LAMMESH_SMTP_* alone."""
    start_kafka: bool = True
    """Make sure a broker answers on kafka_bootstrap (starting one); False: for services that need
    none (watchers serve gRPC only, e.g. `make bench-watchers`)."""
    maildir: Path | None = None
    topic_prefix: str | None = None
    """LAMMESH_TOPIC_PREFIX of every service (None: the environment's, else the default)."""
    partitions: int | None = None
    """LAMMESH_TOPIC_PARTITIONS of every service (None: the environment's, else the default)."""
    replicas: dict[str, int] = field(default_factory=dict)
    """Services that run several instances, e.g. {"coordinator": 2}: named <name>-0, <name>-1, …,
    each with its own ports, log and coordinator data folder."""
    seed_crm: bool = False
    """Before the services start, add the sample accounts to the crm service's database."""
    extra_env: dict[str, str] = field(default_factory=dict)
    """LAMMESH_* settings for every service (over the mesh's own; under each instance's ports)."""
    certs: Path | None = None
    """A `make certs` folder: the mesh runs mutual TLS, each service with its own certificate
    (services/<name>.crt, its identity; decision 0680), clients of the mesh with client.crt.
    None: whatever LAMMESH_GRPC_TLS_* the environment and extra_env give (plaintext by default)."""
    start_timeout_s: float = 180.0
    stop_timeout_s: float = 30.0
    progress: Progress = lambda service, state, detail: None

    processes: list[ServiceProcess] = field(default_factory=list, init=False)
    kafka: LocalKafka | None = field(default=None, init=False)
    sink: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def logs_dir(self) -> Path:
        return self.run_dir / "logs"

    @property
    def maildir_path(self) -> Path:
        return self.maildir or self.run_dir / "maildir"

    @property
    def console_url(self) -> str | None:
        """Where the web console of this mesh answers (None: it does not run the console)."""
        if not any(p.spec.kind == ServiceKind.CONSOLE for p in self.processes):
            return None
        return f"http://127.0.0.1:{self.console_port}/"

    def watcher_endpoints(self) -> dict[str, str]:
        """Where each watcher of this mesh answers, as LAMMESH_WATCHER_ENDPOINTS takes it: a
        replicated watcher's instances as "ip:port,ip:port" (its callers balance over them)."""
        addresses: dict[str, list[str]] = {}
        for proc in self.processes:
            if proc.spec.kind == ServiceKind.WATCHER:
                addresses.setdefault(proc.name, []).append(proc.address)
        return {name: ",".join(each) for name, each in addresses.items()}

    def client_settings(self, **overrides: Any) -> Settings:
        """Settings for a client of this mesh (a load generator, a test): its broker, topic
        prefix and partitions, and the services' gRPC TLS client files, if any."""
        env = self.service_env()
        values: dict[str, Any] = {
            key: env[f"LAMMESH_{key.upper()}"] for key in _CLIENT_TLS_SETTINGS if env.get(f"LAMMESH_{key.upper()}")
        }
        if self.kafka_bootstrap is not None:
            values["kafka_bootstrap"] = self.kafka_bootstrap
        if env.get("LAMMESH_TOPIC_PREFIX"):
            values["topic_prefix"] = env["LAMMESH_TOPIC_PREFIX"]
        if env.get("LAMMESH_TOPIC_PARTITIONS"):
            values["topic_partitions"] = int(env["LAMMESH_TOPIC_PARTITIONS"])
        return Settings(**{**values, **overrides})

    def crm_database_url(self) -> str:
        """The database the crm service of this mesh uses (a relative SQLite file is relative to
        the repository, the folder every service runs in)."""
        from lammesh_services.tools.crm.seed import resolve_sqlite_url  # the crm tool's own code

        url = self.service_env().get("LAMMESH_CRM_DATABASE_URL") or Settings.model_fields["crm_database_url"].default
        return resolve_sqlite_url(url, REPO_ROOT)

    # -- start ---------------------------------------------------------------------------------

    def start(self) -> None:
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        try:
            if self.start_kafka:
                self._ensure_kafka()
            if self.smtp_sink:
                self._start_sink()
            self.plan()
            if self.seed_crm and any(p.name == "crm" for p in self.processes):
                self._seed_crm()
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
        if self.kafka_bootstrap is None:
            self.progress("kafka", "starting", "a broker of this mesh's own, on free ports")
            port, controller_port = free_ports(2, exclude=self._promised_ports())
            broker = LocalKafka(home=self.run_dir / "kafka", port=port, controller_port=controller_port)
            broker.start()
            self.kafka, self.kafka_bootstrap = broker, broker.bootstrap
            self.progress("kafka", "serving", f"{broker.bootstrap} (logs {broker.log_file})")
            return
        host, port = _split(self.kafka_bootstrap.split(",")[0])
        if port_open(host, port):
            self.progress("kafka", "serving", f"using the broker on {self.kafka_bootstrap}")
            return
        if host not in ("127.0.0.1", "localhost"):
            raise MeshError(f"no Kafka answers on {self.kafka_bootstrap}")
        self.progress("kafka", "starting", f"local KRaft broker on {host}:{port}")
        default_home = self.run_dir.resolve() == (REPO_ROOT / ".run").resolve()
        broker = LocalKafka(  # the default home keeps `make kafka-up`'s ports: KRaft remembers its controller
            home=DEFAULT_HOME if default_home else self.run_dir / "kafka",
            port=port,
            controller_port=9093 if default_home else free_ports(1, exclude={port, *self._promised_ports()})[0],
        )
        broker.start()
        self.kafka = broker
        self.progress("kafka", "serving", f"{broker.bootstrap} (logs {broker.log_file})")

    def _start_sink(self) -> None:
        if port_open("127.0.0.1", self.smtp_port):
            raise MeshError(f"port {self.smtp_port} (SMTP sink) is taken; set LAMMESH_SMTP_PORT to a free one")
        log = (self.logs_dir / "smtp-sink.log").open("wb")
        self.sink = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lammesh.cli",
                "smtp-sink",
                "--port",
                str(self.smtp_port),
                "--maildir",
                str(self.maildir_path),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.service_env(),
            start_new_session=True,
            cwd=REPO_ROOT,
        )
        log.close()
        deadline = time.monotonic() + 30
        while not port_open("127.0.0.1", self.smtp_port):
            if self.sink.poll() is not None or time.monotonic() > deadline:
                raise MeshError(f"the SMTP sink did not start; see {self.logs_dir / 'smtp-sink.log'}")
            time.sleep(0.1)
        self.progress("smtp-sink", "serving", f"127.0.0.1:{self.smtp_port} -> {self.maildir_path}")

    def plan(self) -> None:
        """Give every instance its ports, log and environment without starting anything;
        `start()` starts this plan (and makes it when there is none). Plan first to know the
        addresses before any process exists (`watcher_endpoints()`, `process(i).address`), e.g.
        to point a client at a watcher that starts late. Raises MeshError for unknown services,
        bad replica counts or a taken gateway port."""
        if not self.processes:
            self._plan()

    def _promised_ports(self) -> set[int]:
        return {_split(self.gateway_address)[1], self.smtp_port, self.console_port}

    def _plan(self) -> None:
        catalogue = load_services()
        names = (
            self.services
            if self.services is not None
            else sorted(n for n, spec in catalogue.items() if spec.in_default_mesh)
        )
        unknown = [n for n in [*names, *self.replicas] if n not in catalogue]
        if unknown:
            raise MeshError(f"unknown services {unknown}; known: {sorted(catalogue)}")
        bad = {n: c for n, c in self.replicas.items() if c < 1 or catalogue[n].kind == ServiceKind.GATEWAY and c != 1}
        if bad:
            raise MeshError(f"replicas must be at least 1 (the gateway runs once): {bad}")
        gateway_host, gateway_port = _split(self.gateway_address)
        instances = [
            (name, f"{name}-{i}" if name in self.replicas else name)
            for name in sorted(names, key=lambda n: (START_ORDER[catalogue[n].kind], n))
            for i in range(self.replicas.get(name, 1))
        ]
        # Distinct: two services never share a port, nor take one promised to the gateway, the sink or
        # the console, which may not be listening yet (a service once took the gateway's port).
        ports = iter(free_ports(2 * len(instances), exclude=self._promised_ports()))
        data_dir = self.service_env()["LAMMESH_COORDINATOR_DATA_DIR"]
        for name, instance in instances:
            spec = catalogue[name]
            grpc_port = next(ports)
            if spec.kind == ServiceKind.GATEWAY:
                grpc_port = gateway_port
                if port_open(gateway_host, gateway_port):
                    raise MeshError(
                        f"{self.gateway_address} (gateway) is taken; set LAMMESH_GATEWAY_ADDRESS to a free port"
                    )
            # OTEL_* pass through from the environment; service.name is each process's own.
            env = {"LAMMESH_SERVICE_NAME": name, "OTEL_SERVICE_NAME": name}
            if spec.kind == ServiceKind.CONSOLE:
                if port_open("127.0.0.1", self.console_port):
                    raise MeshError(
                        f"port {self.console_port} (console) is taken; set LAMMESH_CONSOLE_PORT to a free one"
                    )
                env["LAMMESH_CONSOLE_PORT"] = str(self.console_port)
            if instance != name:  # instances of one service must not share a local table
                env["LAMMESH_COORDINATOR_DATA_DIR"] = str(Path(data_dir) / instance)
            self.processes.append(
                ServiceProcess(spec, instance, grpc_port, next(ports), self.logs_dir / f"{instance}.log", env)
            )

    def service_env(self, proc: ServiceProcess | None = None) -> dict[str, str]:
        """The environment of a service process of this mesh (of `proc`; without one: what every
        process shares). The only place a launched process's LAMMESH_* settings are made."""
        env = {
            **os.environ,
            "LAMMESH_GATEWAY_ADDRESS": self.gateway_address,
            # The coordinator's local table belongs with this run's broker: a table built from
            # another broker's changelog is ahead of this one's, and Faust refuses to start.
            "LAMMESH_COORDINATOR_DATA_DIR": str(self.run_dir / "coordinator"),
            "PYTHONUNBUFFERED": "1",
        }
        if self.kafka_bootstrap is not None:
            env["LAMMESH_KAFKA_BOOTSTRAP"] = self.kafka_bootstrap
        if self.smtp_sink:
            env.update(
                {
                    "LAMMESH_SMTP_HOST": "127.0.0.1",
                    "LAMMESH_SMTP_PORT": str(self.smtp_port),
                    "LAMMESH_MAILDIR": str(self.maildir_path),
                }
            )
        if self.topic_prefix is not None:
            env["LAMMESH_TOPIC_PREFIX"] = self.topic_prefix
        if self.partitions is not None:
            env["LAMMESH_TOPIC_PARTITIONS"] = str(self.partitions)
        if self.certs is not None:
            env.update(
                {
                    "LAMMESH_GRPC_TLS_CA": str(self.certs / "ca.crt"),
                    "LAMMESH_GRPC_MTLS": "true",
                    "LAMMESH_GRPC_TLS_CERT": str(self.certs / "client.crt"),
                    "LAMMESH_GRPC_TLS_KEY": str(self.certs / "client.key"),
                }
            )
        env.update(self.extra_env)
        if proc is not None and self.certs is not None:
            env.update(
                {
                    "LAMMESH_GRPC_TLS_CERT": str(self.certs / "services" / f"{proc.spec.name}.crt"),
                    "LAMMESH_GRPC_TLS_KEY": str(self.certs / "services" / f"{proc.spec.name}.key"),
                }
            )
        if proc is not None:
            env.update(
                {
                    "LAMMESH_GRPC_HOST": "127.0.0.1",
                    "LAMMESH_GRPC_PORT": str(proc.grpc_port),
                    "LAMMESH_METRICS_PORT": str(proc.metrics_port),
                    "LAMMESH_WATCHER_ENDPOINTS": json.dumps(self.watcher_endpoints()),
                    **proc.env,
                }
            )
        return env

    def _seed_crm(self) -> None:
        from lammesh_services.tools.crm.seed import SeedError, seed_database  # the crm tool's own code

        url = self.crm_database_url()
        try:
            result = seed_database(url)
        except SeedError as exc:
            raise MeshError(f"the dev CRM was not seeded: {exc}") from None
        except Exception as exc:
            raise MeshError(
                f"the dev CRM at {url} could not be seeded ({type(exc).__name__}: {exc}); "
                "fix LAMMESH_CRM_DATABASE_URL or start with --no-seed-crm"
            ) from None
        added = f"added {', '.join(result.added)}" if result.added else "nothing to add"
        self.progress("crm-seed", "seeded", f"sample accounts: {added}; {len(result.present)} there already ({url})")

    def _spawn(self, proc: ServiceProcess) -> None:
        log = proc.log_path.open("ab" if proc.process is not None else "wb")  # a restart keeps the earlier log
        proc.process = subprocess.Popen(
            [sys.executable, "-m", "lammesh.cli", "run", proc.name],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.service_env(proc),
            start_new_session=True,
            cwd=REPO_ROOT,
        )
        log.close()
        self.progress(
            proc.instance, "starting", f"pid {proc.process.pid}, gRPC {proc.address}, metrics :{proc.metrics_port}"
        )

    def _wait_serving(self, batch: list[ServiceProcess]) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        waiting = list(batch)
        client_settings = self.client_settings()
        channels = {p.instance: sync_channel(p.address, client_settings) for p in batch}
        try:
            while waiting:
                for proc in list(waiting):
                    if not proc.alive():
                        self.progress(
                            proc.instance, "failed", f"exited with {proc.process.returncode if proc.process else '?'}"
                        )
                        raise MeshError(
                            f"{proc.instance} exited during start; last log lines ({proc.log_path}):\n{proc.log_tail()}"
                        )
                    try:
                        reply = health_pb2_grpc.HealthStub(channels[proc.instance]).Check(
                            health_pb2.HealthCheckRequest(), timeout=1
                        )
                    except grpc.RpcError:
                        continue
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        waiting.remove(proc)
                        self.progress(proc.instance, "serving", proc.address)
                if waiting and time.monotonic() > deadline:
                    names = ", ".join(p.instance for p in waiting)
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
            "console": self.console_url,
            "smtp": f"127.0.0.1:{self.smtp_port}" if self.smtp_sink else None,
            "maildir": str(self.maildir_path) if self.smtp_sink else None,
            "services": {
                p.instance: {
                    "service": p.name,
                    "pid": p.pid,
                    "grpc": p.address,
                    "metrics": p.metrics_port,
                    "log": str(p.log_path),
                }
                for p in self.processes
            },
        }
        (self.run_dir / "mesh.json").write_text(json.dumps(state, indent=2))

    # -- one instance (the chaos run, crash tests) -----------------------------------------------

    def process(self, instance: str) -> ServiceProcess:
        for proc in self.processes:
            if proc.instance == instance:
                return proc
        raise KeyError(instance)

    def exited(self) -> list[str]:
        """Instances that are not running (a crash during a bench run invalidates its figures)."""
        return [p.instance for p in self.processes if not p.alive()]

    def serving(self, instance: str, timeout: float = 1.0) -> bool:
        """Whether the instance runs and answers grpc.health.v1 SERVING now (one Check)."""
        proc = self.process(instance)
        if not proc.alive():
            return False
        channel = sync_channel(proc.address, self.client_settings())
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=timeout)
        except grpc.RpcError:
            return False
        finally:
            channel.close()
        return reply.status == health_pb2.HealthCheckResponse.SERVING

    def kill(self, instance: str) -> None:
        """SIGKILL a service (its whole process group): no drain, no clean-up, as a crash would."""
        proc = self.process(instance)
        if proc.process is not None:
            self._signal(proc.process, signal.SIGKILL)
            proc.process.wait()
            self.progress(instance, "killed", f"exit {proc.process.returncode}")

    def stop_service(self, instance: str, timeout: float | None = None) -> int | None:
        """SIGTERM one instance and wait for it to drain (SIGKILL after `timeout`, default the
        mesh's stop timeout); returns its exit status (None: it was never started)."""
        proc = self.process(instance)
        if proc.process is None:
            return None
        if proc.alive():
            self.progress(instance, "stopping", "")
            self._terminate(proc.process, self.stop_timeout_s if timeout is None else timeout)
            self.progress(instance, "stopped", f"exit {proc.process.returncode}")
        return proc.process.returncode

    def respawn(self, instance: str) -> None:
        """Start an instance that is not running again, on the same ports, and wait for SERVING."""
        proc = self.process(instance)
        if proc.alive():
            raise MeshError(f"{instance} is still running (pid {proc.pid})")
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
            self.progress(proc.instance, "stopping", "")
            self._signal(proc.process, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout_s
        for proc in running:
            assert proc.process is not None
            self._terminate(proc.process, max(0.1, deadline - time.monotonic()), signalled=True)
            self.progress(proc.instance, "stopped", f"exit {proc.process.returncode}")
        self.processes = []
        if self.sink is not None and self.sink.poll() is None:
            self._terminate(self.sink, 10)
            self.progress("smtp-sink", "stopped", "")
        self.sink = None
        if self.kafka is not None:
            self.progress("kafka", "stopping", "")
            self.kafka.stop()
            self.progress("kafka", "stopped", "")
            self.kafka = None
        with contextlib.suppress(FileNotFoundError):
            (self.run_dir / "mesh.json").unlink()

    @classmethod
    def _terminate(cls, process: subprocess.Popen[bytes], timeout: float, *, signalled: bool = False) -> None:
        if not signalled:
            cls._signal(process, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            cls._signal(process, signal.SIGKILL)
            process.wait()

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
