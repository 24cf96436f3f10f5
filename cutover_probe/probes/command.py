"""Subprocess lanes (cargo test, harness scripts): run in their own process group with an
environment stripped of secrets, output streamed into the check's log, and every process the lane
started killed when the lane ends: by its deadline, by an interrupt, or because its main process
exited and left children behind.

A lane ends when its main process exits. Output already in the pipe is drained once every process
the lane left behind is dead; a `setsid` child that holds stdout open cannot keep the lane running
to its deadline. Finding and killing escaped processes is `reaper`'s job; bounding the output
(full in the log file, head and tail in the report) is `output`'s.

A missing manifest or script is a failure with that reason, never a silent skip: a lane that
cannot run has not passed.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

import anyio
from anyio.abc import Process

from cutover_probe import interrupts
from cutover_probe.errors import CheckFailed
from cutover_probe.probes import reaper
from cutover_probe.probes.context import ProbeContext
from cutover_probe.probes.output import CHUNK_BYTES, LaneOutput
from cutover_probe.probes.params import CommandParams

# Names a lane never inherits unless its check lists them in pass_env (docs/checks.md).
SECRET_NAME = re.compile(
    r".*(_TOKEN|_SECRET|_PASSWORD|_API_KEY|_PRIVATE_KEY)|GOOGLE_APPLICATION_CREDENTIALS",
    re.IGNORECASE,
)
DRAIN_S = 2.0  # after the lane's processes are dead, reading what is left in the pipe
AFTER_EXIT_GRACE_S = 0.5  # what the main process left behind gets this long after SIGTERM


async def run(ctx: ProbeContext, params: CommandParams) -> str | None:
    argv = list(params.argv)
    cwd = Path(params.cwd)
    _check_files(list(params.requires_files), cwd)
    marker = reaper.new_marker()
    env = lane_environment(ctx, list(params.pass_env), params.env)
    env[reaper.MARKER_VARIABLE] = marker
    grace = params.kill_grace
    reaper.become_subreaper()
    ctx.attempts += 1
    with _transcript(ctx) as transcript:
        on_line = None
        if ctx.on_line is not None:
            live, check_id = ctx.on_line, ctx.check_id

            def on_line(line: str) -> None:
                live(check_id, line)

        output = LaneOutput(ctx.redactor, transcript, on_line)
        code = await _run_lane(ctx, argv, cwd, env, marker, grace, output)
    if code != 0:
        if code < 0:
            raise CheckFailed(f"killed by signal {signal.Signals(-code).name}")
        raise CheckFailed(f"exit status {code}")
    return None


def lane_environment(
    ctx: ProbeContext, pass_env: list[str], extra: Mapping[str, str]
) -> dict[str, str]:
    """The prober's environment minus secrets: every variable whose name looks like a
    credential, and every variable whose value holds a secret the run knows (the matrix's
    `type = "secret"` variables, tokens learned). ``pass_env`` names are passed all the same;
    ``env`` sets variables explicitly (never to a secret: the config refuses that)."""
    env = {
        name: value
        for name, value in ctx.environ.items()
        if not SECRET_NAME.fullmatch(name) and ctx.redactor(value) == value
    }
    env.update({name: ctx.environ[name] for name in pass_env if name in ctx.environ})
    env.update(extra)  # the config refuses a secret reference here: those go by pass_env
    return env


@contextlib.contextmanager
def _transcript(ctx: ProbeContext) -> Iterator[BinaryIO | None]:
    """The lane's full output goes to a file the report turns into logs/<check>.log."""
    if ctx.spool_dir is None:
        yield None
        return
    try:
        ctx.spool_dir.mkdir(parents=True, exist_ok=True)
        handle = open(ctx.spool_dir / f"{ctx.check_id}.log", "ab")  # noqa: SIM115
    except OSError as exc:
        raise CheckFailed(f"cannot write the lane's log: {exc.strerror or exc}") from None
    with handle:
        yield handle


async def _run_lane(
    ctx: ProbeContext,
    argv: list[str],
    cwd: Path,
    env: dict[str, str],
    marker: str,
    grace: float,
    output: LaneOutput,
) -> int:
    where = (
        f"full output in logs/{ctx.check_id}.log"
        if ctx.spool_dir is not None
        else "full output not kept: no report directory"
    )
    later: list[str] = []  # our lines after the output ends, logged after its excerpt

    def note(line: str, *, now: bool = False) -> None:
        clean = ctx.redactor(line)
        output.note(clean)
        if now:
            ctx.log(clean)
        else:
            later.append(clean)

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
    note(f"started pid {process.pid} in {cwd}", now=True)
    interrupts.lane_started(process.pid)  # a second signal SIGKILLs the group at once
    lane = reaper.LaneProcesses(process.pid, marker)
    code = -1
    try:
        async with anyio.create_task_group() as group:
            reading = anyio.Event()
            group.start_soon(_read, process, output, reading)
            code = await process.wait()
            # The main process is gone, so the lane is over: what it left behind is killed,
            # which closes their ends of the pipe; then what is in the pipe is read, no longer.
            await _kill_lane(process, lane, AFTER_EXIT_GRACE_S, note=None)
            with anyio.move_on_after(DRAIN_S):
                await reading.wait()
            group.cancel_scope.cancel()
    finally:
        with anyio.CancelScope(shield=True):
            if process.returncode is None:
                note(
                    f"check ended before the command: killing process group {process.pid} "
                    "and every process it started"
                )
            await _kill_lane(process, lane, grace, note=note)
            await process.aclose()
            interrupts.lane_ended(process.pid)
            output.finish()
            ctx.evidence.extend(output.excerpt(where))
            for line in later:
                ctx.log(line)
    return code


async def _read(process: Process, output: LaneOutput, done: anyio.Event) -> None:
    assert process.stdout is not None
    try:
        while True:
            try:
                data = await process.stdout.receive(CHUNK_BYTES)
            except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
                return
            output.feed(data)
    finally:
        done.set()


async def _kill_lane(
    process: Process,
    lane: reaper.LaneProcesses,
    grace: float,
    *,
    note: Callable[[str], None] | None,
) -> None:
    """SIGTERM every process of the lane, wait out the grace, then SIGKILL what is left (nox's
    shutdown), and reap. The main process, once reaped, is left out: its pid may be reused."""

    def exclude() -> int | None:
        return process.pid if process.returncode is not None else None

    if not lane.alive(exclude=exclude()):
        return
    lane.signal(signal.SIGTERM, exclude=exclude())
    with anyio.move_on_after(grace):
        while lane.alive(exclude=exclude()):
            if interrupts.hurried():  # a second signal: the grace is over
                break
            if process.returncode is None:
                with anyio.move_on_after(0.05):
                    await process.wait()
            else:
                await anyio.sleep(0.05)
        else:
            return
    if note is not None:
        note(f"process group {process.pid} ignored SIGTERM for {grace:g}s: sent SIGKILL")
    with anyio.move_on_after(1.0):  # bounded: a fork bomb cannot hold the lane's end
        while lane.signal(signal.SIGKILL, exclude=exclude()):
            if process.returncode is None:
                with anyio.move_on_after(0.01):
                    await process.wait()
            else:
                await anyio.sleep(0.01)
    if process.returncode is None:
        with anyio.move_on_after(1.0):
            await process.wait()
    for _ in range(50):  # up to 0.5 s for the last zombies to come back to us and be reaped
        if not lane.remaining(exclude=exclude()):
            break
        await anyio.sleep(0.01)


def _check_files(required: list[str], cwd: Path) -> None:
    """Stat calls are instant on a local checkout; not worth a worker thread."""
    for path in required:
        if not os.path.exists(path):
            raise CheckFailed(f"missing {path}")
    if not os.path.isdir(cwd):
        raise CheckFailed(f"working directory {cwd} does not exist")
