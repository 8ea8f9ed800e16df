"""Compare injection models on the writers' held-out texts, the figures a new model is chosen on.

    python -m lammesh.evaluation.writers_heldout [--models-dir DIR ...] [--seeds DIR]

Each model scores the same texts: the held-out split (`seed_corpus`, by text hash) of the seed
files, raw (every benign text, every attack payload alone, every attack document). A model trained
on other seed files holds these texts out too, so two builds compare fairly on the writers both
saw; on a writer only one of them trained on, the other has never seen that writer at all. The
frozen evaluation set is never read here (`make eval-watchers` reports it, once, after the choice).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lammesh.models.injection import seed_corpus
from lammesh.models.injection.detector import BLOCK_SCORE, REVIEW_SCORE, InjectionDetector
from lammesh.models.injection.linear import recall_at_fpr, roc_auc
from lammesh.models.injection.seed_corpus import SeedText


@dataclass(frozen=True)
class Figures:
    attacks: int
    benign: int
    roc_auc: float
    recall_at_1pct_fpr: float
    attacks_flagged: float
    attacks_blocked: float
    benign_flagged: float
    benign_blocked: float


def groups(texts: list[SeedText]) -> dict[str, Callable[[SeedText], bool]]:
    """All texts, by language (en, non-en, tr) and by writer."""
    chosen: dict[str, Callable[[SeedText], bool]] = {
        "all": lambda s: True,
        "en": lambda s: s.lang == "en",
        "non-en": lambda s: s.lang != "en",
        "tr": lambda s: s.lang == "tr",
    }
    for writer in sorted({s.writer for s in texts}):
        chosen[f"writer {writer}"] = lambda s, writer=writer: s.writer == writer  # type: ignore[misc]
    return chosen


def figures(labels: np.ndarray, scores: np.ndarray) -> Figures | None:
    """None where the group lacks attacks or benign texts."""
    attacks, benign = labels == 1, labels == 0
    if not attacks.any() or not benign.any():
        return None
    recall, _ = recall_at_fpr(labels, scores, 0.01)
    return Figures(
        attacks=int(attacks.sum()),
        benign=int(benign.sum()),
        roc_auc=round(roc_auc(labels, scores), 3),
        recall_at_1pct_fpr=round(recall, 3),
        attacks_flagged=round(float(np.mean(scores[attacks] >= REVIEW_SCORE)), 3),
        attacks_blocked=round(float(np.mean(scores[attacks] >= BLOCK_SCORE)), 3),
        benign_flagged=round(float(np.mean(scores[benign] >= REVIEW_SCORE)), 3),
        benign_blocked=round(float(np.mean(scores[benign] >= BLOCK_SCORE)), 3),
    )


def compare(models_dirs: list[Path | None], seeds_dir: Path = seed_corpus.SEEDS_DIR) -> dict[str, dict[str, Figures]]:
    """{group: {model: figures}} over the held-out texts of `seeds_dir`."""
    texts = [s for s in seed_corpus.load_seeds(seeds_dir) if s.split == "heldout"]
    labels = np.array([s.label for s in texts])
    table: dict[str, dict[str, Figures]] = {}
    for models_dir in models_dirs:
        detector = InjectionDetector.load(models_dir=models_dir)
        scores = np.array([r.probability for r in detector.score_batch([s.text for s in texts])])
        for name, member in groups(texts).items():
            rows = np.array([member(s) for s in texts], dtype=bool)
            result = figures(labels[rows], scores[rows])
            if result is not None:
                table.setdefault(name, {})[str(models_dir or "default")] = result
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", action="append", type=Path, help="repeat to compare; default .cache/models")
    parser.add_argument("--seeds", type=Path, default=seed_corpus.SEEDS_DIR, help="a folder of seed *.jsonl files")
    args = parser.parse_args(argv)
    table = compare(args.models_dir or [None], args.seeds)
    for name, by_model in table.items():
        print(name)
        for model, f in by_model.items():
            print(
                f"  {model}: {f.attacks} attacks / {f.benign} benign: ROC-AUC {f.roc_auc}, recall@1%FPR "
                f"{f.recall_at_1pct_fpr}, attacks flagged {f.attacks_flagged} (blocked {f.attacks_blocked}), "
                f"benign flagged {f.benign_flagged} (blocked {f.benign_blocked})"
            )


if __name__ == "__main__":
    main()
