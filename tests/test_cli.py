"""The command group: help that lists every exit code a script can branch on, each command
listed without being imported, and what `--help` and `plan` import (start-up, issue 12)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import asyncclick as click
from asyncclick.utils import make_default_short_help

from cutover_probe.cli import cli
from cutover_probe.commands import COMMANDS

from .conftest import clean_environ, invoke_cli
from .servers import stub_gcloud


def test_top_level_help_lists_every_exit_code(tmp_path: Path) -> None:
    result = invoke_cli("--help", env=clean_environ(), cwd=tmp_path)
    assert result.returncode == 0
    for code in ("0", "1", "2", "3", "130"):
        assert re.search(rf"^\s+{code}\s+\S", result.stdout, re.M), code


def imported_by(*args: str, cwd: Path, code: int = 0, **env: str) -> set[str]:
    """The modules the real program imports for this command line (`-X importtime` lists each
    once, as it is first imported; the program ends in os._exit, so sys.modules is not asked)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cutover_probe", *args],
        env=clean_environ(**env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == code, result.stderr[-3000:]
    return set(IMPORTED.findall(result.stderr))


IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \| *(\S+)$", re.M)
# What no quick answer needs: an event loop, TLS, HTTP, the Google libraries, the log and console
# libraries, and our own run machinery (probe runners, engine, report writers).
NEVER_AT_START = (
    "asyncio",
    "anyio",
    "ssl",
    "aiohttp",
    "google",
    "grpc",
    "requests",
    "structlog",
    "rich",
    "jinja2",
    "cutover_probe.engine",
    "cutover_probe.workflow",
    "cutover_probe.results",
    "cutover_probe.report",
    "cutover_probe.probes.httpclient",
    "cutover_probe.probes.command",
    "cutover_probe.probes.tls",
    "cutover_probe.probes.google.gcloud",
)


def _under(module: str, names: tuple[str, ...]) -> bool:
    return any(module == name or module.startswith(name + ".") for name in names)


def test_help_imports_no_command_module_and_no_config(tmp_path: Path) -> None:
    modules = imported_by("--help", cwd=tmp_path)
    assert "asyncclick" in modules  # the listing is real
    heavy = ("tomllib", "cutover_probe.config", "cutover_probe.boundary", *NEVER_AT_START)
    assert sorted(m for m in modules if _under(m, heavy)) == []
    assert sorted(m for m in modules if m.startswith("cutover_probe.commands.")) == []


# What `plan` (no secret set, no gcloud configuration) does not need either: a probe's context,
# the 403 bookkeeping, a secret's spellings (json, html, base64), gcloud's configuration file.
NEVER_IN_PLAN = (
    *NEVER_AT_START,
    "cutover_probe.probes.context",
    "cutover_probe.probes.google.permissions",
    "json",
    "html",
    "base64",
    "configparser",
)


def test_plan_imports_no_event_loop_network_library_or_probe_runner(tmp_path: Path) -> None:
    modules = imported_by("plan", cwd=tmp_path)
    assert {"cutover_probe.commands.plan", "cutover_probe.planning"} <= modules
    assert sorted(m for m in modules if _under(m, NEVER_IN_PLAN)) == []
    assert sorted(m for m in modules if m.startswith("cutover_probe.commands.")) == [
        "cutover_probe.commands.options",
        "cutover_probe.commands.plan",
        "cutover_probe.commands.run",  # `selection`, shared with run and watch; light
    ]


def test_plan_with_gcloud_installed_but_never_configured_reads_no_configuration(
    tmp_path: Path,
) -> None:
    """A CI image with gcloud and no login: the Google checks are skipped with the how-to, and
    no configuration parser was loaded for a file that is not there."""
    bin_dir = stub_gcloud(tmp_path)
    path = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', os.defpath)}"
    planned = invoke_cli("plan", env=clean_environ(PATH=path), cwd=tmp_path)
    line = next(x for x in planned.stdout.splitlines() if " runtime-migration-drift " in x)
    assert line.startswith("skip runtime-migration-drift")
    assert "`gcloud auth login` with gcloud on the PATH" in line
    modules = imported_by("plan", cwd=tmp_path, PATH=path)
    assert sorted(m for m in modules if _under(m, NEVER_IN_PLAN)) == []


def test_the_help_listing_says_what_each_commands_own_help_begins_with() -> None:
    """The group lists the commands without importing them, from summaries kept beside the
    loaders; each must be the one its command's help starts with, at any width."""
    ctx = click.Context(cli)
    assert cli.list_commands(ctx) == sorted(COMMANDS)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None
        assert command.name == name
        for limit in (30, 45, 74, 500):
            assert make_default_short_help(COMMANDS[name].summary, limit) == (
                command.get_short_help_str(limit)
            ), (name, limit)
    assert cli.get_command(ctx, "no-such-command") is None


def test_a_run_refused_for_a_bad_environment_value_imports_no_network_library(
    tmp_path: Path,
) -> None:
    modules = imported_by(
        "run",
        "-q",
        "--output-dir",
        str(tmp_path / "out"),
        cwd=tmp_path,
        code=2,
        STAGING_CONTROL_BASE_URL="not a url",
    )
    assert "cutover_probe.workflow" in modules  # it got as far as the workflow
    network = ("aiohttp", "yarl", "google", "grpc", "requests", "cutover_probe.resolver")
    runners = ("cutover_probe.probes.httpclient", "cutover_probe.probes.google.gcloud")
    assert sorted(m for m in modules if _under(m, (*network, *runners))) == []


def test_quick_without_an_output_dir_imports_no_report_module(tmp_path: Path) -> None:
    """Nothing to ask (its one URL unset): the row is 'not checked', exit 0, and the glance
    loaded neither the report writers nor an HTTP or Google library."""
    matrix = tmp_path / "matrix.toml"
    matrix.write_text(
        '[variables.API_URL]\ntype = "url"\n'
        '[[checks]]\nid = "api-staging-smoke"\nkind = "control-smoke"\n'
        'environment = "staging"\nbase_url = "${API_URL}"\n'
    )
    modules = imported_by("quick", "--config", str(matrix), cwd=tmp_path)
    assert "cutover_probe.engine" in modules  # it ran the checks' plan through the engine
    unused = ("cutover_probe.report", "cutover_probe.results", "aiohttp", "google", "grpc")
    assert sorted(m for m in modules if _under(m, (*unused, "cutover_probe.resolver"))) == []
