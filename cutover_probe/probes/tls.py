"""The ``tls-certificate`` kind: how many days the served certificate has left.

Verification stays on (the run's trust store: the system's, plus ``--ca-bundle``), so an
expired, mismatched or self-signed certificate fails with that cause named; a valid one fails
when it expires within ``min_days``. A custom domain whose certificate is still being
provisioned shows up here first: its handshake fails, or it serves a placeholder.
"""

from __future__ import annotations

import ssl
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.abc
from anyio.streams.tls import TLSAttribute, TLSStream

from cutover_probe.errors import CheckFailed, ConnectFailed, ProbeTimeout
from cutover_probe.probes.context import ProbeContext
from cutover_probe.probes.httpclient import describe_certificate_error
from cutover_probe.probes.params import TlsParams
from cutover_probe.probes.proxy import Proxy, proxy_for

MAX_PROXY_ANSWER = 64 * 1024


class ProxyRefused(Exception):
    """The proxy answered CONNECT with something other than 2xx."""


async def _connect_tunnel(proxy: Proxy, host: str, port: int) -> anyio.abc.ByteStream:
    """A CONNECT tunnel through an http:// proxy (the one kind curl and aiohttp use for https)."""
    if proxy.url.startswith("https://"):
        raise ProxyRefused(f"the proxy {proxy.where} is https://: only http:// proxies tunnel TLS")
    stream = await anyio.connect_tcp(proxy.host, proxy.port)
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    head = f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n"
    if proxy.authorization:
        head += f"Proxy-Authorization: {proxy.authorization}\r\n"
    try:
        await stream.send((head + "\r\n").encode("ascii"))
        answer = b""
        while b"\r\n\r\n" not in answer:
            if len(answer) > MAX_PROXY_ANSWER:
                raise ProxyRefused(f"the proxy {proxy.where} sent an endless answer to CONNECT")
            answer += await stream.receive()
    except BaseException:
        await stream.aclose()
        raise
    status_line = answer.split(b"\r\n", 1)[0].decode("latin-1")
    fields = status_line.split(" ", 2)
    if len(fields) < 2 or not fields[1].startswith("2"):
        await stream.aclose()
        shown = " ".join(status_line.split())[:120]
        raise ProxyRefused(f"the proxy {proxy.where} refused CONNECT: {shown!r}")
    # A 2xx to CONNECT has no body: every later byte is the server's TLS.
    return stream


def _name(parts: Any) -> str:
    return ", ".join(f"{k}={v}" for rdn in parts for k, v in rdn)


async def run(ctx: ProbeContext, params: TlsParams) -> str | None:
    url = urlsplit(params.url)
    host = url.hostname or ""
    port = url.port or 443
    min_days = params.min_days
    context = ctx.ssl_context or ssl.create_default_context()
    address = ctx.resolve.get(host, host)
    if address == "":
        raise ConnectFailed(f"{host}: DNS lookup failed for {host}")
    # As for HTTP requests: HTTPS_PROXY/NO_PROXY apply, a host pinned with --resolve goes direct.
    proxy = None if host in ctx.resolve else proxy_for(f"https://{host}:{port}", ctx.environ)
    ctx.attempts += 1
    started = time.monotonic()
    try:
        with anyio.fail_after(ctx.request_timeout_s):
            if proxy is None:
                stream: anyio.abc.ByteStream = await anyio.connect_tcp(
                    address, port, tls=True, ssl_context=context, tls_hostname=host
                )
            else:
                tunnel = await _connect_tunnel(proxy, host, port)
                ctx.log(f"{host}:{port}: through the proxy {proxy.where} (CONNECT)")
                stream = await TLSStream.wrap(
                    tunnel, hostname=host, ssl_context=context, standard_compatible=False
                )
    except TimeoutError:
        raise ProbeTimeout(
            f"{host}:{port}: timeout, no TLS handshake within {ctx.request_timeout_s:g}s"
        ) from None
    except ssl.SSLCertVerificationError as exc:
        reason = f"{host}:{port}: {describe_certificate_error(exc)}"
        ctx.log(reason)
        raise ConnectFailed(reason) from None
    except (OSError, ssl.SSLError) as exc:
        via = f" (through the proxy {proxy.where})" if proxy is not None else ""
        reason = f"{host}:{port}: {type(exc).__name__}: {exc}{via}"
        ctx.log(reason)
        raise ConnectFailed(reason) from None
    except ProxyRefused as exc:
        reason = f"{host}:{port}: {exc}"
        ctx.log(reason)
        raise ConnectFailed(reason) from None
    async with stream:
        cert = stream.extra(TLSAttribute.peer_certificate)
    if not cert:
        raise CheckFailed(f"{host}:{port}: no certificate presented")
    expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(str(cert["notAfter"])), UTC)
    days = (expires - datetime.now(UTC)).total_seconds() / 86400
    ctx.log(
        f"{host}:{port}: handshake in {(time.monotonic() - started) * 1000:.0f} ms; "
        f"subject {_name(cert.get('subject', ()))}; issuer {_name(cert.get('issuer', ()))}; "
        f"expires {expires:%Y-%m-%d %H:%M}Z ({days:.1f} days)"
    )
    ctx.details["certificate"] = {
        "host": host,
        "expires": expires.isoformat(),
        "days_left": round(days, 1),
    }
    if days < min_days:
        raise CheckFailed(
            f"{host}: certificate expires in {days:.1f} days (at least {min_days} required)"
        )
    return f"certificate valid for {days:.0f} more days"
