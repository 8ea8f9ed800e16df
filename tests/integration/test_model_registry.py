"""The model registry on the real broker: publish / list / promote / rollback through the compacted
lammesh.models topic (transactions, fencing, bad records), the `lammesh models` CLI as a user runs
it, and every verdict pinned: a check result and the task events and review of a real task name
the registry version and sha256 of the model that gave them."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from aiokafka.errors import KafkaError
from google.protobuf import json_format

from lammesh.kafka import EnvelopeProducer
from lammesh.kafka.deadletters import DLQ_REASON
from lammesh.modelregistry import service
from lammesh.modelregistry.domain import IllegalTransition, ModelRef, Status
from lammesh.modelregistry.identity import injection_ref
from lammesh.modelregistry.topic import RegistryWriter, read_models
from lammesh.models.artifacts import encoder_artifacts, injection_artifacts
from lammesh.topics import DLQ, MODELS
from lammesh.v1 import task_pb2, watcher_pb2, watcher_pb2_grpc
from lammesh.watchers import check_request
from lammesh.watchers.servicer import VERDICTS
from lammesh_services.coordinator.main import bootstrap as coordinator
from lammesh_services.watchers.grounding.main import bootstrap as grounding
from lammesh_services.watchers.pii.main import bootstrap as pii
from tests.conftest import make_settings
from tests.support.kafka import header, read_records
from tests.support.mesh import Client, running, write_workflow
from tests.support.services import noop

pytestmark = pytest.mark.kafka

ROOT = Path(__file__).resolve().parents[2]


def tiny_model(folder: Path, head: bytes, auc: float) -> Path:
    folder.mkdir(parents=True)
    (folder / "head.npz").write_bytes(head)
    (folder / "metrics.json").write_text(json.dumps({"heldout": {"roc_auc": auc, "templates": ["t1"]}}))
    return folder


@pytest.fixture
def registry_settings(kafka_bootstrap, tmp_path):
    return make_settings(kafka_bootstrap, models_registry_dir=tmp_path / "registry")


async def test_publish_promote_and_rollback_are_announced_on_the_topic(registry_settings, tmp_path):
    settings = registry_settings
    first = await service.publish(
        settings, tiny_model(tmp_path / "v1", b"head-1", 0.90), name="injection", note="baseline"
    )
    assert first.created and first.version.version == "1" and first.version.status is Status.CANDIDATE
    assert first.version.metrics == {"heldout.roc_auc": 0.90}
    await service.promote(settings, "injection", "1", to=Status.ACTIVE)
    second = await service.publish(settings, tiny_model(tmp_path / "v2", b"head-2", 0.95), name="injection")
    assert (second.version.version, second.version.parent) == ("2", "1")

    again = await service.publish(settings, tmp_path / "v2", name="injection")
    assert not again.created and again.version.version == "2"  # same content: nothing new announced

    with pytest.raises(IllegalTransition, match="put injection:2 in canary first"):
        await service.promote(settings, "injection", "2", to=Status.ACTIVE)
    assert [(v.version, v.status) for v in await service.promote(settings, "injection", "2")] == [("2", Status.CANARY)]
    changed = await service.promote(settings, "injection", "2")
    assert [(v.version, v.status) for v in changed] == [("2", Status.ACTIVE), ("1", Status.RETIRED)]

    # a fresh reader (another process, a watcher) folds the same state from the topic alone
    lineage = (await read_models(settings)).lineage("injection")
    assert {v.version: v.status for v in lineage.ordered()} == {"1": Status.RETIRED, "2": Status.ACTIVE}
    assert lineage.get("2").sha256 == second.manifest.sha256 and lineage.get("1").note == "baseline"

    await service.rollback(settings, "injection")
    lineage = (await read_models(settings)).lineage("injection")
    assert (lineage.active.version, lineage.get("2").status) == ("1", Status.RETIRED)

    # compaction keeps one record per version: every record is keyed name/version
    records = await read_records(settings, MODELS.name(settings), count=8)
    assert {r.key.decode() for r in records} == {"injection/1", "injection/2"}
    # the artifacts are in the store, intact, under the sha256 the topic announced
    store = service.store_of(settings)
    assert store.verify(second.manifest.sha256) == [] and store.version_of("injection", second.manifest.sha256) == "2"


async def test_a_second_writer_fences_the_first_so_changes_never_overwrite_each_other(registry_settings, tmp_path):
    settings = registry_settings
    published = await service.publish(settings, tiny_model(tmp_path / "v1", b"h", 0.5), name="pii-model")
    async with RegistryWriter(settings) as stale:
        changed = stale.registry.lineage("pii-model").promote("1", to=Status.ACTIVE, now=1.0)
        async with RegistryWriter(settings) as current:  # starts after the stale one read the topic
            await current.announce(current.registry.lineage("pii-model").promote("1", now=2.0))
        with pytest.raises(KafkaError):
            await stale.announce(changed)
    lineage = (await read_models(settings)).lineage("pii-model")
    assert lineage.get("1").status is Status.CANARY and lineage.get("1").sha256 == published.manifest.sha256


async def test_a_bad_record_on_the_topic_is_dead_lettered_and_the_rest_still_read(registry_settings, tmp_path):
    settings = registry_settings
    await service.publish(settings, tiny_model(tmp_path / "v1", b"h", 0.5), name="loop-model")
    producer = EnvelopeProducer(settings, name="test-garbage")
    await producer.start()
    try:
        await producer.send_raw(MODELS.name(settings), b"\x07not protobuf", key=b"loop-model/9")
        await producer.confirm()
        registry = await read_models(settings, dead_letters=producer)
    finally:
        await producer.stop()
    assert [v.version for v in registry.lineage("loop-model").ordered()] == ["1"]
    dead = await read_records(settings, DLQ.name(settings), count=1)
    assert header(dead[0], DLQ_REASON).startswith("not a protobuf Envelope")


def cli(settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "LAMMESH_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "LAMMESH_TOPIC_PREFIX": settings.topic_prefix,
        "LAMMESH_MODELS_REGISTRY_DIR": str(settings.models_registry_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "lammesh.cli", "models", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_models_cli_publishes_lists_promotes_diffs_and_rolls_back(registry_settings, tmp_path):
    settings = registry_settings
    published = cli(settings, "publish", str(tiny_model(tmp_path / "v1", b"head-1", 0.9)), "--name", "grounding-model")
    assert published.returncode == 0, published.stderr
    assert "published grounding-model:1 as a candidate" in published.stderr
    assert cli(settings, "promote", "grounding-model", "1", "--to", "active").returncode == 0
    assert (
        cli(
            settings,
            "publish",
            str(tiny_model(tmp_path / "v2", b"head-2", 0.97)),
            "--name",
            "grounding-model",
            "--note",
            "fix",
        ).returncode
        == 0
    )

    listed = cli(settings, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["version"], r["status"], r["parent"]) for r in rows] == [("1", "active", ""), ("2", "candidate", "1")]

    refused = cli(settings, "promote", "grounding-model", "2", "--to", "active")
    assert refused.returncode == 2 and "put grounding-model:2 in canary first" in refused.stderr
    assert cli(settings, "promote", "grounding-model", "2").returncode == 0
    promoted = cli(settings, "promote", "grounding-model", "2")
    assert "grounding-model:2 -> active, grounding-model:1 -> retired" in promoted.stderr

    diff = cli(settings, "diff", "grounding-model", "1", "2")
    assert diff.returncode == 0, diff.stderr
    auc = next(line for line in diff.stdout.splitlines() if "heldout.roc_auc" in line)
    assert "0.9" in auc and "0.97" in auc and "+0.07" in auc
    assert "head.npz" in diff.stdout and rows[0]["sha256"][:16] in diff.stdout

    shown = cli(settings, "show", f"grounding-model:{rows[1]['sha256'][:10]}", "--json")
    assert json.loads(shown.stdout)["version"] == "2"
    rolled = cli(settings, "rollback", "grounding-model")
    assert "grounding-model:1 -> active, grounding-model:2 -> retired" in rolled.stderr
    unknown = cli(settings, "show", "nope")
    assert unknown.returncode == 2 and "no model named 'nope'" in unknown.stderr


# -- every verdict pinned ------------------------------------------------------------------------

PINNED = """
name: pinned
steps:
  - id: draft
    uses: noop
    input: {body: "${input.body}"}
    watchers:
      input: [pii]
      output:
        - {name: grounding, params: {source_fields: [task_input.notes]}}
"""
NOTES = "Acme wants to expand the pilot to two more teams. The security review is on Tuesday."


async def test_the_injection_model_is_named_by_the_sha256_its_folder_is_published_under(registry_settings):
    # the folder `make setup` builds is the whole model (head, metrics and its fine-tuned encoder)
    published = await service.publish(registry_settings, injection_artifacts().directory, name="injection")
    assert injection_ref(None, registry_settings.models_registry_dir) == ModelRef(
        "injection", "1", published.manifest.sha256
    )
    assert any(f.path.startswith("encoder/") for f in published.manifest.files)


async def test_check_results_task_events_and_reviews_name_the_registry_model(kafka_bootstrap, tmp_path):
    write_workflow(tmp_path / "workflows", PINNED)
    base = make_settings(
        kafka_bootstrap,
        workflows_dir=tmp_path / "workflows",
        timer_interval_s=0.02,
        coordinator_data_dir=tmp_path / "coordinator",
        models_registry_dir=tmp_path / "registry",
        encoder_threads=1,
    )
    # the shared encoder `make setup` built (the grounding watcher's model), published as version 1
    published = await service.publish(base, encoder_artifacts().directory, name="encoder")
    expected = {"name": "encoder", "version": "1", "sha256": published.manifest.sha256}

    watchers = {"grounding": grounding(base), "pii": pii(base)}
    async with running(*watchers.values()):
        endpoints = {name: f"127.0.0.1:{rt.grpc.port}" for name, rt in watchers.items()}
        async with grpc.aio.insecure_channel(endpoints["grounding"]) as channel:
            allowed_before = VERDICTS.labels("grounding", "allow", "1")._value.get()
            request = check_request(content={"body": NOTES}, sources={"notes": NOTES}, stage="output")
            reply = await watcher_pb2_grpc.WatcherServiceStub(channel).Check(request, timeout=30)
            assert reply.verdict == watcher_pb2.VERDICT_ALLOW
            assert (reply.model.name, reply.model.version, reply.model.sha256) == (
                "encoder",
                "1",
                published.manifest.sha256,
            )
            assert VERDICTS.labels("grounding", "allow", "1")._value.get() == allowed_before + 1

        wired = make_settings(
            kafka_bootstrap,
            topic_prefix=base.topic_prefix,
            watcher_endpoints=endpoints,
            workflows_dir=base.workflows_dir,
            timer_interval_s=0.02,
            coordinator_data_dir=base.coordinator_data_dir,
        )
        async with running(noop(wired), coordinator(wired)), Client(wired) as client:
            grounded = await client.submit(
                "pinned", {"notes": NOTES, "body": "Acme wants to expand the pilot to two more teams."}
            )
            assert (await client.wait_for(grounded)).status == task_pb2.TASK_STATUS_COMPLETED
            checked = [
                json_format.MessageToDict(e.details) for e in client.events[grounded] if e.kind == "watchers.checked"
            ]
            assert [c["stage"] for c in checked] == ["INPUT", "OUTPUT"]
            (pii_entry,) = checked[0]["watchers"]
            assert pii_entry["model"]["name"] == "pii" and len(pii_entry["model"]["sha256"]) == 64
            assert pii_entry["watcher_version"] == pii_entry["model"]["version"]
            (grounding_entry,) = checked[1]["watchers"]
            assert grounding_entry["model"] == expected and grounding_entry["verdict"] == "ALLOW"

            invented = await client.submit(
                "pinned", {"notes": NOTES, "body": "Acme agreed to a 40% discount on Friday."}
            )
            task = await client.wait_for(invented, {task_pb2.TASK_STATUS_AWAITING_REVIEW})
            (review,) = task.reviews
            assert review.watcher == "grounding"
            assert [(m.name, m.version, m.sha256) for m in review.models] == [
                ("encoder", "1", published.manifest.sha256)
            ]
            await client.cancel(invented)
            await client.wait_for(invented)


async def test_an_unreachable_broker_gives_a_clear_cli_error(tmp_path):
    settings = make_settings("127.0.0.1:9", models_registry_dir=tmp_path / "registry")
    result = await asyncio.to_thread(cli, settings, "list")
    assert result.returncode == 1, result.stderr
    assert "cannot reach Kafka at 127.0.0.1:9" in result.stderr
