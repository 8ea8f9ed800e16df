"""The gateway end to end: TaskService and ReviewService over gRPC, with the coordinator, the noop
tool and the real pii and policy watchers as services against the real broker."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from lammesh.structs import to_struct
from lammesh.v1 import review_pb2, review_pb2_grpc, task_pb2, task_pb2_grpc
from lammesh_services.coordinator.main import bootstrap as coordinator
from lammesh_services.gateway.main import bootstrap as gateway
from lammesh_services.watchers.pii.main import bootstrap as pii
from lammesh_services.watchers.policy.main import bootstrap as policy
from tests.conftest import make_settings
from tests.support.mesh import TERMINAL, Client, guarded_send, running, write_workflow
from tests.support.mesh import wait_status as shared_wait_status
from tests.support.services import noop

pytestmark = pytest.mark.kafka

FOLLOWUP = guarded_send("followup")


GONE = FOLLOWUP.replace("name: followup", "name: followup_gone").replace(
    "{name: pii, params: {skip_fields: [to]}}", "gone"
)


@pytest.fixture(scope="module")
async def mesh(kafka_bootstrap, tmp_path_factory):
    """Watchers, noop and the gateway; each test runs its own coordinator."""
    tmp = tmp_path_factory.mktemp("gateway")
    write_workflow(tmp / "workflows", FOLLOWUP)
    write_workflow(tmp / "workflows", GONE)
    base = dict(workflows_dir=tmp / "workflows", timer_interval_s=0.02, coordinator_data_dir=tmp / "coordinator")
    settings = make_settings(kafka_bootstrap, **base)
    watchers = {"pii": pii(settings), "policy": policy(settings)}
    async with running(*watchers.values()):
        endpoints = {name: f"127.0.0.1:{rt.grpc.port}" for name, rt in watchers.items()}
        endpoints["gone"] = "127.0.0.1:9"  # nothing listens there
        wired = make_settings(kafka_bootstrap, topic_prefix=settings.topic_prefix, watcher_endpoints=endpoints, **base)
        front = gateway(wired)
        async with running(noop(wired), front):
            channel = grpc.aio.insecure_channel(f"127.0.0.1:{front.grpc.port}")
            yield wired, channel
            await channel.close()


def tenant(name: str = "acme") -> tuple[tuple[str, str], ...]:
    return (("x-lammesh-tenant", name), ("x-lammesh-user", f"ana@{name}.com"))


async def submit(
    channel, workflow: str, task_input: dict, key: str = "", who: str = "acme"
) -> task_pb2.SubmitTaskResponse:
    stub = task_pb2_grpc.TaskServiceStub(channel)
    request = task_pb2.SubmitTaskRequest(workflow=workflow, input=to_struct(task_input), client_key=key)
    return await stub.SubmitTask(request, metadata=tenant(who))


async def watch(channel, task_id: str, after: int = 0, who: str = "acme") -> list[task_pb2.TaskEvent]:
    stub = task_pb2_grpc.TaskServiceStub(channel)
    stream = stub.WatchTask(
        task_pb2.WatchTaskRequest(task_id=task_id, after_sequence=after), metadata=tenant(who), timeout=60
    )
    return [reply.event async for reply in stream]


async def get(channel, task_id: str, who: str = "acme") -> task_pb2.Task:
    stub = task_pb2_grpc.TaskServiceStub(channel)
    return (await stub.GetTask(task_pb2.GetTaskRequest(task_id=task_id), metadata=tenant(who))).task


async def wait_status(channel, task_id: str, statuses: set[int], who: str = "acme") -> task_pb2.Task:
    return await shared_wait_status(channel, task_id, statuses, metadata=tenant(who))


CLEAN = {"account": "acme", "to": ["ana@acme.com"], "body": "Thanks for the meeting, Ana."}


async def test_submit_watch_get_and_list_a_clean_task(mesh):
    async with running(coordinator(mesh[0])):
        settings, channel = mesh
        reply = await submit(channel, "followup", CLEAN)
        assert reply.created and reply.task.status == task_pb2.TASK_STATUS_PENDING
        events = await watch(channel, reply.task.task_id)
        assert events[0].kind == "task.started" and events[-1].kind == "task.completed"
        assert [e.sequence for e in events] == list(range(1, len(events) + 1))
        checked = [e for e in events if e.kind == "watchers.checked"]
        assert checked and checked[0].message == "ALLOW"
        # Resume from a position: only what came after it.
        assert [e.sequence for e in await watch(channel, reply.task.task_id, after=3)] == [
            e.sequence for e in events[3:]
        ]
        task = await wait_status(channel, reply.task.task_id, TERMINAL)
        assert task.status == task_pb2.TASK_STATUS_COMPLETED
        listed = await task_pb2_grpc.TaskServiceStub(channel).ListTasks(
            task_pb2.ListTasksRequest(workflow="followup"), metadata=tenant()
        )
        assert reply.task.task_id in [t.task_id for t in listed.tasks]


async def test_the_same_client_key_gives_the_same_task(mesh):
    async with running(coordinator(mesh[0])):
        settings, channel = mesh
        first = await submit(channel, "followup", CLEAN, key="meeting-42")
        await wait_status(channel, first.task.task_id, TERMINAL)
        again = await submit(channel, "followup", CLEAN, key="meeting-42")
        assert (again.task.task_id, again.created) == (first.task.task_id, False)
        other_tenant = await submit(channel, "followup", CLEAN, key="meeting-42", who="globex")
        assert other_tenant.task.task_id != first.task.task_id


async def test_an_outside_recipient_is_blocked_and_the_record_compensated(mesh):
    async with running(coordinator(mesh[0])):
        settings, channel = mesh
        reply = await submit(channel, "followup", {**CLEAN, "to": ["ana@acme.com", "pipeline@evil.io"]})
        events = await watch(channel, reply.task.task_id)
        task = await get(channel, reply.task.task_id)
        assert task.status == task_pb2.TASK_STATUS_COMPENSATED
        assert "policy" in task.reason and "pipeline@evil.io" in task.reason
        kinds = [e.kind for e in events]
        assert kinds.index("step.blocked") < kinds.index("step.compensated")
        assert {s.step_id: s.state for s in task.steps} == {
            "record": task_pb2.STEP_STATE_COMPENSATED,
            "send": task_pb2.STEP_STATE_FAILED,
        }


async def test_review_pauses_survives_a_coordinator_restart_and_resumes_on_approval(mesh):
    phone = {**CLEAN, "body": "Call me on +44 20 7946 0958 tomorrow."}
    async with running(coordinator(mesh[0])):
        settings, channel = mesh
        reply = await submit(channel, "followup", phone)
        await wait_status(channel, reply.task.task_id, {task_pb2.TASK_STATUS_AWAITING_REVIEW})
    # The coordinator stopped; a new one must pick the paused task up from its changelog.
    async with running(coordinator(mesh[0])):
        reviews = review_pb2_grpc.ReviewServiceStub(channel)
        pending = (await reviews.ListReviews(review_pb2.ListReviewsRequest(), metadata=tenant())).reviews
        review = next(r for r in pending if r.task_id == reply.task.task_id)
        assert review.step_id == "send" and "pii" in review.watcher
        assert any(s.field == "body" for s in review.spans)
        assert not (await reviews.ListReviews(review_pb2.ListReviewsRequest(), metadata=tenant("globex"))).reviews
        approved = await reviews.ApproveReview(
            review_pb2.ApproveReviewRequest(review_id=review.review_id, comment="ok"), metadata=tenant()
        )
        assert approved.review.decision == review_pb2.REVIEW_DECISION_APPROVED
        task = await wait_status(channel, reply.task.task_id, TERMINAL)
        assert task.status == task_pb2.TASK_STATUS_COMPLETED
        with pytest.raises(grpc.aio.AioRpcError) as twice:
            await reviews.RejectReview(review_pb2.RejectReviewRequest(review_id=review.review_id), metadata=tenant())
        assert twice.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_an_unreachable_watcher_fails_closed(mesh):
    async with running(coordinator(mesh[0])):
        settings, channel = mesh
        reply = await submit(channel, "followup_gone", CLEAN)
        task = await wait_status(channel, reply.task.task_id, TERMINAL)
        assert task.status == task_pb2.TASK_STATUS_COMPENSATED
        assert "gone: unavailable for " in task.reason and "(deadline): last error: UNAVAILABLE" in task.reason


async def test_bad_requests_get_clear_errors_and_tenants_are_isolated(mesh):
    async with running(coordinator(mesh[0])):
        settings, channel = mesh
        stub = task_pb2_grpc.TaskServiceStub(channel)
        cases = [
            (
                stub.SubmitTask(task_pb2.SubmitTaskRequest(), metadata=tenant()),
                grpc.StatusCode.INVALID_ARGUMENT,
                "workflow: is required",
            ),
            (
                stub.SubmitTask(task_pb2.SubmitTaskRequest(workflow="nope"), metadata=tenant()),
                grpc.StatusCode.NOT_FOUND,
                "workflow 'nope' not found",
            ),
            (
                stub.GetTask(task_pb2.GetTaskRequest(), metadata=tenant()),
                grpc.StatusCode.INVALID_ARGUMENT,
                "task_id: is required",
            ),
            (
                stub.GetTask(task_pb2.GetTaskRequest(task_id="missing"), metadata=tenant()),
                grpc.StatusCode.NOT_FOUND,
                "task missing not found",
            ),
            (
                stub.ListTasks(task_pb2.ListTasksRequest(page_token="xyz"), metadata=tenant()),
                grpc.StatusCode.INVALID_ARGUMENT,
                "page_token",
            ),
            (
                stub.ListTasks(task_pb2.ListTasksRequest(status=99), metadata=tenant()),
                grpc.StatusCode.INVALID_ARGUMENT,
                "status: unknown task status 99",
            ),
        ]
        for call, code, message in cases:
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await call
            assert info.value.code() == code and message in info.value.details()
        reply = await submit(channel, "followup", CLEAN)
        task = await wait_status(channel, reply.task.task_id, TERMINAL)
        for call in (
            stub.GetTask(task_pb2.GetTaskRequest(task_id=task.task_id), metadata=tenant("globex")),
            stub.CancelTask(task_pb2.CancelTaskRequest(task_id=task.task_id), metadata=tenant("globex")),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await call
            assert info.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as ended:
            await stub.CancelTask(task_pb2.CancelTaskRequest(task_id=task.task_id), metadata=tenant())
        assert ended.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_a_finished_task_is_forgotten_after_its_retention(mesh):
    settings, channel = mesh
    short = settings.model_copy(update={"coordinator_retention_s": 0.5})
    async with running(coordinator(short)):
        reply = await submit(channel, "followup", CLEAN)
        task = await wait_status(channel, reply.task.task_id, TERMINAL)
        assert task.status == task_pb2.TASK_STATUS_COMPLETED
        # The coordinator deletes it from its table and tombstones tasks.state; the gateway drops it.
        for _ in range(200):
            try:
                await get(channel, reply.task.task_id)
            except grpc.aio.AioRpcError as exc:
                assert exc.code() == grpc.StatusCode.NOT_FOUND
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the finished task was never forgotten")
    # Deleted from the table and its changelog: after a restart, a request with the same task id is
    # a new task (within the retention it would be recognised as a repeat and ignored).
    async with running(coordinator(short)), Client(short) as client:
        await client.submit("followup", CLEAN, task_id=reply.task.task_id)
        again = await wait_status(channel, reply.task.task_id, TERMINAL)
        assert again.status == task_pb2.TASK_STATUS_COMPLETED
        assert (again.created_at.seconds, again.created_at.nanos) > (task.created_at.seconds, task.created_at.nanos)
