"""Bad input, the pure parts: watcher names and input schemas checked at load, task inputs checked
against a schema, what starting a task would write measured against the size limits, and the saga's
answer to a step result whose outcome is too large to keep."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from lammesh.catalogue import catalogue_watchers, known_watchers
from lammesh.limits import start_problem
from lammesh.saga import Dispatch, Emit, Saga, StepState, TaskStatus
from lammesh.settings import Settings
from lammesh.workflow import WorkflowError, load_workflow, parse_workflow

ROOT = Path(__file__).resolve().parents[2]
CAPS = {"noop"}
WATCHED = {
    "name": "w",
    "steps": [{"id": "a", "uses": "noop", "watchers": {"input": ["pii"], "output": ["pii", "telepathy"]}}],
}


def test_an_unknown_watcher_is_a_load_error_naming_the_field():
    with pytest.raises(WorkflowError) as info:
        parse_workflow(WATCHED, capabilities=CAPS, watchers={"pii", "policy"}, source="w.yaml")
    assert info.value.path == "steps[0].watchers.output[1]"
    assert "unknown watcher 'telepathy'; known: pii, policy" in str(info.value)
    assert (
        parse_workflow(WATCHED, capabilities=CAPS, watchers={"pii", "telepathy"}).steps[0].watchers.output[1].name
        == "telepathy"
    )


def test_known_watchers_are_the_catalogues_and_the_configured_endpoints():
    assert {"injection", "pii", "policy", "grounding", "loop"} <= catalogue_watchers()
    assert "notes" not in catalogue_watchers()  # an agent, not a watcher
    settings = Settings(watcher_endpoints={"telepathy": "127.0.0.1:7001"})
    assert "telepathy" in known_watchers(settings) and "telepathy" not in known_watchers(Settings())


SCHEMA = {
    "type": "object",
    "required": ["transcript", "date"],
    "properties": {
        "transcript": {"type": "string", "minLength": 1},
        "date": {"type": "string", "format": "date"},
        "participants": {"type": "array", "items": {"type": "object", "required": ["name"]}},
        "stage": {"enum": ["discovery", "proposal"]},
    },
}


def schema_flow(schema):
    return parse_workflow({"name": "w", "input_schema": schema, "steps": [{"id": "a", "uses": "noop"}]})


@pytest.mark.parametrize(
    ("task_input", "field", "message"),
    [
        ({"date": "2026-11-18"}, "input.transcript", "is required"),
        ({"transcript": "x" * 10_000, "date": 20261118}, "input.date", "must be a string"),
        ({"transcript": "x", "date": "18/11/2026"}, "input.date", "must be a date (YYYY-MM-DD)"),
        ({"transcript": "", "date": "2026-11-18"}, "input.transcript", "must have at least 1 characters"),
        (
            {"transcript": "x", "date": "2026-11-18", "participants": [{"name": "A"}, {"email": "b@x.example"}]},
            "input.participants[1].name",
            "is required",
        ),
        (
            {"transcript": "x", "date": "2026-11-18", "stage": "won"},
            "input.stage",
            "must be one of 'discovery', 'proposal'",
        ),
    ],
)
def test_an_input_that_breaks_the_schema_names_the_field(task_input, field, message):
    assert schema_flow(SCHEMA).input_problem(task_input) == (field, message)


def test_a_message_never_repeats_a_large_value():
    field, message = schema_flow(SCHEMA).input_problem({"transcript": ["y" * 100_000], "date": "2026-11-18"})
    assert field == "input.transcript" and len(message) < 100


def test_a_good_input_and_a_workflow_without_schema_pass():
    assert schema_flow(SCHEMA).input_problem({"transcript": "x", "date": "2026-11-18", "extra": 1}) is None
    assert parse_workflow({"name": "w", "steps": [{"id": "a", "uses": "noop"}]}).input_problem({"anything": 1}) is None


@pytest.mark.parametrize(
    ("schema", "path", "problem"),
    [
        ({"type": "array"}, "input_schema.type", "must be object"),
        ({"type": "object", "properties": {"a": {"type": "text"}}}, "input_schema.properties.a.type", "is not valid"),
        ({"type": "object", "required": "a"}, "input_schema.required", "is not of type 'array'"),
        (
            {"type": "object", "properties": {"a": {"$ref": "https://example.com/s.json"}}},
            "input_schema.properties.a.$ref",
            "only references inside the schema",
        ),
    ],
)
def test_a_bad_schema_is_a_load_error_naming_its_keyword(schema, path, problem):
    with pytest.raises(WorkflowError) as info:
        schema_flow(schema)
    assert info.value.path == path and problem in info.value.problem


def test_a_schema_changes_the_digest_but_no_schema_keeps_the_old_one():
    plain = parse_workflow({"name": "w", "steps": [{"id": "a", "uses": "noop"}]})
    # computed as before input_schema existed, so tasks in flight keep their workflow across the upgrade
    before = {k: v for k, v in plain.model_dump(mode="json").items() if k != "input_schema"}
    canonical = json.dumps(before, sort_keys=True, separators=(",", ":"))
    assert plain.digest == hashlib.sha256(canonical.encode()).hexdigest()[:16]
    assert schema_flow(SCHEMA).digest != plain.digest


def test_the_meeting_workflow_schema_takes_the_samples_and_names_what_is_missing():
    workflow = load_workflow(ROOT / "workflows" / "meeting_followup.yaml")
    samples = sorted((ROOT / "examples" / "meetings").glob("0*.json"))
    assert samples
    for sample in samples:
        assert workflow.input_problem(json.loads(sample.read_text())) is None, sample
    meeting = json.loads(samples[0].read_text())
    del meeting["account_domain"]
    assert workflow.input_problem(meeting) == ("input.account_domain", "is required")
    meeting.update(account_domain="acme.example", participants=[{"email": "ana@acme.example"}])
    assert workflow.input_problem(meeting) == ("input.participants[0].name", "is required")


NOOP = parse_workflow(
    {
        "name": "w",
        "steps": [
            {"id": "a", "uses": "noop", "input": {"p": "${input.p}"}, "compensate": {}},
            {"id": "b", "uses": "noop", "input": {"p": "${steps.a.output.p}"}},
        ],
    }
)
CHECKED = parse_workflow(
    {
        "name": "c",
        "steps": [
            {"id": "a", "uses": "noop", "input": {"p": "${input.p}"}, "watchers": {"input": ["pii"]}},
        ],
    }
)


def problem(workflow, size, **limits):
    settings = Settings(**limits)
    return start_problem(
        settings, workflow, task_id="t" * 32, tenant="acme", client_key="", task_input={"p": "z" * size}
    )


def test_the_start_of_a_task_is_measured_against_each_limit():
    limit = 64 * 1024
    assert problem(NOOP, limit // 4, kafka_max_record_bytes=limit) is None
    # The saga row holds the input and step a's copy of it: over the limit at about half of it.
    over = problem(NOOP, limit // 2 + 100, kafka_max_record_bytes=limit)
    assert over is not None and over.startswith(
        "the task's saga state: a lammesh-coordinator-sagas-changelog record of "
    )
    assert over.endswith(f"over the {limit}-byte limit (kafka_max_record_bytes)")
    # The watcher's check carries the input three times (content, task input, step input).
    grpc = problem(CHECKED, 40_000, kafka_max_record_bytes=2 * 1024 * 1024 - 100_000, grpc_max_message_bytes=100_000)
    assert grpc is not None and "the pii watcher's check of step a would be a gRPC message of" in grpc
    assert grpc.endswith("over the 100000-byte limit (grpc_max_message_bytes)")
    assert (
        problem(CHECKED, 20_000, kafka_max_record_bytes=2 * 1024 * 1024 - 100_000, grpc_max_message_bytes=100_000)
        is None
    )


def test_a_result_too_large_to_keep_fails_the_step_and_compensates_it_as_one_that_ran():
    saga, _ = Saga.create("t1", NOOP, task_input={"p": "x"}, now=100.0)
    effects = saga.on_result_too_large(
        NOOP, step_id="a", attempt=1, reason="a record of 9 bytes is over the 8-byte limit", now=101.0
    )
    assert saga.steps["a"].executed
    assert [e.kind for e in effects if isinstance(e, Emit)][:2] == ["step.failed", "task.compensating"]
    (undo,) = [e for e in effects if isinstance(e, Dispatch)]
    assert undo.compensate and undo.step_id == "a"
    assert saga.status is TaskStatus.COMPENSATING and "OUTPUT_TOO_LARGE: a record of 9 bytes" in saga.reason
    assert saga.steps["b"].state is StepState.SKIPPED
    # stale: the same answer again changes nothing
    assert saga.on_result_too_large(NOOP, step_id="a", attempt=1, reason="again", now=102.0) == []


def test_a_step_service_output_too_large_failure_is_compensated_as_a_step_that_ran():
    saga, _ = Saga.create("t1", NOOP, task_input={"p": "x"}, now=100.0)
    effects = saga.on_step_result(
        NOOP,
        step_id="a",
        attempt=1,
        compensate=False,
        succeeded=False,
        error="OUTPUT_TOO_LARGE: too big",
        retryable=False,
        ran=True,
        now=101.0,
    )
    assert any(isinstance(e, Dispatch) and e.compensate for e in effects)
