"""Entrypoint of the web console: `lammesh run console`.

An HTTP server (uvicorn) for the pages on console_port, beside the usual gRPC server that serves
only grpc.health.v1 (what `lammesh up` and the kubelet wait for). The pages call the gateway at
gateway_address with each signed-in user's credentials (lammesh.console.app)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import grpc
import structlog
import uvicorn

from lammesh.console.app import Console
from lammesh.grpc.client import channel as grpc_channel
from lammesh.service import ServiceRuntime
from lammesh.settings import Settings

log = structlog.get_logger(__name__)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the service runtime owns SIGTERM/SIGINT and stops the server through `stop`


class ConsoleServer:
    """uvicorn inside the service runtime: started once gRPC health is up, stopped on SIGTERM."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.channel: grpc.aio.Channel | None = None
        self.server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The port it listens on (console_port, or the free one picked for 0)."""
        assert self.server is not None and self.server.servers, "not started"
        return int(self.server.servers[0].sockets[0].getsockname()[1])

    async def start(self) -> None:
        self.channel = grpc_channel(self.settings.gateway_address, self.settings)
        config = uvicorn.Config(
            Console(self.settings, self.channel).app(),
            host=self.settings.grpc_host,
            port=self.settings.console_port,
            log_config=None,
            access_log=False,
            lifespan="off",
            server_header=False,
        )
        self.server = _Server(config)
        self._task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self._task.done():
                self._task.result()  # raises why it could not listen (e.g. the port is taken)
                raise RuntimeError(
                    f"the console did not start on {self.settings.grpc_host}:{self.settings.console_port}"
                )
            await asyncio.sleep(0.02)
        log.info(
            "console serving",
            url=f"http://{self.settings.grpc_host}:{self.port}/",
            gateway=self.settings.gateway_address,
        )

    async def stop(self) -> None:
        if self.server is not None and self._task is not None:
            self.server.should_exit = True
            await self._task
        if self.channel is not None:
            await self.channel.close()


def bootstrap(settings: Settings) -> ServiceRuntime:
    runtime = ServiceRuntime(settings, kafka=False)
    console = ConsoleServer(settings)
    runtime.on_started.append(console.start)
    runtime.on_stopped.append(console.stop)
    return runtime
