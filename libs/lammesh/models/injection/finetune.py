"""Fine-tune the sentence encoder and the injection head together, at build time, on CPU (JAX).

A logistic head on frozen mean-pooled windows reads keywords: "a mail about prompt injection" and
an injection share them. Fine-tuning the transformer layers lets the pooled vector carry intent.
The token and position embeddings stay frozen (most of the parameters, and the part that needs
the least change); the six layers and a linear head on the L2-normalised mean-pooled window are
trained with AdamW, class-weighted binary cross-entropy, warm-up then linear decay.

The result is ordinary BERT weights, exported by `lammesh.models.onnx_export` into the same
standard-ops graph the shared encoder uses (so ONNX Runtime INT8 and TensorRT FP16 run it), and a
`LogisticModel` over that graph's output. JAX is a build-time dependency only (the `models` and
`dev` extras); nothing at run time imports it.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from lammesh.models.bert import ATTENTION_MASK_VALUE, BertConfig, BertWeights, LayerWeights
from lammesh.models.injection.linear import LogisticModel

_LAYER_FIELDS = (
    "qkv_weight",
    "qkv_bias",
    "attention_out_weight",
    "attention_out_bias",
    "attention_norm_weight",
    "attention_norm_bias",
    "intermediate_weight",
    "intermediate_bias",
    "output_weight",
    "output_bias",
    "output_norm_weight",
    "output_norm_bias",
)
# Padded lengths are rounded up to these, so the jitted step compiles a handful of shapes only.
_LENGTH_BUCKET = 16


@dataclass(frozen=True)
class FinetuneSettings:
    epochs: int = 2
    batch_size: int = 32
    learning_rate: float = 4e-5
    head_learning_rate: float = 5e-3
    weight_decay: float = 0.01
    warmup_fraction: float = 0.06
    seed: int = 7


@dataclass
class WindowBatchSource:
    """Training windows: token ids (with [CLS]/[SEP]), a 0/1 label and a sample weight each."""

    ids: list[list[int]]
    labels: np.ndarray
    weights: np.ndarray

    def __post_init__(self) -> None:
        if not (len(self.ids) == len(self.labels) == len(self.weights)):
            raise ValueError("ids, labels and weights must have the same length")

    def extend(self, ids: Sequence[list[int]], labels: np.ndarray, weights: np.ndarray) -> WindowBatchSource:
        return WindowBatchSource(
            [*self.ids, *ids],
            np.concatenate([self.labels, np.asarray(labels, dtype=np.float32)]),
            np.concatenate([self.weights, np.asarray(weights, dtype=np.float32)]),
        )


def _padded_length(length: int) -> int:
    return int(math.ceil(length / _LENGTH_BUCKET) * _LENGTH_BUCKET)


def _batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Indices grouped into batches of similar padded length, batch order shuffled."""
    by_bucket: dict[int, list[int]] = {}
    for index, length in enumerate(lengths):
        by_bucket.setdefault(_padded_length(length), []).append(index)
    batches = []
    for members in by_bucket.values():
        rng.shuffle(members)
        batches.extend(members[i : i + batch_size] for i in range(0, len(members), batch_size))
    rng.shuffle(batches)
    return batches


def _pad(ids: Sequence[list[int]], rows: int) -> tuple[np.ndarray, np.ndarray]:
    length = _padded_length(max(len(i) for i in ids))
    out = np.zeros((rows, length), dtype=np.int32)
    mask = np.zeros((rows, length), dtype=np.float32)
    for row, window in enumerate(ids):
        out[row, : len(window)] = window
        mask[row, : len(window)] = 1.0
    return out, mask


class EncoderTrainer:
    """Holds the trainable parameters and the jitted functions; one instance per training run."""

    def __init__(self, config: BertConfig, weights: BertWeights, settings: FinetuneSettings, total_steps: int) -> None:
        import jax
        import jax.numpy as jnp
        import optax

        self._jax, self._jnp = jax, jnp
        self.config, self.base, self.settings = config, weights, settings
        self.params = {
            "layers": [{name: jnp.asarray(getattr(layer, name)) for name in _LAYER_FIELDS} for layer in weights.layers],
            "head_weights": jnp.zeros((config.hidden_size,), dtype=jnp.float32),
            "head_bias": jnp.zeros((), dtype=jnp.float32),
        }
        frozen = (
            jnp.asarray(weights.word_embeddings),
            jnp.asarray(weights.position_embeddings),
            jnp.asarray(weights.embedding_norm_weight),
            jnp.asarray(weights.embedding_norm_bias),
        )
        warmup = max(1, int(total_steps * settings.warmup_fraction))

        def schedule(peak: float) -> optax.Schedule:
            return optax.join_schedules(
                [
                    optax.linear_schedule(0.0, peak, warmup),
                    optax.linear_schedule(peak, 0.0, max(1, total_steps - warmup)),
                ],
                [warmup],
            )

        labels = {
            "layers": [dict.fromkeys(_LAYER_FIELDS, "encoder") for _ in weights.layers],
            "head_weights": "head",
            "head_bias": "head",
        }
        self._optimizer = optax.multi_transform(
            {
                "encoder": optax.adamw(schedule(settings.learning_rate), weight_decay=settings.weight_decay),
                "head": optax.adam(schedule(settings.head_learning_rate)),
            },
            labels,
        )
        self._state = self._optimizer.init(self.params)
        heads, head_size, eps = config.num_attention_heads, config.head_size, config.layer_norm_eps

        def layer_norm(x, weight, bias):  # type: ignore[no-untyped-def]
            mean = x.mean(-1, keepdims=True)
            var = ((x - mean) ** 2).mean(-1, keepdims=True)
            return (x - mean) / jnp.sqrt(var + eps) * weight + bias

        def pooled(params, ids, mask):  # type: ignore[no-untyped-def]
            word, position, norm_w, norm_b = frozen
            batch, seq = ids.shape
            x = layer_norm(word[ids] + position[:seq][None], norm_w, norm_b)
            additive = (1.0 - mask)[:, None, None, :] * ATTENTION_MASK_VALUE
            for p in params["layers"]:
                q, k, v = jnp.split(x @ p["qkv_weight"] + p["qkv_bias"], 3, axis=-1)

                def split(t):  # type: ignore[no-untyped-def]
                    return t.reshape(batch, seq, heads, head_size).transpose(0, 2, 1, 3)

                attention = jax.nn.softmax(
                    split(q) @ split(k).transpose(0, 1, 3, 2) / math.sqrt(head_size) + additive, axis=-1
                )
                context = (attention @ split(v)).transpose(0, 2, 1, 3).reshape(batch, seq, config.hidden_size)
                x = layer_norm(
                    context @ p["attention_out_weight"] + p["attention_out_bias"] + x,
                    p["attention_norm_weight"],
                    p["attention_norm_bias"],
                )
                hidden = jax.nn.gelu(x @ p["intermediate_weight"] + p["intermediate_bias"], approximate=False)
                x = layer_norm(
                    hidden @ p["output_weight"] + p["output_bias"] + x, p["output_norm_weight"], p["output_norm_bias"]
                )
            summed = (x * mask[:, :, None]).sum(axis=1)
            vectors = summed / jnp.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
            # rsqrt(sum + eps), not x / norm: padding rows are all zero, and norm's gradient there is NaN.
            return vectors * jax.lax.rsqrt((vectors**2).sum(axis=1, keepdims=True) + 1e-12)

        def logits(params, ids, mask):  # type: ignore[no-untyped-def]
            return pooled(params, ids, mask) @ params["head_weights"] + params["head_bias"]

        def loss(params, ids, mask, labels, weights):  # type: ignore[no-untyped-def]
            per_row = optax.sigmoid_binary_cross_entropy(logits(params, ids, mask), labels)
            return (per_row * weights).sum() / jnp.maximum(weights.sum(), 1e-9)

        def step(params, state, ids, mask, labels, weights):  # type: ignore[no-untyped-def]
            value, grads = jax.value_and_grad(loss)(params, ids, mask, labels, weights)
            updates, state = self._optimizer.update(grads, state, params)
            return optax.apply_updates(params, updates), state, value

        self._step = jax.jit(step)
        self._logits = jax.jit(logits)

    def train_epoch(self, data: WindowBatchSource, rng: random.Random, progress: Callable[[str], None]) -> float:
        batch_size = self.settings.batch_size
        batches = _batches([len(i) for i in data.ids], batch_size, rng)
        started, losses = time.perf_counter(), []
        for number, rows in enumerate(batches, start=1):
            ids, mask = _pad([data.ids[r] for r in rows], batch_size)
            labels = np.zeros(batch_size, dtype=np.float32)
            weights = np.zeros(batch_size, dtype=np.float32)  # padding rows weigh nothing
            labels[: len(rows)] = data.labels[rows]
            weights[: len(rows)] = data.weights[rows]
            self.params, self._state, value = self._step(self.params, self._state, ids, mask, labels, weights)
            losses.append(float(value))
            if number % 50 == 0 or number == len(batches):
                elapsed = time.perf_counter() - started
                progress(
                    f"  batch {number}/{len(batches)}  loss {np.mean(losses[-50:]):.4f}  "
                    f"{number * batch_size / elapsed:.0f} windows/s  eta {elapsed / number * (len(batches) - number):.0f} s"
                )
        return float(np.mean(losses)) if losses else 0.0

    def score(self, ids: Sequence[list[int]]) -> np.ndarray:
        """Head logits of windows (for choosing which window of a document carries the attack)."""
        out = np.empty(len(ids), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        size = self.settings.batch_size
        for start in range(0, len(order), size):
            rows = order[start : start + size]
            padded, mask = _pad([ids[r] for r in rows], size)
            out[rows] = np.asarray(self._logits(self.params, padded, mask))[: len(rows)]
        return out

    def result(self) -> tuple[BertWeights, LogisticModel]:
        layers = tuple(
            LayerWeights(**{name: np.asarray(p[name], dtype=np.float32) for name in _LAYER_FIELDS})
            for p in self.params["layers"]
        )
        head = LogisticModel(np.asarray(self.params["head_weights"], dtype=np.float32), float(self.params["head_bias"]))
        return replace(self.base, layers=layers), head


def steps_for(windows: int, settings: FinetuneSettings) -> int:
    """Optimizer steps of a run (bucketing adds at most one partial batch per length bucket)."""
    return settings.epochs * (math.ceil(windows / settings.batch_size) + 512 // _LENGTH_BUCKET)
