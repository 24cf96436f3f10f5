"""The transport under every Google client library call: a total deadline and a size cap.

requests' ``timeout=`` bounds each socket read, not an answer: a body trickled a byte every few
seconds never times out, a gzip body inflates as far as it likes (1 MiB on the wire became
1 GiB in memory), and a list call pages for as long as the server hands out page tokens.
`BoundedAdapter` is mounted on every requests session the Google clients use (run_v2's REST
transports, Cloud Logging's, Cloud Storage's, the domain mapping reads) and reads each answer
itself, spending the `gcloud.Budget` of the call running in this thread:

- every request of the call counts (at most MAX_REQUESTS), and connect and each read wait at
  most what is left of the budget's time; the clock is checked between reads, each one socket
  read, so a trickle ends on time too;
- the body is decompressed here, gzip and deflate only (the only encodings asked for), with
  zlib's ``max_length``: never more than the bytes left of MAX_ANSWER_BYTES exist in memory,
  however far the stream would inflate, and one byte over fails the call by name;
- the socket being read is handed to the budget, so cancelling the call from the event loop
  shuts it and a blocked read returns at once.

requests also reads the proxy and CA-bundle variables again for every request
(`Session.merge_environment_settings`: two passes over the whole process environment, about a
quarter of a Google call's CPU); `environment_once` reads them once per host and session.

Each call runs in a thread of its own (`gcloud.in_thread`), whose budget is a thread-local; a
request from elsewhere (a library's own background request) gets a budget of its own. This
module imports requests: it is imported only in those threads, through `gcloud.library`.
"""

from __future__ import annotations

import socket
import threading
import zlib
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3.exceptions

from cutover_probe.probes.google import gcloud

# One socket read at most this much (before decompression).
_READ_BYTES = 64 * 1024
_INFLATE_BITS = {"gzip": 31, "x-gzip": 31, "deflate": 15}


class BoundedAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter, with each answer read under the call's budget (see the module)."""

    def __init__(self, api: gcloud.Api) -> None:
        # As many pooled connections as calls may run at once: with requests' default of 10,
        # the 11th concurrent call's connection was closed when handed back, and every call
        # after it connected anew.
        super().__init__(pool_maxsize=gcloud.MAX_CONCURRENT_CALLS)
        self.api: gcloud.Api = api

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        budget = gcloud.current_budget() or gcloud.Budget(self.api, gcloud.CALL_TIMEOUT_S)
        left = budget.start_request()
        request.headers["Accept-Encoding"] = "gzip, deflate"
        try:
            response = super().send(
                request,
                stream=True,
                timeout=(left, left),
                verify=verify,
                cert=cert,
                proxies=dict(proxies) if proxies else None,
            )
        except requests.exceptions.Timeout:
            raise gcloud.OutOfTime(budget.out_of_time()) from None
        except requests.exceptions.ConnectionError:
            budget.check()  # a connection shut by `cancel` is the budget's doing
            raise
        try:
            body = _read(response, budget)
        except BaseException:
            response.close()  # the connection never goes back to the pool half read
            raise
        finally:
            budget.reading(None)
        response._content = body
        response._content_consumed = True
        response.raw.release_conn()
        return response


def environment_once(merge: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """``Session.merge_environment_settings`` answered from what it answered the first time
    for the same scheme and host and the same arguments: the environment it reads (the proxy
    variables with NO_PROXY, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE) does not change during a run,
    and it was read in full for every request. A copy each time: requests may change it."""
    known: dict[tuple[Any, ...], dict[str, Any]] = {}
    lock = threading.Lock()

    def merged(
        url: str, proxies: Mapping[str, str] | None, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        parts = urlsplit(url)
        key = (
            parts.scheme,
            parts.netloc,
            tuple(sorted(proxies.items())) if proxies else None,
            stream,
            verify if isinstance(verify, bool | str | None) else id(verify),
            cert if isinstance(cert, str | tuple | None) else id(cert),
        )
        with lock:
            settings = known.get(key)
        if settings is None:
            settings = merge(url, proxies, stream, verify, cert)
            with lock:
                known[key] = settings
        return {**settings, "proxies": dict(settings["proxies"])}

    return merged


def _read(response: requests.Response, budget: gcloud.Budget) -> bytes:
    raw = response.raw
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    inflate = None
    if encoding in _INFLATE_BITS:
        inflate = zlib.decompressobj(_INFLATE_BITS[encoding])
    elif encoding not in ("", "identity"):
        raise gcloud.AnswerRefused(
            f"{budget.name} answered in Content-Encoding {encoding[:40]!r}, which was not asked for"
        )
    parts: list[bytes] = []
    while True:
        left = budget.check()
        # Asked again before every read: urllib3 hands the connection back to the pool as soon
        # as the last byte is in (closing it when the pool is full), so a socket held from the
        # first read could be closed (EBADF on settimeout: one Cloud Logging check in ten
        # failed at 100 environments) or another call's by the time `cancel` shut it.
        sock = _socket(raw)
        budget.reading(sock)
        if sock is not None:
            sock.settimeout(left)
        try:
            wire = raw.read1(_READ_BYTES, decode_content=False)
        except (urllib3.exceptions.ReadTimeoutError, TimeoutError):
            raise gcloud.OutOfTime(budget.out_of_time()) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            budget.check()
            raise gcloud.AnswerRefused(
                f"{budget.name}: connection broken before the answer was complete "
                f"({type(exc).__name__})"
            ) from None
        if not wire:
            break
        parts.append(_spend(budget, encoding, wire, inflate))
    if inflate is not None:
        parts.append(_spend(budget, encoding, b"", inflate, final=True))
    return b"".join(parts)


def _spend(
    budget: gcloud.Budget, encoding: str, wire: bytes, inflate: Any, *, final: bool = False
) -> bytes:
    """The decoded bytes of ``wire``, counted against the budget: at most one byte past the
    room left is ever inflated, and that byte fails the call."""
    room = budget.room()
    if inflate is None:
        data = wire
    else:
        try:
            # max_length: zlib stops there and keeps the rest of the input unread.
            data = inflate.flush() if final else inflate.decompress(wire, room + 1)
        except zlib.error:
            raise gcloud.AnswerRefused(f"{budget.name} answer is not valid {encoding}") from None
    if len(data) > room:
        raise budget.too_large()
    budget.received += len(data)
    return data


def _socket(raw: Any) -> socket.socket | None:
    """The socket under an urllib3 response, to bound each read by the budget's time left."""
    connection = getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    return sock if isinstance(sock, socket.socket) else None
