"""The backup-freshness check through the real Cloud Storage client: each database problem fails it;
it is off unless switched on."""

from __future__ import annotations

import pytest

from cutover_probe.fleet import GoogleFaults
from cutover_probe.model import Status

from ...conftest import Checkout
from .test_google import outcomes_with


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("backups", "reason"),
    [
        ("stale", "openagents_web_staging: newest backup is 30.0h old (at most 24h allowed)"),
        ("empty", "openagents_web_staging: newest backup"),
        (
            "missing",
            "openagents_web_staging: no backup named backups/laravel/openagents_web_staging-",
        ),
    ],
)
async def test_backup_freshness_fails_for_each_database_problem(
    checkout: Checkout, backups: str, reason: str
) -> None:
    outcomes, _ = await outcomes_with(
        checkout,
        GoogleFaults(backups=backups),
        RUN_BACKUP_FRESHNESS_CHECK="1",  # type: ignore[arg-type]
    )
    check = outcomes["laravel-backup-freshness"]
    assert check.status is Status.FAILED
    assert reason in check.reason
    assert "openagents_web:" not in check.reason, "the healthy database is not blamed"


@pytest.mark.anyio
async def test_backup_freshness_is_absent_unless_switched_on(checkout: Checkout) -> None:
    outcomes, _ = await outcomes_with(checkout, GoogleFaults())
    assert "laravel-backup-freshness" not in outcomes
    assert len(outcomes) == 12
    on, _ = await outcomes_with(checkout, GoogleFaults(), RUN_BACKUP_FRESHNESS_CHECK="1")
    assert len(on) == 13
    fresh = on["laravel-backup-freshness"]
    assert fresh.status is Status.PASSED, fresh.reason
    assert set(fresh.details["backups"]) == {"openagents_web", "openagents_web_staging"}
