"""Choose the encoder backend at start-up: TensorRT when it imports and a GPU is present,
ONNX Runtime otherwise (CUDA execution provider when installed and a GPU is present, else CPU)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import structlog

from lammesh.models.artifacts import EncoderArtifacts
from lammesh.models.backends.base import BackendUnavailable, EncoderBackend

log = structlog.get_logger(__name__)

BackendPreference = Literal["auto", "tensorrt", "onnxruntime"]
Precision = Literal["auto", "fp32", "int8"]


def tensorrt_unavailable_reason() -> str | None:
    """None when TensorRT can run here, else why not (shown in logs and in skipped GPU tests)."""
    try:
        import tensorrt  # noqa: F401
    except ImportError:
        return "the tensorrt package is not installed (install the `gpu` extra on a GPU node)"
    try:
        from lammesh.models.backends.tensorrt import import_cudart

        cudart = import_cudart()
    except ImportError:
        return "cuda-python is not installed (part of the `gpu` extra)"
    error, count = cudart.cudaGetDeviceCount()
    if error != cudart.cudaError_t.cudaSuccess or count < 1:
        return "no NVIDIA GPU is visible to CUDA"
    return None


def default_engine_cache_dir(artifacts: EncoderArtifacts) -> Path:
    """$XDG_CACHE_HOME/lammesh/tensorrt when XDG_CACHE_HOME is set (the k8s GPU overlay mounts a
    shared volume there), else next to the ONNX file."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg) / "lammesh" / "tensorrt" if xdg else artifacts.directory / "tensorrt"


@dataclass(frozen=True)
class BackendChoice:
    backend: EncoderBackend
    reason: str


def select_backend(
    artifacts: EncoderArtifacts,
    *,
    preference: BackendPreference = "auto",
    precision: Precision = "auto",
    intra_op_threads: int | None = None,
    engine_cache_dir: Path | None = None,
    use_cuda_graphs: bool = True,
) -> BackendChoice:
    if preference not in ("auto", "tensorrt", "onnxruntime"):
        raise ValueError(f"encoder backend must be auto, tensorrt or onnxruntime, got {preference!r}")
    if precision not in ("auto", "fp32", "int8"):
        raise ValueError(f"encoder precision must be auto, fp32 or int8, got {precision!r}")
    artifacts.require()
    if preference in ("auto", "tensorrt"):
        missing = tensorrt_unavailable_reason()
        if missing is None:
            from lammesh.models.backends.tensorrt import TensorRTBackend

            backend = TensorRTBackend(
                artifacts.onnx_fp32,
                engine_cache_dir or default_engine_cache_dir(artifacts),
                use_cuda_graphs=use_cuda_graphs,
            )
            return BackendChoice(backend, f"TensorRT FP16 on {backend.gpu}")
        if preference == "tensorrt":
            raise BackendUnavailable(f"the TensorRT backend was asked for but {missing}")
        fallback_reason = f"TensorRT not used: {missing}"
    else:
        fallback_reason = "ONNX Runtime asked for"

    from lammesh.models.backends.onnxruntime import OnnxRuntimeBackend, cuda_provider_available

    use_cuda = cuda_provider_available()
    # INT8 (MatMulInteger) is the fast path on CPU; on the CUDA provider the FP32 graph is faster.
    if precision == "auto":
        precision = "int8" if not use_cuda and artifacts.onnx_int8.is_file() else "fp32"
    model = artifacts.onnx_int8 if precision == "int8" else artifacts.onnx_fp32
    if not model.is_file():
        from lammesh.models.artifacts import ModelArtifactsMissing

        raise ModelArtifactsMissing(model, f"The {precision} encoder model")
    backend = OnnxRuntimeBackend(model, precision=precision, use_cuda=use_cuda, intra_op_threads=intra_op_threads)
    return BackendChoice(backend, f"{fallback_reason}; {backend.name}")
