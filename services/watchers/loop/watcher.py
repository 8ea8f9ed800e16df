"""The `loop` watcher: stops runaway behaviour.

- Repetition: the content repeats earlier outputs (sources[`history_field`], a list, oldest
  first, e.g. this step's earlier attempts or the task's earlier outputs) more than
  `max_repeats` times (near-duplicates count: similarity >= `similarity`).
- Retry storm: CheckRequest.attempt above `max_attempts`.
- Fan-out: items in the content lists named by `fanout_fields` (e.g. tool calls, recipients)
  plus the calls already made (sources[`fanout_spent_field`]) above `max_fanout`.
- Tokens: the content's approximate tokens above `max_output_tokens`, or together with the
  tokens already spent (sources[`tokens_spent_field`]) above `token_budget`.
Each rule's verdict is configurable (default BLOCK: a runaway step should stop).
"""

from __future__ import annotations

from pydantic import Field

from lammesh.watchers import (
    CheckInput,
    CheckOutcome,
    Finding,
    RuleWatcher,
    Span,
    Verdict,
    VerdictName,
    WatcherParams,
    value_at,
)
from lammesh_services.watchers.loop.measures import approx_tokens, list_length_at, number_at, similarity, words

LIMIT_SCORE = 1.0  # a limit is either exceeded or not


class LoopParams(WatcherParams):
    history_field: str = Field("history", min_length=1, description="Path in sources of the earlier outputs.")
    similarity: float = Field(0.8, gt=0.0, le=1.0, description="From which similarity an output repeats another.")
    max_repeats: int = Field(2, ge=0, description="Earlier outputs the content may repeat.")
    on_repeat: VerdictName = "block"
    max_attempts: int | None = Field(5, ge=1, description="Highest attempt number allowed.")
    on_retry_storm: VerdictName = "block"
    fanout_fields: list[str] = Field(default_factory=list, description="Content lists whose items count as fan-out.")
    fanout_spent_field: str = Field("fanout", min_length=1, description="Path in sources of calls already made.")
    max_fanout: int | None = Field(None, ge=0)
    on_fanout: VerdictName = "block"
    max_output_tokens: int | None = Field(None, ge=1, description="Approximate tokens the content may have.")
    token_budget: int | None = Field(None, ge=1, description="Approximate tokens spent so far plus the content's.")
    tokens_spent_field: str = Field("tokens_used", min_length=1, description="Path in sources of tokens spent.")
    on_budget: VerdictName = "block"


def _whole_fields(item: CheckInput, label: str) -> tuple[Span, ...]:
    return tuple(Span(field.path, 0, len(field.text), label) for field in item.texts)


class LoopWatcher(RuleWatcher[LoopParams]):
    name = "loop"
    version = "1.0.0"
    params_model = LoopParams

    def check(self, item: CheckInput[LoopParams]) -> CheckOutcome:
        findings = [
            *self._repetition(item),
            *self._retry_storm(item),
            *self._fanout(item),
            *self._tokens(item),
        ]
        return CheckOutcome.from_findings(findings)

    def _repetition(self, item: CheckInput[LoopParams]) -> list[Finding]:
        params = item.params
        try:
            history = value_at(item.sources, params.history_field)
        except KeyError:
            return []
        earlier = history if isinstance(history, list) else [history]
        current = words(item.content)
        if not current:
            return []
        scores = [s for s in (similarity(current, words(output)) for output in earlier) if s >= params.similarity]
        if len(scores) <= params.max_repeats:
            return []
        reason = (
            f"output repeats {len(scores)} earlier outputs (similarity up to {max(scores):.2f}), "
            f"more than the {params.max_repeats} allowed"
        )
        return [
            Finding(
                "repetition", reason, max(scores), Verdict.parse(params.on_repeat), _whole_fields(item, "repetition")
            )
        ]

    def _retry_storm(self, item: CheckInput[LoopParams]) -> list[Finding]:
        limit = item.params.max_attempts
        if limit is None or item.attempt <= limit:
            return []
        reason = f"attempt {item.attempt} is beyond the {limit} allowed (retry storm)"
        return [Finding("retry_storm", reason, LIMIT_SCORE, Verdict.parse(item.params.on_retry_storm))]

    def _fanout(self, item: CheckInput[LoopParams]) -> list[Finding]:
        params = item.params
        if params.max_fanout is None:
            return []
        spent = number_at(item.sources, params.fanout_spent_field)
        fanned = sum(list_length_at(item.content, path) for path in params.fanout_fields)
        total = spent + fanned
        if total <= params.max_fanout:
            return []
        reason = f"fan-out {total:g} ({fanned} now, {spent:g} before) exceeds the {params.max_fanout} allowed"
        spans = tuple(Span(path, 0, 0, "fanout") for path in params.fanout_fields if list_length_at(item.content, path))
        return [Finding("fanout", reason, LIMIT_SCORE, Verdict.parse(params.on_fanout), spans)]

    def _tokens(self, item: CheckInput[LoopParams]) -> list[Finding]:
        params = item.params
        if params.max_output_tokens is None and params.token_budget is None:
            return []
        tokens = approx_tokens(item.content)
        verdict = Verdict.parse(params.on_budget)
        findings = []
        if params.max_output_tokens is not None and tokens > params.max_output_tokens:
            reason = f"output is about {tokens} tokens, more than the {params.max_output_tokens} allowed"
            findings.append(Finding("output_tokens", reason, LIMIT_SCORE, verdict, _whole_fields(item, "tokens")))
        if params.token_budget is not None:
            spent = number_at(item.sources, params.tokens_spent_field)
            if spent + tokens > params.token_budget:
                reason = f"token budget {params.token_budget} exceeded: about {spent + tokens:g} ({spent:g} spent + {tokens} now)"
                findings.append(Finding("token_budget", reason, LIMIT_SCORE, verdict))
        return findings
