"""The simulated fleet behaves as the reference doc says the real services do."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import aiohttp
import anyio
import pytest

from cutover_probe.fleet import (
    SCENARIOS,
    ControlFaults,
    FleetSpec,
    FleetThread,
    RuntimeFaults,
    serve_fleet,
)

NO_CACHE = "no-cache, no-store, must-revalidate"
IMMUTABLE = "public, max-age=31536000, immutable"
SYNC_BODY = {"scopes": ["runtime.codex_worker_events"]}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _json(
    session: aiohttp.ClientSession, method: str, url: str, **kwargs: Any
) -> tuple[int, Any]:
    async with session.request(method, url, **kwargs) as response:
        return response.status, await response.json(content_type=None)


def test_scenarios_start_with_healthy_and_each_breaks_something() -> None:
    assert next(iter(SCENARIOS)) == "healthy"
    assert set(SCENARIOS) >= {
        "control-down",
        "not-ready",
        "stale-cache",
        "hashed-entry-not-immutable",
        "wrong-manifest-version",
        "maintenance",
        "sync-token-down",
        "frozen-writes",
        "runtime-create-200",
        "hang",
        "slow",
    }
    assert SCENARIOS["healthy"].spec == FleetSpec()
    for name, scenario in SCENARIOS.items():
        assert scenario.name == name
        assert scenario.description
        assert "\n" not in scenario.description
        assert (scenario.spec == FleetSpec()) == (name == "healthy"), name
    assert SCENARIOS["slow"].spec.prod_runtime.latency_ms == 100.0


@pytest.mark.anyio
async def test_control_status_needs_the_exact_bearer_token() -> None:
    async with serve_fleet() as fleet, aiohttp.ClientSession() as session:
        url = f"{fleet.urls['STAGING_CONTROL_BASE_URL']}/api/v1/control/status"
        status, body = await _json(session, "GET", url)
        assert status == 401
        assert body["error"]["code"] == "unauthorized"
        lower_prefix = {"Authorization": f"bearer {fleet.tokens['staging']}"}
        assert (await _json(session, "GET", url, headers=lower_prefix))[0] == 401
        # The prod token is no good on staging.
        assert (await _json(session, "GET", url, headers=_bearer(fleet.tokens["prod"])))[0] == 401
        status, body = await _json(session, "GET", url, headers=_bearer(fleet.tokens["staging"]))
        assert status == 200
        assert set(body["data"]) == {
            "service",
            "authProvider",
            "activeOrgId",
            "memberships",
            "routeSplit",
        }
    assert [r.authorization is None for r in fleet.requests] == [True, False, False, False]
    assert {r.service for r in fleet.requests} == {"staging-control"}
    assert fleet.requests[0].path == "/api/v1/control/status"


@pytest.mark.anyio
async def test_health_readiness_and_static_cache_headers() -> None:
    async with serve_fleet() as fleet, aiohttp.ClientSession() as session:
        base = fleet.urls["PROD_CONTROL_BASE_URL"]
        status, health = await _json(session, "GET", f"{base}/healthz")
        assert status == 200
        assert health["service"] == "openagents-control-service"
        status, ready = await _json(session, "GET", f"{base}/readyz")
        assert (status, ready["status"]) == (200, "ready")
        async with session.get(f"{base}/manifest.json") as response:
            assert response.status == 200
            assert "no-cache" in response.headers["Cache-Control"]
            manifest = await response.json()
        assert manifest["manifestVersion"] == "openagents.webshell.v2"
        assert manifest["serviceWorker"]["script"] == "sw.js"
        for path in ("/sw.js", "/index.html"):
            async with session.head(f"{base}{path}") as response:
                assert response.status == 200
                assert response.headers["Cache-Control"] == NO_CACHE
        # The entry script's name carries no hash, so it is max-age=60, not immutable.
        async with session.get(f"{base}/{manifest['entry']['js']}") as response:
            assert response.status == 200
            assert response.headers["Cache-Control"] == "public, max-age=60"
        async with session.head(f"{base}/{manifest['entry']['wasm']}") as response:
            assert response.headers["Cache-Control"] == IMMUTABLE
        assert await _json(session, "GET", f"{base}/assets/nope-0123456789.js") == (
            404,
            {"error": "not_found"},
        )


@pytest.mark.anyio
async def test_hashed_entry_and_broken_health() -> None:
    spec = FleetSpec(
        staging_control=ControlFaults(entry_js_hashed=True),
        prod_control=ControlFaults(health_status=404, ready=False, manifest_not_json=True),
    )
    async with serve_fleet(spec) as fleet, aiohttp.ClientSession() as session:
        staging = fleet.urls["STAGING_CONTROL_BASE_URL"]
        _, manifest = await _json(session, "GET", f"{staging}/manifest.json")
        assert manifest["entry"]["js"] == "assets/openagents_web_shell-3f9a1c2d7b.js"
        async with session.get(f"{staging}/{manifest['entry']['js']}") as response:
            assert response.headers["Cache-Control"] == IMMUTABLE
        prod = fleet.urls["PROD_CONTROL_BASE_URL"]
        assert await _json(session, "GET", f"{prod}/healthz") == (404, {"error": "not_found"})
        status, ready = await _json(session, "GET", f"{prod}/readyz")
        assert (status, ready["status"]) == (503, "not_ready")
        async with session.get(f"{prod}/manifest.json") as response:
            assert response.content_type == "text/html"


@pytest.mark.anyio
async def test_sync_token_routes_issue_fresh_tokens_and_reject_bad_scopes() -> None:
    spec = FleetSpec(prod_control=ControlFaults(sync_token_unavailable=True))
    async with serve_fleet(spec) as fleet, aiohttp.ClientSession() as session:
        base = fleet.urls["STAGING_CONTROL_BASE_URL"]
        auth = _bearer(fleet.tokens["staging"])
        tokens = []
        for path in ("/api/sync/token", "/api/v1/sync/token"):
            status, body = await _json(
                session, "POST", f"{base}{path}", json=SYNC_BODY, headers=auth
            )
            assert status == 200
            data = body["data"]
            assert data["token_type"] == "Bearer"
            assert data["claims_version"] == "oa_sync_claims_v1"
            assert data["kid"] == "sync-auth-v1"
            assert data["scopes"] == ["runtime.codex_worker_events"]
            assert data["granted_topics"][0]["required_scope"] == "runtime.codex_worker_events"
            tokens.append(data["token"])
        assert fleet.issued_sync_tokens == tokens
        assert tokens[0] != tokens[1]

        url = f"{base}/api/v1/sync/token"
        assert (await _json(session, "POST", url, json=SYNC_BODY))[0] == 401
        status, body = await _json(
            session, "POST", url, json={"scopes": ["admin.everything"]}, headers=auth
        )
        assert (status, body["error"]["code"]) == (422, "invalid_scope")
        status, body = await _json(session, "POST", url, data=b"{not json", headers=auth)
        assert (status, body["error"]["code"]) == (422, "invalid_request")

        prod = fleet.urls["PROD_CONTROL_BASE_URL"]
        status, body = await _json(
            session,
            "POST",
            f"{prod}/api/sync/token",
            json=SYNC_BODY,
            headers=_bearer(fleet.tokens["prod"]),
        )
        assert (status, body["error"]["code"]) == (503, "sync_token_unavailable")
        session_url = f"{prod}/api/auth/session"
        status, body = await _json(
            session, "GET", session_url, headers=_bearer(fleet.tokens["prod"])
        )
        assert status == 200
        assert body["data"]["session"]["status"] == "active"
    assert len(fleet.issued_sync_tokens) == 2


@pytest.mark.anyio
async def test_runtime_create_event_read_flow() -> None:
    async with serve_fleet() as fleet, aiohttp.ClientSession() as session:
        base = fleet.urls["STAGING_RUNTIME_BASE_URL"]
        status, health = await _json(session, "GET", f"{base}/healthz")
        assert (status, health["authority_write_mode"]) == (200, "rust_active")
        status, created = await _json(
            session,
            "POST",
            f"{base}/internal/v1/runs",
            json={"worker_id": "smoke:runtime", "metadata": {"source": "runtime-smoke"}},
        )
        assert status == 201
        run_id = created["run"]["id"]
        assert isinstance(run_id, str)
        event = {"event_type": "run.started", "idempotency_key": "smoke-1", "payload": {"x": 1}}
        for _ in range(2):
            status, appended = await _json(
                session, "POST", f"{base}/internal/v1/runs/{run_id}/events", json=event
            )
            assert status == 200
            assert appended["event"]["event_type"] == "run.started"
        status, read = await _json(session, "GET", f"{base}/internal/v1/runs/{run_id}")
        assert status == 200
        assert read["run"]["worker_id"] == "smoke:runtime"
        assert read["run"]["metadata"] == {"source": "runtime-smoke"}
        assert len(read["run"]["events"]) == 1  # the retry was not appended twice

        missing = f"{base}/internal/v1/runs/00000000-0000-0000-0000-000000000000"
        assert await _json(session, "GET", missing) == (404, {"error": "not_found"})
        assert await _json(session, "POST", f"{missing}/events", json=event) == (
            404,
            {"error": "not_found"},
        )
        assert await _json(session, "POST", f"{base}/internal/v1/runs", json={}) == (
            400,
            {"error": "invalid_request"},
        )
        # Runs live per server: the prod runtime has never heard of this one.
        prod = fleet.urls["PROD_RUNTIME_BASE_URL"]
        assert (await _json(session, "GET", f"{prod}/internal/v1/runs/{run_id}"))[0] == 404


@pytest.mark.anyio
async def test_frozen_runtime_refuses_writes() -> None:
    spec = FleetSpec(prod_runtime=RuntimeFaults(write_frozen=True))
    async with serve_fleet(spec) as fleet, aiohttp.ClientSession() as session:
        base = fleet.urls["PROD_RUNTIME_BASE_URL"]
        _, health = await _json(session, "GET", f"{base}/healthz")
        assert health["authority_write_mode"] == "frozen"
        assert await _json(
            session, "POST", f"{base}/internal/v1/runs", json={"worker_id": "smoke:runtime"}
        ) == (503, {"error": "write_path_frozen"})


@pytest.mark.anyio
async def test_maintenance_mode_and_bypass_cookie() -> None:
    spec = SCENARIOS["maintenance"].spec
    # The default jar ignores cookies from IP addresses; the fleet listens on 127.0.0.1.
    jar = aiohttp.CookieJar(unsafe=True)
    async with serve_fleet(spec) as fleet, aiohttp.ClientSession(cookie_jar=jar) as session:
        base = fleet.urls["STAGING_CONTROL_BASE_URL"]
        assert (await _json(session, "GET", f"{base}/healthz"))[0] == 200
        async with session.get(f"{base}/manifest.json") as response:
            assert response.status == 503
            assert response.content_type == "text/html"
            assert response.headers["Cache-Control"] == "no-store"
        async with session.get(f"{base}/", params={"maintenance_bypass": "wrong"}) as response:
            assert response.status == 503
        bypass = {"maintenance_bypass": fleet.tokens["staging"]}
        async with session.get(f"{base}/", params=bypass) as response:
            assert response.status == 200
            assert fleet.tokens["staging"] not in response.headers["Set-Cookie"]
        status, manifest = await _json(session, "GET", f"{base}/manifest.json")
        assert (status, manifest["manifestVersion"]) == (200, "openagents.webshell.v2")


@pytest.mark.anyio
async def test_fleet_with_hanging_request_still_stops_promptly() -> None:
    outcome: list[str] = []
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session, anyio.create_task_group() as tg:
        async with serve_fleet(SCENARIOS["hang"].spec) as fleet:
            url = f"{fleet.urls['STAGING_CONTROL_BASE_URL']}/readyz"
            tg.start_soon(_get_until_answer_or_disconnect, session, url, outcome)
            for _ in range(200):  # wait until the request has reached the server
                if fleet.requests:
                    break
                await anyio.sleep(0.01)
            await anyio.sleep(0.1)
            assert outcome == []  # still hanging
            stopping = time.monotonic()
        stopped_after = time.monotonic() - stopping
    assert stopped_after < 2.0
    assert outcome == ["disconnected"]


async def _get_until_answer_or_disconnect(
    session: aiohttp.ClientSession, url: str, outcome: list[str]
) -> None:
    try:
        async with session.get(url) as response:
            outcome.append(str(response.status))
    except aiohttp.ClientError:
        outcome.append("disconnected")


def test_fleet_thread_serves_sync_code() -> None:
    with FleetThread(SCENARIOS["healthy"].spec) as fleet:
        env = fleet.env()
        assert set(env) == {
            "STAGING_CONTROL_BASE_URL",
            "PROD_CONTROL_BASE_URL",
            "STAGING_RUNTIME_BASE_URL",
            "PROD_RUNTIME_BASE_URL",
            "STAGING_CONTROL_ACCESS_TOKEN",
            "PROD_CONTROL_ACCESS_TOKEN",
            "CLOUD_RUN_EMULATOR_HOST",
            "CLOUD_LOGGING_EMULATOR_HOST",
            "STORAGE_EMULATOR_HOST",
        }
        assert "PROD_CONTROL_ACCESS_TOKEN" not in fleet.env(with_tokens=False)
        with urllib.request.urlopen(f"{env['PROD_RUNTIME_BASE_URL']}/healthz", timeout=5) as r:
            assert json.load(r)["service"] == "runtime"
        url = f"{env['PROD_CONTROL_BASE_URL']}/api/v1/control/status"
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            urllib.request.urlopen(url, timeout=5)
        excinfo.value.close()
        assert excinfo.value.code == 401
    assert fleet.requests[0].service == "prod-runtime"
