"""Pulling text out of nested content with dotted field paths."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lammesh.watchers import iter_text_fields, text_fields, value_at

keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
leaves = st.text(max_size=20) | st.integers() | st.floats(allow_nan=False) | st.booleans() | st.none()
documents = st.recursive(
    leaves, lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4), max_leaves=12
)


def _strings(value):
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for child in value.values() for s in _strings(child)]
    if isinstance(value, list):
        return [s for child in value for s in _strings(child)]
    return []


@settings(deadline=None, max_examples=80, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, documents, max_size=4))
def test_every_string_is_found_once_and_its_path_leads_back_to_it(document):
    found = list(iter_text_fields(document))
    assert [f.text for f in found] == _strings(document)
    for field in found:
        assert value_at(document, field.path) == field.text
    assert len({f.path for f in found}) == len(found)


def test_paths_name_nested_fields_and_list_items():
    content = {
        "subject": "Follow-up",
        "to": ["ana@acme.com", "bo@acme.com"],
        "meta": {"attempt": 2, "notes": [{"text": "hi"}], "empty": ""},
    }
    assert [(f.path, f.text) for f in text_fields(content)] == [
        ("subject", "Follow-up"),
        ("to.0", "ana@acme.com"),
        ("to.1", "bo@acme.com"),
        ("meta.notes.0.text", "hi"),
    ]


def test_value_at_missing_path_raises_key_error():
    with pytest.raises(KeyError):
        value_at({"to": ["a"]}, "to.1")
    with pytest.raises(KeyError):
        value_at({"to": ["a"]}, "cc")
