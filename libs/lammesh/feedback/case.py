"""The feedback case: one verdict of one watcher on one checked text, and what it should have been.

Pure: no Kafka, no files, no clock (`created_at` comes from the caller).

A reviewer's decision on a REVIEW pause is feedback: approve means the watcher was wrong (a false
positive), reject means it was right (a confirmed flag). A tenant can also report a verdict
directly: a false positive (flagged, should have passed) or a miss (passed, should have been
flagged). `should_flag` is the label the violet team keeps for every variant of the case.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from dataclasses import field as dataclass_field
from enum import StrEnum
from typing import Any

from lammesh.modelregistry.domain import ModelRef

MAX_CONTENT_CHARS = 200_000
MAX_NOTE_CHARS = 2_000


class FeedbackError(ValueError):
    """A feedback case that cannot be recorded; the message says why."""


class FeedbackKind(StrEnum):
    FALSE_POSITIVE = "false_positive"
    """The watcher flagged (REVIEW or BLOCK) text that is fine."""
    MISSED = "missed"
    """The watcher let through text it should have flagged."""
    CONFIRMED = "confirmed"
    """The watcher flagged text and was right to (a reviewer rejected the paused step)."""

    @classmethod
    def parse(cls, value: str) -> FeedbackKind:
        normalised = value.strip().lower().replace("-", "_")
        try:
            return cls(normalised)
        except ValueError:
            raise FeedbackError(
                f"unknown feedback kind {value!r}; use one of {', '.join(k.value for k in cls)}"
            ) from None


class FeedbackSource(StrEnum):
    REVIEW = "review"
    """A reviewer's approve / reject of a REVIEW pause."""
    REPORT = "report"
    """`lammesh feedback` or FeedbackService.Report."""


_FLAGGED_VERDICTS = frozenset({"REVIEW", "BLOCK"})


@dataclass(frozen=True)
class FeedbackCase:
    tenant: str
    task_id: str
    step: str
    stage: str
    """"input" or "output": which side of the step the watcher checked."""
    watcher: str
    field: str
    """The content field the verdict was about (e.g. "transcript", "body")."""
    content: str
    """The checked text of that field, exactly as the watcher saw it."""
    verdict: str
    """The watcher's verdict: "ALLOW", "REVIEW" or "BLOCK"."""
    score: float
    model: ModelRef
    kind: FeedbackKind
    source: FeedbackSource
    created_at: float
    workflow: str = ""
    reporter: str = ""
    note: str = ""
    extra: Mapping[str, Any] = dataclass_field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.content.strip():
            raise FeedbackError(f"{self.watcher} checked no text in {self.step}.{self.field}; nothing to learn from")
        if len(self.content) > MAX_CONTENT_CHARS:
            raise FeedbackError(
                f"content of {len(self.content)} characters is over the {MAX_CONTENT_CHARS}-character limit of a feedback case"
            )
        if len(self.note) > MAX_NOTE_CHARS:
            raise FeedbackError(f"note of {len(self.note)} characters is over the {MAX_NOTE_CHARS}-character limit")
        if self.stage not in ("input", "output"):
            raise FeedbackError(f"stage {self.stage!r} must be 'input' or 'output'")
        flagged = self.verdict in _FLAGGED_VERDICTS
        if self.kind is FeedbackKind.MISSED and flagged:
            raise FeedbackError(f"{self.watcher} already flagged this ({self.verdict}); a miss is a verdict of ALLOW")
        if self.kind in (FeedbackKind.FALSE_POSITIVE, FeedbackKind.CONFIRMED) and not flagged:
            raise FeedbackError(f"{self.watcher} allowed this; report it as missed, not {self.kind.value}")

    @property
    def should_flag(self) -> bool:
        """The label: whether the watcher should flag this text (kept by every variant)."""
        return self.kind is not FeedbackKind.FALSE_POSITIVE

    @property
    def case_id(self) -> str:
        """Stable id: the same verdict reported twice is one case (the later report wins)."""
        key = "\x1f".join(
            (self.tenant, self.task_id, self.step, self.stage, self.watcher, self.field, self.model.sha256)
        )
        return hashlib.sha256(key.encode()).hexdigest()[:24]

    def to_json(self) -> bytes:
        data = asdict(self)
        data["model"] = self.model.as_dict()
        data["kind"] = self.kind.value
        data["source"] = self.source.value
        data["extra"] = dict(self.extra)
        return json.dumps(data, sort_keys=True, ensure_ascii=False).encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> FeedbackCase:
        try:
            data = json.loads(raw)
            data["model"] = ModelRef(**data["model"])
            data["kind"] = FeedbackKind(data["kind"])
            data["source"] = FeedbackSource(data["source"])
            return cls(**data)
        except FeedbackError:
            raise
        except (ValueError, TypeError, KeyError) as error:
            raise FeedbackError(f"not a feedback case: {error}") from error
