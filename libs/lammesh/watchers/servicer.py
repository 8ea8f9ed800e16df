"""The gRPC WatcherService: validates requests, micro-batches them into `Watcher.check_batch`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

import grpc
import structlog
from opentelemetry import trace
from prometheus_client import Counter, Histogram

from lammesh import tracing
from lammesh.settings import Settings
from lammesh.v1 import watcher_pb2, watcher_pb2_grpc
from lammesh.watchers.batching import MicroBatcher
from lammesh.watchers.proto import check_input_from, response_from
from lammesh.watchers.verdicts import CheckOutcome, Verdict
from lammesh.watchers.watcher import CheckInput, Watcher

log = structlog.get_logger(__name__)

BATCH_SIZE = Histogram(
    "lammesh_watcher_batch_size",
    "Checks scored together in one batch, by watcher.",
    ["watcher"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
BATCH_SECONDS = Histogram(
    "lammesh_watcher_batch_seconds",
    "Time in Watcher.check_batch per batch, by watcher.",
    ["watcher"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
VERDICTS = Counter(
    "lammesh_watcher_verdicts_total",
    "Checks answered, by watcher, verdict and the version of the model that gave it.",
    ["watcher", "verdict", "model_version"],
)


class WatcherServicer(watcher_pb2_grpc.WatcherServiceServicer):
    def __init__(self, watcher: Watcher, settings: Settings) -> None:
        self.watcher = watcher
        self.started = False
        """Set once `watcher.start()` returned (model loaded); until then checks are UNAVAILABLE."""
        self.batcher: MicroBatcher[CheckInput, CheckOutcome] = MicroBatcher(
            self._score,
            window_s=settings.watcher_batch_window_ms / 1000,
            max_batch=settings.watcher_max_batch,
            max_concurrent=settings.watcher_max_concurrent_batches,
        )

    async def Check(
        self, request: watcher_pb2.CheckRequest, context: grpc.aio.ServicerContext
    ) -> watcher_pb2.CheckResponse:
        await self._require_started(context)
        started = time.perf_counter_ns()
        item = check_input_from(request, self.watcher.params_model)
        spans = self._spans([request])
        outcome: CheckOutcome | None = None
        try:
            outcome = await self.batcher.submit(item)
        finally:
            self._end_spans(spans, None if outcome is None else [outcome])
        return self._response(outcome, started)

    async def CheckBatch(
        self, request: watcher_pb2.CheckBatchRequest, context: grpc.aio.ServicerContext
    ) -> watcher_pb2.CheckBatchResponse:
        await self._require_started(context)
        started = time.perf_counter_ns()
        items = [
            check_input_from(r, self.watcher.params_model, prefix=f"requests.{i}.")
            for i, r in enumerate(request.requests)
        ]
        spans = self._spans(request.requests)
        outcomes: list[CheckOutcome] | None = None
        try:
            outcomes = await self.batcher.submit_many(items) if items else []
        finally:
            self._end_spans(spans, outcomes)
        return watcher_pb2.CheckBatchResponse(responses=[self._response(outcome, started) for outcome in outcomes])

    def _spans(self, requests: Sequence[watcher_pb2.CheckRequest]) -> list[trace.Span]:
        """One span per check, in the trace its request names (else the call's)."""
        spans = []
        for request in requests:
            parent = tracing.context_from(request.trace_context) if request.trace_context else None
            spans.append(
                tracing.tracer().start_span(
                    f"watch {self.watcher.name}",
                    context=parent,
                    attributes={
                        tracing.TASK_ID: request.task_id,
                        tracing.STEP_ID: request.step_id,
                        tracing.ATTEMPT: request.attempt,
                        tracing.CAPABILITY: request.capability,
                        tracing.WATCHER: self.watcher.name,
                        tracing.STAGE: watcher_pb2.CheckStage.Name(request.stage),
                    },
                )
            )
        return spans

    @staticmethod
    def _end_spans(spans: list[trace.Span], outcomes: Sequence[CheckOutcome] | None) -> None:
        for i, span in enumerate(spans):
            if outcomes is not None and i < len(outcomes):
                outcome = outcomes[i]
                span.set_attributes(
                    {
                        tracing.VERDICT: outcome.verdict.label,
                        "lammesh.score": outcome.score,
                        tracing.MODEL_VERSION: outcome.model.version if outcome.model else "",
                    }
                )
            else:
                span.set_status(trace.Status(trace.StatusCode.ERROR, "the check got no answer"))
            span.end()

    async def start(self) -> None:
        await self.watcher.start()
        model = self.watcher.model
        log.info("watcher model loaded", watcher=self.watcher.name, model=str(model), sha256=model.sha256)
        self.started = True

    async def _require_started(self, context: grpc.aio.ServicerContext) -> None:
        # The port listens (health NOT_SERVING) while the model loads; a caller that does not wait
        # for SERVING (the coordinator after a watcher restart) gets a clear, retryable status.
        if not self.started:
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"the {self.watcher.name} watcher is still starting")

    async def _score(self, items: list[CheckInput]) -> list[CheckOutcome]:
        name = self.watcher.name
        model = self.watcher.model
        started = time.perf_counter()
        outcomes = await self.watcher.check_batch(items)
        BATCH_SECONDS.labels(name).observe(time.perf_counter() - started)
        BATCH_SIZE.labels(name).observe(len(items))
        pinned = []
        for item, outcome in zip(items, outcomes, strict=False):
            if not isinstance(outcome, CheckOutcome):
                raise TypeError(f"{name}.check_batch returned {type(outcome).__name__}, not CheckOutcome")
            if outcome.model is None:
                outcome = replace(outcome, model=model)
            pinned.append(outcome)
            VERDICTS.labels(name, outcome.verdict.label, outcome.model.version).inc()
            if outcome.verdict is not Verdict.ALLOW:
                # kinds and field paths only: reasons may quote the very data being flagged
                log.info(
                    "check flagged",
                    watcher=name,
                    model=str(outcome.model),
                    verdict=outcome.verdict.label,
                    score=round(outcome.score, 4),
                    task_id=item.task_id,
                    step_id=item.step_id,
                    attempt=item.attempt,
                    kinds=sorted({f.kind for f in outcome.findings}),
                    fields=sorted({s.field for s in outcome.spans}),
                )
        return pinned + list(outcomes[len(pinned) :])  # a count mismatch is the batcher's to report

    def _response(self, outcome: CheckOutcome, started_ns: int) -> watcher_pb2.CheckResponse:
        return response_from(
            outcome,
            watcher=self.watcher.name,
            version=self.watcher.version,
            latency_us=(time.perf_counter_ns() - started_ns) // 1000,
            model=outcome.model or self.watcher.model,
        )
