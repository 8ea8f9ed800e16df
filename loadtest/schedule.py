"""Open-loop arrivals: when each request is due, fixed from the start time, whatever the system does.

A closed-loop client waits for an answer before sending more, so a slow system is sent less work
and its stalls vanish from the figures (coordinated omission). Here request i is due at
`start + offsets[i]` and its latency is measured from that due time, even when the sender itself
fell behind.
"""

from __future__ import annotations

import random
from collections.abc import Iterator


def arrival_offsets(rate: float, duration_s: float, *, poisson: bool = False, seed: int = 0) -> list[float]:
    """Seconds after the start at which each request is due, for `rate` requests per second.

    Uniform spacing by default (i / rate); `poisson=True` draws exponential gaps with the same mean
    (repeatable with `seed`). Every offset is < duration_s.
    """
    if rate <= 0:
        raise ValueError(f"rate must be > 0, got {rate}")
    if duration_s <= 0:
        raise ValueError(f"duration_s must be > 0, got {duration_s}")
    if not poisson:
        count = int(round(rate * duration_s))
        return [i / rate for i in range(count) if i / rate < duration_s]
    rng = random.Random(seed)
    offsets: list[float] = []
    at = 0.0
    while at < duration_s:
        offsets.append(at)
        at += rng.expovariate(rate)
    return offsets


def ramp_rates(start: float, factor: float, maximum: float) -> Iterator[float]:
    """start, start*factor, ... up to and including `maximum` (the last step is clamped to it)."""
    if start <= 0 or factor <= 1 or maximum < start:
        raise ValueError("need 0 < start <= maximum and factor > 1")
    rate = start
    while rate < maximum:
        yield round(rate, 3)
        rate *= factor
    yield maximum
