"""Percentiles by nearest rank, as the `http` kind reports its samples."""

from __future__ import annotations

import pytest

from cutover_probe.stats import percentile


def test_percentiles_by_nearest_rank_on_known_samples() -> None:
    samples = [float(n) for n in range(1, 21)]  # 1..20
    assert percentile(samples, 50) == 10
    assert percentile(samples, 95) == 19
    assert percentile(samples, 100) == 20
    assert percentile([7.0], 95) == 7
    assert percentile([5.0, 1.0, 3.0], 50) == 3
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 50)
