"""Binary logistic regression in numpy (L2-regularised, class-balanced, Adam on the full batch)
and the evaluation metrics the model card reports. Small, exact, and dependency-free."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


@dataclass(frozen=True)
class LogisticModel:
    weights: np.ndarray
    bias: float

    def logits(self, features: np.ndarray) -> np.ndarray:
        return features @ self.weights + self.bias

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        return sigmoid(self.logits(features))


def adam_logistic(
    x: np.ndarray,
    y: np.ndarray,
    sample_weight: np.ndarray,
    *,
    epochs: int,
    learning_rate: float,
    l2: float,
    start: LogisticModel | None = None,
    lower_bounds: np.ndarray | None = None,
) -> LogisticModel:
    """Weighted logistic loss minimised by Adam on the full batch, with an L2 penalty on the
    distance to `start`'s weights (zero weights when there is no start). `lower_bounds` (per
    weight, -inf for none) are kept by projection after every step: a feature that may only
    raise the score gets 0."""
    w0 = np.zeros(x.shape[1]) if start is None else start.weights.astype(np.float64)
    w, b = w0.copy(), 0.0 if start is None else float(start.bias)
    m_w, v_w, m_b, v_b = np.zeros_like(w), np.zeros_like(w), 0.0, 0.0
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, epochs + 1):
        error = (sigmoid(x @ w + b) - y) * sample_weight
        grad_w = x.T @ error + l2 * (w - w0)
        grad_b = error.sum()
        m_w = beta1 * m_w + (1 - beta1) * grad_w
        v_w = beta2 * v_w + (1 - beta2) * grad_w**2
        m_b = beta1 * m_b + (1 - beta1) * grad_b
        v_b = beta2 * v_b + (1 - beta2) * grad_b**2
        correction1, correction2 = 1 - beta1**step, 1 - beta2**step
        w -= learning_rate * (m_w / correction1) / (np.sqrt(v_w / correction2) + eps)
        b -= learning_rate * (m_b / correction1) / (np.sqrt(v_b / correction2) + eps)
        if lower_bounds is not None:
            w = np.maximum(w, lower_bounds)
    return LogisticModel(w.astype(np.float32), float(b))


def fit_logistic(
    features: np.ndarray,
    labels: np.ndarray,
    *,
    l2: float = 1e-3,
    epochs: int = 600,
    learning_rate: float = 0.05,
    balanced: bool = True,
    sample_weight: np.ndarray | None = None,
    lower_bounds: np.ndarray | None = None,
) -> LogisticModel:
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64).copy()
    elif balanced:
        positives = max(y.sum(), 1.0)
        negatives = max(len(y) - y.sum(), 1.0)
        sample_weight = np.where(y > 0.5, len(y) / (2 * positives), len(y) / (2 * negatives))
    else:
        sample_weight = np.ones_like(y)
    sample_weight /= sample_weight.sum()
    return adam_logistic(
        x, y, sample_weight, epochs=epochs, learning_rate=learning_rate, l2=l2, lower_bounds=lower_bounds
    )


# ----------------------------------------------------------------------------------------------
# Metrics
def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U with tie correction)."""
    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    positives, negatives = labels.sum(), (~labels).sum()
    if positives == 0 or negatives == 0:
        return float("nan")
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def recall_at_fpr(labels: np.ndarray, scores: np.ndarray, max_fpr: float = 0.01) -> tuple[float, float]:
    """(recall, threshold): the best recall whose false-positive rate is at most `max_fpr`,
    flagging scores strictly above the threshold."""
    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    negatives = np.sort(scores[~labels])[::-1]
    allowed = int(np.floor(max_fpr * len(negatives)))
    threshold = negatives[allowed] if allowed < len(negatives) else -np.inf
    return float((scores[labels] > threshold).mean()), float(threshold)


def classification_report(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict:
    labels = np.asarray(labels).astype(bool)
    flagged = np.asarray(scores) >= threshold
    tp = int((flagged & labels).sum())
    fp = int((flagged & ~labels).sum())
    fn = int((~flagged & labels).sum())
    tn = int((~flagged & ~labels).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "threshold": threshold,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "false_positive_rate": round(fp / (fp + tn), 4) if fp + tn else 0.0,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


def expected_calibration_error(labels: np.ndarray, probabilities: np.ndarray, bins: int = 10) -> float:
    labels = np.asarray(labels, dtype=np.float64)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (probabilities >= low) & ((probabilities < high) | (high == 1.0))
        if inside.any():
            total += inside.mean() * abs(probabilities[inside].mean() - labels[inside].mean())
    return float(total)
