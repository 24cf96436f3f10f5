"""``--resolve HOST:ADDRESS``, curl's option: send a host's requests to a chosen address.

For probing a new deployment before DNS points at it (a custom domain at the new load
balancer's address), and for tests: ``HOST:`` with no address makes the host unresolvable, so a
DNS failure can be shown without asking any real DNS server.

It sits beside the engine, not among the probes: it is part of the one aiohttp session the
engine opens for a run (with the trust store and the connection limits), and the commands parse
``--resolve`` with it; no probe imports it.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver


class StaticResolver(AbstractResolver):
    def __init__(self, table: Mapping[str, str]) -> None:
        self._table = dict(table)
        self._fallback = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host not in self._table:
            return await self._fallback.resolve(host, port, family)
        address = self._table[host]
        if not address:
            raise OSError(socket.EAI_NONAME, f"{host}: no such host (--resolve {host}:)")
        ip_family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": ip_family,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        await self._fallback.close()


def parse_resolve(values: tuple[str, ...]) -> dict[str, str]:
    table: dict[str, str] = {}
    for value in values:
        host, sep, address = value.partition(":")
        if not sep or not host:
            from cutover_probe.errors import UsageError

            raise UsageError(f"--resolve {value!r}: expected HOST:ADDRESS (or HOST: to fail DNS)")
        table[host.lower()] = address
    return table
