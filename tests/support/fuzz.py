"""Hypothesis strategies for records a consumer must survive, and the checks every fuzz test makes.

A test draws a modest batch of bad records (one broker, one consumer, no restart per example),
publishes them on one partition, then one good record, and asserts that each bad record is in the
DLQ with a reason and its source coordinates, that the consumer is still running, and that the
good record was handled."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiokafka.structs import ConsumerRecord
from google.protobuf import descriptor_pool
from google.protobuf.message import Message
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from lammesh import envelope as serde
from lammesh.kafka import EnvelopeProducer
from lammesh.kafka.deadletters import (
    DLQ_CONSUMER_GROUP,
    DLQ_REASON,
    DLQ_SOURCE_OFFSET,
    DLQ_SOURCE_PARTITION,
    DLQ_SOURCE_TOPIC,
    DLQ_VALUE_OMITTED,
)
from lammesh.v1 import envelope_pb2
from tests.support.kafka import header

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True)
class Bad:
    """One bad record: what kind of bad, its bytes, and the DLQ reason it must get."""

    kind: str
    value: bytes | None
    reason: str  # a regular expression the DLQ reason must match
    headers: Headers = field(default_factory=list)


def draw(strategy: st.SearchStrategy, count: int) -> list:
    """`count` examples of `strategy`, the same on every run (derandomized, no example database)."""
    drawn: list = []

    @hypothesis_settings(
        max_examples=count,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(strategy)
    def collect(example: object) -> None:
        drawn.append(example)

    collect()
    return drawn[:count]


def envelope_bytes(
    payload: Message,
    *,
    task_id: str,
    message_type: str | None = None,
    schema_version: int | None = None,
    trace_context: dict[str, str] | None = None,
) -> bytes:
    envelope = serde.pack(payload, task_id=task_id, trace_context=trace_context)
    if message_type is not None:
        envelope.message_type = message_type
    if schema_version is not None:
        envelope.schema_version = schema_version
    return envelope.SerializeToString()


def _undecodable(raw: bytes) -> bool:
    try:
        serde.decode(raw)
    except serde.EnvelopeError:
        return True
    return False


UNDECODABLE = (
    r"^(empty record value|not a protobuf Envelope|envelope has no message_(type|id)|schema_version \d+ is newer)"
)

# Header keys and values as a careless or hostile producer might send them, including forged
# DLQ headers and a broken trace context.
garbage_headers = st.lists(
    st.tuples(
        st.one_of(
            st.text(min_size=1, max_size=24),
            st.sampled_from([DLQ_REASON, DLQ_SOURCE_OFFSET, "traceparent", "lammesh-type"]),
        ),
        st.binary(max_size=64),
    ),
    max_size=4,
)
garbage_trace = st.dictionaries(st.sampled_from(["traceparent", "tracestate", "x"]), st.text(max_size=40), max_size=2)


def garbage(*, null: bool = True) -> st.SearchStrategy[Bad]:
    """Undecodable values; `null=False` for compacted topics, where a null value is a tombstone."""
    values = [st.binary(max_size=400), st.just(b"")] + ([st.just(None)] if null else [])
    raw = st.one_of(*values).filter(lambda b: b is None or _undecodable(b))
    return st.builds(lambda value, headers: Bad("garbage", value, UNDECODABLE, headers), raw, garbage_headers)


def truncated(
    valid: st.SearchStrategy[bytes], reason: str, *, inside_payload_only: bool = False
) -> st.SearchStrategy[Bad]:
    """A valid envelope cut short. The payload is the envelope's last field, so a cut inside it
    never parses; a cut before it leaves an envelope without payload (or without its basics)."""

    @st.composite
    def build(draw_: st.DrawFn) -> Bad:
        full = draw_(valid)
        payload_len = len(envelope_pb2.Envelope.FromString(full).payload)
        low = len(full) - payload_len + 1 if inside_payload_only else 1
        cut = draw_(st.integers(min_value=min(low, len(full) - 1), max_value=len(full) - 1))
        return Bad("truncated", full[:cut], f"{UNDECODABLE}|{reason}", draw_(garbage_headers))

    return build()


def wrong_type(payloads: Iterable[Message], *, task_id: st.SearchStrategy[str], reason: str) -> st.SearchStrategy[Bad]:
    """A valid envelope around a real protobuf type this consumer does not take."""
    return st.builds(
        lambda payload, tid, trace, headers: Bad(
            "wrong_type", envelope_bytes(payload, task_id=tid, trace_context=trace), reason, headers
        ),
        st.sampled_from(list(payloads)),
        task_id,
        garbage_trace,
        garbage_headers,
    )


def _unregistered(name: str) -> bool:
    try:
        descriptor_pool.Default().FindMessageTypeByName(name)
    except KeyError:
        return True
    return False


def bad_type_url(payload: Message, *, task_id: str, reason: str) -> st.SearchStrategy[Bad]:
    """The right payload under a missing or made-up message type."""
    names = st.one_of(
        st.just(""),
        st.text(min_size=1, max_size=40).filter(_unregistered),
        st.just("type.googleapis.com/" + payload.DESCRIPTOR.full_name),
    )
    return st.builds(
        lambda name, headers: Bad(
            "bad_type_url",
            envelope_bytes(payload, task_id=task_id, message_type=name),
            rf"^envelope has no message_type$|{reason}",
            headers,
        ),
        names,
        garbage_headers,
    )


def future_schema(payload: Message, *, task_id: str) -> st.SearchStrategy[Bad]:
    return st.builds(
        lambda version, headers: Bad(
            "future_schema",
            envelope_bytes(payload, task_id=task_id, schema_version=version),
            r"^schema_version \d+ is newer than supported",
            headers,
        ),
        st.integers(min_value=serde.SCHEMA_VERSION + 1, max_value=2**32 - 1),
        garbage_headers,
    )


def oversized(limit: int) -> st.SearchStrategy[Bad]:
    """Undecodable records up to the largest a topic takes (`limit` less the record overhead and a
    short key): their dead letter, with its headers, is larger than that."""
    return st.builds(
        lambda size, pattern: Bad("oversized", (b"\x07" + pattern * (size // len(pattern) + 1))[:size], UNDECODABLE),
        st.one_of(st.just(limit - 120), st.integers(min_value=limit - 60_000, max_value=limit - 120)),
        st.binary(min_size=1, max_size=16),
    )


async def publish(
    producer: EnvelopeProducer, topic: str, bad: list[Bad], key: bytes
) -> dict[tuple[str, int, int], Bad]:
    """Send every bad record with one key (so one partition, in order); their coordinates."""
    futures = [await producer.send_raw(topic, b.value, key=key, headers=b.headers) for b in bad]
    await producer.confirm()
    sent = {}
    for b, future in zip(bad, futures, strict=True):
        meta = future.result()
        sent[(meta.topic, meta.partition, meta.offset)] = b
    return sent


def assert_dead_lettered(dead: list[ConsumerRecord], sent: dict[tuple[str, int, int], Bad], group: str) -> None:
    """Every bad record is in the DLQ once per this consumer, with a reason of its kind, its source
    coordinates and its original value; nothing else of this consumer is there."""
    mine = [r for r in dead if header(r, DLQ_CONSUMER_GROUP) == group]
    by_source = {}
    for record in mine:
        source = (
            header(record, DLQ_SOURCE_TOPIC),
            int(header(record, DLQ_SOURCE_PARTITION)),
            int(header(record, DLQ_SOURCE_OFFSET)),
        )
        assert source not in by_source, f"dead-lettered twice: {source}"
        by_source[source] = record
    missing = {k: sent[k].kind for k in sent.keys() - by_source.keys()}
    assert not missing, f"bad records not in the DLQ: {missing}"
    unexpected = {k: header(by_source[k], DLQ_REASON) for k in by_source.keys() - sent.keys()}
    assert not unexpected, f"records dead-lettered that were not bad: {unexpected}"
    for source, bad in sent.items():
        record = by_source[source]
        reason = header(record, DLQ_REASON)
        assert reason and re.search(bad.reason, reason), f"{bad.kind} at {source}: reason {reason!r} !~ {bad.reason!r}"
        if header(record, DLQ_VALUE_OMITTED) is None:
            assert record.value == bad.value, f"{bad.kind} at {source}: value changed in the DLQ"


def kinds(bad: Iterable[Bad]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for b in bad:
        counts[b.kind] = counts.get(b.kind, 0) + 1
    return counts
