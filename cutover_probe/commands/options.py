"""Options several commands share, and the helpers that turn them into paths.

Imported by the commands (and never importing the CLI group), so that `cli.py` depends on the
commands and nothing depends back on `cli.py`.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import ParamSpec

import asyncclick as click

P = ParamSpec("P")


class FiniteFloat(click.ParamType[float]):
    """A float option within [low, high]: click's FloatRange lets ``nan`` through (every
    comparison with it is false) and ``inf`` past an open top."""

    name = "float"

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = low, high

    def convert(self, value: object, param: click.Parameter | None, ctx: object) -> float:
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param)
        if not math.isfinite(number) or not self.low <= number <= self.high:
            self.fail(f"{value!r} is not a number from {self.low:g} to {self.high:g}", param)
        return number


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
