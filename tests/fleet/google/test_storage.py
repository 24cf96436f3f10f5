"""The fake Cloud Storage API lists backups by prefix, and its faults hit the staging database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.api_core import exceptions as gexc

from cutover_probe.fleet import (
    FleetSpec,
    GoogleFaults,
    serve_fleet,
)

from .test_app import BUCKET, _blocking, _storage


@pytest.mark.anyio
async def test_storage_lists_backups_by_prefix() -> None:
    async with serve_fleet() as fleet:
        client = await _blocking(lambda: _storage(fleet.google_url))
        web = await _blocking(
            lambda: list(client.list_blobs(BUCKET, prefix="backups/laravel/openagents_web-"))
        )
        backups = await _blocking(lambda: list(client.list_blobs(BUCKET, prefix="backups/")))
        everything = await _blocking(lambda: list(client.list_blobs(BUCKET)))
        with pytest.raises(gexc.NotFound):
            await _blocking(lambda: list(client.list_blobs("someone-elses-bucket")))
    names = sorted(b.name for b in web)
    assert len(names) == 4
    assert all(n.startswith("backups/laravel/openagents_web-") for n in names)
    assert all(n.endswith(".sql.gz") for n in names)
    stamp = names[-1].removeprefix("backups/laravel/openagents_web-").removesuffix(".sql.gz")
    newest = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert timedelta(hours=2.9) < datetime.now(UTC) - newest < timedelta(hours=3.1)
    assert all(b.size > 0 for b in web)
    assert all(b.bucket.name == BUCKET for b in web)
    assert web[0].updated is not None
    assert len(backups) == 8  # both databases
    assert len(everything) > len(backups)  # Cloud Build sources live there too


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("backups", "count", "newest_age_h", "newest_size"),
    [
        ("stale", 3, 30, None),
        ("empty", 4, 3, 0),
        ("missing", 0, None, None),
    ],
)
async def test_storage_backup_faults_hit_the_staging_database(
    backups: Any, count: int, newest_age_h: float | None, newest_size: int | None
) -> None:
    async with serve_fleet(FleetSpec(google=GoogleFaults(backups=backups))) as fleet:
        client = await _blocking(lambda: _storage(fleet.google_url))
        prefix = "backups/laravel/openagents_web_staging-"
        staging = await _blocking(lambda: list(client.list_blobs(BUCKET, prefix=prefix)))
        web = await _blocking(
            lambda: list(client.list_blobs(BUCKET, prefix="backups/laravel/openagents_web-"))
        )
    assert len(web) == 4  # the other database is untouched
    assert len(staging) == count
    if not staging:
        return
    newest = max(staging, key=lambda b: b.name)
    stamp = newest.name.removeprefix(prefix).removesuffix(".sql.gz")
    age = datetime.now(UTC) - datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert newest_age_h is not None
    assert abs(age - timedelta(hours=newest_age_h)) < timedelta(minutes=5)
    if newest_size is not None:
        assert newest.size == newest_size
