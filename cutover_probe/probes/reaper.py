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
import os
import signal
import sys
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
        import ctypes.util  # here, not at the top: `plan` imports this module (the registry)

        _subreaper = False
        if sys.platform.startswith("linux"):
            with contextlib.suppress(OSError, AttributeError):
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
                _subreaper = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    return _subreaper


def new_marker() -> str:
    import secrets

    return secrets.token_hex(8)


@dataclass(frozen=True)
class _Proc:
    pid: int
    ppid: int
    pgid: int
    state: str
    start: int  # clock ticks after boot: with the pid, a process's identity (pids are reused)


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
        if len(fields) < 20:
            continue
        found[int(name)] = _Proc(
            int(name), int(fields[1]), int(fields[2]), fields[0], int(fields[19])
        )
    return found


def _carries(pid: int, marker: str) -> bool:
    try:
        environ = (PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return False
    return f"{MARKER_VARIABLE}={marker}".encode() in environ.split(b"\0")


class LaneProcesses:
    """The processes of one lane, as far as /proc shows them. Mutable on purpose: a process
    seen once stays the lane's (by pid and start time) after it has left every other trace,
    for example a killed daemon whose zombie no longer shows its environment."""

    def __init__(self, root: int, marker: str) -> None:
        self.root = root
        self.marker = marker
        self._seen: set[tuple[int, int]] = set()

    def find(self) -> dict[int, _Proc]:
        """The lane's live and zombie processes: its group, its tree, whoever bears its marker,
        and whoever was found before."""
        table = _processes()
        me = os.getpid()
        members = {
            p.pid
            for p in table.values()
            if p.pid != me and (p.pgid == self.root or (p.pid, p.start) in self._seen)
        }
        # As a subreaper, every escaped process is reparented to us: only our children need
        # their environment read (cheap, and never another user's process). Without, all.
        candidates = [
            p
            for p in table.values()
            if p.pid != me
            and p.state != "Z"
            and p.pid not in members
            and (not _subreaper or p.ppid == me)
        ]
        members |= {p.pid for p in candidates if _carries(p.pid, self.marker)}
        children: dict[int, list[int]] = {}
        for p in table.values():
            children.setdefault(p.ppid, []).append(p.pid)
        frontier = list(members)
        while frontier:
            for child in children.get(frontier.pop(), ()):
                if child not in members and child != me:
                    members.add(child)
                    frontier.append(child)
        found = {pid: table[pid] for pid in members}
        self._seen |= {(p.pid, p.start) for p in found.values()}
        self._reap(found)
        return found

    def _reap(self, found: dict[int, _Proc]) -> None:
        """Zombies reparented to us; never the main process, whose status asyncio awaits."""
        me = os.getpid()
        for p in found.values():
            if p.ppid == me and p.state == "Z" and p.pid != self.root:
                with contextlib.suppress(ChildProcessError, OSError):
                    os.waitpid(p.pid, os.WNOHANG)

    def alive(self, *, exclude: int | None = None) -> bool:
        """Any process of the lane still running (zombies are dead; ``exclude``: the main
        process once asyncio has reaped it, as its pid may be reused)."""
        if not PROC.is_dir():
            return _group_alive(self.root)
        return any(p.state != "Z" and p.pid != exclude for p in self.find().values())

    def remaining(self, *, exclude: int | None = None) -> bool:
        """Anything of the lane not yet gone: running, or a zombie nobody has reaped yet."""
        if not PROC.is_dir():
            return _group_alive(self.root)
        return any(p.pid not in (exclude, self.root) for p in self.find().values())

    def signal(self, sig: signal.Signals, *, exclude: int | None = None) -> int:
        """Signal the lane's group and every process found for it; how many were signalled."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.root, sig)
        if not PROC.is_dir():
            return 0
        targets = [p.pid for p in self.find().values() if p.state != "Z" and p.pid != exclude]
        for pid in targets:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        return len(targets)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True
