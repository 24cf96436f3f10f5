"""The control service's HTMX routes: login, feed, settings and chat, as the perf lane times them.

`ControlService` mounts these (`HtmxRoutes.add_routes`, and its `slow` middleware) beside its
own control API routes; the fragments' markup and sizes come from `htmx.py` (pure text). The
state here is the chat threads POST /chat/new creates and the rendered feed fragments; the
faults (`ControlFaults`: slow routes, a trickled feed, a forced settings status, a chat with no
Location) bend these routes only.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import string
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler

from . import htmx
from .common import bearer_ok
from .faults import ControlFaults

# A deliberately loose address check: the real service only rejects the obviously wrong.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
THREAD_ID_ALPHABET = string.ascii_letters + string.digits
THREAD_ID_LENGTH = 12
# How many pieces a trickled feed fragment is written in (see ControlFaults.ttfb_trickle_ms).
TRICKLE_CHUNKS = 4
HTMX_HEADERS = {"Cache-Control": "no-store", "Vary": "HX-Request"}


def _html(status: int, markup: str, *, headers: dict[str, str] | None = None) -> web.Response:
    """An HTMX answer: ``text/html; charset=utf-8``, never cached."""
    return web.Response(
        status=status,
        text=markup,
        content_type="text/html",
        headers={**HTMX_HEADERS, **(headers or {})},
    )


def _html_error(status: int, target: str, message: str) -> web.Response:
    """A small fragment for the element the request targets, as the real error partials are."""
    return _html(
        status,
        f'<div id="{target}" class="htmx-error" role="alert"><p>{message}</p></div>',
    )


async def _form_field(request: web.Request, name: str) -> str:
    """A form field's text, stripped; empty when it is missing or is a file."""
    value = (await request.post()).get(name)
    return value.strip() if isinstance(value, str) else ""


class HtmxRoutes:
    """One environment's HTMX routes, with the chat threads they create."""

    def __init__(
        self,
        *,
        faults: ControlFaults,
        access_token: str,
        on_chat_thread: Callable[[str], None] | None = None,
    ) -> None:
        self.faults = faults
        self._access_token = access_token
        self._on_chat_thread = on_chat_thread
        # Chat threads created by POST /chat/new, with how many messages each was sent.
        self.chat_threads: dict[str, int] = {}
        self._feed_cache: dict[str, str] = {}

    def add_routes(self, app: web.Application) -> None:
        router = app.router
        router.add_post("/login/email", self.login_email)
        router.add_get("/feed/fragments/main", self.feed_main)
        router.add_post("/settings/profile/update", self.settings_profile_update)
        router.add_post("/chat/new", self.chat_new)
        router.add_post("/chat/{thread_id}/send", self.chat_send)

    @web.middleware
    async def slow(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # The slowness is the route's own rendering: it comes before any header is sent, so
        # it shows in time to first byte, and a maintenance page (answered earlier) skips it.
        slow_ms = self.faults.htmx_slow_ms
        if slow_ms > 0 and any(request.path.startswith(p) for p in self.faults.htmx_slow_routes):
            await asyncio.sleep(slow_ms / 1000.0)
        return await handler(request)

    async def login_email(self, request: web.Request) -> web.Response:
        email = await _form_field(request, "email")
        if not EMAIL.fullmatch(email):
            return _html(422, htmx.login_invalid(email))
        return _html(200, htmx.login_sent(email))

    async def feed_main(self, request: web.Request) -> web.StreamResponse:
        zone = request.query.get("zone", "all")
        if zone not in htmx.FEED_ZONES:
            return _html_error(400, "feed-main-panel", "Unknown feed zone.")
        body = self._feed_cache.get(zone)
        if body is None:
            body = self._feed_cache[zone] = htmx.feed_main(zone, self.faults.feed_bytes)
        trickle_ms = self.faults.ttfb_trickle_ms
        if trickle_ms <= 0:
            return _html(200, body)
        return await self._trickle(request, body.encode(), trickle_ms / 1000.0)

    async def _trickle(
        self, request: web.Request, body: bytes, pause_s: float
    ) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers=HTMX_HEADERS)
        response.content_type = "text/html"
        response.charset = "utf-8"
        response.content_length = len(body)
        await response.prepare(request)
        # aiohttp holds the headers back until the first write, so the first chunk goes at
        # once: the headers then leave immediately and only the rest of the body is late.
        step = max(1, -(-len(body) // TRICKLE_CHUNKS))
        for index, start in enumerate(range(0, len(body), step)):
            if index:
                await asyncio.sleep(pause_s)
            await response.write(body[start : start + step])
        await response.write_eof()
        return response

    async def settings_profile_update(self, request: web.Request) -> web.Response:
        if not bearer_ok(request, self._access_token):
            return _html_error(401, "settings-status", "Sign in to change your settings.")
        forced = self.faults.settings_update_status
        if forced != 200:
            return _html_error(forced, "settings-status", "Your profile could not be saved.")
        name = await _form_field(request, "name")
        if not name:
            return _html_error(422, "settings-status", "Enter a name.")
        return _html(200, htmx.settings_saved(name))

    async def chat_new(self, request: web.Request) -> web.Response:
        if not bearer_ok(request, self._access_token):
            return _html_error(401, "chat-status", "Sign in to start a chat.")
        thread_id = "".join(secrets.choice(THREAD_ID_ALPHABET) for _ in range(THREAD_ID_LENGTH))
        self.chat_threads[thread_id] = 0
        if self._on_chat_thread is not None:
            self._on_chat_thread(thread_id)
        if not self.faults.chat_new_location:
            return _html(200, '<div id="chat-status" role="status">Chat created.</div>')
        location = f"/chat/{thread_id}"
        return _html(303, f'<a href="{location}">See Other</a>', headers={"Location": location})

    async def chat_send(self, request: web.Request) -> web.Response:
        if not bearer_ok(request, self._access_token):
            return _html_error(401, "chat-status", "Sign in to chat.")
        thread_id = request.match_info["thread_id"]
        if thread_id not in self.chat_threads:
            return _html_error(404, "chat-status", "This chat does not exist.")
        text = await _form_field(request, "text")
        if not text:
            return _html_error(422, "chat-status", "Write a message first.")
        self.chat_threads[thread_id] += 1
        return _html(200, htmx.chat_message(thread_id, text, self.chat_threads[thread_id]))
