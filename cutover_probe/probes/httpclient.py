"""One HTTP request as a probe sees it: timed, logged, body capped, failures named.

Every network failure becomes a `CheckFailed` subclass whose message is the reason a user reads
("GET https://…/readyz: connection refused"), so no probe has to know aiohttp's exception tree.
Redirects are never followed: a health route that redirects is not healthy, and a bearer token
must never travel to a host it was not meant for.

Which http module is which: this one is the HTTP *client* (`fetch`), used by every HTTP probe;
the ``http`` kind's runner is `httpkind.py` and the parser of its steps is `httpkind_spec.py`.
"""

from __future__ import annotations

import errno
import json
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import anyio

from cutover_probe.errors import AssertionFailed, CheckFailed, ConnectFailed, ProbeTimeout
from cutover_probe.probes.context import ProbeContext
from cutover_probe.probes.proxy import proxy_for
from cutover_probe.secrets import Secret

if TYPE_CHECKING:
    # Imported where requests are made, so that the kind registry (and `plan`) stays cheap.
    import aiohttp


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

    @property
    def cache_control(self) -> dict[str, str | None]:
        """The Cache-Control directives, by lower-case name (RFC 9111 section 5.2)."""
        return cache_directives(self.header("cache-control"))

    def json(self) -> Any:
        ctype = self.header("content-type") or "no content type"
        try:
            document = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise AssertionFailed(f"{self.label}: body is not JSON ({ctype})") from None
        if "json" not in ctype.lower():
            raise AssertionFailed(f"{self.label}: content type {ctype}, expected application/json")
        return document

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
        if 300 <= self.status < 400 and self.header("location"):
            # Never followed: a health route that redirects is not healthy, and a token must
            # not travel to a host it was not meant for.
            return f"{self.status} redirect to {self.header('location')} (not followed)"
        if self.status < 400:
            return str(self.status)
        code = self.error_code()
        return f"{self.status} ({code})" if code else str(self.status)


def cache_directives(value: str) -> dict[str, str | None]:
    """RFC 9111's ``#cache-directive``: ``token [ "=" ( token / quoted-string ) ]``, separated by
    commas and optional whitespace. Names are case-insensitive; a quoted argument may hold commas
    (``no-cache="Set-Cookie, X-Id"``) and backslash escapes. A directive given twice keeps its
    first value. ``no-cache-foo`` is its own (unknown) directive, not ``no-cache``."""
    directives: dict[str, str | None] = {}
    position, size = 0, len(value)
    while position < size:
        while position < size and value[position] in " \t,":
            position += 1
        start = position
        while position < size and value[position] not in "=, \t":
            position += 1
        name = value[start:position].lower()
        while position < size and value[position] in " \t":
            position += 1
        argument: str | None = None
        if position < size and value[position] == "=":
            position += 1
            while position < size and value[position] in " \t":
                position += 1
            if position < size and value[position] == '"':
                position += 1
                chars = []
                while position < size and value[position] != '"':
                    if value[position] == "\\" and position + 1 < size:
                        position += 1
                    chars.append(value[position])
                    position += 1
                position += 1  # the closing quote
                argument = "".join(chars)
            else:
                start = position
                while position < size and value[position] not in ", \t":
                    position += 1
                argument = value[start:position]
        # Anything else before the next comma is not part of a directive: skip it.
        while position < size and value[position] != ",":
            position += 1
        if name and name not in directives:
            directives[name] = argument
    return directives


def join_url(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + "/" + path.lstrip("/")


RETRY_STATUSES = (429, 503)
MAX_ATTEMPTS = 3
MAX_RETRY_AFTER_S = 5.0
# RFC 9110's safe methods: asking again changes nothing. A write is never sent twice on its own:
# a flapping write path that passes on the second try has not passed.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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
    retry: bool | None = None,
) -> Response:
    """One request; a 429 or 503 that says when to come back (Retry-After) is asked again, at
    most MAX_ATTEMPTS times and only while the check's deadline leaves room for the wait.

    Only safe methods are asked again unless ``retry`` says otherwise (an `http` step's
    ``retry = true`` for an idempotent write): a write's first answer is its verdict."""
    may_retry = method.upper() in SAFE_METHODS if retry is None else retry
    for attempt in range(1, MAX_ATTEMPTS + 1):
        response = await _fetch_once(
            ctx,
            method,
            url,
            token=token,
            json_body=json_body,
            form=form,
            headers=headers,
            quiet=quiet,
        )
        wait = retry_after(response)
        if response.status not in RETRY_STATUSES or wait is None or attempt == MAX_ATTEMPTS:
            break
        if not may_retry:
            ctx.log(
                f"{response.label}: {response.status}, not retried: {method} is not safe to repeat"
            )
            break
        if wait > MAX_RETRY_AFTER_S:
            # Maintenance pages ask for minutes: that is an answer, not a hiccup to wait out.
            ctx.log(f"{response.label}: Retry-After {wait:g}s is longer than a probe waits")
            break
        if ctx.deadline is not None and time.monotonic() + wait + 0.1 > ctx.deadline:
            ctx.log(f"{response.label}: Retry-After {wait:g}s does not fit the check's deadline")
            break
        ctx.log(f"{response.label}: {response.status}, retrying after {wait:g}s (Retry-After)")
        await anyio.sleep(wait)
    if attempt > 1 and response.status not in RETRY_STATUSES:
        ctx.details.setdefault("retried", []).append(
            f"{method} {url} answered on attempt {attempt}"
        )
    return response


def retry_after(response: Response) -> float | None:
    """Seconds the server asked us to wait (delta-seconds or an HTTP date)."""
    value = response.header("retry-after").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        import email.utils  # rare: an HTTP date; not worth a cost at start-up

        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return max(seconds, 0.0)


async def _fetch_once(
    ctx: ProbeContext,
    method: str,
    url: str,
    *,
    token: Secret | None,
    json_body: Any,
    form: Mapping[str, str] | None,
    headers: Mapping[str, str] | None,
    quiet: bool,
) -> Response:
    if ctx.session is None:
        raise CheckFailed("internal: no HTTP session for an HTTP probe")
    import aiohttp  # already loaded: the engine opened the session

    send_headers = dict(headers or {})
    if token:
        send_headers["Authorization"] = f"Bearer {token.reveal()}"
    ctx.attempts += 1
    started = time.monotonic()
    headers_at: float | None = None
    label = f"{method} {url}"
    wait = ConnectionWait(started, ctx.request_timeout_s, _pool_deadline(ctx, started))
    # A host pinned with --resolve is asked directly: through a proxy, the proxy would resolve it.
    host = urlsplit(url).hostname or ""
    proxy = None if host in ctx.resolve else proxy_for(url, ctx.environ)
    if proxy is not None and proxy.authorization and url.lower().startswith("http://"):
        # aiohttp sends proxy_headers with CONNECT only; a plain http:// request, which the proxy
        # reads, carries its own. (Never an https:// one: it would reach the server.)
        send_headers["Proxy-Authorization"] = proxy.authorization
    try:
        with wait.scope:
            async with ctx.session.request(
                method,
                url,
                headers=send_headers,
                json=json_body,
                data=dict(form) if form is not None else None,
                allow_redirects=False,
                # The request's time is `wait.scope`'s: it starts once a pooled connection is
                # ours, so queueing behind the per-host limit does not eat it.
                timeout=aiohttp.ClientTimeout(total=None, connect=None, sock_connect=None),
                trace_request_ctx=wait,
                proxy=proxy.url if proxy else None,
                proxy_headers={"Proxy-Authorization": proxy.authorization}
                if proxy and proxy.authorization
                else None,
            ) as answer:
                headers_at = time.monotonic()
                body = await _read_capped(answer, ctx.body_cap_bytes, label)
                began = wait.acquired_at or started
                response = Response(
                    method=method,
                    url=url,
                    status=answer.status,
                    headers=_field_values(answer.headers),
                    body=body,
                    elapsed_ms=(time.monotonic() - began) * 1000,
                    ttfb_ms=(headers_at - began) * 1000,
                )
    except CheckFailed as exc:
        ctx.log(f"{label} -> failed: {exc}")
        raise
    except aiohttp.ClientError as exc:
        reason = f"{label}: {describe_client_error(exc)}"
        ctx.log(f"{label} -> {reason}")
        raise ConnectFailed(reason) from None
    if wait.scope.cancelled_caught:
        reason = f"{label}: {_timeout_cause(ctx, url, wait, headers_at)}"
        ctx.log(f"{label} -> {reason}")
        raise ProbeTimeout(reason)
    if not quiet:
        queued = f", waited {wait.waited_s:.1f}s for a connection" if wait.waited_s >= 0.1 else ""
        ctx.log(
            f"{label} -> {response.status} ({response.elapsed_ms:.0f} ms, "
            f"ttfb {response.ttfb_ms:.0f} ms, {len(body)} bytes{queued})"
        )
    return response


# Longest a request queues for a pooled connection when its check has no deadline; with one, the
# queue may use the check's time up to POOL_MARGIN_S before it, so the reason names the queue
# rather than "deadline exceeded".
POOL_WAIT_S = 60.0
POOL_MARGIN_S = 0.25


def _pool_deadline(ctx: ProbeContext, started: float) -> float:
    if ctx.deadline is None:
        return started + POOL_WAIT_S
    return max(started, min(started + POOL_WAIT_S, ctx.deadline - POOL_MARGIN_S))


class ConnectionWait:
    """One request's clock: while it queues for a pooled connection the pool bound applies; once
    it holds a connection (new or reused), the request timeout starts. aiohttp's trace signals
    (`connection_trace`) move the deadline; without them the request timeout runs from the start,
    as before."""

    def __init__(self, started: float, timeout_s: float, pool_deadline: float) -> None:
        self.started = started
        self.timeout_s = timeout_s
        self.pool_deadline = pool_deadline
        self.queued_at: float | None = None
        self.acquired_at: float | None = None
        self.waited_s = 0.0
        self.scope = anyio.CancelScope(deadline=started + timeout_s)

    def queued(self) -> None:
        now = time.monotonic()
        if self.queued_at is None:
            self.queued_at = now
        self.acquired_at = None
        self.scope.deadline = max(self.pool_deadline, now)

    def acquired(self) -> None:
        if self.acquired_at is not None:
            return
        now = time.monotonic()
        self.acquired_at = now
        if self.queued_at is not None:
            self.waited_s = now - self.queued_at
        self.scope.deadline = now + self.timeout_s


def connection_trace() -> aiohttp.TraceConfig:
    """The session's trace config that tells each request's `ConnectionWait` when it queued for a
    pooled connection and when it got one."""
    import aiohttp

    def hook(method: str) -> Any:
        async def on_event(_session: Any, trace: Any, _params: Any) -> None:
            wait = trace.trace_request_ctx
            if isinstance(wait, ConnectionWait):
                getattr(wait, method)()

        return on_event

    config = aiohttp.TraceConfig()
    config.on_connection_queued_start.append(hook("queued"))
    config.on_connection_queued_end.append(hook("acquired"))
    config.on_connection_create_start.append(hook("acquired"))
    config.on_connection_reuseconn.append(hook("acquired"))
    return config


def _timeout_cause(
    ctx: ProbeContext, url: str, wait: ConnectionWait, headers_at: float | None
) -> str:
    if wait.queued_at is not None and wait.acquired_at is None:
        parts = urlsplit(url)
        host = parts.hostname or url
        port = parts.port or (443 if parts.scheme == "https" else 80)
        connector = ctx.session.connector if ctx.session is not None else None
        limit = f" (per-host limit {connector.limit_per_host})" if connector is not None else ""
        waited = time.monotonic() - wait.queued_at
        return f"waited {waited:.1f}s for a connection to {host}:{port}{limit}"
    if headers_at is None:
        return f"timeout, no answer within {ctx.request_timeout_s:g}s"
    began = wait.acquired_at or wait.started
    return (
        f"timeout, body not complete within {ctx.request_timeout_s:g}s "
        f"(headers came after {(headers_at - began) * 1000:.0f} ms)"
    )


def _field_values(headers: Mapping[str, str]) -> dict[str, str]:
    """Header fields by lower-case name; a field sent on several lines is one comma-separated
    value (RFC 9110 section 5.3), so a second Cache-Control line is not lost."""
    fields: dict[str, str] = {}
    for key, value in headers.items():
        name = key.lower()
        fields[name] = f"{fields[name]}, {value}" if name in fields else value
    return fields


async def _read_capped(answer: aiohttp.ClientResponse, cap: int, label: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await answer.content.read(65536):
        size += len(chunk)
        if size > cap:
            raise AssertionFailed(f"{label}: body too large (over {cap // 1024} KiB)")
        chunks.append(chunk)
    return b"".join(chunks)


def describe_certificate_error(error: Exception) -> str:
    """The verification failure, named: expired, hostname mismatch, self-signed, unknown CA."""
    message = str(getattr(error, "verify_message", "") or error)
    lowered = message.lower()
    if "expired" in lowered:
        cause = "certificate expired"
    elif "hostname mismatch" in lowered or "ip address mismatch" in lowered:
        cause = "hostname mismatch"
    elif "self-signed" in lowered or "self signed" in lowered:
        cause = "self-signed certificate"
    elif "local issuer" in lowered or "unknown ca" in lowered:
        cause = "certificate from an unknown authority"
    elif "not yet valid" in lowered:
        cause = "certificate not yet valid"
    else:
        cause = "certificate rejected"
    return f"TLS {cause} ({message})"


def describe_client_error(exc: aiohttp.ClientError) -> str:
    """aiohttp's exception, as a cause a person recognises."""
    import aiohttp

    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return f"cannot connect to the proxy {exc.host}:{exc.port} ({exc.os_error.strerror})"
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        return f"the proxy answered {exc.status} {exc.message} to CONNECT"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"DNS lookup failed for {exc.host}"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return describe_certificate_error(exc.certificate_error)
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
