"""Pacing of saga starts in one coordinator (lammesh.coordinator.pacing): pure, no broker."""

from __future__ import annotations

import pytest

from lammesh.coordinator.pacing import StartPacer


def test_starts_beyond_the_limit_are_held_with_their_later_records_and_released_in_order() -> None:
    pacer: StartPacer[str] = StartPacer(max_active=2)
    assert pacer.offer("t1", "t1:request", starts_saga=True)
    assert pacer.offer("t2", "t2:request", starts_saga=True)
    pacer.running("t1"), pacer.start_finished()
    pacer.running("t2"), pacer.start_finished()
    assert not pacer.offer("t3", "t3:request", starts_saga=True)
    assert not pacer.offer("t4", "t4:request", starts_saga=True)
    assert not pacer.offer("t3", "t3:cancel", starts_saga=False)  # behind its own request
    assert pacer.offer("t1", "t1:result", starts_saga=False)  # a running task is never held
    assert pacer.held == 2 and pacer.release() == []
    pacer.ended("t1")
    assert pacer.release() == ["t3:request", "t3:cancel"]
    assert pacer.held == 1 and pacer.release() == []  # t3's start is not finished yet: no room
    pacer.start_finished()  # t3 was rejected at once (ended without running)
    assert pacer.release() == ["t4:request"]


def test_a_start_counts_before_its_saga_is_stored() -> None:
    pacer: StartPacer[str] = StartPacer(max_active=1)
    assert pacer.offer("t1", "a", starts_saga=True)
    assert not pacer.offer("t2", "b", starts_saga=True)  # t1 still being processed


def test_reset_drops_what_was_held_and_who_ran() -> None:
    pacer: StartPacer[str] = StartPacer(max_active=1)
    pacer.offer("t1", "a", starts_saga=True)
    pacer.running("t1"), pacer.start_finished()
    pacer.offer("t2", "b", starts_saga=True)
    assert pacer.reset() == ["b"]
    assert pacer.held == 0 and pacer.active == 0 and "t1" not in pacer
    assert pacer.offer("t3", "c", starts_saga=True)


def test_the_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        StartPacer(max_active=0)
