"""The step SDK: typed input/output models validated at the edge, the durable idempotency store."""

from __future__ import annotations

from pydantic import BaseModel, Field

from lammesh.steps import StepContext, StepHandler, StepIdentity
from lammesh.steps.executor import StepExecutor
from lammesh.steps.idempotency import MemoryIdempotencyStore, SqliteIdempotencyStore
from lammesh.v1 import step_pb2

GREETER = StepIdentity("greeter")


class Greeter(StepHandler):
    side_effects = True

    class Input(BaseModel):
        name: str = Field(min_length=1)
        times: int = Field(1, ge=1, le=3)

    class Output(BaseModel):
        greeting: str

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def execute(self, step: StepContext):
        data: Greeter.Input = step.data
        text = " ".join([f"hello {data.name}"] * data.times)
        self.sent.append(text)
        if data.name == "bad-output":
            return {"greting": text}
        return self.Output(greeting=text)


def command(attempt=1, action=step_pb2.STEP_ACTION_EXECUTE, **fields):
    cmd = step_pb2.StepCommand(task_id="t", step_id="s", attempt=attempt, capability="greeter", action=action)
    cmd.input.update(fields)
    return cmd


async def test_typed_input_reaches_the_handler_and_output_is_json():
    handler = Greeter()
    result = await StepExecutor(handler, MemoryIdempotencyStore(), service="t", identity=GREETER).run(
        command(name="ana", times=2)
    )
    assert result.status == step_pb2.STEP_STATUS_SUCCEEDED
    assert dict(result.output) == {"greeting": "hello ana hello ana"}


async def test_bad_input_is_a_non_retryable_error_naming_the_field():
    handler = Greeter()
    result = await StepExecutor(handler, MemoryIdempotencyStore(), service="t", identity=GREETER).run(
        command(name="ana", times=7)
    )
    assert result.status == step_pb2.STEP_STATUS_FAILED
    assert result.error.code == "INVALID_INPUT"
    assert result.error.field == "input.times"
    assert not result.error.retryable
    assert handler.sent == []  # never reached the handler


async def test_missing_input_field_is_named():
    result = await StepExecutor(Greeter(), MemoryIdempotencyStore(), service="t", identity=GREETER).run(
        command(times=1)
    )
    assert (result.error.code, result.error.field) == ("INVALID_INPUT", "input.name")


async def test_output_not_matching_the_output_model_fails_the_step():
    result = await StepExecutor(Greeter(), MemoryIdempotencyStore(), service="t", identity=GREETER).run(
        command(name="bad-output")
    )
    assert result.error.code == "INVALID_OUTPUT"
    assert result.error.field == "output.greeting"


async def test_sqlite_store_dedupes_across_restarts(tmp_path):
    path = tmp_path / "state" / "idem.sqlite3"
    first_handler = Greeter()
    store = SqliteIdempotencyStore(path)
    await StepExecutor(first_handler, store, service="t", identity=GREETER).run(command(name="bo"))
    store.close()

    restarted_handler = Greeter()  # a new process: nothing in memory
    reopened = SqliteIdempotencyStore(path)
    again = await StepExecutor(restarted_handler, reopened, service="t", identity=GREETER).run(
        command(attempt=2, name="bo")
    )
    reopened.close()
    assert first_handler.sent == ["hello bo"]
    assert restarted_handler.sent == []  # the side effect was not repeated
    assert again.replayed and dict(again.output) == {"greeting": "hello bo"}
