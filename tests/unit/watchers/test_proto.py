"""CheckRequest <-> CheckInput / CheckOutcome -> CheckResponse."""

from __future__ import annotations

import pytest

from lammesh.errors import InvalidArgument
from lammesh.modelregistry.domain import ModelRef
from lammesh.v1 import watcher_pb2
from lammesh.watchers import (
    CheckOutcome,
    Span,
    Stage,
    Thresholds,
    Verdict,
    check_input_from,
    check_request,
    response_from,
)


def test_request_becomes_plain_python_with_validated_params():
    request = check_request(
        content={"to": ["ana@acme.com"], "body": "hi"},
        sources={"crm": {"domain": "acme.com"}},
        params={"review_at": 0.2},
        stage="input",
        task_id="t1",
        step_id="email",
        attempt=2,
        capability="email.send",
        tenant="acme",
    )
    item = check_input_from(request, Thresholds)
    assert item.content == {"to": ["ana@acme.com"], "body": "hi"}
    assert item.sources == {"crm": {"domain": "acme.com"}}
    assert item.params == Thresholds(review_at=0.2)
    assert (item.stage, item.task_id, item.step_id, item.attempt, item.capability, item.tenant) == (
        Stage.INPUT,
        "t1",
        "email",
        2,
        "email.send",
        "acme",
    )
    assert [(f.path, f.text) for f in item.texts] == [("body", "hi"), ("to.0", "ana@acme.com")]


def test_invalid_params_name_the_field_with_the_batch_prefix():
    with pytest.raises(InvalidArgument) as caught:
        check_input_from(check_request(params={"block_at": -1}), Thresholds, prefix="requests.4.")
    assert caught.value.field == "requests.4.params.block_at"


def test_outcome_becomes_a_response():
    outcome = CheckOutcome(Verdict.BLOCK, 0.97, ("API key",), (Span("body", 3, 10, "api_key"),))
    response = response_from(outcome, watcher="pii", version="1.2.0", latency_us=42)
    assert response.verdict == watcher_pb2.VERDICT_BLOCK
    assert response.score == pytest.approx(0.97)
    assert list(response.reasons) == ["API key"]
    assert [(s.field, s.start, s.end, s.label) for s in response.spans] == [("body", 3, 10, "api_key")]
    assert (response.watcher, response.watcher_version, response.latency_us) == ("pii", "1.2.0", 42)
    assert not response.HasField("model")
    pinned = response_from(
        outcome, watcher="pii", version="1.2.0", latency_us=1, model=ModelRef("pii", "1.2.0", "ab" * 32)
    )
    assert (pinned.model.name, pinned.model.version, pinned.model.sha256) == ("pii", "1.2.0", "ab" * 32)


def test_integer_params_survive_the_struct_round_trip():
    """A Struct carries every number as a double; integer params must still validate."""
    from lammesh_services.watchers.loop.watcher import LoopParams
    from lammesh_services.watchers.policy.watcher import PolicyParams

    loop = check_input_from(
        check_request(params={"max_repeats": 3, "max_attempts": 4, "token_budget": 1000}), LoopParams
    )
    assert (loop.params.max_repeats, loop.params.max_attempts, loop.params.token_budget) == (3, 4, 1000)
    policy = check_input_from(check_request(params={"max_recipients": 10}), PolicyParams)
    assert policy.params.max_recipients == 10
    with pytest.raises(InvalidArgument) as caught:
        check_input_from(check_request(params={"max_repeats": 2.5}), LoopParams)
    assert caught.value.field == "params.max_repeats"
