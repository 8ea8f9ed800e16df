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

from lammesh.models.injection.detector import REVIEW_SCORE, Codebook, InjectionHead
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


def patched(
    parent: InjectionHead, head: LogisticModel | None = None, codebook: Codebook | None = None
) -> InjectionHead:
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
DEFAULT_RADIUS = 0.94
"""The base cosine radius of a key (chosen on the variants of the measured cases and the seed
corpus, never on the frozen set: decision 0713)."""
DEFAULT_MARGIN = 0.05
"""How much closer than any known text of the other label a window must be to use a key. The
INT8 encoder's embedding of a window moves with its batch-mates: the best similarity of a seed
attack window to a patch's keys moved by 0.03 at the 90th percentile and 0.08 at the 99th
between a batch and a text alone, so a key's reach stops this far short of the nearest known
opposite window."""


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def key_radii(keys: np.ndarray, opposite: np.ndarray | None, *, radius: float, margin: float) -> np.ndarray:
    """Each key's radius: at least `radius`, and `margin` above its similarity to the nearest
    window of a known text of the other label (for a pass key: a known attack), so that a known
    opposite window is never within a key's reach, even moved a little by the encoder's noise.
    A key whose radius comes out above 1 can match nothing; `codebook_for` drops it."""
    if not 0.0 < radius <= 1.0 or margin < 0.0:
        raise ValueError(f"radius must be in (0, 1] and margin not negative, got {radius} and {margin}")
    radii = np.full(len(keys), radius, dtype=np.float64)
    if opposite is not None and len(opposite) and len(keys):
        radii = np.maximum(radii, (unit_rows(keys) @ unit_rows(opposite).T).max(axis=1) + margin)
    return radii


def codebook_for(
    variants: Sequence[LabelledWindows],
    *,
    known: Sequence[LabelledWindows] = (),
    radius: float = DEFAULT_RADIUS,
    margin: float = DEFAULT_MARGIN,
    previous: Codebook | None = None,
) -> Codebook:
    """Keys: the unit window embeddings of the variants, scored PASS_SCORE (should pass) or
    FLAG_SCORE (should be flagged), each with its radius (`key_radii`) kept clear of the
    windows of the `known` texts of the other label (the seed corpus's texts, earlier cases),
    after the parent's keys (if any), whose radii are kept clear of the known texts too. Keys
    that would reach a known opposite window at any radius are left out."""
    if not variants:
        raise ValueError("a patch needs at least one variant")
    groups: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (keys, scores, floor of radii)
    if previous is not None:
        groups.append((previous.keys, previous.scores, previous.radii))
    for should_flag in (False, True):
        chosen = [v.embeddings for v in variants if v.should_flag is should_flag]
        if chosen:
            group = unit_rows(np.concatenate(chosen))
            score = FLAG_SCORE if should_flag else PASS_SCORE
            groups.append((group, np.full(len(group), score), np.full(len(group), radius)))
    keys, scores, radii = [], [], []
    for group_keys, group_scores, floor in groups:
        for should_flag in (False, True):
            side = (group_scores >= REVIEW_SCORE) == should_flag
            if not side.any():
                continue
            opposite = [k.embeddings for k in known if k.should_flag is not should_flag]
            side_radii = np.maximum(
                floor[side],
                key_radii(
                    group_keys[side], np.concatenate(opposite) if opposite else None, radius=radius, margin=margin
                ),
            )
            usable = side_radii <= 1.0
            keys.append(group_keys[side][usable])
            scores.append(group_scores[side][usable])
            radii.append(side_radii[usable])
    return Codebook(np.concatenate(keys).astype(np.float32), np.concatenate(scores), np.concatenate(radii))
