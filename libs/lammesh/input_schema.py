"""A workflow's `input_schema`: JSON Schema (draft 2020-12) for the task input, checked at load and
on every submission (docs/decisions/0670).

Pure code. `schema_problem` says what is wrong with a schema (the path of the offending keyword);
`input_problem` says which field of a task input breaks it, as (path, message) with paths like
`input.participants[0].email`, and messages that never quote the (possibly huge) value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError

_TYPE_NAMES = {
    "object": "an object",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}
_MAX_MESSAGE = 200
_FORMAT_EXAMPLES = {"date": "YYYY-MM-DD", "date-time": "RFC 3339, e.g. 2026-11-18T09:30:00Z", "email": "name@domain"}
_BOUNDS = {
    "minLength": "must have at least {} characters",
    "maxLength": "must have at most {} characters",
    "minItems": "must have at least {} items",
    "maxItems": "must have at most {} items",
    "minimum": "must be at least {}",
    "maximum": "must be at most {}",
    "pattern": "must match the pattern {}",
    "minProperties": "must have at least {} fields",
    "maxProperties": "must have at most {} fields",
}


def _path(prefix: str, parts: Iterable[Any]) -> str:
    path = prefix
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "<root>"


def schema_problem(schema: Any) -> tuple[str, str] | None:
    """None for a usable input schema, else (path inside the schema, what is wrong)."""
    if not isinstance(schema, Mapping):
        return "", "must be a JSON Schema object"
    if schema.get("type") != "object":
        return "type", "must be object (a task input is always an object)"
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return _path("", exc.absolute_path), exc.message[:_MAX_MESSAGE]
    for path, value in _walk(schema, ""):
        if path.rsplit(".", 1)[-1] == "$ref" and isinstance(value, str) and not value.startswith("#"):
            return path, "only references inside the schema (#/...) are allowed; nothing is fetched"
    return None


def _walk(value: Any, path: str) -> Iterable[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")
    else:
        yield path, value


def _validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _describe(error: ValidationError) -> tuple[list[Any], str]:
    """The field an error is about and a short message that does not repeat the value."""
    where = list(error.absolute_path)
    kind = error.validator
    if kind == "required":
        present = error.instance if isinstance(error.instance, Mapping) else {}
        missing = next((name for name in error.validator_value if name not in present), None)
        if missing is not None:
            return [*where, missing], "is required"
    if kind == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return where, "must be " + " or ".join(_TYPE_NAMES.get(t, str(t)) for t in wanted)
    if kind == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            return [*where, extra[0]], "is not a field this workflow takes"
    if kind == "enum":
        return where, "must be one of " + ", ".join(repr(v) for v in error.validator_value)[:_MAX_MESSAGE]
    if kind == "format":
        example = _FORMAT_EXAMPLES.get(error.validator_value)
        article = "an" if str(error.validator_value)[:1] in "aeiou" else "a"
        return where, f"must be {article} {error.validator_value}" + (f" ({example})" if example else "")
    if kind in _BOUNDS:
        return where, _BOUNDS[kind].format(error.validator_value)[:_MAX_MESSAGE]
    return where, error.message[:_MAX_MESSAGE]


def input_problem(schema: Mapping[str, Any] | None, task_input: Mapping[str, Any]) -> tuple[str, str] | None:
    """None when the input satisfies the schema (or there is none), else (field path, message) of
    the first problem, shallowest field first."""
    if schema is None:
        return None
    errors = sorted(
        _validator(schema).iter_errors(task_input),
        key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))),
    )
    if not errors:
        return None
    where, message = _describe(errors[0])
    return _path("input", where), message
