"""Protobuf `Envelope` serde: every Kafka record's value is an Envelope around a typed payload."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TypeVar

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import DecodeError, Message

from lammesh.v1 import envelope_pb2

SCHEMA_VERSION = 1
"""The payload schema version this code writes and the newest it understands."""

M = TypeVar("M", bound=Message)


class EnvelopeError(ValueError):
    """A record that is not a usable Envelope; `reason` goes into the DLQ headers."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def pack(
    payload: Message,
    *,
    task_id: str,
    tenant: str = "",
    idempotency_key: str = "",
    producer: str = "",
    trace_context: Mapping[str, str] | None = None,
) -> envelope_pb2.Envelope:
    envelope = envelope_pb2.Envelope(
        message_type=payload.DESCRIPTOR.full_name,
        schema_version=SCHEMA_VERSION,
        message_id=uuid.uuid4().hex,
        task_id=task_id,
        tenant=tenant,
        idempotency_key=idempotency_key,
        producer=producer,
        payload=payload.SerializeToString(),
    )
    envelope.produced_at.GetCurrentTime()
    if trace_context:
        envelope.trace_context.update(trace_context)
    return envelope


def decode(raw: bytes | None) -> envelope_pb2.Envelope:
    """Parse a record value into an Envelope, or raise EnvelopeError saying what is wrong."""
    if not raw:
        raise EnvelopeError("empty record value")
    envelope = envelope_pb2.Envelope()
    try:
        envelope.ParseFromString(raw)
    except DecodeError as exc:
        raise EnvelopeError(f"not a protobuf Envelope: {exc}") from None
    # Arbitrary bytes often parse as a message made only of unknown fields; insist on the basics.
    if not envelope.message_type:
        raise EnvelopeError("envelope has no message_type")
    if not envelope.message_id:
        raise EnvelopeError("envelope has no message_id")
    if envelope.schema_version > SCHEMA_VERSION:
        raise EnvelopeError(f"schema_version {envelope.schema_version} is newer than supported {SCHEMA_VERSION}")
    return envelope


def unpack(envelope: envelope_pb2.Envelope, expected: type[M]) -> M:
    """The payload as `expected`, or EnvelopeError if the type differs or the bytes are bad."""
    want = expected.DESCRIPTOR.full_name
    if envelope.message_type != want:
        raise EnvelopeError(f"expected payload {want}, got {envelope.message_type}")
    payload = expected()
    try:
        payload.ParseFromString(envelope.payload)
    except DecodeError as exc:
        raise EnvelopeError(f"payload is not a valid {want}: {exc}") from None
    return payload


def unpack_any(envelope: envelope_pb2.Envelope) -> Message:
    """The payload as whatever registered message type the envelope names."""
    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(envelope.message_type)
    except KeyError:
        raise EnvelopeError(f"unknown message_type {envelope.message_type}") from None
    return unpack(envelope, message_factory.GetMessageClass(descriptor))
