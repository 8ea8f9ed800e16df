"""The injection detector: encoder + trained head over overlapping windows, ensembled with rules.

score(text) =
    stacker( max over windows (and decoded hidden payloads) of head(encoder(window)),
             strongest rule signal of each category )

Both the head and the stacker are logistic models trained by `make models`
(lammesh.models.injection.train); the stacker is fitted on templates the head never saw, so its
output is a calibrated probability that the text is an injection or jailbreak.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lammesh.models.artifacts import injection_artifacts
from lammesh.models.encoder import SentenceEncoder
from lammesh.models.injection import heuristics
from lammesh.models.injection.linear import LogisticModel, sigmoid

LOGIT_CLIP = 12.0


# The score a watcher reports puts the calibrated operating points here, so that workflow
# thresholds keep one meaning across model versions: REVIEW at 0.5, BLOCK at 0.85 (decision 0107).
REVIEW_SCORE = 0.5
BLOCK_SCORE = 0.85


@dataclass(frozen=True)
class Codebook:
    """Key-value edits with deferral radii (cf. GRACE model editing): unit window embeddings of
    texts a violet patch learned from, each with the score it should get and its own cosine
    radius. A text whose EVERY window is within the radius of some pass key gets the pass score
    (so an attack added to a known benign text is still scored); a text with ANY window within
    the radius of a flag key gets at least that key's score. Everything else is scored as before.

    The radii are set when the patch is built (lammesh.violet.patch.key_radii): never below the
    patch's base radius, and far enough from every known text of the other label that it is not
    covered even when its embedding moves a little (INT8 embeddings vary with the batch)."""

    keys: np.ndarray
    scores: np.ndarray
    radii: np.ndarray

    def __post_init__(self) -> None:
        if not (len(self.keys) == len(self.scores) == len(self.radii)):
            raise ValueError(
                f"a codebook needs one score and one radius per key: {len(self.keys)} keys, "
                f"{len(self.scores)} scores, {len(self.radii)} radii"
            )

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "codebook_keys": self.keys.astype(np.float32),
            "codebook_scores": self.scores.astype(np.float64),
            "codebook_radii": self.radii.astype(np.float64),
        }

    @classmethod
    def from_arrays(cls, data: Any) -> Codebook:
        keys = data["codebook_keys"].astype(np.float32)
        if "codebook_radii" in data:
            radii = data["codebook_radii"].astype(np.float64)
        else:  # a patch written with one radius for every key
            radii = np.full(len(keys), float(data["codebook_radius"]))
        return cls(keys, data["codebook_scores"].astype(np.float64), radii)

    def apply(self, windows: np.ndarray, probability: float) -> float:
        unit = windows / np.maximum(np.linalg.norm(windows, axis=1, keepdims=True), 1e-12)
        near = (unit @ self.keys.T) >= self.radii  # (windows, keys)
        flag = self.scores >= REVIEW_SCORE
        flag_hits = near[:, flag].any(axis=0)
        if flag_hits.any():
            probability = max(probability, float(self.scores[flag][flag_hits].max()))
        if (~flag).any() and bool(near[:, ~flag].any(axis=1).all()):
            probability = min(probability, float(self.scores[~flag].max()))
        return probability


@dataclass(frozen=True)
class InjectionHead:
    head: LogisticModel
    stacker: LogisticModel
    categories: tuple[str, ...]
    window_tokens: int
    stride: int
    encoder_sha256: str
    operating_points: tuple[float, float] = (REVIEW_SCORE, BLOCK_SCORE)
    """Stacker outputs chosen at build time (benign false-positive rates of the calibration
    texts) that become the REVIEW and BLOCK scores."""
    codebook: Codebook | None = None
    """A violet patch's edits (lammesh.violet.patch): known texts whose score is overridden."""

    def score(self, stacked: np.ndarray) -> np.ndarray:
        """Stacker probabilities mapped monotonically so the operating points land on 0.5 / 0.85."""
        review, block = self.operating_points
        return np.interp(stacked, [0.0, review, block, 1.0], [0.0, REVIEW_SCORE, BLOCK_SCORE, 1.0])

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez(
                handle,
                head_weights=self.head.weights,
                head_bias=np.float32(self.head.bias),
                stacker_weights=self.stacker.weights,
                stacker_bias=np.float32(self.stacker.bias),
                categories=np.array(self.categories),
                window_tokens=np.int32(self.window_tokens),
                stride=np.int32(self.stride),
                encoder_sha256=np.array(self.encoder_sha256),
                operating_points=np.array(self.operating_points, dtype=np.float64),
                **(self.codebook.arrays() if self.codebook is not None else {}),
            )

    @classmethod
    def load(cls, path: Path) -> InjectionHead:
        with np.load(path, allow_pickle=False) as data:
            categories = tuple(str(c) for c in data["categories"])
            if categories != STACK_FEATURES:
                raise ValueError(
                    f"{path}: trained with features {categories}, this code uses {STACK_FEATURES}; run `make models`"
                )
            return cls(
                head=LogisticModel(data["head_weights"].astype(np.float32), float(data["head_bias"])),
                stacker=LogisticModel(data["stacker_weights"].astype(np.float32), float(data["stacker_bias"])),
                categories=categories,
                window_tokens=int(data["window_tokens"]),
                stride=int(data["stride"]),
                encoder_sha256=str(data["encoder_sha256"]),
                operating_points=(float(data["operating_points"][0]), float(data["operating_points"][1])),
                codebook=Codebook.from_arrays(data) if "codebook_keys" in data.files else None,
            )


@dataclass
class InjectionResult:
    probability: float
    """The ensemble's score: the stacker's probability mapped so that 0.5 and 0.85 are the
    calibrated REVIEW and BLOCK operating points."""
    model_logit: float
    """The head alone, at its strongest window (or decoded payload)."""
    window: tuple[int, int]
    """Character span of the strongest window."""
    windows: int = 1
    """How many windows the text was scored in."""
    signals: list[heuristics.Signal] = field(default_factory=list)
    hidden: list[heuristics.Decoded] = field(default_factory=list)

    @property
    def model_probability(self) -> float:
        return float(sigmoid(np.float64(self.model_logit)))


STACK_FEATURES = ("model_logit", "windows_max_drift", *heuristics.CATEGORIES)


def windows_max_drift(windows: int) -> float:
    """sqrt(2 ln N): how the largest of N windows' chance scores grows with N (the extreme-value
    scale of a maximum). A log N feature grew faster than that chance and, fit on a few dozen long
    benign texts, discounted a confident window in any long transcript (decision 0113)."""
    return float(np.sqrt(2.0 * np.log(max(windows, 1))))


def stack_features(model_logit: float, windows: int, signals: list[heuristics.Signal]) -> np.ndarray:
    """The stacker's inputs: the head's strongest window, how many windows there were (the max of
    many windows runs higher by chance, so long texts need it), and each rule category's strength."""
    clipped = float(np.clip(model_logit, -LOGIT_CLIP, LOGIT_CLIP))
    return np.array([clipped, windows_max_drift(windows), *heuristics.category_strengths(signals)], dtype=np.float32)


class InjectionDetector:
    def __init__(self, encoder: SentenceEncoder, head: InjectionHead) -> None:
        self.encoder = encoder
        self.head = head

    @classmethod
    def load(
        cls, encoder: SentenceEncoder | None = None, models_dir: str | Path | None = None, **encoder_options: Any
    ) -> InjectionDetector:
        """The head and the encoder it was fine-tuned with (`injection_artifacts(models_dir).encoder`,
        loaded with `encoder_options` unless an `encoder` of that folder is passed)."""
        artifacts = injection_artifacts(models_dir).require()
        if encoder is None:
            encoder = SentenceEncoder.load(artifacts=artifacts.encoder, **encoder_options)
        return cls(encoder, InjectionHead.load(artifacts.head))

    def score_batch(self, texts: list[str]) -> list[InjectionResult]:
        scans = [heuristics.scan(text) for text in texts]
        # Decoded hidden payloads are scored by the model too, at the payload's position.
        extra: list[tuple[int, heuristics.Decoded]] = [(i, d) for i, (_, hidden) in enumerate(scans) for d in hidden]
        windows = self.encoder.embed_windows(
            [*texts, *(d.text for _, d in extra)], window_tokens=self.head.window_tokens, stride=self.head.stride
        )
        logits = [(self.head.head.logits(w.embeddings), w.spans) for w in windows]
        best: list[tuple[float, tuple[int, int]]] = []
        for text_logits, spans in logits[: len(texts)]:
            index = int(np.argmax(text_logits))
            best.append((float(text_logits[index]), spans[index]))
        for (owner, decoded), (payload_logits, _) in zip(extra, logits[len(texts) :], strict=True):
            value = float(payload_logits.max())
            if value > best[owner][0]:
                best[owner] = (value, (decoded.start, decoded.end))
        counts = [len(spans) for _, spans in logits[: len(texts)]]
        features = np.stack(
            [stack_features(logit, n, signals) for (logit, _), n, (signals, _) in zip(best, counts, scans, strict=True)]
        )
        probabilities = self.head.score(self.head.stacker.probabilities(features))
        if self.head.codebook is not None:
            probabilities = np.array(
                [
                    self.head.codebook.apply(w.embeddings, float(p))
                    for w, p in zip(windows[: len(texts)], probabilities, strict=True)
                ]
            )
        return [
            InjectionResult(
                probability=float(probability),
                model_logit=logit,
                window=span,
                windows=n,
                signals=signals,
                hidden=hidden,
            )
            for probability, (logit, span), n, (signals, hidden) in zip(probabilities, best, counts, scans, strict=True)
        ]
