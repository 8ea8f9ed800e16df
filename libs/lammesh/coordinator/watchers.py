"""Calls watchers over gRPC with the step's deadline; an error becomes an outcome, never a crash."""

from __future__ import annotations

import asyncio

import grpc
import structlog

from lammesh.coordinator import codec
from lammesh.coordinator.watcher_batching import BatchingWatcherCaller, WatcherBatchError
from lammesh.grpc.client import channel as grpc_channel
from lammesh.saga import RunChecks, Saga, Verdict, WatcherOutcome
from lammesh.settings import Settings
from lammesh.structs import to_struct
from lammesh.v1 import watcher_pb2, watcher_pb2_grpc

log = structlog.get_logger(__name__)

_VERDICTS = {
    watcher_pb2.VERDICT_ALLOW: Verdict.ALLOW,
    watcher_pb2.VERDICT_REVIEW: Verdict.REVIEW,
    watcher_pb2.VERDICT_BLOCK: Verdict.BLOCK,
}


class WatcherClient:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._stubs: dict[str, watcher_pb2_grpc.WatcherServiceStub] = {}
        self._callers: dict[str, BatchingWatcherCaller] = {}
        self._channels: list[grpc.aio.Channel] = []

    def address(self, name: str) -> str:
        return self._settings.watcher_endpoints.get(name) or self._settings.watcher_endpoint_template.format(name=name)

    def _stub(self, name: str) -> watcher_pb2_grpc.WatcherServiceStub:
        stub = self._stubs.get(name)
        if stub is None:
            channel = grpc_channel(self.address(name), self._settings)
            self._channels.append(channel)
            stub = self._stubs[name] = watcher_pb2_grpc.WatcherServiceStub(channel)
        return stub

    async def check(self, saga: Saga, checks: RunChecks) -> list[WatcherOutcome]:
        content, sources = to_struct(checks.content), to_struct(checks.sources)
        return list(
            await asyncio.gather(
                *(
                    self._one(watcher.name, codec.check_request(saga, checks, watcher, content=content, sources=sources),
                              checks.timeout_ms / 1000)
                    for watcher in checks.watchers
                )
            )
        )

    def _caller(self, name: str) -> BatchingWatcherCaller:
        caller = self._callers.get(name)
        if caller is None:
            caller = self._callers[name] = BatchingWatcherCaller(
                name, self._stub(name), max_batch=self._settings.watcher_client_max_batch,
                max_calls=self._settings.watcher_client_max_calls,
            )
        return caller

    async def _call(self, name: str, request: watcher_pb2.CheckRequest, timeout: float) -> watcher_pb2.CheckResponse:
        if self._settings.watcher_client_max_batch == 1:
            return await self._stub(name).Check(request, timeout=timeout)
        return await self._caller(name).check(request, timeout)

    async def _one(self, name: str, request: watcher_pb2.CheckRequest, timeout: float) -> WatcherOutcome:
        try:
            reply = await self._call(name, request, timeout)
        except grpc.aio.AioRpcError as exc:
            log.warning("watcher call failed", watcher=name, code=exc.code().name, details=exc.details())
            return WatcherOutcome(name, error=f"{exc.code().name}: {exc.details() or 'no details'}")
        except WatcherBatchError as exc:
            log.warning("watcher call failed", watcher=name, error=str(exc))
            return WatcherOutcome(name, error=str(exc))
        verdict = _VERDICTS.get(reply.verdict)
        if verdict is None:
            return WatcherOutcome(name, error="watcher answered without a verdict")
        spans = tuple({"field": s.field, "start": s.start, "end": s.end, "label": s.label} for s in reply.spans)
        return WatcherOutcome(reply.watcher or name, verdict, reply.score, tuple(reply.reasons), spans)

    async def close(self) -> None:
        await asyncio.gather(*(caller.close() for caller in self._callers.values()))
        await asyncio.gather(*(channel.close() for channel in self._channels))
