"""ONNX Runtime backend: CPU (INT8-quantised graph by default), or the CUDA execution provider."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnxruntime as ort

from lammesh.models.onnx_export import ATTENTION_MASK, EMBEDDINGS, INPUT_IDS


def cuda_provider_available() -> bool:
    return "CUDAExecutionProvider" in ort.get_available_providers()


class OnnxRuntimeBackend:
    """One InferenceSession; `run` is thread-safe (ORT allows concurrent Run calls)."""

    def __init__(
        self,
        model_path: Path,
        *,
        precision: str,
        use_cuda: bool = False,
        intra_op_threads: int | None = None,
        max_batch: int | None = None,
        max_sequence: int = 512,
    ) -> None:
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # The encoder is one long chain of ops: parallelism is inside each op, not between ops.
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = intra_op_threads or max(1, os.cpu_count() or 1)
        options.log_severity_level = 3
        if use_cuda:
            providers: list = [("CUDAExecutionProvider", {"cudnn_conv_algo_search": "DEFAULT"}), "CPUExecutionProvider"]
        else:
            providers = ["CPUExecutionProvider"]
        self._session = ort.InferenceSession(str(model_path), options, providers=providers)
        active = self._session.get_providers()[0]
        device = "cuda" if active == "CUDAExecutionProvider" else "cpu"
        self.name = f"onnxruntime-{device}-{precision}"
        # The INT8 graph quantises its activations dynamically, one scale per tensor of the whole
        # batch: batch-mates would move each other's scores (by up to 0.23 in probability) and a
        # verdict would depend on what else was checked with it. Alone, a window is scored the
        # same every time, at the cost of ~30% of the throughput of short checks (decision 0111).
        self.max_batch = max_batch if max_batch is not None else (1 if precision == "int8" else 64)
        self.max_sequence = max_sequence
        self.intra_op_threads = options.intra_op_num_threads
        self._run_options = ort.RunOptions()

    def run(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        feeds = {
            INPUT_IDS: np.ascontiguousarray(input_ids, dtype=np.int64),
            ATTENTION_MASK: np.ascontiguousarray(attention_mask, dtype=np.int64),
        }
        (embeddings,) = self._session.run([EMBEDDINGS], feeds, self._run_options)
        return embeddings

    def close(self) -> None:
        self._session = None  # type: ignore[assignment]
