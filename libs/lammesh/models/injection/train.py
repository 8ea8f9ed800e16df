"""Train and evaluate the injection model (run by `make models`).

1. The corpus: the generated templates (lammesh.models.injection.corpus) and the texts of the
   independent writers (lammesh.models.injection.seed_corpus); each split train / held-out by
   template or by text.
2. The training templates are split again: "fit" (the encoder and head) and "calibrate" (the
   stacker).
3. Fine-tune the encoder and the head together on 64-token windows (lammesh.models.injection.
   finetune, JAX on CPU): windows of a text with an inserted attack are labelled by whether they
   hold it; attack documents whose attack span is unknown are bags: after the first epoch the
   window the model scores highest in each becomes a positive for the rest of the training.
4. Export the fine-tuned encoder to ONNX (FP32 for TensorRT, INT8 for ONNX Runtime), checked
   against the numpy reference like the shared encoder.
5. Fit the stacker on the calibrate templates: [head logit (max over windows), sqrt(2 ln #windows), rule
   strengths].
6. Evaluate on the held-out templates and texts: the ensemble, the head alone and the rules alone.
The frozen evaluation sets are never read here: `make eval-watchers` measures on them.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import structlog

from lammesh.models.artifacts import EncoderArtifacts
from lammesh.models.bert import BertConfig, BertWeights
from lammesh.models.encoder import SentenceEncoder
from lammesh.models.injection import corpus, heuristics, seed_corpus
from lammesh.models.injection.corpus import Example
from lammesh.models.injection.detector import (
    BLOCK_SCORE,
    REVIEW_SCORE,
    STACK_FEATURES,
    InjectionDetector,
    InjectionHead,
    stack_features,
)
from lammesh.models.injection.finetune import EncoderTrainer, FinetuneSettings, WindowBatchSource, steps_for
from lammesh.models.injection.linear import (
    LogisticModel,
    classification_report,
    expected_calibration_error,
    fit_logistic,
    recall_at_fpr,
    roc_auc,
)
from lammesh.models.tokenize import WindowTokenizer

log = structlog.get_logger(__name__)

WINDOW_TOKENS = 64
STRIDE = 32
REVIEW_THRESHOLD = REVIEW_SCORE  # the scores the operating points are mapped to
BLOCK_THRESHOLD = BLOCK_SCORE
SEED = 7
# The generated templates are many and alike: a sample of them keeps what they teach (encodings'
# decoded text, long transcripts) without letting one author's phrasings dominate the writers'.
TEMPLATE_FIT_EXAMPLES = 2000
# Texts of the independent writers count this much more than a generated one.
SEED_WEIGHT = 2.0
MAX_LANGUAGE_BOOST = 4.0
# Operating points, chosen on the writers' benign calibration texts (never on the frozen set):
# REVIEW where REVIEW_FPR of them would be flagged, BLOCK where BLOCK_FPR would be blocked.
REVIEW_FPR = 0.02
BLOCK_FPR = 0.005


# The stacker may weigh the head and each rule category as the calibration texts say, but never
# below zero: a rule firing, or the head scoring higher, must not lower the score (a benign corpus
# that quotes "without restrictions" more often than attacks do would otherwise teach it that).
STACKER_LOWER_BOUNDS = np.array(
    [0.0 if feature != "windows_max_drift" else -np.inf for feature in STACK_FEATURES], dtype=np.float64
)


def _is_calibration(example: Example, index: int) -> bool:
    key = example.template if not example.template.startswith("long/") else f"{example.template}/{index}"
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % 4 == 0


def _is_bag(example: Example) -> bool:
    """An attack document whose planted part is not marked: one of its windows is positive."""
    return example.family.startswith("seed-document/") and not example.attack_spans


def _window_label(example: Example, start: int, end: int) -> int | None:
    """A window holding (most of) an attack span is positive, one without any of it is negative,
    one with only a fragment is ambiguous (None: left out)."""
    if not example.attack_spans:
        return example.label
    overlaps = [(max(0, min(b, end) - max(a, start)), b - a) for a, b in example.attack_spans]
    if any(overlap >= 0.6 * length or overlap >= 0.6 * (end - start) for overlap, length in overlaps):
        return 1
    if all(overlap == 0 for overlap, _ in overlaps):
        return 0
    return None


def _window_dataset(
    tokenizer: WindowTokenizer, examples: list[Example]
) -> tuple[list[list[int]], list[int], list[bool], list[str]]:
    """(token ids, label, from a writer's seed, language) of every training window of `examples`."""
    windows = tokenizer.windows([e.text for e in examples], window_tokens=WINDOW_TOKENS, stride=STRIDE)
    ids, labels, seeded, languages = [], [], [], []
    for window in windows:
        example = examples[window.text_index]
        label = _window_label(example, window.start, window.end)
        if label is None:
            continue
        ids.append(window.ids)
        labels.append(label)
        seeded.append(example.template.startswith("seed/"))
        languages.append(example.language)
    return ids, labels, seeded, languages


def _weights(labels: np.ndarray, seeded: np.ndarray, languages: np.ndarray) -> np.ndarray:
    """Writers' texts count SEED_WEIGHT times a template's; in each language other than English,
    benign text weighs at least as much as attacks (up to MAX_LANGUAGE_BOOST times more), or the
    model learns "not English = attack"; then both classes weigh the same overall."""
    weights = np.where(seeded, SEED_WEIGHT, 1.0).astype(np.float32)
    for language in set(languages.tolist()) - {"en"}:
        benign = (languages == language) & (labels == 0)
        attacks = (languages == language) & (labels == 1)
        if benign.any() and attacks.any():
            ratio = weights[attacks].sum() / weights[benign].sum()
            weights[benign] *= float(np.clip(ratio, 1.0, MAX_LANGUAGE_BOOST))
    for label in (0, 1):
        rows = labels == label
        weights[rows] *= 0.5 * weights.sum() / max(weights[rows].sum(), 1e-9)
    return weights / weights.mean()


@dataclass
class TrainingResult:
    head: InjectionHead
    metrics: dict


def fine_tune(
    config: BertConfig,
    weights: BertWeights,
    tokenizer: WindowTokenizer,
    fit_set: list[Example],
    settings: FinetuneSettings,
    progress: Callable[[str], None],
) -> tuple[BertWeights, LogisticModel, dict]:
    plain = [e for e in fit_set if not e.family.startswith("encoded_") and not _is_bag(e)]
    bags = [e for e in fit_set if _is_bag(e)]
    ids, labels, seeded, languages = _window_dataset(tokenizer, plain)
    label_array = np.array(labels, dtype=np.float32)
    data = WindowBatchSource(ids, label_array, _weights(label_array, np.array(seeded), np.array(languages)))
    bag_windows = tokenizer.windows([e.text for e in bags], window_tokens=WINDOW_TOKENS, stride=STRIDE)
    trainer = EncoderTrainer(config, weights, settings, steps_for(len(ids) + len(bags), settings))
    rng = random.Random(settings.seed)
    started = time.perf_counter()
    losses = []
    for epoch in range(1, settings.epochs + 1):
        if epoch == 2 and bag_windows:
            # Each attack document's most suspicious window becomes a positive.
            scores = trainer.score([w.ids for w in bag_windows])
            best: dict[int, int] = {}
            for row, window in enumerate(bag_windows):
                if window.text_index not in best or scores[row] > scores[best[window.text_index]]:
                    best[window.text_index] = row
            positive_weight = float(data.weights[data.labels == 1].mean())
            chosen = [bag_windows[row].ids for row in best.values()]
            data = data.extend(chosen, np.ones(len(chosen)), np.full(len(chosen), positive_weight * SEED_WEIGHT / 2))
            progress(f"fine-tune: {len(chosen)} attack documents add their most suspicious window")
        progress(f"fine-tune: epoch {epoch}/{settings.epochs}, {len(data.ids)} windows")
        losses.append(round(trainer.train_epoch(data, rng, progress), 4))
    tuned, head = trainer.result()
    details = {
        "windows": len(data.ids),
        "positive_windows": int(data.labels.sum()),
        "attack_documents": len(bags),
        "epochs": settings.epochs,
        "epoch_losses": losses,
        "learning_rate": settings.learning_rate,
        "head_learning_rate": settings.head_learning_rate,
        "batch_size": settings.batch_size,
        "seconds": round(time.perf_counter() - started, 1),
    }
    return tuned, head, details


def choose_operating_points(stacked: np.ndarray, calibrate_set: list[Example]) -> tuple[float, float]:
    """Stacker outputs at which REVIEW_FPR / BLOCK_FPR of the writers' benign calibration texts
    (the realistic ones; generated benign text is far easier) would be flagged / blocked."""
    benign = np.sort(
        [p for p, e in zip(stacked, calibrate_set, strict=True) if e.label == 0 and e.template.startswith("seed/")]
    )[::-1]
    if len(benign) == 0:
        return REVIEW_THRESHOLD, BLOCK_THRESHOLD

    def at(fpr: float) -> float:
        return float(benign[min(int(np.floor(fpr * len(benign))), len(benign) - 1)]) + 1e-6

    review = float(np.clip(at(REVIEW_FPR), 0.05, 0.995))
    block = float(np.clip(max(at(BLOCK_FPR), review + 1e-4), review + 1e-4, 0.9999))
    return review, block


def train(
    base: tuple[BertConfig, BertWeights, Path],
    write_encoder: Callable[[BertWeights], EncoderArtifacts],
    *,
    seed: int = SEED,
    settings: FinetuneSettings | None = None,
    progress: Callable[[str], None] = print,
) -> TrainingResult:
    """Fine-tune on the corpus, export the encoder with `write_encoder`, fit the stacker, evaluate."""
    started = time.perf_counter()
    settings = settings or FinetuneSettings(seed=seed)
    config, weights, tokenizer_json = base
    templated = corpus.generate(seed)
    seeded = seed_corpus.build(seed)
    examples = templated + seeded
    train_set = [e for e in examples if e.split == "train"]
    heldout = [e for e in examples if e.split == "heldout"]
    fit_set = [e for i, e in enumerate(train_set) if not _is_calibration(e, i)]
    calibrate_set = [e for i, e in enumerate(train_set) if _is_calibration(e, i)]
    fit_templated = [e for e in fit_set if not e.template.startswith("seed/")]
    fit_set = [e for e in fit_set if e.template.startswith("seed/")] + random.Random(seed).sample(
        fit_templated, min(TEMPLATE_FIT_EXAMPLES, len(fit_templated))
    )
    progress(
        f"injection corpus: {len(examples)} examples ({len(seeded)} from writers' texts); fit {len(fit_set)}, calibrate {len(calibrate_set)}, held out {len(heldout)}"
    )

    tokenizer = WindowTokenizer(tokenizer_json, max_positions=config.max_position_embeddings)
    tuned, head, tuning = fine_tune(config, weights, tokenizer, fit_set, settings, progress)
    artifacts = write_encoder(tuned)
    encoder = SentenceEncoder.load(artifacts=artifacts, backend="onnxruntime")
    encoder_sha256 = artifacts.read_manifest()["onnx_sha256"]

    # Stacker on templates the head never saw.
    provisional = InjectionHead(
        head,
        LogisticModel(np.zeros(len(STACK_FEATURES), dtype=np.float32), 0.0),
        STACK_FEATURES,
        WINDOW_TOKENS,
        STRIDE,
        encoder_sha256,
    )
    detector = InjectionDetector(encoder, provisional)
    cal_results = detector.score_batch([e.text for e in calibrate_set])
    cal_features = np.stack([stack_features(r.model_logit, r.windows, r.signals) for r in cal_results])
    cal_labels = np.array([e.label for e in calibrate_set])
    # Weight so attacks and benign texts count equally among short texts and among long ones: the
    # corpus has more long attacks than real traffic would, and text length alone proves nothing.
    is_long = np.array([r.windows > 1 for r in cal_results])
    sample_weights = np.ones(len(cal_labels))
    for group in (is_long, ~is_long):
        for label in (0, 1):
            rows = group & (cal_labels == label)
            if rows.any():
                sample_weights[rows] = group.sum() / (2 * rows.sum())
    stacker = fit_logistic(
        cal_features, cal_labels, l2=1e-4, epochs=2000, sample_weight=sample_weights, lower_bounds=STACKER_LOWER_BOUNDS
    )
    operating_points = choose_operating_points(stacker.probabilities(cal_features), calibrate_set)
    final = InjectionHead(head, stacker, STACK_FEATURES, WINDOW_TOKENS, STRIDE, encoder_sha256, operating_points)

    final_detector = InjectionDetector(encoder, final)
    metrics = evaluate(final_detector, [e for e in heldout if not e.template.startswith("seed/")])
    metrics["heldout_writers"] = evaluate(final_detector, [e for e in heldout if e.template.startswith("seed/")])[
        "heldout"
    ]
    metrics["training"] = {
        "seed": seed,
        "corpus_examples": len(examples),
        "writer_examples": len(seeded),
        "fit_examples": len(fit_set),
        "calibrate_examples": len(calibrate_set),
        "heldout_examples": len(heldout),
        "window_tokens": WINDOW_TOKENS,
        "stride": STRIDE,
        "fine_tune": tuning,
        "templates": {
            split: sorted({e.template for e in templated if e.split == split and not e.template.startswith("long/")})
            for split in ("train", "heldout")
        },
        "stacker_weights": dict(zip(STACK_FEATURES, [round(float(w), 3) for w in stacker.weights], strict=True)),
        "stacker_bias": round(stacker.bias, 3),
        "operating_points": {
            "review": round(operating_points[0], 4),
            "block": round(operating_points[1], 4),
            "review_fpr": REVIEW_FPR,
            "block_fpr": BLOCK_FPR,
        },
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
