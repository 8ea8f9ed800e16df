"""MicroBatcher: concurrent submissions share a batch, a lone one is not held for the window."""

from __future__ import annotations

import asyncio

import pytest

from lammesh.watchers import MicroBatcher

HOUR = 3600.0  # a window no test could sit out: passing proves nobody waited for it


class RecordingScorer:
    """Doubles each item; remembers the batches it was given."""

    def __init__(self, gate: asyncio.Event | None = None) -> None:
        self.batches: list[list[int]] = []
        self.gate = gate

    async def __call__(self, items: list[int]) -> list[int]:
        self.batches.append(list(items))
        if self.gate is not None:
            await self.gate.wait()
        return [item * 2 for item in items]


async def _bounded(awaitable, timeout: float = 30.0):
    return await asyncio.wait_for(awaitable, timeout)


async def test_concurrent_submissions_are_scored_as_one_batch_in_order():
    scorer = RecordingScorer()
    batcher = MicroBatcher(scorer, window_s=0.002, max_batch=32)
    results = await _bounded(asyncio.gather(*(batcher.submit(i) for i in range(10))))
    assert results == [i * 2 for i in range(10)]
    assert scorer.batches == [list(range(10))]


async def test_batches_never_exceed_max_batch():
    scorer = RecordingScorer()
    batcher = MicroBatcher(scorer, window_s=0.0, max_batch=4)
    results = await _bounded(batcher.submit_many(list(range(10))))
    assert results == [i * 2 for i in range(10)]
    assert [len(b) for b in scorer.batches] == [4, 4, 2]


async def test_a_lone_request_is_dispatched_without_waiting_for_the_window():
    scorer = RecordingScorer()
    batcher = MicroBatcher(scorer, window_s=HOUR, max_batch=32)
    assert await _bounded(batcher.submit(21)) == 42
    assert await _bounded(batcher.submit(4)) == 8  # one caller after another: still no wait
    assert scorer.batches == [[21], [4]]


async def test_requests_queue_behind_a_busy_batch_and_form_the_next_one():
    gate = asyncio.Event()
    scorer = RecordingScorer(gate)
    batcher = MicroBatcher(scorer, window_s=0.0, max_batch=32)
    first = asyncio.ensure_future(batcher.submit(0))
    while not scorer.batches:
        await asyncio.sleep(0)
    later = [asyncio.ensure_future(batcher.submit(i)) for i in range(1, 6)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert scorer.batches == [[0]]  # the others wait: one batch at a time
    gate.set()
    assert await _bounded(asyncio.gather(first, *later)) == [0, 2, 4, 6, 8, 10]
    assert scorer.batches == [[0], [1, 2, 3, 4, 5]]


async def test_under_concurrent_traffic_the_window_gathers_stragglers():
    scorer = RecordingScorer()
    batcher = MicroBatcher(scorer, window_s=HOUR, max_batch=3)
    assert await _bounded(batcher.submit_many([1, 2, 3])) == [2, 4, 6]  # traffic seen
    first = asyncio.ensure_future(batcher.submit(4))
    for _ in range(5):
        await asyncio.sleep(0)
    assert scorer.batches == [[1, 2, 3]]  # 4 is held: more are expected within the window
    rest = [asyncio.ensure_future(batcher.submit(i)) for i in (5, 6)]
    assert await _bounded(asyncio.gather(first, *rest)) == [8, 10, 12]
    assert scorer.batches == [[1, 2, 3], [4, 5, 6]]  # a full batch goes at once


async def test_a_bad_item_fails_alone_and_its_batch_mates_still_get_answers():
    calls: list[list[int]] = []

    async def allergic_to_13(items: list[int]) -> list[int]:
        calls.append(items)
        if 13 in items:
            raise RuntimeError("cannot score 13")
        return [item * 2 for item in items]

    batcher = MicroBatcher(allergic_to_13, window_s=0.0, max_batch=8)
    outcomes = await _bounded(
        asyncio.gather(batcher.submit(1), batcher.submit(13), batcher.submit(2), return_exceptions=True)
    )
    assert outcomes[0] == 2 and outcomes[2] == 4
    assert isinstance(outcomes[1], RuntimeError) and str(outcomes[1]) == "cannot score 13"
    assert calls == [[1, 13, 2], [1], [13], [2]]
    assert await _bounded(batcher.submit(3)) == 6  # and the batcher keeps working


async def test_wrong_number_of_results_is_an_error_not_a_silent_mismatch():
    async def short(items: list[int]) -> list[int]:
        return items[:-1]

    batcher = MicroBatcher(short, window_s=0.0, max_batch=8)
    with pytest.raises(RuntimeError, match=r"batch of 1 got 0 results"):  # after retrying alone
        await _bounded(batcher.submit_many([1, 2]))


async def test_a_cancelled_caller_is_left_out_of_the_batch():
    gate = asyncio.Event()
    scorer = RecordingScorer(gate)
    batcher = MicroBatcher(scorer, window_s=0.0, max_batch=8)
    busy = asyncio.ensure_future(batcher.submit(0))
    while not scorer.batches:
        await asyncio.sleep(0)
    gone = asyncio.ensure_future(batcher.submit(1))
    kept = asyncio.ensure_future(batcher.submit(2))
    await asyncio.sleep(0)
    gone.cancel()
    gate.set()
    assert await _bounded(asyncio.gather(busy, kept)) == [0, 4]
    assert scorer.batches == [[0], [2]]


def test_settings_are_checked():
    async def score(items):
        return items

    with pytest.raises(ValueError):
        MicroBatcher(score, window_s=-1, max_batch=1)
    with pytest.raises(ValueError):
        MicroBatcher(score, window_s=0, max_batch=0)
