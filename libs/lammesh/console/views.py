"""What the console's pages show, as plain data: the flagged spans of a review's content cut into
highlighted segments, the task list's filters read from a query string, a task's trace link.

Pure code (no HTTP, gRPC or clock): the pages (lammesh.console.app) call it; unit tests check it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lammesh.gateway.client import TASK_STATUSES, parse_since


@dataclass(frozen=True)
class Segment:
    text: str
    label: str = ""
    """Empty: plain text; otherwise the watcher's label of a flagged span (e.g. "phone")."""


@dataclass(frozen=True)
class FieldView:
    path: str
    segments: tuple[Segment, ...]

    @property
    def flagged(self) -> bool:
        return any(s.label for s in self.segments)


@dataclass(frozen=True)
class SpanRef:
    field: str
    start: int
    end: int
    label: str = ""


def _leaves(value: Any, path: str) -> Iterable[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}.{index}" if path else str(index))
    else:
        yield path, value


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # protobuf Struct numbers are doubles: 3.0 was 3
    return json.dumps(value)


def segments(text: str, spans: Iterable[SpanRef]) -> tuple[Segment, ...]:
    """`text` cut at the spans' edges; each piece inside a span carries its label (overlapping
    spans: the labels joined). Spans outside the text are clipped; empty ones are ignored."""
    cuts = {0, len(text)}
    marked: list[tuple[int, int, str]] = []
    for span in spans:
        start, end = max(0, min(span.start, len(text))), max(0, min(span.end, len(text)))
        if start < end:
            cuts |= {start, end}
            marked.append((start, end, span.label or "flagged"))
    edges = sorted(cuts)
    pieces: list[Segment] = []
    for start, end in zip(edges, edges[1:], strict=False):
        labels = sorted({label for s, e, label in marked if s <= start and end <= e})
        pieces.append(Segment(text[start:end], ", ".join(labels)))
    merged: list[Segment] = []
    for piece in pieces:  # neighbours with the same label read as one
        if merged and merged[-1].label == piece.label:
            merged[-1] = Segment(merged[-1].text + piece.text, piece.label)
        else:
            merged.append(piece)
    return tuple(merged) or (Segment(""),)


def highlight(content: Mapping[str, Any], spans: Iterable[SpanRef]) -> list[FieldView]:
    """Every leaf field of a review's content (dotted paths, as Span.field names them), with the
    spans of that field highlighted; flagged fields first. A span naming no leaf (or the whole
    content, field "") marks the first field it fits."""
    by_field: dict[str, list[SpanRef]] = {}
    for span in spans:
        by_field.setdefault(span.field, []).append(span)
    views = [FieldView(path, segments(_as_text(value), by_field.pop(path, ()))) for path, value in _leaves(content, "")]
    for orphans in by_field.values():  # e.g. a span of a field the content no longer has
        views.append(
            FieldView(
                orphans[0].field or "(content)",
                (Segment(f"{len(orphans)} flagged span(s) not in the content", "unplaced"),),
            )
        )
    return sorted(views, key=lambda view: not view.flagged)


class FilterError(ValueError):
    """A filter of the task list that cannot be read; the message names the field."""


@dataclass(frozen=True)
class TaskFilters:
    status: str = ""
    workflow: str = ""
    since: str = ""
    search: str = ""
    created_after: datetime | None = field(default=None, compare=False)

    @property
    def status_value(self) -> int:
        return TASK_STATUSES.get(self.status, 0)

    @property
    def query(self) -> dict[str, str]:
        return {
            k: v
            for k, v in (
                ("status", self.status),
                ("workflow", self.workflow),
                ("since", self.since),
                ("q", self.search),
            )
            if v
        }

    def matches_search(self, task_id: str) -> bool:
        return self.search.lower() in task_id.lower()


def task_filters(params: Mapping[str, str], now: datetime) -> TaskFilters:
    """The task list's filters from its query string: status (a name as `lammesh tasks list
    --status` takes it), workflow, since (10m, 2h, 1d or an ISO time), q (part of a task id)."""
    status = params.get("status", "").strip().lower()
    if status and status not in TASK_STATUSES:
        raise FilterError(f"status: unknown status {status!r}; choose from {', '.join(TASK_STATUSES)}")
    since = params.get("since", "").strip()
    created_after = None
    if since:
        try:
            created_after = parse_since(since, now).astimezone(UTC)
        except ValueError as exc:
            raise FilterError(f"since: {exc}") from None
    return TaskFilters(
        status=status,
        workflow=params.get("workflow", "").strip(),
        since=since,
        search=params.get("q", "").strip(),
        created_after=created_after,
    )


def trace_link(template: str, task_id: str, trace_id: str = "") -> str:
    """The task's trace in the configured viewer (console_trace_url): {task_id} and {trace_id}
    filled in; "" when no template is set or it needs a trace id the task does not name."""
    if not template or ("{trace_id}" in template and not trace_id):
        return ""
    return template.replace("{task_id}", task_id).replace("{trace_id}", trace_id)
