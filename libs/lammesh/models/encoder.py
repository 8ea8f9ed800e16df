"""SentenceEncoder: texts in, L2-normalised embeddings out, on whichever backend fits the machine.

    encoder = SentenceEncoder.load()            # artifacts from `make models`, backend chosen here
    vectors = encoder.embed(["a text", ...])    # (n, encoder.dim) float32, unit length
    windows = encoder.embed_windows([long_text], window_tokens=128, stride=32)

`embed` keeps the first `max_tokens` tokens of each text (what a sentence embedding wants);
`embed_windows` covers the whole text in overlapping windows (what a detector wants).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import structlog

from lammesh.models.artifacts import EncoderArtifacts, encoder_artifacts
from lammesh.models.backends import EncoderBackend, select_backend
from lammesh.models.backends.select import BackendPreference, Precision
from lammesh.models.tokenize import Window, WindowTokenizer, pad_batch

log = structlog.get_logger(__name__)

# Sentence-transformers trained this encoder on 256-token inputs.
DEFAULT_MAX_TOKENS = 256


@dataclass(frozen=True)
class TextWindows:
    """The windows of one text: their embeddings (n_windows, dim) and character spans."""

    embeddings: np.ndarray
    spans: list[tuple[int, int]]


class SentenceEncoder:
    def __init__(
        self,
        backend: EncoderBackend,
        tokenizer: WindowTokenizer,
        *,
        dim: int,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        max_batch_tokens: int = 8192,
        backend_reason: str = "",
    ) -> None:
        self._backend = backend
        self._tokenizer = tokenizer
        self.dim = dim
        self.max_tokens = max_tokens
        self.max_batch_tokens = max_batch_tokens
        self.backend_reason = backend_reason

    @classmethod
    def load(
        cls,
        models_dir: str | Path | None = None,
        *,
        backend: BackendPreference = "auto",
        precision: Precision = "auto",
        threads: int | None = None,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        engine_cache_dir: Path | None = None,
        artifacts: EncoderArtifacts | None = None,
    ) -> SentenceEncoder:
        """Load the artifacts built by `make models` (ModelArtifactsMissing says so if absent):
        the shared encoder of `models_dir`, or another encoder folder (`artifacts`)."""
        artifacts = (artifacts or encoder_artifacts(models_dir)).require()
        manifest = artifacts.read_manifest()
        choice = select_backend(
            artifacts,
            preference=backend,
            precision=precision,
            intra_op_threads=threads,
            engine_cache_dir=engine_cache_dir,
        )
        tokenizer = WindowTokenizer(artifacts.tokenizer, max_positions=int(manifest["max_positions"]))
        log.info(
            "sentence encoder loaded",
            backend=choice.backend.name,
            reason=choice.reason,
            models_dir=str(artifacts.directory),
        )
        return cls(
            choice.backend, tokenizer, dim=int(manifest["dim"]), max_tokens=max_tokens, backend_reason=choice.reason
        )

    @property
    def backend_name(self) -> str:
        return self._backend.name

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32 unit vectors; each text is cut at `max_tokens` tokens."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        windows = self._tokenizer.windows(list(texts), window_tokens=self.max_tokens, stride=0, all_windows=False)
        return self._embed_windows(windows)

    def embed_windows(self, texts: list[str], *, window_tokens: int = 128, stride: int = 32) -> list[TextWindows]:
        """Every text whole, as overlapping windows of `window_tokens` tokens sharing `stride`."""
        if not texts:
            return []
        windows = self._tokenizer.windows(list(texts), window_tokens=window_tokens, stride=stride)
        vectors = self._embed_windows(windows)
        grouped: list[list[int]] = [[] for _ in texts]
        for row, window in enumerate(windows):
            grouped[window.text_index].append(row)
        return [TextWindows(vectors[rows], [(windows[r].start, windows[r].end) for r in rows]) for rows in grouped]

    def _embed_windows(self, windows: list[Window]) -> np.ndarray:
        """Run windows through the backend in chunks of similar length, results in input order."""
        order = sorted(range(len(windows)), key=lambda i: len(windows[i].ids))
        out = np.empty((len(windows), self.dim), dtype=np.float32)
        start = 0
        while start < len(order):
            longest = len(windows[order[start]].ids)
            end = start + 1
            shortest = longest
            while end < len(order) and end - start < self._backend.max_batch:
                longest = max(longest, len(windows[order[end]].ids))
                # Similar lengths only: padding wastes compute. (The INT8 backend takes one
                # window at a time: its activation scales would otherwise span the batch.)
                if longest * (end - start + 1) > self.max_batch_tokens or longest > 2 * shortest + 8:
                    break
                end += 1
            chunk = order[start:end]
            ids, mask = pad_batch([windows[i] for i in chunk])
            out[chunk] = self._backend.run(ids, mask)
            start = end
        return out

    def count_tokens(self, text: str) -> int:
        return self._tokenizer.count_tokens(text)

    def close(self) -> None:
        self._backend.close()
