"""`watch --on-change CMD`: a command run whenever the verdict changes, instead of a list of
chat and paging vendors to integrate with.

Why so careful: the hook is the user's program, started from a process that holds access
tokens. It gets an argv (no shell, so no verdict or path is ever parsed as shell text), an
environment stripped of every secret the matrix knows (its secret variables, any variable
whose value is one of them, every ``*_ACCESS_TOKEN``), a bounded time (its process group is
killed when it runs out), and its output goes to ``on-change.log`` in the watch's directory, not
to memory or the terminal. Its failure is logged and never ends the watch.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path

import anyio

from cutover_probe.errors import UsageError

KILL_WAIT_S = 5.0


def parse_command(text: str | None) -> tuple[str, ...]:
    """``--on-change 'notify --channel ops'``: split like a shell would, run without one."""
    if not text:
        return ()
    try:
        argv = tuple(shlex.split(text))
    except ValueError as exc:
        raise UsageError(f"--on-change {text!r}: {exc}") from None
    if not argv:
        raise UsageError("--on-change: an empty command")
    return argv


def hook_environ(
    environ: Mapping[str, str],
    secret_names: Collection[str],
    secret_values: Collection[str],
    extra: Mapping[str, str],
) -> dict[str, str]:
    kept = {
        name: value
        for name, value in environ.items()
        if name not in secret_names
        and not name.endswith("_ACCESS_TOKEN")
        and not (value and value in secret_values)
    }
    kept.update(extra)
    return kept


async def run_hook(
    argv: Sequence[str],
    environ: Mapping[str, str],
    log: Path,
    timeout_s: float,
    say: Callable[[str], None],
) -> int | None:
    """Run the hook once; its exit code, or None when it could not start or ran out of time."""
    name = Path(argv[0]).name
    try:
        with log.open("ab") as out:
            process = await anyio.open_process(
                list(argv),
                env=dict(environ),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,  # its own process group: a timeout kills its children
            )
    except OSError as exc:
        say(f"[watch] --on-change {name}: could not start: {exc.strerror or exc}")
        return None
    code: int | None = None
    try:
        with anyio.move_on_after(timeout_s):
            code = await process.wait()
    finally:
        if code is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        with anyio.CancelScope(shield=True), anyio.move_on_after(KILL_WAIT_S):
            await process.aclose()
    if code is None:
        say(f"[watch] --on-change {name}: no exit within {timeout_s:g}s, killed")
    elif code != 0:
        say(f"[watch] --on-change {name}: exited {code} (see {log.name})")
    return code
