"""Verdicts that match the real services: a write is judged on its first answer, HTTP headers are
read as HTTP says, drift needs images to compare, proxies are used, gcloud's login is enough,
`plan` does not promise a lane that cannot start, and small truths (URL joins, one clock read,
a wait for a pooled connection named as such)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import os
import re
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiohttp import web

from cutover_probe.config import default_config_path, load_matrix
from cutover_probe.engine import RunSettings, execute
from cutover_probe.fleet import (
    ControlFaults,
    Fleet,
    FleetSpec,
    FleetThread,
    GoogleFaults,
    RuntimeFaults,
    serve_fleet,
)
from cutover_probe.model import Outcome, Status
from cutover_probe.planning import Selection, build_plan
from cutover_probe.probes.proxy import bypassed
from cutover_probe.workflow import RunRequest, prepare, run_matrix

from .conftest import Checkout, clean_environ, fleet_environ, read_tsv, run_cli, run_in_process
from .test_hostile_networks import TLS_CONFIG
from .test_http_kind import config
from .tlsutil import https_server, issue, make_ca


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


# --- 7. Small truths -------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def slow_server(delay_s: float) -> AsyncIterator[str]:
    """Every answer after ``delay_s``; ``/quick`` at once."""

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(delay_s)
        return web.json_response({"ok": True})

    async def quick(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/slow", slow)
    app.router.add_get("/quick", quick)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def _run_lanes(
    tmp_path: Path, checks: str, environ: dict[str, str], **settings: object
) -> dict[str, Outcome]:
    plan = build_plan(load_matrix(config(tmp_path, checks)), environ, tmp_path)
    result = await execute(plan, environ, RunSettings(**settings))  # type: ignore[arg-type]
    return {outcome.check_id: outcome for outcome in result.outcomes}


@pytest.mark.anyio
async def test_waiting_for_a_pooled_connection_does_not_eat_the_request_timeout(
    tmp_path: Path,
) -> None:
    # Two requests to one host, one connection: the second queues 1.2 s, then takes 1.2 s of its
    # own. Its 2 s request timeout starts when it has the connection, so both pass.
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
    async with slow_server(1.2) as base:
        outcomes = await _run_lanes(
            tmp_path,
            lane,
            clean_environ(STAGING_CONTROL_BASE_URL=base),
            per_host_limit=1,
            request_timeout_s=2.0,
        )
    outcome = outcomes["lane"]
    assert outcome.status is Status.PASSED, outcome.reason
    assert any("s for a connection)" in line for line in outcome.evidence), outcome.evidence
    # The step's times are the request's own, not the queue's.
    assert outcome.details["steps"]["slow"]["total_ms"]["max"] < 2000


@pytest.mark.anyio
async def test_a_request_that_only_waited_for_a_pooled_connection_says_so(
    tmp_path: Path,
) -> None:
    # "holder" keeps the only connection to the slow host for 3 s; "waiter" first asks another
    # server (so the holder is surely first in line), then queues behind it until its 1.5 s
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
deadline = "1500ms"
[[checks.steps]]
name = "elsewhere"
url = "${STAGING_RUNTIME_BASE_URL}/slow"
[[checks.steps]]
name = "queued"
path = "/quick"
"""
    async with slow_server(3.0) as base, slow_server(0.3) as other:
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
        planned = run_cli("plan", env=environ, cwd=checkout.root)
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


# --- 6. plan does not promise what will fail -------------------------------------------------


def test_a_lane_that_cannot_start_is_a_failure_named_in_plan_and_run(tmp_path: Path) -> None:
    not_a_checkout = tmp_path / "x"
    not_a_checkout.mkdir()
    environ = clean_environ(PATH=str(tmp_path / "empty-bin"))
    args = ("--repo-root", str(not_a_checkout), "--only", "khala-contract-tests")
    reason = (
        f"cargo not on PATH; no apps/runtime/Cargo.toml under {not_a_checkout}: "
        "is --repo-root the OpenAgents checkout?"
    )

    planned = run_cli("plan", *args, env=environ, cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr
    line = next(x for x in planned.stdout.splitlines() if " khala-contract-tests " in x)
    assert line.startswith("fail khala-contract-tests")
    assert line.endswith(f"required cannot start: {reason}")
    assert "1 required cannot start (a no-go in gating mode)" in planned.stdout

    ran = run_cli("run", *args, env=environ, cwd=tmp_path)
    assert ran.returncode == 1, ran.stderr
    assert f"[failed] khala-contract-tests (required): {reason}" in ran.stdout
    assert "internal error" not in ran.stdout + ran.stderr
    reports = not_a_checkout / "docs" / "reports" / "rust-cutover-validation"
    (report,) = reports.iterdir()
    row = next(
        r for r in read_tsv(report / "results.tsv") if r["check_id"] == "khala-contract-tests"
    )
    assert row["status"] == "failed"
    checks = json.loads((report / "results.json").read_text())["checks"]
    (khala,) = [c for c in checks if c["id"] == "khala-contract-tests"]
    assert (khala["status"], khala["reason"]) == ("failed", reason)
    assert f"FAILED: {reason}" in (report / row["log_path"]).read_text()


def test_a_lane_whose_program_is_on_path_and_manifest_present_is_planned_to_run(
    checkout: Checkout, tmp_path: Path
) -> None:
    environ = clean_environ(PATH=str(checkout.bin_dir))
    planned = run_cli(
        "plan",
        "--repo-root",
        str(checkout.root),
        "--only",
        "khala-contract-tests",
        env=environ,
        cwd=tmp_path,
    )
    assert planned.returncode == 0, planned.stderr
    line = next(x for x in planned.stdout.splitlines() if " khala-contract-tests " in x)
    assert line.startswith("run  khala-contract-tests")
    assert "cannot start" not in planned.stdout


# --- 4. Proxies ------------------------------------------------------------------------------


class ForwardProxy:
    """A forward proxy on 127.0.0.1, as a corporate one: absolute-form ``GET http://…`` (and any
    other method) is forwarded, one request per connection; ``CONNECT host:port`` is a tunnel.
    It records every request line it is asked, and can demand a Proxy-Authorization."""

    def __init__(self, *, authorization: str | None = None) -> None:
        self.requests: list[str] = []
        self.authorization = authorization
        self.url = ""

    async def __aenter__(self) -> ForwardProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            lines = head.decode("latin-1").split("\r\n")
            method, target, _version = lines[0].split(" ", 2)
            self.requests.append(f"{method} {target}")
            fields = [line for line in lines[1:] if line]
            if self.authorization is not None and (
                f"Proxy-Authorization: {self.authorization}" not in fields
            ):
                writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n")
                writer.write(b"Content-Length: 0\r\nConnection: close\r\n\r\n")
                await writer.drain()
                return
            if method == "CONNECT":
                host, port = target.rsplit(":", 1)
                up_reader, up_writer = await asyncio.open_connection(host, int(port))
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await writer.drain()
            else:
                url = urlsplit(target)
                up_reader, up_writer = await asyncio.open_connection(url.hostname, url.port)
                path = url.path + (f"?{url.query}" if url.query else "")
                keep = [
                    f
                    for f in fields
                    if not f.lower().startswith(("connection:", "proxy-", "keep-alive:"))
                ]
                out = "\r\n".join([f"{method} {path} HTTP/1.1", *keep, "Connection: close"])
                up_writer.write((out + "\r\n\r\n").encode("latin-1"))
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            writer.write_eof()


PROXIED_CHECKS = ("control-staging-health", "control-staging-smoke", "runtime-prod-smoke")


@pytest.mark.anyio
@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy"])
async def test_http_probes_go_through_the_proxy(checkout: Checkout, variable: str) -> None:
    async with ForwardProxy() as proxy, serve_fleet() as fleet:
        environ = fleet_environ(
            fleet,
            checkout,
            RUN_KHALA_CONTRACT_TESTS="0",
            RUN_RUNTIME_DRIFT_CHECK="0",
            RUN_LOG_PROBES="0",
            NO_PROXY="",
            no_proxy="",
            **{"http_proxy": "", "HTTP_PROXY": "", variable: proxy.url},
        )
        outcomes = await run_in_process(environ, checkout.root)
        served = [r for r in fleet.requests if r.service != "google"]
    for check_id in PROXIED_CHECKS:
        assert outcomes[check_id].status is Status.PASSED, outcomes[check_id].reason
    # Every request the fleet answered came through the proxy, in absolute form.
    assert len(served) == len(proxy.requests) > 10
    base = environ["STAGING_CONTROL_BASE_URL"]
    assert f"GET {base}/healthz" in proxy.requests
    assert f"POST {environ['PROD_RUNTIME_BASE_URL']}/internal/v1/runs" in proxy.requests


@pytest.mark.anyio
async def test_no_proxy_sends_the_listed_hosts_direct(checkout: Checkout) -> None:
    async with ForwardProxy() as proxy, serve_fleet() as fleet:
        staging = urlsplit(fleet.env()["STAGING_CONTROL_BASE_URL"])
        environ = fleet_environ(
            fleet,
            checkout,
            RUN_KHALA_CONTRACT_TESTS="0",
            RUN_RUNTIME_DRIFT_CHECK="0",
            RUN_LOG_PROBES="0",
            HTTP_PROXY=proxy.url,
            http_proxy="",
            NO_PROXY=f"example.test, 127.0.0.1:{staging.port}",
            no_proxy="",
        )
        outcomes = await run_in_process(environ, checkout.root)
    for check_id in PROXIED_CHECKS:
        assert outcomes[check_id].status is Status.PASSED, outcomes[check_id].reason
    assert proxy.requests  # the other services still went through it
    assert not [r for r in proxy.requests if f":{staging.port}/" in r]


@pytest.mark.anyio
async def test_a_proxy_that_wants_credentials_gets_them_from_the_url(checkout: Checkout) -> None:
    secret = "s3cret-proxy-pass"
    expected = "Basic " + base64.b64encode(f"ci:{secret}".encode()).decode()
    async with ForwardProxy(authorization=expected) as proxy, serve_fleet() as fleet:
        environ = fleet_environ(
            fleet,
            checkout,
            RUN_KHALA_CONTRACT_TESTS="0",
            RUN_RUNTIME_DRIFT_CHECK="0",
            RUN_LOG_PROBES="0",
            HTTP_PROXY=proxy.url.replace("http://", f"http://ci:{secret}@"),
            http_proxy="",
            NO_PROXY="",
            no_proxy="",
        )
        outcomes = await run_in_process(environ, checkout.root)
    health = outcomes["control-staging-health"]
    assert health.status is Status.PASSED, health.reason
    assert f"GET {environ['STAGING_CONTROL_BASE_URL']}/healthz" in proxy.requests
    assert not [line for line in health.evidence if secret in line]


@pytest.mark.anyio
async def test_https_probes_and_the_tls_check_tunnel_through_the_proxy(tmp_path: Path) -> None:
    ca = make_ca(tmp_path)
    cert = issue(ca, tmp_path)
    config_path = tmp_path / "tls.toml"
    config_path.write_text(TLS_CONFIG.replace("MIN_DAYS", "14"))
    async with ForwardProxy() as proxy, https_server(cert) as url:
        environ = clean_environ(
            URL=url, HTTPS_PROXY=proxy.url, https_proxy="", NO_PROXY="", no_proxy=""
        )
        plan = build_plan(load_matrix(config_path), environ, tmp_path)
        result = await execute(plan, environ, RunSettings(ca_bundle=ca.cert_path))
        outcomes = {o.check_id: o for o in result.outcomes}
        # And with NO_PROXY naming the host, nothing goes through it.
        direct = clean_environ(
            URL=url, HTTPS_PROXY=proxy.url, https_proxy="", NO_PROXY="127.0.0.1", no_proxy=""
        )
        before = len(proxy.requests)
        plan = build_plan(load_matrix(config_path), direct, tmp_path)
        bypass = await execute(plan, direct, RunSettings(ca_bundle=ca.cert_path))
    for outcome in (*result.outcomes, *bypass.outcomes):
        assert outcome.status is Status.PASSED, outcome.reason
    target = url.removeprefix("https://")
    # control-health's two requests and the certificate check's handshake, each a tunnel.
    assert proxy.requests[:before].count(f"CONNECT {target}") >= 2
    assert any("through the proxy" in line for line in outcomes["cert"].evidence)
    assert len(proxy.requests) == before


@pytest.mark.anyio
async def test_a_proxy_refusing_connect_is_named(tmp_path: Path) -> None:
    ca = make_ca(tmp_path)
    cert = issue(ca, tmp_path)
    config_path = tmp_path / "tls.toml"
    config_path.write_text(TLS_CONFIG.replace("MIN_DAYS", "14"))
    async with ForwardProxy(authorization="Basic nope") as proxy, https_server(cert) as url:
        environ = clean_environ(
            URL=url, HTTPS_PROXY=proxy.url, https_proxy="", NO_PROXY="", no_proxy=""
        )
        plan = build_plan(load_matrix(config_path), environ, tmp_path)
        result = await execute(plan, environ, RunSettings(ca_bundle=ca.cert_path))
    outcomes = {o.check_id: o for o in result.outcomes}
    target = url.removeprefix("https://")
    assert outcomes["cert"].status is Status.FAILED
    assert outcomes["cert"].reason == (
        f"{target}: the proxy {proxy.url.removeprefix('http://')} refused CONNECT: "
        "'HTTP/1.1 407 Proxy Authentication Required'"
    )
    assert outcomes["health"].status is Status.FAILED
    assert "the proxy answered 407" in outcomes["health"].reason


@pytest.mark.parametrize(
    ("host", "port", "no_proxy", "direct"),
    [
        ("api.example.com", 443, "example.com", True),
        ("api.example.com", 443, ".example.com", True),
        ("badexample.com", 443, "example.com", False),
        ("10.1.2.3", 80, "10.0.0.0/8", True),
        ("127.0.0.1", 8080, "127.0.0.1:9090", False),
        ("127.0.0.1", 9090, " 127.0.0.1:9090 ,x", True),
        ("localhost", 80, "", False),
        ("anything", 1, "*", True),
    ],
)
def test_no_proxy_entries_match_as_curl_reads_them(
    host: str, port: int, no_proxy: str, direct: bool
) -> None:
    assert bypassed(host, port, no_proxy) is direct


@pytest.mark.anyio
async def test_a_host_pinned_with_resolve_is_asked_directly(tmp_path: Path) -> None:
    async with ForwardProxy() as proxy, slow_server(0) as base:
        port = base.rsplit(":", 1)[1]
        lane = """
[[checks]]
id = "lane"
kind = "http"
base_url = "${STAGING_CONTROL_BASE_URL}"
[[checks.steps]]
name = "quick"
path = "/quick"
"""
        outcomes = await _run_lanes(
            tmp_path,
            lane,
            clean_environ(
                STAGING_CONTROL_BASE_URL=f"http://control.example.test:{port}",
                HTTP_PROXY=proxy.url,
                http_proxy="",
                NO_PROXY="",
                no_proxy="",
            ),
            resolve={"control.example.test": "127.0.0.1"},
        )
    assert outcomes["lane"].status is Status.PASSED, outcomes["lane"].reason
    assert proxy.requests == []


# --- 5. The credentials people have: gcloud's login ------------------------------------------

GCLOUD_TOKEN = "ya29.stub-gcloud-token-7f3a9c1d2e"


def stub_gcloud(directory: Path, *, fails: bool = False) -> Path:
    """A `gcloud` that prints an access token for `auth print-access-token` (counting calls),
    or fails as a logged-out gcloud does."""
    bin_dir = directory / "gcloud-bin"
    bin_dir.mkdir()
    script = bin_dir / "gcloud"
    calls = directory / "gcloud-calls.txt"
    body = (
        "print('ERROR: (gcloud.auth.print-access-token) You do not currently have an active "
        "account selected.', file=sys.stderr); sys.exit(1)"
        if fails
        else f"print({GCLOUD_TOKEN!r})"
    )
    script.write_text(
        f"#!{sys.executable}\nimport sys\n"
        f"open({str(calls)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
        "assert sys.argv[1:3] == ['auth', 'print-access-token'], sys.argv\n"
        f"{body}\n"
    )
    script.chmod(0o755)
    config = directory / "gcloud-config"
    (config / "configurations").mkdir(parents=True)
    (config / "active_config").write_text("default\n")
    (config / "configurations" / "config_default").write_text(
        "[core]\naccount = sre@example.com\nproject = openagentsgemini\n"
    )
    return bin_dir


def gcloud_environ(fleet: Fleet, checkout: Checkout, bin_dir: Path, **extra: str) -> dict[str, str]:
    """The fleet's services, its Google APIs as an endpoint override (real credentials, no
    emulator), and no Application Default Credentials: only gcloud's login."""
    environ = fleet_environ(
        fleet,
        checkout,
        RUN_KHALA_CONTRACT_TESTS="0",
        RUN_LOG_PROBES="0",
        CLOUDSDK_CONFIG=str(bin_dir.parent / "gcloud-config"),
        CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN=fleet.google_url,
        **extra,
    )
    for variable in ("CLOUD_RUN_EMULATOR_HOST", "CLOUD_LOGGING_EMULATOR_HOST"):
        environ.pop(variable, None)
    environ.pop("STORAGE_EMULATOR_HOST", None)
    environ["PATH"] = f"{bin_dir}{os.pathsep}{environ['PATH']}"
    return environ


def test_gcloud_login_is_used_when_there_are_no_application_default_credentials(
    checkout: Checkout, tmp_path: Path
) -> None:
    bin_dir = stub_gcloud(tmp_path)
    spec = FleetSpec(google=GoogleFaults(bearer=GCLOUD_TOKEN))
    with FleetThread(spec) as fleet:
        environ = gcloud_environ(fleet, checkout, bin_dir)
        planned = run_cli("plan", env=environ, cwd=checkout.root)
        out = checkout.root / "report"
        ran = run_cli(
            "run",
            "--only",
            "runtime-migration-drift",
            "--output-dir",
            str(out),
            "-v",
            env=environ,
            cwd=checkout.root,
        )
        google = [r for r in fleet.requests if r.service == "google"]
    drift_plan = next(x for x in planned.stdout.splitlines() if " runtime-migration-drift " in x)
    assert drift_plan.startswith("run  runtime-migration-drift")
    assert drift_plan.endswith("(credentials: gcloud auth print-access-token as sre@example.com)")
    assert ran.returncode == 1, ran.stderr  # the deselected required checks make it a NO-GO
    assert "[passed] runtime-migration-drift (required)" in ran.stdout
    assert google
    assert all(r.authorization == f"Bearer {GCLOUD_TOKEN}" for r in google)
    log = (out / "logs" / "runtime-migration-drift.log").read_text()
    assert (
        "credentials: gcloud auth print-access-token as sre@example.com "
        "(no Application Default Credentials)"
    ) in log
    calls = (tmp_path / "gcloud-calls.txt").read_text().splitlines()
    assert calls
    assert set(calls) == {"auth print-access-token --account=sre@example.com"}
    # The token never reaches an output.
    for path in out.rglob("*"):
        if path.is_file():
            assert GCLOUD_TOKEN not in path.read_text(errors="replace"), path
    assert GCLOUD_TOKEN not in planned.stdout + planned.stderr + ran.stdout + ran.stderr


def test_a_logged_out_gcloud_fails_the_check_with_gcloud_s_words(
    checkout: Checkout, tmp_path: Path
) -> None:
    bin_dir = stub_gcloud(tmp_path, fails=True)
    with FleetThread(FleetSpec(google=GoogleFaults(bearer=GCLOUD_TOKEN))) as fleet:
        environ = gcloud_environ(fleet, checkout, bin_dir)
        ran = run_cli(
            "run",
            "--only",
            "runtime-migration-drift",
            "--output-dir",
            str(checkout.root / "report"),
            env=environ,
            cwd=checkout.root,
        )
    assert ran.returncode == 1
    line = next(x for x in ran.stdout.splitlines() if "] runtime-migration-drift (" in x)
    assert line.startswith("[failed] runtime-migration-drift (required): ")
    assert "gcloud auth print-access-token failed: ERROR: (gcloud.auth.print-access-token) " in line


def test_without_gcloud_or_adc_the_google_checks_are_skipped_with_the_how_to(
    checkout: Checkout, tmp_path: Path
) -> None:
    stub_gcloud(tmp_path)
    environ = clean_environ(
        CLOUDSDK_CONFIG=str(tmp_path / "gcloud-config"), PATH=str(tmp_path / "no-gcloud-here")
    )
    planned = run_cli("plan", env=environ, cwd=checkout.root)
    line = next(x for x in planned.stdout.splitlines() if " runtime-migration-drift " in x)
    assert line.startswith("skip runtime-migration-drift")
    assert "`gcloud auth login` with gcloud on the PATH" in line


@pytest.mark.anyio
async def test_proxy_credentials_go_to_the_proxy_and_never_to_an_https_server(
    tmp_path: Path,
) -> None:
    ca = make_ca(tmp_path)
    cert = issue(ca, tmp_path)
    config_path = tmp_path / "tls.toml"
    config_path.write_text(TLS_CONFIG.replace("MIN_DAYS", "14"))
    seen: list[str | None] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Proxy-Authorization"))
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/healthz", answer)
    app.router.add_get("/readyz", answer)
    expected = "Basic " + base64.b64encode(b"ci:pw-123456").decode()
    async with ForwardProxy(authorization=expected) as proxy, https_server(cert, app) as url:
        environ = clean_environ(
            URL=url,
            HTTPS_PROXY=proxy.url.replace("http://", "http://ci:pw-123456@"),
            https_proxy="",
            NO_PROXY="",
            no_proxy="",
        )
        plan = build_plan(load_matrix(config_path), environ, tmp_path)
        result = await execute(plan, environ, RunSettings(ca_bundle=ca.cert_path))
    for outcome in result.outcomes:
        assert outcome.status is Status.PASSED, outcome.reason
    assert proxy.requests.count(f"CONNECT {url.removeprefix('https://')}") >= 2
    assert seen == [None, None]
