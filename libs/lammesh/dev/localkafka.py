"""A real single-node Apache Kafka (KRaft, combined broker+controller) for development and tests.

The jars come from Maven Central via `make setup` (scripts/kafka/pom.xml). This module formats
the storage, starts `kafka.Kafka` as a background JVM, waits until it answers metadata requests,
and stops it cleanly. `make kafka-up/kafka-down` and the test fixture both use it.
"""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_JARS = REPO_ROOT / ".cache" / "kafka" / "libs"
DEFAULT_HOME = REPO_ROOT / ".run" / "kafka"

_LOG4J2 = """\
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.state.name = state.change.logger
logger.state.level = WARN
"""


class KafkaError(RuntimeError):
    """Something about the local broker is wrong; the message says what and where to look."""


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int, exclude: Collection[int] = ()) -> list[int]:
    """`count` distinct ports free on 127.0.0.1 right now, none of them in `exclude` (ports already
    promised to a process that is not listening yet: the kernel would hand them out again). The
    sockets stay bound until all are picked, so the kernel cannot give the same port twice."""
    sockets = []
    ports: list[int] = []
    try:
        while len(ports) < count:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
            if port not in exclude:
                ports.append(port)
        return ports
    finally:
        for sock in sockets:
            sock.close()


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _is_kafka(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"kafka.Kafka" in cmdline


@dataclass
class LocalKafka:
    home: Path = DEFAULT_HOME
    jars: Path = DEFAULT_JARS
    port: int = 9092
    controller_port: int = 9093
    heap: str = "512m"
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / "server.log"

    @property
    def _pid_file(self) -> Path:
        return self.home / "kafka.pid"

    @property
    def _config_file(self) -> Path:
        return self.home / "server.properties"

    @property
    def _data_dir(self) -> Path:
        return self.home / "data"

    def running_pid(self) -> int | None:
        try:
            pid = int(self._pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _is_kafka(pid) else None

    def _classpath(self) -> str:
        if not self.jars.is_dir() or not any(self.jars.glob("kafka_2.13-*.jar")):
            raise KafkaError(f"Kafka jars not found in {self.jars}; run `make setup` first")
        return f"{self.jars}/*"

    def _write_config(self) -> None:
        (self.home / "logs").mkdir(parents=True, exist_ok=True)
        self._config_file.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
                    f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                    f"log.dirs={self._data_dir}",
                    "num.partitions=1",
                    # Topics are created by the code from its catalogue, never by accident.
                    "auto.create.topics.enable=false",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=4",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "log.segment.bytes=16777216",
                    "log.retention.check.interval.ms=60000",
                    "",
                ]
            )
        )
        (self.home / "log4j2.properties").write_text(_LOG4J2.format(log=self.log_file))

    def _java(self) -> list[str]:
        return [
            "java",
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={self.home / 'logs'}",
            "-cp",
            self._classpath(),
        ]

    def _format(self) -> None:
        if (self._data_dir / "meta.properties").exists():
            return
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        result = subprocess.run(
            [
                *self._java(),
                "kafka.tools.StorageTool",
                "format",
                "--config",
                str(self._config_file),
                f"--cluster-id={cluster_id}",
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise KafkaError(f"formatting KRaft storage failed:\n{result.stdout}{result.stderr}")

    def start(self, timeout: float = 90.0) -> None:
        """Format (first time), start and wait until the broker answers metadata requests."""
        pid = self.running_pid()
        if pid is not None:
            raise KafkaError(f"Kafka is already running (pid {pid}) on {self.bootstrap}")
        for port in (self.port, self.controller_port):
            if _port_in_use(port):
                raise KafkaError(f"port {port} on 127.0.0.1 is taken by another process")
        self._write_config()
        self._format()
        out = open(self.home / "logs" / "kafka.out", "ab")  # noqa: SIM115 (the broker writes it; closed after Popen)
        self._process = subprocess.Popen(
            [*self._java(), "kafka.Kafka", str(self._config_file)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # survives the caller (make kafka-up) and its Ctrl-C
        )
        out.close()
        self._pid_file.write_text(str(self._process.pid))
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise KafkaError(
                    f"Kafka exited with code {self._process.returncode} while starting; see {self.log_file} "
                    f"and {self.home / 'logs' / 'kafka.out'}"
                )
            if _port_in_use(self.port) and asyncio.run(self._answers_metadata()):
                return
            time.sleep(0.3)
        raise KafkaError(f"Kafka did not become ready within {timeout:.0f}s; see {self.log_file}")

    async def _answers_metadata(self) -> bool:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=3000)
        try:
            await admin.start()
            cluster = await admin.describe_cluster()
            return bool(cluster.get("brokers"))
        except Exception:
            return False
        finally:
            await admin.close()

    def stop(self, timeout: float = 60.0) -> bool:
        """SIGTERM (controlled shutdown), SIGKILL after `timeout`; False if it was not running."""
        pid = self._process.pid if self._process is not None else self.running_pid()
        if pid is None:
            self._pid_file.unlink(missing_ok=True)
            return False
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while self._alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if self._alive(pid):
            os.kill(pid, signal.SIGKILL)
            while self._alive(pid):
                time.sleep(0.1)
        self._pid_file.unlink(missing_ok=True)
        self._process = None
        return True

    def _alive(self, pid: int) -> bool:
        if self._process is not None:
            return self._process.poll() is None
        return _is_kafka(pid)
