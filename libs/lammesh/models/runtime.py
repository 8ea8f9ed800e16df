"""Loading models from Settings (one encoder per process, shared by the watchers that need it)."""

from __future__ import annotations

import threading

from lammesh.models.encoder import SentenceEncoder
from lammesh.settings import Settings

_lock = threading.Lock()
_encoders: dict[tuple, SentenceEncoder] = {}


def encoder_from_settings(settings: Settings) -> SentenceEncoder:
    key = (settings.models_dir, settings.encoder_backend, settings.encoder_precision, settings.encoder_threads)
    with _lock:
        if key not in _encoders:
            _encoders[key] = SentenceEncoder.load(
                settings.models_dir,
                backend=settings.encoder_backend,
                precision=settings.encoder_precision,
                threads=settings.encoder_threads,
            )
        return _encoders[key]
