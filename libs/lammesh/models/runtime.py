"""Loading models from Settings (one encoder per process, shared by the watchers that need it)."""

from __future__ import annotations

import threading
from pathlib import Path

from lammesh.models.artifacts import EncoderArtifacts
from lammesh.models.encoder import SentenceEncoder
from lammesh.settings import ModelSettings

_lock = threading.Lock()
_encoders: dict[tuple, SentenceEncoder] = {}


def encoder_from_settings(settings: ModelSettings, artifacts: EncoderArtifacts | None = None) -> SentenceEncoder:
    """The shared encoder of `settings.models_dir`, or the one in `artifacts` (a fine-tuned copy)."""
    key = (
        settings.models_dir,
        artifacts,
        settings.encoder_backend,
        settings.encoder_precision,
        settings.encoder_threads,
        settings.encoder_engine_cache_dir,
    )
    with _lock:
        if key not in _encoders:
            _encoders[key] = SentenceEncoder.load(
                settings.models_dir,
                backend=settings.encoder_backend,
                precision=settings.encoder_precision,
                threads=settings.encoder_threads,
                engine_cache_dir=Path(settings.encoder_engine_cache_dir) if settings.encoder_engine_cache_dir else None,
                artifacts=artifacts,
            )
        return _encoders[key]
