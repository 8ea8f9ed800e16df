"""Train the insights heads (deal stage, sentiment) on the repository's corpus, evaluate them on
held-out templates, and save them with a report next to the encoder artifacts:

    python -m lammesh_services.agents.insights.train [--models-dir DIR]

Writes <models_dir>/insights/{stage.npz,sentiment.npz,report.json}. The final heads are trained
on every template once the held-out figures are taken."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from lammesh.agents.softmax import SoftmaxHead, accuracy, confusion, fit_softmax
from lammesh.models import SentenceEncoder
from lammesh.models.artifacts import resolve_models_dir
from lammesh_services.agents.insights.corpus import (
    SENTIMENT_TEMPLATES,
    STAGE_TEMPLATES,
    Example,
    make_corpus,
    split_by_template,
)

INSIGHTS_SUBDIR = "insights"


def heads_dir(models_dir: str | Path | None) -> Path:
    return resolve_models_dir(models_dir) / INSIGHTS_SUBDIR


def _embed(encoder: SentenceEncoder, examples: list[Example]) -> np.ndarray:
    return encoder.embed([e.text for e in examples])


def train_head(encoder: SentenceEncoder, templates: dict[str, list[str]]) -> tuple[SoftmaxHead, dict]:
    corpus = make_corpus(templates)
    train, test = split_by_template(corpus)
    x_train, x_test = _embed(encoder, train), _embed(encoder, test)
    held_out = fit_softmax(x_train, [e.label for e in train])
    report = {
        "examples": len(corpus),
        "train_examples": len(train),
        "test_examples": len(test),
        "test_templates": len({e.template for e in test}),
        "held_out_accuracy": round(accuracy(held_out, x_test, [e.label for e in test]), 4),
        "train_accuracy": round(accuracy(held_out, x_train, [e.label for e in train]), 4),
        "confusion": confusion(held_out, x_test, [e.label for e in test]),
    }
    final = fit_softmax(np.concatenate([x_train, x_test]), [e.label for e in train + test])
    return final, report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", default=None)
    args = parser.parse_args(argv)
    encoder = SentenceEncoder.load(args.models_dir)
    out = heads_dir(args.models_dir)
    report = {"encoder_backend": encoder.backend_name}
    for name, templates in (("stage", STAGE_TEMPLATES), ("sentiment", SENTIMENT_TEMPLATES)):
        head, report[name] = train_head(encoder, templates)
        head.save(out / f"{name}.npz")
        print(
            f"insights {name}: held-out accuracy {report[name]['held_out_accuracy']:.3f} "
            f"on {report[name]['test_examples']} sentences from {report[name]['test_templates']} unseen templates"
        )
    (out / "report.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
