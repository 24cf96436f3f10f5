"""The fleet's other host: where ``redirect_paths`` send a client, and what it sent there.

A redirect away from a service is only dangerous for what follows it, above all an
access token re-sent to a host that should never see it. This server answers every
method on every path with 200 ``{"status":"ok"}`` and records each request, with its
Authorization header, as service ``redirect-target``, so a test can tell exactly what a
client carried across. It listens on its own port, which makes it another origin: the
boundary at which clients (browsers, aiohttp) stop sending credentials.
"""

from __future__ import annotations

from aiohttp import web

from .common import HangingHandlers, Recorder, common_middleware, json_response

SERVICE = "redirect-target"
# The key of its base URL in ``Fleet.urls``; deliberately not a variable of ``Fleet.env()``.
REDIRECT_TARGET_URL = "REDIRECT_TARGET_URL"


async def _ok(request: web.Request) -> web.Response:
    return json_response(200, {"status": "ok"})


def redirect_target_app(*, record: Recorder, hanging: HangingHandlers) -> web.Application:
    app = web.Application(
        middlewares=[
            common_middleware(
                service=SERVICE,
                record=record,
                hanging=hanging,
                latency_ms=0.0,
                jitter_ms=0.0,
                hang_paths=frozenset(),
            )
        ]
    )
    app.router.add_route("*", "/{tail:.*}", _ok)
    return app
