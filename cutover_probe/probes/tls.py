"""The ``tls-certificate`` kind: how many days the served certificate has left.

Verification stays on (the run's trust store: the system's, plus ``--ca-bundle``), so an
expired, mismatched or self-signed certificate fails with that cause named; a valid one fails
when it expires within ``min_days``. A custom domain whose certificate is still being
provisioned shows up here first: its handshake fails, or it serves a placeholder.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import anyio
from anyio.streams.tls import TLSAttribute

from cutover_probe.errors import CheckFailed, ConnectFailed, ProbeTimeout
from cutover_probe.probes.context import ProbeContext
from cutover_probe.probes.http import describe_certificate_error


def _name(parts: Any) -> str:
    return ", ".join(f"{k}={v}" for rdn in parts for k, v in rdn)


async def run(ctx: ProbeContext, params: Mapping[str, Any]) -> str | None:
    url = urlsplit(params["url"])
    host = url.hostname or ""
    port = url.port or 443
    min_days = int(params["min_days"])
    context = ctx.ssl_context or ssl.create_default_context()
    address = ctx.resolve.get(host, host)
    if address == "":
        raise ConnectFailed(f"{host}: DNS lookup failed for {host}")
    ctx.attempts += 1
    started = time.monotonic()
    try:
        with anyio.fail_after(ctx.request_timeout_s):
            stream = await anyio.connect_tcp(
                address, port, tls=True, ssl_context=context, tls_hostname=host
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
        reason = f"{host}:{port}: {type(exc).__name__}: {exc}"
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
