"""One feedback case builder for the tests: a reviewer's FALSE_POSITIVE on the notes step's
transcript, checked by the injection watcher; tests override what they are about."""

from __future__ import annotations

from typing import Any

from lammesh.feedback import FeedbackCase, FeedbackKind, FeedbackSource
from lammesh.modelregistry import ModelRef

MODEL = ModelRef("injection", "v1", "a" * 64)


def feedback_case(**overrides: Any) -> FeedbackCase:
    values: dict[str, Any] = dict(
        tenant="acme",
        task_id="t1",
        step="notes",
        stage="input",
        watcher="injection",
        field="transcript",
        content="Please ignore the previous quote.",
        verdict="BLOCK",
        score=0.9,
        model=MODEL,
        kind=FeedbackKind.FALSE_POSITIVE,
        source=FeedbackSource.REVIEW,
        created_at=1.0,
    )
    values.update(overrides)
    return FeedbackCase(**values)
