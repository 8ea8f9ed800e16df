"""Threshold policy, verdict ordering and how findings combine into one outcome."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from lammesh.watchers import CheckOutcome, Finding, Span, Thresholds, Verdict

scores = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
optional_scores = st.none() | scores


@given(review_at=optional_scores, block_at=optional_scores, score=scores)
def test_threshold_verdict_follows_the_bands(review_at, block_at, score):
    if review_at is not None and block_at is not None and review_at > block_at:
        with pytest.raises(ValidationError):
            Thresholds(review_at=review_at, block_at=block_at)
        return
    policy = Thresholds(review_at=review_at, block_at=block_at)
    verdict = policy.verdict_for(score)
    if block_at is not None and score >= block_at:
        assert verdict is Verdict.BLOCK
    elif review_at is not None and score >= review_at:
        assert verdict is Verdict.REVIEW
    else:
        assert verdict is Verdict.ALLOW


@given(policy_scores=st.tuples(scores, scores).map(sorted), low=scores, high=scores)
def test_a_higher_score_never_gets_a_milder_verdict(policy_scores, low, high):
    policy = Thresholds(review_at=policy_scores[0], block_at=policy_scores[1])
    low, high = sorted((low, high))
    assert policy.verdict_for(low) <= policy.verdict_for(high)


def test_defaults_and_boundaries():
    policy = Thresholds()
    assert policy.verdict_for(0.0) is Verdict.ALLOW
    assert policy.verdict_for(policy.review_at) is Verdict.REVIEW
    assert policy.verdict_for(policy.block_at) is Verdict.BLOCK
    assert Thresholds(block_at=None).verdict_for(1.0) is Verdict.REVIEW
    assert Thresholds(review_at=None, block_at=None).verdict_for(1.0) is Verdict.ALLOW


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"block_at": 1.5}, "block_at", "less than or equal to 1"),
        ({"review_at": -0.1}, "review_at", "greater than or equal to 0"),
        ({"review_at": 0.95}, "block_at", "must not be below review_at"),
        ({"review_at": "high"}, "review_at", "valid number"),
        ({"reviw_at": 0.5}, "reviw_at", "Extra inputs are not permitted"),
    ],
)
def test_bad_thresholds_name_the_field(params, field, message):
    with pytest.raises(ValidationError) as caught:
        Thresholds.model_validate(params)
    error = caught.value.errors()[0]
    assert error["loc"] == (field,)
    assert message in error["msg"]


def test_verdict_parse_accepts_names_in_any_form():
    assert Verdict.parse("block") is Verdict.BLOCK
    assert Verdict.parse("VERDICT_REVIEW") is Verdict.REVIEW
    assert Verdict.parse(1) is Verdict.ALLOW
    with pytest.raises(ValueError, match="unknown verdict"):
        Verdict.parse("deny")


def test_strictest_finding_wins_and_keeps_every_span():
    email = Finding("email", "email address", 0.6, Verdict.REVIEW, (Span("to.0", 0, 9, "email"),))
    key = Finding("api_key", "API key", 0.99, Verdict.BLOCK, (Span("body", 4, 40, "api_key"),))
    weak = Finding("entropy", "random-looking string", 0.3, Verdict.BLOCK, ())
    outcome = CheckOutcome.from_findings([email, key, weak])
    assert outcome.verdict is Verdict.BLOCK
    assert outcome.score == 0.99
    assert outcome.reasons[0] == "API key"
    assert set(outcome.reasons) == {"email address", "API key", "random-looking string"}
    assert {s.label for s in outcome.spans} == {"email", "api_key"}


def test_no_findings_is_allow_with_zero_score():
    outcome = CheckOutcome.from_findings([])
    assert outcome.verdict is Verdict.ALLOW and outcome.score == 0.0


def test_outcome_rejects_score_outside_unit_interval():
    with pytest.raises(ValueError, match="score"):
        CheckOutcome(Verdict.ALLOW, 1.2)
    with pytest.raises(ValueError, match="bad span"):
        Span("x", 5, 2, "label")
