"""`cutover-probe run`: the whole matrix (or a selection, or a shard) and its report."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import asyncclick as click

from cutover_probe.boundary import boundary
from cutover_probe.commands.options import (
    FiniteFloat,
    config_options,
    config_path,
    log_options,
    network_options,
    repo_path,
    selection_options,
)

if TYPE_CHECKING:
    from cutover_probe.planning import Selection
    from cutover_probe.workflow import RunRequest

# Checks in flight at once unless --max-parallel says otherwise. A matrix of a thousand
# environments is ten thousand checks: all at once, most would spend their deadline queued for
# one of --connection-limit connections (and the process would hold every one's evidence at
# the same time); 256 keeps the connections busy and the waiting outside the deadlines.
DEFAULT_MAX_PARALLEL = 256


def selection(
    only: tuple[str, ...],
    skip: tuple[str, ...],
    environment: str | None,
    shard: str | None,
    environ: dict[str, str],
) -> Selection:
    from cutover_probe.planning import Selection, parse_shard, shard_from_environment

    return Selection(
        only=only,
        skip=skip,
        environment=environment,
        shard=parse_shard(shard) if shard else shard_from_environment(environ),
    )


@click.command("run")
@config_options
@selection_options
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Report directory (overrides OUTPUT_DIR).",
)
@click.option(
    "--junit",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write JUnit XML here (one testcase per check).",
)
@click.option("--fail-fast", is_flag=True, help="Cancel the rest at the first required failure.")
@click.option(
    "--compare-to",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="An earlier report for report.html's 'what changed' (default: the newest report "
    "beside this one).",
)
@click.option(
    "--request-timeout",
    type=FiniteFloat(0.1, 3600),
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
@click.option(
    "--connection-limit",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Concurrent connections in all.",
)
@click.option(
    "--max-parallel",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_PARALLEL,
    show_default=True,
    help="Checks running at once; the rest wait to start, their deadlines not yet running "
    "(1 runs them one after another).",
)
@click.option("-v", "--verbose", is_flag=True, help="Stream every evidence line as it happens.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the verdict.")
@network_options
@log_options
@boundary
async def command(
    config: Path | None,
    repo_root: Path | None,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    environment: str | None,
    shard: str | None,
    output_dir: Path | None,
    junit: Path | None,
    fail_fast: bool,
    compare_to: Path | None,
    request_timeout: float,
    per_host_limit: int,
    connection_limit: int,
    max_parallel: int | None,
    verbose: bool,
    quiet: bool,
    ca_bundle: Path | None,
    resolve: tuple[str, ...],
    log_level: str,
    log_format: str,
) -> int:
    """Run the matrix against staging and production and write the report.

    When GITHUB_STEP_SUMMARY is set, the verdict and a table of checks are appended to it.
    """
    from cutover_probe import diagnostics
    from cutover_probe.workflow import run_matrix

    diagnostics.configure(log_level, log_format)
    environ = dict(os.environ)
    request = run_request(
        config_path(config),
        repo_path(repo_root),
        environ,
        only=only,
        skip=skip,
        environment=environment,
        shard=shard,
        output_dir=output_dir,
        junit=junit,
        fail_fast=fail_fast,
        compare_to=compare_to,
        request_timeout=request_timeout,
        per_host_limit=per_host_limit,
        connection_limit=connection_limit,
        max_parallel=max_parallel,
        verbose=verbose,
        quiet=quiet,
        ca_bundle=ca_bundle,
        resolve=resolve,
        handle_signals=True,
    )
    summary = await run_matrix(request)
    return summary.verdict.exit_code


def run_request(
    config: Path,
    repo_root: Path,
    environ: dict[str, str],
    *,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    environment: str | None,
    shard: str | None,
    output_dir: Path | None,
    junit: Path | None,
    fail_fast: bool,
    compare_to: Path | None,
    request_timeout: float,
    per_host_limit: int,
    connection_limit: int,
    max_parallel: int | None,
    verbose: bool,
    quiet: bool,
    ca_bundle: Path | None,
    resolve: tuple[str, ...],
    handle_signals: bool,
) -> RunRequest:
    """What `run`'s options ask for, as the workflow's request; `watch` takes the same options."""
    from cutover_probe.engine import RunSettings
    from cutover_probe.workflow import Outputs, RunRequest, step_summary_path

    return RunRequest(
        config=config,
        repo_root=repo_root,
        environ=environ,
        output_dir=output_dir,
        settings=RunSettings(
            request_timeout_s=request_timeout,
            per_host_limit=per_host_limit,
            total_limit=connection_limit,
            max_parallel_checks=max_parallel,
            handle_signals=handle_signals,
            fail_fast=fail_fast,
            ca_bundle=ca_bundle,
            resolve=resolve_table(resolve),
        ),
        show_lines=verbose,
        selection=selection(only, skip, environment, shard, environ),
        outputs=Outputs(junit=junit, step_summary=step_summary_path(environ)),
        quiet=quiet,
        compare_to=compare_to,
    )


def resolve_table(values: tuple[str, ...]) -> dict[str, str]:
    """resolver.py imports aiohttp (~0.15 s): only for --resolve, so that a run (or a quick)
    refused for a bad environment value (exit 2) never pays for it."""
    if not values:
        return {}
    from cutover_probe.resolver import parse_resolve

    return parse_resolve(values)
