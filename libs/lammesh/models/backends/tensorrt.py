"""TensorRT backend: an FP16 engine built from the project's ONNX graph, cached on disk, run with
CUDA graphs.

- Two optimisation profiles, "short" (many short texts) and "long" (few texts up to 512 tokens);
  each call uses the profile its shape fits, with its own execution context and fixed device
  buffers sized for the profile's largest shape.
- Shapes are bucketed (batch to a power of two, sequence to a multiple of 16) and padded, so a
  handful of CUDA graphs, captured on first use of each bucket, cover all traffic; padding rows and
  columns have attention mask 0 and are dropped.
- The serialized engine is cached under `<cache_dir>/` with a key made of the ONNX file's SHA-256,
  the GPU model and compute capability, the TensorRT version and the profiles, so a new GPU, a new
  TensorRT or a re-exported model builds a fresh engine and a restart on the same node does not.

Needs the `gpu` extra (`tensorrt`, `cuda-python`) and an NVIDIA GPU; `select_backend` only builds
this class when both are present.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from lammesh.models.artifacts import sha256_file
from lammesh.models.backends.base import BackendUnavailable
from lammesh.models.onnx_export import ATTENTION_MASK, EMBEDDINGS, INPUT_IDS

log = structlog.get_logger(__name__)

SEQUENCE_BUCKET = 16


def import_cudart() -> Any:
    try:
        from cuda.bindings import runtime as cudart  # cuda-python >= 12.6
    except ImportError:
        from cuda import cudart  # older cuda-python
    return cudart


def _check(result: Any) -> Any:
    """cuda-python returns (error, *values); raise on error, return the value(s)."""
    cudart = import_cudart()
    error, *values = result
    if error != cudart.cudaError_t.cudaSuccess:
        name = cudart.cudaGetErrorName(error)[1]
        raise RuntimeError(f"CUDA call failed: {name.decode() if isinstance(name, bytes) else name}")
    if not values:
        return None
    return values[0] if len(values) == 1 else tuple(values)


def gpu_description() -> tuple[str, str]:
    """(GPU model name, compute capability) of device 0."""
    cudart = import_cudart()
    props = _check(cudart.cudaGetDeviceProperties(0))
    name = props.name.decode(errors="replace") if isinstance(props.name, bytes) else str(props.name)
    return name.strip("\x00 "), f"{props.major}.{props.minor}"


@dataclass(frozen=True)
class Profile:
    name: str
    min_shape: tuple[int, int]
    opt_shape: tuple[int, int]
    max_shape: tuple[int, int]

    def fits(self, batch: int, sequence: int) -> bool:
        return batch <= self.max_shape[0] and sequence <= self.max_shape[1]


DEFAULT_PROFILES = (
    Profile("short", (1, 1), (8, 64), (64, 128)),
    Profile("long", (1, 1), (4, 384), (16, 512)),
)


def engine_cache_key(
    onnx_sha256: str, gpu_name: str, compute_capability: str, trt_version: str, profiles: tuple[Profile, ...]
) -> dict:
    return {
        "onnx_sha256": onnx_sha256,
        "gpu": gpu_name,
        "compute_capability": compute_capability,
        "tensorrt": trt_version,
        "precision": "fp16",
        "profiles": [[p.name, list(p.min_shape), list(p.opt_shape), list(p.max_shape)] for p in profiles],
    }


def engine_cache_path(cache_dir: Path, key: dict) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:20]
    return cache_dir / f"encoder-{digest}.engine"


def _bucket_batch(batch: int, limit: int) -> int:
    return min(1 << (batch - 1).bit_length(), limit)


def _bucket_sequence(sequence: int, limit: int) -> int:
    return min(-(-sequence // SEQUENCE_BUCKET) * SEQUENCE_BUCKET, limit)


class _PinnedArray:
    """Page-locked host memory viewed as a numpy array."""

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype) -> None:
        cudart = import_cudart()
        self.nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
        self.pointer = _check(cudart.cudaMallocHost(self.nbytes))
        buffer = (ctypes.c_byte * self.nbytes).from_address(int(self.pointer))
        self.array = np.frombuffer(buffer, dtype=dtype).reshape(shape)

    def free(self) -> None:
        import_cudart().cudaFreeHost(self.pointer)


class _ProfileRunner:
    """One execution context bound to one optimisation profile, with fixed buffers and graphs."""

    def __init__(self, engine: Any, index: int, profile: Profile, stream: Any, use_cuda_graphs: bool) -> None:
        import tensorrt as trt

        cudart = import_cudart()
        self.profile = profile
        self._stream = stream
        self._use_cuda_graphs = use_cuda_graphs
        self._graphs: dict[tuple[int, int], Any] = {}
        self._shape: tuple[int, int] | None = None
        self.context = engine.create_execution_context()
        self.context.set_optimization_profile_async(index, int(stream))
        max_batch, max_seq = profile.max_shape
        self._host: dict[str, _PinnedArray] = {}
        self._device: dict[str, int] = {}
        self._dtypes: dict[str, np.dtype] = {}
        self.dim = int(engine.get_tensor_shape(EMBEDDINGS)[-1])
        for name, shape in (
            (INPUT_IDS, (max_batch, max_seq)),
            (ATTENTION_MASK, (max_batch, max_seq)),
            (EMBEDDINGS, (max_batch, self.dim)),
        ):
            dtype = np.dtype(trt.nptype(engine.get_tensor_dtype(name)))
            self._dtypes[name] = dtype
            self._host[name] = _PinnedArray(shape, dtype)
            self._device[name] = int(_check(cudart.cudaMalloc(self._host[name].nbytes)))
            self.context.set_tensor_address(name, self._device[name])

    def _set_shape(self, batch: int, sequence: int) -> None:
        if self._shape != (batch, sequence):
            self.context.set_input_shape(INPUT_IDS, (batch, sequence))
            self.context.set_input_shape(ATTENTION_MASK, (batch, sequence))
            self._shape = (batch, sequence)

    def _launch(self, batch: int, sequence: int) -> None:
        cudart = import_cudart()
        key = (batch, sequence)
        # A graph is tied to the shape it was captured with: keep the context on that shape too,
        # so nothing TensorRT reads from the context at launch disagrees with the graph.
        self._set_shape(batch, sequence)
        graph = self._graphs.get(key)
        if graph is not None:
            _check(cudart.cudaGraphLaunch(graph, self._stream))
            return
        if not self.context.execute_async_v3(int(self._stream)):
            raise RuntimeError("TensorRT execute_async_v3 failed")
        if not self._use_cuda_graphs:
            return
        # The first run of a shape flushes TensorRT's deferred shape work; now capture a graph.
        _check(cudart.cudaStreamSynchronize(self._stream))
        try:
            _check(
                cudart.cudaStreamBeginCapture(
                    self._stream, cudart.cudaStreamCaptureMode.cudaStreamCaptureModeThreadLocal
                )
            )
            self.context.execute_async_v3(int(self._stream))
            captured = _check(cudart.cudaStreamEndCapture(self._stream))
            self._graphs[key] = _check(cudart.cudaGraphInstantiate(captured, 0))
            _check(cudart.cudaGraphDestroy(captured))
        except RuntimeError as exc:  # some TensorRT tactics cannot be captured; run without graphs
            log.warning("cuda graph capture failed; running this shape without graphs", shape=key, error=str(exc))
            self._use_cuda_graphs = False

    def run(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        cudart = import_cudart()
        rows, length = input_ids.shape
        batch = _bucket_batch(rows, self.profile.max_shape[0])
        sequence = _bucket_sequence(length, self.profile.max_shape[1])
        # The pinned buffers are sized for the max shape: fill a contiguous (batch, sequence) view.
        ids_view = self._host[INPUT_IDS].array.reshape(-1)[: batch * sequence].reshape(batch, sequence)
        mask_view = self._host[ATTENTION_MASK].array.reshape(-1)[: batch * sequence].reshape(batch, sequence)
        ids_view.fill(0)
        mask_view.fill(0)
        ids_view[:rows, :length] = input_ids
        mask_view[:rows, :length] = attention_mask
        for name, view in ((INPUT_IDS, ids_view), (ATTENTION_MASK, mask_view)):
            _check(
                cudart.cudaMemcpyAsync(
                    self._device[name],
                    view.ctypes.data,
                    view.nbytes,
                    cudart.cudaMemcpyKind.cudaMemcpyHostToDevice,
                    self._stream,
                )
            )
        self._launch(batch, sequence)
        out = self._host[EMBEDDINGS].array.reshape(-1)[: batch * self.dim].reshape(batch, self.dim)
        _check(
            cudart.cudaMemcpyAsync(
                out.ctypes.data,
                self._device[EMBEDDINGS],
                out.nbytes,
                cudart.cudaMemcpyKind.cudaMemcpyDeviceToHost,
                self._stream,
            )
        )
        _check(cudart.cudaStreamSynchronize(self._stream))
        return np.array(out[:rows], dtype=np.float32)

    def close(self) -> None:
        cudart = import_cudart()
        for graph in self._graphs.values():
            cudart.cudaGraphExecDestroy(graph)
        for pointer in self._device.values():
            cudart.cudaFree(pointer)
        for pinned in self._host.values():
            pinned.free()


def build_engine(onnx_path: Path, profiles: tuple[Profile, ...], workspace_bytes: int = 1 << 30) -> bytes:
    """Parse the ONNX graph and build a serialized FP16 engine with the given profiles."""
    import tensorrt as trt

    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(0)  # TensorRT 10: explicit batch is the only mode
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise RuntimeError(f"TensorRT could not parse {onnx_path}: {errors}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, workspace_bytes)
    config.set_flag(trt.BuilderFlag.FP16)
    # LayerNorm statistics overflow in FP16 on long inputs: keep normalisation layers in FP32.
    config.set_flag(trt.BuilderFlag.PREFER_PRECISION_CONSTRAINTS)
    for index in range(network.num_layers):
        layer = network.get_layer(index)
        if layer.type == trt.LayerType.NORMALIZATION:
            layer.precision = trt.float32
            layer.set_output_type(0, trt.float32)
    for profile in profiles:
        shapes = builder.create_optimization_profile()
        for name in (INPUT_IDS, ATTENTION_MASK):
            shapes.set_shape(name, profile.min_shape, profile.opt_shape, profile.max_shape)
        config.add_optimization_profile(shapes)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise RuntimeError(f"TensorRT failed to build an engine from {onnx_path}")
    return bytes(serialized)


class TensorRTBackend:
    def __init__(
        self,
        onnx_path: Path,
        cache_dir: Path,
        *,
        profiles: tuple[Profile, ...] = DEFAULT_PROFILES,
        use_cuda_graphs: bool = True,
    ) -> None:
        try:
            import tensorrt as trt
        except ImportError as exc:
            raise BackendUnavailable(f"tensorrt is not installed ({exc}); install the `gpu` extra") from exc
        cudart = import_cudart()
        gpu_name, capability = gpu_description()
        key = engine_cache_key(sha256_file(onnx_path), gpu_name, capability, trt.__version__, profiles)
        path = engine_cache_path(cache_dir, key)
        if path.is_file():
            log.info("tensorrt engine from cache", path=str(path), gpu=gpu_name)
            serialized = path.read_bytes()
        else:
            log.info(
                "building tensorrt engine (once per GPU model and TensorRT version)", gpu=gpu_name, onnx=str(onnx_path)
            )
            serialized = build_engine(onnx_path, profiles)
            try:
                cache_dir.mkdir(parents=True, exist_ok=True)
                # Replicas may share the folder (one volume for all GPU pods): write to a name of
                # our own, then rename, so a reader sees a whole engine or none.
                partial = path.with_name(f"{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial")
                partial.write_bytes(serialized)
                partial.replace(path)
                path.with_suffix(".json").write_text(json.dumps(key, indent=2))
            except OSError as exc:  # e.g. a read-only image: run from memory, rebuild next start
                log.warning(
                    "tensorrt engine cache not writable; set LAMMESH_ENCODER_ENGINE_CACHE_DIR",
                    path=str(path),
                    error=str(exc),
                )
        self.engine_path = path
        self._logger = trt.Logger(trt.Logger.WARNING)
        self._runtime = trt.Runtime(self._logger)
        self._engine = self._runtime.deserialize_cuda_engine(serialized)
        if self._engine is None:
            raise RuntimeError(f"TensorRT could not load the engine {path}; delete it to rebuild")
        self._stream = _check(cudart.cudaStreamCreate())
        self._runners = [
            _ProfileRunner(self._engine, index, profile, self._stream, use_cuda_graphs)
            for index, profile in enumerate(profiles)
        ]
        self._lock = threading.Lock()
        self.name = "tensorrt-fp16"
        self.gpu = gpu_name
        self.max_batch = max(p.max_shape[0] for p in profiles)
        self.max_sequence = max(p.max_shape[1] for p in profiles)
        self.dim = self._runners[0].dim

    def _runner_for(self, batch: int, sequence: int) -> _ProfileRunner:
        for runner in self._runners:
            if runner.profile.fits(batch, sequence):
                return runner
        raise ValueError(f"no TensorRT profile fits batch {batch} x sequence {sequence}")

    def run(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        batch, sequence = input_ids.shape
        if sequence > self.max_sequence:
            raise ValueError(f"sequence {sequence} exceeds the engine's {self.max_sequence} tokens")
        # Split batches too big for the profile that fits the sequence length.
        runner_limit = next(r.profile.max_shape[0] for r in self._runners if r.profile.max_shape[1] >= sequence)
        parts = []
        with self._lock:
            for start in range(0, batch, runner_limit):
                ids = input_ids[start : start + runner_limit]
                mask = attention_mask[start : start + runner_limit]
                parts.append(self._runner_for(len(ids), sequence).run(ids, mask))
        return np.concatenate(parts, axis=0)

    def close(self) -> None:
        cudart = import_cudart()
        with self._lock:
            for runner in self._runners:
                runner.close()
            self._runners = []
            cudart.cudaStreamDestroy(self._stream)
