"""google.protobuf.Struct <-> plain dicts, the one place that converts step data.

Struct stores every number as a double; integral values come back as ints so that ids and counts
keep their JSON look (`3`, not `3.0`) when formatted into text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import struct_pb2


def to_struct(data: Mapping[str, Any] | None) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    if data:
        message.update(data)
    return message


def _plain(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        number = value.number_value
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return from_struct(value.struct_value)
    if kind == "list_value":
        return [_plain(item) for item in value.list_value.values]
    return None  # null_value, or unset


def from_struct(message: struct_pb2.Struct) -> dict[str, Any]:
    # Walks the message directly: json_format.MessageToDict is a pure-Python printer and was a few
    # percent of the coordinator's CPU per record (docs/decisions/0502).
    return {key: _plain(value) for key, value in message.fields.items()}
