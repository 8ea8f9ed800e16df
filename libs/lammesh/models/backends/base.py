"""The one interface every encoder backend implements."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class BackendUnavailable(RuntimeError):
    """The requested backend cannot run here (library missing, no GPU, ...); the message says why."""


class EncoderBackend(Protocol):
    name: str
    """e.g. "onnxruntime-cpu-int8", "tensorrt-fp16"."""
    max_batch: int
    """Largest batch one `run` call accepts; callers split bigger ones."""
    max_sequence: int

    def run(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """(batch, seq) int64 ids and mask -> (batch, dim) float32 L2-normalised embeddings."""
        ...

    def close(self) -> None: ...
