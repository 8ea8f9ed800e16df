"""The step executor: error classification and idempotent replay (no broker needed)."""

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from lammesh.steps import StepContext, StepHandler, StepIdentity
from lammesh.steps.executor import StepExecutor, validate_command
from lammesh.steps.idempotency import MemoryIdempotencyStore
from lammesh.v1 import step_pb2
from lammesh_services.tools.noop.tool import NoopTool

COUNTING = StepIdentity("counting")
NOOP = StepIdentity("noop")


class Counting(StepHandler):
    """Counts executions, so replays are visible."""

    def __init__(self) -> None:
        self.calls = 0

    async def execute(self, step: StepContext):
        self.calls += 1

        class In(BaseModel):
            amount: int

        value = In.model_validate(step.input)
        if value.amount < 0:
            raise ValueError("boom")
        return {"amount": value.amount, "calls": self.calls}


def command(capability="counting", attempt=1, action=step_pb2.STEP_ACTION_EXECUTE, **fields):
    cmd = step_pb2.StepCommand(task_id="t", step_id="s", attempt=attempt, capability=capability, action=action)
    cmd.input.update(fields)
    return cmd


async def test_success_is_replayed_for_any_later_attempt():
    handler = Counting()
    executor = StepExecutor(handler, MemoryIdempotencyStore(), service="test", identity=COUNTING)
    first = await executor.run(command(amount=5))
    again = await executor.run(command(amount=5))
    retry = await executor.run(command(attempt=2, amount=5))
    assert first.status == step_pb2.STEP_STATUS_SUCCEEDED and not first.replayed
    assert again.replayed and retry.replayed
    assert retry.attempt == 2  # answers the attempt that asked, or the coordinator drops it as stale
    assert handler.calls == 1
    assert again.output == first.output


async def test_failure_is_replayed_only_for_its_own_attempt():
    executor = StepExecutor(NoopTool(), MemoryIdempotencyStore(), service="test", identity=NOOP)
    first = await executor.run(command("noop", attempt=1, fail_times=1))
    redelivered = await executor.run(command("noop", attempt=1, fail_times=1))
    retried = await executor.run(command("noop", attempt=2, fail_times=1))
    assert first.status == step_pb2.STEP_STATUS_FAILED and first.error.retryable
    assert redelivered.replayed and redelivered.status == step_pb2.STEP_STATUS_FAILED
    assert retried.status == step_pb2.STEP_STATUS_SUCCEEDED and not retried.replayed


async def test_invalid_input_is_a_non_retryable_error_naming_the_field():
    result = await StepExecutor(Counting(), MemoryIdempotencyStore(), service="t", identity=COUNTING).run(
        command(amount="lots")
    )
    assert result.status == step_pb2.STEP_STATUS_FAILED
    assert (result.error.code, result.error.field, result.error.retryable) == ("INVALID_INPUT", "amount", False)


async def test_unexpected_exceptions_are_retryable_internal_errors():
    result = await StepExecutor(Counting(), MemoryIdempotencyStore(), service="t", identity=COUNTING).run(
        command(amount=-1)
    )
    assert (result.error.code, result.error.retryable) == ("INTERNAL", True)
    assert "boom" in result.error.message


async def test_deadline_is_enforced():
    cmd = command("noop", delay_ms=2000)
    cmd.deadline.FromDatetime(datetime.now(UTC) + timedelta(milliseconds=50))
    result = await StepExecutor(NoopTool(), MemoryIdempotencyStore(), service="t", identity=NOOP).run(cmd)
    assert (result.error.code, result.error.retryable) == ("DEADLINE_EXCEEDED", True)


async def test_a_past_deadline_fails_without_running():
    handler = Counting()
    cmd = command(amount=1)
    cmd.deadline.FromDatetime(datetime.now(UTC) - timedelta(seconds=1))
    result = await StepExecutor(handler, MemoryIdempotencyStore(), service="t", identity=COUNTING).run(cmd)
    assert result.error.code == "DEADLINE_EXCEEDED" and handler.calls == 0


def test_validate_command_names_the_field():
    assert validate_command(command(), "counting") is None
    missing = step_pb2.StepCommand(step_id="s", action=step_pb2.STEP_ACTION_EXECUTE)
    assert validate_command(missing, "counting").field == "task_id"
    assert validate_command(command(action=0), "counting").field == "action"
    assert validate_command(command(capability="crm"), "counting").field == "capability"


async def test_store_is_bounded():
    store = MemoryIdempotencyStore(capacity=2)
    for key in "abc":
        await store.put(key, step_pb2.StepResult(step_id=key))
    assert await store.get("a") is None
    assert (await store.get("c")).step_id == "c"


async def test_every_run_is_audited_with_its_caller_path_and_idempotency_key_replays_included():
    from structlog.testing import capture_logs

    executor = StepExecutor(Counting(), MemoryIdempotencyStore(), service="test", identity=COUNTING)
    with capture_logs() as logs:
        await executor.run(command(amount=5), caller="coordinator", via="kafka")
        await executor.run(command(attempt=2, amount=5), caller="coordinator", via="grpc")
        await StepExecutor(NoopTool(), MemoryIdempotencyStore(), service="test", identity=NOOP).run(
            command("noop", fail_times=1), caller=None, via="grpc"
        )
    audited = [
        (e["outcome"], e["caller"], e["via"], e["idempotency_key"], e["attempt"]) for e in logs if e["event"] == "audit"
    ]
    key = f"t/s/{step_pb2.STEP_ACTION_EXECUTE}"
    assert audited == [
        ("succeeded", "coordinator", "kafka", key, 1),
        ("replayed", "coordinator", "grpc", key, 2),
        ("failed", "unknown", "grpc", key, 1),
    ]
