"""The command line: the asyncclick group and its commands, one module each under `commands/`.

The error boundary (exit codes) lives in `boundary.py` and the options several commands share in
`commands/options.py`; both are imported by the commands, so nothing imports this module back.
Signals are handled in one place, `interrupts.py`, installed here before anything runs. Start-up
matters (`--help` must be instant), so heavy modules load inside the commands, never here, and
each command's module only when it is asked for (`commands/__init__.py`).
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Coroutine
from typing import Any

import asyncclick as click

from cutover_probe import __version__, interrupts
from cutover_probe.commands import LazyGroup


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cutover-probe")
async def cli() -> None:
    """Release gate for the Rust staging/production cutover: runs the validation matrix's
    checks concurrently and writes results.tsv, SUMMARY.md, results.json and report.html.

    \b
    Exit codes:
      0    GO or BASELINE (FAIL_ON_REQUIRED_FAILURE=0); quick: all checked ready
      1    NO-GO (a required check failed, was skipped or cancelled); diff:
           something newly fails; watch: the analysis failed
      2    bad usage, config, environment value or output dir; nothing probed
      3    internal error; traceback in a cutover-probe-crash-*.log temp file
      4    the run finished but an artifact (named on stderr) could not be
           written; every other artifact was
      130  interrupted (SIGINT, SIGTERM or SIGHUP); the report is still written;
           a second signal kills the lanes at once
    """


# Python collects its youngest generation every 700 net allocations of container objects. A
# run makes millions that die young (each request's, each evidence line's), so at that pace the
# collector's passes cost 10-17% of a 100- or 300-environment run's CPU (the bench's scaled
# matrix against its fleet processes, both thresholds interleaved), for 2 MiB less peak memory.
# With a young generation of 50,000, cycles are still collected, within 50,000 allocations
# instead of 700; the older generations keep Python's ratios.
YOUNG_GENERATION = 50_000


def main() -> None:
    interrupts.install()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION, older, oldest)
    args = sys.argv[1:]
    try:
        if needs_no_loop(args):
            without_loop(cli.main(args, prog_name="cutover-probe"))
        else:
            cli(prog_name="cutover-probe")
        code = 0
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    leave(interrupts.exit_code(code))


HELP = frozenset(("-h", "--help"))
LOOP_FREE_COMMANDS = frozenset(("plan",))  # its coroutine never suspends: planning is pure


def needs_no_loop(args: list[str]) -> bool:
    """Whether the command line can be answered without an event loop: the group's --help and
    --version, a command's --help as its only option, and `plan`. Importing asyncio (and ssl
    with it) and starting a loop cost about 50 ms of CPU, as much as the rest of `--help`."""
    if not args or args[0] in HELP or args[0] == "--version":
        return True
    if args[0] in LOOP_FREE_COMMANDS:
        return True
    return len(args) == 2 and args[1] in HELP


def without_loop(coroutine: Coroutine[Any, Any, Any]) -> None:
    """Drive a coroutine that never awaits anything real (click's parsing and help, `plan`) to
    its end in this thread. Should it suspend after all, that is our bug, raised as such: there
    is no loop to resume it."""
    try:
        coroutine.send(None)
    except StopIteration:
        return
    coroutine.close()
    raise RuntimeError(f"{coroutine!r} waited for an event loop on a loop-free command line")


def leave(code: int) -> None:
    """Flush and exit now, skipping the interpreter's shutdown.

    Everything we write is closed by then (the report's files, the crash log). What remains are
    daemon threads still blocked in a Google call or its import, abandoned at a deadline or an
    interrupt: with them alive, the interpreter's finalisation took another 0.5-1.6 s after the
    report on a 2-core machine (it waits for the GIL they hold in C code), and Ctrl-C is meant
    to end the run within 0.5 s.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
