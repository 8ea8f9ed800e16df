"""Workflows as data: a registry that follows its folder (no broker; files in a temporary folder)."""

from __future__ import annotations

from lammesh.workflow import WorkflowRegistry

ONE = "name: greet\nsteps:\n  - {id: hello, uses: noop}\n"
TWO = "name: greet\nsteps:\n  - {id: hello, uses: noop}\n  - {id: bye, uses: noop, after: [hello]}\n"
OTHER = "name: other\nsteps:\n  - {id: a, uses: noop}\n"
BAD_FIELD = "name: greet\nsteps:\n  - {id: hello, uses: noop, timeout_ms: -5}\n"


def test_a_bad_file_is_refused_with_path_and_field_and_the_rest_loads(tmp_path):
    (tmp_path / "greet.yaml").write_text(BAD_FIELD)
    (tmp_path / "other.yaml").write_text(OTHER)
    registry, changes = WorkflowRegistry.follow(tmp_path)
    assert list(registry.by_name) == ["other"] and changes.added == ("other",)
    [refused] = changes.refused
    assert refused.source == str(tmp_path / "greet.yaml") and refused.path == "steps[0].timeout_ms"
    assert registry.refused.keys() == {tmp_path / "greet.yaml"}


def test_a_changed_file_replaces_the_workflow_and_the_old_version_stays_for_running_tasks(tmp_path):
    (tmp_path / "greet.yaml").write_text(ONE)
    registry, _ = WorkflowRegistry.follow(tmp_path)
    first = registry.by_name["greet"].digest
    assert not registry.reload()  # nothing changed: nothing reported
    (tmp_path / "greet.yaml").write_text(TWO)
    changes = registry.reload()
    assert changes.changed == ("greet",) and not changes.refused
    second = registry.by_name["greet"].digest
    assert second != first
    assert [s.id for s in registry.by_digest[first].steps] == ["hello"]  # a task started on v1 goes on with v1
    assert [s.id for s in registry.by_digest[second].steps] == ["hello", "bye"]


def test_a_broken_edit_keeps_the_last_good_version_until_the_file_is_fixed(tmp_path):
    (tmp_path / "greet.yaml").write_text(ONE)
    registry, _ = WorkflowRegistry.follow(tmp_path)
    good = registry.by_name["greet"].digest
    (tmp_path / "greet.yaml").write_text("name: greet\nsteps: [\n")
    changes = registry.reload()
    assert changes.refused[0].path.startswith("line ") and "not valid YAML" in str(changes.refused[0])
    assert registry.by_name["greet"].digest == good
    assert not registry.reload().refused  # refused once per content, not at every read
    assert registry.refused  # but still known as refused
    (tmp_path / "greet.yaml").write_text(TWO)
    assert registry.reload().changed == ("greet",) and not registry.refused


def test_added_removed_and_duplicated_workflows(tmp_path):
    (tmp_path / "greet.yaml").write_text(ONE)
    registry, _ = WorkflowRegistry.follow(tmp_path)
    (tmp_path / "other.yaml").write_text(OTHER)
    (tmp_path / "zzz-copy.yaml").write_text(ONE)
    changes = registry.reload()
    assert changes.added == ("other",)
    [duplicate] = changes.refused
    assert duplicate.path == "name" and "already defined in" in duplicate.problem
    digest = registry.by_name["other"].digest
    (tmp_path / "other.yaml").unlink()
    assert registry.reload().removed == ("other",)
    assert "other" not in registry.by_name and digest in registry.by_digest  # no new tasks; running ones go on
    (tmp_path / "greet.yaml").unlink()
    changes = registry.reload()  # the copy's workflow is no longer defined elsewhere: it loads
    assert changes.removed == ("greet",) and changes.added == ("greet",) and not registry.refused
