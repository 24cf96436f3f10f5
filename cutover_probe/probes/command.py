"""Subprocess lanes (cargo test, harness scripts): run in their own process group, output
streamed into the check's log, and the whole group killed when the check ends — by its deadline,
by an interrupt, or because the main process exited and left children behind.

A missing manifest or script is a failure with that reason, never a silent skip: a lane that
cannot run has not passed.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import Process
from anyio.streams.text import TextReceiveStream

from cutover_probe import interrupts
from cutover_probe.durations import parse_duration
from cutover_probe.errors import CheckFailed
from cutover_probe.probes.context import ProbeContext


async def run(ctx: ProbeContext, params: Mapping[str, Any]) -> str | None:
    argv: list[str] = params["argv"]
    cwd = Path(params["cwd"])
    _check_files(params["requires_files"], cwd)
    env = {**ctx.environ, **params["env"]}
    grace = parse_duration(params["kill_grace"])
    ctx.attempts += 1
    try:
        process = await anyio.open_process(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise CheckFailed(f"command not found: {argv[0]}") from None
    except PermissionError:
        raise CheckFailed(f"not executable: {argv[0]}") from None
    ctx.log(f"started pid {process.pid} in {cwd}")
    interrupts.lane_started(process.pid)  # a second signal SIGKILLs the group at once
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(_stream_output, ctx, process)
            code = await process.wait()
            # The main process is gone; anything it left in its group must not outlive the check.
            await _kill_group(ctx, process, grace=0.5, announce=False)
    finally:
        with anyio.CancelScope(shield=True):
            if process.returncode is None:
                ctx.log(f"check ended before the command: killing process group {process.pid}")
                await _kill_group(ctx, process, grace=grace, announce=True)
            await process.aclose()
            interrupts.lane_ended(process.pid)
    if code != 0:
        if code < 0:
            raise CheckFailed(f"killed by signal {signal.Signals(-code).name}")
        raise CheckFailed(f"exit status {code}")
    return None


def _check_files(required: list[str], cwd: Path) -> None:
    """Stat calls are instant on a local checkout; not worth a worker thread."""
    for path in required:
        if not os.path.exists(path):
            raise CheckFailed(f"missing {path}")
    if not os.path.isdir(cwd):
        raise CheckFailed(f"working directory {cwd} does not exist")


async def _stream_output(ctx: ProbeContext, process: Process) -> None:
    assert process.stdout is not None
    pending = ""
    async for chunk in TextReceiveStream(process.stdout, errors="replace"):
        pending += chunk
        *lines, pending = pending.split("\n")
        for line in lines:
            ctx.log(line.rstrip("\r"))
    if pending:
        ctx.log(pending)


async def _kill_group(ctx: ProbeContext, process: Process, *, grace: float, announce: bool) -> None:
    """SIGTERM the group, wait out the grace, then SIGKILL whatever is left (nox's shutdown)."""
    if not _signal_group(process.pid, signal.SIGTERM):
        return
    with anyio.move_on_after(grace):
        while _group_alive(process.pid):
            if process.returncode is None:
                with anyio.move_on_after(0.05):
                    await process.wait()
            else:
                await anyio.sleep(0.05)
        return
    if _signal_group(process.pid, signal.SIGKILL) and announce:
        ctx.log(f"process group {process.pid} ignored SIGTERM for {grace:g}s: sent SIGKILL")
    if process.returncode is None:
        await process.wait()


def _signal_group(pgid: int, sig: signal.Signals) -> bool:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    return True


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True
