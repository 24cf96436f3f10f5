"""One module per command (pre-commit's layout); `register` adds them all to the group."""

from __future__ import annotations

import asyncclick as click


def register(group: click.Group) -> None:
    from cutover_probe.commands import demo, diff, merge, plan, quick, run, watch

    for module in (run, plan, quick, merge, diff, demo, watch):
        group.add_command(module.command)
