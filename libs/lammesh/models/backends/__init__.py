"""Inference backends for the sentence encoder, behind one interface, chosen at start-up."""

from lammesh.models.backends.base import BackendUnavailable, EncoderBackend
from lammesh.models.backends.select import BackendChoice, select_backend, tensorrt_unavailable_reason

__all__ = [
    "BackendChoice",
    "BackendUnavailable",
    "EncoderBackend",
    "select_backend",
    "tensorrt_unavailable_reason",
]
