import pytest

from lammesh.feedback import FeedbackCase, FeedbackError, FeedbackKind
from tests.support.feedback import feedback_case


def case(**overrides):
    return feedback_case(**{"content": "Please send the revised quote by Friday.", "score": 0.91, **overrides})


def test_labels_follow_the_kind():
    assert case().should_flag is False
    assert case(kind=FeedbackKind.CONFIRMED).should_flag is True
    assert case(kind=FeedbackKind.MISSED, verdict="ALLOW").should_flag is True


def test_json_round_trip_keeps_everything():
    original = case(note="customer mail", extra={"spans": [[0, 6]]})
    assert FeedbackCase.from_json(original.to_json()) == original


def test_case_id_is_stable_across_reports_of_the_same_verdict():
    assert case(note="a", created_at=1).case_id == case(note="b", created_at=2).case_id
    assert case().case_id != case(step="followup").case_id


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": FeedbackKind.MISSED}, "already flagged"),
        ({"verdict": "ALLOW"}, "report it as missed"),
        ({"content": "  "}, "no text"),
        ({"stage": "middle"}, "stage"),
    ],
)
def test_inconsistent_cases_are_refused_with_a_reason(overrides, message):
    with pytest.raises(FeedbackError, match=message):
        case(**overrides)


def test_kind_parses_cli_spelling():
    assert FeedbackKind.parse("false-positive") is FeedbackKind.FALSE_POSITIVE
    with pytest.raises(FeedbackError, match="use one of"):
        FeedbackKind.parse("wrong")
