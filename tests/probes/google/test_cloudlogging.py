"""The error-log check through the real Cloud Logging client against the fleet's fake: floods
grouped by message, a tolerance, a bounded freshness window."""

from __future__ import annotations

import pytest

from cutover_probe.fleet import GoogleFaults
from cutover_probe.model import Status

from ...conftest import Checkout
from .test_google import outcomes_with


@pytest.mark.anyio
async def test_error_flood_fails_and_groups_by_message(checkout: Checkout) -> None:
    outcomes, _ = await outcomes_with(checkout, GoogleFaults(error_entries=25))
    probe = outcomes["control-error-log-probe"]
    assert probe.status is Status.FAILED
    assert "26 error entries in the last 10m (at most 0 allowed)" in probe.reason
    assert "×25 upstream connect error: connection refused to runtime-sync" in probe.reason
    grouped = [line for line in probe.evidence if line.startswith("×")]
    assert len(grouped) == 2, "25 copies of one error read as one line with a count"
    # Warnings and two-hour-old errors are never counted.
    assert outcomes["runtime-error-log-probe"].status is Status.PASSED


@pytest.mark.anyio
async def test_log_probe_tolerates_up_to_max_errors(checkout: Checkout) -> None:
    outcomes, _ = await outcomes_with(
        checkout, GoogleFaults(error_entries=25), LOG_PROBE_MAX_ERRORS="30"
    )
    probe = outcomes["control-error-log-probe"]
    assert probe.status is Status.PASSED
    assert probe.reason == "26 error entries in the last 10m"


@pytest.mark.anyio
async def test_freshness_window_bounds_the_query(checkout: Checkout) -> None:
    outcomes, fleet = await outcomes_with(checkout, GoogleFaults())
    assert outcomes["runtime-error-log-probe"].status is Status.PASSED
    assert fleet.log_filters, "the probes asked Cloud Logging"
    for filter_ in fleet.log_filters:
        assert 'timestamp>="' in filter_
        assert "severity>=ERROR" in filter_
    # Widen the window: the two-hour-old errors now count, so the same fleet fails.
    wide, _ = await outcomes_with(checkout, GoogleFaults(), LOG_PROBE_FRESHNESS="3h")
    assert wide["runtime-error-log-probe"].status is Status.FAILED
    assert "in the last 3h" in wide["runtime-error-log-probe"].reason


@pytest.mark.anyio
async def test_bad_freshness_value_is_an_environment_error(checkout: Checkout) -> None:
    from cutover_probe.errors import EnvironmentError_

    with pytest.raises(EnvironmentError_, match="LOG_PROBE_FRESHNESS"):
        await outcomes_with(checkout, GoogleFaults(), LOG_PROBE_FRESHNESS="soon")
