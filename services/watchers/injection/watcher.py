"""The `injection` watcher: scores every text field of the content for prompt injection and
jailbreaks with the encoder + trained head over overlapping windows, ensembled with rules
(lammesh.models.injection). The check's score is the highest field's calibrated probability.

Params: `review_at` (0.5) / `block_at` (0.85), `skip_fields` (paths not checked, with everything
below them, e.g. an attachment already checked elsewhere).
"""

from __future__ import annotations

import asyncio

from pydantic import Field

from lammesh.modelregistry.identity import injection_ref
from lammesh.models.artifacts import injection_artifacts
from lammesh.models.injection.detector import InjectionDetector, InjectionResult
from lammesh.models.runtime import encoder_from_settings
from lammesh.settings import Settings
from lammesh.watchers import CheckInput, CheckOutcome, Span, TextField, Thresholds, Watcher

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
        categories = sorted({s.category for s in result.signals}, key=lambda c: -max(s.strength for s in result.signals if s.category == c))
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

    async def start(self) -> None:
        if self.detector is None:
            self.detector = await asyncio.to_thread(self._load)
            # what was just loaded: the head and the encoder, by content (docs/registry.md)
            self.model = await asyncio.to_thread(
                injection_ref, self._settings.models_dir, self._settings.models_registry_dir
            )
        await asyncio.to_thread(self.detector.score_batch, ["warm-up: the meeting moved to Tuesday."])

    def _load(self) -> InjectionDetector:
        encoder = encoder_from_settings(self._settings, injection_artifacts(self._settings.models_dir).require().encoder)
        return InjectionDetector.load(encoder, self._settings.models_dir)

    async def check_batch(self, inputs: list[CheckInput[InjectionParams]]) -> list[CheckOutcome]:
        assert self.detector is not None, "start() loads the detector"
        per_item = [[f for f in item.texts if not _skipped(f.path, item.params.skip_fields)] for item in inputs]
        texts = [f.text for fields in per_item for f in fields]
        results = await asyncio.to_thread(self.detector.score_batch, texts) if texts else []
        outcomes, cursor = [], 0
        for item, fields in zip(inputs, per_item, strict=True):
            outcomes.append(outcome_for(fields, results[cursor : cursor + len(fields)], item.params))
            cursor += len(fields)
        return outcomes
