"""Multinomial logistic regression over sentence embeddings (numpy, L2, class-balanced, Adam),
saved as a small .npz with its label names. What the insights agent's heads are."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class SoftmaxHead:
    labels: tuple[str, ...]
    weights: np.ndarray  # (dim, classes)
    bias: np.ndarray  # (classes,)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        return softmax(np.asarray(features, dtype=np.float64) @ self.weights + self.bias)

    def predict(self, features: np.ndarray) -> list[str]:
        return [self.labels[i] for i in self.probabilities(features).argmax(axis=1)]

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, labels=np.array(self.labels), weights=self.weights, bias=self.bias)

    @classmethod
    def load(cls, path: Path) -> SoftmaxHead:
        with np.load(path, allow_pickle=False) as data:
            return cls(tuple(str(x) for x in data["labels"]), data["weights"], data["bias"])


def fit_softmax(
    features: np.ndarray, labels: list[str], *, l2: float = 1e-3, epochs: int = 400, learning_rate: float = 0.05
) -> SoftmaxHead:
    names = tuple(sorted(set(labels)))
    index = {name: i for i, name in enumerate(names)}
    x = np.asarray(features, dtype=np.float64)
    y = np.zeros((len(labels), len(names)))
    y[np.arange(len(labels)), [index[label] for label in labels]] = 1.0
    counts = y.sum(axis=0)
    sample_weight = y @ (len(labels) / (len(names) * np.maximum(counts, 1.0)))
    sample_weight /= sample_weight.sum()
    w = np.zeros((x.shape[1], len(names)))
    b = np.zeros(len(names))
    state = [np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, epochs + 1):
        error = (softmax(x @ w + b) - y) * sample_weight[:, None]
        grads = (x.T @ error + l2 * w, error.sum(axis=0))
        for k, (param, grad) in enumerate(zip((w, b), grads, strict=True)):
            m, v = state[2 * k], state[2 * k + 1]
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad**2
            param -= learning_rate * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + eps)
    return SoftmaxHead(names, w, b)


def accuracy(head: SoftmaxHead, features: np.ndarray, labels: list[str]) -> float:
    predicted = head.predict(features)
    return float(np.mean([p == t for p, t in zip(predicted, labels, strict=True)])) if labels else 0.0


def confusion(head: SoftmaxHead, features: np.ndarray, labels: list[str]) -> dict[str, dict[str, int]]:
    table = {t: {p: 0 for p in head.labels} for t in head.labels}
    for p, t in zip(head.predict(features), labels, strict=True):
        table[t][p] += 1
    return table
