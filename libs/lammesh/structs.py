"""google.protobuf.Struct <-> plain dicts, the one place that converts step data.

Struct stores every number as a double; integral values come back as ints so that ids and counts
keep their JSON look (`3`, not `3.0`) when formatted into text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format, struct_pb2


def to_struct(data: Mapping[str, Any] | None) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    if data:
        message.update(data)
    return message


def _restore_ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _restore_ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore_ints(v) for v in value]
    return value


def from_struct(message: struct_pb2.Struct) -> dict[str, Any]:
    return _restore_ints(json_format.MessageToDict(message))
