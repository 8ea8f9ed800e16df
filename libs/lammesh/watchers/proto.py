"""Adapter between protobuf (CheckRequest / CheckResponse) and the pure watcher types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format, struct_pb2
from pydantic import ValidationError

from lammesh.errors import InvalidArgument, invalid_argument_from
from lammesh.modelregistry.domain import ModelRef
from lammesh.v1 import model_pb2, watcher_pb2
from lammesh.verdict import Stage
from lammesh.watchers.verdicts import CheckOutcome, Verdict, WatcherParams
from lammesh.watchers.watcher import CheckInput


def struct_to_dict(struct: struct_pb2.Struct) -> dict[str, Any]:
    """A Struct as a dict with keys sorted at every level: protobuf maps keep no order, and
    sorted keys make field walks (and so reasons and spans) come out the same every time."""
    return _sorted_keys(json_format.MessageToDict(struct))


def _sorted_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value


def to_struct(data: Mapping[str, Any] | None) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    if data:
        struct.update(data)
    return struct


def check_input_from(
    request: watcher_pb2.CheckRequest, params_model: type[WatcherParams], *, prefix: str = ""
) -> CheckInput:
    """Validate a CheckRequest for a watcher; InvalidArgument names the offending field
    (`prefix` locates the request inside a batch, e.g. "requests.3.")."""
    try:
        stage = Stage.from_proto(request.stage)
    except ValueError:
        raise InvalidArgument(f"{prefix}stage", f"unknown stage {request.stage}") from None
    try:
        params = params_model.model_validate(struct_to_dict(request.params))
    except ValidationError as error:
        raise invalid_argument_from(error, prefix=f"{prefix}params.") from None
    return CheckInput(
        params=params,
        content=struct_to_dict(request.content),
        sources=struct_to_dict(request.sources),
        stage=stage,
        task_id=request.task_id,
        step_id=request.step_id,
        attempt=request.attempt,
        capability=request.capability,
        tenant=request.tenant,
    )


def model_ref(ref: ModelRef) -> model_pb2.ModelRef:
    return model_pb2.ModelRef(name=ref.name, version=ref.version, sha256=ref.sha256)


def response_from(
    outcome: CheckOutcome, *, watcher: str, version: str, latency_us: int, model: ModelRef | None = None
) -> watcher_pb2.CheckResponse:
    return watcher_pb2.CheckResponse(
        verdict=outcome.verdict.proto,
        score=outcome.score,
        reasons=list(outcome.reasons),
        spans=[watcher_pb2.Span(field=s.field, start=s.start, end=s.end, label=s.label) for s in outcome.spans],
        watcher=watcher,
        watcher_version=version,
        latency_us=latency_us,
        model=model_ref(model) if model is not None else None,
    )


def verdict_of(response: watcher_pb2.CheckResponse) -> Verdict:
    """The verdict of a response; UNSPECIFIED (never sent by a healthy watcher) raises ValueError."""
    return Verdict.from_proto(response.verdict)


def check_request(
    *,
    content: Mapping[str, Any] | None = None,
    sources: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    stage: Stage | str = Stage.UNSPECIFIED,
    task_id: str = "",
    step_id: str = "",
    attempt: int = 0,
    capability: str = "",
    tenant: str = "",
) -> watcher_pb2.CheckRequest:
    """Build a CheckRequest from plain dicts (for callers such as the coordinator, and tests)."""
    return watcher_pb2.CheckRequest(
        task_id=task_id,
        step_id=step_id,
        attempt=attempt,
        capability=capability,
        stage=Stage(stage).proto,
        content=to_struct(content),
        sources=to_struct(sources),
        params=to_struct(params),
        tenant=tenant,
    )
