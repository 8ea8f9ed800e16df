"""The model registry's pure parts: the status lifecycle, lookups, metrics flattening, and the
content-addressed store on a temp folder."""

from __future__ import annotations

import hashlib

import pytest

from lammesh.modelregistry.domain import (
    AlreadyPublished,
    IllegalTransition,
    ModelLineage,
    ModelRef,
    Registry,
    RegistryError,
    Status,
    UnknownModel,
    flatten_metrics,
    parse_target,
)
from lammesh.modelregistry.identity import code_ref, folder_ref
from lammesh.modelregistry.store import ArtifactMissing, ArtifactStore, Manifest, manifest_of


def sha(n: int) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()


def lineage_with(*shas: str) -> ModelLineage:
    lineage = ModelLineage("injection")
    for i, digest in enumerate(shas):
        lineage.apply(lineage.publish(digest, now=float(i)))
    return lineage


def statuses(lineage: ModelLineage) -> dict[str, Status]:
    return {v.version: v.status for v in lineage.ordered()}


def test_published_versions_are_numbered_candidates_whose_parent_is_the_active_one():
    lineage = lineage_with(sha(1))
    first = lineage.get("1")
    assert (first.status, first.parent) == (Status.CANDIDATE, "")
    lineage.apply(lineage.promote("1", to=Status.ACTIVE, now=10))
    lineage.apply(lineage.publish(sha(2), now=11, metrics={"recall": 0.9}))
    second = lineage.get("2")
    assert (second.status, second.parent, dict(second.metrics)) == (Status.CANDIDATE, "1", {"recall": 0.9})


def test_promote_goes_candidate_canary_active_and_retires_the_previous_active():
    lineage = lineage_with(sha(1))
    lineage.apply(lineage.promote("1", to=Status.ACTIVE, now=1))  # nothing active yet: no canary needed
    lineage.apply(lineage.publish(sha(2), now=2))
    changed = lineage.promote("2", now=3)
    assert [(v.version, v.status) for v in changed] == [("2", Status.CANARY)]
    lineage.apply(changed)
    changed = lineage.promote("2", now=4)
    assert [(v.version, v.status) for v in changed] == [("2", Status.ACTIVE), ("1", Status.RETIRED)]
    assert all(v.status_changed_at == 4 for v in changed)
    lineage.apply(changed)
    assert lineage.active.version == "2" and lineage.canary is None
    assert statuses(lineage) == {"1": Status.RETIRED, "2": Status.ACTIVE}


def test_a_new_canary_sends_the_previous_one_back_to_candidate():
    lineage = lineage_with(sha(1), sha(2), sha(3))
    lineage.apply(lineage.promote("1", to=Status.ACTIVE, now=5))
    lineage.apply(lineage.promote("2", now=6))
    lineage.apply(lineage.promote("3", to=Status.CANARY, now=7))
    assert statuses(lineage) == {"1": Status.ACTIVE, "2": Status.CANDIDATE, "3": Status.CANARY}


@pytest.mark.parametrize(
    ("setup", "version", "to", "message"),
    [
        ([("1", Status.ACTIVE)], "1", None, "injection:1 is already active"),
        (
            [("1", Status.ACTIVE)],
            "2",
            Status.ACTIVE,
            "injection:2 is a candidate and injection:1 is active: put injection:2 in canary first",
        ),
        ([("1", Status.ACTIVE), ("2", Status.CANARY)], "2", Status.CANARY, "injection:2 is already in canary"),
        (
            [("1", Status.ACTIVE), ("2", Status.CANARY), ("2", Status.ACTIVE)],
            "1",
            Status.ACTIVE,
            "injection:1 is retired: put it in canary first",
        ),
        ([], "2", Status.RETIRED, "promote moves a version to canary or active, not retired"),
    ],
)
def test_illegal_promotions_say_what_would_be_legal(setup, version, to, message):
    lineage = lineage_with(sha(1), sha(2))
    for i, (v, target) in enumerate(setup):
        lineage.apply(lineage.promote(v, to=target, now=10 + i))
    before = statuses(lineage)
    with pytest.raises(IllegalTransition) as caught:
        lineage.promote(version, to=to, now=99)
    assert message in str(caught.value)
    assert statuses(lineage) == before


def test_a_retired_version_can_go_back_to_canary():
    lineage = lineage_with(sha(1), sha(2))
    for step in (("1", Status.ACTIVE), ("2", Status.CANARY), ("2", Status.ACTIVE)):
        lineage.apply(lineage.promote(step[0], to=step[1], now=1))
    lineage.apply(lineage.promote("1", now=2))
    assert statuses(lineage) == {"1": Status.CANARY, "2": Status.ACTIVE}


def test_rollback_reactivates_the_parent_and_retires_the_active_version():
    lineage = lineage_with(sha(1))
    lineage.apply(lineage.promote("1", to=Status.ACTIVE, now=1))
    lineage.apply(lineage.publish(sha(2), now=2))
    lineage.apply(lineage.promote("2", now=3))
    lineage.apply(lineage.promote("2", now=4))
    changed = lineage.rollback(now=5)
    assert [(v.version, v.status) for v in changed] == [("1", Status.ACTIVE), ("2", Status.RETIRED)]
    lineage.apply(changed)
    assert lineage.active.version == "1"
    with pytest.raises(IllegalTransition, match="injection:1 has no parent to roll back to"):
        lineage.rollback(now=6)


def test_rollback_without_an_active_version_is_refused():
    with pytest.raises(IllegalTransition, match="no active version"):
        lineage_with(sha(1)).rollback(now=1)


def test_publishing_the_same_content_again_names_the_existing_version():
    lineage = lineage_with(sha(1))
    with pytest.raises(AlreadyPublished) as caught:
        lineage.publish(sha(1), now=2)
    assert caught.value.existing.version == "1"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sha256": "abc"}, "is not 64 lower-case hex digits"),
        ({"sha256": sha(9), "version": "1"}, "injection:1 exists already"),
        ({"sha256": sha(9), "version": "bad/version"}, "must be [A-Za-z0-9._-]"),
        ({"sha256": sha(9), "parent": "7"}, "injection has no version '7'"),
    ],
)
def test_bad_publish_requests_get_clear_errors(kwargs, message):
    lineage = lineage_with(sha(1))
    with pytest.raises(RegistryError) as caught:
        lineage.publish(now=3, **kwargs)
    assert message in str(caught.value)


def test_versions_are_found_by_name_or_by_sha_prefix():
    lineage = lineage_with(sha(1), sha(2))
    assert lineage.get(sha(2)[:8]).version == "2"
    assert lineage.get(ModelRef.unregistered("injection", sha(1)).version).version == "1"
    with pytest.raises(UnknownModel, match="versions: 1, 2"):
        lineage.get("3")


def test_the_registry_folds_records_and_names_unknown_models():
    lineage = lineage_with(sha(1))
    registry = Registry(lineage.versions.values())
    assert registry.lineage("injection").current().version == "1"
    with pytest.raises(UnknownModel, match="models: injection"):
        registry.lineage("pii")
    with pytest.raises(RegistryError, match="must be lower-case"):
        registry.lineage("Bad Name", create=True)


def test_targets_split_on_the_first_colon_only():
    assert parse_target("injection") == ("injection", None)
    assert parse_target("injection:3") == ("injection", "3")
    assert parse_target("injection:sha256:abcdef") == ("injection", "sha256:abcdef")
    with pytest.raises(RegistryError):
        parse_target(":3")


def test_metrics_keep_numeric_leaves_as_dotted_keys():
    data = {"heldout": {"ensemble": {"roc_auc": 0.98, "tp": 7}, "templates": ["a"]}, "ok": True, "name": "x"}
    assert flatten_metrics(data) == {"heldout.ensemble.roc_auc": 0.98, "heldout.ensemble.tp": 7.0}


# -- the store ---------------------------------------------------------------------------------


def make_model(folder, head=b"head-v1"):
    (folder / "encoder").mkdir(parents=True)
    (folder / "encoder" / "model.onnx").write_bytes(b"onnx" * 1000)
    (folder / "head.npz").write_bytes(head)
    (folder / ".built").write_text("")  # stamp files and engine caches are not part of the artifact
    (folder / "encoder" / "tensorrt").mkdir()
    (folder / "encoder" / "tensorrt" / "x.engine").write_bytes(b"engine")
    return folder


def test_the_manifest_digest_depends_on_content_and_paths_only(tmp_path):
    a = make_model(tmp_path / "a")
    b = make_model(tmp_path / "b")
    assert manifest_of(a).sha256 == manifest_of(b).sha256
    assert [f.path for f in manifest_of(a).files] == ["encoder/model.onnx", "head.npz"]
    (b / "head.npz").write_bytes(b"head-v2")
    assert manifest_of(a).sha256 != manifest_of(b).sha256
    split = Manifest.combine([manifest_of(a / "encoder", prefix="encoder/"), manifest_of(a, suffixes=(".npz",))])
    assert split.sha256 == manifest_of(a).sha256


def test_the_store_dedupes_files_and_checks_out_what_it_stored(tmp_path):
    store = ArtifactStore(tmp_path / "registry")
    v1 = store.put([("", make_model(tmp_path / "a"))])
    v2 = store.put([("", make_model(tmp_path / "b", head=b"head-v2"))])
    assert v1.sha256 != v2.sha256 and store.has(v1.sha256) and store.has(v2.sha256)
    objects = [p for p in (tmp_path / "registry" / "objects").rglob("*") if p.is_file()]
    assert len(objects) == 3  # the encoder once, two heads
    out = store.checkout(v2.sha256, tmp_path / "out")
    assert (out / "head.npz").read_bytes() == b"head-v2"
    assert manifest_of(out).sha256 == v2.sha256
    assert store.verify(v1.sha256) == []
    with pytest.raises(RegistryError, match="exists already"):
        store.checkout(v2.sha256, out)
    with pytest.raises(ArtifactMissing):
        store.manifest(sha(5))


def test_an_altered_object_is_reported(tmp_path):
    store = ArtifactStore(tmp_path / "registry")
    stored = store.put([("", make_model(tmp_path / "a"))])
    head = next(f for f in stored.files if f.path == "head.npz")
    obj = tmp_path / "registry" / "objects" / "sha256" / head.sha256[:2] / head.sha256
    obj.chmod(0o644)
    obj.write_bytes(b"tampered")
    assert store.verify(stored.sha256) == [f"head.npz: object {head.sha256[:12]}… was altered"]


def test_an_empty_folder_cannot_be_published(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(RegistryError, match="no files"):
        ArtifactStore(tmp_path / "registry").put([("", tmp_path / "empty")])


def test_a_folder_names_its_registry_version_once_the_store_index_knows_it(tmp_path):
    folder = make_model(tmp_path / "a")
    store = ArtifactStore(tmp_path / "registry")
    manifest = store.put([("", folder)])
    assert folder_ref("injection", folder, tmp_path / "registry") == ModelRef.unregistered("injection", manifest.sha256)
    store.record_name("injection", "4", manifest.sha256)
    assert folder_ref("injection", folder, tmp_path / "registry") == ModelRef("injection", "4", manifest.sha256)


def test_a_rule_watchers_model_is_its_code():
    from lammesh_services.watchers.pii.watcher import PiiWatcher

    ref = code_ref("pii", PiiWatcher.version, PiiWatcher)
    assert ref.name == "pii" and ref.version == PiiWatcher.version and len(ref.sha256) == 64
