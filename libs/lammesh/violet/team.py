"""One violet-team pass for the injection watcher (the edge: models, files, the registry).

cases -> variants (`variants`) -> window embeddings (the parent's unchanged encoder; each text
embedded on its own, as a watcher checking it alone does, and shared by parent and candidate) ->
codebook (`patch.codebook_for`: keys kept clear of the known texts of the other label) -> the
patch's head.npz, read back with the normal loader -> measured gates (`gates.decide`) -> the patch
folder (head.npz, metrics.json) -> published as a CANDIDATE with the parent's encoder folder
added, then put in CANARY when the gates pass.

The frozen evaluation set is read here ONLY to measure the `frozen` no-regression gate; it never
reaches the codebook, the known texts or thresholds. The known texts (anchors) come from the
shipped seed corpus (train split) and the earlier feedback cases.
"""

from __future__ import annotations

import functools
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
from lammesh.models.injection.detector import REVIEW_SCORE, InjectionDetector, InjectionHead
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
    """The parent's encoder with its window embeddings remembered per call, so the parent and the
    candidate (same encoder) are scored on one embedding of each check. Keyed by the whole call:
    the INT8 encoder's embeddings depend a little on the batch a window is run in, so a text is
    only ever reused as part of the same call."""

    def __init__(self, encoder: SentenceEncoder) -> None:
        self._encoder = encoder
        self._cache: dict[tuple[tuple[str, ...], int, int], list[TextWindows]] = {}

    def embed_windows(self, texts: list[str], *, window_tokens: int = 128, stride: int = 32) -> list[TextWindows]:
        key = (tuple(texts), window_tokens, stride)
        if key not in self._cache:
            self._cache[key] = self._encoder.embed_windows(list(texts), window_tokens=window_tokens, stride=stride)
        return self._cache[key]

    def embed_each(self, texts: Sequence[str], *, window_tokens: int, stride: int) -> list[TextWindows]:
        """Every text's windows embedded on their own, as a watcher checking that text alone does."""
        return [self.embed_windows([text], window_tokens=window_tokens, stride=stride)[0] for text in texts]


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


def _flags(detector: InjectionDetector, texts: Sequence[str], *, alone: bool = True) -> list[bool]:
    """Whether the detector flags each text. `alone`: scored the way a watcher scores a check of
    that text alone (one `score_batch` call per text: its windows and decoded payloads together);
    otherwise all in one call (faster; parent and candidate then share that call's embeddings)."""
    if not alone:
        return [r.probability >= REVIEW_SCORE for r in detector.score_batch(list(texts))] if texts else []
    return [detector.score_batch([text])[0].probability >= REVIEW_SCORE for text in texts]


def _figures(gate: str, parent: list[bool], candidate: list[bool], labels: list[bool], **options) -> GateFigures:
    return GateFigures(
        gate,
        len(labels),
        sum(p == y for p, y in zip(parent, labels, strict=True)),
        sum(c == y for c, y in zip(candidate, labels, strict=True)),
        **options,
    )


def build_candidate(
    parent: InjectionDetector,
    new_cases: Sequence[FeedbackCase],
    earlier_cases: Sequence[FeedbackCase],
    workdir: Path,
    *,
    seed: int = 0,
    rounds: int = variant_maker.DEFAULT_ROUNDS,
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
    made = [
        v
        for case in new_cases
        for v in variant_maker.generate(
            case, seed=seed, rounds=rounds, extra_texts=extra_texts(case) if extra_texts else ()
        )
    ]
    train, heldout = variant_maker.split(made)
    progress(f"{len(made)} variants of {len(new_cases)} case(s), {len(heldout)} held out")
    lap("variants")
    anchors = anchor_texts() if anchors is None else list(anchors)
    head = parent.head
    embed = functools.partial(encoder.embed_each, window_tokens=head.window_tokens, stride=head.stride)
    variant_windows = [
        LabelledWindows(w.embeddings, v.should_flag) for v, w in zip(train, embed([v.text for v in train]), strict=True)
    ]
    # Texts whose label is known: a key must never reach one of the other label (patch.key_radii).
    known = [*anchors, *(LabelledText(c.content, c.should_flag) for c in earlier_cases)]
    # Embedded in one call (fast): the margin of the radii covers the batch's noise (patch.DEFAULT_MARGIN).
    known_embedded = (
        encoder.embed_windows([k.text for k in known], window_tokens=head.window_tokens, stride=head.stride)
        if known
        else []
    )
    known_windows = [LabelledWindows(w.embeddings, k.should_flag) for k, w in zip(known, known_embedded, strict=True)]
    lap("embed")
    book = codebook_for(variant_windows, known=known_windows, previous=head.codebook)
    progress(
        f"codebook of {len(book.keys)} keys from {sum(len(v.embeddings) for v in variant_windows)} windows of "
        f"{len(variant_windows)} variants (radii {book.radii.min():.3f}-{book.radii.max():.3f})"
    )
    # The gates score the candidate as a watcher that loaded it would: read back from its file.
    Path(workdir).mkdir(parents=True, exist_ok=True)
    patched(head, codebook=book).save(Path(workdir) / "head.npz")
    new_head = InjectionHead.load(Path(workdir) / "head.npz")
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
    # Every gate scores each text alone, exactly as a watcher that loaded the candidate checks it,
    # except the frozen set (1,300 texts; a tolerance gate), scored in one call for speed.
    flags = {
        name: (
            _flags(parent, [t.text for t in texts], alone=name != "frozen"),
            _flags(candidate, [t.text for t in texts], alone=name != "frozen"),
        )
        for name, texts in sets.items()
    }
    labels = {name: [t.should_flag for t in texts] for name, texts in sets.items()}
    # The attack suite: every attack the parent flagged must stay flagged (the parent's misses are
    # other watchers' job), and no benign meeting may start to be flagged.
    kept = [i for i, (p, y) in enumerate(zip(flags["attack_suite"][0], labels["attack_suite"], strict=True)) if p == y]
    figures = [
        _figures("new_cases", *flags["new_cases"], labels["new_cases"], require_all=True),
        _figures("earlier_cases", *flags["earlier_cases"], labels["earlier_cases"], tolerance=EARLIER_TOLERANCE),
        _figures(
            "attack_suite",
            [flags["attack_suite"][0][i] for i in kept],
            [flags["attack_suite"][1][i] for i in kept],
            [labels["attack_suite"][i] for i in kept],
            require_all=True,
        ),
        _figures("frozen", *flags["frozen"], labels["frozen"], tolerance=FROZEN_TOLERANCE),
        _figures("heldout_variants", *flags["heldout_variants"], labels["heldout_variants"], floor=HELDOUT_FLOOR),
    ]
    decision = decide(figures)
    lap("gates")
    files = write_patch(
        workdir,
        new_head,
        {**decision.as_metrics(), "violet.variants": float(len(made)), "violet.cases": float(len(new_cases))},
    )
    return Candidate(
        directory=Path(workdir),
        decision=decision,
        case_ids=[c.case_id for c in new_cases],
        variant_count=len(made),
        heldout_count=len(heldout),
        patch_bytes=sum(f.stat().st_size for f in files),
        seconds=seconds,
    )
