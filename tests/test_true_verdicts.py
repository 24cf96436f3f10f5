"""Verdicts that match the real services: a write is judged on its first answer, HTTP headers are
read as HTTP says, drift needs images to compare, proxies are used, gcloud's login is enough,
`plan` does not promise a lane that cannot start, and small truths (URL joins, one clock read,
a wait for a pooled connection named as such)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cutover_probe.fleet import ControlFaults, FleetSpec, RuntimeFaults, serve_fleet
from cutover_probe.model import Status

from .conftest import Checkout, fleet_environ, run_in_process
from .test_http_kind import config


def _writes(fleet: object, service: str, path: str) -> int:
    return sum(
        1
        for r in fleet.requests  # type: ignore[attr-defined]
        if r.service == service and r.method == "POST" and r.path == path
    )


# --- 1. Never retry a write ---------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("status", [429, 503])
async def test_a_write_answering_retry_after_is_judged_on_its_first_answer(
    checkout: Checkout, status: int
) -> None:
    control = ControlFaults(
        throttle_paths=frozenset({"/api/sync/token"}), throttle_status=status, retry_after_s=0.1
    )
    runtime = RuntimeFaults(
        throttle_paths=frozenset({"/internal/v1/runs"}), throttle_status=status, retry_after_s=0.1
    )
    async with serve_fleet(FleetSpec(prod_control=control, prod_runtime=runtime)) as fleet:
        environ = fleet_environ(
            fleet,
            checkout,
            RUN_KHALA_CONTRACT_TESTS="0",
            RUN_RUNTIME_DRIFT_CHECK="0",
            RUN_LOG_PROBES="0",
        )
        outcomes = await run_in_process(environ, checkout.root)
        sync_posts = _writes(fleet, "prod-control", "/api/sync/token")
        run_posts = _writes(fleet, "prod-runtime", "/internal/v1/runs")
    smoke = outcomes["control-prod-smoke"]
    assert smoke.status is Status.FAILED
    assert f"sync token /api/sync/token: answered {status}" in smoke.reason
    assert "passed only on a retry" not in smoke.reason
    assert any(
        f"/api/sync/token: {status}, not retried: POST is not safe to repeat" in line
        for line in smoke.evidence
    )
    runtime_smoke = outcomes["runtime-prod-smoke"]
    assert runtime_smoke.status is Status.FAILED
    assert "step 3 POST http://127.0.0.1:" in runtime_smoke.reason
    assert f"/internal/v1/runs answered {status}" in runtime_smoke.reason
    assert sync_posts == 1
    assert run_posts == 1
    # The staging side is healthy, and a GET is still asked again.
    assert outcomes["control-staging-smoke"].status is Status.PASSED


def _write_step(retry: str) -> str:
    return f"""
[[checks]]
id = "lane"
kind = "http"
base_url = "${{STAGING_CONTROL_BASE_URL}}"
token = "${{STAGING_CONTROL_ACCESS_TOKEN}}"
[[checks.steps]]
name = "issue"
method = "POST"
path = "/api/sync/token"
auth = true
json = {{ scopes = ["runtime.codex_worker_events"] }}
{retry}
expect = {{ status = 200 }}
"""


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("retry", "status", "posts"),
    [("", Status.FAILED, 1), ("retry = true", Status.PASSED, 2)],
)
async def test_an_http_step_opts_an_idempotent_write_into_retries(
    checkout: Checkout, tmp_path: Path, retry: str, status: Status, posts: int
) -> None:
    faults = ControlFaults(
        throttle_paths=frozenset({"/api/sync/token"}), throttle_status=503, retry_after_s=0.1
    )
    async with serve_fleet(FleetSpec(staging_control=faults)) as fleet:
        environ = fleet_environ(fleet, checkout)
        outcomes = await run_in_process(
            environ, checkout.root, config(tmp_path, _write_step(retry))
        )
        sent = _writes(fleet, "staging-control", "/api/sync/token")
    lane = outcomes["lane"]
    assert lane.status is status, lane.reason
    assert sent == posts
    if status is Status.PASSED:
        assert lane.reason.startswith("passed only on a retry: POST http://127.0.0.1:")
    else:
        assert "step issue: status 503 (service_unavailable), expected 200" in lane.reason
