"""The TensorRT backend's pure parts (shape buckets, engine cache keys), testable without a GPU."""

from __future__ import annotations

from pathlib import Path

from lammesh.models.backends.tensorrt import (
    DEFAULT_PROFILES,
    _bucket_batch,
    _bucket_sequence,
    engine_cache_key,
    engine_cache_path,
)


def test_shapes_are_bucketed_to_few_cuda_graphs():
    assert [_bucket_batch(n, 64) for n in (1, 2, 3, 5, 33, 64, 100)] == [1, 2, 4, 8, 64, 64, 64]
    assert [_bucket_sequence(n, 128) for n in (2, 16, 17, 120, 128, 200)] == [16, 16, 32, 128, 128, 128]


def test_profiles_cover_short_many_and_long_few():
    short, long = DEFAULT_PROFILES
    assert short.fits(64, 128) and not short.fits(64, 129)
    assert long.fits(16, 512) and not long.fits(17, 512)


def test_engine_cache_key_changes_with_gpu_tensorrt_and_model():
    base = engine_cache_key("a" * 64, "NVIDIA H100", "9.0", "10.7.0", DEFAULT_PROFILES)
    path = engine_cache_path(Path("/cache"), base)
    assert path == engine_cache_path(Path("/cache"), dict(base))
    assert path.parent == Path("/cache") and path.name.startswith("encoder-") and path.suffix == ".engine"
    for changed in (
        engine_cache_key("b" * 64, "NVIDIA H100", "9.0", "10.7.0", DEFAULT_PROFILES),
        engine_cache_key("a" * 64, "NVIDIA L4", "8.9", "10.7.0", DEFAULT_PROFILES),
        engine_cache_key("a" * 64, "NVIDIA H100", "9.0", "10.8.0", DEFAULT_PROFILES),
        engine_cache_key("a" * 64, "NVIDIA H100", "9.0", "10.7.0", DEFAULT_PROFILES[:1]),
    ):
        assert engine_cache_path(Path("/cache"), changed) != path
