"""Feedback on watcher verdicts: what a reviewer or a tenant said a watcher got wrong (or right).

- `case`: the feedback case and its label (pure);

A case is published on `lammesh.watchers.feedback` (key = case id) and materialised in a store
the violet service reads. See docs/feedback.md.
"""

from lammesh.feedback.case import FeedbackCase, FeedbackError, FeedbackKind, FeedbackSource

__all__ = ["FeedbackCase", "FeedbackError", "FeedbackKind", "FeedbackSource"]
