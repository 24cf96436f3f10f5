"""`cutover-probe merge`: partial reports of shards into the report of one whole run."""

from __future__ import annotations

import os
from pathlib import Path

import asyncclick as click

from cutover_probe.boundary import boundary


@click.command("merge")
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Where the merged report goes (a new or empty directory).",
)
@click.option(
    "--junit",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write JUnit XML of the merged run here.",
)
@click.option(
    "--compare-to",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="An earlier report for report.html's 'what changed'.",
)
@click.argument("reports", nargs=-1, type=click.Path(path_type=Path, file_okay=False, exists=True))
@boundary
async def command(
    output_dir: Path, junit: Path | None, compare_to: Path | None, reports: tuple[Path, ...]
) -> int:
    """Merge the report directories of shards 1..N. The gate is computed on the merged set and
    the exit code follows it; a missing or duplicated shard is an error naming it."""
    from cutover_probe.workflow import Outputs, merge_reports, step_summary_path

    environ = dict(os.environ)
    doc = merge_reports(
        list(reports),
        output_dir,
        Outputs(junit=junit, step_summary=step_summary_path(environ)),
        environ,
        compare_to=compare_to,
    )
    code: int = doc.verdict.exit_code
    return code
