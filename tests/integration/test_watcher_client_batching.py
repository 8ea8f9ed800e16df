"""The coordinator's watcher client against the real policy watcher over real gRPC: checks that
queue while calls are in flight leave as one CheckBatch, answers are the same as one call each,
and one bad request in a batch does not fail the others. Watchers are gRPC-only: no broker."""

from __future__ import annotations

import asyncio
import re

import pytest

from lammesh import metrics
from lammesh.coordinator.watchers import WatcherClient
from lammesh.saga import RunChecks, Saga
from lammesh.verdict import Stage, Verdict
from lammesh.workflow import WatcherRef
from lammesh_services.watchers.policy.main import bootstrap as policy
from tests.conftest import make_settings
from tests.support.mesh import running

NO_BROKER = "127.0.0.1:9"
BATCH = "/lammesh.v1.WatcherService/CheckBatch"
SINGLE = "/lammesh.v1.WatcherService/Check"


def calls(method: str, code: str = "OK") -> float:
    return metrics.RPCS.labels(method, code)._value.get()


def checks(to: str, params: dict | None = None, timeout_ms: int = 5000) -> RunChecks:
    ref = WatcherRef(name="policy", params=params if params is not None else {"allowed_domains": ["acme.com"]})
    return RunChecks(
        step_id="send",
        capability="email",
        stage=Stage.INPUT,
        attempt=1,
        watchers=(ref,),
        content={"to": [to], "body": "hello"},
        sources={},
        timeout_ms=timeout_ms,
    )


def saga(n: int) -> Saga:
    return Saga(task_id=f"t{n}", workflow="w", workflow_digest="d", tenant="acme")


@pytest.fixture(scope="module")
async def watcher():
    runtime = policy(make_settings(NO_BROKER))
    async with running(runtime):
        yield f"127.0.0.1:{runtime.grpc.port}"


async def verdicts(client: WatcherClient, recipients: list[str], params: dict | None = None) -> list:
    outcomes = await asyncio.gather(*(client.check(saga(i), checks(to, params)) for i, to in enumerate(recipients)))
    return [outcome[0] for outcome in outcomes]


RECIPIENTS = [f"user{i}@{'acme.com' if i % 3 else 'evil.io'}" for i in range(40)]


async def test_concurrent_checks_share_batch_calls_and_get_the_same_answers(watcher):
    one_by_one = WatcherClient(
        make_settings(NO_BROKER, watcher_endpoints={"policy": watcher}, watcher_client_max_batch=1)
    )
    batching = WatcherClient(
        make_settings(NO_BROKER, watcher_endpoints={"policy": watcher}, watcher_client_max_calls=1)
    )
    try:
        expected = await verdicts(one_by_one, RECIPIENTS)
        batches, singles = calls(BATCH), calls(SINGLE)
        got = await verdicts(batching, RECIPIENTS)
        assert [(o.verdict, o.reasons) for o in got] == [(o.verdict, o.reasons) for o in expected]
        assert [o.verdict for o in got].count(Verdict.BLOCK) == 14
        made = (calls(BATCH) - batches) + (calls(SINGLE) - singles)
        assert 1 <= made < len(RECIPIENTS) / 4  # the first goes alone, the rest queue behind it
        sizes = metrics.WATCHER_CLIENT_BATCH.labels("policy")
        assert sizes._sum.get() >= len(RECIPIENTS)  # every check was counted in a call
    finally:
        await asyncio.gather(one_by_one.close(), batching.close())


async def test_one_invalid_request_fails_alone_and_the_rest_are_answered(watcher):
    client = WatcherClient(make_settings(NO_BROKER, watcher_endpoints={"policy": watcher}, watcher_client_max_calls=1))
    try:
        good = [client.check(saga(i), checks(to)) for i, to in enumerate(RECIPIENTS[:10])]
        bad = client.check(saga(99), checks("x@acme.com", {"allowed_domains": 5}))
        *answers, rejected = await asyncio.gather(*good, bad)
        assert all(a[0].error == "" and a[0].verdict in (Verdict.ALLOW, Verdict.BLOCK) for a in answers)
        assert rejected[0].error.startswith("INVALID_ARGUMENT") and "allowed_domains" in rejected[0].error
    finally:
        await client.close()


async def test_an_unreachable_watcher_is_an_error_outcome_for_every_check():
    client = WatcherClient(make_settings(NO_BROKER, watcher_endpoints={"policy": "127.0.0.1:9"}))
    try:
        outcomes = await asyncio.gather(
            *(client.check(saga(i), checks(to, timeout_ms=1500)) for i, to in enumerate(RECIPIENTS[:6]))
        )
        got = [outcome[0] for outcome in outcomes]
        assert all(
            re.fullmatch(r"unavailable for \d+\.\d s \(deadline\): last error: UNAVAILABLE: .+", o.error) for o in got
        ), [o.error for o in got]
    finally:
        await client.close()
