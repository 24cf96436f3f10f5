"""The command line: `run`, `plan`, `demo`. One boundary maps what went wrong to exit codes
(pre-commit's error handler): 0 GO or baseline, 1 NO-GO, 2 bad usage/config/environment,
130 interrupted, 3 an internal error (with a traceback file, never a secret on the terminal).

Start-up matters (`--help` must be instant), so the heavy modules load inside the commands.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import ParamSpec

import asyncclick as click

from cutover_probe import __version__
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


def _common_options(command: Callable[P, Awaitable[None]]) -> Callable[P, Awaitable[None]]:
    options = [
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
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _log_options(command: Callable[P, Awaitable[None]]) -> Callable[P, Awaitable[None]]:
    command = click.option(
        "--log-format",
        type=click.Choice(["console", "json"]),
        default="console",
        show_default=True,
        help="Diagnostic log format on stderr; json has a Cloud Logging severity field.",
    )(command)
    return click.option(
        "--log-level",
        type=click.Choice(["debug", "info", "warning", "error"]),
        default="warning",
        show_default=True,
        help="Diagnostic log level on stderr (evidence always goes to the report).",
    )(command)


def _config_path(config: Path | None) -> Path:
    from cutover_probe.config import default_config_path

    return config if config is not None else default_config_path()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cutover-probe")
async def cli() -> None:
    """Release gate for the Rust staging/production cutover: runs the validation matrix's
    checks concurrently and writes results.tsv, SUMMARY.md and results.json.

    Exit codes: 0 go (or baseline capture), 1 no-go, 2 bad usage or config, 130 interrupted.
    """


@cli.command()
@_common_options
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Report directory (overrides OUTPUT_DIR).",
)
@click.option(
    "--request-timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds one HTTP request may take.",
)
@click.option(
    "--per-host-limit",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Concurrent connections to one host.",
)
@click.option("-v", "--verbose", is_flag=True, help="Stream every evidence line as it happens.")
@_log_options
@boundary
async def run(
    config: Path | None,
    repo_root: Path | None,
    output_dir: Path | None,
    request_timeout: float,
    per_host_limit: int,
    verbose: bool,
    log_level: str,
    log_format: str,
) -> int:
    """Run the matrix against staging and production and write the report."""
    from cutover_probe import diagnostics
    from cutover_probe.engine import RunSettings

    diagnostics.configure(log_level, log_format)
    from cutover_probe.workflow import RunRequest, run_matrix

    request = RunRequest(
        config=_config_path(config),
        repo_root=(repo_root or Path.cwd()).resolve(),
        environ=dict(os.environ),
        output_dir=output_dir,
        settings=RunSettings(
            request_timeout_s=request_timeout,
            per_host_limit=per_host_limit,
            handle_signals=True,
        ),
        show_lines=verbose,
    )
    summary = await run_matrix(request)
    return summary.verdict.exit_code


@cli.command()
@_common_options
@boundary
async def plan(config: Path | None, repo_root: Path | None) -> int:
    """Print what would run and what would be skipped, and why. Touches no network."""
    from cutover_probe.config import load_matrix
    from cutover_probe.planning import build_plan
    from cutover_probe.workflow import render_plan

    matrix = load_matrix(_config_path(config))
    built = build_plan(matrix, dict(os.environ), (repo_root or Path.cwd()).resolve())
    click.echo(render_plan(built), nl=False)
    return 0


@cli.command()
@click.option(
    "--scenario",
    default="healthy",
    show_default=True,
    help="Which simulated fleet to run against (see --list-scenarios).",
)
@click.option("--list-scenarios", is_flag=True, help="List the scenarios and exit.")
@click.option(
    "--latency-ms",
    type=click.FloatRange(min=0),
    default=None,
    help="Add this much latency to every simulated request.",
)
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Report directory. Default: ./reports/demo/<scenario>-<UTC timestamp>.",
)
@click.option(
    "--gate/--baseline",
    default=None,
    help="Gating (exit 1 on a no-go, the default) or baseline capture (always exit 0).",
)
@click.option(
    "--all-lanes",
    is_flag=True,
    help="Also switch on the lanes that are off by default (HTMX, parity, backups, cross-surface).",
)
@boundary
async def demo(
    scenario: str,
    list_scenarios: bool,
    latency_ms: float | None,
    output_dir: Path | None,
    gate: bool | None,
    all_lanes: bool,
) -> int:
    """Start the simulated fleet on 127.0.0.1, point the matrix at it, run it, write the report.

    The healthy fleet is a GO (exit 0): every HTTP, subprocess and Google Cloud check passes
    against local fakes of the services and APIs. The broken scenarios show each lane failing
    for its reason, a NO-GO (exit 1).
    """
    from cutover_probe.demo import ALL_LANES, SCENARIO_NAMES, describe_scenarios, run_demo

    if list_scenarios:
        click.echo(describe_scenarios())
        return 0
    if scenario not in SCENARIO_NAMES:
        raise UsageError(f"unknown scenario {scenario!r} (one of: {', '.join(SCENARIO_NAMES)})")
    lanes = ALL_LANES if all_lanes else None
    summary = await run_demo(
        scenario, latency_ms=latency_ms, output_dir=output_dir, gate=gate, lanes=lanes
    )
    return summary.verdict.exit_code


def main() -> None:
    cli(prog_name="cutover-probe")
