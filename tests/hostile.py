"""A hostile HTTP server of our own, on 127.0.0.1 in a daemon thread: it answers with text
meant to break a terminal, a Markdown table or an XML file, and echoes tokens back in the
spellings a careless server uses (URL-encoded and base64 in a Location, JSON-escaped in a body,
long enough that a truncated quote of it would leak a prefix)."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, quote_plus

from aiohttp import web

# Rich markup, OSC (retitle the window), CSI (clear the screen), NUL, CR, LF, DEL, a C1
# control, U+2028/2029, a right-to-left override, a pipe that would split a Markdown cell,
# and a lone surrogate's worth of XML trouble (U+FFFE).
HOSTILE = (
    "[/][bold red]x[/bold red] \x1b]0;pwned\x07 \x1b[2J \x00 cr\rlf\nx \x7f \x85 "
    "\u2028 \u2029 \u202eevil | cell \ufffe end"
)
RAW_CONTROLS = (
    "\x1b]0;pwned",
    "\x1b[2J",
    "\x00",
    "\x07",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\u202e",
    "\ufffe",
)


def b64(data: bytes, *, urlsafe: bool = False, pad: bool = True) -> str:
    encoded = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(data).decode()
    return encoded if pad else encoded.rstrip("=")


def leaky_location(token: str) -> str:
    """Every encoded spelling of ``token`` a redirect could carry, including base64 of the token
    inside a longer blob at each of the three byte alignments."""
    raw = token.encode()
    blobs = [b"{" + raw + b"}", b"{'" + raw + b"'}", b"{''" + raw + b"'}"]
    parts = [
        f"q={quote(token, safe='')}",
        f"qs={quote(token)}",
        f"qp={quote_plus(token)}",
        f"b={b64(raw)}",
        f"bn={b64(raw, pad=False)}",
        f"u={b64(raw, urlsafe=True)}",
        f"un={b64(raw, urlsafe=True, pad=False)}",
        *(f"blob{i}={b64(blob, urlsafe=True)}" for i, blob in enumerate(blobs)),
    ]
    return "https://evil.example/cb?" + "&".join(parts)


def app(token: str, learned: str) -> web.Application:
    async def health(_: web.Request) -> web.Response:
        return web.json_response({"error": {"code": HOSTILE}}, status=503)

    async def ready(_: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": leaky_location(token)})

    async def issue(_: web.Request) -> web.Response:
        return web.json_response({"data": {"token": learned}})

    async def leak(request: web.Request) -> web.Response:
        echoed = request.match_info["value"]
        echoed = token if echoed == "configured" else echoed
        body = json.dumps({"echo": echoed, "note": HOSTILE, "ascii": json.dumps(echoed)})
        return web.Response(
            status=302,
            headers={
                "Location": leaky_location(echoed),
                "X-Echo": echoed,  # a long token: the reason quotes (and cuts) it
                "Content-Type": "application/json",
            },
            text=body,
        )

    application = web.Application()
    application.router.add_get("/healthz", health)
    application.router.add_get("/readyz", ready)
    application.router.add_post("/issue", issue)
    application.router.add_get("/leak/{value:.*}", leak)
    return application


@contextmanager
def hostile_server(token: str = "", learned: str = "") -> Iterator[str]:
    """The server's base URL while the block runs."""
    started = threading.Event()
    state: dict[str, object] = {}

    async def serve() -> None:
        runner = web.AppRunner(app(token, learned))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        stop = asyncio.Event()
        state.update(url=f"http://127.0.0.1:{port}", stop=stop, loop=asyncio.get_running_loop())
        started.set()
        await stop.wait()
        await runner.cleanup()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    if not started.wait(10):
        raise RuntimeError("the hostile server did not start")
    try:
        yield str(state["url"])
    finally:
        loop = state["loop"]
        stop = state["stop"]
        assert isinstance(loop, asyncio.AbstractEventLoop)
        assert isinstance(stop, asyncio.Event)
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
