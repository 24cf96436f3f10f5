"""The command line. One boundary maps what went wrong to exit codes (pre-commit's error
handler): 0 GO or baseline, 1 NO-GO, 2 bad usage/config/environment, 130 interrupted (by SIGINT,
SIGTERM or SIGHUP, see interrupts.py), 3 an internal error (with a redacted traceback file, never
a secret on the terminal).

Each command lives in its own module under `commands/`. Start-up matters (`--help` must be
instant), so heavy modules load inside the commands, never here.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import tempfile
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import ParamSpec

import asyncclick as click

from cutover_probe import __version__, interrupts
from cutover_probe.errors import UsageError

P = ParamSpec("P")
EXIT_CRASH = 3


def boundary(command: Callable[P, Awaitable[int]]) -> Callable[P, Awaitable[None]]:
    @functools.wraps(command)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            code = await command(*args, **kwargs)
        except UsageError as exc:
            click.echo(f"cutover-probe: error: {exc}", err=True)
            code = 2
        except KeyboardInterrupt:
            click.echo("cutover-probe: interrupted", err=True)
            code = 130
        except Exception:
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


Decorator = Callable[[Callable[P, Awaitable[None]]], Callable[P, Awaitable[None]]]


def apply(
    *options: Callable[..., object],
) -> Callable[[Callable[P, Awaitable[None]]], Callable[P, Awaitable[None]]]:
    def decorate(command: Callable[P, Awaitable[None]]) -> Callable[P, Awaitable[None]]:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


config_options = apply(
    click.option(
        "--config",
        "config",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="Matrix file (TOML). Default: the shipped configs/openagents.toml.",
    ),
    click.option(
        "--repo-root",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="The OpenAgents repository the subprocess lanes run in. Default: the current "
        "directory.",
    ),
)

selection_options = apply(
    click.option("--only", multiple=True, metavar="GLOB", help="Run only checks whose id matches."),
    click.option(
        "--skip", multiple=True, metavar="GLOB", help="Leave out checks whose id matches."
    ),
    click.option(
        "--env",
        "environment",
        type=click.Choice(["staging", "prod"]),
        default=None,
        help="Run only the checks of one environment.",
    ),
    click.option(
        "--shard",
        default=None,
        metavar="K/N",
        help="Run shard K of N (check i goes to shard i mod N + 1). Default: from "
        "CLOUD_RUN_TASK_INDEX/CLOUD_RUN_TASK_COUNT.",
    ),
)

network_options = apply(
    click.option(
        "--ca-bundle",
        type=click.Path(path_type=Path, dir_okay=False, exists=True),
        default=None,
        help="Also trust the CAs in this PEM file (private CAs). Verification is always on.",
    ),
    click.option(
        "--resolve",
        multiple=True,
        metavar="HOST:ADDRESS",
        help="Send HOST's requests to ADDRESS, like curl's --resolve (HOST: fails its lookup).",
    ),
)

log_options = apply(
    click.option(
        "--log-level",
        type=click.Choice(["debug", "info", "warning", "error"]),
        default="warning",
        show_default=True,
        help="Diagnostic log level on stderr (evidence always goes to the report).",
    ),
    click.option(
        "--log-format",
        type=click.Choice(["console", "json"]),
        default="console",
        show_default=True,
        help="Diagnostic log format on stderr; json has a Cloud Logging severity field.",
    ),
)


def config_path(config: Path | None) -> Path:
    from cutover_probe.config import default_config_path

    return config if config is not None else default_config_path()


def repo_path(repo_root: Path | None) -> Path:
    return (repo_root or Path.cwd()).resolve()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cutover-probe")
async def cli() -> None:
    """Release gate for the Rust staging/production cutover: runs the validation matrix's
    checks concurrently and writes results.tsv, SUMMARY.md and results.json.

    Exit codes: 0 go (or baseline capture), 1 no-go, 2 bad usage or config, 3 internal error,
    130 interrupted (SIGINT, SIGTERM or SIGHUP: the report is still written; a second signal
    kills the lanes at once).
    """


def main() -> None:
    interrupts.install()
    try:
        cli(prog_name="cutover-probe")
        code = 0
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    leave(interrupts.exit_code(code))


def leave(code: int) -> None:
    """Flush and exit now, skipping the interpreter's shutdown.

    Everything we write is closed by then (the report's files, the crash log). What remains are
    daemon threads still blocked in a Google call or its import, abandoned at a deadline or an
    interrupt: with them alive, the interpreter's finalisation took another 0.5-1.6 s after the
    report on a 2-core machine (it waits for the GIL they hold in C code), and Ctrl-C is meant
    to end the run within 0.5 s.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


# Last, so that the command modules find everything above when they import this one.
from cutover_probe.commands import register  # noqa: E402

register(cli)
