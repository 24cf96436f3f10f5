"""Percentiles of latency samples, by the nearest-rank rule.

Nearest rank (the smallest sample with at least p% of samples at or below it) always answers a
value that was really measured, and is what people compute by hand from a sorted list: p95 of
20 samples is the 19th smallest. No interpolation between samples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(samples: Sequence[float], p: float) -> float:
    if not samples:
        raise ValueError("no samples")
    if not 0 < p <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {p}")
    ordered = sorted(samples)
    rank = math.ceil(p / 100 * len(ordered))
    return ordered[max(rank, 1) - 1]


STATS = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "max": 100.0}
