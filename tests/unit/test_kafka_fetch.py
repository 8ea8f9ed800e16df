"""The shared fetch: a failed getmany is retried, batches come through as fetched."""

from __future__ import annotations

import contextlib

from aiokafka.errors import KafkaConnectionError

from lammesh.kafka import fetch


class FlakyConsumer:
    """Answers getmany from a script: an exception is raised, anything else returned."""

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[int, int]] = []

    async def getmany(self, *, timeout_ms: int, max_records: int) -> object:
        self.calls.append((timeout_ms, max_records))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


async def test_a_failed_fetch_is_retried_and_the_batches_pass_through(monkeypatch):
    monkeypatch.setattr(fetch, "RETRY_AFTER_S", 0)
    consumer = FlakyConsumer(KafkaConnectionError("broker away"), {"tp": [1, 2]}, {}, {"tp": [3]})
    got = []
    iterator = fetch.batches(consumer, timeout_ms=100, max_records=7, reader="test-reader")  # type: ignore[arg-type]
    async with contextlib.aclosing(iterator):
        async for batch in iterator:
            got.append(batch)
            if len(got) == 3:
                break
    assert got == [{"tp": [1, 2]}, {}, {"tp": [3]}]
    assert consumer.calls == [(100, 7)] * 4  # the failed fetch, then three that answered
