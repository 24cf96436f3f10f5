"""Diagnostic logs (what the engine is doing, for the person debugging a run) via structlog.

Kept apart from the evidence: evidence goes to the report, diagnostics go to stderr, off by
default (level warning). Every string field of an event is redacted and then made `visible`
before it is rendered (a server's text in a field cannot move the cursor, and a secret is masked
before JSON escapes it), and every rendered line passes the run's redactor again last, which
also knows a secret's JSON-escaped spellings. ``json`` emits one object per
line with a ``severity`` field that Cloud Logging reads.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

from cutover_probe.model import Outcome, PlannedCheck, Status
from cutover_probe.secrets import Redactor
from cutover_probe.text import visible

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}
_redactor = Redactor()
_level = LEVELS["warning"]
_format = "console"


def redact(text: str) -> str:
    """The current run's redaction, for the few outputs that are not the run's own."""
    return _redactor(text)


def use_redactor(redactor: Redactor) -> None:
    global _redactor
    _redactor = redactor


def _severity(_: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    event["severity"] = method.upper()
    return event


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return visible(_redactor(value))
    if isinstance(value, int | float | bool) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(key): _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return visible(_redactor(str(value)))


def _fields(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Values only: the keys are our own field names."""
    for key, value in event.items():
        if key in ("exc_info", "stack_info"):
            continue  # the renderer formats these; the rendered line is redacted last
        event[key] = _clean(value)
    return event


def _redact(_: Any, __: str, rendered: Any) -> Any:
    return _redactor(rendered) if isinstance(rendered, str) else rendered


class _Stderr:
    """stderr that a closed pipe cannot turn into a crash: diagnostics are never worth a run."""

    def write(self, text: str) -> int:
        try:
            return sys.stderr.write(text)
        except (BrokenPipeError, ValueError):
            return 0

    def flush(self) -> None:
        try:
            sys.stderr.flush()
        except (BrokenPipeError, ValueError):
            return


def configure(level: str = "warning", fmt: str = "console") -> None:
    global _level, _format
    _level = LEVELS[level]
    _format = fmt
    if _level > LEVELS["info"] and fmt == "console":
        return  # structlog (~60 ms to import) loads only when something would be printed
    configure_structlog(level, fmt)


def configure_structlog(level: str, fmt: str) -> None:
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
            _fields,
            renderer,
            _redact,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(file=_Stderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )


class _Quiet:
    """Stands in for a logger while only warnings and errors would print: debug and info cost
    nothing, and structlog is imported the first time something is worth printing."""

    def bind(self, **_: Any) -> _Quiet:
        return self

    def debug(self, *_: Any, **__: Any) -> None:
        return None

    info = debug

    def warning(self, event: str, **fields: Any) -> None:
        _structlog().warning(event, **fields)

    def error(self, event: str, **fields: Any) -> None:
        _structlog().error(event, **fields)


def _structlog() -> Any:
    import structlog

    if not structlog.is_configured():
        level = next(name for name, value in LEVELS.items() if value == _level)
        configure_structlog(level, "console")
    return structlog.get_logger("cutover_probe")


def logger() -> Any:
    if _level > LEVELS["info"]:
        return _Quiet()
    return _structlog()


def check_finished(planned: PlannedCheck, outcome: Outcome) -> None:
    """A failed check, when diagnostics were asked for (``--log-format json`` or a level of
    info or below): a required one at ``error`` (it blocks the gate), an optional one at
    ``warning``. Not by default: the terminal already shows it, and a stderr line would tear
    the live table."""
    if outcome.status is not Status.FAILED or not _asked_for():
        return
    log = logger()
    emit = log.error if planned.check.required else log.warning
    emit(
        "check.failed",
        check=planned.id,
        required=planned.check.required,
        reason=outcome.reason,
        duration_ms=round(outcome.duration_ms, 1),
    )


def run_finished(**fields: Any) -> None:
    """The last event of a run: its verdict, counts and exit code. Always written with
    ``--log-format json`` (whatever the level: a log pipeline needs the outcome), else at
    ``info``; severity ERROR for a NO-GO, WARNING for an interrupted run, else INFO."""
    if not _asked_for():
        return
    import structlog

    label = fields.get("verdict")
    method = {"NO-GO": "error", "INTERRUPTED": "warning"}.get(str(label), "info")
    if not structlog.is_configured():
        configure_structlog(next(n for n, v in LEVELS.items() if v == _level), _format)
    # Bound to level debug: this one event passes whatever --log-level filters out.
    config = structlog.get_config()
    finished = structlog.wrap_logger(
        config["logger_factory"](),
        processors=config["processors"],
        wrapper_class=structlog.make_filtering_bound_logger(LEVELS["debug"]),
    )
    getattr(finished, method)("run.finished", **fields)


def _asked_for() -> bool:
    return _format == "json" or _level <= LEVELS["info"]
