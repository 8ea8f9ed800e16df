"""The `insights` handler: the encoder and the two trained heads loaded once at start."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, Field

from lammesh.agents.softmax import SoftmaxHead
from lammesh.modelregistry.follower import ModelFollower, ModelSlot, ModelSnapshot, follow_registry, store_checkout
from lammesh.modelregistry.identity import folder_ref
from lammesh.modelregistry.store import ArtifactStore
from lammesh.models.artifacts import ModelArtifactsMissing
from lammesh.settings import Settings
from lammesh.steps import StepContext, StepHandler
from lammesh_services.agents.insights.logic import Embed, derive_insights
from lammesh_services.agents.insights.train import heads_dir


class DiscussionLine(BaseModel):
    speaker: str
    text: str


class NotesIn(BaseModel):
    attendees: list[dict[str, Any]] = Field(default_factory=list)
    discussion: list[DiscussionLine] = Field(default_factory=list)
    decisions: list[dict[str, str]] = Field(default_factory=list)
    action_items: list[dict[str, Any]] = Field(default_factory=list)


class InsightsInput(BaseModel):
    notes: NotesIn
    account_domain: str | None = None


class Risk(BaseModel):
    category: str
    evidence: str
    said_by: str


class InsightsOutput(BaseModel):
    stage: (
        Literal["prospecting", "discovery", "evaluation", "proposal", "negotiation", "closed_won", "closed_lost"] | None
    )
    stage_confidence: float
    stage_evidence: str
    sentiment: Literal["positive", "neutral", "negative"]
    sentiment_score: float
    risks: list[Risk]
    risk_summary: list[str]
    next_step: str


HEADS = ("stage", "sentiment")
MODEL_NAME = "insights"


def load_heads(directory: Path) -> tuple[SoftmaxHead, SoftmaxHead]:
    """The stage and sentiment heads of an insights folder (the built one or a registry version)."""
    for name in HEADS:
        if not (directory / f"{name}.npz").is_file():
            raise ModelArtifactsMissing(directory / f"{name}.npz", f"The insights {name} head")
    return SoftmaxHead.load(directory / "stage.npz"), SoftmaxHead.load(directory / "sentiment.npz")


class InsightsAgent(StepHandler):
    Input = InsightsInput
    Output = InsightsOutput

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls(settings)

    def __init__(self, settings: Settings, embed: Embed | None = None) -> None:
        self._settings = settings
        self._embed = embed
        self.heads: ModelSlot[tuple[SoftmaxHead, SoftmaxHead]] = ModelSlot()
        self.follower: ModelFollower[tuple[SoftmaxHead, SoftmaxHead]] | None = None

    async def start(self) -> None:
        directory = heads_dir(self._settings.models_dir)
        heads = load_heads(directory)
        self.heads.swap(ModelSnapshot(await asyncio.to_thread(folder_ref, MODEL_NAME, directory), heads))
        if self._embed is None:
            from lammesh.models.runtime import encoder_from_settings

            encoder = await asyncio.to_thread(encoder_from_settings, self._settings)
            self._embed = encoder.embed
        if self._settings.models_follow_registry:
            # the heads follow lammesh.models (name "insights"): docs/registry.md
            registry_dir = Path(self._settings.models_registry_dir)
            self.follower = ModelFollower(
                MODEL_NAME,
                load_heads,
                store_checkout(
                    ArtifactStore(registry_dir), self._settings.models_checkout_dir or registry_dir / "checkouts"
                ),
                serving=self.heads,
            )
            self._reader = await follow_registry(self._settings, self.follower)
            await self._reader.assigned.wait()
            await self.follower.settle()

    async def execute(self, step: StepContext) -> dict[str, Any]:
        data: InsightsInput = step.data
        snapshot = self.heads.current()  # one pair of heads for the whole step, even across a swap
        assert snapshot is not None, "start() loads the heads"
        stage, sentiment = snapshot.model
        return await asyncio.to_thread(
            derive_insights,
            data.notes.model_dump(),
            embed=self._embed,
            stage_head=stage,
            sentiment_head=sentiment,
            account_domain=data.account_domain,
        )
