"""The gateway in production shape: mutual TLS on every gRPC hop (test client -> gateway,
coordinator -> watcher) and bearer tokens mapped to tenants. A second tenant can neither see,
watch, cancel nor review the first tenant's tasks; the CLI sends LAMMESH_TOKEN over TLS."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import grpc
import pytest
from structlog.testing import capture_logs

from lammesh.dev.certs import make_certs
from lammesh.gateway.auth import new_token
from lammesh.grpc.client import channel as grpc_channel
from lammesh.settings import Settings
from lammesh.structs import to_struct
from lammesh.v1 import review_pb2, review_pb2_grpc, task_pb2, task_pb2_grpc
from lammesh_services.coordinator.main import bootstrap as coordinator
from lammesh_services.gateway.main import bootstrap as gateway
from lammesh_services.watchers.pii.main import bootstrap as pii
from tests.conftest import make_settings
from tests.support.mesh import TERMINAL, guarded_send, running, wait_status, write_tokens_file, write_workflow
from tests.support.services import noop

pytestmark = pytest.mark.kafka

WORKFLOW = guarded_send("guarded", watchers=("pii",))
NEEDS_REVIEW = {"account": "acme", "to": ["ana@acme.com"], "body": "Call me on +44 20 7946 0958 tomorrow."}
CLEAN = {"account": "acme", "to": ["ana@acme.com"], "body": "Thanks for the meeting, Ana."}

TOKENS = {name: new_token() for name in ("acme", "acme_reader", "globex")}


def bearer(who: str, **headers: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {TOKENS[who]}"), *headers.items())


@pytest.fixture(scope="module")
async def secured(kafka_bootstrap, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("secured")
    certs = make_certs(tmp / "certs", services=("pii", "noop", "gateway", "coordinator"))
    write_workflow(tmp / "workflows", WORKFLOW)
    tokens_file = tmp / "tokens.yaml"
    write_tokens_file(
        tokens_file,
        {
            TOKENS["acme"]: ("acme", "ana@acme.com", ["read", "submit", "review"]),
            TOKENS["acme_reader"]: ("acme", "audit@acme.com", ["read"]),
            TOKENS["globex"]: ("globex", "eve@globex.com", ["read", "submit", "review"]),
        },
    )
    base = dict(
        workflows_dir=tmp / "workflows",
        timer_interval_s=0.02,
        coordinator_data_dir=tmp / "coordinator",
        grpc_tls_ca=certs.ca,
        grpc_mtls=True,
    )

    def tls(service: str) -> dict[str, object]:  # each service its own certificate, its identity (0680)
        return {
            "service_name": service,
            "grpc_tls_cert": certs.service_cert(service),
            "grpc_tls_key": certs.service_key(service),
        }

    def identity(settings: Settings, service: str) -> Settings:
        return settings.model_copy(update=tls(service))

    settings = make_settings(kafka_bootstrap, **base, **tls("pii"))
    watcher = pii(settings)
    async with running(watcher):
        wired = make_settings(
            kafka_bootstrap,
            topic_prefix=settings.topic_prefix,
            gateway_tokens_file=tokens_file,
            watcher_endpoints={"pii": f"127.0.0.1:{watcher.grpc.port}"},
            **base,
            **tls("gateway"),
        )
        front = gateway(identity(wired, "gateway"))
        async with running(noop(identity(wired, "noop")), front, coordinator(identity(wired, "coordinator"))):
            client = Settings(grpc_tls_ca=certs.ca, grpc_tls_cert=certs.client_cert, grpc_tls_key=certs.client_key)
            channel = grpc_channel(f"127.0.0.1:{front.grpc.port}", client)
            yield {"channel": channel, "address": f"127.0.0.1:{front.grpc.port}", "certs": certs, "tmp": tmp}
            await channel.close()


async def _code(call) -> grpc.StatusCode:  # type: ignore[no-untyped-def]
    try:
        result = await call if not hasattr(call, "__aiter__") else [r async for r in call]
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    raise AssertionError(f"expected an error, got {result}")


async def test_calls_without_a_valid_token_are_unauthenticated(secured):
    tasks = task_pb2_grpc.TaskServiceStub(secured["channel"])
    reviews = review_pb2_grpc.ReviewServiceStub(secured["channel"])
    submit = task_pb2.SubmitTaskRequest(workflow="guarded", input=to_struct(CLEAN))
    for metadata in [
        (),
        (("x-lammesh-tenant", "acme"), ("x-lammesh-user", "ana@acme.com")),  # dev-mode headers count for nothing
        (("authorization", "Bearer lmt_not-a-token-anyone-issued"),),
        (("authorization", f"Basic {TOKENS['acme']}"),),
        (("authorization", "Bearer "),),
    ]:
        assert await _code(tasks.SubmitTask(submit, metadata=metadata)) == grpc.StatusCode.UNAUTHENTICATED
        assert (
            await _code(tasks.GetTask(task_pb2.GetTaskRequest(task_id="x"), metadata=metadata))
            == grpc.StatusCode.UNAUTHENTICATED
        )
        assert (
            await _code(tasks.ListTasks(task_pb2.ListTasksRequest(), metadata=metadata))
            == grpc.StatusCode.UNAUTHENTICATED
        )
        assert (
            await _code(tasks.WatchTask(task_pb2.WatchTaskRequest(task_id="x"), metadata=metadata))
            == grpc.StatusCode.UNAUTHENTICATED
        )
        assert (
            await _code(reviews.ListReviews(review_pb2.ListReviewsRequest(), metadata=metadata))
            == grpc.StatusCode.UNAUTHENTICATED
        )
    # and nothing was submitted on their behalf (this module's first test: no task exists yet)
    for who in ("acme", "globex"):
        assert not (await tasks.ListTasks(task_pb2.ListTasksRequest(), metadata=bearer(who))).tasks


async def test_a_second_tenant_cannot_see_watch_cancel_or_review_the_first_tenants_task(secured):
    tasks = task_pb2_grpc.TaskServiceStub(secured["channel"])
    reviews = review_pb2_grpc.ReviewServiceStub(secured["channel"])
    reply = await tasks.SubmitTask(
        task_pb2.SubmitTaskRequest(workflow="guarded", input=to_struct(NEEDS_REVIEW)),
        metadata=bearer("acme", **{"x-lammesh-tenant": "globex"}),
    )  # the header is ignored
    task_id = reply.task.task_id
    assert reply.task.tenant == "acme"
    await wait_status(secured["channel"], task_id, {task_pb2.TASK_STATUS_AWAITING_REVIEW}, metadata=bearer("acme"))
    review = next(
        r
        for r in (await reviews.ListReviews(review_pb2.ListReviewsRequest(), metadata=bearer("acme"))).reviews
        if r.task_id == task_id
    )

    spoof = {"x-lammesh-tenant": "acme", "x-lammesh-user": "ana@acme.com"}  # globex pretending, in vain
    for metadata in (bearer("globex"), bearer("globex", **spoof)):
        assert (
            await _code(tasks.GetTask(task_pb2.GetTaskRequest(task_id=task_id), metadata=metadata))
            == grpc.StatusCode.NOT_FOUND
        )
        assert (
            await _code(tasks.WatchTask(task_pb2.WatchTaskRequest(task_id=task_id), metadata=metadata))
            == grpc.StatusCode.NOT_FOUND
        )
        assert (
            await _code(tasks.CancelTask(task_pb2.CancelTaskRequest(task_id=task_id), metadata=metadata))
            == grpc.StatusCode.NOT_FOUND
        )
        listed = await tasks.ListTasks(task_pb2.ListTasksRequest(), metadata=metadata)
        assert task_id not in [t.task_id for t in listed.tasks]
        everything = await reviews.ListReviews(review_pb2.ListReviewsRequest(include_decided=True), metadata=metadata)
        assert review.review_id not in [r.review_id for r in everything.reviews]
        assert (
            await _code(
                reviews.ApproveReview(review_pb2.ApproveReviewRequest(review_id=review.review_id), metadata=metadata)
            )
            == grpc.StatusCode.NOT_FOUND
        )
        assert (
            await _code(
                reviews.RejectReview(review_pb2.RejectReviewRequest(review_id=review.review_id), metadata=metadata)
            )
            == grpc.StatusCode.NOT_FOUND
        )

    # a reader of the same tenant sees it but may not decide or submit
    seen = await tasks.GetTask(task_pb2.GetTaskRequest(task_id=task_id), metadata=bearer("acme_reader"))
    assert seen.task.status == task_pb2.TASK_STATUS_AWAITING_REVIEW
    with capture_logs() as refused_logs:
        assert (
            await _code(
                reviews.ApproveReview(
                    review_pb2.ApproveReviewRequest(review_id=review.review_id), metadata=bearer("acme_reader")
                )
            )
            == grpc.StatusCode.PERMISSION_DENIED
        )
    assert (
        await _code(
            tasks.SubmitTask(
                task_pb2.SubmitTaskRequest(workflow="guarded", input=to_struct(CLEAN)), metadata=bearer("acme_reader")
            )
        )
        == grpc.StatusCode.PERMISSION_DENIED
    )

    # the owner still decides; who decided comes from the token, not from a header
    with capture_logs() as decided_logs:
        approved = await reviews.ApproveReview(
            review_pb2.ApproveReviewRequest(review_id=review.review_id, comment="ok"),
            metadata=bearer("acme", **{"x-lammesh-user": "mallory"}),
        )
    assert approved.review.decided_by == "ana@acme.com"
    # the audit trail: the refusal and the decision, each with who, the task / review (0680)
    audit_of = lambda logs: [  # noqa: E731
        (e["action"], e["outcome"], e["caller"], e["task_id"], e["idempotency_key"])
        for e in logs
        if e["event"] == "audit"
    ]
    assert audit_of(refused_logs) == [("review.approve", "denied", "audit@acme.com", "", review.review_id)]
    assert audit_of(decided_logs) == [("review.approve", "approved", "ana@acme.com", task_id, review.review_id)]
    done = await wait_status(secured["channel"], task_id, TERMINAL, metadata=bearer("acme"))
    assert done.status == task_pb2.TASK_STATUS_COMPLETED  # globex's attempts changed nothing


def _cli(args: list[str], secured, token: str | None) -> subprocess.CompletedProcess[str]:
    certs = secured["certs"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMMESH_")}
    env.update(
        LAMMESH_GATEWAY_ADDRESS=secured["address"],
        LAMMESH_GRPC_TLS_CA=str(certs.ca),
        LAMMESH_GRPC_TLS_CERT=str(certs.client_cert),
        LAMMESH_GRPC_TLS_KEY=str(certs.client_key),
        LAMMESH_LOG_LEVEL="WARNING",
    )
    if token:
        env["LAMMESH_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "lammesh.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


async def test_the_cli_sends_its_token_over_mtls(secured):
    task_input = secured["tmp"] / "clean.json"
    task_input.write_text(json.dumps(CLEAN))
    args = ["submit", "guarded", "--input", str(task_input), "--json"]
    done = await asyncio.to_thread(_cli, args, secured, TOKENS["globex"])
    assert done.returncode == 0, done.stderr
    task = json.loads(done.stdout)
    assert task["tenant"] == "globex"
    refused = await asyncio.to_thread(_cli, args, secured, None)
    assert refused.returncode == 1 and "UNAUTHENTICATED" in refused.stderr
    assert TOKENS["globex"] not in done.stderr + done.stdout
    # the task is globex's alone
    tasks = task_pb2_grpc.TaskServiceStub(secured["channel"])
    assert (
        await _code(tasks.GetTask(task_pb2.GetTaskRequest(task_id=task["task_id"]), metadata=bearer("acme")))
        == grpc.StatusCode.NOT_FOUND
    )


async def test_feedback_reports_need_a_token_with_submit_and_stay_in_the_tenant(secured):
    from lammesh.v1 import feedback_pb2, feedback_pb2_grpc

    tasks = task_pb2_grpc.TaskServiceStub(secured["channel"])
    feedback = feedback_pb2_grpc.FeedbackServiceStub(secured["channel"])
    reply = await tasks.SubmitTask(
        task_pb2.SubmitTaskRequest(workflow="guarded", input=to_struct(CLEAN)), metadata=bearer("acme")
    )
    await wait_status(secured["channel"], reply.task.task_id, TERMINAL, metadata=bearer("acme"))
    report = feedback_pb2.ReportFeedbackRequest(
        task_id=reply.task.task_id, step="send", kind=feedback_pb2.FEEDBACK_KIND_MISSED
    )
    assert await _code(feedback.ReportFeedback(report, metadata=())) == grpc.StatusCode.UNAUTHENTICATED
    assert (
        await _code(feedback.ReportFeedback(report, metadata=bearer("acme_reader")))
        == grpc.StatusCode.PERMISSION_DENIED
    )
    assert await _code(feedback.ReportFeedback(report, metadata=bearer("globex"))) == grpc.StatusCode.NOT_FOUND
    answer = await feedback.ReportFeedback(report, metadata=bearer("acme"))
    assert answer.cases and all(c.watcher == "pii" and c.verdict == "ALLOW" for c in answer.cases)
