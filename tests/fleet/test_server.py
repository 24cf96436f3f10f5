"""The simulated fleet as a whole: its scenarios, a hanging request that cannot hold it open, and
a fleet in a thread for synchronous code. Each service is tested beside it (test_control.py,
test_runtime.py, test_htmx.py, google/)."""

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
    FleetSpec,
    FleetThread,
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
