"""One module per command (pre-commit's layout), each imported only when its command is asked for.

`cutover-probe --help` lists every command with a one-line summary. Importing the seven command
modules for that (and what they import: the error boundary, tempfile, the shared options) was a
sixth of `--help`'s time, so the group knows each command's summary here and imports a command's
module when that command runs or shows its own help (`plan` imports `commands/plan.py` alone).
tests/test_cli.py checks that each summary is the one its command's own help starts with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import asyncclick as click
from asyncclick.utils import make_default_short_help


@dataclass(frozen=True, eq=False)  # by identity: every start creates it (model.py says why)
class Entry:
    """A command as the group lists it: its loader and its one-line summary."""

    load: Callable[[], click.Command]
    summary: str  # the first sentence of the command's help: what `--help` lists


def _run() -> click.Command:
    from cutover_probe.commands import run

    return run.command


def _plan() -> click.Command:
    from cutover_probe.commands import plan

    return plan.command


def _quick() -> click.Command:
    from cutover_probe.commands import quick

    return quick.command


def _merge() -> click.Command:
    from cutover_probe.commands import merge

    return merge.command


def _diff() -> click.Command:
    from cutover_probe.commands import diff

    return diff.command


def _demo() -> click.Command:
    from cutover_probe.commands import demo

    return demo.command


def _watch() -> click.Command:
    from cutover_probe.commands import watch

    return watch.command


COMMANDS: dict[str, Entry] = {
    "run": Entry(_run, "Run the matrix against staging and production and write the report."),
    "plan": Entry(_plan, "Print what would run and what would be skipped, and why."),
    "quick": Entry(
        _quick,
        "Health and readiness of every control and runtime service in both environments (and, "
        "with Google credentials, each Cloud Run service's latest revision).",
    ),
    "merge": Entry(_merge, "Merge the report directories of shards 1..N."),
    "diff": Entry(
        _diff,
        "Compare two reports: what newly fails, newly passes, or fails for another reason.",
    ),
    "demo": Entry(
        _demo,
        "Start the simulated fleet on 127.0.0.1, point the matrix at it, run it, write the report.",
    ),
    "watch": Entry(
        _watch,
        "Run the matrix (or a selection) every --interval in one warm process and judge the "
        "iterations like an Argo Rollouts analysis.",
    ),
}


class LazyGroup(click.Group):
    """click's group, its commands loaded on demand (click documents this pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        command = self.commands.get(cmd_name)
        if command is None:
            command = self.commands[cmd_name] = entry.load()
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's listing (same layout and truncation) from the summaries, importing nothing."""
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [
            (name, make_default_short_help(COMMANDS[name].summary, limit))
            for name in self.list_commands(ctx)
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)
