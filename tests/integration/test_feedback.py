"""Feedback end to end: review decisions and FeedbackService.ReportFeedback publish cases on
lammesh.watchers.feedback (real broker, real gRPC, the real pii and policy watchers)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import grpc
import pytest

from lammesh.feedback import FeedbackCase, FeedbackKind, FeedbackSource
from lammesh.structs import to_struct
from lammesh.topics import WATCHERS_FEEDBACK
from lammesh.v1 import feedback_pb2, feedback_pb2_grpc, review_pb2, review_pb2_grpc, task_pb2, task_pb2_grpc
from tests.conftest import make_settings
from tests.support.kafka import read_records
from tests.support.mesh import TERMINAL, gateway_mesh, guarded_send, wait_status

pytestmark = pytest.mark.kafka

CLEAN = {"account": "acme", "to": ["ana@acme.com"], "body": "Thanks for the meeting, Ana."}
PHONE = {**CLEAN, "body": "Call me on +44 20 7946 0958 tomorrow."}


@pytest.fixture(scope="module")
async def mesh(kafka_bootstrap, tmp_path_factory):
    async with gateway_mesh(kafka_bootstrap, tmp_path_factory.mktemp("feedback"), guarded_send("followup")) as (
        wired,
        address,
    ):
        channel = grpc.aio.insecure_channel(address)
        yield wired, channel, address
        await channel.close()


def tenant(name: str = "acme") -> tuple[tuple[str, str], ...]:
    return (("x-lammesh-tenant", name), ("x-lammesh-user", f"ana@{name}.com"))


async def finished(channel, task_input: dict, statuses: set[int]) -> task_pb2.Task:
    stub = task_pb2_grpc.TaskServiceStub(channel)
    reply = await stub.SubmitTask(
        task_pb2.SubmitTaskRequest(workflow="followup", input=to_struct(task_input)), metadata=tenant()
    )
    return await wait_status(channel, reply.task.task_id, statuses, metadata=tenant())


async def cases_of(settings, task_id: str, count: int) -> list[FeedbackCase]:
    records = await read_records(settings, WATCHERS_FEEDBACK.name(settings), count=count, timeout=30, quiet_for=0.5)
    cases = [FeedbackCase.from_json(r.value) for r in records]
    assert all(r.key.decode() == FeedbackCase.from_json(r.value).case_id for r in records)
    return [c for c in cases if c.task_id == task_id]


async def test_an_approved_review_publishes_a_false_positive_of_the_flagging_watcher(mesh):
    settings, channel, _ = mesh
    task = await finished(channel, PHONE, {task_pb2.TASK_STATUS_AWAITING_REVIEW})
    reviews = review_pb2_grpc.ReviewServiceStub(channel)
    [review] = [
        r
        for r in (await reviews.ListReviews(review_pb2.ListReviewsRequest(), metadata=tenant())).reviews
        if r.task_id == task.task_id
    ]
    await reviews.ApproveReview(
        review_pb2.ApproveReviewRequest(review_id=review.review_id, comment="my own number"), metadata=tenant()
    )
    [case] = await cases_of(settings, task.task_id, 1)
    assert (case.kind, case.source, case.watcher, case.step, case.stage) == (
        FeedbackKind.FALSE_POSITIVE,
        FeedbackSource.REVIEW,
        "pii",
        "send",
        "input",
    )
    assert case.field == "body" and case.content == PHONE["body"]
    assert case.verdict == "REVIEW" and case.model.name and case.model.sha256
    assert (case.note, case.reporter, case.tenant) == ("my own number", "ana@acme.com", "acme")
    assert (
        await wait_status(channel, task.task_id, TERMINAL, metadata=tenant())
    ).status == task_pb2.TASK_STATUS_COMPLETED


async def test_report_checks_the_task_and_publishes_a_miss(mesh):
    settings, channel, _ = mesh
    task = await finished(channel, CLEAN, TERMINAL)
    stub = feedback_pb2_grpc.FeedbackServiceStub(channel)

    async def report(metadata=tenant(), **fields) -> feedback_pb2.ReportFeedbackResponse:
        fields = {"task_id": task.task_id, "step": "send", "kind": feedback_pb2.FEEDBACK_KIND_MISSED, **fields}
        request = feedback_pb2.ReportFeedbackRequest(**fields)
        return await stub.ReportFeedback(request, metadata=metadata)

    async def refused(code: grpc.StatusCode, *, metadata=tenant(), **fields) -> str:
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await report(metadata, **fields)
        assert error.value.code() == code, error.value.details()
        return error.value.details()

    assert "pii, policy" in await refused(grpc.StatusCode.INVALID_ARGUMENT)
    assert "pii, policy" in await refused(grpc.StatusCode.INVALID_ARGUMENT, watcher="loop")
    assert "record, send" in await refused(grpc.StatusCode.NOT_FOUND, step="publish")
    await refused(grpc.StatusCode.NOT_FOUND, metadata=tenant("globex"), watcher="pii")
    await refused(grpc.StatusCode.NOT_FOUND, task_id="nope", watcher="pii")
    assert "report it as missed" in await refused(
        grpc.StatusCode.FAILED_PRECONDITION, watcher="pii", kind=feedback_pb2.FEEDBACK_KIND_FALSE_POSITIVE
    )
    reply = await report(watcher="pii", note="a phone number in words")
    assert [c.field for c in reply.cases] and reply.case_id == reply.cases[0].case_id
    published = await cases_of(settings, task.task_id, 2)
    assert {c.case_id for c in published} >= {c.case_id for c in reply.cases}
    assert all(
        c.kind is FeedbackKind.MISSED and c.source is FeedbackSource.REPORT and c.verdict == "ALLOW" for c in published
    )


def cli(mesh, *args: str) -> subprocess.CompletedProcess[str]:
    settings, _, address = mesh
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMMESH_")}
    env.update(
        LAMMESH_GATEWAY_ADDRESS=address,
        LAMMESH_DEFAULT_TENANT="acme",
        LAMMESH_LOG_LEVEL="WARNING",
        LAMMESH_KAFKA_BOOTSTRAP=settings.kafka_bootstrap,
        LAMMESH_TOPIC_PREFIX=settings.topic_prefix,
    )
    return subprocess.run(
        [sys.executable, "-m", "lammesh.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


async def test_the_cli_reports_a_false_positive_and_exits_2_on_bad_input(mesh):
    settings, channel, _ = mesh
    task = await finished(channel, PHONE, {task_pb2.TASK_STATUS_AWAITING_REVIEW})
    ambiguous = await asyncio.to_thread(cli, mesh, "feedback", "false-positive", task.task_id, "send")
    assert ambiguous.returncode == 2 and "pii, policy" in ambiguous.stderr, ambiguous.stderr
    unknown = await asyncio.to_thread(cli, mesh, "feedback", "missed", "no-such-task", "send")
    assert unknown.returncode == 2 and "not found" in unknown.stderr, unknown.stderr
    done = await asyncio.to_thread(
        cli,
        mesh,
        "feedback",
        "false-positive",
        task.task_id,
        "send",
        "--watcher",
        "pii",
        "--note",
        "our own switchboard",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    [case] = [c for c in await cases_of(settings, task.task_id, 1) if c.source is FeedbackSource.REPORT]
    assert reply["case_id"] == case.case_id and case.note == "our own switchboard" and case.field == "body"


async def test_task_replay_shows_rule_watchers_with_their_recorded_verdict(mesh):
    settings, channel, _ = mesh
    task = await finished(channel, CLEAN, TERMINAL)
    result = await asyncio.to_thread(cli, mesh, "task", "replay", task.task_id, "--models", "1", "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert {(r["step"], r["watcher"]) for r in rows} == {("send", "pii"), ("send", "policy")}
    assert all(r["recorded"]["verdict"] == "ALLOW" and r["recorded"]["model"]["sha256"] for r in rows)
    assert all(r["replayed"]["1"]["note"] == "rule watcher: recorded verdict only" for r in rows)
    no_versions = await asyncio.to_thread(cli, mesh, "tasks", "replay", task.task_id)
    assert no_versions.returncode == 2 and "--models" in no_versions.stderr


async def test_a_decision_survives_a_gateway_that_could_not_publish_its_case(kafka_bootstrap):
    """The case comes from the decision record on tasks.control, committed only once published: a
    gateway whose producer cannot deliver (not connected) stops without committing; a gateway
    started later, whose read model has not caught up yet when the record arrives, publishes it."""
    from lammesh.feedback.recorded import review_cases
    from lammesh.feedback.relay import review_feedback_consumer
    from lammesh.gateway.read_model import ReadModel
    from lammesh.kafka import EnvelopeProducer, ensure_topics
    from lammesh.topics import TASKS_CONTROL
    from tests.unit.test_feedback_cases import EVENTS
    from tests.unit.test_feedback_cases import task as recorded_task

    settings = make_settings(kafka_bootstrap)
    await ensure_topics(settings, [WATCHERS_FEEDBACK, TASKS_CONTROL])
    snapshot, review = recorded_task()

    def caught_up(model: ReadModel) -> ReadModel:
        model.apply_snapshot(snapshot)
        for event in EVENTS:
            model.apply_event(event)
        return model

    reviewer = EnvelopeProducer(settings, name="reviewer")
    await reviewer.start()
    try:
        decided = review_pb2.ReviewDecided(
            review_id=review.review_id,
            task_id=snapshot.task_id,
            step_id=review.step_id,
            decision=review_pb2.REVIEW_DECISION_APPROVED,
            decided_by="ann",
            comment="fine",
        )
        await reviewer.confirm(
            [
                await reviewer.send(
                    TASKS_CONTROL.name(settings), decided, task_id=snapshot.task_id, tenant=snapshot.tenant
                )
            ]
        )
    finally:
        await reviewer.stop()

    down = review_feedback_consumer(settings, caught_up(ReadModel()), EnvelopeProducer(settings, name="gateway-down"))
    await down.start()
    await asyncio.sleep(5)  # it reads the decision and cannot deliver the case
    await down.stop(timeout=2)

    producer = EnvelopeProducer(settings, name="gateway-restarted")
    await producer.start()
    model = ReadModel()  # a restarted gateway: empty until it has read tasks.state
    relay = review_feedback_consumer(settings, model, producer)
    await relay.start()
    try:
        await asyncio.sleep(1)
        caught_up(model)
        [record] = await read_records(settings, WATCHERS_FEEDBACK.name(settings), count=1, timeout=60)
        [expected] = review_cases(snapshot, review, EVENTS, approved=True, reviewer="ann", note="fine", now=0.0)
        case = FeedbackCase.from_json(record.value)
        assert record.key.decode() == case.case_id == expected.case_id
        assert (case.kind, case.reporter, case.note, case.content) == (
            FeedbackKind.FALSE_POSITIVE,
            "ann",
            "fine",
            expected.content,
        )
    finally:
        await relay.stop(timeout=5)
        await producer.stop()
