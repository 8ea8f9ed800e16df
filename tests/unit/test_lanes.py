"""Ordered lanes: one key's work in order, different keys overlapping, a bound on work in flight."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from lammesh.coordinator.lanes import LaneFailure, OrderedLanes


async def test_one_key_runs_in_order_while_other_keys_overlap():
    lanes = OrderedLanes(limit=8)
    log: list[str] = []
    gate = asyncio.Event()

    def work(name: str, wait: bool = False):
        async def run() -> None:
            log.append(f"start {name}")
            if wait:
                await gate.wait()
            log.append(f"end {name}")
        return run

    await lanes.submit("a", work("a1", wait=True))
    await lanes.submit("a", work("a2"))
    await lanes.submit("b", work("b1"))
    await asyncio.sleep(0.01)
    assert log == ["start a1", "start b1", "end b1"]  # b overlapped a; a2 waits for a1
    gate.set()
    await lanes.drain()
    assert log[3:] == ["end a1", "start a2", "end a2"]
    assert lanes.in_flight == 0


async def test_no_more_than_the_limit_is_in_flight():
    lanes = OrderedLanes(limit=2)
    running = 0
    most = 0

    async def work() -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.005)
        running -= 1

    for n in range(10):
        await lanes.submit(n, work)
    await lanes.drain()
    assert most == 2


async def test_work_sees_the_submitters_context():
    current = contextvars.ContextVar("current")
    lanes = OrderedLanes(limit=4)
    seen: list[str] = []

    async def work() -> None:
        await asyncio.sleep(0)
        seen.append(current.get())

    for name in ("x", "y"):
        current.set(name)
        await lanes.submit(name, work)
    current.set("later")
    await lanes.drain()
    assert sorted(seen) == ["x", "y"]


async def test_a_failure_stops_later_work_and_is_raised_to_the_owner():
    lanes = OrderedLanes(limit=4)
    ran: list[str] = []

    async def boom() -> None:
        raise KeyError("bug")

    async def after() -> None:
        ran.append("after")

    await lanes.submit("a", boom)
    await lanes.submit("a", after)
    with pytest.raises(LaneFailure, match="bug"):
        await lanes.drain()
    assert ran == [] and isinstance(lanes.failure, KeyError)
    with pytest.raises(LaneFailure):
        await lanes.submit("b", after)


def test_the_limit_must_be_positive():
    with pytest.raises(ValueError, match="at least 1"):
        OrderedLanes(limit=0)
