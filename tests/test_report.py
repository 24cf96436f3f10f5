"""The report: its directory and SUMMARY.md's timestamp come from one clock read, and the directory
is named after it."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from cutover_probe.config import default_config_path
from cutover_probe.fleet import (
    serve_fleet,
)
from cutover_probe.planning import Selection
from cutover_probe.workflow import RunRequest, prepare, run_matrix

from .conftest import Checkout, clean_environ, fleet_environ


@pytest.mark.anyio
async def test_report_directory_and_summary_timestamp_come_from_one_clock_read(
    checkout: Checkout,
) -> None:
    async with serve_fleet() as fleet:
        environ = fleet_environ(fleet, checkout, RUN_KHALA_CONTRACT_TESTS="0")
        summary = await run_matrix(
            RunRequest(
                config=default_config_path(),
                repo_root=checkout.root,
                environ=environ,
                selection=Selection(only=("control-staging-health",)),
            ),
            out=io.StringIO(),
        )
    assert summary.report is not None
    directory = summary.report.directory
    assert directory.parent == checkout.root / "docs" / "reports" / "rust-cutover-validation"
    summary_md = (directory / "SUMMARY.md").read_text()
    assert f"- Timestamp (UTC): {directory.name}" in summary_md
    stamp = json.loads((directory / "results.json").read_text())["timestamp"]
    assert stamp.replace("-", "").replace(":", "") == directory.name


def test_the_directory_is_named_after_the_run_s_clock_read(checkout: Checkout) -> None:
    started = datetime(2026, 11, 30, 3, 4, 5, tzinfo=UTC)
    request = RunRequest(
        config=default_config_path(), repo_root=checkout.root, environ=clean_environ()
    )
    _, directory = prepare(request, started)
    assert directory.name == "20261130T030405Z"
