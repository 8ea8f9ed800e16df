"""The service runtime: start adapters in order, report health, stop gracefully on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from wsgiref.simple_server import WSGIServer

import structlog

from lammesh import metrics
from lammesh.grpc.server import GrpcServer
from lammesh.kafka import EnvelopeConsumer, EnvelopeProducer, ensure_topics
from lammesh.settings import Settings
from lammesh.topics import TopicSpec

log = structlog.get_logger(__name__)

Hook = Callable[[], Awaitable[None]]


class ServiceRuntime:
    """Owns one service's gRPC server, producer and consumers.

    Start: topics, producer, gRPC (NOT_SERVING), consumers; SERVING once every consumer has joined
    its group. Stop: NOT_SERVING, consumers drain and commit, gRPC finishes calls in flight,
    the producer flushes.
    """

    def __init__(self, settings: Settings, *, topics: list[TopicSpec] | None = None, kafka: bool = True) -> None:
        self.settings = settings
        self.kafka = kafka
        """False for gRPC-only services (watchers): no topics, no producer, no broker needed."""
        self.grpc = GrpcServer(settings)
        self._producer = EnvelopeProducer(settings) if kafka else None
        self.consumers: list[EnvelopeConsumer] = []
        self.topics: list[TopicSpec] = list(topics or [])
        self.on_starting: list[Hook] = []
        """Before anything serves (open databases, load models)."""
        self.on_started: list[Hook] = []
        self.on_stopping: list[Hook] = []
        self.on_stopped: list[Hook] = []
        """After consumers, gRPC and the producer stopped (close what on_starting opened)."""
        self.ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._metrics_server: WSGIServer | None = None

    @property
    def producer(self) -> EnvelopeProducer:
        if self._producer is None:
            raise RuntimeError("this service runs without Kafka (kafka=False): it has no producer")
        return self._producer

    def add_consumer(self, consumer: EnvelopeConsumer) -> None:
        self.consumers.append(consumer)

    def request_stop(self) -> None:
        self._stop.set()

    async def start(self) -> None:
        for hook in self.on_starting:
            await hook()
        if self.kafka:
            await ensure_topics(self.settings, self.topics)
            await self.producer.start()
        port = await self.grpc.start()
        self._metrics_server = metrics.start_metrics_server(self.settings.metrics_port, self.settings.grpc_host)
        metrics_port = self.settings.metrics_port or None
        for consumer in self.consumers:
            await consumer.start()
        try:
            await self._wait_assigned()
        except BaseException:
            await self.stop()
            raise
        for hook in self.on_started:
            await hook()
        await self.grpc.set_serving(True)
        self.ready.set()
        log.info("service ready", grpc_port=port, metrics_port=metrics_port)

    async def _wait_assigned(self) -> None:
        """Until every consumer is assigned; raises what stopped a consumer's loop before that
        (a start that cannot succeed must fail, not hang unready)."""
        waits = {asyncio.ensure_future(c.assigned.wait()) for c in self.consumers}
        loops = {c.task for c in self.consumers if c.task is not None}
        try:
            while waits:
                done, _ = await asyncio.wait(waits | loops, return_when=asyncio.FIRST_COMPLETED)
                for task in done & loops:
                    task.result()  # raises what broke it
                    raise RuntimeError("a consumer loop ended before its partitions were assigned")
                waits -= done
        finally:
            for wait in waits:
                wait.cancel()

    async def stop(self) -> None:
        drain = self.settings.drain_timeout_s
        log.info("service stopping", drain_timeout_s=drain)
        await self.grpc.set_serving(False)
        for hook in self.on_stopping:
            await hook()
        await asyncio.gather(*(consumer.stop(timeout=drain) for consumer in self.consumers))
        await self.grpc.stop(grace=drain)
        if self._producer is not None:
            await self._producer.stop()
        if self._metrics_server is not None:
            self._metrics_server.shutdown()
            self._metrics_server.server_close()
        for hook in self.on_stopped:
            await hook()
        log.info("service stopped")

    async def run(self) -> None:
        """Run until SIGTERM/SIGINT or `request_stop`; raises if a consumer loop breaks."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stop.set)
        try:
            await self.start()
            watched = [c.task for c in self.consumers if c.task is not None]
            stop_waiter = asyncio.create_task(self._stop.wait())
            done, _ = await asyncio.wait([stop_waiter, *watched], return_when=asyncio.FIRST_COMPLETED)
            stop_waiter.cancel()
            broken = [t for t in done if t is not stop_waiter]
            await self.stop()
            for task in broken:
                task.result()  # re-raise what broke the consumer loop
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
