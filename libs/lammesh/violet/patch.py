"""The patch: the injection head refit near its parent on the variants, on the unchanged encoder.

The watcher's score is stacker(max over windows of head(encoder(window)), rule signals). A patch
keeps the encoder and the stacker and moves only the head (a few KB of weights): a class-balanced
logistic fit on

- the variants' windows (a text that should pass: every window negative; a text that should be
  flagged: its strongest window under the parent positive, as in multiple-instance training), and
- anchor windows with their labels (texts from the shipped training corpus, so the head does not
  forget what it knew),

with a proximal pull toward the parent's weights (`pull`), so the patch is an edit, not a new model.
Pure numpy; the edge embeds the texts and writes the artifact folder (`write_patch`): head.npz
and metrics.json only; the encoder is the parent's, stored once by the content-addressed registry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from lammesh.models.injection.detector import Codebook, InjectionHead
from lammesh.models.injection.linear import LogisticModel, adam_logistic


@dataclass(frozen=True)
class LabelledWindows:
    embeddings: np.ndarray
    """(windows, dim): the encoder's embeddings of one text's windows."""
    should_flag: bool


def training_rows(parent: LogisticModel, texts: Sequence[LabelledWindows]) -> tuple[np.ndarray, np.ndarray]:
    """Rows for the head: every window of a text that should pass, the strongest window (under
    the parent) of a text that should be flagged."""
    rows, labels = [], []
    for item in texts:
        if item.embeddings.ndim != 2 or len(item.embeddings) == 0:
            raise ValueError("each text needs a (windows, dim) array of at least one window")
        if item.should_flag:
            rows.append(item.embeddings[int(np.argmax(parent.logits(item.embeddings)))][None, :])
            labels.append(np.ones(1))
        else:
            rows.append(item.embeddings)
            labels.append(np.zeros(len(item.embeddings)))
    return np.concatenate(rows), np.concatenate(labels)


def refit_head(
    parent: LogisticModel,
    variants: Sequence[LabelledWindows],
    anchors: Sequence[LabelledWindows],
    *,
    variant_weight: float = 4.0,
    pull: float = 1e-2,
    epochs: int = 400,
    learning_rate: float = 0.02,
) -> LogisticModel:
    """The parent head moved to fit the variants while keeping the anchors (Adam, full batch).
    `variant_weight`: how much one variant window counts against one anchor window; `pull`: the
    L2 penalty on the distance to the parent's weights."""
    if not variants:
        raise ValueError("a patch needs at least one variant")
    vx, vy = training_rows(parent, variants)
    ax, ay = training_rows(parent, anchors) if anchors else (np.zeros((0, vx.shape[1])), np.zeros(0))
    if ax.shape[1] != vx.shape[1] or vx.shape[1] != parent.weights.shape[0]:
        raise ValueError(f"embedding width differs from the head's {parent.weights.shape[0]}")
    x = np.concatenate([vx, ax]).astype(np.float64)
    y = np.concatenate([vy, ay])
    weight = np.concatenate([np.full(len(vy), variant_weight), np.ones(len(ay))])
    for label in (0.0, 1.0):  # class balance
        chosen = y == label
        if chosen.any():
            weight[chosen] *= len(y) / (2 * weight[chosen].sum() / weight[chosen].mean())
    weight /= weight.sum()
    return adam_logistic(x, y, weight, epochs=epochs, learning_rate=learning_rate, l2=pull, start=parent)


def patched(parent: InjectionHead, head: LogisticModel | None = None, codebook: Codebook | None = None) -> InjectionHead:
    """The parent's head file with a refit head and/or a codebook: same stacker, windows, encoder
    and operating points."""
    return replace(parent, head=head or parent.head, codebook=codebook or parent.codebook)


def write_patch(directory: Path, head: InjectionHead, metrics: Mapping[str, float | str]) -> list[Path]:
    """The patch's own files (head.npz, metrics.json); publish it with the parent's encoder
    folder added under `encoder/` so the normal loader (InjectionDetector.load) reads it."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    head.save(directory / "head.npz")
    (directory / "metrics.json").write_text(json.dumps(dict(metrics), indent=2, sort_keys=True) + "\n")
    return [directory / "head.npz", directory / "metrics.json"]


PASS_SCORE = 0.1
FLAG_SCORE = 0.95
DEFAULT_RADIUS = 0.96


def codebook_for(variants: Sequence[LabelledWindows], *, radius: float = DEFAULT_RADIUS, previous: Codebook | None = None) -> Codebook:
    """Keys: the unit window embeddings of the variants (added to the parent's codebook, if any),
    scored PASS_SCORE (should pass) or FLAG_SCORE (should be flagged)."""
    if not variants:
        raise ValueError("a patch needs at least one variant")
    keys = np.concatenate([v.embeddings for v in variants]).astype(np.float32)
    keys /= np.maximum(np.linalg.norm(keys, axis=1, keepdims=True), 1e-12)
    scores = np.concatenate([np.full(len(v.embeddings), FLAG_SCORE if v.should_flag else PASS_SCORE) for v in variants])
    if previous is not None:
        keys, scores = np.concatenate([previous.keys, keys]), np.concatenate([previous.scores, scores])
    return Codebook(keys, scores, radius)
