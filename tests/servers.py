"""Servers and stand-ins that tests of several modules share: a server answering chosen headers,
a slow server, a forward proxy (CONNECT included) of our own, a stub `gcloud`, and a way to run
a few lanes of the shipped matrix in this event loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from cutover_probe.config import load_matrix
from cutover_probe.engine import RunSettings, execute
from cutover_probe.fleet import (
    Fleet,
)
from cutover_probe.model import Outcome
from cutover_probe.planning import build_plan

from .conftest import Checkout, fleet_environ
from .probes.test_httpkind import config


def _writes(fleet: object, service: str, path: str) -> int:
    return sum(
        1
        for r in fleet.requests  # type: ignore[attr-defined]
        if r.service == service and r.method == "POST" and r.path == path
    )


# --- 1. Never retry a write ---------------------------------------------------------------


def _write_step(retry: str) -> str:
    return f"""
[[checks]]
id = "lane"
kind = "http"
base_url = "${{STAGING_CONTROL_BASE_URL}}"
token = "${{STAGING_CONTROL_ACCESS_TOKEN}}"
[[checks.steps]]
name = "issue"
method = "POST"
path = "/api/sync/token"
auth = true
json = {{ scopes = ["runtime.codex_worker_events"] }}
{retry}
expect = {{ status = 200 }}
"""


# --- 2. HTTP semantics, not string matching --------------------------------------------------


@contextlib.asynccontextmanager
async def serve_app(app: web.Application) -> AsyncIterator[str]:
    """``app`` on a free port of 127.0.0.1 for the block: its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def header_server() -> AsyncIterator[str]:
    """A server that sends Cache-Control on two lines and names headers in odd cases."""

    async def handle(request: web.Request) -> web.Response:
        response = web.json_response({"ok": True})
        response.headers.add("Cache-Control", "public")
        response.headers.add("cache-control", "No-Cache")
        response.headers["X-REQUEST-ID"] = "req-1234567"
        return response

    app = web.Application()
    app.router.add_get("/thing", handle)
    async with serve_app(app) as url:
        yield url


# --- 3. Drift cannot pass on nothing -------------------------------------------------------


# --- 7. Small truths -------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def slow_server(delay_s: float) -> AsyncIterator[str]:
    """Every answer after ``delay_s``; ``/quick`` at once."""

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(delay_s)
        return web.json_response({"ok": True})

    async def quick(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/slow", slow)
    app.router.add_get("/quick", quick)
    async with serve_app(app) as url:
        yield url


async def _run_lanes(
    tmp_path: Path, checks: str, environ: dict[str, str], **settings: object
) -> dict[str, Outcome]:
    plan = build_plan(load_matrix(config(tmp_path, checks)), environ, tmp_path)
    result = await execute(plan, environ, RunSettings(**settings))  # type: ignore[arg-type]
    return {outcome.check_id: outcome for outcome in result.outcomes}


# --- 6. plan does not promise what will fail -------------------------------------------------


# --- 4. Proxies ------------------------------------------------------------------------------


class ForwardProxy:
    """A forward proxy on 127.0.0.1, as a corporate one: absolute-form ``GET http://…`` (and any
    other method) is forwarded, one request per connection; ``CONNECT host:port`` is a tunnel.
    It records every request line it is asked, and can demand a Proxy-Authorization."""

    def __init__(self, *, authorization: str | None = None) -> None:
        self.requests: list[str] = []
        self.authorization = authorization
        self.url = ""

    async def __aenter__(self) -> ForwardProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            lines = head.decode("latin-1").split("\r\n")
            method, target, _version = lines[0].split(" ", 2)
            self.requests.append(f"{method} {target}")
            fields = [line for line in lines[1:] if line]
            if self.authorization is not None and (
                f"Proxy-Authorization: {self.authorization}" not in fields
            ):
                writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n")
                writer.write(b"Content-Length: 0\r\nConnection: close\r\n\r\n")
                await writer.drain()
                return
            if method == "CONNECT":
                host, port = target.rsplit(":", 1)
                up_reader, up_writer = await asyncio.open_connection(host, int(port))
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await writer.drain()
            else:
                url = urlsplit(target)
                up_reader, up_writer = await asyncio.open_connection(url.hostname, url.port)
                path = url.path + (f"?{url.query}" if url.query else "")
                keep = [
                    f
                    for f in fields
                    if not f.lower().startswith(("connection:", "proxy-", "keep-alive:"))
                ]
                out = "\r\n".join([f"{method} {path} HTTP/1.1", *keep, "Connection: close"])
                up_writer.write((out + "\r\n\r\n").encode("latin-1"))
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            writer.write_eof()


PROXIED_CHECKS = ("control-staging-health", "control-staging-smoke", "runtime-prod-smoke")


# --- 5. The credentials people have: gcloud's login ------------------------------------------

GCLOUD_TOKEN = "ya29.stub-gcloud-token-7f3a9c1d2e"


def stub_gcloud(directory: Path, *, fails: bool = False) -> Path:
    """A `gcloud` that prints an access token for `auth print-access-token` (counting calls),
    or fails as a logged-out gcloud does."""
    bin_dir = directory / "gcloud-bin"
    bin_dir.mkdir()
    script = bin_dir / "gcloud"
    calls = directory / "gcloud-calls.txt"
    body = (
        "print('ERROR: (gcloud.auth.print-access-token) You do not currently have an active "
        "account selected.', file=sys.stderr); sys.exit(1)"
        if fails
        else f"print({GCLOUD_TOKEN!r})"
    )
    script.write_text(
        f"#!{sys.executable}\nimport sys\n"
        f"open({str(calls)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
        "assert sys.argv[1:3] == ['auth', 'print-access-token'], sys.argv\n"
        f"{body}\n"
    )
    script.chmod(0o755)
    config = directory / "gcloud-config"
    (config / "configurations").mkdir(parents=True)
    (config / "active_config").write_text("default\n")
    (config / "configurations" / "config_default").write_text(
        "[core]\naccount = sre@example.com\nproject = openagentsgemini\n"
    )
    return bin_dir


def gcloud_environ(fleet: Fleet, checkout: Checkout, bin_dir: Path, **extra: str) -> dict[str, str]:
    """The fleet's services, its Google APIs as an endpoint override (real credentials, no
    emulator), and no Application Default Credentials: only gcloud's login."""
    environ = fleet_environ(
        fleet,
        checkout,
        RUN_KHALA_CONTRACT_TESTS="0",
        RUN_LOG_PROBES="0",
        CLOUDSDK_CONFIG=str(bin_dir.parent / "gcloud-config"),
        CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN=fleet.google_url,
        **extra,
    )
    for variable in ("CLOUD_RUN_EMULATOR_HOST", "CLOUD_LOGGING_EMULATOR_HOST"):
        environ.pop(variable, None)
    environ.pop("STORAGE_EMULATOR_HOST", None)
    environ["PATH"] = f"{bin_dir}{os.pathsep}{environ['PATH']}"
    return environ
