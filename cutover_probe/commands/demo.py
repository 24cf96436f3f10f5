"""`cutover-probe demo`: the matrix against the simulated fleet on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import asyncclick as click

from cutover_probe.boundary import boundary
from cutover_probe.commands.options import FiniteFloat
from cutover_probe.errors import UsageError


@click.command("demo")
@click.option(
    "--scenario",
    default="healthy",
    show_default=True,
    help="Which simulated fleet to run against (see --list-scenarios).",
)
@click.option("--list-scenarios", is_flag=True, help="List the scenarios and exit.")
@click.option(
    "--latency-ms",
    type=FiniteFloat(0, 600_000),
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
@click.option("-q", "--quiet", is_flag=True, help="Print only the verdict.")
@boundary
async def command(
    scenario: str,
    list_scenarios: bool,
    latency_ms: float | None,
    output_dir: Path | None,
    gate: bool | None,
    all_lanes: bool,
    quiet: bool,
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
        scenario,
        latency_ms=latency_ms,
        output_dir=output_dir,
        gate=gate,
        lanes=lanes,
        quiet=quiet,
    )
    return summary.verdict.exit_code
