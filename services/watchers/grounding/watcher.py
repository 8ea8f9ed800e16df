"""The `grounding` watcher: every sentence of the output must be supported by the sources
(embedding similarity to some source sentence, and every number, date, name and email address
present in the sources); unsupported claims are listed as reasons with spans.

Params: `review_at` (0.5) / `block_at` (null: an unsupported claim asks for review, it does not
block unless the workflow says so), `similarity` (0.45, cosine a source sentence must reach),
`fields` (content paths holding claims; default every string), `source_fields` (source paths
to check against; default every string of the sources), `skip_fields`.
"""

from __future__ import annotations

import asyncio

from pydantic import Field

from lammesh.modelregistry.identity import encoder_ref
from lammesh.models.grounding import GroundingChecker, GroundingReport
from lammesh.models.runtime import encoder_from_settings
from lammesh.settings import Settings
from lammesh.watchers import CheckInput, CheckOutcome, Span, TextField, Thresholds, Watcher, text_fields, value_at

FACT_LABELS = {"number": "number", "date": "date", "name": "name", "email": "email address", "phone": "phone number"}


class GroundingParams(Thresholds):
    review_at: float | None = Field(0.5, ge=0.0, le=1.0)
    block_at: float | None = Field(None, ge=0.0, le=1.0)
    similarity: float = Field(0.45, ge=0.0, le=1.0, description="Cosine a source sentence must reach.")
    fields: list[str] | None = Field(None, description="Content paths holding claims; default all.")
    source_fields: list[str] | None = Field(None, description="Source paths; default all.")
    skip_fields: list[str] = Field(default_factory=list)


def _under(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(f"{r}.") for r in roots)


def claim_fields(item: CheckInput[GroundingParams]) -> list[TextField]:
    fields = [f for f in item.texts if not _under(f.path, item.params.skip_fields)]
    if item.params.fields is not None:
        fields = [f for f in fields if _under(f.path, item.params.fields)]
    return fields


def sources_text(item: CheckInput[GroundingParams]) -> str:
    if item.params.source_fields is None:
        found = text_fields(item.sources)
    else:
        found = []
        for path in item.params.source_fields:
            try:
                found += text_fields(value_at(item.sources, path), path)
            except KeyError:
                continue
    return "\n".join(f.text for f in found)


def outcome_for(
    fields: list[TextField], reports: list[GroundingReport], params: GroundingParams, has_sources: bool
) -> CheckOutcome:
    """Pure: one check's outcome from the grounding reports of its fields."""
    score = max((r.score for r in reports), default=0.0)
    reasons: list[str] = []
    spans: list[Span] = []
    if not has_sources and any(r.claims for r in reports):
        reasons.append("no sources were given, so no claim can be grounded")
    for field, report in zip(fields, reports, strict=True):
        for claim in report.unsupported:
            sentence = claim.sentence
            if claim.missing:
                for fact in claim.missing:
                    reasons.append(f"{FACT_LABELS[fact.kind]} {fact.text!r} in {field.path} is not in the sources")
                    spans.append(Span(field.path, fact.start, fact.end, f"unsupported {fact.kind}"))
            else:
                reasons.append(
                    f"claim in {field.path} not supported by the sources (best similarity {claim.similarity:.2f}): {sentence.text[:160]!r}"
                )
            spans.append(Span(field.path, sentence.start, sentence.end, "unsupported claim"))
    return CheckOutcome.from_score(
        min(max(score, 0.0), 1.0), params, reasons=list(dict.fromkeys(reasons)), spans=list(dict.fromkeys(spans))
    )


class GroundingWatcher(Watcher[GroundingParams]):
    name = "grounding"
    version = "1.0.0"
    params_model = GroundingParams

    def __init__(self, settings: Settings, checker: GroundingChecker | None = None) -> None:
        self._settings = settings
        self.checker = checker

    async def start(self) -> None:
        if self.checker is None:
            self.checker = GroundingChecker(await asyncio.to_thread(encoder_from_settings, self._settings))
            self.model = await asyncio.to_thread(
                encoder_ref, self._settings.models_dir, self._settings.models_registry_dir
            )
        await asyncio.to_thread(
            self.checker.check_batch, [("The meeting moved to Tuesday.", "We moved the meeting to Tuesday.")]
        )

    async def check_batch(self, inputs: list[CheckInput[GroundingParams]]) -> list[CheckOutcome]:
        assert self.checker is not None, "start() loads the encoder"
        per_item = [(claim_fields(item), sources_text(item)) for item in inputs]
        # One encoder call for the whole batch; the similarity threshold may differ per check.
        pairs = [(f.text, sources) for fields, sources in per_item for f in fields]
        thresholds = [
            item.params.similarity for item, (fields, _) in zip(inputs, per_item, strict=True) for _ in fields
        ]
        reports = await asyncio.to_thread(self._check, pairs, thresholds) if pairs else []
        outcomes, cursor = [], 0
        for item, (fields, sources) in zip(inputs, per_item, strict=True):
            outcomes.append(
                outcome_for(fields, reports[cursor : cursor + len(fields)], item.params, bool(sources.strip()))
            )
            cursor += len(fields)
        return outcomes

    def _check(self, pairs: list[tuple[str, str]], thresholds: list[float]) -> list[GroundingReport]:
        assert self.checker is not None
        return self.checker.check_batch(pairs, similarity_thresholds=thresholds)
