"""The control health and smoke checks against the simulated fleet: the corrected rules 1 to 6.

Every test starts a real fleet with one fault, runs the real matrix in process, and asserts what
a user reads: the check's status, its one-line reason, its evidence lines and the requests the
services saw. A fault in one environment must never fail a check of the other.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable

import pytest

from cutover_probe.fleet import ControlFaults, Fleet, FleetSpec, serve_fleet

from ..conftest import Checkout, assert_only_failed, fleet_environ, run_against, run_in_process

AUTH_ROUTES = {
    ("GET", "/api/v1/control/status"),
    ("GET", "/api/auth/session"),
    ("GET", "/api/v1/auth/session"),
    ("POST", "/api/sync/token"),
    ("POST", "/api/v1/sync/token"),
}
SESSION_AND_SYNC_PATHS = {
    "/api/auth/session",
    "/api/v1/auth/session",
    "/api/sync/token",
    "/api/v1/sync/token",
}
HASHED_ENTRY = "/assets/openagents_web_shell-3f9a1c2d7b.js"
PLAIN_ENTRY = "/assets/openagents_web_shell.js"
STALE = "public, max-age=3600"


def spec_for(env: str, faults: ControlFaults) -> FleetSpec:
    return FleetSpec(**{f"{env}_control": faults})


def control_base(fleet: Fleet, env: str) -> str:
    return fleet.urls[f"{env.upper()}_CONTROL_BASE_URL"]


def has_line(evidence: Iterable[str], start: str) -> bool:
    """An evidence line starts with ``start`` (request lines end in a timing that varies)."""
    return any(line.startswith(start) for line in evidence)


def requested(fleet: Fleet, service: str) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in fleet.requests if r.service == service]


# -- the healthy fleet ----------------------------------------------------------------------


@pytest.mark.anyio
async def test_healthy_fleet_with_tokens_passes_every_control_check_and_calls_auth_routes(
    checkout: Checkout,
) -> None:
    async with serve_fleet() as fleet:
        outcomes = await run_against(fleet, checkout)

    assert_only_failed(outcomes, ())
    for env in ("staging", "prod"):
        base = control_base(fleet, env)
        smoke = outcomes[f"control-{env}-smoke"]
        assert smoke.reason == ""
        for line in (
            f"GET {base}/readyz -> 200 ",
            f"GET {base}/healthz -> 200 ",
            f"GET {base}/api/v1/control/status -> 200 ",
            f"GET {base}/manifest.json -> 200 ",
            f"GET {base}/sw.js -> 200 ",
            f"HEAD {base}{PLAIN_ENTRY} -> 200 ",
            f"GET {base}/api/auth/session -> 200 ",
            f"GET {base}/api/v1/auth/session -> 200 ",
            f"POST {base}/api/sync/token -> 200 ",
            f"POST {base}/api/v1/sync/token -> 200 ",
        ):
            assert has_line(smoke.evidence, line), line
        health = outcomes[f"control-{env}-health"]
        assert health.reason == ""
        assert has_line(health.evidence, f"GET {base}/readyz -> 200 ")
        assert has_line(health.evidence, f"GET {base}/healthz -> 200 ")

        # The token goes to the auth routes, exactly as "Bearer <token>", and nowhere else.
        seen = [r for r in fleet.requests if r.service == f"{env}-control"]
        sent = {(r.method, r.path) for r in seen if r.authorization is not None}
        assert sent == AUTH_ROUTES
        for r in seen:
            if (r.method, r.path) in AUTH_ROUTES:
                assert r.authorization == f"Bearer {fleet.tokens[env]}", r.path
        unauthenticated = {r.path for r in seen if r.authorization is None}
        assert {"/healthz", "/readyz", "/manifest.json", "/sw.js", PLAIN_ENTRY} <= unauthenticated
        # Neither the access token nor an issued sync token reaches the evidence.
        secrets = [fleet.tokens[env], *fleet.issued_sync_tokens]
        assert not [line for line in smoke.evidence if any(s in line for s in secrets)]
    assert len(fleet.issued_sync_tokens) == 4


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status_open", "status_answer"),
    [(False, 401), (True, 200)],
    ids=["status-route-401", "status-route-open-200"],
)
async def test_smoke_without_token_passes_and_skips_session_and_sync_routes(
    checkout: Checkout, status_open: bool, status_answer: int
) -> None:
    spec = FleetSpec(
        staging_control=ControlFaults(status_open=status_open),
        prod_control=ControlFaults(status_open=status_open),
    )
    async with serve_fleet(spec) as fleet:
        environ = fleet_environ(fleet, checkout, RUN_KHALA_CONTRACT_TESTS="0")
        del environ["STAGING_CONTROL_ACCESS_TOKEN"]
        del environ["PROD_CONTROL_ACCESS_TOKEN"]
        outcomes = await run_in_process(environ, checkout.root)

    assert_only_failed(outcomes, ())
    for env in ("staging", "prod"):
        base = control_base(fleet, env)
        smoke = outcomes[f"control-{env}-smoke"]
        assert smoke.reason == "passed without a token: auth routes not checked"
        assert has_line(smoke.evidence, f"GET {base}/api/v1/control/status -> {status_answer} ")
        assert (
            "no access token for this environment: session and sync-token routes not checked"
            in smoke.evidence
        )
        seen = [r for r in fleet.requests if r.service == f"{env}-control"]
        assert ("GET", "/api/v1/control/status") in {(r.method, r.path) for r in seen}
        assert not [r for r in seen if r.path in SESSION_AND_SYNC_PATHS]
        assert all(r.authorization is None for r in seen)
    assert fleet.issued_sync_tokens == []


# -- rule 1: /readyz and /healthz answer 200 ------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("env", "faults", "path", "answer"),
    [
        ("prod", ControlFaults(ready=False), "/readyz", "503 (not_ready)"),
        ("staging", ControlFaults(ready=False), "/readyz", "503 (not_ready)"),
        ("prod", ControlFaults(health_status=404), "/healthz", "404 (not_found)"),
        ("staging", ControlFaults(health_status=500), "/healthz", "500 (error)"),
    ],
    ids=["prod-readyz-503", "staging-readyz-503", "prod-healthz-404", "staging-healthz-500"],
)
async def test_health_route_not_200_fails_health_and_smoke_of_that_environment_only(
    checkout: Checkout, env: str, faults: ControlFaults, path: str, answer: str
) -> None:
    async with serve_fleet(spec_for(env, faults)) as fleet:
        outcomes = await run_against(fleet, checkout)

    base = control_base(fleet, env)
    assert_only_failed(outcomes, {f"control-{env}-health", f"control-{env}-smoke"})
    expected = f"{path}: answered {answer}, expected 200"
    status_code = answer.split()[0]
    for check in (f"control-{env}-health", f"control-{env}-smoke"):
        outcome = outcomes[check]
        # The only rule that failed is the broken route; the reason names nothing else.
        assert outcome.reason == expected, check
        assert has_line(outcome.evidence, f"GET {base}{path} -> {status_code} ")
        assert f"FAILED: {expected}" in outcome.evidence


# -- rule 2: the status route ---------------------------------------------------------------


@pytest.mark.anyio
async def test_token_the_service_rejects_fails_smoke_on_the_status_route(
    checkout: Checkout,
) -> None:
    wrong = "not-the-token-prod-accepts"
    async with serve_fleet() as fleet:
        outcomes = await run_against(fleet, checkout, PROD_CONTROL_ACCESS_TOKEN=wrong)

    base = control_base(fleet, "prod")
    assert_only_failed(outcomes, {"control-prod-smoke"})
    reason = outcomes["control-prod-smoke"].reason
    assert reason.startswith(
        "status route: answered 401 (unauthorized) with the access token, expected 200; "
    )
    assert "session /api/auth/session: answered 401 (unauthorized), expected 200" in reason
    assert "sync token /api/v1/sync/token: answered 401 (unauthorized), expected 200" in reason
    assert has_line(
        outcomes["control-prod-smoke"].evidence, f"GET {base}/api/v1/control/status -> 401 "
    )
    # The wrong token was really sent, and is masked wherever the user could read it.
    status_calls = [
        r
        for r in fleet.requests
        if r.service == "prod-control" and r.path == "/api/v1/control/status"
    ]
    assert [r.authorization for r in status_calls] == [f"Bearer {wrong}"]
    assert wrong not in reason
    assert not [line for line in outcomes["control-prod-smoke"].evidence if wrong in line]


# -- rule 3: the manifest -------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("faults", "problem"),
    [
        (
            ControlFaults(manifest_cache_control=STALE),
            f"manifest and entry.js: /manifest.json Cache-Control {STALE!r} lacks 'no-cache'",
        ),
        (
            ControlFaults(manifest_version="openagents.webshell.v1"),
            "manifest and entry.js: manifestVersion is 'openagents.webshell.v1', "
            "expected 'openagents.webshell.v2'",
        ),
        (
            ControlFaults(manifest_cache_control=""),
            "manifest and entry.js: /manifest.json Cache-Control "
            "'no Cache-Control header' lacks 'no-cache'",
        ),
    ],
    ids=["cache-control-without-no-cache", "wrong-manifest-version", "no-cache-control"],
)
async def test_bad_manifest_fails_smoke_but_not_health(
    checkout: Checkout, faults: ControlFaults, problem: str
) -> None:
    async with serve_fleet(spec_for("prod", faults)) as fleet:
        outcomes = await run_against(fleet, checkout)

    assert_only_failed(outcomes, {"control-prod-smoke"})
    assert outcomes["control-prod-smoke"].reason == problem
    assert has_line(
        outcomes["control-prod-smoke"].evidence,
        f"GET {control_base(fleet, 'prod')}/manifest.json -> 200 ",
    )


@pytest.mark.anyio
async def test_manifest_that_is_not_json_fails_smoke_saying_not_json(
    checkout: Checkout,
) -> None:
    async with serve_fleet(spec_for("staging", ControlFaults(manifest_not_json=True))) as fleet:
        outcomes = await run_against(fleet, checkout)

    base = control_base(fleet, "staging")
    assert_only_failed(outcomes, {"control-staging-smoke"})
    assert outcomes["control-staging-smoke"].reason == (
        f"manifest and entry.js: GET {base}/manifest.json: body is not JSON "
        "(text/html; charset=utf-8)"
    )
    # Without a manifest there is no entry.js to ask about.
    assert not [p for _, p in requested(fleet, "staging-control") if p.startswith("/assets/")]
    assert ("HEAD", PLAIN_ENTRY) in requested(fleet, "prod-control")


@pytest.mark.anyio
async def test_manifest_not_json_and_cacheable_reports_both_problems(
    checkout: Checkout,
) -> None:
    faults = ControlFaults(manifest_not_json=True, manifest_cache_control=STALE)
    async with serve_fleet(spec_for("prod", faults)) as fleet:
        outcomes = await run_against(fleet, checkout)

    # The Cache-Control problem is found before the body is read, and must not be lost.
    base = control_base(fleet, "prod")
    assert_only_failed(outcomes, {"control-prod-smoke"})
    assert outcomes["control-prod-smoke"].reason == (
        f"manifest and entry.js: /manifest.json Cache-Control {STALE!r} lacks 'no-cache'; "
        f"GET {base}/manifest.json: body is not JSON (text/html; charset=utf-8)"
    )


# -- rule 4: the service worker -------------------------------------------------------------


@pytest.mark.anyio
async def test_sw_js_without_no_cache_fails_smoke_but_not_health(checkout: Checkout) -> None:
    async with serve_fleet(spec_for("prod", ControlFaults(sw_cache_control=STALE))) as fleet:
        outcomes = await run_against(fleet, checkout)

    assert_only_failed(outcomes, {"control-prod-smoke"})
    assert outcomes["control-prod-smoke"].reason == (
        f"sw.js: Cache-Control {STALE!r} lacks 'no-cache'"
    )
    assert has_line(
        outcomes["control-prod-smoke"].evidence, f"GET {control_base(fleet, 'prod')}/sw.js -> 200 "
    )


# -- rule 5: the manifest's entry.js --------------------------------------------------------


@pytest.mark.anyio
async def test_hashed_entry_js_without_immutable_fails_smoke(checkout: Checkout) -> None:
    faults = ControlFaults(entry_js_hashed=True, hashed_asset_cache_control="public, max-age=60")
    async with serve_fleet(spec_for("staging", faults)) as fleet:
        outcomes = await run_against(fleet, checkout)

    base = control_base(fleet, "staging")
    assert_only_failed(outcomes, {"control-staging-smoke"})
    assert outcomes["control-staging-smoke"].reason == (
        f"manifest and entry.js: content-hashed entry.js {HASHED_ENTRY} "
        "Cache-Control 'public, max-age=60' lacks 'immutable'"
    )
    assert has_line(
        outcomes["control-staging-smoke"].evidence, f"HEAD {base}{HASHED_ENTRY} -> 200 "
    )


@pytest.mark.anyio
async def test_unhashed_entry_js_with_short_max_age_passes_smoke(checkout: Checkout) -> None:
    # The real service's entry.js is not hashed and served max-age=60: the first script's
    # demand for immutable could never pass against it.
    async with serve_fleet() as fleet:
        outcomes = await run_against(fleet, checkout)

    assert_only_failed(outcomes, ())
    smoke = outcomes["control-prod-smoke"]
    assert f"entry.js {PLAIN_ENTRY}: not hashed, Cache-Control 'public, max-age=60'" in (
        smoke.evidence
    )
    assert ("HEAD", PLAIN_ENTRY) in requested(fleet, "prod-control")


@pytest.mark.anyio
async def test_hashed_entry_js_with_immutable_passes_smoke(checkout: Checkout) -> None:
    async with serve_fleet(spec_for("prod", ControlFaults(entry_js_hashed=True))) as fleet:
        outcomes = await run_against(fleet, checkout)

    assert_only_failed(outcomes, ())
    assert (
        f"entry.js {HASHED_ENTRY}: hashed, Cache-Control 'public, max-age=31536000, immutable'"
        in outcomes["control-prod-smoke"].evidence
    )
    assert ("HEAD", HASHED_ENTRY) in requested(fleet, "prod-control")
    assert ("HEAD", PLAIN_ENTRY) not in requested(fleet, "prod-control")


# -- rule 6: session and sync-token routes with a token --------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("session_status", "answer"),
    [(500, "500 (internal_error)"), (403, "403 (forbidden)")],
)
async def test_session_route_not_200_fails_smoke_naming_both_session_routes(
    checkout: Checkout, session_status: int, answer: str
) -> None:
    async with serve_fleet(spec_for("prod", ControlFaults(session_status=session_status))) as fleet:
        outcomes = await run_against(fleet, checkout)

    base = control_base(fleet, "prod")
    assert_only_failed(outcomes, {"control-prod-smoke"})
    smoke = outcomes["control-prod-smoke"]
    assert smoke.reason == (
        f"session /api/auth/session: answered {answer}, expected 200; "
        f"session /api/v1/auth/session: answered {answer}, expected 200"
    )
    assert has_line(smoke.evidence, f"GET {base}/api/auth/session -> {session_status} ")
    assert has_line(smoke.evidence, f"GET {base}/api/v1/auth/session -> {session_status} ")


@pytest.mark.anyio
async def test_sync_token_unavailable_fails_smoke_with_503_and_error_code(
    checkout: Checkout,
) -> None:
    faults = ControlFaults(sync_token_unavailable=True)
    async with serve_fleet(spec_for("prod", faults)) as fleet:
        outcomes = await run_against(fleet, checkout)

    base = control_base(fleet, "prod")
    assert_only_failed(outcomes, {"control-prod-smoke"})
    smoke = outcomes["control-prod-smoke"]
    assert "503" in smoke.reason
    assert "sync_token_unavailable" in smoke.reason
    assert smoke.reason == (
        "sync token /api/sync/token: answered 503 (sync_token_unavailable), expected 200; "
        "sync token /api/v1/sync/token: answered 503 (sync_token_unavailable), expected 200"
    )
    assert has_line(smoke.evidence, f"POST {base}/api/sync/token -> 503 ")
    assert has_line(smoke.evidence, f"POST {base}/api/v1/sync/token -> 503 ")
    # Only staging's two routes issued a token.
    assert len(fleet.issued_sync_tokens) == 2


# -- maintenance mode -----------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("with_token", [True, False], ids=["with-token", "without-token"])
async def test_maintenance_mode_fails_smoke_but_health_passes(
    checkout: Checkout, with_token: bool
) -> None:
    async with serve_fleet(spec_for("staging", ControlFaults(maintenance=True))) as fleet:
        environ = fleet_environ(fleet, checkout, RUN_KHALA_CONTRACT_TESTS="0")
        if not with_token:
            del environ["STAGING_CONTROL_ACCESS_TOKEN"]
        outcomes = await run_in_process(environ, checkout.root)

    base = control_base(fleet, "staging")
    assert_only_failed(outcomes, {"control-staging-smoke"})
    assert outcomes["control-staging-health"].reason == ""
    smoke = outcomes["control-staging-smoke"]
    assert "manifest and entry.js: /manifest.json answered 503, expected 200" in smoke.reason
    assert "sw.js: answered 503, expected 200" in smoke.reason
    # /readyz and /healthz are exempt from maintenance, so rule 1 holds.
    assert "/readyz" not in smoke.reason
    assert "/healthz" not in smoke.reason
    assert has_line(smoke.evidence, f"GET {base}/readyz -> 200 ")
    assert has_line(smoke.evidence, f"GET {base}/manifest.json -> 503 ")
    if with_token:
        assert "status route: answered 503 with the access token, expected 200" in smoke.reason
        assert "session /api/auth/session: answered 503, expected 200" in smoke.reason
    else:
        assert "status route: answered 503 without a token, expected 200 or 401" in smoke.reason
        assert "session" not in smoke.reason


# -- the network saying no ------------------------------------------------------------------


def closed_port() -> int:
    """A port that was just bound on 127.0.0.1 and closed, so nothing listens on it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.anyio
async def test_refused_connection_fails_only_prod_control_checks(checkout: Checkout) -> None:
    refused = f"http://127.0.0.1:{closed_port()}"
    async with serve_fleet() as fleet:
        outcomes = await run_against(fleet, checkout, PROD_CONTROL_BASE_URL=refused)

    assert_only_failed(outcomes, {"control-prod-health", "control-prod-smoke"})
    assert outcomes["control-prod-health"].reason == (
        f"/readyz: GET {refused}/readyz: connection refused; "
        f"/healthz: GET {refused}/healthz: connection refused"
    )
    smoke = outcomes["control-prod-smoke"]
    assert smoke.reason.startswith(f"/readyz: GET {refused}/readyz: connection refused; ")
    assert f"manifest and entry.js: GET {refused}/manifest.json: connection refused" in (
        smoke.reason
    )
    assert f"GET {refused}/readyz -> GET {refused}/readyz: connection refused" in smoke.evidence
    assert not [r for r in fleet.requests if r.service == "prod-control"]


@pytest.mark.anyio
async def test_hanging_readyz_fails_on_request_timeout_while_other_checks_pass(
    checkout: Checkout,
) -> None:
    faults = ControlFaults(hang_paths=frozenset({"/readyz"}))
    async with serve_fleet(spec_for("staging", faults)) as fleet:
        environ = fleet_environ(fleet, checkout, RUN_KHALA_CONTRACT_TESTS="0")
        # A short request timeout: the test waits it out.
        outcomes = await run_in_process(environ, checkout.root, request_timeout_s=2.0)

    base = control_base(fleet, "staging")
    assert_only_failed(outcomes, {"control-staging-health", "control-staging-smoke"})
    expected = f"/readyz: GET {base}/readyz: timeout, no answer within 2s"
    for check in ("control-staging-health", "control-staging-smoke"):
        outcome = outcomes[check]
        assert "timeout" in outcome.reason
        assert outcome.reason == expected, check
        # Ended by the 2 s request timeout (aiohttp rounds it up to a whole second), long
        # before the check's own deadline (30 s health, 60 s smoke).
        assert 1_800 <= outcome.duration_ms < 4_000, check
    # Every other rule of the smoke still ran and passed.
    smoke = outcomes["control-staging-smoke"]
    assert "rule sw.js: ok" in smoke.evidence
    assert "rule sync token /api/v1/sync/token: ok" in smoke.evidence
