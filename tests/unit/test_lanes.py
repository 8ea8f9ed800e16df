"""Ordered lanes: one key's work in order, different keys overlapping, a bound on work in flight;
and the finished prefix a consumer may commit when records finish out of order."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from lammesh.lanes import FinishedPrefix, LaneFailure, OrderedLanes


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


def test_only_the_finished_prefix_of_a_partition_is_committable():
    prefix = FinishedPrefix()
    for offset in (5, 6, 7, 8):
        prefix.started("p0", offset)
    prefix.started("p1", 0)
    prefix.finished("p0", 6)  # a later record finished first: 5 is still running
    prefix.finished("p0", 8)
    assert prefix.advanced() == {}
    prefix.finished("p0", 5)
    assert prefix.advanced() == {"p0": 7}  # 5 and 6 done; 7 still running, 8 waits behind it
    assert prefix.in_flight("p0") == 2
    prefix.finished("p1", 0)
    prefix.finished("p0", 7)
    assert prefix.advanced() == {"p0": 9, "p1": 1}
    assert prefix.advanced() == {"p0": 9, "p1": 1}  # offered again until committed
    prefix.committed({"p0": 9})
    assert prefix.advanced() == {"p1": 1}
    prefix.committed({"p1": 1})
    assert prefix.advanced() == {}
    assert prefix.in_flight("p0") == 0


def test_finished_prefix_refuses_what_a_consumer_cannot_do():
    prefix = FinishedPrefix()
    prefix.started("p", 3)
    with pytest.raises(ValueError, match="must increase"):
        prefix.started("p", 3)
    with pytest.raises(ValueError, match="not in flight"):
        prefix.finished("p", 4)
    prefix.finished("p", 3)
    with pytest.raises(ValueError, match="not in flight"):
        prefix.finished("p", 3)
    with pytest.raises(ValueError, match="below its finished prefix"):
        prefix.started("p", 2)


def test_a_forgotten_partition_starts_afresh():
    prefix = FinishedPrefix()
    prefix.started("p", 10)
    prefix.finished("p", 10)
    prefix.forget(["p"])
    prefix.committed({"p": 11})  # a commit that ended after the partition went: nothing to record
    assert prefix.advanced() == {}
    prefix.started("p", 4)  # re-read from an older commit after a rebalance gave it back
    prefix.finished("p", 4)
    assert prefix.advanced() == {"p": 5}
