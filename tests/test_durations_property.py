"""Durations, as properties: whatever the text, a parsed duration is finite, positive and bounded,
or refused."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from .conftest import scaled


@settings(max_examples=scaled(40), deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers() | st.text(max_size=12))
@example(math.nan)
@example(math.inf)
@example(-math.inf)
@example("99999999999h")
@example(10**30)
def test_parse_duration_is_finite_positive_and_bounded_or_refused(value: Any) -> None:
    from cutover_probe.durations import MAX_DURATION_S, parse_duration

    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        problem = str(exc)
    else:
        problem = ""
        assert math.isfinite(seconds)
        assert 0 < seconds <= MAX_DURATION_S
    assert not problem or "duration" in problem
