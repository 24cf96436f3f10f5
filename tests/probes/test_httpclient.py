"""The probes' HTTP client: a write judged on its first answer unless a step opts into retries, a
wait for a pooled connection named as such and not eating the request timeout, base URLs joined
properly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cutover_probe.fleet import (
    ControlFaults,
    FleetSpec,
    RuntimeFaults,
    serve_fleet,
)
from cutover_probe.model import Status

from ..conftest import (
    HTTP_CHECKS_ALONE,
    Checkout,
    clean_environ,
    fleet_environ,
    invoke_cli_async,
    run_in_process,
)
from ..servers import _run_lanes, _write_step, _writes, slow_server
from .test_httpkind import config


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
            **HTTP_CHECKS_ALONE,
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


@pytest.mark.anyio
async def test_waiting_for_a_pooled_connection_does_not_eat_the_request_timeout(
    tmp_path: Path,
) -> None:
    # Two requests to one host, one connection: the second queues 0.8 s, then takes 0.8 s of its
    # own. Its 1.4 s request timeout starts when it has the connection, so both pass.
    lane = """
[[checks]]
id = "lane"
kind = "http"
base_url = "${STAGING_CONTROL_BASE_URL}"
samples = 2
concurrency = 2
[[checks.steps]]
name = "slow"
path = "/slow"
"""
    async with slow_server(0.8) as base:
        outcomes = await _run_lanes(
            tmp_path,
            lane,
            clean_environ(STAGING_CONTROL_BASE_URL=base),
            per_host_limit=1,
            request_timeout_s=1.4,
        )
    outcome = outcomes["lane"]
    assert outcome.status is Status.PASSED, outcome.reason
    assert any("s for a connection)" in line for line in outcome.evidence), outcome.evidence
    # The step's times are the request's own, not the queue's.
    assert outcome.details["steps"]["slow"]["total_ms"]["max"] < 1400


@pytest.mark.anyio
async def test_a_request_that_only_waited_for_a_pooled_connection_says_so(
    tmp_path: Path,
) -> None:
    # "holder" keeps the only connection to the slow host for 2 s; "waiter" first asks another
    # server (so the holder is surely first in line), then queues behind it until its 1.2 s
    # deadline is near.
    lanes = """
[[checks]]
id = "holder"
kind = "http"
base_url = "${STAGING_CONTROL_BASE_URL}"
[[checks.steps]]
name = "slow"
path = "/slow"

[[checks]]
id = "waiter"
kind = "http"
base_url = "${STAGING_CONTROL_BASE_URL}"
deadline = "1200ms"
[[checks.steps]]
name = "elsewhere"
url = "${STAGING_RUNTIME_BASE_URL}/slow"
[[checks.steps]]
name = "queued"
path = "/quick"
"""
    async with slow_server(2.0) as base, slow_server(0.2) as other:
        outcomes = await _run_lanes(
            tmp_path,
            lanes,
            clean_environ(STAGING_CONTROL_BASE_URL=base, STAGING_RUNTIME_BASE_URL=other),
            per_host_limit=1,
            request_timeout_s=10.0,
        )
    port = base.rsplit(":", 1)[1]
    waiter = outcomes["waiter"]
    assert waiter.status is Status.FAILED
    assert re.fullmatch(
        rf"step queued: GET {base}/quick: waited \d+\.\ds for a connection to "
        rf"127\.0\.0\.1:{port} \(per-host limit 1\)",
        waiter.reason,
    ), waiter.reason
    assert "no answer" not in waiter.reason
    assert outcomes["holder"].status is Status.PASSED, outcomes["holder"].reason


@pytest.mark.anyio
async def test_a_base_url_ending_in_a_slash_joins_paths_properly(
    checkout: Checkout, tmp_path: Path
) -> None:
    async with serve_fleet() as fleet:
        environ = fleet_environ(
            fleet, checkout, RUN_KHALA_CONTRACT_TESTS="0", RUN_RUNTIME_DRIFT_CHECK="0"
        )
        for name in ("STAGING_CONTROL_BASE_URL", "PROD_RUNTIME_BASE_URL"):
            environ[name] += "/"
        planned = await invoke_cli_async("plan", env=environ, cwd=checkout.root)
        outcomes = await run_in_process(environ, checkout.root)
        paths = [r.path for r in fleet.requests if r.service != "google"]
    assert planned.returncode == 0, planned.stderr
    assert "//healthz" not in planned.stdout
    assert f"GET {environ['STAGING_CONTROL_BASE_URL'].rstrip('/')}/healthz" in planned.stdout
    assert outcomes["control-staging-health"].status is Status.PASSED
    assert outcomes["runtime-prod-smoke"].status is Status.PASSED
    assert "/healthz" in paths
    assert not [path for path in paths if path.startswith("//")]
    evidence = outcomes["control-staging-health"].evidence
    assert not [line for line in evidence if "//healthz" in line or "//readyz" in line]
