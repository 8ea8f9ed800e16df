"""Build the sentence-encoder ONNX graph from BertWeights with the `onnx` helper API.

Standard ONNX ops only (Gather, MatMul, Add, Softmax, LayerNormalization, Erf, ReduceSum, ...),
opset 17, dynamic `batch` and `sequence` axes, so ONNX Runtime runs it and TensorRT compiles it.

Inputs:  input_ids (batch, sequence) int64, attention_mask (batch, sequence) int64
Output:  embeddings (batch, hidden) float32, mean-pooled over unmasked tokens, L2-normalised.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from lammesh.models.bert import ATTENTION_MASK_VALUE, BertConfig, BertWeights

OPSET = 17
INPUT_IDS = "input_ids"
ATTENTION_MASK = "attention_mask"
EMBEDDINGS = "embeddings"


class _GraphBuilder:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def const(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, op_type: str, inputs: list[str], name: str | None = None, **attrs: object) -> str:
        self._count += 1
        output = name or f"{op_type.lower()}_{self._count}"
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=f"n{self._count}_{op_type}", **attrs))
        return output

    def linear(self, x: str, weight: np.ndarray, bias: np.ndarray, prefix: str) -> str:
        w = self.const(f"{prefix}.weight", weight.astype(np.float32))
        b = self.const(f"{prefix}.bias", bias.astype(np.float32))
        return self.op("Add", [self.op("MatMul", [x, w]), b])

    def layer_norm(self, x: str, weight: np.ndarray, bias: np.ndarray, eps: float, prefix: str) -> str:
        w = self.const(f"{prefix}.weight", weight.astype(np.float32))
        b = self.const(f"{prefix}.bias", bias.astype(np.float32))
        return self.op("LayerNormalization", [x, w, b], axis=-1, epsilon=eps)


def build_encoder_graph(config: BertConfig, weights: BertWeights) -> onnx.ModelProto:
    g = _GraphBuilder()
    hidden, heads, head_size = config.hidden_size, config.num_attention_heads, config.head_size
    eps = config.layer_norm_eps

    word = g.const("embeddings.word", weights.word_embeddings)
    positions = g.const("embeddings.position", weights.position_embeddings)
    zero = g.const("c.zero", np.array([0], dtype=np.int64))
    one = g.const("c.one", np.array([1], dtype=np.int64))
    two = g.const("c.two", np.array([2], dtype=np.int64))
    split_heads_shape = g.const("c.split_heads", np.array([0, 0, heads, head_size], dtype=np.int64))
    merge_heads_shape = g.const("c.merge_heads", np.array([0, 0, hidden], dtype=np.int64))
    scale = g.const("c.scale", np.array(1.0 / math.sqrt(head_size), dtype=np.float32))
    mask_value = g.const("c.mask_value", np.array(ATTENTION_MASK_VALUE, dtype=np.float32))
    float_one = g.const("c.float_one", np.array(1.0, dtype=np.float32))
    half = g.const("c.half", np.array(0.5, dtype=np.float32))
    inv_sqrt2 = g.const("c.inv_sqrt2", np.array(1.0 / math.sqrt(2.0), dtype=np.float32))
    tiny_count = g.const("c.tiny_count", np.array(1e-9, dtype=np.float32))
    tiny_norm = g.const("c.tiny_norm", np.array(1e-12, dtype=np.float32))

    # Embeddings: word + position (token type 0 folded into position), LayerNorm.
    seq_len = g.op("Slice", [g.op("Shape", [INPUT_IDS]), one, two])
    position_rows = g.op("Slice", [positions, zero, seq_len, zero])
    x = g.op("Add", [g.op("Gather", [word, INPUT_IDS], axis=0), position_rows])
    x = g.layer_norm(x, weights.embedding_norm_weight, weights.embedding_norm_bias, eps, "embeddings.norm")

    # Additive attention mask (batch, 1, 1, seq): 0 for tokens, ATTENTION_MASK_VALUE for padding.
    mask_float = g.op("Cast", [ATTENTION_MASK], to=TensorProto.FLOAT)
    mask_bias = g.op("Mul", [g.op("Sub", [float_one, mask_float]), mask_value])
    mask_bias = g.op("Unsqueeze", [mask_bias, g.const("c.axes_1_2", np.array([1, 2], dtype=np.int64))])

    for index, layer in enumerate(weights.layers):
        p = f"layer{index}"
        qkv = g.linear(x, layer.qkv_weight, layer.qkv_bias, f"{p}.qkv")
        q, k, v = (f"{p}.q", f"{p}.k", f"{p}.v")
        g.nodes.append(
            helper.make_node(
                "Split",
                [qkv, g.const(f"{p}.split", np.array([hidden] * 3, dtype=np.int64))],
                [q, k, v],
                axis=-1,
                name=f"{p}_split",
            )
        )

        def heads_first(t: str, perm: list[int]) -> str:
            return g.op("Transpose", [g.op("Reshape", [t, split_heads_shape])], perm=perm)

        q_h = heads_first(q, [0, 2, 1, 3])  # (b, h, s, d)
        k_h = heads_first(k, [0, 2, 3, 1])  # (b, h, d, s)
        v_h = heads_first(v, [0, 2, 1, 3])
        logits = g.op("Add", [g.op("Mul", [g.op("MatMul", [q_h, k_h]), scale]), mask_bias])
        probs = g.op("Softmax", [logits], axis=-1)
        context = g.op("Transpose", [g.op("MatMul", [probs, v_h])], perm=[0, 2, 1, 3])
        context = g.op("Reshape", [context, merge_heads_shape])
        attended = g.linear(context, layer.attention_out_weight, layer.attention_out_bias, f"{p}.attn_out")
        x = g.layer_norm(
            g.op("Add", [attended, x]), layer.attention_norm_weight, layer.attention_norm_bias, eps, f"{p}.attn_norm"
        )

        inner = g.linear(x, layer.intermediate_weight, layer.intermediate_bias, f"{p}.ffn_in")
        # GELU (exact): 0.5 * x * (1 + erf(x / sqrt(2)))
        erf = g.op("Erf", [g.op("Mul", [inner, inv_sqrt2])])
        gelu = g.op("Mul", [g.op("Mul", [inner, half]), g.op("Add", [erf, float_one])])
        out = g.linear(gelu, layer.output_weight, layer.output_bias, f"{p}.ffn_out")
        x = g.layer_norm(g.op("Add", [out, x]), layer.output_norm_weight, layer.output_norm_bias, eps, f"{p}.out_norm")

    # Mean pooling over unmasked tokens, then L2 normalisation.
    token_weights = g.op("Unsqueeze", [mask_float, g.const("c.axis_2", np.array([2], dtype=np.int64))])
    summed = g.op("ReduceSum", [g.op("Mul", [x, token_weights]), one], keepdims=0)
    counts = g.op("Max", [g.op("ReduceSum", [token_weights, one], keepdims=0), tiny_count])
    pooled = g.op("Div", [summed, counts])
    norm = g.op("Sqrt", [g.op("ReduceSum", [g.op("Mul", [pooled, pooled]), one], keepdims=1)])
    g.op("Div", [pooled, g.op("Max", [norm, tiny_norm])], name=EMBEDDINGS)

    graph = helper.make_graph(
        g.nodes,
        "sentence_encoder",
        inputs=[
            helper.make_tensor_value_info(INPUT_IDS, TensorProto.INT64, ["batch", "sequence"]),
            helper.make_tensor_value_info(ATTENTION_MASK, TensorProto.INT64, ["batch", "sequence"]),
        ],
        outputs=[helper.make_tensor_value_info(EMBEDDINGS, TensorProto.FLOAT, ["batch", hidden])],
        initializer=g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="lammesh.models")
    model.ir_version = 8  # readable by every ONNX Runtime / TensorRT parser of the last years
    onnx.checker.check_model(model, full_check=True)
    return model


def export_encoder(config: BertConfig, weights: BertWeights, target: Path) -> Path:
    """Write the encoder graph to `target` (atomically: a half-written file is never left)."""
    model = build_encoder_graph(config, weights)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_bytes(model.SerializeToString())
    partial.replace(target)
    return target
