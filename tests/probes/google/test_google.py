"""The Google Cloud lanes together through the real client libraries, against the fleet's fake
APIs: a healthy project passes every one with its evidence. Each kind's rules are tested
beside it (test_cloudrun.py, test_cloudlogging.py, test_backups.py, test_domains.py), Google's
answers in test_googlehttp.py and credentials in test_gcloud.py."""

from __future__ import annotations

import pytest

from cutover_probe.fleet import FleetSpec, GoogleFaults, serve_fleet
from cutover_probe.model import Status

from ...conftest import Checkout, fleet_environ, run_in_process

GOOGLE_CHECKS = (
    "runtime-migration-drift",
    "control-error-log-probe",
    "runtime-error-log-probe",
    "control-canary-status",
)


async def outcomes_with(checkout: Checkout, faults: GoogleFaults, **extra: str):
    async with serve_fleet(FleetSpec(google=faults)) as fleet:
        environ = fleet_environ(fleet, checkout, RUN_KHALA_CONTRACT_TESTS="0", **extra)
        return await run_in_process(environ, checkout.root), fleet


@pytest.mark.anyio
async def test_healthy_google_lanes_all_pass_with_evidence(checkout: Checkout) -> None:
    outcomes, _ = await outcomes_with(checkout, GoogleFaults())
    for check_id in GOOGLE_CHECKS:
        assert outcomes[check_id].status is Status.PASSED, (check_id, outcomes[check_id].reason)
    drift = outcomes["runtime-migration-drift"]
    assert any(line.startswith("service runtime image: ") for line in drift.evidence)
    assert any(line.startswith("migrate job runtime-migrate image: ") for line in drift.evidence)
    newest = drift.details["newest_execution"]
    assert newest["state"] == "succeeded"
    assert newest["age_s"] is not None
    canary = outcomes["control-canary-status"]
    assert "revision | percent | tag | ready" in canary.evidence
    assert canary.reason.startswith("traffic: ")
    assert sum(row["percent"] for row in canary.details["traffic"]) == 100
