"""Backoff with jitter between retries of a gRPC call (pure: the caller sleeps)."""

from __future__ import annotations

import random


class Backoff:
    """Delays that grow by `multiplier` from `initial` up to `maximum`, each drawn at random from
    the upper half of its step ("equal jitter"): callers that failed together do not retry in
    lockstep, and no delay is near zero (no hot loop against a replica that is down)."""

    def __init__(
        self, initial: float, maximum: float, *, multiplier: float = 2.0, rng: random.Random | None = None
    ) -> None:
        if not 0 < initial <= maximum:
            raise ValueError(f"need 0 < initial <= maximum, got {initial} and {maximum}")
        if multiplier < 1:
            raise ValueError(f"multiplier must be at least 1, got {multiplier}")
        self._initial = initial
        self._maximum = maximum
        self._multiplier = multiplier
        self._rng = rng or random.Random()
        self._step = initial

    def next(self) -> float:
        step = self._step
        self._step = min(self._step * self._multiplier, self._maximum)
        return self._rng.uniform(step / 2, step)
