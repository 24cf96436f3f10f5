"""Diagnostic logs (what the engine is doing, for the person debugging a run) via structlog.

Kept apart from the evidence: evidence goes to the report, diagnostics go to stderr, off by
default (level warning). Every rendered line passes the run's redactor last, so a secret that
slips into an event's fields is masked like in every other output. ``json`` emits one object per
line with a ``severity`` field that Cloud Logging reads.
"""

from __future__ import annotations

import sys
from collections.abc import MutableMapping
from typing import Any

from cutover_probe.secrets import Redactor

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}
_redactor = Redactor()


def redact(text: str) -> str:
    """The current run's redaction, for the few outputs that are not the run's own."""
    return _redactor(text)


def use_redactor(redactor: Redactor) -> None:
    global _redactor
    _redactor = redactor


def _severity(_: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    event["severity"] = method.upper()
    return event


def _redact(_: Any, __: str, rendered: Any) -> Any:
    return _redactor(rendered) if isinstance(rendered, str) else rendered


def configure(level: str = "warning", fmt: str = "console") -> None:
    import structlog

    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _severity,
            renderer,
            _redact,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def logger() -> Any:
    import structlog

    if not structlog.is_configured():
        configure()  # quiet by default: a library caller gets warnings only, on stderr
    return structlog.get_logger("cutover_probe")
