"""Verdicts that match the real services: a write is judged on its first answer, HTTP headers are
read as HTTP says, drift needs images to compare, proxies are used, gcloud's login is enough,
`plan` does not promise a lane that cannot start, and small truths (URL joins, one clock read,
a wait for a pooled connection named as such)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from cutover_probe.fleet import ControlFaults, FleetSpec, GoogleFaults, RuntimeFaults, serve_fleet
from cutover_probe.model import Status

from .conftest import Checkout, clean_environ, fleet_environ, run_in_process
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


# --- 2. HTTP semantics, not string matching --------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("manifest", "sw", "verdict"),
    [
        ("No-Cache, Max-Age=0", "NO-CACHE", Status.PASSED),
        ('private="X-Id, Vary" ,no-cache', "public,no-cache,max-age=0", Status.PASSED),
        ("no-cache-foo, max-age=0", "no-cache", Status.FAILED),
        ('private="no-cache", max-age=0', "no-cache", Status.FAILED),
        ('no-cache="Set-Cookie", max-age=0', "no-cache", Status.FAILED),
        ("no-cache", "x-no-cache", Status.FAILED),
    ],
)
async def test_cache_control_is_parsed_as_directives(
    checkout: Checkout, manifest: str, sw: str, verdict: Status
) -> None:
    faults = ControlFaults(manifest_cache_control=manifest, sw_cache_control=sw)
    async with serve_fleet(FleetSpec(prod_control=faults)) as fleet:
        environ = fleet_environ(
            fleet,
            checkout,
            RUN_KHALA_CONTRACT_TESTS="0",
            RUN_RUNTIME_DRIFT_CHECK="0",
            RUN_LOG_PROBES="0",
        )
        outcomes = await run_in_process(environ, checkout.root)
    smoke = outcomes["control-prod-smoke"]
    assert smoke.status is verdict, smoke.reason
    if verdict is Status.FAILED:
        assert "lacks 'no-cache'" in smoke.reason


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("cache_control", "verdict"),
    [
        ("Public, Max-Age=31536000, IMMUTABLE", Status.PASSED),
        ("public, max-age=31536000, immutable-ish", Status.FAILED),
    ],
)
async def test_hashed_entry_needs_the_immutable_directive(
    checkout: Checkout, cache_control: str, verdict: Status
) -> None:
    faults = ControlFaults(entry_js_hashed=True, hashed_asset_cache_control=cache_control)
    async with serve_fleet(FleetSpec(prod_control=faults)) as fleet:
        environ = fleet_environ(
            fleet,
            checkout,
            RUN_KHALA_CONTRACT_TESTS="0",
            RUN_RUNTIME_DRIFT_CHECK="0",
            RUN_LOG_PROBES="0",
        )
        outcomes = await run_in_process(environ, checkout.root)
    smoke = outcomes["control-prod-smoke"]
    assert smoke.status is verdict, smoke.reason
    if verdict is Status.FAILED:
        assert "lacks 'immutable'" in smoke.reason


@contextlib.asynccontextmanager
async def header_server() -> AsyncIterator[str]:
    """A server that sends Cache-Control on two lines and names headers in odd cases."""

    async def handle(request: web.Request) -> web.Response:
        response = web.json_response({"ok": True})
        response.headers.add("Cache-Control", "public")
        response.headers.add("cache-control", "No-Cache")
        response.headers["X-REQUEST-ID"] = "req-1234567"
        return response

    app = web.Application()
    app.router.add_get("/thing", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.mark.anyio
async def test_header_names_are_case_insensitive_and_repeated_fields_combine(
    checkout: Checkout, tmp_path: Path
) -> None:
    lane = """
[[checks]]
id = "lane"
kind = "http"
base_url = "${STAGING_CONTROL_BASE_URL}"
[[checks.steps]]
name = "first"
path = "/thing"
[checks.steps.expect.headers]
CACHE-CONTROL = { equals = "public, No-Cache" }
x-request-id = { present = true }
[checks.steps.capture]
rid = { header = "X-Request-Id", public = true }
[[checks.steps]]
name = "second"
path = "/thing?rid={{rid}}"
expect = { headers = { Cache-control = { regex = "(?i)no-cache" } } }
"""
    async with header_server() as base:
        environ = clean_environ(STAGING_CONTROL_BASE_URL=base)
        outcomes = await run_in_process(environ, checkout.root, config(tmp_path, lane))
    assert outcomes["lane"].status is Status.PASSED, outcomes["lane"].reason
    assert "captured rid from header x-request-id: req-1234567" in outcomes["lane"].evidence


# --- 3. Drift cannot pass on nothing -------------------------------------------------------


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
