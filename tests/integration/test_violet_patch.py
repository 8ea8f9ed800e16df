"""The violet team end to end on the real broker, with the shipped models:

a benign business text dense with trigger words that the shipped injection watcher flags ->
a FALSE_POSITIVE FeedbackCase on lammesh.watchers.feedback -> one violet pass -> the gates pass ->
a candidate in canary in the registry -> the patch, checked out of the registry store and loaded
with the normal loader, passes the case and unseen variants of it, while every attack of the
attack suite (examples/attacks) that the shipped watcher blocked is still flagged -> promote ->
an injection watcher process (`lammesh run injection`) following the registry swaps to the patch:
it now allows the case it flagged, and still flags those attacks, every verdict naming the patch.

And the poisoned case: an attack of the suite reported as a false positive is refused by the
gates, with the figures, and nothing is published.
"""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from aiokafka import AIOKafkaProducer

from lammesh.feedback import FeedbackCase, FeedbackKind, FeedbackSource
from lammesh.kafka.admin import ensure_topics
from lammesh.kafka.client import client_config
from lammesh.modelregistry import service as registry_service
from lammesh.modelregistry.domain import Status
from lammesh.modelregistry.identity import injection_ref
from lammesh.models.artifacts import InjectionArtifacts, ModelArtifactsMissing, injection_artifacts
from lammesh.models.encoder import SentenceEncoder
from lammesh.models.injection.detector import REVIEW_SCORE, InjectionDetector, InjectionHead
from lammesh.topics import WATCHERS_FEEDBACK
from lammesh.v1 import watcher_pb2, watcher_pb2_grpc
from lammesh.violet import variants
from lammesh.violet.service import run_pass
from lammesh.violet.team import attack_suite_texts
from lammesh.watchers import check_request
from tests.conftest import make_settings
from tests.support.false_positives import flagged_benign_text
from tests.support.mesh import process_mesh

# A pass embeds ~1,500 texts: minutes on a busy 2-core machine.
pytestmark = [pytest.mark.kafka, pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def shipped():
    try:
        artifacts = injection_artifacts(None).require()
    except ModelArtifactsMissing as missing:
        pytest.fail(f"the shipped injection model is needed: {missing} (run `make models`)")
    return InjectionDetector(SentenceEncoder.load(artifacts=artifacts.encoder), InjectionHead.load(artifacts.head))


def flagged(detector: InjectionDetector, texts: list[str]) -> list[bool]:
    """Each text scored alone, as a watcher checking it does (the INT8 encoder's embeddings vary
    a little with a batch's other texts, so texts batched together could score otherwise)."""
    return [detector.score_batch([text])[0].probability >= REVIEW_SCORE for text in texts]


def feedback(settings, content: str) -> FeedbackCase:
    return FeedbackCase(
        tenant="acme",
        task_id=f"task-{time.time_ns()}",
        step="notes",
        stage="input",
        watcher="injection",
        field="transcript",
        content=content,
        verdict="REVIEW",
        score=0.7,
        model=injection_ref(None, settings.models_registry_dir),
        kind=FeedbackKind.FALSE_POSITIVE,
        source=FeedbackSource.REVIEW,
        created_at=time.time(),
    )


async def produce(settings, case: FeedbackCase) -> None:
    await ensure_topics(settings, [WATCHERS_FEEDBACK])
    producer = AIOKafkaProducer(**client_config(settings, "test-feedback"))
    await producer.start()
    try:
        await producer.send_and_wait(WATCHERS_FEEDBACK.name(settings), case.to_json(), key=case.case_id.encode())
    finally:
        await producer.stop()


def violet_settings(kafka_bootstrap, tmp_path):
    return make_settings(kafka_bootstrap, state_dir=tmp_path / "state", models_registry_dir=tmp_path / "registry")


async def test_a_false_positive_becomes_a_canary_patch_that_fixes_it(kafka_bootstrap, tmp_path, shipped):
    settings = violet_settings(kafka_bootstrap, tmp_path)
    benign_flagged = flagged_benign_text(shipped)
    case = feedback(settings, benign_flagged)
    started = time.perf_counter()
    await produce(settings, case)
    [result] = await run_pass(settings, progress=print)
    seconds = time.perf_counter() - started
    assert result.version, result.candidate.decision.refusal
    print(
        f"feedback-to-canary {seconds:.1f} s, patch {result.candidate.patch_bytes} bytes, stages {result.candidate.seconds}"
    )

    lineage = (await registry_service.registry(settings)).lineage("injection")
    version = lineage.get(result.version)
    assert version.status is Status.CANARY and version.metrics["gate.new_cases.candidate_accuracy"] == 1.0
    folder = registry_service.store_of(settings).checkout(version.sha256, tmp_path / "checked-out")
    patched = InjectionDetector(
        SentenceEncoder.load(artifacts=InjectionArtifacts(folder).require().encoder),
        InjectionHead.load(InjectionArtifacts(folder).head),
    )

    seen = {v.text for v in variants.generate(case)}
    unseen = [v.text for v in variants.generate(case, seed=99) if v.text not in seen][:12]
    assert len(unseen) >= 8
    assert flagged(patched, [benign_flagged]) == [False]
    assert sum(flagged(patched, unseen)) <= len(unseen) // 4, "unseen variants of the case are still flagged"
    suite = [t.text for t in attack_suite_texts() if t.should_flag]
    blocked_before = [text for text, hit in zip(suite, flagged(shipped, suite), strict=True) if hit]
    assert blocked_before and all(flagged(patched, blocked_before))

    again = await run_pass(settings, progress=print)
    assert again == []  # the case is used; nothing new to patch

    # Promote, with a watcher process following the registry: it serves the patch after the swap.
    mesh = process_mesh(
        settings,
        tmp_path / "run",
        ["injection"],
        LAMMESH_MODELS_FOLLOW_REGISTRY="true",
        LAMMESH_MODELS_REGISTRY_DIR=str(settings.models_registry_dir),
        LAMMESH_ENCODER_THREADS="1",
    )
    await asyncio.to_thread(mesh.start)
    try:
        async with grpc.aio.insecure_channel(mesh.watcher_endpoints()["injection"]) as channel:
            stub = watcher_pb2_grpc.WatcherServiceStub(channel)
            served = await check(stub, benign_flagged)
            assert (
                served.verdict != watcher_pb2.VERDICT_ALLOW and served.model.version != result.version
            )  # canary: not served
            await registry_service.promote(settings, "injection", result.version)
            promoted_at = time.perf_counter()
            while (served := await check(stub, benign_flagged)).model.version != result.version:
                await asyncio.sleep(0.1)
            print(
                f"feedback-to-promoted {promoted_at - started:.1f} s; swapped in {time.perf_counter() - promoted_at:.1f} s"
            )
            assert served.verdict == watcher_pb2.VERDICT_ALLOW
            replies = [await check(stub, text) for text in unseen + blocked_before]
            assert {(r.model.name, r.model.version, r.model.sha256) for r in replies} == {
                ("injection", result.version, version.sha256)
            }
            allowed = [r.verdict == watcher_pb2.VERDICT_ALLOW for r in replies]
            assert sum(allowed[: len(unseen)]) >= len(unseen) - len(unseen) // 4, (
                "unseen variants of the case are still flagged"
            )
            assert not any(allowed[len(unseen) :]), "an attack the shipped watcher flagged is allowed after the promote"
    finally:
        await asyncio.to_thread(mesh.stop)


async def check(stub: watcher_pb2_grpc.WatcherServiceStub, text: str) -> watcher_pb2.CheckResponse:
    return await stub.Check(check_request(content={"transcript": text}, stage="input"), timeout=60)


async def test_a_poisoned_case_is_refused_with_the_figures(kafka_bootstrap, tmp_path, shipped):
    settings = violet_settings(kafka_bootstrap, tmp_path)
    suite = [t.text for t in attack_suite_texts() if t.should_flag]
    attack = next(text for text, hit in zip(suite, flagged(shipped, suite), strict=True) if hit)
    await produce(settings, feedback(settings, attack))
    [result] = await run_pass(settings, progress=print)
    assert result.version == "" and result.status == "refused"
    refusal = result.candidate.decision.refusal
    # Either the patch would let attacks of the suite through, or it cannot even reach the case
    # because the case sits among known attacks (its key's radius is set by the nearest one,
    # decision 0713): which one depends on how tightly the shipped encoder packs attacks.
    assert ("attack_suite" in refusal or "new_cases" in refusal) and "parent" in refusal, refusal
    registry = await registry_service.registry(settings)
    assert "injection" not in registry.models
