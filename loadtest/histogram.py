"""Latency histograms (HdrHistogram, microsecond resolution, 3 significant digits)."""

from __future__ import annotations

from typing import Any

from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 3_600_000_000  # one hour: anything slower is clamped, and counted in `clamped`
PERCENTILES = (50.0, 90.0, 99.0, 99.9)


class LatencyHistogram:
    """Records durations in seconds; reports percentiles in milliseconds.

    Negative durations (clock skew between processes on different hosts) are recorded as zero and
    counted, so they are visible in the report instead of silently dropped.
    """

    def __init__(self) -> None:
        self._hdr = HdrHistogram(LOWEST_US, HIGHEST_US, 3)
        self.negative = 0
        self.clamped = 0

    def record(self, seconds: float) -> None:
        micros = round(seconds * 1_000_000)
        if micros < 0:
            self.negative += 1
            micros = 0
        if micros > HIGHEST_US:
            self.clamped += 1
            micros = HIGHEST_US
        self._hdr.record_value(max(micros, LOWEST_US) if micros else 0)

    def merge(self, other: LatencyHistogram) -> None:
        self._hdr.add(other._hdr)
        self.negative += other.negative
        self.clamped += other.clamped

    @property
    def count(self) -> int:
        return self._hdr.get_total_count()

    def percentile_ms(self, percentile: float) -> float:
        if not self.count:
            return float("nan")
        return self._hdr.get_value_at_percentile(percentile) / 1000

    def summary(self) -> dict[str, Any]:
        """count, mean/min/max and the standard percentiles in ms (None when empty)."""
        if not self.count:
            return {"count": 0, "mean_ms": None, "min_ms": None, "max_ms": None, **{_key(p): None for p in PERCENTILES}}
        result: dict[str, Any] = {
            "count": self.count,
            "mean_ms": round(self._hdr.get_mean_value() / 1000, 3),
            "min_ms": round(self._hdr.get_min_value() / 1000, 3),
            "max_ms": round(self._hdr.get_max_value() / 1000, 3),
        }
        result.update({_key(p): round(self.percentile_ms(p), 3) for p in PERCENTILES})
        if self.negative:
            result["negative"] = self.negative
        if self.clamped:
            result["clamped"] = self.clamped
        return result

    def encode(self) -> str:
        """The compressed HdrHistogram (base64), so raw distributions can be re-analysed later."""
        return self._hdr.encode().decode() if self.count else ""


def _key(percentile: float) -> str:
    return f"p{percentile:g}".replace(".", "_") + "_ms"
