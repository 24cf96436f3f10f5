"""What every simulated service shares: request recording, latency, hangs, 404s, hostility.

All four services put the same middleware in front of their handlers so that tests
can see exactly what the probes sent and so that latency, hang and hostile faults
(resets, trickled, huge or truncated bodies, wrong content types, redirects, throttling)
behave the same everywhere. Nothing here knows the routes of a particular service: the
hostile faults wrap whatever a handler answers, so a probe sees the real headers and body
arrive broken, as from a real server or proxy misbehaving.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import secrets
import socket
import struct
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from .faults import HostileFaults


@dataclass(frozen=True)
class RecordedRequest:
    """One request as a simulated service received it."""

    service: str
    method: str
    path: str
    authorization: str | None
    host: str


Recorder = Callable[[RecordedRequest], None]

# How long a reset response waits between its partial body and the reset, so that the
# client has read the headers and that part and sees the connection die mid-body.
RESET_AFTER_S = 0.05
# A trickled body's pace: one byte this often.
TRICKLE_BYTE_INTERVAL_S = 1.0
# A huge body's size and the piece it is written in: never built in memory at once.
HUGE_BODY_BYTES = 64 * 1024 * 1024
_HUGE_PREFIX = b'{"status":"ok","padding":"'
_HUGE_SUFFIX = b'"}'
_HUGE_PIECE = memoryview(b"x" * (64 * 1024))
# What an invalid-JSON path answers: JSON cut off mid-key, as by a dying upstream.
TRUNCATED_JSON = b'{"status": "ok", "serv'


class HangingHandlers:
    """The handler tasks that were told to hang, so shutdown can end them at once.

    aiohttp would cancel them itself after its shutdown timeout; cancelling them
    first makes a fleet with hanging requests stop promptly and deterministically.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False

    @contextlib.contextmanager
    def cancellable(self) -> Iterator[None]:
        """Within the block, shutdown cancels the current handler (a slow, endless answer)."""
        task = asyncio.current_task()
        if task is None or self._closing:
            raise asyncio.CancelledError
        self._tasks.add(task)
        try:
            yield
        finally:
            self._tasks.discard(task)

    async def hang(self) -> None:
        with self.cancellable():
            await asyncio.Future()  # a future nobody resolves: only cancellation ends it

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


def retry_after_value(seconds: float) -> str:
    """A Retry-After value: whole seconds as an integer, else the fraction ("0.2")."""
    return str(int(seconds)) if float(seconds).is_integer() else repr(float(seconds))


def _body_bytes(response: web.Response) -> bytes:
    body = response.body
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    text = response.text
    return b"" if text is None else text.encode(response.charset or "utf-8")


def _stream_like(response: web.Response, content_length: int) -> web.StreamResponse:
    """A streamed answer with ``response``'s status, headers and cookies, and this length."""
    stream = web.StreamResponse(status=response.status, reason=response.reason)
    for name, value in response.headers.items():
        if name.lower() not in ("content-length", "transfer-encoding"):
            stream.headers.add(name, value)
    stream.cookies.update(response.cookies)
    stream.content_length = content_length
    return stream


def _abort(request: web.Request) -> None:
    """Drop the connection with a TCP reset: the client sees "connection reset by peer"."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Linger on, timeout 0: closing then sends RST instead of an orderly FIN.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def _closing(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


class _Hostility:
    """Applies one service's ``HostileFaults``; keeps the throttle counts per path."""

    def __init__(
        self, faults: HostileFaults, hanging: HangingHandlers, redirect_target: str
    ) -> None:
        if faults.redirect_paths and not redirect_target:
            raise ValueError("redirect_paths needs the fleet's redirect target URL")
        self._faults = faults
        self._hanging = hanging
        self._redirect_target = redirect_target.rstrip("/")
        self._throttled: Counter[str] = Counter()
        self._flap_counts: Counter[str] = Counter()
        self._started = time.monotonic()

    async def before(self, request: web.Request) -> web.StreamResponse | None:
        """An answer that replaces the handler's, or None to let the handler answer."""
        faults, path = self._faults, request.path
        if path_matches(path, faults.throttle_paths) and (
            self._throttled[path] < faults.throttle_times
        ):
            self._throttled[path] += 1
            status = faults.throttle_status
            code = "rate_limited" if status == 429 else "service_unavailable"
            return json_response(
                status,
                {"error": {"code": code, "message": "Slow down and retry later."}},
                headers={"Retry-After": retry_after_value(faults.retry_after_s)},
            )
        if path_matches(path, faults.flap_paths):
            seen = self._flap_counts[path]
            self._flap_counts[path] += 1
            if (seen // max(faults.flap_window, 1)) % max(faults.flap_every, 1) == (
                faults.flap_every - 1
            ):
                return _unavailable()
        if path_matches(path, faults.down_paths) and (
            time.monotonic() - self._started < faults.down_for_s
        ):
            return _unavailable()
        if path_matches(path, faults.redirect_loop_paths):
            return _redirect(request.path_qs)
        if path_matches(path, faults.redirect_paths):
            return _redirect(self._redirect_target + request.path_qs)
        if path_matches(path, faults.invalid_json_paths):
            return web.Response(body=TRUNCATED_JSON, content_type="application/json")
        if request.method != "HEAD" and path_matches(path, faults.huge_paths):
            return await self._huge(request)
        return None

    async def after(self, request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        """The handler's answer, bent as the faults say (it is whole and not yet sent)."""
        faults, path = self._faults, request.path
        if not isinstance(response, web.Response) or response.prepared:
            return response
        if path_matches(path, faults.wrong_content_type_paths):
            response.content_type = "text/plain"
        if request.method == "HEAD":
            return response
        if path_matches(path, faults.reset_paths):
            return await self._reset(request, response)
        if path_matches(path, faults.trickle_paths):
            return await self._trickle(request, response)
        return response

    async def _reset(self, request: web.Request, response: web.Response) -> web.StreamResponse:
        body = _body_bytes(response)
        sent = body[: len(body) // 2]
        stream = _stream_like(response, max(len(body), len(sent) + 1))
        await stream.prepare(request)
        with contextlib.suppress(ConnectionError):
            await stream.write(sent)  # the headers leave with this first piece
        with self._hanging.cancellable():
            await asyncio.sleep(RESET_AFTER_S)
        _abort(request)
        # aiohttp's own write_eof then meets a closed transport, which it takes in its stride.
        return stream

    async def _trickle(self, request: web.Request, response: web.Response) -> web.StreamResponse:
        body = _body_bytes(response)
        stream = _stream_like(response, len(body))
        await stream.prepare(request)
        # aiohttp holds the headers back until the first write, so the first byte goes at once.
        with self._hanging.cancellable(), contextlib.suppress(ConnectionError):
            for index in range(len(body)):
                if index:
                    await asyncio.sleep(TRICKLE_BYTE_INTERVAL_S)
                await stream.write(body[index : index + 1])
            await stream.write_eof()
        return stream

    async def _huge(self, request: web.Request) -> web.StreamResponse:
        stream = web.StreamResponse(status=200)
        stream.content_type = "application/json"
        stream.content_length = HUGE_BODY_BYTES
        await stream.prepare(request)
        padding = HUGE_BODY_BYTES - len(_HUGE_PREFIX) - len(_HUGE_SUFFIX)
        # Each write waits for the socket to drain, so a slow reader holds back the writer
        # and a gone one (a closing transport, or a write that fails) stops it.
        with self._hanging.cancellable(), contextlib.suppress(ConnectionError):
            await stream.write(_HUGE_PREFIX)
            while padding > 0 and not _closing(request):
                piece = _HUGE_PIECE[: min(padding, len(_HUGE_PIECE))]
                await stream.write(piece)
                padding -= len(piece)
            if padding == 0:
                await stream.write(_HUGE_SUFFIX)
                await stream.write_eof()
        return stream


def _unavailable() -> web.Response:
    """A 503 with no Retry-After: the probes fail on it rather than wait it out."""
    return json_response(
        503,
        {"status": "not_ready", "error": {"code": "service_unavailable", "message": "Not ready."}},
    )


def _redirect(location: str) -> web.Response:
    return json_response(302, {"redirect": location}, headers={"Location": location})


def common_middleware(
    *,
    service: str,
    record: Recorder,
    hanging: HangingHandlers,
    latency_ms: float,
    jitter_ms: float,
    hang_paths: frozenset[str],
    hostile: HostileFaults | None = None,
    redirect_target: str = "",
) -> Middleware:
    """Record, then hang or delay, then answer; unknown routes get a JSON 404.

    ``hostile`` faults come after the delay: throttling, redirects and replaced bodies
    answer instead of the handler, the others bend what it answered. ``redirect_target``
    is the base URL that ``redirect_paths`` send clients to.
    """
    hostility = _Hostility(hostile or HostileFaults(), hanging, redirect_target)

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
        replaced = await hostility.before(request)
        if replaced is not None:
            return replaced
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            # Both real services answer unknown routes with JSON, not aiohttp's text page.
            response = json_response(404, {"error": "not_found"})
        return await hostility.after(request, response)

    return middleware
