"""Watchers follow the model registry: what to load (pure), one model snapshot per check, shadow
runs of the canary, and the edge that reads `lammesh.models` and loads versions in the background.

Pure parts (no I/O): `plan_for` says which versions should be loaded now (a function of the
lineage), `ShadowSampler` picks the share of checks the canary also scores, `shadow_agrees`
compares verdicts. `ModelSlot` holds the current `ModelSnapshot`: a check (or a batch) takes one
snapshot at its start and uses it to the end, so a swap never mixes two models in one answer, and
the outcome's ModelRef is the snapshot's.

The edge: `ModelFollower` applies the topic's records to a `ModelLineage`; when the plan changes
it checks the artifact out of the store and loads it in a thread (never on a check's path). A
version that fails to load is logged with the reason and ignored; the slot keeps what it had.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import structlog

from lammesh.kafka.reader import TopicReader
from lammesh.modelregistry.domain import ModelLineage, ModelRef, ModelVersion
from lammesh.modelregistry.store import ArtifactStore
from lammesh.settings import Settings

log = structlog.get_logger(__name__)

M = TypeVar("M")


@dataclass(frozen=True)
class LoadPlan:
    """The versions a follower should have loaded: the active one serves, the canary shadows."""

    active: ModelVersion | None
    canary: ModelVersion | None


def plan_for(lineage: ModelLineage | None) -> LoadPlan:
    """Pure: what should be loaded now. No lineage or no active version: keep the built-in model."""
    if lineage is None:
        return LoadPlan(None, None)
    return LoadPlan(lineage.active, lineage.canary)


@dataclass(frozen=True)
class ModelSnapshot(Generic[M]):
    """One loaded model and the ref that names it in every outcome it produces."""

    ref: ModelRef
    model: M


class ModelSlot(Generic[M]):
    """The model a watcher serves with now. `current()` is one attribute read (atomic under the
    GIL): take it once per check or batch and use that snapshot throughout."""

    def __init__(self, initial: ModelSnapshot[M] | None = None) -> None:
        self._snapshot = initial

    def current(self) -> ModelSnapshot[M] | None:
        return self._snapshot

    def swap(self, snapshot: ModelSnapshot[M] | None) -> ModelSnapshot[M] | None:
        previous, self._snapshot = self._snapshot, snapshot
        return previous


class ShadowSampler:
    """Pure and deterministic: every `1/share`-th check is also scored by the canary (share 0: none)."""

    def __init__(self, share: float) -> None:
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"shadow share {share} must be between 0 and 1")
        self.share = share
        self._credit = 0.0
        self._lock = threading.Lock()

    def take(self) -> bool:
        if self.share <= 0.0:
            return False
        with self._lock:
            self._credit += self.share
            if self._credit >= 1.0:
                self._credit -= 1.0
                return True
            return False


def shadow_agrees(served_label: str, shadow_label: str) -> bool:
    """Pure: the canary agrees when it would have given the same verdict label."""
    return served_label == shadow_label


Loader = Callable[[Path], M]
"""Loads a model from an artifact folder (runs in a thread; may raise: the version is then ignored)."""
Checkout = Callable[[ModelVersion], Path]
"""Puts a version's files in a folder and returns it (the registry store's checkout)."""


class ModelFollower(Generic[M]):
    """Keeps `serving` on the active version and `shadow` on the canary of one model name.

    Feed it lineage changes with `apply(versions)` (from the topic reader); it plans, and loads
    in a background thread what the plan needs that is not loaded yet. `on_swap` is told of each
    change of the serving model (for logs and metrics)."""

    def __init__(
        self,
        name: str,
        load: Loader[M],
        checkout: Checkout,
        *,
        serving: ModelSlot[M] | None = None,
        on_swap: Callable[[ModelRef | None, ModelRef], None] | None = None,
    ) -> None:
        self.name = name
        self.lineage = ModelLineage(name)
        self.serving: ModelSlot[M] = serving if serving is not None else ModelSlot()
        self.shadow: ModelSlot[M] = ModelSlot()
        self.failed: dict[str, str] = {}
        """sha256 -> why it did not load; such a version is not tried again."""
        self._load = load
        self._checkout = checkout
        self._on_swap = on_swap
        self._lock = asyncio.Lock()
        self._builtin: ModelSnapshot[M] | None = self.serving.current()
        self._previous: ModelSnapshot[M] | None = None
        """The model served before the last swap, kept loaded so a rollback swaps back at once."""

    def apply(self, versions: list[ModelVersion]) -> None:
        self.lineage.apply([v for v in versions if v.name == self.name])

    async def settle(self) -> None:
        """Load what the plan asks for and swap the slots. Serialised; never raises."""
        async with self._lock:
            plan = plan_for(self.lineage)
            await self._follow(self.serving, plan.active, fallback=self._builtin, serving=True)
            await self._follow(self.shadow, plan.canary, fallback=None, serving=False)

    async def _follow(
        self, slot: ModelSlot[M], wanted: ModelVersion | None, *, fallback: ModelSnapshot[M] | None, serving: bool
    ) -> None:
        current = slot.current()
        if wanted is None:
            if not serving and current is not None:
                slot.swap(None)
            return
        if current is not None and current.ref.sha256 == wanted.sha256:
            if current.ref != wanted.ref:  # same content, now known under its registry version
                slot.swap(ModelSnapshot(wanted.ref, current.model))
            return
        if wanted.sha256 in self.failed:
            return
        # already loaded: the canary being promoted, or the model served before (a rollback)
        kept = [self.shadow.current(), self._previous] if serving else []
        reuse = next((k for k in kept if k is not None and k.ref.sha256 == wanted.sha256), None)
        try:
            if reuse is not None:
                model = reuse.model
            else:
                model = await asyncio.to_thread(self._load_version, wanted)
        except Exception as error:
            self.failed[wanted.sha256] = f"{type(error).__name__}: {error}"
            log.warning("model version did not load; ignored", model=str(wanted.ref), reason=self.failed[wanted.sha256])
            return
        snapshot = ModelSnapshot(wanted.ref, model)
        previous = slot.swap(snapshot)
        if serving:
            self._previous = previous
            log.info("model swapped", model=str(wanted.ref), previous=str(previous.ref) if previous else None)
            if self._on_swap is not None:
                self._on_swap(previous.ref if previous else None, wanted.ref)
        else:
            log.info("canary loaded for shadow checks", model=str(wanted.ref))

    def _load_version(self, version: ModelVersion) -> M:
        return self._load(self._checkout(version))


def store_checkout(store: ArtifactStore, checkouts_dir: Path) -> Checkout:
    """A Checkout from the registry store: each sha once, under `checkouts_dir/<sha256>`."""

    def checkout(version: ModelVersion) -> Path:
        target = Path(checkouts_dir) / version.sha256
        if target.is_dir():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        return store.checkout(version.sha256, target)

    return checkout


async def follow_registry(settings: Settings, follower: ModelFollower[M]) -> TopicReader:
    """Start reading lammesh.models into `follower` (the Kafka edge); each committed change is
    applied and settled in the background. Returns the started reader (stop it on shutdown)."""
    from lammesh import envelope as serde
    from lammesh.kafka.admin import ensure_topics
    from lammesh.modelregistry.topic import from_proto
    from lammesh.topics import MODELS
    from lammesh.v1 import model_pb2

    await ensure_topics(settings, [MODELS])
    pending: set[asyncio.Task[None]] = set()

    def apply(record: object, envelope: object) -> None:
        if envelope is None:
            return
        follower.apply([from_proto(serde.unpack(envelope, model_pb2.ModelVersion))])
        task = asyncio.create_task(follower.settle())
        pending.add(task)
        task.add_done_callback(pending.discard)

    reader = TopicReader(settings, [MODELS.name(settings)], apply, name=f"models-follower-{follower.name}")
    await reader.start()
    return reader


def record_shadow(name: str, canary: ModelRef, served: tuple[str, float], shadow: tuple[str, float]) -> bool:
    """Export one shadow comparison (verdict label, score) as Prometheus metrics; True if they agree."""
    from lammesh.metrics import SHADOW_CHECKS, SHADOW_SCORE_DRIFT

    agrees = shadow_agrees(served[0], shadow[0])
    SHADOW_CHECKS.labels(name, canary.version, "agree" if agrees else "disagree").inc()
    SHADOW_SCORE_DRIFT.labels(name, canary.version).observe(abs(served[1] - shadow[1]))
    return agrees
