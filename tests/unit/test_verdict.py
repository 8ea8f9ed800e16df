"""The one Verdict: ordered by severity, named as saga state stores it, numbered as the proto is."""

import pytest

from lammesh.v1 import watcher_pb2
from lammesh.verdict import Stage, Verdict


def test_order_is_severity_not_alphabetical() -> None:
    assert Verdict.ALLOW < Verdict.REVIEW < Verdict.BLOCK
    assert max([Verdict.REVIEW, Verdict.BLOCK, Verdict.ALLOW]) is Verdict.BLOCK
    assert max([Verdict.REVIEW, Verdict.ALLOW]) is Verdict.REVIEW
    assert sorted([Verdict.BLOCK, Verdict.ALLOW, Verdict.REVIEW]) == [Verdict.ALLOW, Verdict.REVIEW, Verdict.BLOCK]


def test_value_is_the_stored_name_and_proto_is_the_enum_number() -> None:
    assert Verdict.BLOCK == "BLOCK" and f"{Verdict.REVIEW}" == "REVIEW"
    for verdict in Verdict:
        assert verdict.proto == watcher_pb2.Verdict.Value(f"VERDICT_{verdict.name}")
        assert Verdict.from_proto(verdict.proto) is verdict


@pytest.mark.parametrize("given", ["block", " BLOCK ", "VERDICT_BLOCK", 3, Verdict.BLOCK])
def test_parse_accepts_every_spelling(given: object) -> None:
    assert Verdict.parse(given) is Verdict.BLOCK  # type: ignore[arg-type]


@pytest.mark.parametrize("given", ["deny", 0, 4])
def test_parse_refuses_what_is_no_verdict(given: object) -> None:
    with pytest.raises(ValueError, match="unknown verdict"):
        Verdict.parse(given)  # type: ignore[arg-type]


def test_comparing_with_a_plain_string_is_an_error_not_alphabetical() -> None:
    with pytest.raises(TypeError):
        assert Verdict.BLOCK > "ALLOW"


def test_stage_is_stored_by_name_read_from_its_label_and_numbered_as_the_proto() -> None:
    assert Stage("input") is Stage.INPUT and Stage(" Output ") is Stage.OUTPUT and Stage("INPUT") is Stage.INPUT
    assert Stage.OUTPUT.label == "output" and f"{Stage.INPUT}" == "INPUT"
    for stage in Stage:
        assert stage.proto == watcher_pb2.CheckStage.Value(f"CHECK_STAGE_{stage.name}")
        assert Stage.from_proto(stage.proto) is stage
    with pytest.raises(ValueError):
        Stage("sideways")
    with pytest.raises(ValueError, match="unknown check stage number 7"):
        Stage.from_proto(7)
