"""What a probe is handed: the shared HTTP session, the redactor, and its own evidence log.

Like httpx's transports, everything a probe touches outside itself comes through here, so tests
and the demo swap what is behind it (a simulated fleet, a fake toolchain) without monkeypatching.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cutover_probe.secrets import Redactor

if TYPE_CHECKING:  # ssl costs ~15 ms to import: `plan` builds contexts without it
    import ssl

    import aiohttp

BODY_CAP_BYTES = 1024 * 1024


@dataclass
class ProbeContext:
    check_id: str
    redactor: Redactor
    repo_root: Path
    environ: Mapping[str, str]
    session: aiohttp.ClientSession | None = None
    request_timeout_s: float = 10.0
    body_cap_bytes: int = BODY_CAP_BYTES
    on_line: Callable[[str, str], None] | None = None  # live streaming (check id, line)
    evidence: list[str] = field(default_factory=list)
    attempts: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    deadline: float | None = None  # monotonic time by which the check must have its verdict
    ssl_context: ssl.SSLContext | None = None  # the run's trust store (--ca-bundle)
    resolve: Mapping[str, str] = field(default_factory=dict)  # --resolve HOST:ADDRESS
    # Where lanes stream their full output (the report makes it logs/<check>.log); None: no
    # report is written, the output is kept only as the evidence's excerpt.
    spool_dir: Path | None = None

    def log(self, line: str) -> None:
        """Append one evidence line; redacted now, so nothing unredacted is ever held for output."""
        for part in line.splitlines() or [""]:
            clean = self.redactor(part)
            self.evidence.append(clean)
            if self.on_line is not None:
                self.on_line(self.check_id, clean)

    def learn_secret(self, value: str) -> None:
        """A value a server handed back (a sync token) that must be masked from now on."""
        self.redactor.add(value)
