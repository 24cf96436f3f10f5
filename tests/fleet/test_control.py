"""The simulated control service as the reference doc says the real one behaves: bearer tokens,
health, readiness, cache headers, sync tokens, maintenance mode."""

from __future__ import annotations

import aiohttp
import pytest

from cutover_probe.fleet import (
    SCENARIOS,
    ControlFaults,
    FleetSpec,
    serve_fleet,
)

from .test_server import IMMUTABLE, NO_CACHE, SYNC_BODY, _bearer, _json


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
