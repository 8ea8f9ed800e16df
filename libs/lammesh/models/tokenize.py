"""Tokenisation with the encoder's own tokenizer.json (HuggingFace `tokenizers`), with windows.

A text longer than the window is not truncated: it becomes overlapping windows of `window_tokens`
tokens (including [CLS]/[SEP]) that share `stride` tokens with their neighbour, each with the
character span of the original text it covers.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tokenizers import Encoding, Tokenizer


@dataclass(frozen=True)
class Window:
    text_index: int
    """Which input text the window belongs to."""
    ids: list[int]
    start: int
    """Character offset in the text where the window's first token starts."""
    end: int


class WindowTokenizer:
    def __init__(self, tokenizer_json: Path, *, max_positions: int = 512) -> None:
        self._tokenizer = Tokenizer.from_file(str(tokenizer_json))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self.max_positions = max_positions
        self._configured: tuple[int, int] | None = None
        # Truncation settings live on the shared tokenizer: configure + encode under one lock, so
        # threads asking for different windows (an agent and a watcher) never mix them up.
        self._lock = threading.Lock()

    def _configure(self, window_tokens: int, stride: int) -> None:
        if not 8 <= window_tokens <= self.max_positions:
            raise ValueError(f"window_tokens must be within 8..{self.max_positions}, got {window_tokens}")
        if not 0 <= stride < window_tokens - 2:
            raise ValueError(f"stride must be within 0..{window_tokens - 3}, got {stride}")
        if self._configured != (window_tokens, stride):
            self._tokenizer.enable_truncation(max_length=window_tokens, stride=stride)
            self._configured = (window_tokens, stride)

    def windows(self, texts: list[str], *, window_tokens: int, stride: int, all_windows: bool = True) -> list[Window]:
        """Windows of every text, in text order; `all_windows=False` keeps only the first (truncation)."""
        with self._lock:
            self._configure(window_tokens, stride)
            encodings = self._tokenizer.encode_batch(texts, add_special_tokens=True)
        out: list[Window] = []
        for index, encoding in enumerate(encodings):
            parts = [encoding, *encoding.overflowing] if all_windows else [encoding]
            out.extend(_window(index, part) for part in parts)
        return out

    def count_tokens(self, text: str) -> int:
        with self._lock:
            self._tokenizer.no_truncation()
            self._configured = None
            return len(self._tokenizer.encode(text, add_special_tokens=True).ids)


def _window(index: int, encoding: Encoding) -> Window:
    spans = [span for span, special in zip(encoding.offsets, encoding.special_tokens_mask, strict=True) if not special]
    start = spans[0][0] if spans else 0
    end = spans[-1][1] if spans else 0
    return Window(index, list(encoding.ids), start, end)


def pad_batch(windows: list[Window]) -> tuple[np.ndarray, np.ndarray]:
    """(input_ids, attention_mask) int64 arrays padded with 0 to the longest window."""
    length = max(len(window.ids) for window in windows)
    ids = np.zeros((len(windows), length), dtype=np.int64)
    mask = np.zeros((len(windows), length), dtype=np.int64)
    for row, window in enumerate(windows):
        ids[row, : len(window.ids)] = window.ids
        mask[row, : len(window.ids)] = 1
    return ids, mask
