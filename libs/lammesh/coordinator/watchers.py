"""Calls watchers over gRPC with the step's deadline; an error becomes an outcome, never a crash.

A check rides out a watcher's restart (docs/decisions/0632): the channel balances over every
replica of the watcher that reports SERVING, and a call that fails UNAVAILABLE is tried again here,
with backoff and jitter (at once when the channel reconnects), on any healthy replica, until the
check's own deadline. Only then does it fail (closed, unless the workflow says otherwise), with a
reason that says the watcher was unavailable until the deadline and the last error seen.
"""

from __future__ import annotations

import asyncio

import grpc
import structlog
from opentelemetry.trace import SpanKind, Status, StatusCode

from lammesh import metrics, tracing
from lammesh.coordinator import codec
from lammesh.coordinator.watcher_batching import BatchingWatcherCaller, WatcherBatchError
from lammesh.grpc.client import channel as grpc_channel
from lammesh.grpc.retry import Backoff
from lammesh.saga import RunChecks, Saga, WatcherOutcome
from lammesh.settings import Settings
from lammesh.structs import to_struct
from lammesh.v1 import watcher_pb2, watcher_pb2_grpc
from lammesh.verdict import Verdict

log = structlog.get_logger(__name__)

# A replica that is away (restarting, draining, not yet started, the connection broken): another
# try, on any replica, may succeed. CANCELLED too: our own cancellation raises CancelledError, so
# an RpcError with CANCELLED is the server dropping the call as it stops (a call that reached a
# draining replica); a check has no side effect, so another replica may answer it. Every other
# code is the watcher's answer to this request.
_RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED})
_WATCHER_SERVICE = "lammesh.v1.WatcherService"


class WatcherClient:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._stubs: dict[str, watcher_pb2_grpc.WatcherServiceStub] = {}
        self._callers: dict[str, BatchingWatcherCaller] = {}
        self._channels: dict[str, grpc.aio.Channel] = {}

    def address(self, name: str) -> str:
        return self._settings.watcher_endpoints.get(name) or self._settings.watcher_endpoint_template.format(name=name)

    def _stub(self, name: str) -> watcher_pb2_grpc.WatcherServiceStub:
        stub = self._stubs.get(name)
        if stub is None:
            # Client-side health checking: a replica gets checks only while it reports SERVING
            # (not while it loads its model, nor while it drains on its way down).
            # Retries are ours (below), not the channel's: gRPC's own, run into the deadline, end
            # DEADLINE_EXCEEDED and the reason would lose the cause.
            channel = grpc_channel(self.address(name), self._settings, retry=False, health_service=_WATCHER_SERVICE)
            self._channels[name] = channel
            stub = self._stubs[name] = watcher_pb2_grpc.WatcherServiceStub(channel)
        return stub

    async def check(self, saga: Saga, checks: RunChecks) -> list[WatcherOutcome]:
        content, sources = to_struct(checks.content), to_struct(checks.sources)
        return list(
            await asyncio.gather(
                *(
                    self._one(
                        watcher.name,
                        codec.check_request(saga, checks, watcher, content=content, sources=sources),
                        checks.timeout_ms / 1000,
                    )
                    for watcher in checks.watchers
                )
            )
        )

    def _caller(self, name: str) -> BatchingWatcherCaller:
        caller = self._callers.get(name)
        if caller is None:
            caller = self._callers[name] = BatchingWatcherCaller(
                name,
                self._stub(name),
                max_batch=self._settings.watcher_client_max_batch,
                max_calls=self._settings.watcher_client_max_calls,
            )
        return caller

    async def _call(self, name: str, request: watcher_pb2.CheckRequest, timeout: float) -> watcher_pb2.CheckResponse:
        if self._settings.watcher_client_max_batch == 1:
            return await self._stub(name).Check(request, timeout=timeout)
        return await self._caller(name).check(request, timeout)

    async def _one(self, name: str, request: watcher_pb2.CheckRequest, timeout: float) -> WatcherOutcome:
        """One check in its own client span; its context rides in the request (a batch call
        carries several tasks' checks, each in its own trace)."""
        attributes = {
            tracing.TASK_ID: request.task_id,
            tracing.STEP_ID: request.step_id,
            tracing.ATTEMPT: request.attempt,
            tracing.CAPABILITY: request.capability,
            tracing.WATCHER: name,
            tracing.STAGE: watcher_pb2.CheckStage.Name(request.stage),
        }
        with tracing.tracer().start_as_current_span(
            f"check {name}", kind=SpanKind.CLIENT, attributes=attributes
        ) as span:
            request.trace_context.update(tracing.current_trace_context())
            outcome = await self._checked(name, request, timeout)
            span.set_attributes(
                {
                    tracing.VERDICT: outcome.verdict.label if not outcome.error else "error",
                    tracing.MODEL_VERSION: outcome.model.get("version", ""),
                }
            )
            if outcome.error:
                span.set_status(Status(StatusCode.ERROR, outcome.error))
            return outcome

    async def _checked(self, name: str, request: watcher_pb2.CheckRequest, timeout: float) -> WatcherOutcome:
        try:
            reply = await self._call_until_deadline(name, request, timeout)
        except _Unavailable as exc:
            log.warning(
                "watcher unavailable until the check's deadline",
                watcher=name,
                waited_s=round(exc.waited, 3),
                last_error=exc.last_error,
            )
            return WatcherOutcome(
                name, error=f"unavailable for {exc.waited:.1f} s (deadline): last error: {exc.last_error}"
            )
        except grpc.aio.AioRpcError as exc:
            log.warning("watcher call failed", watcher=name, code=exc.code().name, details=exc.details())
            return WatcherOutcome(name, error=_describe(exc))
        except WatcherBatchError as exc:
            log.warning("watcher call failed", watcher=name, error=str(exc))
            return WatcherOutcome(name, error=str(exc))
        try:
            verdict = Verdict.from_proto(reply.verdict)
        except ValueError:
            return WatcherOutcome(name, error="watcher answered without a verdict")
        spans = tuple({"field": s.field, "start": s.start, "end": s.end, "label": s.label} for s in reply.spans)
        model = (
            {"name": reply.model.name, "version": reply.model.version, "sha256": reply.model.sha256}
            if reply.HasField("model")
            else {}
        )
        return WatcherOutcome(
            reply.watcher or name,
            verdict,
            reply.score,
            tuple(reply.reasons),
            spans,
            watcher_version=reply.watcher_version,
            model=model,
        )

    async def _call_until_deadline(
        self, name: str, request: watcher_pb2.CheckRequest, timeout: float
    ) -> watcher_pb2.CheckResponse:
        """The call, tried again while the watcher is unavailable, until `timeout` from now."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        backoff: Backoff | None = None  # made on the first failure: it seeds a Random (#14)
        first_failure: float | None = None  # when the first try that failed UNAVAILABLE began
        last_error = ""
        while True:
            tried = loop.time()
            try:
                return await self._call(name, request, max(deadline - tried, 0.001))
            except grpc.aio.AioRpcError as exc:
                now = loop.time()
                if exc.code() in _RETRYABLE:
                    first_failure = tried if first_failure is None else first_failure
                    last_error = _describe(exc)
                elif exc.code() is grpc.StatusCode.DEADLINE_EXCEEDED and first_failure is not None:
                    raise _Unavailable(now - first_failure, last_error) from None  # the last try ran out of time
                elif exc.code() is grpc.StatusCode.DEADLINE_EXCEEDED and not self._connected(name):
                    # The deadline passed while connecting (an address that never answers).
                    raise _Unavailable(now - tried, f"no connection ({self._state(name)})") from None
                else:
                    raise
            if backoff is None:
                backoff = Backoff(
                    self._settings.grpc_retry_initial_backoff_ms / 1000,
                    self._settings.grpc_retry_max_backoff_ms / 1000,
                )
            if not await self._wait_to_retry(name, backoff.next(), deadline):
                raise _Unavailable(loop.time() - first_failure, last_error)
            metrics.WATCHER_CLIENT_RETRIES.labels(name).inc()

    def _state(self, name: str) -> str:
        return self._channels[name].get_state().name.lower()

    def _connected(self, name: str) -> bool:
        return self._channels[name].get_state() is grpc.ChannelConnectivity.READY

    async def _wait_to_retry(self, name: str, delay: float, deadline: float) -> bool:
        """Wait `delay`, or less if the channel (re)connects meanwhile; False when the deadline
        comes first. While the channel is ready (another replica is up) the wait is the full
        delay, so a watcher that itself answers UNAVAILABLE is not called in a tight loop."""
        loop = asyncio.get_running_loop()
        remaining = deadline - loop.time()
        channel = self._channels[name]
        wait = min(delay, remaining)
        if wait <= 0:
            return False
        if channel.get_state(try_to_connect=True) is grpc.ChannelConnectivity.READY:
            await asyncio.sleep(wait)
        else:
            try:
                await asyncio.wait_for(channel.channel_ready(), wait)
            except TimeoutError:
                pass
        return loop.time() < deadline

    async def close(self) -> None:
        await asyncio.gather(*(caller.close() for caller in self._callers.values()))
        await asyncio.gather(*(channel.close() for channel in self._channels.values()))


class _Unavailable(Exception):
    def __init__(self, waited: float, last_error: str) -> None:
        super().__init__(last_error)
        self.waited = waited
        self.last_error = last_error


def _describe(exc: grpc.aio.AioRpcError) -> str:
    return f"{exc.code().name}: {exc.details() or 'no details'}"
