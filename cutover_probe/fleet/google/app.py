"""The simulated Google Cloud APIs the Google lanes read, assembled into one aiohttp app.

The Google lanes use Google's own client libraries, so the only honest double is one those
libraries talk to unchanged: this app answers the REST routes they call (Cloud Run Admin v2 and
the v1 domain mappings, Logging v2 ``entries:list``, the Storage JSON object listing) with the
proto-JSON shapes and the error bodies of the real APIs, so the libraries' own parsing, paging
and exception mapping run in every test. One app on one port serves all of them; the probes
reach it through the ``*_EMULATOR_HOST`` variables with anonymous credentials.

Each API is its own module of this package (`cloudrun.py`, `domains.py`, `cloudlogging.py`,
`storage.py`, sharing `shared.py`); this one mounts their routes behind what is common to all:
the bearer check, quota throttling, the gzip bomb, and the hang and trickle faults by API.

Every resource is built when it is asked for, relative to that moment, so a "3 h old backup" or
"an error 2 minutes ago" stays so however long the fleet has been running. Names come from
``GoogleWorld`` (other names are 404s, as in a real project); faults from ``GoogleFaults``.
"""

from __future__ import annotations

import functools
import hashlib
import struct
import zlib
from collections import Counter
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from ..common import HangingHandlers, Recorder, common_middleware
from ..faults import GoogleApi, GoogleFaults, GoogleWorld, HostileFaults
from .cloudlogging import CloudLogging
from .cloudrun import CloudRun
from .domains import DomainMappings
from .shared import google_error
from .storage import CloudStorage

_API_HOSTS: dict[GoogleApi, str] = {
    "run": "run.googleapis.com",
    "logging": "logging.googleapis.com",
    "storage": "storage.googleapis.com",
}
# The paths of each API, as `common.path_matches` patterns (for the hang and trickle faults).
_API_PATHS: dict[GoogleApi, frozenset[str]] = {
    "run": frozenset({"/v2/projects/*", "/apis/*"}),
    "logging": frozenset({"/v2/entries:list"}),
    "storage": frozenset({"/storage/*"}),
}
# What a gzip bomb inflates to (and a few bytes more): 1 GiB of JSON, a string of spaces, from
# ~1 MiB on the wire.
GZIP_BOMB_BYTES = 1024 * 1024 * 1024


def _paths(apis: frozenset[GoogleApi]) -> frozenset[str]:
    return frozenset(pattern for api in apis for pattern in _API_PATHS[api])


@functools.cache
def gzip_bomb() -> bytes:
    """A gzip member of ~1 MiB that inflates to GZIP_BOMB_BYTES of JSON, built in under a second.

    Deflating 1 GiB takes ~9 s; after a full flush a deflate stream starts afresh, so one
    compressed 1 MiB block of spaces, repeated, is the same stream as compressing them all.
    """
    piece = b" " * (1024 * 1024)
    prefix, suffix = b'{"entries":[],"padding":"', b'"}'
    count = GZIP_BOMB_BYTES // len(piece)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = deflate.compress(prefix) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(piece) + deflate.flush(zlib.Z_FULL_FLUSH)
    tail = deflate.compress(suffix) + deflate.flush()
    crc = zlib.crc32(prefix)
    for _ in range(count):
        crc = zlib.crc32(piece, crc)
    crc = zlib.crc32(suffix, crc)
    size = len(prefix) + count * len(piece) + len(suffix)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # gzip, deflate, no name, unix
    return header + head + block * count + tail + struct.pack("<II", crc, size & 0xFFFFFFFF)


def _api_of(path: str) -> GoogleApi:
    if path.startswith("/storage/"):
        return "storage"
    if path.startswith("/v2/entries"):
        return "logging"
    return "run"


def _quota_exceeded(api: GoogleApi) -> web.Response:
    host = _API_HOSTS[api]
    return google_error(
        429,
        f"Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' "
        f"of service '{host}' for consumer 'project_number:123456789012'.",
        extra={
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "RATE_LIMIT_EXCEEDED",
                    "domain": "googleapis.com",
                    "metadata": {"service": host, "quota_metric": f"{host}/read_requests"},
                }
            ]
        },
    )


class GoogleService:
    """The Google Cloud APIs of one simulated project, served as one aiohttp app."""

    def __init__(
        self,
        *,
        faults: GoogleFaults,
        world: GoogleWorld,
        record: Recorder,
        hanging: HangingHandlers,
        on_log_filter: Callable[[str], None],
    ) -> None:
        self.faults = faults
        self.world = world
        self._record = record
        self._hanging = hanging
        self._throttled: Counter[str] = Counter()
        self.apis = (
            CloudRun(faults=faults, world=world),
            DomainMappings(faults=faults, world=world),
            CloudLogging(faults=faults, world=world, on_log_filter=on_log_filter),
            CloudStorage(faults=faults, world=world),
        )

    def app(self) -> web.Application:
        app = web.Application(
            middlewares=[
                common_middleware(
                    service="google",
                    record=self._record,
                    hanging=self._hanging,
                    latency_ms=self.faults.latency_ms + self.faults.slow_ms,
                    jitter_ms=self.faults.jitter_ms,
                    hang_paths=_paths(self.faults.hang),
                    hostile=HostileFaults(trickle_paths=_paths(self.faults.trickle)),
                ),
                self._middleware(),
            ]
        )
        for api in self.apis:
            api.add_routes(app)
        return app

    def _middleware(self) -> Middleware:
        """Throttle first (quota is checked before anything else), and 404 as Google does."""

        @web.middleware
        async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
            # Keyed by path, query and body: a retry of the same call is the same key, so with
            # throttle=N exactly the first N attempts of every distinct call are refused (two
            # entries:list calls differ only in their body's filter).
            bearer = self.faults.bearer
            if bearer and request.headers.get("Authorization") != f"Bearer {bearer}":
                return google_error(
                    401,
                    "Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential.",
                )
            body = await request.read() if request.can_read_body else b""
            key = f"{request.method} {request.path_qs} {hashlib.sha256(body).hexdigest()}"
            if self._throttled[key] < self.faults.throttle:
                self._throttled[key] += 1
                return _quota_exceeded(_api_of(request.path))
            if _api_of(request.path) in self.faults.gzip_bomb:
                return web.Response(
                    body=gzip_bomb(),
                    content_type="application/json",
                    headers={"Content-Encoding": "gzip"},
                )
            try:
                return await handler(request)
            except web.HTTPNotFound:
                return google_error(404, f"The requested URL {request.path} was not found.")

        return middleware
