"""Agent fixtures: the real encoder and the insights heads `make setup` builds, and the sample
meetings of examples/meetings."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from lammesh.agents.softmax import SoftmaxHead
from lammesh.models import SentenceEncoder, encoder_artifacts
from lammesh.models.artifacts import ModelArtifactsMissing
from lammesh_services.agents.insights.logic import derive_insights
from lammesh_services.agents.insights.train import heads_dir
from lammesh_services.agents.notes.logic import Participant, take_notes

MEETINGS = Path(__file__).parents[3] / "examples" / "meetings"


def meeting(name: str) -> dict:
    return json.loads(next(MEETINGS.glob(f"{name}*.json")).read_text())


@pytest.fixture(scope="session")
def embed():
    try:
        encoder_artifacts().require()
    except ModelArtifactsMissing as missing:
        pytest.fail(str(missing))
    return SentenceEncoder.load(backend="onnxruntime", threads=2).embed


@pytest.fixture(scope="session")
def heads():
    directory = heads_dir(None)
    if not (directory / "stage.npz").is_file():
        pytest.fail(f"insights heads missing in {directory}: run `make models`")
    return SoftmaxHead.load(directory / "stage.npz"), SoftmaxHead.load(directory / "sentiment.npz")


@pytest.fixture(scope="session")
def notes_of(embed):
    cache: dict[str, dict] = {}

    def notes(name: str) -> dict:
        if name not in cache:
            m = meeting(name)
            cache[name] = take_notes(
                m["transcript"],
                meeting_date=date.fromisoformat(m["date"]),
                participants=[Participant(**p) for p in m["participants"]],
                embed=embed,
                title=m["title"],
            )
        return cache[name]

    return notes


@pytest.fixture(scope="session")
def insights_of(notes_of, embed, heads):
    def insights(name: str) -> dict:
        return derive_insights(
            notes_of(name),
            embed=embed,
            stage_head=heads[0],
            sentiment_head=heads[1],
            account_domain=meeting(name)["account_domain"],
        )

    return insights
