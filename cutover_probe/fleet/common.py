"""What every simulated service shares: request recording, latency, hangs, 404s.

All four services put the same middleware in front of their handlers so that tests
can see exactly what the probes sent and so that latency and hang faults behave the
same everywhere. Nothing here knows the routes of a particular service.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware


@dataclass(frozen=True)
class RecordedRequest:
    """One request as a simulated service received it."""

    service: str
    method: str
    path: str
    authorization: str | None
    host: str


Recorder = Callable[[RecordedRequest], None]


class HangingHandlers:
    """The handler tasks that were told to hang, so shutdown can end them at once.

    aiohttp would cancel them itself after its shutdown timeout; cancelling them
    first makes a fleet with hanging requests stop promptly and deterministically.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False

    async def hang(self) -> None:
        task = asyncio.current_task()
        if task is None or self._closing:
            raise asyncio.CancelledError
        self._tasks.add(task)
        try:
            await asyncio.Future()  # a future nobody resolves: only cancellation ends it
        finally:
            self._tasks.discard(task)

    def cancel_all(self) -> None:
        self._closing = True
        for task in list(self._tasks):
            task.cancel()


def path_matches(path: str, patterns: Iterable[str]) -> bool:
    """True when ``path`` equals a pattern, or starts with one that ends in ``*``."""
    for pattern in patterns:
        if pattern.endswith("*"):
            if path.startswith(pattern[:-1]):
                return True
        elif path == pattern:
            return True
    return False


def json_response(status: int, body: Any, *, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(body, separators=(",", ":")),
        content_type="application/json",
        headers=headers,
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def bearer_ok(request: web.Request, token: str) -> bool:
    """Exactly ``Bearer <token>``: the real services compare the prefix case-sensitively."""
    header = request.headers.get("Authorization")
    if header is None:
        return False
    return secrets.compare_digest(header.encode(), f"Bearer {token}".encode())


def common_middleware(
    *,
    service: str,
    record: Recorder,
    hanging: HangingHandlers,
    latency_ms: float,
    jitter_ms: float,
    hang_paths: frozenset[str],
) -> Middleware:
    """Record, then hang or delay, then answer; unknown routes get a JSON 404."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        record(
            RecordedRequest(
                service=service,
                method=request.method,
                path=request.path_qs,
                authorization=request.headers.get("Authorization"),
                host=request.headers.get("Host", ""),
            )
        )
        if path_matches(request.path, hang_paths):
            await hanging.hang()
        delay_ms = latency_ms + (random.uniform(0.0, jitter_ms) if jitter_ms > 0 else 0.0)
        if delay_ms > 0:
            await asyncio.sleep(delay_ms / 1000.0)
        try:
            return await handler(request)
        except web.HTTPNotFound:
            # Both real services answer unknown routes with JSON, not aiohttp's text page.
            return json_response(404, {"error": "not_found"})

    return middleware
