"""What a watcher concludes: verdicts, spans, findings, outcomes, and the threshold policy.

Pure domain: no gRPC, no I/O. `lammesh.watchers.proto` converts these to and from protobuf.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from lammesh.modelregistry.domain import ModelRef
from lammesh.verdict import Verdict

VerdictName = Literal["allow", "review", "block"]
"""How params name a verdict (e.g. `on_secret: block`); `Verdict.parse` turns it into a Verdict."""


@dataclass(frozen=True)
class Span:
    """A stretch of one text field of the checked content.

    `field` is the dotted path inside the content ("transcript", "to.0", "attendees.2.email");
    `start`/`end` are character (code point) offsets into that field's string, end exclusive.
    """

    field: str
    start: int
    end: int
    label: str

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"bad span {self.start}..{self.end} in {self.field!r}")


@dataclass(frozen=True)
class Finding:
    """One thing a watcher noticed: what (kind), why (reason), how sure (score 0..1), what it
    calls for (verdict), and where (spans)."""

    kind: str
    reason: str
    score: float
    verdict: Verdict
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class CheckOutcome:
    """A watcher's answer to one check: verdict, calibrated score 0..1 (probability that the
    content is unsafe for this watcher), human-readable reasons, and spans. `model` is the model
    that gave it: the server fills in the watcher's current model unless the watcher set it (a
    watcher that swaps models sets it per outcome, so a swap mid-batch cannot mislabel one)."""

    verdict: Verdict
    score: float
    reasons: tuple[str, ...] = ()
    spans: tuple[Span, ...] = ()
    findings: tuple[Finding, ...] = field(default=(), compare=False)
    model: ModelRef | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score must be within 0..1, got {self.score}")

    @classmethod
    def allow(cls, score: float = 0.0, reasons: Sequence[str] = ()) -> CheckOutcome:
        return cls(Verdict.ALLOW, score, tuple(reasons))

    @classmethod
    def from_findings(cls, findings: Iterable[Finding]) -> CheckOutcome:
        """The strictest verdict of the findings; score = the highest score among the findings
        that call for that verdict (0 and ALLOW when there are none)."""
        found = tuple(findings)
        if not found:
            return cls.allow()
        verdict = max(f.verdict for f in found)
        score = max(f.score for f in found if f.verdict == verdict)
        ordered = sorted(found, key=lambda f: (-f.verdict.severity, -f.score))
        return cls(
            verdict=verdict,
            score=score,
            reasons=tuple(dict.fromkeys(f.reason for f in ordered)),
            spans=tuple(dict.fromkeys(span for f in ordered for span in f.spans)),
            findings=found,
        )

    @classmethod
    def from_score(
        cls,
        score: float,
        policy: Thresholds,
        *,
        reasons: Sequence[str] = (),
        spans: Sequence[Span] = (),
    ) -> CheckOutcome:
        """A model watcher's answer: the policy turns the score into the verdict."""
        return cls(policy.verdict_for(score), score, tuple(reasons), tuple(spans))


class WatcherParams(BaseModel):
    """Base of every watcher's params (CheckRequest.params). Unknown keys are rejected, so a typo
    in a workflow file fails with INVALID_ARGUMENT naming it instead of being silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Thresholds(WatcherParams):
    """Threshold policy for score-based watchers: score >= block_at -> BLOCK, else score >=
    review_at -> REVIEW, else ALLOW. null disables that verdict (e.g. block_at: null = never
    block, only ask for review). Subclass and override the defaults per watcher."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    review_at: float | None = Field(0.5, ge=0.0, le=1.0, description="Score from which to REVIEW.")
    block_at: float | None = Field(0.9, ge=0.0, le=1.0, description="Score from which to BLOCK.")

    @field_validator("block_at")
    @classmethod
    def _not_below_review(cls, block_at: float | None, info: ValidationInfo) -> float | None:
        review_at = info.data.get("review_at")
        if block_at is not None and review_at is not None and block_at < review_at:
            raise ValueError(f"must not be below review_at ({review_at})")
        return block_at

    def verdict_for(self, score: float) -> Verdict:
        if self.block_at is not None and score >= self.block_at:
            return Verdict.BLOCK
        if self.review_at is not None and score >= self.review_at:
            return Verdict.REVIEW
        return Verdict.ALLOW
