"""The error boundary (pre-commit's error handler): what escapes a command becomes an exit code.

0 GO or baseline, 1 NO-GO, 2 bad usage/config/environment, 130 interrupted, 3 an internal error
(with a redacted traceback file, never a secret on the terminal), 4 the run finished but an
artifact (named on stderr) could not be written. The CLI group and every command
import this module; it imports none of them.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Awaitable, Callable
from typing import ParamSpec

import asyncclick as click

from cutover_probe.errors import ReportIncomplete, UsageError

P = ParamSpec("P")
EXIT_CRASH = 3
EXIT_REPORT_INCOMPLETE = 4


def boundary(command: Callable[P, Awaitable[int]]) -> Callable[P, Awaitable[None]]:
    @functools.wraps(command)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            code = await command(*args, **kwargs)
        except UsageError as exc:
            from cutover_probe.text import visible

            # The message may quote the input (a TOML key, a report's field): shown, not obeyed.
            click.echo(f"cutover-probe: error: {visible(str(exc))}", err=True)
            code = 2
        except ReportIncomplete as exc:
            for artifact, why in exc.failed:
                click.echo(f"cutover-probe: error: {artifact} not written: {why}", err=True)
            click.echo(
                "cutover-probe: the verdict above stands; every other artifact was written",
                err=True,
            )
            code = EXIT_REPORT_INCOMPLETE
        except KeyboardInterrupt:
            click.echo("cutover-probe: interrupted", err=True)
            code = 130
        except Exception:
            import tempfile  # only here: every command imports this module (start-up)
            import traceback

            from cutover_probe.diagnostics import redact

            fd, path = tempfile.mkstemp(prefix="cutover-probe-crash-", suffix=".log")
            with os.fdopen(fd, "w") as handle:
                handle.write(redact(traceback.format_exc()))
            exc_type = sys.exc_info()[0]
            name = exc_type.__name__ if exc_type else "error"
            click.echo(
                f"cutover-probe: internal error ({name}); traceback written to {path}", err=True
            )
            code = EXIT_CRASH
        sys.exit(code)

    return wrapper
