"""Hot swap without downtime, on the real broker and real gRPC: the injection watcher service
follows lammesh.models while checks run at load; a new version is published, put in canary
(shadow checks exported), promoted and rolled back. No check fails, and the ModelRef of the
verdicts switches to the new version after the promote and back after the rollback. Latency is
recorded (printed), not asserted."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import grpc
import numpy as np
import pytest

from lammesh.metrics import SHADOW_CHECKS
from lammesh.modelregistry import service
from lammesh.modelregistry.domain import Status
from lammesh.models.artifacts import injection_artifacts
from lammesh.v1 import watcher_pb2_grpc
from lammesh.watchers import build_watcher_service, check_request
from lammesh_services.watchers.injection.watcher import InjectionWatcher
from tests.conftest import make_settings
from tests.support.mesh import running

pytestmark = pytest.mark.kafka

MEETING = "Hi team, the quarterly planning meeting moved to Tuesday 10:00 in room 4. Bring the budget draft."


def same_weights_new_content(folder: Path) -> Path:
    """The shipped head with one more (unused) field: a new sha256, the same verdicts."""
    folder.mkdir(parents=True)
    with np.load(injection_artifacts().head, allow_pickle=False) as data:
        np.savez(folder / "head.npz", **{key: data[key] for key in data.files}, patch_note=np.array("hot swap test"))
    (folder / "metrics.json").write_text(json.dumps({"heldout": {"roc_auc": 0.0}}))
    return folder


async def test_checks_at_load_never_fail_through_canary_promote_and_rollback(kafka_bootstrap, tmp_path):
    settings = make_settings(
        kafka_bootstrap,
        models_registry_dir=tmp_path / "registry",
        models_follow_registry=True,
        models_shadow_share=1.0,
        encoder_threads=1,
    )
    shipped = await service.publish(settings, injection_artifacts().directory, name="injection")
    await service.promote(settings, "injection", shipped.version.version, to=Status.ACTIVE)

    seen: list[str] = []  # the model version of every reply, in the order they came back
    latencies: dict[str, list[float]] = {"before": [], "during": [], "after": []}
    phase = "before"
    errors: list[BaseException] = []
    stop = asyncio.Event()

    async def client(stub: watcher_pb2_grpc.WatcherServiceStub) -> None:
        request = check_request(content={"body": MEETING}, stage="input")
        while not stop.is_set():
            started = time.perf_counter()
            try:
                reply = await stub.Check(request, timeout=60)
            except grpc.aio.AioRpcError as error:
                errors.append(error)
                continue
            latencies[phase].append(time.perf_counter() - started)
            seen.append(reply.model.version)

    async def until_served(version: str) -> None:
        mark = len(seen)
        while version not in seen[mark:]:
            await asyncio.sleep(0.05)

    watcher = InjectionWatcher(settings)
    runtime = build_watcher_service(watcher, settings)  # what `lammesh run injection` builds
    async with running(runtime), grpc.aio.insecure_channel(f"127.0.0.1:{runtime.grpc.port}") as channel:
        stub = watcher_pb2_grpc.WatcherServiceStub(channel)
        clients = [asyncio.create_task(client(stub)) for _ in range(4)]
        await until_served("1")
        while len(latencies["before"]) < 40:
            await asyncio.sleep(0.05)

        phase = "during"
        new = await service.publish(
            settings,
            same_weights_new_content(tmp_path / "patched"),
            name="injection",
            add={"encoder": injection_artifacts().encoder.directory},
            note="hot swap test",
        )
        assert new.version.version == "2"
        shadowed_before = SHADOW_CHECKS.labels("injection", "2", "agree")._value.get()
        await service.promote(settings, "injection", "2")  # canary: scored in shadow, not served
        while SHADOW_CHECKS.labels("injection", "2", "agree")._value.get() == shadowed_before:
            await asyncio.sleep(0.05)
        assert seen[-1] == "1"
        await service.promote(settings, "injection", "2")  # active: swapped in
        await until_served("2")
        await service.rollback(settings, "injection")  # back to 1
        await until_served("1")

        phase = "after"
        while len(latencies["after"]) < 40:
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.gather(*clients)

    assert errors == []
    assert len({id(encoder) for encoder in watcher._encoders.values()}) == 1  # head-only patch: encoder reused
    switches = [version for i, version in enumerate(seen) if i == 0 or seen[i - 1] != version]
    assert switches == ["1", "2", "1"]  # swapped once on promote, once on rollback, never flapping
    for name, values in latencies.items():
        values.sort()
        print(
            f"hot swap {name}: {len(values)} checks, p50 {values[len(values) // 2] * 1000:.1f} ms, "
            f"p99 {values[int(len(values) * 0.99)] * 1000:.1f} ms"
        )


async def test_the_insights_agent_swaps_its_heads_on_promote_and_back_on_rollback(kafka_bootstrap, tmp_path):
    """The same follower serves agent models: the insights heads (model "insights")."""
    import shutil

    from lammesh_services.agents.insights.agent import InsightsAgent
    from lammesh_services.agents.insights.train import heads_dir

    settings = make_settings(kafka_bootstrap, models_registry_dir=tmp_path / "registry", models_follow_registry=True)
    shipped = await service.publish(settings, heads_dir(None), name="insights")
    await service.promote(settings, "insights", shipped.version.version, to=Status.ACTIVE)
    agent = InsightsAgent(settings, embed=lambda texts: np.zeros((len(texts), 4), dtype=np.float32))
    await agent.start()
    try:
        assert agent.heads.current().ref.version == "1"  # the built heads are version 1: relabelled
        patched = tmp_path / "insights-2"
        shutil.copytree(heads_dir(None), patched)
        with np.load(patched / "stage.npz", allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
        np.savez(patched / "stage.npz", **arrays, patch_note=np.array("hot swap test"))
        await service.publish(settings, patched, name="insights")
        await service.promote(settings, "insights", "2")
        await service.promote(settings, "insights", "2")
        while agent.heads.current().ref.version != "2":
            await asyncio.sleep(0.05)
        await service.rollback(settings, "insights")
        while agent.heads.current().ref.version != "1":
            await asyncio.sleep(0.05)
        assert agent.follower.failed == {}
    finally:
        await agent._reader.stop()
