"""Proxies as curl reads them: HTTP and HTTPS probes (and the TLS check) go through the proxy,
NO_PROXY sends hosts direct, credentials go to the proxy only, a refusing proxy is named."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiohttp import web

from cutover_probe.config import load_matrix
from cutover_probe.engine import RunSettings, execute
from cutover_probe.fleet import (
    serve_fleet,
)
from cutover_probe.model import Status
from cutover_probe.planning import build_plan
from cutover_probe.probes.proxy import bypassed

from ..conftest import (
    HTTP_CHECKS_ALONE,
    Checkout,
    clean_environ,
    fleet_environ,
    invoke_cli_async,
    read_tsv,
    run_in_process,
)
from ..end_to_end.test_hostile_networks import TLS_CONFIG
from ..servers import PROXIED_CHECKS, ForwardProxy
from ..tlsutil import https_server, issue, make_ca


@pytest.mark.anyio
@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy"])
async def test_http_probes_go_through_the_proxy(checkout: Checkout, variable: str) -> None:
    async with ForwardProxy() as proxy, serve_fleet() as fleet:
        environ = fleet_environ(
            fleet,
            checkout,
            **HTTP_CHECKS_ALONE,
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
            **HTTP_CHECKS_ALONE,
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
            **HTTP_CHECKS_ALONE,
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


@pytest.mark.anyio
@pytest.mark.parametrize("direct", [False, True])
async def test_google_calls_read_the_proxy_variables_each_time_the_same(
    checkout: Checkout, tmp_path: Path, direct: bool
) -> None:
    """requests' reading of the proxy variables is done once per host and session
    (googlehttp.environment_once): every Google call of the run, not only the first of a
    client, goes through HTTP_PROXY, and none does when NO_PROXY names the API's host."""
    async with ForwardProxy() as proxy, serve_fleet() as fleet:
        google = urlsplit(fleet.google_url).netloc
        environ = fleet_environ(
            fleet,
            checkout,
            RUN_KHALA_CONTRACT_TESTS="0",
            # Python's reading of the variables lets an empty lower-case one unset the other.
            HTTP_PROXY=proxy.url,
            # (requests matches an IP address in NO_PROXY without its port)
            NO_PROXY="127.0.0.1" if direct else "",
        )
        ran = await invoke_cli_async(
            "run", "-q", "--output-dir", str(tmp_path / "out"), env=environ, cwd=checkout.root
        )
        google_calls = [r for r in fleet.requests if r.service == "google"]
    rows = {row["check_id"]: row for row in read_tsv(tmp_path / "out" / "results.tsv")}
    for check in ("control-canary-status", "runtime-migration-drift", "control-error-log-probe"):
        assert rows[check]["status"] == "passed", ran.stdout
    proxied = [line for line in proxy.requests if f"//{google}/" in line]
    assert len(google_calls) > 4  # several calls on each client's session
    assert len(proxied) == (0 if direct else len(google_calls))
