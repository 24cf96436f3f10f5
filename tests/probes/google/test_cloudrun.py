"""The Cloud Run checks (migration drift, canary) through the real client library against the
fleet's fake Run v2 API."""

from __future__ import annotations

import pytest

from cutover_probe.fleet import FleetSpec, GoogleFaults, serve_fleet
from cutover_probe.model import Status

from ...conftest import Checkout, fleet_environ, run_in_process
from .test_google import outcomes_with


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("faults", "extra", "reason"),
    [
        (GoogleFaults(image_drift=True), {}, "differs from migrate job image"),
        (GoogleFaults(), {"EXPECTED_IMAGE": "example/runtime:v2"}, "is not EXPECTED_IMAGE"),
        (GoogleFaults(executions="none"), {}, "migrate job runtime-migrate has no executions"),
        (GoogleFaults(executions="failed"), {}, "did not succeed (Completed failed"),
        (GoogleFaults(executions="running"), {}, "did not succeed (Completed reconciling"),
        (GoogleFaults(execution_image_drift=True), {}, "ran image"),
    ],
)
async def test_migration_drift_rules_fail_with_reason(
    checkout: Checkout, faults: GoogleFaults, extra: dict[str, str], reason: str
) -> None:
    outcomes, _ = await outcomes_with(checkout, faults, **extra)
    drift = outcomes["runtime-migration-drift"]
    assert drift.status is Status.FAILED
    assert reason in drift.reason
    # The other Google lanes are not affected.
    assert outcomes["control-canary-status"].status is Status.PASSED


@pytest.mark.anyio
async def test_expected_image_matching_passes(checkout: Checkout) -> None:
    faults = GoogleFaults()
    outcomes, _ = await outcomes_with(checkout, faults, EXPECTED_IMAGE=faults.expected_image)
    assert outcomes["runtime-migration-drift"].status is Status.PASSED


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("canary", "reason"),
    [
        ("latest_not_ready", "is not ready (latest ready:"),
        ("traffic_on_unready", "% of traffic on revision"),
        ("traffic_not_100", "traffic adds up to 90%, not 100%"),
    ],
)
async def test_canary_unhealthy_states_fail(checkout: Checkout, canary: str, reason: str) -> None:
    outcomes, _ = await outcomes_with(checkout, GoogleFaults(canary=canary))  # type: ignore[arg-type]
    status = outcomes["control-canary-status"]
    assert status.status is Status.FAILED
    assert reason in status.reason
    assert "revision | percent | tag | ready" in status.evidence


@pytest.mark.anyio
async def test_rolling_canary_is_healthy_and_shows_the_split(checkout: Checkout) -> None:
    outcomes, _ = await outcomes_with(checkout, GoogleFaults(canary="rolling"))
    status = outcomes["control-canary-status"]
    assert status.status is Status.PASSED
    assert "95%" in status.reason
    assert " 5%" in status.reason
    assert [row["tag"] for row in status.details["traffic"] if row["percent"] == 5] == ["canary"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("imageless", "reasons"),
    [
        (
            {"service", "job"},
            [
                "unable to resolve the service image of runtime",
                "unable to resolve the migrate job image of runtime-migrate",
            ],
        ),
        ({"service"}, ["unable to resolve the service image of runtime"]),
        ({"job"}, ["unable to resolve the migrate job image of runtime-migrate"]),
        ({"execution"}, ["unable to resolve the image of newest execution runtime-migrate-x7k2p"]),
    ],
)
async def test_drift_fails_when_an_image_cannot_be_resolved(
    checkout: Checkout, imageless: set[str], reasons: list[str]
) -> None:
    faults = GoogleFaults(imageless=frozenset(imageless))  # type: ignore[arg-type]
    async with serve_fleet(FleetSpec(google=faults)) as fleet:
        environ = fleet_environ(fleet, checkout, RUN_KHALA_CONTRACT_TESTS="0")
        outcomes = await run_in_process(environ, checkout.root)
    drift = outcomes["runtime-migration-drift"]
    assert drift.status is Status.FAILED
    for reason in reasons:
        assert reason in drift.reason
    assert "differs" not in drift.reason
