"""Watchers: services that check a step's input or output and answer ALLOW / REVIEW / BLOCK.

Usage (a model watcher; rule watchers subclass `RuleWatcher` and implement `check(item)`):

    from lammesh.watchers import CheckInput, CheckOutcome, Span, Thresholds, Watcher, build_watcher_service

    class InjectionParams(Thresholds):           # fields = what a workflow may put in params
        review_at: float | None = 0.5             # override the threshold defaults per watcher
        block_at: float | None = 0.85

    class InjectionWatcher(Watcher[InjectionParams]):
        name = "injection"
        version = "1.0.0"
        params_model = InjectionParams

        async def start(self) -> None:            # load the model, warm up (before SERVING)
            ...

        async def check_batch(self, inputs: list[CheckInput[InjectionParams]]) -> list[CheckOutcome]:
            texts = [f for item in inputs for f in item.texts]    # TextField(path, text), paths "a.b.0"
            ...                                                     # score them in one model call
            return [CheckOutcome.from_score(score, item.params, reasons=[...], spans=[Span(...)])
                    for item, score in zip(inputs, scores)]

    def bootstrap(settings: Settings) -> ServiceRuntime:          # services/watchers/<name>/main.py
        return build_watcher_service(InjectionWatcher(), settings)

What the framework does for you: validates CheckRequest.params with `params_model` (a bad value
or an unknown key -> INVALID_ARGUMENT naming it, e.g. "params.block_at: ..."; for CheckBatch
"requests.3.params.block_at"), turns Structs into dicts (`CheckInput.content/sources`), groups
concurrent Check calls into one `check_batch` call (window `LAMMESH_WATCHER_BATCH_WINDOW_MS`,
default 2 ms; size `LAMMESH_WATCHER_MAX_BATCH`, default 32; a lone request is not held back),
fills watcher name/version and latency_us, and exposes metrics (lammesh_watcher_batch_size, ...).
`check_batch` runs on the event loop: run heavy CPU work (model inference) in a thread
(`asyncio.to_thread` / an executor) so the server keeps accepting calls while a batch is scored.
If `check_batch` raises, the batch is retried item by item, so only the bad request gets INTERNAL.

Findings-based watchers build `Finding(kind, reason, score, verdict, spans)` objects and return
`CheckOutcome.from_findings(findings)`: the strictest verdict wins. Callers build requests with
`check_request(content=..., params=..., stage="output")`.
"""

from lammesh.verdict import Stage
from lammesh.watchers.batching import MicroBatcher
from lammesh.watchers.content import TextField, iter_text_fields, join_path, text_fields, value_at
from lammesh.watchers.proto import check_input_from, check_request, response_from, verdict_of
from lammesh.watchers.service import build_watcher_service
from lammesh.watchers.verdicts import (
    CheckOutcome,
    Finding,
    Span,
    Thresholds,
    Verdict,
    VerdictName,
    WatcherParams,
)
from lammesh.watchers.watcher import CheckInput, RuleWatcher, Watcher

__all__ = [
    "CheckInput",
    "CheckOutcome",
    "Finding",
    "MicroBatcher",
    "RuleWatcher",
    "Span",
    "Stage",
    "TextField",
    "Thresholds",
    "Verdict",
    "VerdictName",
    "Watcher",
    "WatcherParams",
    "build_watcher_service",
    "check_input_from",
    "check_request",
    "iter_text_fields",
    "join_path",
    "response_from",
    "text_fields",
    "value_at",
    "verdict_of",
]
