"""One violet-team pass for the injection watcher (the edge: models, files, the registry).

cases -> variants (`variants`) -> window embeddings (the parent's unchanged encoder, each text
embedded once and shared by parent and candidate) -> refit head (`patch`) -> measured gates
(`gates.decide`) -> the patch folder (head.npz, metrics.json) -> published as a CANDIDATE with the
parent's encoder folder added, then put in CANARY when the gates pass.

The frozen evaluation set is read here ONLY to measure the `frozen` no-regression gate; it never
reaches training, anchors or thresholds. Anchors come from the shipped seed corpus (train split).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lammesh.evaluation.frozen import load_cases
from lammesh.feedback.case import FeedbackCase
from lammesh.models.encoder import SentenceEncoder, TextWindows
from lammesh.models.injection import seed_corpus
from lammesh.models.injection.detector import REVIEW_SCORE, InjectionDetector
from lammesh.violet import variants as variant_maker
from lammesh.violet.gates import GateDecision, GateFigures, decide
from lammesh.violet.patch import LabelledWindows, codebook_for, patched, write_patch

log = logging.getLogger("lammesh.violet")

REPO_ROOT = Path(__file__).resolve().parents[3]
ATTACK_SUITE_DIR = REPO_ROOT / "examples" / "attacks"
ANCHOR_TEXTS = 400
FROZEN_TOLERANCE = 0.005
EARLIER_TOLERANCE = 0.0
HELDOUT_FLOOR = 0.9


class CachedEncoder:
    """The parent's encoder with its window embeddings remembered per text, so the parent and the
    candidate (same encoder) are scored on one embedding of each text."""

    def __init__(self, encoder: SentenceEncoder) -> None:
        self._encoder = encoder
        self._cache: dict[tuple[str, int, int], TextWindows] = {}

    def embed_windows(self, texts: list[str], *, window_tokens: int = 128, stride: int = 32) -> list[TextWindows]:
        missing = list(dict.fromkeys(t for t in texts if (t, window_tokens, stride) not in self._cache))
        if missing:
            for text, windows in zip(missing, self._encoder.embed_windows(missing, window_tokens=window_tokens, stride=stride), strict=True):
                self._cache[(text, window_tokens, stride)] = windows
        return [self._cache[(t, window_tokens, stride)] for t in texts]


@dataclass(frozen=True)
class LabelledText:
    text: str
    should_flag: bool


def attack_suite_texts(directory: Path = ATTACK_SUITE_DIR) -> list[LabelledText]:
    """The transcripts of the demo's attack meetings (examples/attacks): benign ones should pass,
    the others are attacks the gate checks stay flagged if the parent flagged them."""
    texts = []
    for path in sorted(directory.glob("*.json")):
        meeting = json.loads(path.read_text())
        texts.append(LabelledText(meeting["transcript"], meeting.get("technique") != "benign"))
    return texts


def frozen_texts() -> list[LabelledText]:
    return [LabelledText(c["text"], bool(c["label"])) for c in load_cases("injection")]


def anchor_texts(count: int = ANCHOR_TEXTS, seed: int = 0) -> list[LabelledText]:
    """A balanced sample of the shipped seed corpus's training texts (never the frozen set)."""
    train = [e for e in seed_corpus.build() if e.split == "train"]
    rng = random.Random(seed)
    chosen = []
    for label in (0, 1):
        pool = [e for e in train if e.label == label]
        chosen += rng.sample(pool, min(count // 2, len(pool)))
    return [LabelledText(e.text, bool(e.label)) for e in chosen]


@dataclass
class Candidate:
    directory: Path
    decision: GateDecision
    case_ids: list[str]
    variant_count: int
    heldout_count: int
    patch_bytes: int
    seconds: dict[str, float] = field(default_factory=dict)


def _flags(detector: InjectionDetector, texts: Sequence[str]) -> list[bool]:
    return [r.probability >= REVIEW_SCORE for r in detector.score_batch(list(texts))] if texts else []


def _figures(gate: str, parent: list[bool], candidate: list[bool], labels: list[bool], **options) -> GateFigures:
    return GateFigures(
        gate, len(labels), sum(p == y for p, y in zip(parent, labels, strict=True)),
        sum(c == y for c, y in zip(candidate, labels, strict=True)), **options,
    )


def build_candidate(
    parent: InjectionDetector,
    new_cases: Sequence[FeedbackCase],
    earlier_cases: Sequence[FeedbackCase],
    workdir: Path,
    *,
    seed: int = 0,
    extra_texts: Callable[[FeedbackCase], list[tuple[str, str]]] | None = None,
    anchors: Sequence[LabelledText] | None = None,
    attack_suite: Sequence[LabelledText] | None = None,
    frozen: Sequence[LabelledText] | None = None,
    progress: Callable[[str], None] = lambda message: log.info("%s", message),
) -> Candidate:
    """Variants, patch and gates for `new_cases`; the patch folder is written to `workdir`."""
    if not new_cases:
        raise ValueError("no new feedback cases to build a patch from")
    clock = time.perf_counter()
    seconds: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = round(now - clock, 3)
        clock = now

    encoder = CachedEncoder(parent.encoder)
    parent = InjectionDetector(encoder, parent.head)  # type: ignore[arg-type]
    made = [v for case in new_cases for v in variant_maker.generate(case, seed=seed, extra_texts=extra_texts(case) if extra_texts else ())]
    train, heldout = variant_maker.split(made)
    progress(f"{len(made)} variants of {len(new_cases)} case(s), {len(heldout)} held out")
    lap("variants")
    anchors = [] if anchors is None else anchors
    head = parent.head
    embedded = encoder.embed_windows([v.text for v in train] + [a.text for a in anchors], window_tokens=head.window_tokens, stride=head.stride)
    variant_windows = [LabelledWindows(w.embeddings, v.should_flag) for v, w in zip(train, embedded[: len(train)], strict=True)]
    anchor_windows = [LabelledWindows(w.embeddings, a.should_flag) for a, w in zip(anchors, embedded[len(train):], strict=True)]
    lap("embed")
    progress(f"codebook of {sum(len(v.embeddings) for v in variant_windows)} windows from {len(variant_windows)} variants")
    new_head = patched(head, codebook=codebook_for(variant_windows, previous=head.codebook))
    candidate = InjectionDetector(encoder, new_head)  # type: ignore[arg-type]
    lap("fit")
    progress("measuring the gates")
    suite = attack_suite_texts() if attack_suite is None else list(attack_suite)
    frozen = frozen_texts() if frozen is None else list(frozen)
    sets = {
        "new_cases": [LabelledText(c.content, c.should_flag) for c in new_cases],
        "earlier_cases": [LabelledText(c.content, c.should_flag) for c in earlier_cases],
        "attack_suite": suite,
        "frozen": frozen,
        "heldout_variants": [LabelledText(v.text, v.should_flag) for v in heldout],
    }
    flags = {name: (_flags(parent, [t.text for t in texts]), _flags(candidate, [t.text for t in texts])) for name, texts in sets.items()}
    labels = {name: [t.should_flag for t in texts] for name, texts in sets.items()}
    # The attack suite: every attack the parent flagged must stay flagged (the parent's misses are
    # other watchers' job), and no benign meeting may start to be flagged.
    kept = [i for i, (p, y) in enumerate(zip(flags["attack_suite"][0], labels["attack_suite"], strict=True)) if p == y]
    figures = [
        _figures("new_cases", *flags["new_cases"], labels["new_cases"], require_all=True),
        _figures("earlier_cases", *flags["earlier_cases"], labels["earlier_cases"], tolerance=EARLIER_TOLERANCE),
        _figures("attack_suite", [flags["attack_suite"][0][i] for i in kept], [flags["attack_suite"][1][i] for i in kept],
                 [labels["attack_suite"][i] for i in kept], require_all=True),
        _figures("frozen", *flags["frozen"], labels["frozen"], tolerance=FROZEN_TOLERANCE),
        _figures("heldout_variants", *flags["heldout_variants"], labels["heldout_variants"], floor=HELDOUT_FLOOR),
    ]
    decision = decide(figures)
    lap("gates")
    files = write_patch(workdir, new_head, {**decision.as_metrics(), "violet.variants": float(len(made)),
                                            "violet.cases": float(len(new_cases))})
    return Candidate(
        directory=Path(workdir), decision=decision, case_ids=[c.case_id for c in new_cases], variant_count=len(made),
        heldout_count=len(heldout), patch_bytes=sum(f.stat().st_size for f in files), seconds=seconds,
    )
