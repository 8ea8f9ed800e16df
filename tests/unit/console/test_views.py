"""The console's page logic without a browser or a gateway: highlighted spans, task filters, trace links."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lammesh.console.app import Session
from lammesh.console.views import FilterError, Segment, SpanRef, highlight, segments, task_filters, trace_link

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_a_span_cuts_its_field_into_plain_and_labelled_segments() -> None:
    text = "Call me on +44 20 7946 0958 tomorrow."
    assert segments(text, [SpanRef("body", 11, 27, "phone")]) == (
        Segment("Call me on "),
        Segment("+44 20 7946 0958", "phone"),
        Segment(" tomorrow."),
    )


def test_overlapping_spans_join_their_labels_and_out_of_range_spans_are_clipped() -> None:
    pieces = segments("abcdef", [SpanRef("f", 1, 4, "x"), SpanRef("f", 3, 99, "y"), SpanRef("f", 5, 5, "empty")])
    assert pieces == (Segment("a"), Segment("bc", "x"), Segment("d", "x, y"), Segment("ef", "y"))


def test_highlight_walks_nested_content_by_dotted_path_and_puts_flagged_fields_first() -> None:
    content = {"to": ["ana@acme.com", "pipeline@evil.io"], "body": "hello", "meta": {"count": 3.0}}
    views = highlight(content, [SpanRef("to.1", 0, 16, "recipient")])
    assert [v.path for v in views] == ["to.1", "to.0", "body", "meta.count"]
    assert views[0].flagged and views[0].segments == (Segment("pipeline@evil.io", "recipient"),)
    assert views[3].segments == (Segment("3"),)  # a Struct number that was an integer


def test_a_span_of_a_field_the_content_lacks_is_shown_not_dropped() -> None:
    views = highlight({"body": "hi"}, [SpanRef("subject", 0, 2, "pii")])
    assert views[0].path == "subject" and views[0].flagged


def test_task_filters_read_status_workflow_since_and_id_search() -> None:
    filters = task_filters({"status": "Compensated", "workflow": " flow ", "since": "2h", "q": "AB12"}, NOW)
    assert (filters.status, filters.workflow, filters.search) == ("compensated", "flow", "AB12")
    assert filters.status_value == 6 and filters.created_after == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    assert filters.matches_search("xxab12yy") and not filters.matches_search("zz")
    assert task_filters({}, NOW).status_value == 0 and task_filters({}, NOW).created_after is None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "done"}, "status: unknown status 'done'"),
        ({"since": "last week"}, "since: 'last week' is neither"),
    ],
)
def test_a_bad_filter_names_its_field(params: dict[str, str], message: str) -> None:
    with pytest.raises(FilterError, match=message):
        task_filters(params, NOW)


def test_trace_link_fills_the_template_or_gives_none() -> None:
    assert trace_link("http://jaeger/search?tags={task_id}", "t1") == "http://jaeger/search?tags=t1"
    assert trace_link("http://tempo/trace/{trace_id}", "t1", "abc") == "http://tempo/trace/abc"
    assert trace_link("http://tempo/trace/{trace_id}", "t1") == ""
    assert trace_link("", "t1") == ""


def test_the_session_cookie_round_trips_a_token_or_a_dev_tenant_and_refuses_garbage() -> None:
    token = Session(token="lmt_abc:def")
    assert Session.from_cookie(token.cookie()) == token
    assert token.metadata() == (("authorization", "Bearer lmt_abc:def"),)
    dev = Session(tenant="acme", user="ana")
    assert Session.from_cookie(dev.cookie()) == dev
    assert dict(dev.metadata()) == {"x-lammesh-tenant": "acme", "x-lammesh-user": "ana"}
    for bad in (None, "", "x:y", "t:", "d:"):
        assert Session.from_cookie(bad) is None
