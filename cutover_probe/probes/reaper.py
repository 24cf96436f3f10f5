"""Every process a lane started dies with the lane, including the ones that tried to escape.

Killing the lane's process group is not enough: a `setsid` child starts its own session, and a
double-forked daemon is reparented away from the lane as soon as its parent exits, so neither is
in the group nor under the lane's main process when the lane ends. Three things together find
them all on Linux:

* the prober becomes a child subreaper (``prctl(PR_SET_CHILD_SUBREAPER)``), so an orphan whose
  parent dies is reparented to the prober instead of to init: it stays in reach and, once
  killed, its zombie is ours to reap;
* every lane runs with a marker variable (``CUTOVER_PROBE_LANE=<unique id>``) in its
  environment, which children inherit, so a process reparented to the prober says which lane it
  came from even when several lanes run at once;
* at the lane's end ``/proc/*/stat`` is scanned: the lane's process group, every process whose
  parent chain leads to the lane, and every process carrying the lane's marker (with their own
  descendants) are signalled, and those that became our children are reaped with ``waitpid`` on
  their own pid (never ``waitpid(-1)``, which would steal the exit status asyncio waits for).

A daemon that both double-forks *and* clears its environment is found only while its parent
chain still leads to the lane. Elsewhere (macOS, the BSDs) there is no ``/proc`` and no
subreaper: only the process group is killed, and an escaped daemon survives (docs/checks.md).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import secrets
import signal
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MARKER_VARIABLE = "CUTOVER_PROBE_LANE"
PR_SET_CHILD_SUBREAPER = 36
PROC = Path("/proc")

_subreaper: bool | None = None


def become_subreaper() -> bool:
    """Once per process: orphans of our lanes come back to us. False where unsupported."""
    global _subreaper
    if _subreaper is None:
        _subreaper = False
        if sys.platform.startswith("linux"):
            with contextlib.suppress(OSError, AttributeError):
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
                _subreaper = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    return _subreaper


def new_marker() -> str:
    return secrets.token_hex(8)


@dataclass(frozen=True)
class _Proc:
    pid: int
    ppid: int
    pgid: int
    state: str


def _processes() -> dict[int, _Proc]:
    found: dict[int, _Proc] = {}
    try:
        entries = os.listdir(PROC)
    except OSError:
        return found
    for name in entries:
        if not name.isdigit():
            continue
        try:
            stat = (PROC / name / "stat").read_bytes().decode("ascii", "replace")
        except OSError:
            continue
        # The command name is in parentheses and may itself hold spaces or ')'.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) < 3:
            continue
        found[int(name)] = _Proc(int(name), int(fields[1]), int(fields[2]), fields[0])
    return found


def _carries(pid: int, marker: str) -> bool:
    try:
        environ = (PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return False
    return f"{MARKER_VARIABLE}={marker}".encode() in environ.split(b"\0")


def lane_processes(root: int, marker: str) -> dict[int, _Proc]:
    """The lane's live and zombie processes: its group, its tree, and whoever bears its marker."""
    table = _processes()
    me = os.getpid()
    members = {p.pid for p in table.values() if p.pid != me and (p.pgid == root or p.pid == root)}
    # As a subreaper, every escaped process is reparented to us: only our children need their
    # environment read (cheap, and never another user's process). Without, read them all.
    candidates = [
        p
        for p in table.values()
        if p.pid != me
        and p.state != "Z"
        and p.pid not in members
        and (not _subreaper or p.ppid == me)
    ]
    members |= {p.pid for p in candidates if _carries(p.pid, marker)}
    children: dict[int, list[int]] = {}
    for p in table.values():
        children.setdefault(p.ppid, []).append(p.pid)
    frontier = list(members)
    while frontier:
        for child in children.get(frontier.pop(), ()):
            if child not in members and child != me:
                members.add(child)
                frontier.append(child)
    return {pid: table[pid] for pid in members}


def _signal(pids: Iterable[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _reap(found: dict[int, _Proc], root: int) -> None:
    """Zombies reparented to us; never the lane's main process, whose status asyncio awaits."""
    me = os.getpid()
    for p in found.values():
        if p.ppid == me and p.state == "Z" and p.pid != root:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(p.pid, os.WNOHANG)


def alive(root: int, marker: str, *, exclude: int | None = None) -> bool:
    """Any process of the lane still running (zombies are dead; ``exclude``: its main process,
    which asyncio reaps)."""
    if not PROC.is_dir():
        return _group_alive(root)
    found = lane_processes(root, marker)
    _reap(found, root)
    return any(p.state != "Z" and p.pid != exclude for p in found.values())


def signal_all(root: int, marker: str, sig: signal.Signals, *, exclude: int | None = None) -> int:
    """Signal the lane's group and every process found for it; how many were signalled."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(root, sig)
    if not PROC.is_dir():
        return 0
    found = lane_processes(root, marker)
    targets = [p.pid for p in found.values() if p.state != "Z" and p.pid != exclude]
    _signal(targets, sig)
    _reap(found, root)
    return len(targets)


def kill_all_now(root: int, marker: str, *, exclude: int | None = None) -> None:
    """SIGKILL until nothing of the lane runs (a process may fork while we scan), then reap.
    Bounded: a fork bomb cannot keep us here longer than a second."""
    stop = time.monotonic() + 1.0
    while signal_all(root, marker, signal.SIGKILL, exclude=exclude) and time.monotonic() < stop:
        time.sleep(0.01)
    if PROC.is_dir():
        _reap(lane_processes(root, marker), root)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True
