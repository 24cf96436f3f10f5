"""The fleet's hostile faults reach a real client as a real broken server would, and the TLS
helpers make certificates that a real client accepts or refuses for the right reason."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import aiohttp
import pytest

from cutover_probe.fleet import (
    REDIRECT_TARGET_URL,
    SCENARIOS,
    ControlFaults,
    FleetSpec,
    RuntimeFaults,
    serve_fleet,
)

from ..tlsutil import CertFiles, CertificateAuthority, https_server, issue, make_ca, trust

MIB = 1024 * 1024
SYNC_BODY = {"scopes": ["runtime.codex_worker_events"]}
# Whatever goes wrong, no test here may wait on the fleet for long.
TIMEOUT = aiohttp.ClientTimeout(total=10)
PAYLOAD_OR_DISCONNECT = (
    aiohttp.ClientPayloadError,
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientOSError,
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_hostile_scenarios_break_one_thing_each() -> None:
    assert SCENARIOS["reset"].spec == FleetSpec(
        staging_control=ControlFaults(reset_paths=frozenset({"/manifest.json"}))
    )
    assert SCENARIOS["trickle"].spec == FleetSpec(
        prod_control=ControlFaults(trickle_paths=frozenset({"/readyz"}))
    )
    assert SCENARIOS["huge-manifest"].spec == FleetSpec(
        prod_control=ControlFaults(huge_paths=frozenset({"/manifest.json"}))
    )
    assert SCENARIOS["redirect-away"].spec == FleetSpec(
        staging_control=ControlFaults(redirect_paths=frozenset({"/api/v1/control/status"}))
    )
    throttled = SCENARIOS["throttled"].spec.prod_control
    assert throttled.throttle_paths == frozenset({"/healthz"})
    assert (throttled.throttle_times, throttled.throttle_status, throttled.retry_after_s) == (
        1,
        429,
        0.2,
    )


@pytest.mark.anyio
async def test_reset_dies_mid_body_after_the_headers() -> None:
    spec = SCENARIOS["reset"].spec.with_latency(0.0)
    async with serve_fleet(spec) as fleet, aiohttp.ClientSession(timeout=TIMEOUT) as session:
        staging = fleet.urls["STAGING_CONTROL_BASE_URL"]
        async with session.get(f"{staging}/manifest.json") as response:
            assert response.status == 200
            assert response.content_type == "application/json"
            assert int(response.headers["Content-Length"]) > 100
            with pytest.raises(PAYLOAD_OR_DISCONNECT):
                await response.read()
        # The other environment, and the other paths, are untouched.
        async with session.get(f"{fleet.urls['PROD_CONTROL_BASE_URL']}/manifest.json") as ok:
            assert (await ok.json())["manifestVersion"] == "openagents.webshell.v2"
        async with session.get(f"{staging}/healthz") as ok:
            assert ok.status == 200


@pytest.mark.anyio
async def test_trickle_sends_headers_at_once_and_the_body_a_byte_a_second() -> None:
    async with (
        serve_fleet(SCENARIOS["trickle"].spec) as fleet,
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
    ):
        started = time.monotonic()
        async with session.get(f"{fleet.urls['PROD_CONTROL_BASE_URL']}/readyz") as response:
            assert time.monotonic() - started < 0.5
            assert response.status == 200
            assert int(response.headers["Content-Length"]) > 20
            first_two = await asyncio.wait_for(response.content.readexactly(2), timeout=3)
            assert first_two == b'{"'
            assert 0.8 < time.monotonic() - started < 2.5  # the second byte came a second later
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(response.read(), timeout=0.3)
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 2.0  # the fleet does not wait for the trickle


@pytest.mark.anyio
async def test_huge_body_is_streamed_and_dropped_when_the_client_goes() -> None:
    async with (
        serve_fleet(SCENARIOS["huge-manifest"].spec) as fleet,
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
    ):
        response = await session.get(f"{fleet.urls['PROD_CONTROL_BASE_URL']}/manifest.json")
        assert response.status == 200
        assert response.content_type == "application/json"
        assert int(response.headers["Content-Length"]) == 64 * MIB
        head = await response.content.readexactly(MIB)
        assert head.startswith(b'{"status":"ok","padding":"xxxx')
        response.close()  # drops the connection with 63 MiB unread
        # The server noticed: the service still answers, and the fleet stops at once.
        async with session.get(f"{fleet.urls['PROD_CONTROL_BASE_URL']}/healthz") as ok:
            assert ok.status == 200
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 2.0


@pytest.mark.anyio
async def test_invalid_json_and_wrong_content_type() -> None:
    spec = FleetSpec(
        staging_control=ControlFaults(invalid_json_paths=frozenset({"/healthz"})),
        prod_control=ControlFaults(wrong_content_type_paths=frozenset({"/healthz"})),
        prod_runtime=RuntimeFaults(invalid_json_paths=frozenset({"/readyz"})),
    )
    async with serve_fleet(spec) as fleet, aiohttp.ClientSession(timeout=TIMEOUT) as session:
        for url in (
            f"{fleet.urls['STAGING_CONTROL_BASE_URL']}/healthz",
            f"{fleet.urls['PROD_RUNTIME_BASE_URL']}/readyz",
        ):
            async with session.get(url) as response:
                assert response.status == 200
                assert response.content_type == "application/json"
                assert await response.text() == '{"status": "ok", "serv'
                with pytest.raises(json.JSONDecodeError):
                    await response.json()
        async with session.get(f"{fleet.urls['PROD_CONTROL_BASE_URL']}/healthz") as response:
            assert response.status == 200
            assert response.content_type == "text/plain"
            with pytest.raises(aiohttp.ContentTypeError):
                await response.json()
            body = json.loads(await response.text())  # the body itself is still good
            assert body["service"] == "openagents-control-service"


@pytest.mark.anyio
async def test_redirect_away_lands_on_the_other_host_which_records_what_came() -> None:
    async with (
        serve_fleet(SCENARIOS["redirect-away"].spec) as fleet,
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
    ):
        target = fleet.urls[REDIRECT_TARGET_URL]
        assert REDIRECT_TARGET_URL not in fleet.env()
        path = "/api/v1/control/status"
        auth = _bearer(fleet.tokens["staging"])
        url = f"{fleet.urls['STAGING_CONTROL_BASE_URL']}{path}"
        async with session.get(url, headers=auth, allow_redirects=True) as response:
            assert response.status == 200
            assert await response.json() == {"status": "ok"}
            assert str(response.url) == f"{target}{path}"
            assert [r.status for r in response.history] == [302]
            location = response.history[0].headers["Location"]
        assert location == f"{target}{path}"
        # A careless client that follows the Location by hand with the same headers.
        async with session.get(location, headers=auth, allow_redirects=False) as response:
            assert response.status == 200
    arrived = [r for r in fleet.requests if r.service == "redirect-target"]
    assert [(r.method, r.path) for r in arrived] == [("GET", path), ("GET", path)]
    # aiohttp drops Authorization on a redirect to another origin (another port is one);
    # the hand-rolled follow leaks the token to a host that should never see it.
    assert [r.authorization for r in arrived] == [None, f"Bearer {fleet.tokens['staging']}"]
    staging = [r for r in fleet.requests if r.service == "staging-control"]
    assert [r.authorization for r in staging] == [f"Bearer {fleet.tokens['staging']}"]


@pytest.mark.anyio
async def test_redirect_loop_never_ends() -> None:
    spec = FleetSpec(staging_control=ControlFaults(redirect_loop_paths=frozenset({"/readyz"})))
    async with serve_fleet(spec) as fleet, aiohttp.ClientSession(timeout=TIMEOUT) as session:
        url = f"{fleet.urls['STAGING_CONTROL_BASE_URL']}/readyz"
        async with session.get(url, allow_redirects=False) as response:
            assert (response.status, response.headers["Location"]) == (302, "/readyz")
        with pytest.raises(aiohttp.TooManyRedirects):
            await session.get(url, max_redirects=5)
    assert [r.path for r in fleet.requests] == ["/readyz"] * (1 + 5)


@pytest.mark.anyio
async def test_throttle_answers_retry_after_then_normally() -> None:
    spec = FleetSpec(
        prod_control=SCENARIOS["throttled"].spec.prod_control,
        staging_runtime=RuntimeFaults(
            throttle_paths=frozenset({"/healthz"}),
            throttle_times=2,
            throttle_status=503,
            retry_after_s=1.0,
        ),
    )
    async with serve_fleet(spec) as fleet, aiohttp.ClientSession(timeout=TIMEOUT) as session:
        prod = fleet.urls["PROD_CONTROL_BASE_URL"]
        async with session.get(f"{prod}/healthz") as response:
            assert response.status == 429
            assert response.headers["Retry-After"] == "0.2"
            assert (await response.json())["error"]["code"] == "rate_limited"
        async with session.get(f"{prod}/readyz") as response:
            assert response.status == 200  # counted per path: /readyz was never throttled
        async with session.get(f"{prod}/healthz") as response:
            assert response.status == 200
            assert "Retry-After" not in response.headers
        runtime = f"{fleet.urls['STAGING_RUNTIME_BASE_URL']}/healthz"
        statuses = []
        for _ in range(3):
            async with session.get(runtime) as response:
                statuses.append((response.status, response.headers.get("Retry-After")))
        assert statuses == [(503, "1"), (503, "1"), (200, None)]


@pytest.mark.anyio
async def test_careless_server_echoes_the_presented_token_in_errors() -> None:
    spec = FleetSpec(
        staging_control=ControlFaults(echo_token_in_errors=True, sync_token_unavailable=True)
    )
    presented = "not-the-token-4f9c2e"
    async with serve_fleet(spec) as fleet, aiohttp.ClientSession(timeout=TIMEOUT) as session:
        staging = fleet.urls["STAGING_CONTROL_BASE_URL"]
        for method, path in (("GET", "/api/v1/control/status"), ("POST", "/api/v1/sync/token")):
            async with session.request(
                method, f"{staging}{path}", headers=_bearer(presented), json=SYNC_BODY
            ) as response:
                assert response.status == 401
                body = await response.json()
            assert body["error"] == {
                "code": "unauthorized",
                "message": f"invalid token {presented}",
            }
        # The sync-token route's other errors repeat the (good) token as well.
        token = fleet.tokens["staging"]
        async with session.post(
            f"{staging}/api/sync/token", headers=_bearer(token), json=SYNC_BODY
        ) as response:
            assert response.status == 503
            assert token in await response.text()
        # A careful server (the default) never does.
        prod = fleet.urls["PROD_CONTROL_BASE_URL"]
        async with session.get(
            f"{prod}/api/v1/control/status", headers=_bearer(presented)
        ) as response:
            assert response.status == 401
            assert presented not in await response.text()


@pytest.mark.anyio
async def test_runtime_shares_the_reset_fault() -> None:
    spec = FleetSpec(staging_runtime=RuntimeFaults(reset_paths=frozenset({"/healthz"})))
    async with (
        serve_fleet(spec) as fleet,
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
        session.get(f"{fleet.urls['STAGING_RUNTIME_BASE_URL']}/healthz") as response,
    ):
        assert response.status == 200
        with pytest.raises(PAYLOAD_OR_DISCONNECT):
            await response.read()


# -- tlsutil ------------------------------------------------------------------------------


@pytest.fixture
def ca(tmp_path: Path) -> CertificateAuthority:
    return make_ca(tmp_path)


async def _get_healthz(cert: CertFiles, ca: CertificateAuthority) -> int:
    async with (
        https_server(cert) as url,
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
        session.get(f"{url}/healthz", ssl=trust(ca)) as response,
    ):
        assert (await response.json())["status"] == "ok"
        return response.status


@pytest.mark.anyio
async def test_tls_certificate_signed_by_the_trusted_ca_verifies(
    ca: CertificateAuthority, tmp_path: Path
) -> None:
    cert = issue(ca, tmp_path, san_dns=("localhost",))
    assert cert.cert_path.is_file()
    assert cert.key_path.is_file()
    assert await _get_healthz(cert, ca) == 200


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("expired", r"certificate has expired"),
        ("self_signed", r"self[- ]signed certificate"),
        ("wrong_host", r"mismatch"),
    ],
)
async def test_tls_bad_certificates_fail_verification_for_their_reason(
    ca: CertificateAuthority, tmp_path: Path, kind: str, reason: str
) -> None:
    if kind == "expired":
        cert = issue(ca, tmp_path, expired=True)
    elif kind == "self_signed":
        cert = issue(ca, tmp_path, self_signed=True)
    else:
        cert = issue(ca, tmp_path, san_dns=("other.example",), san_ip=())
    with pytest.raises(aiohttp.ClientConnectorCertificateError) as excinfo:
        await _get_healthz(cert, ca)
    assert re.search(reason, str(excinfo.value)), str(excinfo.value)
