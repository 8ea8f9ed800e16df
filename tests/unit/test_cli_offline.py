"""CLI commands that need no broker or gateway: workflow checks, --since, dead-letter headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from lammesh.cli import app
from lammesh.cli_tasks import parse_since
from lammesh.kafka.deadletters import dlq_headers
from lammesh.kafka.dlq import DeadLetter, dedupe, last_header

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
GOOD = "name: ok_flow\nversion: 3\nsteps:\n  - {id: a, uses: noop, compensate: {}}\n  - {id: b, uses: noop, after: [a], pivot: true}\n"


@pytest.mark.parametrize(
    ("text", "back"), [("90s", 90), ("10m", 600), ("2h", 7200), ("1d", 86_400), ("1h30m", 5400), ("1.5h", 5400)]
)
def test_since_takes_durations(text, back):
    assert parse_since(text, NOW) == NOW - timedelta(seconds=back)


def test_since_takes_iso_times_and_refuses_anything_else():
    assert parse_since("2026-11-30T08:00:00+00:00", NOW) == datetime(2026, 11, 30, 8, tzinfo=UTC)
    assert parse_since("2026-11-30T08:00", NOW).tzinfo is not None  # local time
    for bad in ("yesterday", "10", "5x", ""):
        with pytest.raises(ValueError, match="neither a duration"):
            parse_since(bad, NOW)


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_validate_accepts_a_good_file(tmp_path):
    (tmp_path / "ok.yaml").write_text(GOOD)
    result = run("workflows", "validate", str(tmp_path / "ok.yaml"))
    assert result.exit_code == 0, result.output
    assert "ok_flow v3, 2 steps (a → b (pivot))" in result.stdout


@pytest.mark.parametrize(
    ("text", "path", "problem"),
    [
        (
            "name: f\nsteps:\n  - {id: a, uses: noop, retry: {max_attempts: 0}}\n",
            "steps[0].retry.max_attempts",
            "greater than or equal to 1",
        ),
        (
            "name: f\nsteps:\n  - {id: a, uses: no_such_capability}\n",
            "steps[0].uses",
            "unknown capability 'no_such_capability'",
        ),
        (
            "name: f\nsteps:\n  - {id: a, uses: noop}\n  - {id: b, uses: noop, input: {x: '${steps.zz.output}'}}\n",
            "steps[1].input.x",
            "missing step 'zz'",
        ),
        ("name: f\nsteps: [\n", "line 3", "not valid YAML"),
        (
            "name: f\nsteps:\n  - {id: a, uses: noop, watchers: {input: [pii, telepathy]}}\n",
            "steps[0].watchers.input[1]",
            "unknown watcher 'telepathy'; known: grounding, injection, loop, pii, policy",
        ),
        (
            "name: f\ninput_schema: {type: object, required: transcript}\nsteps:\n  - {id: a, uses: noop}\n",
            "input_schema.required",
            "is not of type 'array'",
        ),
    ],
)
def test_validate_names_the_file_and_the_field_of_an_error(tmp_path, text, path, problem):
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "bad.yaml").write_text(text)
    result = run("workflows", "validate", str(tmp_path / "good.yaml"), str(tmp_path / "bad.yaml"))
    assert result.exit_code == 2
    assert "ok " in result.stdout  # the good file is still reported
    (line,) = [line for line in result.stderr.splitlines() if "invalid" in line]
    assert f"{tmp_path / 'bad.yaml'}: {path}: " in line and problem in line


def test_validate_refuses_a_missing_file_and_a_name_defined_twice(tmp_path):
    (tmp_path / "one.yaml").write_text(GOOD)
    (tmp_path / "two.yaml").write_text(GOOD)
    result = run("workflows", "validate", str(tmp_path), str(tmp_path / "gone.yaml"))
    assert result.exit_code == 2
    assert (
        f"{tmp_path / 'two.yaml'}: name: workflow 'ok_flow' is also defined in {tmp_path / 'one.yaml'}" in result.stderr
    )
    assert f"{tmp_path / 'gone.yaml'}: <file>: cannot read" in result.stderr


def test_list_shows_the_folder_with_versions_and_steps_and_fails_on_a_bad_file(tmp_path):
    (tmp_path / "ok.yaml").write_text(GOOD)
    assert run("workflows", "list", "--dir", str(tmp_path)).exit_code == 0
    (tmp_path / "worse.yml").write_text("name: w\nsteps: []\n")
    result = run("workflows", "list", "--dir", str(tmp_path))
    assert result.exit_code == 2
    assert "ok_flow" in result.stdout and "a → b (pivot)" in result.stdout
    assert f"{tmp_path / 'worse.yml'}: steps:" in result.stderr
    assert run("workflows", "list", "--dir", str(tmp_path / "nowhere")).exit_code == 2


def test_the_repo_workflows_are_valid():
    result = run("workflows", "validate", "workflows")
    assert result.exit_code == 0, result.output
    assert "meeting_followup v1" in result.stdout


def letter(offset: int, source_offset: int, reason: str = "bad", extra: tuple = ()) -> DeadLetter:
    headers = dlq_headers(
        [("traceparent", b"00-x"), *extra],
        reason,
        topic="p.steps.noop",
        partition=1,
        offset=source_offset,
        group="noop",
    )
    return DeadLetter("p.dlq", 0, offset, 0, b"task-1", b"\x00garbage", tuple(headers))


def test_a_dead_letter_reads_its_own_headers_last_wins_and_copies_are_one():
    once = letter(0, 7, "first reason")
    again = letter(5, 7, "second reason", extra=tuple(once.headers))  # replayed, failed again: headers repeat
    assert (again.reason, again.source, again.source_offset, again.consumer_group) == (
        "second reason",
        "p.steps.noop:1:7",
        7,
        "noop",
    )
    assert last_header(again.headers, "traceparent") == "00-x"
    assert again.envelope() is None and again.task_id == "task-1"  # not an Envelope: the key names the task
    assert [(d.offset, copies) for d, copies in dedupe([once, letter(3, 8), again])] == [(5, 2), (3, 1)]


def test_dlq_without_a_broker_says_where_it_looked(monkeypatch):
    from lammesh.localkafka import free_port

    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("LAMMESH_KAFKA_BOOTSTRAP", address)
    result = run("dlq", "list")
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0 and f"cannot read the DLQ from Kafka at {address}" in result.stderr


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'{"transcript": "caf\xe9"}', "is not UTF-8 text: byte 0xe9 at offset 19"),
        (b"[1, 2]", "must hold an object"),
        (b"{oops", "is not valid JSON or YAML"),
    ],
)
def test_submit_refuses_an_unreadable_input_in_one_line_before_calling_anyone(tmp_path, monkeypatch, content, says):
    monkeypatch.setenv("LAMMESH_GATEWAY_ADDRESS", "127.0.0.1:9")  # nothing listens: the input is refused first
    (tmp_path / "in.json").write_bytes(content)
    result = run("submit", "noop_saga", "--input", str(tmp_path / "in.json"))
    assert result.exit_code == 2
    assert says in result.stderr and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
