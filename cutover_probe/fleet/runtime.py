"""The simulated OpenAgents runtime service: health, readiness and the run API.

It is just enough of the Rust runtime for the ``runtime-smoke`` sequence (create a
run, append an event, read the run back) to run against it as against the real one,
with runs kept in memory per server and faults from ``RuntimeFaults``. There is no
authentication on these routes, as on the real internal API.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from aiohttp import web

from .common import (
    HangingHandlers,
    Recorder,
    common_middleware,
    iso,
    json_response,
    utc_now,
)
from .faults import RuntimeFaults

# The event types the real runtime treats as run state transitions.
_STATUS_AFTER_EVENT = {
    "run.started": "running",
    "run.completed": "completed",
    "run.finished": "completed",
    "run.failed": "failed",
    "run.cancelled": "canceled",
    "run.canceled": "canceled",
}

_ERROR_NAMES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
}


def _error(status: int, error: str | None = None) -> web.Response:
    return json_response(status, {"error": error or _ERROR_NAMES.get(status, "error")})


async def _json_object(request: web.Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


class RuntimeService:
    """One environment's runtime service with its in-memory run store."""

    def __init__(
        self,
        *,
        env: str,
        faults: RuntimeFaults,
        record: Recorder,
        hanging: HangingHandlers,
    ) -> None:
        self.env = env
        self.faults = faults
        self._record = record
        self._hanging = hanging
        self._started = time.monotonic()
        self.build_sha = ("a1b2c3d4e5f6" if env == "prod" else "f6e5d4c3b2a1") + "0" * 28
        self.runs: dict[str, dict[str, Any]] = {}

    def app(self) -> web.Application:
        app = web.Application(
            middlewares=[
                common_middleware(
                    service=f"{self.env}-runtime",
                    record=self._record,
                    hanging=self._hanging,
                    latency_ms=self.faults.latency_ms,
                    jitter_ms=self.faults.jitter_ms,
                    hang_paths=self.faults.hang_paths,
                    hostile=self.faults,
                )
            ]
        )
        router = app.router
        router.add_get("/healthz", self.healthz)
        router.add_get("/readyz", self.readyz)
        router.add_post("/internal/v1/runs", self.create_run)
        router.add_post("/internal/v1/runs/{run_id}/events", self.append_event)
        router.add_get("/internal/v1/runs/{run_id}", self.read_run)
        return app

    @property
    def write_mode(self) -> str:
        return "frozen" if self.faults.write_frozen else "rust_active"

    async def healthz(self, request: web.Request) -> web.Response:
        status = self.faults.health_status
        if status == 404:
            return _error(404)
        return json_response(
            status,
            {
                "status": "ok" if status < 400 else "error",
                "service": "runtime",
                "build_sha": self.build_sha,
                "uptime_seconds": int(time.monotonic() - self._started),
                "authority_write_mode": self.write_mode,
                "authority_writer_active": not self.faults.write_frozen,
                "fanout_driver": "memory",
            },
        )

    async def readyz(self, request: web.Request) -> web.Response:
        if self.faults.ready:
            return json_response(200, {"status": "ready", "authority_write_mode": self.write_mode})
        return json_response(503, {"status": "not_ready", "reason": "database_unavailable"})

    async def create_run(self, request: web.Request) -> web.Response:
        if self.faults.write_frozen:
            return _error(503, "write_path_frozen")
        body = await _json_object(request)
        if body is None:
            return _error(400)
        worker_id = body.get("worker_id")
        metadata = body.get("metadata", {})
        if not isinstance(worker_id, str) or not worker_id or not isinstance(metadata, dict):
            return _error(400)
        now = iso(utc_now())
        run: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "worker_id": worker_id,
            "status": "created",
            "metadata": metadata,
            "latest_seq": 0,
            "created_at": now,
            "updated_at": now,
            "events": [],
        }
        self.runs[run["id"]] = run
        shown = self._public(run, with_events=False)
        if self.faults.create_omits_run_id:
            del shown["id"]
        return json_response(self.faults.create_status, {"run": shown})

    async def append_event(self, request: web.Request) -> web.Response:
        if self.faults.write_frozen:
            return _error(503, "write_path_frozen")
        forced = self.faults.event_status
        if forced is not None and not 200 <= forced < 300:
            return _error(forced)
        run = self.runs.get(request.match_info["run_id"])
        if run is None:
            return _error(404)
        body = await _json_object(request)
        if body is None:
            return _error(400)
        event_type = body.get("event_type")
        payload = body.get("payload", {})
        key = body.get("idempotency_key")
        if (
            not isinstance(event_type, str)
            or not event_type
            or not isinstance(payload, dict)
            or not (key is None or isinstance(key, str))
        ):
            return _error(400)
        existing = next(
            (
                event
                for event in run["events"]
                if key is not None and event["idempotency_key"] == key
            ),
            None,
        )
        if existing is None:
            # A retried write with the same key must not be appended twice.
            existing = {
                "seq": run["latest_seq"] + 1,
                "event_type": event_type,
                "payload": payload,
                "idempotency_key": key,
                "created_at": iso(utc_now()),
            }
            run["events"].append(existing)
            run["latest_seq"] = existing["seq"]
            run["status"] = _STATUS_AFTER_EVENT.get(event_type, run["status"])
            run["updated_at"] = existing["created_at"]
        return json_response(
            forced or 200, {"event": dict(existing), "run": self._public(run, with_events=False)}
        )

    async def read_run(self, request: web.Request) -> web.Response:
        forced = self.faults.read_status
        if forced is not None and not 200 <= forced < 300:
            return _error(forced)
        run = self.runs.get(request.match_info["run_id"])
        if run is None:
            return _error(404)
        return json_response(forced or 200, {"run": self._public(run, with_events=True)})

    @staticmethod
    def _public(run: dict[str, Any], *, with_events: bool) -> dict[str, Any]:
        shown = {key: value for key, value in run.items() if key != "events"}
        if with_events:
            shown["events"] = [dict(event) for event in run["events"]]
        return shown
