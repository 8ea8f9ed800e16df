"""Struct <-> dict: every JSON kind survives the round trip, integral numbers come back as ints."""

from __future__ import annotations

from google.protobuf import json_format

from lammesh.structs import from_struct, to_struct

DATA = {
    "account": "acme",
    "count": 3,
    "ratio": 0.25,
    "big": 2**60,
    "ok": True,
    "missing": None,
    "to": ["ana@acme.com", {"name": "Ana", "age": 41}],
    "nested": {"deeper": {"empty": {}, "list": []}},
}


def test_every_kind_round_trips_and_integral_numbers_stay_ints():
    back = from_struct(to_struct(DATA))
    assert back == {**DATA, "big": float(2**60)}  # beyond 2**53 a double is not an exact int
    assert isinstance(back["count"], int) and isinstance(back["ratio"], float)
    assert isinstance(back["to"][1]["age"], int)


def test_matches_the_protobuf_json_printer_apart_from_ints():
    message = to_struct(DATA)
    printed = json_format.MessageToDict(message)
    assert from_struct(message)["to"][0] == printed["to"][0]
    assert from_struct(message)["nested"] == printed["nested"]
    assert from_struct(to_struct(None)) == {}
