"""The loop watcher on fixed cases: repeated outputs, retry storms, fan-out and token budgets,
and the ordinary variation it must let through."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from lammesh.watchers import CheckInput, Verdict
from lammesh_services.watchers.loop.measures import approx_tokens, similarity, words
from lammesh_services.watchers.loop.watcher import LoopParams, LoopWatcher

WATCHER = LoopWatcher()
DRAFT = {"subject": "Follow-up", "body": "Hi Ana, thanks for the call. Next step: pricing review on Friday."}


def check(content, sources=None, attempt=1, **params):
    return WATCHER.check(
        CheckInput(params=LoopParams.model_validate(params), content=content, sources=sources or {}, attempt=attempt)
    )


def test_the_same_output_again_and_again_is_blocked():
    history = [
        DRAFT,
        {"subject": "Follow-up", "body": "Hi  ana, thanks for the call! Next step: pricing review on Friday"},
        DRAFT,
    ]
    outcome = check(DRAFT, {"history": history})
    assert outcome.verdict is Verdict.BLOCK
    assert outcome.score == 1.0
    assert outcome.reasons == ("output repeats 3 earlier outputs (similarity up to 1.00), more than the 2 allowed",)
    assert {s.field for s in outcome.spans} == {"subject", "body"}


def test_a_retry_with_the_same_output_within_the_limit_is_fine():
    assert check(DRAFT, {"history": [DRAFT, DRAFT]}).verdict is Verdict.ALLOW
    assert check(DRAFT, {"history": [DRAFT]}, max_repeats=0).verdict is Verdict.BLOCK


def test_different_outputs_are_not_repetition():
    history = [
        {"subject": "Follow-up", "body": "Hi Ana, sending the contract draft and the security questionnaire today."},
        {"subject": "Follow-up", "body": "Hi Ana, pricing review moved to Monday; Bo will join from legal."},
        {"subject": "Follow-up", "body": "Hi Ana, here are the notes from our onboarding session."},
    ]
    outcome = check(DRAFT, {"history": history})
    assert outcome.verdict is Verdict.ALLOW and outcome.score == 0.0


def test_near_duplicates_count_and_the_threshold_is_configurable():
    edited = {"subject": "Follow-up", "body": "Hi Ana, thanks for the call. Next step: pricing review on Friday at 10."}
    history = {"history": [edited, edited, edited]}
    assert check(DRAFT, history).verdict is Verdict.BLOCK  # one extra word: still the same answer
    assert check(DRAFT, history, similarity=0.95).verdict is Verdict.ALLOW
    assert check(DRAFT, history, on_repeat="review").verdict is Verdict.REVIEW
    assert check(DRAFT, {"earlier": [DRAFT] * 3}, history_field="earlier").verdict is Verdict.BLOCK


def test_retry_storm():
    assert check(DRAFT, attempt=5).verdict is Verdict.ALLOW
    storm = check(DRAFT, attempt=6)
    assert storm.verdict is Verdict.BLOCK
    assert storm.reasons == ("attempt 6 is beyond the 5 allowed (retry storm)",)
    assert check(DRAFT, attempt=60, max_attempts=None).verdict is Verdict.ALLOW


def test_fan_out_counts_content_lists_and_calls_already_made():
    calls = {"tool_calls": [{"name": "crm.update"}] * 4}
    assert check(calls, fanout_fields=["tool_calls"], max_fanout=5).verdict is Verdict.ALLOW
    over = check(calls, {"fanout": 3}, fanout_fields=["tool_calls"], max_fanout=5)
    assert over.verdict is Verdict.BLOCK
    assert over.reasons == ("fan-out 7 (4 now, 3 before) exceeds the 5 allowed",)
    assert [s.field for s in over.spans] == ["tool_calls"]


def test_token_budgets():
    long_output = {"body": " ".join(["pricing"] * 400)}  # 400 words of 7 letters: 800 pieces
    assert check(long_output, max_output_tokens=1000).verdict is Verdict.ALLOW
    assert check(long_output, max_output_tokens=500).verdict is Verdict.BLOCK
    spent = {"tokens_used": 9500}
    assert check(DRAFT, spent, token_budget=10_000).verdict is Verdict.ALLOW
    blown = check(long_output, spent, token_budget=10_000)
    assert blown.verdict is Verdict.BLOCK
    assert blown.reasons[0].startswith("token budget 10000 exceeded: about 10300 (9500 spent + 800 now)")


def test_approximate_tokens_are_in_the_range_of_real_tokenizers():
    text = "Thanks for the call today. We agreed on a pilot with 25 seats, starting in March."
    # 16 words (only "starting" is longer than 6 letters: 2 pieces) and 3 punctuation marks
    assert approx_tokens({"t": text}) == 20
    assert approx_tokens({"n": 5, "flag": True}) == 0


@given(st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta", "pricing", "review"]), min_size=1, max_size=30))
def test_similarity_is_one_for_itself_and_symmetric(tokens):
    other = list(reversed(tokens))
    assert similarity(tokens, tokens) == 1.0
    assert similarity(tokens, other) == similarity(other, tokens)
    assert 0.0 <= similarity(tokens, other) <= 1.0


def test_words_fall_back_to_json_for_numbers_only_outputs():
    assert words({"score": 3, "ok": True}) != words({"score": 4, "ok": True})


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"max_repeats": -1}, ("max_repeats",)),
        ({"similarity": 0}, ("similarity",)),
        ({"on_budget": "stop"}, ("on_budget",)),
        ({"token_budget": "a lot"}, ("token_budget",)),
        ({"max_attempt": 3}, ("max_attempt",)),
    ],
)
def test_bad_params_name_the_field(params, field):
    with pytest.raises(ValidationError) as caught:
        LoopParams.model_validate(params)
    assert caught.value.errors()[0]["loc"] == field
