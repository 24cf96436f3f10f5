"""Google API answers as the checks read them: a denied permission named, a throttled call retried
(and said so), retries bounded."""

from __future__ import annotations

import pytest

from cutover_probe.fleet import GoogleFaults
from cutover_probe.model import Status

from ...conftest import Checkout
from .test_google import outcomes_with


@pytest.mark.anyio
async def test_permission_denied_names_the_permission(checkout: Checkout) -> None:
    outcomes, _ = await outcomes_with(checkout, GoogleFaults(denied=frozenset({"run"})))
    drift = outcomes["runtime-migration-drift"]
    assert drift.status is Status.FAILED
    assert drift.reason.startswith("permission denied: run.executions.list, run.jobs.get, ")
    assert outcomes["control-error-log-probe"].status is Status.PASSED


@pytest.mark.anyio
async def test_throttled_api_passes_on_a_retry_and_says_so(checkout: Checkout) -> None:
    outcomes, _ = await outcomes_with(checkout, GoogleFaults(throttle=1))
    canary = outcomes["control-canary-status"]
    assert canary.status is Status.PASSED
    assert "passed only on a retry" in canary.reason
    assert canary.attempts == 4  # two calls, each answered 429 once
    assert any("429" in line and "attempt 1" in line for line in canary.evidence)


@pytest.mark.anyio
async def test_retries_are_bounded(checkout: Checkout) -> None:
    outcomes, _ = await outcomes_with(checkout, GoogleFaults(throttle=50))
    drift = outcomes["runtime-migration-drift"]
    assert drift.status is Status.FAILED
    assert "429" in drift.reason
    assert "after 4 attempts" in drift.reason
