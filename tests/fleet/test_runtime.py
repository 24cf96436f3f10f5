"""The simulated runtime service: create, event and read, and a frozen runtime refusing writes."""

from __future__ import annotations

import aiohttp
import pytest

from cutover_probe.fleet import (
    FleetSpec,
    RuntimeFaults,
    serve_fleet,
)

from .test_server import _json


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
