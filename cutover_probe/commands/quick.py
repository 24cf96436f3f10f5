"""`cutover-probe quick`: is every service ready right now? One compact table, exit 0 or 1."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import asyncclick as click

from cutover_probe.boundary import boundary
from cutover_probe.commands.options import (
    FiniteFloat,
    config_options,
    config_path,
    network_options,
    repo_path,
)


@click.command("quick")
@config_options
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Also write a report there (none by default).",
)
@click.option(
    "--request-timeout",
    type=FiniteFloat(0.1, 3600),
    default=5.0,
    show_default=True,
    help="Seconds one request may take.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="A service that could not be checked (URL unset, no credentials) is a NO-GO, exit 1.",
)
@network_options
@boundary
async def command(
    config: Path | None,
    repo_root: Path | None,
    output_dir: Path | None,
    request_timeout: float,
    strict: bool,
    ca_bundle: Path | None,
    resolve: tuple[str, ...],
) -> int:
    """Health and readiness of every control and runtime service in both environments (and,
    with Google credentials, each Cloud Run service's latest revision).

    A service whose URL or credentials are missing is 'not checked' (in the table, the summary
    line and the report). Exit 0 when everything checked is ready, 1 when something checked is
    not (or, with --strict, when something could not be checked), 130 interrupted."""
    from cutover_probe.commands.run import resolve_table
    from cutover_probe.config import load_matrix
    from cutover_probe.engine import RunSettings
    from cutover_probe.quick import run_quick

    return await run_quick(
        load_matrix(config_path(config)),
        dict(os.environ),
        repo_path(repo_root),
        sys.stdout,
        settings=RunSettings(
            request_timeout_s=request_timeout,
            handle_signals=True,
            ca_bundle=ca_bundle,
            resolve=resolve_table(resolve),
        ),
        output_dir=output_dir,
        strict=strict,
    )
