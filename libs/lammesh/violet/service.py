"""The violet service's adapters: the feedback topic into the store, the parent model out of the
registry, one pass per watcher, and the long-running loop of `lammesh run violet`.

Only the injection watcher is patched today (its head is a small, refittable part on an
unchanged encoder); cases for other watchers stay pending in the store.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

from lammesh.feedback.case import FeedbackError
from lammesh.feedback.store import FeedbackStore
from lammesh.kafka.admin import ensure_topics
from lammesh.kafka.client import consumer_config
from lammesh.modelregistry import service as registry_service
from lammesh.modelregistry.domain import Status, UnknownModel
from lammesh.models.artifacts import InjectionArtifacts, injection_artifacts
from lammesh.models.encoder import SentenceEncoder
from lammesh.models.injection.detector import InjectionDetector, InjectionHead
from lammesh.settings import Settings
from lammesh.topics import WATCHERS_FEEDBACK
from lammesh.violet import llm
from lammesh.violet.team import Candidate, build_candidate

log = logging.getLogger("lammesh.violet")

PATCHABLE_WATCHERS = ("injection",)
Progress = Callable[[str], None]


def scratch_root(settings: Settings) -> Path | None:
    """Where a pass checks its parent out (an encoder of ~150 MB): LAMMESH_MODELS_CHECKOUT_DIR when
    set (k8s: an emptyDir of 2 GiB), else the system's temporary folder."""
    if settings.models_checkout_dir is None:
        return None
    Path(settings.models_checkout_dir).mkdir(parents=True, exist_ok=True)
    return Path(settings.models_checkout_dir)


def store_path(settings: Settings) -> Path:
    return Path(settings.state_dir) / "violet-feedback.sqlite3"


async def sync_feedback(settings: Settings, store: FeedbackStore) -> int:
    """Read the feedback topic from its start to its current end into the store (the later
    report of a case wins, so a reread is harmless). Returns how many records were applied."""
    await ensure_topics(settings, [WATCHERS_FEEDBACK])
    topic = WATCHERS_FEEDBACK.name(settings)
    consumer = AIOKafkaConsumer(
        **consumer_config(settings, f"{settings.service_name}-violet-feedback-{uuid.uuid4().hex[:6]}"),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    applied = 0
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or {0})]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp: end for tp, end in ends.items() if end > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=500, max_records=1000)
            for records in batch.values():
                for record in records:
                    try:
                        store.apply(record.key, record.value)
                        applied += 1
                    except FeedbackError as error:
                        log.warning("skipped feedback record at offset %s: %s", record.offset, error)
            for tp in list(remaining):
                if await consumer.position(tp) >= remaining[tp]:
                    del remaining[tp]
    finally:
        await consumer.stop()
    return applied


@dataclass
class ParentModel:
    detector: InjectionDetector
    artifacts: InjectionArtifacts
    version: str
    """The registry version the patch's parent is ("" when the shipped model is not registered)."""


async def parent_model(settings: Settings, name: str, workdir: Path) -> ParentModel:
    """The active version of `name` from the registry store, else the shipped model folder."""
    registry = await registry_service.registry(settings)
    try:
        lineage = registry.lineage(name)
        active = lineage.active
    except UnknownModel:
        active = None
    if active is not None:
        folder = registry_service.store_of(settings).checkout(active.sha256, workdir / f"parent-{active.version}")
        artifacts, version = InjectionArtifacts(folder).require(), active.version
    else:
        artifacts, version = injection_artifacts(settings.models_dir).require(), ""
    encoder = SentenceEncoder.load(artifacts=artifacts.encoder)
    return ParentModel(InjectionDetector(encoder, InjectionHead.load(artifacts.head)), artifacts, version)


@dataclass
class PassResult:
    watcher: str
    candidate: Candidate
    version: str
    """The published version ("" when the gates refused the patch)."""
    status: str
    seconds: float


async def run_pass(
    settings: Settings, *, progress: Progress = log.info, store: FeedbackStore | None = None
) -> list[PassResult]:
    """Sync the feedback, then for each patchable watcher with new cases: build, gate, and (when
    the gates pass) publish a candidate and put it in canary; the cases are marked as used."""
    own_store = store is None
    store = FeedbackStore(store_path(settings)) if store is None else store
    results: list[PassResult] = []
    try:
        applied = await sync_feedback(settings, store)
        progress(f"feedback topic read: {applied} record(s)")
        for watcher in store.watchers_with_pending():
            if watcher not in PATCHABLE_WATCHERS:
                progress(
                    f"{watcher}: {len(store.pending(watcher))} case(s) wait; only {', '.join(PATCHABLE_WATCHERS)} can be patched"
                )
                continue
            results.append(await _patch_watcher(settings, store, watcher, progress))
    finally:
        if own_store:
            store.close()
    return results


async def _patch_watcher(settings: Settings, store: FeedbackStore, watcher: str, progress: Progress) -> PassResult:
    started = time.perf_counter()
    new = store.pending(watcher)
    pending_ids = {c.case_id for c in new}
    earlier = [c for c in store.cases(watcher) if c.case_id not in pending_ids]
    progress(f"{watcher}: {len(new)} new case(s), {len(earlier)} earlier")
    with tempfile.TemporaryDirectory(prefix="violet-", dir=scratch_root(settings)) as scratch:
        parent = await parent_model(settings, watcher, Path(scratch))
        patch_dir = Path(scratch) / "patch"
        candidate = await asyncio.to_thread(
            build_candidate, parent.detector, new, earlier, patch_dir, progress=progress, extra_texts=llm.paraphrases
        )
        if not candidate.decision.passed:
            progress(candidate.decision.refusal)
            store.mark_used(candidate.case_ids, "refused")
            return PassResult(watcher, candidate, "", "refused", time.perf_counter() - started)
        published = await registry_service.publish(
            settings,
            patch_dir,
            name=watcher,
            add={"encoder": parent.artifacts.encoder.directory},
            parent=parent.version or None,
            note=f"violet patch from {len(new)} feedback case(s)",
        )
        version = published.version.version
        await registry_service.promote(settings, watcher, version, to=Status.CANARY)
        store.mark_used(candidate.case_ids, version)
        progress(f"{watcher}:{version} published ({candidate.patch_bytes} bytes of patch) and in canary")
        return PassResult(watcher, candidate, version, Status.CANARY.value, time.perf_counter() - started)


async def serve(settings: Settings, *, interval_s: float = 30.0, stop: asyncio.Event | None = None) -> None:
    """`lammesh run violet`: a pass every `interval_s` (batching the cases that arrived meanwhile)."""
    stop = stop or asyncio.Event()
    with FeedbackStore(store_path(settings)) as store:
        while not stop.is_set():
            try:
                await run_pass(settings, store=store)
            except Exception:
                log.exception("violet pass failed; retrying after %ss", interval_s)
            try:
                await asyncio.wait_for(stop.wait(), interval_s)
            except TimeoutError:
                pass


class VioletWorker:
    """`serve` in the ServiceRuntime's consumer protocol: ready (`assigned`) once started; the
    loop is its `task`; `stop` ends it after the pass in progress."""

    def __init__(self, settings: Settings, *, interval_s: float = 30.0) -> None:
        self._settings = settings
        self._interval_s = interval_s
        self._stop = asyncio.Event()
        self.assigned = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(
            serve(self._settings, interval_s=self._interval_s, stop=self._stop), name="violet"
        )
        self.assigned.set()

    async def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        if self.task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self.task), timeout)
            except TimeoutError:
                self.task.cancel()
                await asyncio.gather(self.task, return_exceptions=True)
