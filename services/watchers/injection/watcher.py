"""The `injection` watcher: scores every text field of the content for prompt injection and
jailbreaks with the encoder + trained head over overlapping windows, ensembled with rules
(lammesh.models.injection). The check's score is the highest field's calibrated probability.

Params: `review_at` (0.5) / `block_at` (0.85), `skip_fields` (paths not checked, with everything
below them, e.g. an attachment already checked elsewhere).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import structlog
from pydantic import Field

from lammesh.metrics import MODEL_SWAPS
from lammesh.modelregistry.domain import ModelRef
from lammesh.modelregistry.follower import (
    ModelFollower,
    ModelSlot,
    ModelSnapshot,
    ShadowSampler,
    follow_registry,
    record_shadow,
    store_checkout,
)
from lammesh.modelregistry.identity import injection_ref
from lammesh.modelregistry.store import ArtifactStore, manifest_of
from lammesh.models.artifacts import InjectionArtifacts, injection_artifacts
from lammesh.models.encoder import SentenceEncoder
from lammesh.models.injection.detector import InjectionDetector, InjectionHead, InjectionResult
from lammesh.models.runtime import encoder_from_settings
from lammesh.settings import Settings
from lammesh.watchers import CheckInput, CheckOutcome, Span, TextField, Thresholds, Watcher

log = structlog.get_logger(__name__)

CATEGORY_LABELS = {
    "instruction_override": "instruction override",
    "system_marker": "fake system/admin marker",
    "roleplay_framing": "role-play framing",
    "restriction_removal": "asks to drop restrictions",
    "prompt_extraction": "system prompt extraction",
    "concealment": "asks to hide an action",
    "encoded_payload": "encoded payload",
    "invisible_characters": "invisible characters",
}


class InjectionParams(Thresholds):
    review_at: float | None = Field(0.5, ge=0.0, le=1.0)
    block_at: float | None = Field(0.85, ge=0.0, le=1.0)
    skip_fields: list[str] = Field(default_factory=list, description="Content paths not checked.")


def _skipped(path: str, skip: list[str]) -> bool:
    return any(path == s or path.startswith(f"{s}.") for s in skip)


def outcome_for(fields: list[TextField], results: list[InjectionResult], params: InjectionParams) -> CheckOutcome:
    """Pure: one check's outcome from the detector's results for its text fields."""
    if not fields:
        return CheckOutcome.from_score(0.0, params)
    worst = max(range(len(fields)), key=lambda i: results[i].probability)
    score = results[worst].probability
    reasons: list[str] = []
    spans: list[Span] = []
    for field, result in zip(fields, results, strict=True):
        if params.verdict_for(result.probability).label == "allow":
            continue
        categories = sorted(
            {s.category for s in result.signals},
            key=lambda c: -max(s.strength for s in result.signals if s.category == c),
        )
        found = ", ".join(CATEGORY_LABELS[c] for c in categories) or "no rule matched"
        reasons.append(
            f"prompt injection likely in {field.path} (p={result.probability:.2f}; model {result.model_probability:.2f}; rules: {found})"
        )
        for decoded in result.hidden:
            reasons.append(f"hidden {decoded.kind} text in {field.path} decodes to: {decoded.text[:120]!r}")
        spans.append(Span(field.path, result.window[0], result.window[1], "model window"))
        for signal in result.signals:
            spans.append(Span(field.path, signal.start, signal.end, signal.category))
    return CheckOutcome.from_score(score, params, reasons=reasons, spans=list(dict.fromkeys(spans)))


class InjectionWatcher(Watcher[InjectionParams]):
    name = "injection"
    version = "1.0.0"
    params_model = InjectionParams

    def __init__(self, settings: Settings, detector: InjectionDetector | None = None) -> None:
        self._settings = settings
        self.detector = detector
        self.slot: ModelSlot[InjectionDetector] = ModelSlot(
            ModelSnapshot(self.model, detector) if detector is not None else None
        )
        self.follower: ModelFollower[InjectionDetector] | None = None
        self._sampler = ShadowSampler(settings.models_shadow_share)
        self._shadow_running = False
        self._background: set[asyncio.Task[None]] = set()
        self._encoders: dict[str, SentenceEncoder] = {}
        """Loaded encoders by the sha256 of their folder's manifest."""

    async def start(self) -> None:
        if self.detector is None:
            self.detector = await asyncio.to_thread(self._load)
            # what was just loaded: the head and the encoder, by content (docs/registry.md)
            self.model = await asyncio.to_thread(
                injection_ref, self._settings.models_dir, self._settings.models_registry_dir
            )
        await asyncio.to_thread(self.detector.score_batch, ["warm-up: the meeting moved to Tuesday."])
        self.slot.swap(ModelSnapshot(self.model, self.detector))
        if self._settings.models_follow_registry:
            await self._follow_registry()

    async def _follow_registry(self) -> None:
        """Serve the registry's active version (loaded before SERVING when there is one), shadow
        its canary, and swap on every promote or rollback (docs/registry.md)."""
        registry_dir = Path(self._settings.models_registry_dir)
        if self.detector is not None:  # the built-in encoder, by content: a head-only patch reuses it
            built_in = injection_artifacts(self._settings.models_dir).encoder.directory
            if built_in.is_dir():
                self._encoders[await asyncio.to_thread(lambda: manifest_of(built_in).sha256)] = self.detector.encoder
        self.follower = ModelFollower(
            self.name,
            self._load_folder,
            store_checkout(
                ArtifactStore(registry_dir), self._settings.models_checkout_dir or registry_dir / "checkouts"
            ),
            serving=self.slot,
            on_swap=self._swapped,
        )
        self._reader = await follow_registry(self._settings, self.follower)
        await self._reader.assigned.wait()
        await self.follower.settle()

    def _swapped(self, previous: ModelRef | None, current: ModelRef) -> None:
        snapshot = self.slot.current()
        if snapshot is not None:
            self.detector, self.model = snapshot.model, snapshot.ref
        MODEL_SWAPS.labels(self.name, current.version).inc()

    def _load(self) -> InjectionDetector:
        encoder = encoder_from_settings(
            self._settings, injection_artifacts(self._settings.models_dir).require().encoder
        )
        return InjectionDetector.load(encoder, self._settings.models_dir)

    def _load_folder(self, folder: Path) -> InjectionDetector:
        """A registry version's folder (head.npz, encoder/), loaded and warmed up in a thread. An
        encoder with the same content as one already loaded (a patch of the head only) is reused."""
        artifacts = InjectionArtifacts(folder).require()
        encoder_sha = manifest_of(artifacts.encoder.directory).sha256
        encoder = self._encoders.get(encoder_sha)
        if encoder is None:
            encoder = encoder_from_settings(self._settings, artifacts.encoder)
            self._encoders[encoder_sha] = encoder
        detector = InjectionDetector(encoder, InjectionHead.load(artifacts.head))
        detector.score_batch(["warm-up: the meeting moved to Tuesday."])
        return detector

    async def check_batch(self, inputs: list[CheckInput[InjectionParams]]) -> list[CheckOutcome]:
        snapshot = self.slot.current()  # one model for the whole batch, even if a swap lands meanwhile
        assert snapshot is not None, "start() loads the detector"
        per_item = [[f for f in item.texts if not _skipped(f.path, item.params.skip_fields)] for item in inputs]
        texts = [f.text for fields in per_item for f in fields]
        results = await asyncio.to_thread(snapshot.model.score_batch, texts) if texts else []
        outcomes = [replace(o, model=snapshot.ref) for o in _outcomes(inputs, per_item, results)]
        self._maybe_shadow(inputs, per_item, texts, outcomes)
        return outcomes

    def _maybe_shadow(
        self,
        inputs: list[CheckInput[InjectionParams]],
        per_item: list[list[TextField]],
        texts: list[str],
        outcomes: list[CheckOutcome],
    ) -> None:
        """Score a sampled batch with the canary in the background (at most one at a time, so it
        never queues up behind live checks); export agreement and score drift."""
        shadow = self.follower.shadow.current() if self.follower is not None else None
        if shadow is None or not texts or self._shadow_running or not self._sampler.take():
            return
        self._shadow_running = True

        async def run() -> None:
            try:
                results = await asyncio.to_thread(shadow.model.score_batch, texts)
                for served, theirs in zip(outcomes, _outcomes(inputs, per_item, results), strict=True):
                    record_shadow(
                        self.name,
                        shadow.ref,
                        (served.verdict.label, served.score),
                        (theirs.verdict.label, theirs.score),
                    )
            except Exception as error:
                log.warning("shadow check failed", model=str(shadow.ref), reason=str(error))
            finally:
                self._shadow_running = False

        task = asyncio.create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def _outcomes(
    inputs: list[CheckInput[InjectionParams]], per_item: list[list[TextField]], results: list[InjectionResult]
) -> list[CheckOutcome]:
    outcomes, cursor = [], 0
    for item, fields in zip(inputs, per_item, strict=True):
        outcomes.append(outcome_for(fields, results[cursor : cursor + len(fields)], item.params))
        cursor += len(fields)
    return outcomes
