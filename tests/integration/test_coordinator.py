"""The saga coordinator against the real broker, with the real noop tool doing the steps."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from lammesh.coordinator.reconciler import RequestReconciler
from lammesh.coordinator.worker import CoordinatorWorker
from lammesh.topics import COORDINATOR_CHANGELOG
from lammesh.v1 import step_pb2, task_pb2
from lammesh_services.coordinator.main import bootstrap as coordinator
from tests.conftest import make_settings
from tests.support.kafka import payloads, read_records, wait_until
from tests.support.mesh import Client, running, write_workflow
from tests.support.services import noop

pytestmark = pytest.mark.kafka

PARALLEL = """
name: parallel
steps:
  - {id: a, uses: noop, input: {n: "${input.n}"}, compensate: {}}
  - {id: b, uses: noop, input: {from_a: "${steps.a.output.n}", faults: "${input.faults ?? {}}"}, compensate: {}}
  - {id: c, uses: noop, input: {from_a: "${steps.a.output.n}", faults: "${input.faults ?? {}}"}, compensate: {}}
  - id: d
    uses: noop
    input: {b: "${steps.b.output.from_a}", c: "${steps.c.output.from_a}", faults: "${input.faults ?? {}}"}
    retry: {max_attempts: 3, backoff_s: 0.05}
    timeout_s: 2
"""


@pytest.fixture(scope="module")
def settings(kafka_bootstrap, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("coordinator")
    write_workflow(tmp_path / "workflows", PARALLEL)
    return make_settings(
        kafka_bootstrap,
        workflows_dir=tmp_path / "workflows",
        timer_interval_s=0.02,
        timer_recovery_grace_s=0,
        coordinator_data_dir=tmp_path / "coordinator",
    )


@pytest.fixture(scope="module")
async def mesh(settings):
    async with running(noop(settings), coordinator(settings)), Client(settings) as client:
        yield client


async def test_a_workflow_runs_in_dependency_order_with_parallel_branches(settings, mesh):
    task_id = await mesh.submit("parallel", {"n": 7})
    task = await mesh.wait_for(task_id)
    assert task.status == task_pb2.TASK_STATUS_COMPLETED
    outputs = {s.step_id: dict(s.output) for s in task.steps}
    assert outputs["d"]["b"] == 7 and outputs["d"]["c"] == 7
    kinds = mesh.kinds(task_id)
    assert kinds[0] == "task.started" and kinds[-1] == "task.completed"
    order = [e.step_id for e in mesh.events[task_id] if e.kind == "step.dispatched"]
    assert order[0] == "a" and set(order[1:3]) == {"b", "c"} and order[3] == "d"
    assert [e.sequence for e in mesh.events[task_id]] == list(range(1, len(kinds) + 1))


async def test_retryable_failures_are_retried_then_succeed(settings, mesh):
    task_id = await mesh.submit("parallel", {"n": 1, "faults": {"d": {"fail_times": 2}}})
    task = await mesh.wait_for(task_id)
    assert task.status == task_pb2.TASK_STATUS_COMPLETED
    assert {s.step_id: s.attempt for s in task.steps}["d"] == 3
    assert mesh.kinds(task_id).count("step.retry_scheduled") == 2


async def test_a_failed_step_compensates_the_others_in_reverse_order(settings, mesh):
    task_id = await mesh.submit("parallel", {"n": 1, "faults": {"d": {"fail": True, "retryable": False}}})
    task = await mesh.wait_for(task_id)
    assert task.status == task_pb2.TASK_STATUS_COMPENSATED
    assert "step d failed" in task.reason
    events = mesh.events[task_id]
    completed = [e.step_id for e in events if e.kind == "step.succeeded"]
    compensated = [e.step_id for e in events if e.kind == "step.compensating"]
    assert compensated == list(reversed(completed))  # a, then b/c in whatever order they finished
    states = {s.step_id: s.state for s in task.steps}
    assert states == {
        "a": task_pb2.STEP_STATE_COMPENSATED,
        "b": task_pb2.STEP_STATE_COMPENSATED,
        "c": task_pb2.STEP_STATE_COMPENSATED,
        "d": task_pb2.STEP_STATE_FAILED,
    }


async def test_compensation_failure_ends_failed_naming_the_step(settings, mesh):
    faults = {"d": {"fail": True, "retryable": False}, "b": {"fail_compensation": True}}
    task_id = await mesh.submit("parallel", {"n": 1, "faults": faults})
    task = await mesh.wait_for(task_id, timeout=90)
    assert task.status == task_pb2.TASK_STATUS_FAILED
    assert list(task.needs_attention) == ["b"]
    assert "compensation failed for b" in task.reason
    assert mesh.kinds(task_id).count("step.compensation_retry_scheduled") == 4


async def test_a_slow_step_gives_up_at_its_deadline_and_is_retried(settings, mesh):
    task_id = await mesh.submit("parallel", {"n": 1, "faults": {"d": {"delay_ms": 5000}}})
    task = await mesh.wait_for(task_id, timeout=90)
    assert task.status == task_pb2.TASK_STATUS_COMPENSATED
    # The service gives up at the deadline it was sent and the coordinator's timer fires at that same
    # moment: whichever reports first, the step failed for its deadline, three times.
    assert "(after 3 attempts)" in task.reason
    assert "DEADLINE_EXCEEDED" in task.reason or "timed out after 2s" in task.reason


async def test_a_slow_step_holds_up_only_its_own_task(settings, mesh):
    # One task's step b sleeps; other tasks on the same capability (noop, every step) go on.
    slow = await mesh.submit("parallel", {"n": 0, "faults": {"b": {"delay_ms": 20_000}}})
    others = [await mesh.submit("parallel", {"n": n}) for n in range(1, 6)]
    for task_id in others:
        assert (await mesh.wait_for(task_id)).status == task_pb2.TASK_STATUS_COMPLETED
    assert mesh.state[slow].status == task_pb2.TASK_STATUS_RUNNING  # still in its slow step
    assert (await mesh.wait_for(slow, timeout=90)).status == task_pb2.TASK_STATUS_COMPLETED


UNANSWERED = """
name: unanswered
steps:
  - {id: only, uses: noop, timeout_s: 0.5, retry: {max_attempts: 2, backoff_s: 0}}
"""


async def test_timers_fire_when_no_answer_ever_comes(kafka_bootstrap, tmp_path):
    # No noop service runs: only the coordinator's own timers can move this task.
    write_workflow(tmp_path / "workflows", UNANSWERED)
    quiet = make_settings(
        kafka_bootstrap,
        workflows_dir=tmp_path / "workflows",
        timer_interval_s=0.02,
        timer_recovery_grace_s=0,
        coordinator_data_dir=tmp_path / "coordinator",
    )
    async with running(coordinator(quiet)), Client(quiet) as client:
        task_id = await client.submit("unanswered", {})
        task = await client.wait_for(task_id, timeout=60)
    assert task.status == task_pb2.TASK_STATUS_COMPENSATED
    assert task.reason == "step only failed: timed out after 0.5s (after 2 attempts)"
    assert client.kinds(task_id).count("step.dispatched") == 2


async def test_every_consumer_of_the_coordinator_fetches_with_the_configured_wait(kafka_bootstrap, tmp_path):
    # Faust's driver fixes its consumer's fetch wait at 1.5 s; a partition behind its records then
    # waits that long for its next fetch while the broker holds one for the quiet partitions.
    write_workflow(tmp_path / "workflows", UNANSWERED)
    tuned = make_settings(
        kafka_bootstrap,
        workflows_dir=tmp_path / "workflows",
        coordinator_data_dir=tmp_path / "coordinator",
        consumer_fetch_max_wait_ms=77,
    )
    runtime = coordinator(tuned)
    async with running(runtime):
        worker, reconciler = runtime.consumers
        assert isinstance(worker, CoordinatorWorker) and isinstance(reconciler, RequestReconciler)

        async def faust_fetcher_built() -> bool:
            consumer = worker.app.consumer._thread._consumer
            return consumer is not None and getattr(consumer, "_fetcher", None) is not None

        await wait_until(faust_fetcher_built, timeout=30)
        assert worker.app.consumer._thread._consumer._fetcher._fetch_max_wait_ms == 77
        assert reconciler._consumer._fetcher._fetch_max_wait_ms == 77


async def test_cancel_compensates_what_was_done(settings, mesh):
    task_id = await mesh.submit("parallel", {"n": 1, "faults": {"b": {"delay_ms": 1500}, "c": {"delay_ms": 1500}}})
    await mesh.wait_for(task_id, {task_pb2.TASK_STATUS_RUNNING})
    while "step.succeeded" not in mesh.kinds(task_id):
        await __import__("asyncio").sleep(0.05)
    await mesh.cancel(task_id, "customer withdrew")
    task = await mesh.wait_for(task_id)
    assert task.status == task_pb2.TASK_STATUS_COMPENSATED
    assert task.reason == "cancelled: customer withdrew"
    assert {s.step_id: s.state for s in task.steps}["d"] == task_pb2.STEP_STATE_SKIPPED


async def test_unknown_workflow_is_rejected_visibly(settings, mesh):
    task_id = await mesh.submit("nope", {})
    task = await mesh.wait_for(task_id)
    assert task.status == task_pb2.TASK_STATUS_FAILED and "unknown workflow 'nope'" in task.reason
    assert mesh.kinds(task_id) == ["task.rejected"]


async def test_the_same_request_twice_runs_once(settings, mesh):
    task_id = await mesh.submit("parallel", {"n": 2})
    await mesh.submit("parallel", {"n": 2}, task_id=task_id)
    await mesh.wait_for(task_id)
    commands = payloads(
        await read_records(settings, f"{settings.topic_prefix}.steps.noop", count=4, quiet_for=1.0),
        step_pb2.StepCommand,
    )
    assert sorted(c.step_id for c in commands if c.task_id == task_id) == ["a", "b", "c", "d"]
    assert mesh.kinds(task_id).count("task.started") == 1


async def test_bad_records_go_to_the_dlq_and_the_coordinator_keeps_going(settings, mesh):
    from lammesh.kafka.deadletters import DLQ_CONSUMER_GROUP, DLQ_REASON
    from lammesh.topics import DLQ, STEPS_RESULTS, TASKS_REQUESTED
    from tests.support.kafka import header

    await mesh.producer.send_raw(TASKS_REQUESTED.name(settings), b"\x07not protobuf", key=b"x")
    await mesh.producer.send(
        STEPS_RESULTS.name(settings), step_pb2.StepResult(task_id="ghost", step_id="a", attempt=1), task_id="ghost"
    )
    await mesh.producer.confirm()
    task_id = await mesh.submit("parallel", {"n": 3})
    assert (await mesh.wait_for(task_id)).status == task_pb2.TASK_STATUS_COMPLETED
    dead = await read_records(settings, DLQ.name(settings), count=2)
    reasons = {
        header(r, DLQ_REASON) for r in dead if header(r, DLQ_CONSUMER_GROUP) == f"{settings.topic_prefix}-coordinator"
    }
    assert any(r.startswith("not a protobuf Envelope") for r in reasons), reasons
    assert "lammesh.v1.StepResult for unknown task ghost" in reasons


async def test_a_timer_set_before_a_restart_fires_after_it(kafka_bootstrap, tmp_path):
    # Nothing answers the step: only its deadline, stored in the saga, can move the task on.
    write_workflow(tmp_path / "workflows", UNANSWERED)
    quiet = make_settings(
        kafka_bootstrap,
        workflows_dir=tmp_path / "workflows",
        timer_interval_s=0.02,
        timer_recovery_grace_s=0,
        coordinator_data_dir=tmp_path / "coordinator",
    )
    first = coordinator(quiet)
    async with running(first):
        async with Client(quiet) as client:
            task_id = await client.submit("unanswered", {})
            await client.wait_for(task_id, {task_pb2.TASK_STATUS_RUNNING})
    await __import__("asyncio").sleep(1.0)  # the deadline passes while no coordinator runs
    async with running(coordinator(quiet)), Client(quiet) as client:
        task = await client.wait_for(task_id, timeout=60)
    assert task.status == task_pb2.TASK_STATUS_COMPENSATED
    assert task.reason == "step only failed: timed out after 0.5s (after 2 attempts)"


async def test_a_local_table_ahead_of_its_changelog_fails_one_start_then_is_rebuilt(kafka_bootstrap, tmp_path):
    """As after a Kafka cluster is rebuilt empty under a coordinator that keeps its volume."""
    write_workflow(tmp_path / "workflows", PARALLEL)
    own = make_settings(
        kafka_bootstrap,
        workflows_dir=tmp_path / "workflows",
        timer_interval_s=0.02,
        timer_recovery_grace_s=0,
        coordinator_data_dir=tmp_path / "coordinator",
    )
    async with running(noop(own), coordinator(own)), Client(own) as client:
        assert (
            await client.wait_for(await client.submit("parallel", {"n": 1}))
        ).status == task_pb2.TASK_STATUS_COMPLETED
    tables = list((tmp_path / "coordinator").rglob("*.db"))
    assert tables
    changelog = COORDINATOR_CHANGELOG.name(own)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([changelog])
        for _ in range(100):
            if changelog not in await admin.list_topics():
                break
            await asyncio.sleep(0.1)
    finally:
        await admin.close()
    failing = coordinator(own)
    with pytest.raises(RuntimeError, match="ConsistencyError"):
        await failing.start()  # fails (it does not hang unready) and deletes the stale files
    assert not any((tmp_path / "coordinator").rglob("*.db"))
    async with running(noop(own), coordinator(own)), Client(own) as client:
        task = await client.wait_for(await client.submit("parallel", {"n": 2}))
        assert task.status == task_pb2.TASK_STATUS_COMPLETED
