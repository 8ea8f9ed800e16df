"""`lammesh submit`, `watch`, `tasks` and `review`: the gateway from the command line."""

from __future__ import annotations

import asyncio
import getpass
import json
import random
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import grpc
import typer
import yaml
from google.protobuf import json_format
from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Column, Table

from lammesh import timeline
from lammesh.gateway.client import TASK_STATUSES, call_metadata, decide_review, list_reviews, list_tasks, parse_since
from lammesh.gateway.read_model import TERMINAL
from lammesh.grpc.client import channel as grpc_channel
from lammesh.grpc.retry import Backoff
from lammesh.grpc.retry_info import retry_after_s
from lammesh.settings import Settings
from lammesh.structs import to_struct
from lammesh.v1 import review_pb2, review_pb2_grpc, task_pb2, task_pb2_grpc

console = Console(stderr=True)
out = Console()
review_app = typer.Typer(no_args_is_help=True, help="Steps paused for a person's decision.")
tasks_app = typer.Typer(no_args_is_help=True, help="Find tasks, see what happened to one, cancel one.")

T = TypeVar("T")

STATUS_STYLE = {
    task_pb2.TASK_STATUS_COMPLETED: "green",
    task_pb2.TASK_STATUS_COMPENSATED: "yellow",
    task_pb2.TASK_STATUS_FAILED: "red",
    task_pb2.TASK_STATUS_AWAITING_REVIEW: "magenta",
}
# The request itself is wrong (exit 2): a field, an unknown name, or an input over the mesh's limits.
BAD_INPUT = (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.RESOURCE_EXHAUSTED)
EXIT_CODES = {task_pb2.TASK_STATUS_COMPLETED: 0, task_pb2.TASK_STATUS_COMPENSATED: 3, task_pb2.TASK_STATUS_FAILED: 4}


def _name(enum: Any, value: int, prefix: str) -> str:
    return enum.Name(value).removeprefix(prefix)


def _metadata(settings: Settings) -> tuple[tuple[str, str], ...]:
    """With LAMMESH_TOKEN: the bearer token (the gateway knows the tenant and user from it);
    without: the dev-mode tenant and user headers."""
    token = settings.token.get_secret_value() if settings.token is not None else None
    return call_metadata(token, tenant=settings.default_tenant, user=getpass.getuser())


def _as_json(message: Any) -> str:
    return json_format.MessageToJson(message, indent=None, preserving_proto_field_name=True)


def _run(call: Callable[[grpc.aio.Channel, Settings], Awaitable[T]]) -> T:
    """Run `call` against the gateway; turn gRPC failures into a clear message and exit code."""
    settings = Settings()

    async def main() -> T:
        async with grpc_channel(settings.gateway_address, settings) as channel:
            return await call(channel, settings)

    try:
        return asyncio.run(main())
    except grpc.aio.AioRpcError as exc:
        busy = retry_after_s(exc) if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED else None
        if busy is not None:
            console.print(
                f"[yellow]the mesh is busy, the task was not submitted[/]: {exc.details()}\n"
                "submit it again later, or with --wait, which retries as the gateway advises",
                soft_wrap=True,
            )
            raise typer.Exit(EXIT_BUSY) from None
        if exc.code() == grpc.StatusCode.UNAVAILABLE:
            console.print(
                f"[red]cannot reach the gateway at {settings.gateway_address}[/] ({exc.details()}); "
                "is the mesh up? (`lammesh up`, or set LAMMESH_GATEWAY_ADDRESS)"
            )
        else:
            console.print(f"[red]{exc.code().name}[/]: {exc.details()}", soft_wrap=True)
        raise typer.Exit(2 if exc.code() in BAD_INPUT else 1) from None


def _read_input(path: Path) -> dict[str, Any]:
    try:
        raw = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as exc:
        console.print(f"[red]cannot read {path}[/]: {exc.strerror}", soft_wrap=True)
        raise typer.Exit(2) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        console.print(
            f"[red]{path} is not UTF-8 text[/]: byte 0x{raw[exc.start]:02x} at offset {exc.start} ({exc.reason})",
            soft_wrap=True,
            highlight=False,
        )
        raise typer.Exit(2) from None
    try:
        data = yaml.safe_load(text)  # JSON is YAML too
    except yaml.YAMLError as exc:
        console.print(f"[red]{path} is not valid JSON or YAML[/]: {' '.join(str(exc).split())}", soft_wrap=True)
        raise typer.Exit(2) from None
    if not isinstance(data, dict):
        console.print(f"[red]{path} must hold an object (mapping) of task input fields[/]", soft_wrap=True)
        raise typer.Exit(2)
    try:  # as JSON would carry it: YAML dates (date: 2026-11-18) as their ISO text
        return json.loads(json.dumps(data, default=_iso_date))
    except (TypeError, ValueError) as exc:
        console.print(f"[red]{path} holds a value a task input cannot carry[/]: {exc}", soft_wrap=True)
        raise typer.Exit(2) from None


def _iso_date(value: Any) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


class Progress:
    """The live view of one task: its steps and their states, the latest event, the outcome."""

    def __init__(self, task: task_pb2.Task) -> None:
        self.task = task
        self.steps = {
            s.step_id: [s.capability, _name(task_pb2.StepState, s.state, "STEP_STATE_"), s.attempt, ""]
            for s in task.steps
        }
        self.status = task.status
        self.last = ""

    def apply(self, event: task_pb2.TaskEvent) -> None:
        self.status = event.status
        self.last = (
            f"#{event.sequence} {event.kind}"
            + (f" {event.step_id}" if event.step_id else "")
            + (f": {event.message}" if event.message else "")
        )
        if event.step_id:
            row = self.steps.setdefault(event.step_id, ["", "", 0, ""])
            if event.step_state:
                row[1] = _name(task_pb2.StepState, event.step_state, "STEP_STATE_")
            attempt = json_format.MessageToDict(event.details).get("attempt")
            if attempt:
                row[2] = int(attempt)
            if event.message:
                row[3] = event.message[:90]

    def render(self) -> Group:
        table = Table(
            "step", "uses", "state", "attempt", "note", title=f"task {self.task.task_id} ({self.task.workflow})"
        )
        for step_id, (uses, state, attempt, note) in self.steps.items():
            table.add_row(step_id, uses, state, str(attempt or ""), note)
        status = _name(task_pb2.TaskStatus, self.status, "TASK_STATUS_")
        return Group(table, f"[{STATUS_STYLE.get(self.status, 'cyan')}]{status}[/]  {self.last}")


RESUME_FOR_S = 60.0  # how long `watch` keeps reconnecting to a gateway that went away


async def _watch(
    stub: task_pb2_grpc.TaskServiceStub, task_id: str, after: int, metadata: tuple[tuple[str, str], ...]
) -> AsyncIterator[task_pb2.WatchTaskResponse]:
    """WatchTask, resumed after the last event seen when the stream breaks because the gateway
    restarted or its replica went away (UNAVAILABLE); the gateway replays from `after_sequence`."""
    backoff, away_since = Backoff(0.1, 2.0), None
    while True:
        try:
            async for reply in stub.WatchTask(
                task_pb2.WatchTaskRequest(task_id=task_id, after_sequence=after), metadata=metadata
            ):
                after, backoff, away_since = reply.event.sequence, Backoff(0.1, 2.0), None
                yield reply
            return
        except grpc.aio.AioRpcError as exc:
            away_since = away_since or time.monotonic()
            if exc.code() != grpc.StatusCode.UNAVAILABLE or time.monotonic() - away_since > RESUME_FOR_S:
                raise
            await asyncio.sleep(backoff.next())


async def _follow(
    channel: grpc.aio.Channel, settings: Settings, task_id: str, *, as_json: bool, after: int = 0
) -> task_pb2.Task:
    stub = task_pb2_grpc.TaskServiceStub(channel)
    metadata = _metadata(settings)
    task = (await stub.GetTask(task_pb2.GetTaskRequest(task_id=task_id), metadata=metadata)).task
    stream = _watch(stub, task_id, after, metadata)
    if as_json:
        async for reply in stream:
            out.print(_as_json(reply.event), soft_wrap=True)
    else:
        progress = Progress(task)
        with Live(progress.render(), console=console, refresh_per_second=8, transient=False) as live:
            async for reply in stream:
                progress.apply(reply.event)
                live.update(progress.render())
    for _ in range(100):  # the final snapshot may trail the final event by a moment
        task = (await stub.GetTask(task_pb2.GetTaskRequest(task_id=task_id), metadata=metadata)).task
        if task.status in TERMINAL:
            break
        await asyncio.sleep(0.05)
    return task


def _outcome(task: task_pb2.Task, as_json: bool) -> None:
    if as_json:
        out.print(_as_json(task), soft_wrap=True)
        return
    status = _name(task_pb2.TaskStatus, task.status, "TASK_STATUS_")
    lines = [f"[bold]{status}[/]"]
    if task.reason:
        lines.append(task.reason)
    if task.needs_attention:
        lines.append(f"needs a person: {', '.join(task.needs_attention)}")
    console.print(
        Panel("\n".join(lines), title=f"task {task.task_id}", border_style=STATUS_STYLE.get(task.status, "cyan"))
    )


EXIT_BUSY = 75  # sysexits EX_TEMPFAIL: refused for now (admission control), worth trying again


async def _submit_when_admitted(
    stub: Any, request: task_pb2.SubmitTaskRequest, metadata: Any, *, retry_for_s: float, quiet: bool
) -> task_pb2.SubmitTaskResponse:
    """SubmitTask; while it is refused as busy (RESOURCE_EXHAUSTED with a RetryInfo hint), wait the
    hint (with jitter) and try again, for up to `retry_for_s`. The same client key each time, so
    a try whose answer was lost never makes a second task."""
    deadline = time.monotonic() + retry_for_s
    told = False
    while True:
        try:
            return await stub.SubmitTask(request, metadata=metadata)
        except grpc.aio.AioRpcError as exc:
            hint = retry_after_s(exc) if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED else None
            if hint is None or time.monotonic() + hint > deadline:
                raise
            if not told and not quiet:
                console.print(f"[yellow]the mesh is busy[/] ({exc.details()}); retrying as advised", soft_wrap=True)
                told = True
            await asyncio.sleep(hint * random.uniform(1.0, 1.5))


def submit(
    workflow: Annotated[str, typer.Argument(help="Workflow name (a file in the workflows folder).")],
    input: Annotated[Path, typer.Option("--input", "-i", help="Task input: a JSON or YAML file, or - for stdin.")],
    wait: Annotated[bool, typer.Option("--wait", help="Follow the task live until it ends.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    key: Annotated[str, typer.Option("--key", help="Idempotency key: the same key gives the same task.")] = "",
    busy_retry_s: Annotated[
        float,
        typer.Option(
            "--busy-retry-s",
            help="With --wait: while the gateway refuses the task as busy, retry this long, as it advises.",
        ),
    ] = 300.0,
) -> None:
    """Submit a task through the gateway (and with --wait, follow it to its end).

    Exit codes with --wait: 0 completed, 3 compensated, 4 failed; 2 bad input, 75 the mesh is busy
    (too many tasks in flight: try again later), 1 other errors."""
    struct_input = to_struct(_read_input(input))

    async def call(channel: grpc.aio.Channel, settings: Settings) -> task_pb2.Task:
        stub = task_pb2_grpc.TaskServiceStub(channel)
        # Without --key, a fresh one: the channel retries a submit whose answer was lost
        # (UNAVAILABLE), and the same key gives the same task, never a second one.
        request = task_pb2.SubmitTaskRequest(
            workflow=workflow, input=struct_input, client_key=key or f"cli-{uuid.uuid4().hex}"
        )
        reply = await _submit_when_admitted(
            stub, request, _metadata(settings), retry_for_s=busy_retry_s if wait else 0.0, quiet=as_json
        )
        if not wait:
            return reply.task
        if not as_json:
            console.print(
                f"task {reply.task.task_id} {'submitted' if reply.created else 'already exists (same --key)'}"
            )
        return await _follow(channel, settings, reply.task.task_id, as_json=as_json)

    task = _run(call)
    if not wait:
        out.print(_as_json(task) if as_json else task.task_id, soft_wrap=True)
        return
    _outcome(task, as_json)
    raise typer.Exit(EXIT_CODES.get(task.status, 1))


def watch(
    task_id: Annotated[str, typer.Argument(help="The task to follow.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON event per line.")] = False,
    after: Annotated[int, typer.Option("--after", help="Resume after this event sequence.")] = 0,
) -> None:
    """Follow a task's events live until it ends (exit code as for `submit --wait`)."""
    task = _run(lambda channel, settings: _follow(channel, settings, task_id, as_json=as_json, after=after))
    if not as_json:
        _outcome(task, as_json)
    raise typer.Exit(EXIT_CODES.get(task.status, 1))


@review_app.command("list")
def review_list(
    include_decided: Annotated[bool, typer.Option("--all", help="Decided reviews too.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Reviews waiting for a decision."""

    async def call(channel: grpc.aio.Channel, settings: Settings) -> list[review_pb2.Review]:
        return await list_reviews(
            review_pb2_grpc.ReviewServiceStub(channel), _metadata(settings), include_decided=include_decided
        )

    reviews = _run(call)
    if as_json:
        for review in reviews:
            out.print(_as_json(review), soft_wrap=True)
        return
    if not reviews:
        out.print("no reviews waiting")
        return
    # One review per entry, its whole id first (`review approve ID` takes it as printed), why below.
    for review in reviews:
        decision = _name(review_pb2.ReviewDecision, review.decision, "REVIEW_DECISION_")
        out.print(
            f"[bold]{review.review_id}[/]  step {review.step_id}  watcher {review.watcher}  "
            f"[{'magenta' if decision == 'PENDING' else 'dim'}]{decision}[/]",
            soft_wrap=True,
            highlight=False,
        )
        out.print(f"    {'; '.join(review.reasons)[:300] or '(no reason given)'}", highlight=False)


def _decide(review_id: str, comment: str, approve: bool) -> None:
    async def call(channel: grpc.aio.Channel, settings: Settings) -> review_pb2.Review:
        stub = review_pb2_grpc.ReviewServiceStub(channel)
        return await decide_review(stub, _metadata(settings), review_id, approve=approve, comment=comment)

    review = _run(call)
    out.print(f"{review.review_id}: {_name(review_pb2.ReviewDecision, review.decision, 'REVIEW_DECISION_').lower()}")


@review_app.command("approve")
def review_approve(review_id: str, comment: Annotated[str, typer.Option("--comment", "-m")] = "") -> None:
    """Let the paused step go on."""
    _decide(review_id, comment, True)


@review_app.command("reject")
def review_reject(review_id: str, comment: Annotated[str, typer.Option("--comment", "-m")] = "") -> None:
    """Fail the paused step; the task compensates."""
    _decide(review_id, comment, False)


# -- lammesh tasks list|show|cancel ------------------------------------------------------------

STATUSES = TASK_STATUSES  # `--since` is parse_since (lammesh.gateway.client), shared with the console


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]{message}[/]", soft_wrap=True)
    return typer.Exit(2)


def _when(ts: Any) -> str:
    if not ts.seconds and not ts.nanos:
        return ""
    return datetime.fromtimestamp(timeline.seconds(ts), UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")


_took = timeline.format_duration


@tasks_app.command("list")
def tasks_list(
    status: Annotated[
        str | None, typer.Option("--status", help=f"Only tasks in this status: {', '.join(STATUSES)}.")
    ] = None,
    workflow: Annotated[str | None, typer.Option("--workflow", help="Only tasks of this workflow.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only tasks created since: a duration (10m, 2h, 1d) or an ISO time.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many tasks, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON task per line.")] = False,
) -> None:
    """The tenant's tasks, newest first, with their full ids (for `tasks show`, `watch`, `cancel`)."""
    wanted = 0
    if status is not None:
        wanted = STATUSES.get(status.strip().lower(), -1)
        if wanted < 0:
            raise _fail(f"--status: unknown status {status!r}; choose from {', '.join(STATUSES)}")
    if limit < 1:
        raise _fail(f"--limit: must be at least 1, not {limit}")
    request = task_pb2.ListTasksRequest(status=wanted, workflow=workflow or "")
    if since is not None:
        try:
            request.created_after.FromDatetime(parse_since(since, datetime.now(UTC)).astimezone(UTC))
        except ValueError as exc:
            raise _fail(f"--since: {exc}") from None

    async def call(channel: grpc.aio.Channel, settings: Settings) -> list[task_pb2.Task]:
        return await list_tasks(task_pb2_grpc.TaskServiceStub(channel), request, _metadata(settings), limit=limit)

    tasks = _run(call)
    if as_json:
        for task in tasks:
            out.print(_as_json(task), soft_wrap=True)
        return
    if not tasks:
        out.print("no tasks" + (" match" if status or workflow or since else " yet"))
        return
    table = Table(
        Column("task", no_wrap=True, min_width=max(len(t.task_id) for t in tasks)),
        "workflow",
        "status",
        "created",
        "steps",
        Column("reason", overflow="fold"),
    )
    for task in tasks:
        done = sum(s.state == task_pb2.STEP_STATE_SUCCEEDED for s in task.steps)
        colour = STATUS_STYLE.get(task.status, "cyan")
        table.add_row(
            task.task_id,
            task.workflow,
            f"[{colour}]{_name(task_pb2.TaskStatus, task.status, 'TASK_STATUS_')}[/]",
            _when(task.created_at),
            f"{done}/{len(task.steps)}" if task.steps else "",
            task.reason[:120],
        )
    out.print(table)


@tasks_app.command("show")
def tasks_show(
    task_id: Annotated[str, typer.Argument(help="The task (its full id, as `tasks list` prints it).")],
    as_json: Annotated[
        bool, typer.Option("--json", help="The task, its events and its step timeline as one JSON object.")
    ] = False,
) -> None:
    """A task's timeline: steps, durations, attempts, watcher verdicts and scores, compensation, reason.

    Also its reviews and every event, in order."""

    async def call(channel: grpc.aio.Channel, settings: Settings) -> task_pb2.GetTaskResponse:
        stub = task_pb2_grpc.TaskServiceStub(channel)
        return await stub.GetTask(
            task_pb2.GetTaskRequest(task_id=task_id, include_events=True), metadata=_metadata(settings)
        )

    reply = _run(call)
    task, events = reply.task, list(reply.events)
    steps = timeline.build(task, events)
    if as_json:
        document = {
            "task": json_format.MessageToDict(task, preserving_proto_field_name=True),
            "events": [json_format.MessageToDict(e, preserving_proto_field_name=True) for e in events],
            "steps": [
                {**asdict(s), "duration_s": s.duration_s, "compensation_duration_s": s.compensation_duration_s}
                for s in steps
            ],
        }
        out.print(json.dumps(document), soft_wrap=True)
        return
    status = _name(task_pb2.TaskStatus, task.status, "TASK_STATUS_")
    started = timeline.seconds(task.created_at)
    lines = [
        f"workflow [bold]{task.workflow}[/]  tenant {task.tenant}  status [{STATUS_STYLE.get(task.status, 'cyan')}]{status}[/]",
        f"created {_when(task.created_at)}  updated {_when(task.updated_at)}"
        + (f"  ({_took(timeline.seconds(task.updated_at) - started)})" if task.status in TERMINAL else ""),
    ]
    if task.client_key:
        lines.append(f"client key {task.client_key}")
    if task.trace_id:
        lines.append(f"trace {task.trace_id}")
    if task.reason:
        lines.append(f"reason: {task.reason}")
    if task.needs_attention:
        lines.append(f"[red]needs a person[/]: {', '.join(task.needs_attention)}")
    out.print(Panel("\n".join(lines), title=f"task {task.task_id}", border_style=STATUS_STYLE.get(task.status, "cyan")))

    width = max((len(step.step_id) for step in steps), default=4) + 2
    table = Table(
        Column("step", no_wrap=True, min_width=width),
        "uses",
        Column("state", no_wrap=True, min_width=11),
        "attempts",
        Column("took", no_wrap=True),
        Column("error", overflow="fold"),
        title="steps",
    )
    for step in steps:
        retried = f" ({len(step.retries)} retried)" if step.retries else ""
        table.add_row(
            step.step_id, step.uses, step.state, f"{step.attempts or ''}{retried}", _took(step.duration_s), step.error
        )
        if step.compensation_attempts or step.compensation_outcome:
            table.add_row(
                f"↩ {step.step_id}",
                "compensate",
                step.compensation_outcome.upper() or "COMPENSATING",
                str(step.compensation_attempts or ""),
                _took(step.compensation_duration_s),
                "",
            )
    out.print(table)
    checks = [(step.step_id, check, w) for step in steps for check in step.checks for w in check.watchers]
    if checks:
        verdicts = Table(
            Column("step", no_wrap=True),
            "stage",
            Column("watcher", no_wrap=True),
            Column("verdict", no_wrap=True),
            "score",
            Column("why", overflow="fold"),
            title="watcher checks",
        )
        for step_id, check, answer in checks:
            colour = {"ALLOW": "green", "REVIEW": "magenta", "BLOCK": "red"}.get(answer.verdict, "white")
            verdicts.add_row(
                step_id,
                check.stage.lower(),
                answer.watcher,
                f"[{colour}]{answer.verdict}[/]",
                f"{answer.score:.2f}",
                answer.error or "; ".join(answer.reasons),
            )
        out.print(verdicts)
    if task.reviews:
        reviews = Table(
            Column("review", no_wrap=True), "watcher", "decision", "by", Column("why", overflow="fold"), title="reviews"
        )
        for review in task.reviews:
            reviews.add_row(
                review.review_id,
                review.watcher,
                _name(review_pb2.ReviewDecision, review.decision, "REVIEW_DECISION_"),
                review.decided_by,
                "; ".join(review.reasons) + (f" — {review.comment}" if review.comment else ""),
            )
        out.print(reviews)
    history = Table("#", "at", "kind", "step", Column("message", overflow="fold"), title="events")
    for event in events:
        history.add_row(
            str(event.sequence),
            f"+{_took(timeline.seconds(event.at) - started) or '0 ms'}",
            event.kind,
            event.step_id,
            event.message[:200],
        )
    out.print(history if events else "no events yet (the coordinator has not started the task)")


@tasks_app.command("cancel")
def tasks_cancel(
    task_id: Annotated[str, typer.Argument(help="The task to cancel (its full id).")],
    reason: Annotated[
        str, typer.Option("--reason", "-m", help="Kept as the task's reason (default: cancelled by <you>).")
    ] = "",
    wait: Annotated[bool, typer.Option("--wait", help="Follow the task until it has compensated.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Cancel a running task: the coordinator stops it and compensates what it did.

    Exit codes with --wait as for `submit --wait` (3 once compensated); an ended task cannot be cancelled (1)."""

    async def call(channel: grpc.aio.Channel, settings: Settings) -> task_pb2.Task:
        stub = task_pb2_grpc.TaskServiceStub(channel)
        task = (
            await stub.CancelTask(
                task_pb2.CancelTaskRequest(task_id=task_id, reason=reason), metadata=_metadata(settings)
            )
        ).task
        if not wait:
            return task
        if not as_json:
            console.print(f"cancel of task {task.task_id} requested; following it")
        return await _follow(channel, settings, task.task_id, as_json=as_json)

    task = _run(call)
    if not wait:
        out.print(_as_json(task) if as_json else f"cancel of task {task.task_id} requested", soft_wrap=True)
        return
    _outcome(task, as_json)
    raise typer.Exit(EXIT_CODES.get(task.status, 1))
