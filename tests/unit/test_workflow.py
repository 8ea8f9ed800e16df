"""Workflow loading: valid files load; every kind of bad file is rejected with the offending path."""

from pathlib import Path

import pytest

from lammesh.workflow import MissingReference, WorkflowError, load_workflow, load_workflows, parse_workflow, resolve

CAPS = {"noop", "crm", "email"}


def wf(*steps, **top):
    return {"name": "w", "steps": list(steps), **top}


def test_a_valid_workflow_loads_with_its_graph():
    workflow = parse_workflow(
        wf(
            {"id": "a", "uses": "noop", "input": {"x": "${input.x}"}},
            {"id": "b", "uses": "crm", "input": {"y": "${steps.a.output.y}"}, "compensate": {}},
            {"id": "c", "uses": "noop", "after": ["a"]},
            {"id": "d", "uses": "email", "after": ["b", "c"], "pivot": True},
            {"id": "e", "uses": "noop", "after": ["d"]},
        ),
        capabilities=CAPS,
    )
    assert workflow.dependencies("b") == {"a"}
    assert workflow.ancestors("d") == {"a", "b", "c"}
    assert workflow.after_pivot("e") and not workflow.after_pivot("d")
    assert len(workflow.digest) == 16


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        ({"steps": [{"id": "a", "uses": "noop"}]}, "name", "Field required"),
        (wf(), "steps", "at least 1"),
        (wf({"id": "a", "uses": "fax"}), "steps[0].uses", "unknown capability 'fax'"),
        (
            wf({"id": "a", "uses": "noop", "compensate": {"uses": "fax"}}),
            "steps[0].compensate.uses",
            "unknown capability",
        ),
        (wf({"id": "a", "uses": "noop"}, {"id": "a", "uses": "noop"}), "steps", "duplicate step id 'a'"),
        (wf({"id": "a", "uses": "noop", "after": ["zz"]}), "steps[0].after[0]", "no step 'zz'"),
        (
            wf({"id": "a", "uses": "noop", "after": ["b"]}, {"id": "b", "uses": "noop", "after": ["a"]}),
            "steps[1]",
            "dependency cycle",
        ),
        (
            wf({"id": "a", "uses": "noop", "input": {"q": {"deep": ["${steps.nope.output.x}"]}}}),
            "steps[0].input.q.deep[0]",
            "missing step 'nope'",
        ),
        (wf({"id": "a", "uses": "noop", "input": {"q": "${steps.a.output}"}}), "steps[0].input.q", "own output"),
        (
            wf({"id": "a", "uses": "noop", "input": {"q": "${stepz.a.output}"}}),
            "steps[0].input.q",
            "unknown reference root",
        ),
        (wf({"id": "a", "uses": "noop", "input": {"q": "${steps.a}"}}), "steps[0].input.q", "bad reference"),
        (
            wf(
                {"id": "a", "uses": "noop", "pivot": True}, {"id": "b", "uses": "crm", "after": ["a"], "compensate": {}}
            ),
            "steps[1].compensate",
            "after pivot 'a'",
        ),
        (
            wf({"id": "a", "uses": "noop", "retry": {"max_attempts": 0}}),
            "steps[0].retry.max_attempts",
            "greater than or equal to 1",
        ),
        (wf({"id": "a", "uses": "noop", "timeout_s": -1}), "steps[0].timeout_s", "greater than 0"),
        (wf({"id": "a", "uses": "noop", "retries": 3}), "steps[0].retries", "Extra inputs are not permitted"),
        (wf({"id": "A b", "uses": "noop"}), "steps[0].id", "should match pattern"),
        (
            wf({"id": "a", "uses": "noop", "watchers": {"input": [{"name": "pii", "parms": {}}]}}),
            "steps[0].watchers.input[0].parms",
            "Extra inputs",
        ),
        (wf({"id": "a", "uses": "noop"}, on_watcher_error="maybe"), "on_watcher_error", "'block' or 'allow'"),
        ("just text", "<root>", "a workflow is a mapping"),
    ],
)
def test_bad_workflows_name_the_offending_field(data, path, message):
    with pytest.raises(WorkflowError) as info:
        parse_workflow(data, capabilities=CAPS, source="bad.yaml")
    assert info.value.path == path
    assert message in info.value.problem
    assert str(info.value).startswith(f"bad.yaml: {path}: ")


def test_files_are_loaded_with_their_path_in_errors(tmp_path: Path):
    (tmp_path / "ok.yaml").write_text("name: ok\nsteps:\n  - id: a\n    uses: noop\n")
    (tmp_path / "broken.yaml").write_text("name: [unclosed\n")
    with pytest.raises(WorkflowError, match=r"broken.yaml: line \d+: not valid YAML"):
        load_workflows(tmp_path)
    (tmp_path / "broken.yaml").unlink()
    assert set(load_workflows(tmp_path, capabilities=CAPS)) == {"ok"}
    with pytest.raises(WorkflowError, match="cannot read"):
        load_workflow(tmp_path / "missing.yaml")


def test_the_shipped_workflows_load():
    root = Path(__file__).resolve().parents[2] / "workflows"
    workflows = load_workflows(root)
    assert "noop_saga" in workflows


def test_resolve_keeps_types_and_formats_strings():
    outputs = {"a": {"items": [1, 2], "name": "Acme"}}
    value = {
        "all": "${steps.a.output.items}",
        "first": "${steps.a.output.items.0}",
        "text": "Hi ${steps.a.output.name} (${task.id})",
        "x": "${input.deep.x}",
        "n": 5,
    }
    resolved = resolve(value, task_input={"deep": {"x": True}}, outputs=outputs, task={"id": "t1", "tenant": "acme"})
    assert resolved == {"all": [1, 2], "first": 1, "text": "Hi Acme (t1)", "x": True, "n": 5}
    with pytest.raises(MissingReference, match=r"\$\{input.nope\} not found"):
        resolve("${input.nope}", task_input={}, outputs={}, task={})


def test_retry_backoff_grows_and_is_capped():
    workflow = parse_workflow(
        wf({"id": "a", "uses": "noop", "retry": {"backoff_s": 1, "multiplier": 3, "max_backoff_s": 5}})
    )
    retry = workflow.step("a").retry
    assert [retry.delay_after(n) for n in (1, 2, 3)] == [1, 3, 5]


def test_digest_ignores_cached_views():
    workflow = parse_workflow(wf({"id": "a", "uses": "noop"}, {"id": "b", "uses": "noop", "after": ["a"]}))
    before = workflow.digest
    workflow.ancestors("b")
    assert workflow.model_dump()["steps"][1]["after"] == ["a"]
    assert parse_workflow(workflow.model_dump(mode="json")).digest == before


def test_references_may_have_json_defaults():
    assert resolve({"f": "${input.faults ?? {}}", "n": "${input.n ?? 3}"}, task_input={}, outputs={}, task={}) == {
        "f": {},
        "n": 3,
    }
    assert resolve("${input.n ?? 3}", task_input={"n": 7}, outputs={}, task={}) == 7
    with pytest.raises(WorkflowError, match="is not JSON"):
        parse_workflow(wf({"id": "a", "uses": "noop", "input": {"x": "${input.x ?? nope}"}}))
