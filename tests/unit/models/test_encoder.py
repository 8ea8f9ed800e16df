"""SentenceEncoder: shapes, normalisation, truncation vs windows."""

from __future__ import annotations

import numpy as np

from lammesh.models import SentenceEncoder


def test_embed_returns_unit_float32_vectors(encoder):
    vectors = encoder.embed(["one", "two words", "a somewhat longer sentence about the renewal"])
    assert vectors.shape == (3, encoder.dim) and encoder.dim == 384
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert encoder.embed([]).shape == (0, 384)


def test_batch_order_is_kept_whatever_the_lengths(encoder):
    texts = ["short", "a much longer text " * 20, "medium length text here"]
    fp32 = SentenceEncoder.load(backend="onnxruntime", precision="fp32")
    together = fp32.embed(texts)
    for index, text in enumerate(texts):
        np.testing.assert_allclose(together[index], fp32.embed([text])[0], atol=1e-4)
    # INT8 quantises activations with one scale per tensor: its windows run one at a time, so a
    # text's embedding is the same whatever it is sent with.
    int8 = SentenceEncoder.load(backend="onnxruntime", precision="int8")
    int8_together = int8.embed(texts)
    for index, text in enumerate(texts):
        np.testing.assert_array_equal(int8_together[index], int8.embed([text])[0])


def test_windows_cover_a_long_text_whole(encoder):
    lines = [f"Line {i}: the customer discussed item number {i} of the rollout plan." for i in range(80)]
    text = "\n".join(lines)
    (windows,) = encoder.embed_windows([text], window_tokens=128, stride=32)
    assert windows.embeddings.shape[0] >= 6
    starts = [s for s, _ in windows.spans]
    ends = [e for _, e in windows.spans]
    assert starts[0] == 0 and ends[-1] == len(text)
    assert starts == sorted(starts)
    # neighbours overlap (stride): each window starts before the previous one ends
    assert all(starts[i + 1] < ends[i] for i in range(len(starts) - 1))
    # embed() keeps only the first max_tokens tokens: one vector, equal to a window-free call
    assert encoder.embed([text]).shape == (1, 384)
