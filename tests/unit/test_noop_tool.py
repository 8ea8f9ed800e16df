import pytest

from lammesh.steps import StepContext, StepFailure
from lammesh_services.tools.noop.tool import NoopTool


def ctx(attempt=1, **fields):
    return StepContext(task_id="t", step_id="s", attempt=attempt, capability="noop", input=fields)


async def test_echoes_its_input():
    assert await NoopTool().execute(ctx(a=1, b={"c": [1, 2]})) == {"a": 1, "b": {"c": [1, 2]}}


async def test_fails_the_first_n_attempts_then_succeeds():
    tool = NoopTool()
    for attempt in (1, 2):
        with pytest.raises(StepFailure) as info:
            await tool.execute(ctx(attempt, fail_times=2))
        assert info.value.retryable
    assert await tool.execute(ctx(3, fail_times=2)) == {"fail_times": 2}


async def test_non_retryable_failure_on_request():
    with pytest.raises(StepFailure) as info:
        await NoopTool().execute(ctx(fail=True, retryable=False))
    assert not info.value.retryable and info.value.code == "INJECTED_FAILURE"


async def test_compensation_can_be_made_to_fail():
    tool = NoopTool()
    with pytest.raises(StepFailure):
        await tool.compensate(ctx(1, fail_compensation_times=1))
    assert await tool.compensate(ctx(2, fail_compensation_times=1)) == {"compensated": True}


async def test_faults_can_be_steered_per_step_id():
    tool = NoopTool()
    task_input = {"faults": {"s4": {"fail": True, "retryable": False}}, "payload": 1}
    assert (await tool.execute(StepContext("t", "s3", 1, "noop", task_input)))["payload"] == 1
    with pytest.raises(StepFailure) as info:
        await tool.execute(StepContext("t", "s4", 1, "noop", task_input))
    assert not info.value.retryable
