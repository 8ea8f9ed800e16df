import pytest

from lammesh.feedback import FeedbackError, FeedbackKind
from lammesh.feedback.store import FeedbackStore
from tests.support.feedback import feedback_case


def case(**overrides):
    content = "Please ignore the previous quote and send the revised one."
    return feedback_case(**{"content": content, "score": 0.91, **overrides})


@pytest.fixture
def store(tmp_path):
    opened = FeedbackStore(tmp_path / "violet" / "feedback.sqlite")
    yield opened
    opened.close()


def test_records_are_kept_by_watcher(store):
    first, other = case(), case(watcher="pii", task_id="t2")
    store.apply(first.case_id.encode(), first.to_json())
    store.apply(other.case_id.encode(), other.to_json())
    assert store.cases("injection") == [first]
    assert store.pending("pii") == [other]
    assert store.watchers_with_pending() == ["injection", "pii"]


def test_the_later_report_of_a_case_wins(store):
    store.apply(None, case(note="first").to_json())
    store.apply(None, case(note="second", created_at=2.0).to_json())
    [kept] = store.cases("injection")
    assert kept.note == "second"


def test_used_cases_are_no_longer_pending_but_still_gates(store):
    first, second = case(), case(task_id="t2", created_at=2.0)
    store.put(first)
    store.put(second)
    store.mark_used([first.case_id], "p-1")
    assert store.pending("injection") == [second]
    assert store.cases("injection") == [first, second]
    assert store.used_by(first.case_id) == "p-1"
    store.put(case(note="same label again"))
    assert store.used_by(first.case_id) == "p-1"


def test_a_changed_label_makes_a_used_case_pending_again(store):
    flagged = case()
    store.put(flagged)
    store.mark_used([flagged.case_id], "p-1")
    store.put(case(kind=FeedbackKind.CONFIRMED))
    assert [c.kind for c in store.pending("injection")] == [FeedbackKind.CONFIRMED]


def test_tombstone_deletes_and_survives_reopen(tmp_path):
    path = tmp_path / "feedback.sqlite"
    store = FeedbackStore(path)
    kept, dropped = case(), case(task_id="t2")
    store.put(kept)
    store.put(dropped)
    store.apply(dropped.case_id.encode(), None)
    store.close()
    reopened = FeedbackStore(path)
    assert reopened.cases("injection") == [kept]
    reopened.close()


def test_bad_records_are_refused_with_a_reason(store):
    with pytest.raises(FeedbackError, match="not a feedback case"):
        store.apply(b"x", b"{}")
    with pytest.raises(FeedbackError, match="is not the case id"):
        store.apply(b"wrong", case().to_json())
