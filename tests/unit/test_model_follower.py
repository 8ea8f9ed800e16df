"""The registry follower's logic: what to load, one snapshot per check, swaps and rollbacks, shadow sampling."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from lammesh.modelregistry.domain import ModelLineage, ModelRef, Status
from lammesh.modelregistry.follower import (
    ModelFollower,
    ModelSlot,
    ModelSnapshot,
    ShadowSampler,
    plan_for,
    record_shadow,
)

SHA_A, SHA_B, SHA_BAD = "a" * 64, "b" * 64, "c" * 64


def _lineage() -> ModelLineage:
    lineage = ModelLineage("injection")
    lineage.apply(lineage.publish(SHA_A, now=1.0))
    lineage.apply(lineage.promote("1", now=2.0, to=Status.ACTIVE))
    lineage.apply(lineage.publish(SHA_B, now=3.0))
    return lineage


def test_plan_keeps_the_builtin_model_without_a_registry() -> None:
    assert plan_for(None).active is None
    assert plan_for(ModelLineage("injection")).canary is None


def test_plan_follows_promote_and_rollback() -> None:
    lineage = _lineage()
    assert plan_for(lineage).active.version == "1" and plan_for(lineage).canary is None
    lineage.apply(lineage.promote("2", now=4.0))
    assert plan_for(lineage).canary.version == "2"
    lineage.apply(lineage.promote("2", now=5.0))
    assert (plan_for(lineage).active.version, plan_for(lineage).canary) == ("2", None)
    lineage.apply(lineage.rollback(now=6.0))
    assert plan_for(lineage).active.version == "1"


def test_a_snapshot_taken_before_a_swap_stays_whole() -> None:
    slot: ModelSlot[str] = ModelSlot(ModelSnapshot(ModelRef("injection", "1", SHA_A), "model-a"))
    taken = slot.current()
    slot.swap(ModelSnapshot(ModelRef("injection", "2", SHA_B), "model-b"))
    assert (taken.ref.version, taken.model) == ("1", "model-a")
    assert slot.current().model == "model-b"


def test_shadow_sampler_takes_its_share() -> None:
    sampler = ShadowSampler(0.25)
    assert sum(sampler.take() for _ in range(100)) == 25
    assert not any(ShadowSampler(0.0).take() for _ in range(10))
    with pytest.raises(ValueError, match="between 0 and 1"):
        ShadowSampler(1.5)


def test_shadow_comparison_is_exported() -> None:
    canary = ModelRef("injection", "2", SHA_B)
    assert record_shadow("injection", canary, ("allow", 0.1), ("allow", 0.15))
    assert not record_shadow("injection", canary, ("allow", 0.1), ("block", 0.9))


def test_follower_swaps_on_promote_and_rollback_and_ignores_a_broken_version(tmp_path: Path) -> None:
    loaded: list[str] = []

    def load(folder: Path) -> str:
        if folder.name == SHA_BAD:
            raise OSError("head.onnx is truncated")
        loaded.append(folder.name)
        return f"model-{folder.name[0]}"

    swaps: list[tuple[str | None, str]] = []
    follower: ModelFollower[str] = ModelFollower(
        "injection",
        load,
        lambda v: tmp_path / v.sha256,
        serving=ModelSlot(ModelSnapshot(ModelRef.unregistered("injection", SHA_A), "builtin")),
        on_swap=lambda old, new: swaps.append((old.version if old else None, new.version)),
    )
    lineage = _lineage()
    follower.apply(list(lineage.versions.values()))
    asyncio.run(follower.settle())
    # the built-in model has the active version's content: relabelled, not reloaded
    assert follower.serving.current().ref.version == "1" and follower.serving.current().model == "builtin"
    assert loaded == []

    def change(changed: list) -> None:
        lineage.apply(changed)
        follower.apply(changed)

    change(lineage.promote("2", now=4.0))
    asyncio.run(follower.settle())
    assert follower.shadow.current().ref.version == "2" and follower.serving.current().ref.version == "1"

    change(lineage.promote("2", now=5.0))
    asyncio.run(follower.settle())
    assert follower.serving.current().ref.version == "2" and follower.shadow.current() is None

    change(lineage.rollback(now=6.0))
    asyncio.run(follower.settle())
    assert follower.serving.current().ref.version == "1"
    assert follower.serving.current().model == "builtin"  # the model kept from before the promote: no reload
    assert swaps == [("1", "2"), ("2", "1")] and loaded == [SHA_B]

    # a version that cannot load is logged and ignored: the serving model stays
    change(lineage.publish(SHA_BAD, now=7.0))
    change(lineage.promote("3", now=8.0))
    change(lineage.promote("3", now=9.0))
    asyncio.run(follower.settle())
    assert follower.serving.current().ref.version == "1"
    assert "truncated" in follower.failed[SHA_BAD]
