"""`cutover-probe plan`: what would run and what would be skipped, and why; no network."""

from __future__ import annotations

import os
from pathlib import Path

import asyncclick as click

from cutover_probe.boundary import boundary
from cutover_probe.commands.options import config_options, config_path, repo_path, selection_options


@click.command("plan")
@config_options
@selection_options
@boundary
async def command(
    config: Path | None,
    repo_root: Path | None,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    environment: str | None,
    shard: str | None,
) -> int:
    """Print what would run and what would be skipped, and why. Touches no network."""
    from cutover_probe.commands.run import selection
    from cutover_probe.config import load_matrix
    from cutover_probe.planning import Selection, build_plan, render_plan

    environ = dict(os.environ)
    chosen = selection(only, skip, environment, shard, environ)
    assert isinstance(chosen, Selection)
    matrix = load_matrix(config_path(config))
    built = build_plan(matrix, environ, repo_path(repo_root), chosen)
    click.echo(render_plan(built), nl=False)
    return 0
