"""Errors a servicer raises; the gRPC interceptor maps each to its status code."""

from __future__ import annotations

import grpc
from pydantic import ValidationError


class ServiceError(Exception):
    code: grpc.StatusCode = grpc.StatusCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgument(ServiceError):
    """A request field is wrong; the message names the field."""

    code = grpc.StatusCode.INVALID_ARGUMENT

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class NotFound(ServiceError):
    code = grpc.StatusCode.NOT_FOUND


class ResourceExhausted(ServiceError):
    """Over a size limit (the message names the limit), or too busy now: then `retry_after_s` is
    the hint the server sends (google.rpc.RetryInfo in the trailers)."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class FailedPrecondition(ServiceError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class PermissionDenied(ServiceError):
    code = grpc.StatusCode.PERMISSION_DENIED


def field_path(location: tuple[int | str, ...]) -> str:
    """Dotted path of a pydantic error location, e.g. ('to', 0) -> 'to.0'."""
    return ".".join(str(part) for part in location) or "<root>"


def first_problem(error: ValidationError, *prefix: str) -> tuple[str, str]:
    """(field path, message) of the first problem of a pydantic ValidationError, the path
    starting with `prefix` (e.g. "input")."""
    first = error.errors()[0]
    return field_path((*prefix, *first["loc"])), first["msg"]


def invalid_argument_from(error: ValidationError, prefix: str = "") -> InvalidArgument:
    """The first problem of a pydantic ValidationError as an InvalidArgument naming its field
    (`prefix` places it inside the request, e.g. "requests.3.params.")."""
    path, message = first_problem(error)
    return InvalidArgument(f"{prefix}{path}", message)


class Unauthenticated(ServiceError):
    """No credentials, or credentials nobody issued."""

    code = grpc.StatusCode.UNAUTHENTICATED
