"""Train and evaluate the injection head and the ensemble stacker (run by `make models`).

1. Generate the corpus (lammesh.models.injection.corpus); split train / held-out by template.
2. Split the training templates again: "fit" (the head) and "calibrate" (the stacker).
3. Fit the head on window embeddings; windows of long texts are labelled by whether they overlap
   the inserted attack.
4. Violet team: mutate every fit attack the head catches, score the variants, add them all to the
   fit set (the ones that evaded are the interesting ones), refit.
5. Fit the stacker on the calibrate templates: [head logit (max over windows), rule strengths].
6. Evaluate on the held-out templates: the ensemble, the head alone and the rules alone.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass

import numpy as np
import structlog

from lammesh.models.encoder import SentenceEncoder
from lammesh.models.injection import corpus, heuristics
from lammesh.models.injection.corpus import Example
from lammesh.models.injection.detector import STACK_FEATURES, InjectionDetector, InjectionHead, stack_features
from lammesh.models.injection.linear import (
    LogisticModel,
    classification_report,
    expected_calibration_error,
    fit_logistic,
    recall_at_fpr,
    roc_auc,
)

log = structlog.get_logger(__name__)

WINDOW_TOKENS = 32
STRIDE = 8
REVIEW_THRESHOLD = 0.5
BLOCK_THRESHOLD = 0.85
SEED = 7


def _is_calibration(example: Example, index: int) -> bool:
    key = example.template if not example.template.startswith("long/") else f"{example.template}/{index}"
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % 4 == 0


def _window_dataset(encoder: SentenceEncoder, examples: list[Example]) -> tuple[np.ndarray, np.ndarray]:
    usable = [e for e in examples if not e.family.startswith("encoded_")]
    windows = encoder.embed_windows([e.text for e in usable], window_tokens=WINDOW_TOKENS, stride=STRIDE)
    features, labels = [], []
    for example, text_windows in zip(usable, windows, strict=True):
        for vector, (start, end) in zip(text_windows.embeddings, text_windows.spans, strict=True):
            if example.attack_span is None:
                label = example.label
            else:
                # A window holding (most of) the attack is positive, one without any of it is
                # negative, one with a fragment is ambiguous and left out.
                a, b = example.attack_span
                overlap = max(0, min(b, end) - max(a, start))
                if overlap >= 0.6 * (b - a):
                    label = 1
                elif overlap == 0:
                    label = 0
                else:
                    continue
            features.append(vector)
            labels.append(label)
    return np.asarray(features), np.asarray(labels)


@dataclass
class TrainingResult:
    head: InjectionHead
    metrics: dict


def train(encoder: SentenceEncoder, encoder_sha256: str, *, seed: int = SEED) -> TrainingResult:
    started = time.perf_counter()
    examples = corpus.generate(seed)
    train_set = [e for e in examples if e.split == "train"]
    heldout = [e for e in examples if e.split == "heldout"]
    fit_set = [e for i, e in enumerate(train_set) if not _is_calibration(e, i)]
    calibrate_set = [e for i, e in enumerate(train_set) if _is_calibration(e, i)]
    log.info("injection corpus", examples=len(examples), fit=len(fit_set), calibrate=len(calibrate_set), heldout=len(heldout))

    x, y = _window_dataset(encoder, fit_set)
    head = fit_logistic(x, y, l2=1e-4)

    # Violet team round: variants of every caught attack.
    rng = random.Random(seed + 1)
    short_attacks = [e for e in fit_set if e.label and e.attack_span is None and not e.family.startswith("encoded_")]
    caught = [e for e, p in zip(short_attacks, head.probabilities(encoder.embed([e.text for e in short_attacks])), strict=True) if p >= 0.5]
    variants = [corpus.mutate(e, rng) for e in caught for _ in range(2)]
    variant_probabilities = head.probabilities(encoder.embed([v.text for v in variants])) if variants else np.zeros(0)
    evaded = int((variant_probabilities < 0.5).sum())
    vx, vy = _window_dataset(encoder, variants)
    head = fit_logistic(np.concatenate([x, vx]), np.concatenate([y, vy]), l2=1e-4)
    log.info("violet round", caught=len(caught), variants=len(variants), evaded=evaded)

    # Stacker on templates the head never saw.
    provisional = InjectionHead(head, LogisticModel(np.zeros(len(STACK_FEATURES), dtype=np.float32), 0.0), STACK_FEATURES, WINDOW_TOKENS, STRIDE, encoder_sha256)
    detector = InjectionDetector(encoder, provisional)
    cal_results = detector.score_batch([e.text for e in calibrate_set])
    cal_features = np.stack([stack_features(r.model_logit, r.windows, r.signals) for r in cal_results])
    cal_labels = np.array([e.label for e in calibrate_set])
    # Weight so attacks and benign texts count equally among short texts and among long ones: the
    # corpus has more long attacks than real traffic would, and text length alone proves nothing.
    is_long = np.array([r.windows > 1 for r in cal_results])
    weights = np.ones(len(cal_labels))
    for group in (is_long, ~is_long):
        for label in (0, 1):
            rows = group & (cal_labels == label)
            if rows.any():
                weights[rows] = group.sum() / (2 * rows.sum())
    stacker = fit_logistic(cal_features, cal_labels, l2=1e-4, epochs=2000, sample_weight=weights)
    final = InjectionHead(head, stacker, STACK_FEATURES, WINDOW_TOKENS, STRIDE, encoder_sha256)

    metrics = evaluate(InjectionDetector(encoder, final), heldout)
    metrics["training"] = {
        "seed": seed,
        "corpus_examples": len(examples),
        "fit_examples": len(fit_set),
        "fit_windows": int(len(y)),
        "calibrate_examples": len(calibrate_set),
        "heldout_examples": len(heldout),
        "templates": {
            split: sorted({e.template for e in examples if e.split == split and not e.template.startswith("long/")})
            for split in ("train", "heldout")
        },
        "violet_team": {"caught_attacks": len(caught), "variants": len(variants), "variants_that_evaded": evaded},
        "stacker_weights": dict(zip(STACK_FEATURES, [round(float(w), 3) for w in stacker.weights], strict=True)),
        "stacker_bias": round(stacker.bias, 3),
        "encoder_backend": encoder.backend_name,
        "seconds": round(time.perf_counter() - started, 1),
    }
    return TrainingResult(final, metrics)


def evaluate(detector: InjectionDetector, heldout: list[Example]) -> dict:
    results = detector.score_batch([e.text for e in heldout])
    labels = np.array([e.label for e in heldout])
    ensemble = np.array([r.probability for r in results])
    model_only = np.array([r.model_probability for r in results])
    rules_only = np.array([max(heuristics.category_strengths(r.signals)) for r in results])

    def summary(scores: np.ndarray, threshold: float) -> dict:
        recall, at = recall_at_fpr(labels, scores, 0.01)
        return {
            "roc_auc": round(roc_auc(labels, scores), 4),
            "recall_at_1pct_fpr": round(recall, 4),
            "threshold_at_1pct_fpr": round(at, 4),
            **classification_report(labels, scores, threshold),
        }

    per_family = {}
    for family in sorted({e.family for e in heldout}):
        rows = np.array([e.family == family for e in heldout])
        flagged = ensemble[rows] >= REVIEW_THRESHOLD
        blocked = ensemble[rows] >= BLOCK_THRESHOLD
        attacks = bool(labels[rows].all())
        per_family[family] = {
            "n": int(rows.sum()),
            ("recall" if attacks else "false_positive_rate"): round(float(flagged.mean()), 4),
            ("recall_at_block" if attacks else "blocked_rate"): round(float(blocked.mean()), 4),
        }
    return {
        "heldout": {
            "ensemble": summary(ensemble, REVIEW_THRESHOLD),
            "ensemble_at_block_threshold": classification_report(labels, ensemble, BLOCK_THRESHOLD),
            "model_only": summary(model_only, 0.5),
            "rules_only": summary(rules_only, 0.5),
            "expected_calibration_error": round(expected_calibration_error(labels, ensemble), 4),
            "per_family": per_family,
        },
        "thresholds": {"review": REVIEW_THRESHOLD, "block": BLOCK_THRESHOLD},
    }
