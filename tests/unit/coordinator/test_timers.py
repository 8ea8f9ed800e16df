"""The coordinator's timer index: which ticks go out when (pure, the test's clock)."""

from lammesh.coordinator.timers import FORGET_AGAIN_AFTER_S, REFIRE_AFTER_S, TimerIndex


def test_a_step_timer_fires_once_when_due_and_again_if_the_task_has_not_moved():
    timers = TimerIndex()
    timers.track("a", due=10.0, forget_at=None)
    assert timers.due_ticks(9.9) == []
    assert timers.due_ticks(10.0) == [("a", 10.0)]
    assert timers.due_ticks(10.5) == []  # sent; the task may be on its way
    assert timers.due_ticks(10.0 + REFIRE_AFTER_S + 0.01) == [("a", 10.0)]  # a dropped tick is re-sent


def test_a_new_due_time_fires_at_once_and_a_finished_task_has_no_timer():
    timers = TimerIndex()
    timers.track("a", due=10.0, forget_at=None)
    assert timers.due_ticks(10.0) == [("a", 10.0)]
    timers.track("a", due=10.2, forget_at=None)  # the task moved: a retry backoff
    assert timers.due_ticks(10.3) == [("a", 10.2)]
    timers.track("a", due=None, forget_at=500.0)
    assert timers.due_ticks(20.0) == [] and len(timers) == 0


def test_overdue_deadlines_wait_out_the_takeover_grace_but_later_ones_do_not():
    timers = TimerIndex()
    timers.track("overdue", due=5.0, forget_at=None)
    timers.track("later", due=12.0, forget_at=None)
    timers.taken_over(now=10.0, grace_s=3.0)
    assert timers.due_ticks(10.0) == []
    assert timers.due_ticks(12.5) == []  # 'later' fell due inside the grace: it waits too
    assert timers.due_ticks(13.0) == [("overdue", 5.0), ("later", 12.0)]


def test_a_finished_task_is_forgotten_at_its_time_and_asked_again_until_it_is():
    timers = TimerIndex()
    timers.track("done", due=None, forget_at=100.0)
    timers.track("kept", due=None, forget_at=200.0)
    assert timers.forgets_due(99.0) == []
    assert timers.forgets_due(100.0) == [("done", 100.0)]
    assert timers.forgets_due(100.0 + FORGET_AGAIN_AFTER_S) == [("done", 100.0 + FORGET_AGAIN_AFTER_S)]
    timers.forgotten("done")
    assert timers.forgets_due(1_000.0) == [("kept", 200.0)]


def test_a_rescheduled_forget_replaces_the_old_one_and_clear_empties_the_index():
    timers = TimerIndex()
    timers.track("a", due=None, forget_at=100.0)
    timers.track("a", due=None, forget_at=150.0)  # a repeat request kept it longer
    assert timers.forgets_due(120.0) == []
    assert timers.forgets_due(150.0) == [("a", 150.0)]
    timers.track("b", due=1.0, forget_at=None)
    timers.clear()
    assert timers.due_ticks(1_000.0) == [] and timers.forgets_due(1_000.0) == []
