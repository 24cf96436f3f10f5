"""One HTTP request as a probe sees it: timed, logged, body capped, failures named.

Every network failure becomes a `CheckFailed` subclass whose message is the reason a user reads
("GET https://…/readyz: connection refused"), so no probe has to know aiohttp's exception tree.
Redirects are never followed: a health route that redirects is not healthy, and a bearer token
must never travel to a host it was not meant for.
"""

from __future__ import annotations

import errno
import json
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from cutover_probe.errors import AssertionFailed, CheckFailed, ConnectFailed, ProbeTimeout
from cutover_probe.probes.context import ProbeContext
from cutover_probe.secrets import Secret


@dataclass(frozen=True)
class Response:
    method: str
    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    elapsed_ms: float  # until the whole body was read
    ttfb_ms: float = 0.0  # until the status line and headers arrived

    @property
    def label(self) -> str:
        return f"{self.method} {self.url}"

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            ctype = self.header("content-type") or "no content type"
            raise AssertionFailed(f"{self.label}: body is not JSON ({ctype})") from None

    def error_code(self) -> str:
        """The service's error code, if the body carries one, for readable reasons."""
        try:
            body = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return ""
        if isinstance(body, dict):
            error = body.get("error")
            if isinstance(error, str):
                return error
            if isinstance(error, dict) and isinstance(error.get("code"), str):
                return str(error["code"])
            if isinstance(body.get("status"), str):
                return str(body["status"])
        return ""

    def describe_status(self) -> str:
        if self.status < 400:
            return str(self.status)
        code = self.error_code()
        return f"{self.status} ({code})" if code else str(self.status)


def join_url(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + "/" + path.lstrip("/")


async def fetch(
    ctx: ProbeContext,
    method: str,
    url: str,
    *,
    token: Secret | None = None,
    json_body: Any = None,
    form: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    quiet: bool = False,
) -> Response:
    if ctx.session is None:
        raise CheckFailed("internal: no HTTP session for an HTTP probe")
    send_headers = dict(headers or {})
    if token:
        send_headers["Authorization"] = f"Bearer {token.reveal()}"
    ctx.attempts += 1
    started = time.monotonic()
    label = f"{method} {url}"
    try:
        async with ctx.session.request(
            method,
            url,
            headers=send_headers,
            json=json_body,
            data=dict(form) if form is not None else None,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=ctx.request_timeout_s),
        ) as answer:
            ttfb_ms = (time.monotonic() - started) * 1000
            body = await _read_capped(answer, ctx.body_cap_bytes, label)
            response = Response(
                method=method,
                url=url,
                status=answer.status,
                headers={key.lower(): value for key, value in answer.headers.items()},
                body=body,
                elapsed_ms=(time.monotonic() - started) * 1000,
                ttfb_ms=ttfb_ms,
            )
    except CheckFailed as exc:
        ctx.log(f"{label} -> failed: {exc}")
        raise
    except TimeoutError:
        reason = f"{label}: timeout, no answer within {ctx.request_timeout_s:g}s"
        ctx.log(f"{label} -> {reason}")
        raise ProbeTimeout(reason) from None
    except aiohttp.ClientError as exc:
        reason = f"{label}: {describe_client_error(exc)}"
        ctx.log(f"{label} -> {reason}")
        raise ConnectFailed(reason) from None
    if not quiet:
        ctx.log(
            f"{label} -> {response.status} ({response.elapsed_ms:.0f} ms, "
            f"ttfb {response.ttfb_ms:.0f} ms, {len(body)} bytes)"
        )
    return response


async def _read_capped(answer: aiohttp.ClientResponse, cap: int, label: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await answer.content.read(65536):
        size += len(chunk)
        if size > cap:
            raise AssertionFailed(f"{label}: body too large (over {cap // 1024} KiB)")
        chunks.append(chunk)
    return b"".join(chunks)


def describe_client_error(exc: aiohttp.ClientError) -> str:
    """aiohttp's exception, as a cause a person recognises."""
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"DNS lookup failed for {exc.host}"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"TLS certificate rejected: {exc.certificate_error}"
    if isinstance(exc, aiohttp.ClientSSLError):
        return f"TLS error: {exc}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        if exc.os_error.errno == errno.ECONNREFUSED:
            return "connection refused"
        if isinstance(exc.os_error, ssl.SSLError):
            return f"TLS error: {exc.os_error}"
        return f"cannot connect: {exc.os_error.strerror or exc.os_error}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "connection closed by the server before an answer"
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientOSError):
        return "connection reset mid-response"
    if isinstance(exc, aiohttp.InvalidURL):
        return "invalid URL"
    return f"{type(exc).__name__}: {exc}"
