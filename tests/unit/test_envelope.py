import pytest

from lammesh import envelope as serde
from lammesh.v1 import envelope_pb2, step_pb2, task_pb2


def _command() -> step_pb2.StepCommand:
    command = step_pb2.StepCommand(task_id="t-1", step_id="notes", attempt=2, capability="noop")
    command.input.update({"text": "hello", "n": 3})
    return command


def test_pack_encode_decode_unpack_round_trip():
    envelope = serde.pack(
        _command(),
        task_id="t-1",
        tenant="acme",
        idempotency_key="t-1/notes",
        producer="test",
        trace_context={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
    )
    decoded = serde.decode(envelope.SerializeToString())
    assert decoded.message_type == "lammesh.v1.StepCommand"
    assert decoded.schema_version == serde.SCHEMA_VERSION
    assert (decoded.task_id, decoded.tenant, decoded.idempotency_key) == ("t-1", "acme", "t-1/notes")
    assert decoded.trace_context["traceparent"].startswith("00-0af76519")
    assert decoded.produced_at.seconds > 0
    assert serde.unpack(decoded, step_pb2.StepCommand) == _command()
    assert serde.unpack_any(decoded) == _command()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "empty record value"),
        (b"", "empty record value"),
        (b"\xff\xff\xff\xff", "not a protobuf Envelope"),
        (b"\x08\x96\x01", "no message_type"),  # parses (unknown varint field) but is no envelope
    ],
)
def test_decode_rejects_what_is_not_an_envelope(raw, reason):
    with pytest.raises(serde.EnvelopeError, match=reason) as info:
        serde.decode(raw)
    assert reason in info.value.reason


def test_decode_rejects_a_newer_schema_version():
    envelope = serde.pack(_command(), task_id="t")
    envelope.schema_version = serde.SCHEMA_VERSION + 1
    with pytest.raises(serde.EnvelopeError, match="newer than supported"):
        serde.decode(envelope.SerializeToString())


def test_unpack_names_the_type_mismatch():
    envelope = serde.pack(_command(), task_id="t")
    with pytest.raises(
        serde.EnvelopeError, match="expected payload lammesh.v1.TaskRequested, got lammesh.v1.StepCommand"
    ):
        serde.unpack(envelope, task_pb2.TaskRequested)


def test_unpack_rejects_a_corrupt_payload():
    envelope = serde.pack(_command(), task_id="t")
    envelope.payload = b"\xff\xff\xff"
    with pytest.raises(serde.EnvelopeError, match="payload is not a valid lammesh.v1.StepCommand"):
        serde.unpack(envelope, step_pb2.StepCommand)


def test_unpack_any_rejects_unknown_types():
    envelope = envelope_pb2.Envelope(message_type="acme.v9.Nope", message_id="x", payload=b"")
    with pytest.raises(serde.EnvelopeError, match="unknown message_type acme.v9.Nope"):
        serde.unpack_any(envelope)
