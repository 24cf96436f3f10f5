"""HTTP_PROXY, HTTPS_PROXY and NO_PROXY, read as curl reads them, for every HTTP probe.

Corporate CI runners reach the internet only through a proxy, and the seed's curl and reqwest
clients used it. The proxy is chosen from the run's environment (the mapping the engine is
given, not this process's), per request URL: ``https_proxy``/``HTTPS_PROXY`` for https,
``http_proxy``/``HTTP_PROXY`` for http (lower case first, as curl), else ``all_proxy``/
``ALL_PROXY``. ``no_proxy``/``NO_PROXY`` lists hosts that go direct: ``*`` (all), a host name
(matching it and its subdomains; a leading ``.`` is allowed), an IP address or CIDR block, each
optionally with ``:port``. Nothing is bypassed by default, not even ``localhost``: a proxy that
should not see local traffic has to be told with NO_PROXY, as with curl.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class Proxy:
    url: str  # scheme://host:port, without credentials
    host: str
    port: int
    authorization: str | None  # a Proxy-Authorization value, from user:password in the URL

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def _variable(environ: Mapping[str, str], name: str) -> str:
    return (environ.get(name.lower()) or environ.get(name.upper()) or "").strip()


def proxy_for(url: str, environ: Mapping[str, str]) -> Proxy | None:
    """The proxy a request to ``url`` goes through, or None to connect directly."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    raw = _variable(environ, f"{scheme}_proxy") or _variable(environ, "all_proxy")
    if not raw:
        return None
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        return None
    if bypassed(parts.hostname, port, _variable(environ, "no_proxy")):
        return None
    return parse_proxy(raw)


def parse_proxy(raw: str) -> Proxy | None:
    """A proxy URL; a bare ``host:port`` is http://, as curl takes it."""
    parts = urlsplit(raw if "://" in raw else f"http://{raw}")
    if not parts.hostname:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 1080)
    except ValueError:
        return None
    authorization = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return Proxy(f"{parts.scheme}://{host}:{port}", parts.hostname, port, authorization)


def bypassed(host: str, port: int, no_proxy: str) -> bool:
    host = host.lower().strip("[]").rstrip(".")
    for entry in (item.strip().lower() for item in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        name, wanted_port = _split_port(entry)
        if wanted_port is not None and wanted_port != port:
            continue
        if _address_match(host, name):
            return True
        name = name.lstrip(".").rstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def _split_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):  # [::1]:8080
        address, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return address, int(port) if port.isdigit() else None
    if entry.count(":") == 1:
        name, _, port = entry.partition(":")
        return name, int(port) if port.isdigit() else None
    return entry, None


def _address_match(host: str, entry: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
        network = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
    return address in network
