"""The simulated OpenAgents control service (``openagents-control-service``).

It answers the routes the control health and smoke checks call with the bodies, status codes
and Cache-Control headers the reference doc records for the real Rust/axum service, and bends
them as its ``ControlFaults`` say; it mounts the HTMX routes the HTMX performance lane times
from `htmx_routes.py`. Staging and prod answer alike by default (same version, manifest and
cache headers) so that a parity check only fails on a deliberate fault. It keeps no state but
the sync tokens it hands out (the HTMX routes keep the chat threads they create); it must
never print or log an access token. Only the ``echo_token_in_errors`` fault makes it repeat a
presented token in an error body, as a careless server would, so that tests can prove the
prober never writes such a body down.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from .common import (
    HangingHandlers,
    Recorder,
    bearer_ok,
    common_middleware,
    iso,
    json_response,
    utc_now,
)
from .faults import NO_CACHE, ControlFaults
from .htmx_routes import HtmxRoutes

SERVICE = "openagents-control-service"
# One deployed build serves both environments; only a fault makes them report different ones.
DEFAULT_VERSION = "0.9.3+build.4821"
AUTH_PROVIDER = "workos"
STATIC_DIR = "/app/apps/openagents.com/web-shell/dist"
BYPASS_COOKIE = "oa_maintenance_bypass"

ENTRY_JS_PLAIN = "assets/openagents_web_shell.js"
ENTRY_JS_HASHED = "assets/openagents_web_shell-3f9a1c2d7b.js"
ENTRY_WASM = "assets/openagents_web_shell_bg-9c41e07a5b.wasm"
HOST_SHIM = "assets/host-shim-5d2b8e0a61.js"

# The same rule the real static host uses to decide that a file name is content-hashed.
HASHED_NAME = re.compile(r"-[A-Za-z0-9]{8,}\.[A-Za-z0-9]+$")

SYNC_SCOPES: dict[str, str] = {
    "runtime.codex_worker_events": "org:{org}:codex_worker_events",
    "runtime.run_summaries": "org:{org}:run_summaries",
    "runtime.codex_worker_summaries": "org:{org}:codex_worker_summaries",
}
SYNC_TOKEN_TTL_SECONDS = 300

UNAUTHORIZED = {
    "message": "Unauthenticated.",
    "error": {"code": "unauthorized", "message": "Unauthenticated."},
}

_ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
}


def _error(status: int, code: str, message: str) -> web.Response:
    return json_response(status, {"error": {"code": code, "message": message}})


def _forced_error(status: int) -> web.Response:
    if status == 401:
        return json_response(401, UNAUTHORIZED)
    code = _ERROR_CODES.get(status, "error")
    return _error(status, code, code.replace("_", " ").capitalize() + ".")


def _presented_token(request: web.Request) -> str:
    """The token a request presented, verbatim: its Authorization header without the scheme."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token if scheme.lower() == "bearer" else header


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def is_hashed_asset(name: str) -> bool:
    return HASHED_NAME.search(name) is not None


class ControlService:
    """One environment's control service: its handlers and the app that routes to them."""

    def __init__(
        self,
        *,
        env: str,
        faults: ControlFaults,
        access_token: str,
        record: Recorder,
        hanging: HangingHandlers,
        on_sync_token: Callable[[str], None],
        on_chat_thread: Callable[[str], None] | None = None,
        redirect_target: str = "",
    ) -> None:
        self.env = env
        self.faults = faults
        self._access_token = access_token
        self._record = record
        self._hanging = hanging
        self._on_sync_token = on_sync_token
        self._redirect_target = redirect_target
        self._started = time.monotonic()
        self.version = DEFAULT_VERSION if faults.build_version is None else faults.build_version
        self.build_id = f"{env}-20260219T141502Z-7c1e4b2"
        self.org_id = f"org_{env}_01HZX3K8M4"
        self.user_id = f"user_{env}_01HZX3QF2T"
        self.session_id = f"sess_{env}_01HZX4A9VD"
        self.device_id = f"device_{env}_probe"
        self.issuer = "https://openagents.com" if env == "prod" else f"https://{env}.openagents.com"
        # Derived from the token, so the cookie never carries the bypass token itself.
        self._bypass_cookie = hashlib.sha256(
            f"maintenance-bypass:{env}:{access_token}".encode()
        ).hexdigest()
        self.htmx = HtmxRoutes(
            faults=faults, access_token=access_token, on_chat_thread=on_chat_thread
        )

    # -- application ------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(
            middlewares=[
                common_middleware(
                    service=f"{self.env}-control",
                    record=self._record,
                    hanging=self._hanging,
                    latency_ms=self.faults.latency_ms,
                    jitter_ms=self.faults.jitter_ms,
                    hang_paths=self.faults.hang_paths,
                    hostile=self.faults,
                    redirect_target=self._redirect_target,
                ),
                self._maintenance,
                self.htmx.slow,
            ]
        )
        router = app.router
        router.add_get("/healthz", self.healthz)
        router.add_get("/readyz", self.readyz)
        router.add_get("/api/v1/control/status", self.control_status)
        for path in ("/api/auth/session", "/api/v1/auth/session"):
            router.add_get(path, self.session)
        for path in ("/api/sync/token", "/api/v1/sync/token"):
            router.add_post(path, self.sync_token)
        router.add_get("/manifest.json", self.manifest)
        router.add_get("/sw.js", self.service_worker)
        router.add_get("/", self.index)
        router.add_get("/index.html", self.index)
        router.add_get("/assets/{name}", self.asset)
        self.htmx.add_routes(app)
        return app

    @property
    def entry_js(self) -> str:
        return ENTRY_JS_HASHED if self.faults.entry_js_hashed else ENTRY_JS_PLAIN

    # -- maintenance ------------------------------------------------------------------

    @web.middleware
    async def _maintenance(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self.faults.maintenance or request.path in ("/healthz", "/readyz"):
            return await handler(request)
        cookie = request.cookies.get(BYPASS_COOKIE, "")
        if secrets.compare_digest(cookie.encode(), self._bypass_cookie.encode()):
            return await handler(request)
        offered = request.query.get("maintenance_bypass")
        if (
            request.path == "/"
            and offered is not None
            and secrets.compare_digest(offered.encode(), self._access_token.encode())
        ):
            response = await handler(request)
            response.set_cookie(
                BYPASS_COOKIE,
                self._bypass_cookie,
                path="/",
                httponly=True,
                samesite="Lax",
                max_age=12 * 3600,
            )
            return response
        return web.Response(
            status=503,
            text=(
                "<!doctype html><html><head><title>OpenAgents is down for maintenance"
                "</title></head><body><h1>Down for maintenance</h1>"
                "<p>We'll be back shortly.</p></body></html>"
            ),
            content_type="text/html",
            headers={"Cache-Control": "no-store", "Retry-After": "60"},
        )

    # -- health -----------------------------------------------------------------------

    async def healthz(self, request: web.Request) -> web.Response:
        status = self.faults.health_status
        if status == 404:
            return json_response(404, {"error": "not_found"})
        return json_response(
            status,
            {
                "status": "ok" if status < 400 else "error",
                "service": SERVICE,
                "version": self.version,
                "uptime_seconds": int(time.monotonic() - self._started),
                "auth_provider": AUTH_PROVIDER,
            },
        )

    async def readyz(self, request: web.Request) -> web.Response:
        if self.faults.ready:
            return json_response(200, {"status": "ready", "static_dir": STATIC_DIR})
        return json_response(
            503,
            {
                "status": "not_ready",
                "static_dir": STATIC_DIR,
                "reason": "static_dir_missing",
            },
        )

    # -- authenticated API ------------------------------------------------------------

    def _memberships(self) -> list[dict[str, Any]]:
        return [
            {
                "orgId": self.org_id,
                "orgSlug": "openagents",
                "name": "OpenAgents",
                "role": "admin",
                "roleScopes": ["runtime.read", "runtime.write"],
                "defaultOrg": True,
            }
        ]

    async def control_status(self, request: web.Request) -> web.Response:
        anonymous = "Authorization" not in request.headers
        if not bearer_ok(request, self._access_token) and not (
            anonymous and self.faults.status_open
        ):
            return self._unauthorized(request)
        return json_response(
            200,
            {
                "data": {
                    "service": SERVICE,
                    "authProvider": AUTH_PROVIDER,
                    "activeOrgId": None if anonymous else self.org_id,
                    "memberships": [] if anonymous else self._memberships(),
                    "routeSplit": {
                        "enabled": True,
                        "mode": "cohort",
                        "cohortPercentage": 100,
                        "salt": f"{self.env}-route-split-v1",
                        "forceLegacy": False,
                        "rustRoutes": ["/", "/chat", "/settings", "/feed"],
                    },
                }
            },
        )

    async def session(self, request: web.Request) -> web.Response:
        forced = self.faults.session_status
        if forced is not None and not 200 <= forced < 300:
            return _forced_error(forced)
        if forced is None and not bearer_ok(request, self._access_token):
            return self._unauthorized(request)
        now = utc_now()
        email = f"probe+{self.env}@openagents.com"
        return json_response(
            forced or 200,
            {
                "data": {
                    "session": {
                        "sessionId": self.session_id,
                        "userId": self.user_id,
                        "email": email,
                        "deviceId": self.device_id,
                        "status": "active",
                        "reauthRequired": False,
                        "activeOrgId": self.org_id,
                        "issuedAt": iso(now - timedelta(hours=1)),
                        "accessExpiresAt": iso(now + timedelta(minutes=15)),
                        "refreshExpiresAt": iso(now + timedelta(days=30)),
                    },
                    "user": {
                        "id": self.user_id,
                        "email": email,
                        "name": "Release Probe",
                        "workosId": f"user_01HZWORKOS{self.env.upper()}",
                    },
                    "memberships": self._memberships(),
                }
            },
        )

    async def sync_token(self, request: web.Request) -> web.Response:
        if not bearer_ok(request, self._access_token):
            return self._unauthorized(request)

        def error(status: int, code: str, message: str) -> web.Response:
            if self.faults.echo_token_in_errors:
                message = f"{message} (token {_presented_token(request)})"
            return _error(status, code, message)

        if self.faults.sync_token_unavailable:
            return error(503, "sync_token_unavailable", "Sync token issuance is not configured.")
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return error(422, "invalid_request", "Request body must be JSON.")
        scopes = body.get("scopes") if isinstance(body, dict) else None
        if (
            not isinstance(scopes, list)
            or not scopes
            or not all(isinstance(scope, str) and scope for scope in scopes)
        ):
            return error(422, "invalid_request", "scopes must be a non-empty list of strings.")
        unknown = sorted(set(scopes) - SYNC_SCOPES.keys())
        if unknown:
            return error(422, "invalid_scope", f"Unknown sync scope: {unknown[0]}.")
        return json_response(200, {"data": self._issue_sync_token(list(dict.fromkeys(scopes)))})

    def _unauthorized(self, request: web.Request) -> web.Response:
        """The Bearer check's 401; with ``echo_token_in_errors`` it repeats the token sent."""
        if not self.faults.echo_token_in_errors:
            return json_response(401, UNAUTHORIZED)
        message = f"invalid token {_presented_token(request)}"
        return json_response(
            401, {"message": message, "error": {"code": "unauthorized", "message": message}}
        )

    def _issue_sync_token(self, scopes: list[str]) -> dict[str, Any]:
        issued_at = int(time.time())
        expires_at = issued_at + SYNC_TOKEN_TTL_SECONDS
        token_id = f"sync_{secrets.token_hex(12)}"
        claims = {
            "iss": self.issuer,
            "aud": "openagents-sync",
            "sub": f"user:{self.user_id}",
            "oa_org_id": self.org_id,
            "oa_sync_scopes": scopes,
            "oa_claims_version": "oa_sync_claims_v1",
            "jti": token_id,
            "iat": issued_at,
            "exp": expires_at,
        }
        # Shaped like the real HS256 JWT so probes that peek at it see three parts;
        # the signature is random because nothing verifies it.
        token = ".".join(
            (
                _b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "sync-auth-v1"}).encode()),
                _b64url(json.dumps(claims, separators=(",", ":")).encode()),
                _b64url(secrets.token_bytes(32)),
            )
        )
        self._on_sync_token(token)
        return {
            "token": token,
            "token_type": "Bearer",
            "expires_in": SYNC_TOKEN_TTL_SECONDS,
            "issued_at": issued_at,
            "expires_at": expires_at,
            "issuer": self.issuer,
            "audience": "openagents-sync",
            "subject": f"user:{self.user_id}",
            "org_id": self.org_id,
            "claims_version": "oa_sync_claims_v1",
            "scopes": scopes,
            "granted_topics": [
                {"topic": SYNC_SCOPES[scope].format(org=self.org_id), "required_scope": scope}
                for scope in scopes
            ],
            "kid": "sync-auth-v1",
            "token_id": token_id,
            "session_id": self.session_id,
            "device_id": self.device_id,
        }

    # -- static host ------------------------------------------------------------------

    def manifest_body(self) -> dict[str, Any]:
        return {
            "manifestVersion": self.faults.manifest_version,
            "buildId": self.build_id,
            "entry": {
                "html": "index.html",
                "js": self.entry_js,
                "wasm": ENTRY_WASM,
                "hostShim": HOST_SHIM,
            },
            "serviceWorker": {
                "script": "sw.js",
                "cacheName": f"openagents-web-shell-{self.build_id}",
                "pinnedAssets": [
                    "index.html",
                    "manifest.json",
                    self.entry_js,
                    ENTRY_WASM,
                    HOST_SHIM,
                ],
                "rollbackCaches": [f"openagents-web-shell-{self.env}-20260212T093011Z-51d0a9e"],
            },
        }

    async def manifest(self, request: web.Request) -> web.Response:
        headers = {"Cache-Control": self.faults.manifest_cache_control}
        if self.faults.manifest_not_json:
            return web.Response(
                text="<!doctype html><html><body><div id=app></div></body></html>",
                content_type="text/html",
                headers=headers,
            )
        return json_response(200, self.manifest_body(), headers=headers)

    async def service_worker(self, request: web.Request) -> web.Response:
        body = (
            f"const CACHE = {json.dumps('openagents-web-shell-' + self.build_id)};\n"
            "self.addEventListener('install', (event) => event.waitUntil("
            "fetch('/manifest.json').then((r) => r.json()).then((m) => "
            "caches.open(CACHE).then((c) => c.addAll(m.serviceWorker.pinnedAssets)))));\n"
        )
        return web.Response(
            text=body,
            content_type="application/javascript",
            headers={"Cache-Control": self.faults.sw_cache_control},
        )

    async def index(self, request: web.Request) -> web.Response:
        body = (
            "<!doctype html><html><head><meta charset=utf-8><title>OpenAgents</title>"
            f'<script type=module src="/{self.entry_js}"></script></head>'
            '<body><div id="app"></div></body></html>'
        )
        return web.Response(
            text=body, content_type="text/html", headers={"Cache-Control": NO_CACHE}
        )

    async def asset(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        served = {
            path.removeprefix("assets/")
            for path in (ENTRY_JS_PLAIN, ENTRY_JS_HASHED, ENTRY_WASM, HOST_SHIM)
        }
        if name not in served:
            return json_response(404, {"error": "not_found"})
        if is_hashed_asset(name):
            cache_control = self.faults.hashed_asset_cache_control
        else:
            cache_control = "public, max-age=60"
        if name.endswith(".wasm"):
            # The wasm magic number and version, so a client sniffing the body sees wasm.
            return web.Response(
                body=b"\x00asm\x01\x00\x00\x00",
                content_type="application/wasm",
                headers={"Cache-Control": cache_control},
            )
        return web.Response(
            text=f"// {name} ({self.build_id})\nexport default function start() {{}}\n",
            content_type="application/javascript",
            headers={"Cache-Control": cache_control},
        )
