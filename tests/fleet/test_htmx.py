"""The simulated control service's HTMX routes, their faults, and staging/prod parity."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from cutover_probe.fleet import SCENARIOS, ControlFaults, FleetSpec, serve_fleet

HTML = "text/html; charset=utf-8"
LOGIN = {"hx-request": "true", "hx-target": "login-status"}
FEED = {"hx-request": "true", "hx-target": "feed-main-panel"}
SETTINGS = {"hx-request": "true", "hx-target": "settings-status"}
CHAT = {"hx-request": "true", "hx-target": "chat-status"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    headers: dict[str, str]
    body: bytes
    ttfb_s: float
    total_s: float


async def _call(session: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> Answer:
    """One request, timed as the perf lane times it: to the headers, and to the last byte."""
    started = time.perf_counter()
    async with session.request(method, url, allow_redirects=False, **kwargs) as response:
        ttfb_s = time.perf_counter() - started
        body = await response.read()
        return Answer(
            status=response.status,
            content_type=response.headers.get("Content-Type", ""),
            headers=dict(response.headers),
            body=body,
            ttfb_s=ttfb_s,
            total_s=time.perf_counter() - started,
        )


def _with_bearer(headers: dict[str, str], token: str) -> dict[str, str]:
    return {**headers, "Authorization": f"Bearer {token}"}


async def _new_thread(session: aiohttp.ClientSession, base: str, token: str) -> str:
    answer = await _call(session, "POST", f"{base}/chat/new", headers=_with_bearer(CHAT, token))
    assert answer.status == 303
    location = answer.headers["Location"]
    assert location.startswith("/chat/")
    return location.removeprefix("/chat/")


@pytest.mark.anyio
async def test_htmx_routes_answer_html_fragments_of_the_baseline_sizes() -> None:
    async with serve_fleet() as fleet, aiohttp.ClientSession() as session:
        base = fleet.urls["STAGING_CONTROL_BASE_URL"]
        token = fleet.tokens["staging"]

        login = await _call(
            session,
            "POST",
            f"{base}/login/email",
            data={"email": "perf-check@openagents.com"},
            headers=LOGIN,
        )
        assert (login.status, login.content_type) == (200, HTML)
        assert len(login.body) == 2_200
        assert b'<div id="login-status"' in login.body
        assert b"Check your email" in login.body
        assert b"perf-check@openagents.com" in login.body
        for form in ({}, {"email": "not-an-address"}):
            invalid = await _call(session, "POST", f"{base}/login/email", data=form, headers=LOGIN)
            assert (invalid.status, invalid.content_type) == (422, HTML)
            assert len(invalid.body) < 500

        feed = await _call(session, "GET", f"{base}/feed/fragments/main?zone=all", headers=FEED)
        assert (feed.status, feed.content_type) == (200, HTML)
        assert len(feed.body) == 52_000
        assert feed.body.startswith(b'<section id="feed-main-panel"')
        assert feed.body.count(b'class="feed-item"') > 50
        unknown = await _call(session, "GET", f"{base}/feed/fragments/main?zone=nope", headers=FEED)
        assert (unknown.status, unknown.content_type) == (400, HTML)

        settings = await _call(
            session,
            "POST",
            f"{base}/settings/profile/update",
            data={"name": "HTMX Perf Check"},
            headers=_with_bearer(SETTINGS, token),
        )
        assert (settings.status, settings.content_type) == (200, HTML)
        assert len(settings.body) == 1_900
        assert b'<div id="settings-status"' in settings.body

        thread_id = await _new_thread(session, base, token)
        assert len(thread_id) == 12
        assert thread_id.isalnum()
        assert thread_id != await _new_thread(session, base, token)
        sent = await _call(
            session,
            "POST",
            f"{base}/chat/{thread_id}/send",
            data={"text": "perf ping"},
            headers=_with_bearer(CHAT, token),
        )
        assert (sent.status, sent.content_type) == (200, HTML)
        assert len(sent.body) == 1_700
        assert b"perf ping" in sent.body
        missing = await _call(
            session,
            "POST",
            f"{base}/chat/AAAAAAAAAAAA/send",
            data={"text": "perf ping"},
            headers=_with_bearer(CHAT, token),
        )
        assert (missing.status, missing.content_type) == (404, HTML)

        # Threads belong to one environment: prod does not know staging's.
        prod_send = await _call(
            session,
            "POST",
            f"{fleet.urls['PROD_CONTROL_BASE_URL']}/chat/{thread_id}/send",
            data={"text": "perf ping"},
            headers=_with_bearer(CHAT, fleet.tokens["prod"]),
        )
        assert prod_send.status == 404
    assert len(fleet.chat_threads["staging"]) == 2
    assert fleet.chat_threads["staging"][0] == thread_id
    assert fleet.chat_threads["prod"] == []


@pytest.mark.anyio
async def test_the_authenticated_htmx_routes_need_the_exact_bearer_token() -> None:
    async with serve_fleet() as fleet, aiohttp.ClientSession() as session:
        base = fleet.urls["PROD_CONTROL_BASE_URL"]
        token = fleet.tokens["prod"]
        thread_id = await _new_thread(session, base, token)
        routes: tuple[tuple[str, dict[str, str]], ...] = (
            ("/settings/profile/update", {"name": "HTMX Perf Check"}),
            ("/chat/new", {}),
            (f"/chat/{thread_id}/send", {"text": "perf ping"}),
        )
        wrong: tuple[dict[str, str], ...] = (
            {},
            {"Authorization": f"bearer {token}"},
            {"Authorization": f"Bearer {fleet.tokens['staging']}"},
        )
        for path, form in routes:
            for auth in wrong:
                answer = await _call(session, "POST", f"{base}{path}", data=form, headers=auth)
                assert (answer.status, answer.content_type) == (401, HTML), (path, auth)
                assert "Location" not in answer.headers
        # The anonymous routes need no token.
        login = await _call(
            session, "POST", f"{base}/login/email", data={"email": "a@b.co"}, headers=LOGIN
        )
        assert login.status == 200
    assert fleet.chat_threads["prod"] == [thread_id]


@pytest.mark.anyio
async def test_maintenance_and_latency_apply_to_the_htmx_routes() -> None:
    spec = FleetSpec(
        staging_control=ControlFaults(maintenance=True),
        prod_control=ControlFaults(latency_ms=150.0),
    )
    async with serve_fleet(spec) as fleet, aiohttp.ClientSession() as session:
        staging = fleet.urls["STAGING_CONTROL_BASE_URL"]
        answer = await _call(session, "GET", f"{staging}/feed/fragments/main", headers=FEED)
        assert answer.status == 503
        answer = await _call(
            session,
            "POST",
            f"{staging}/chat/new",
            headers=_with_bearer(CHAT, fleet.tokens["staging"]),
        )
        assert answer.status == 503
        prod = fleet.urls["PROD_CONTROL_BASE_URL"]
        answer = await _call(
            session, "POST", f"{prod}/login/email", data={"email": "a@b.co"}, headers=LOGIN
        )
        assert answer.status == 200
        assert answer.ttfb_s >= 0.15


@pytest.mark.anyio
async def test_a_slow_route_delays_the_first_byte_and_a_trickle_only_the_body() -> None:
    spec = FleetSpec(
        staging_control=ControlFaults(
            htmx_slow_routes=frozenset({"/feed/fragments/main"}), htmx_slow_ms=300.0
        ),
        prod_control=ControlFaults(ttfb_trickle_ms=150.0),
    )
    async with serve_fleet(spec) as fleet, aiohttp.ClientSession() as session:
        staging = fleet.urls["STAGING_CONTROL_BASE_URL"]
        slow = await _call(session, "GET", f"{staging}/feed/fragments/main?zone=all", headers=FEED)
        assert slow.status == 200
        assert slow.ttfb_s >= 0.3
        # Only the listed prefix is slow.
        login = await _call(
            session, "POST", f"{staging}/login/email", data={"email": "a@b.co"}, headers=LOGIN
        )
        assert login.ttfb_s < 0.3

        prod = fleet.urls["PROD_CONTROL_BASE_URL"]
        trickled = await _call(session, "GET", f"{prod}/feed/fragments/main?zone=all", headers=FEED)
        assert (trickled.status, trickled.content_type) == (200, HTML)
        assert len(trickled.body) == 52_000
        assert trickled.ttfb_s < 0.15
        # Four chunks, three pauses between them.
        assert trickled.total_s >= 0.45
        assert trickled.body.startswith(b'<section id="feed-main-panel"')


@pytest.mark.anyio
async def test_body_size_status_and_location_faults() -> None:
    spec = FleetSpec(
        staging_control=ControlFaults(chat_new_location=False, settings_update_status=500),
        prod_control=ControlFaults(feed_bytes=250_000),
    )
    async with serve_fleet(spec) as fleet, aiohttp.ClientSession() as session:
        prod = fleet.urls["PROD_CONTROL_BASE_URL"]
        feed = await _call(session, "GET", f"{prod}/feed/fragments/main?zone=all", headers=FEED)
        assert (feed.status, len(feed.body)) == (200, 250_000)

        staging = fleet.urls["STAGING_CONTROL_BASE_URL"]
        token = fleet.tokens["staging"]
        feed = await _call(session, "GET", f"{staging}/feed/fragments/main?zone=all", headers=FEED)
        assert len(feed.body) == 52_000
        created = await _call(
            session, "POST", f"{staging}/chat/new", headers=_with_bearer(CHAT, token)
        )
        assert created.status == 200
        assert "Location" not in created.headers
        settings = await _call(
            session,
            "POST",
            f"{staging}/settings/profile/update",
            data={"name": "HTMX Perf Check"},
            headers=_with_bearer(SETTINGS, token),
        )
        assert (settings.status, settings.content_type) == (500, HTML)
        # The forced status does not open the route to anonymous callers.
        anonymous = await _call(
            session,
            "POST",
            f"{staging}/settings/profile/update",
            data={"name": "x"},
            headers=SETTINGS,
        )
        assert anonymous.status == 401


async def _parity_view(session: aiohttp.ClientSession, base: str) -> dict[str, Any]:
    """What a staging/prod parity check compares."""
    async with session.get(f"{base}/healthz") as response:
        health = await response.json()
    async with session.get(f"{base}/manifest.json") as response:
        manifest_cache = response.headers["Cache-Control"]
        manifest = await response.json()
    async with session.get(f"{base}/sw.js") as response:
        sw_cache = response.headers["Cache-Control"]
    return {
        "service": health["service"],
        "version": health["version"],
        "manifestVersion": manifest["manifestVersion"],
        "manifest cache": manifest_cache,
        "sw cache": sw_cache,
    }


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("prod_faults", "differs"),
    [
        (ControlFaults(), set()),
        (ControlFaults(build_version="0.9.2+build.4790"), {"version"}),
        (ControlFaults(manifest_version="openagents.webshell.v1"), {"manifestVersion"}),
        (ControlFaults(sw_cache_control="public, max-age=3600"), {"sw cache"}),
    ],
    ids=["healthy", "build-version", "manifest-version", "sw-cache-control"],
)
async def test_staging_and_prod_agree_unless_a_fault_says_otherwise(
    prod_faults: ControlFaults, differs: set[str]
) -> None:
    async with (
        serve_fleet(FleetSpec(prod_control=prod_faults)) as fleet,
        aiohttp.ClientSession() as session,
    ):
        staging = await _parity_view(session, fleet.urls["STAGING_CONTROL_BASE_URL"])
        prod = await _parity_view(session, fleet.urls["PROD_CONTROL_BASE_URL"])
    assert {key for key in staging if staging[key] != prod[key]} == differs
    assert staging["version"] == "0.9.3+build.4821"
    if "version" in differs:
        assert prod["version"] == "0.9.2+build.4790"


def test_the_htmx_and_parity_scenarios_break_one_environment_each() -> None:
    assert SCENARIOS["htmx-feed-too-large"].spec == FleetSpec(
        prod_control=ControlFaults(feed_bytes=250_000)
    )
    assert SCENARIOS["htmx-slow-feed"].spec == FleetSpec(
        staging_control=ControlFaults(
            htmx_slow_routes=frozenset({"/feed/fragments/main"}), htmx_slow_ms=900.0
        )
    )
    assert SCENARIOS["htmx-chat-no-location"].spec == FleetSpec(
        staging_control=ControlFaults(chat_new_location=False)
    )
    assert SCENARIOS["version-skew"].spec == FleetSpec(
        prod_control=ControlFaults(build_version="0.9.2+build.4790")
    )
