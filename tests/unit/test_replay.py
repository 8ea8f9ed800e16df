"""Task replay without a model: rule watchers keep their recorded verdict, unknown versions say so."""

from __future__ import annotations

from lammesh.modelregistry.domain import Registry
from lammesh.replay import RULE_WATCHER, replay
from lammesh.settings import Settings
from tests.unit.test_feedback_cases import EVENTS, INJECTION, WORKFLOW, checked, outcome, task


async def test_rule_watchers_show_the_recorded_verdict_and_an_unknown_version_is_named(tmp_path):
    snapshot, _ = task()
    events = [*EVENTS, checked(4, "send", "INPUT", outcome("injection", "REVIEW", 0.9, INJECTION))]
    settings = Settings(models_registry_dir=tmp_path / "registry")
    rows = await replay(settings, snapshot, events, WORKFLOW, Registry(), ["7"])
    by = {(r.check.step, r.check.watcher): r for r in rows}
    assert by["send", "pii"].replayed["7"].note == RULE_WATCHER
    assert by["send", "pii"].check.verdict == "ALLOW"
    assert "no model named 'injection'" in by["send", "injection"].replayed["7"].note
    assert by["send", "injection"].check.score == 0.9
