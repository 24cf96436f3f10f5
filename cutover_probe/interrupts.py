"""Every signal that ends a run ends it the same way; this module is the only one that handles
signals.

SIGINT (Ctrl-C), SIGTERM (a CI runner cancelling the job) and SIGHUP (the terminal closed) each:
cancel the run (every check becomes ``cancelled: the run was interrupted``, every lane's process
group gets SIGTERM, then SIGKILL after its grace), let the complete report be written, and make
the process exit 130, whichever signal it was. A second signal skips the lanes' grace and kills
their process groups at once; the report is still written and the exit is still 130. No signal
ever raises: a handler only records it, so a report being written is never cut short (it
finishes, then the process exits 130), and no traceback can come out of the asyncio machinery.

One Python-level handler is installed for the three signals when the program starts (`install`,
from `cli.main`) and never removed. Python runs it in the main thread, between bytecodes; while
an event loop runs (`watching`), a wakeup fd wakes the loop when a signal lands on any thread,
and the handler hands the cancelling to the loop with ``call_soon_threadsafe``, so nothing is
cancelled in the middle of the loop's own code. The engine says what the first signal cancels
(`cancelling`); the lanes say which process groups a second one kills (`lane_started`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # asyncio and socket are imported when a run starts: --help stays instant
    import asyncio
    import socket

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
EXIT_INTERRUPTED = 130  # for every signal: the verdict INTERRUPTED has one exit code


class _State:
    """What the handler reads and writes; module-level, as signal handlers are process-wide."""

    def __init__(self) -> None:
        self.received: list[str] = []  # signal names, in order
        self.installed = False
        self.loop: asyncio.AbstractEventLoop | None = None  # the loop `watching` runs in
        self.watchers = 0
        self.on_first: list[Callable[[], None]] = []  # run in the loop at the first signal
        self.lanes: set[int] = set()  # process group ids of the running lanes


_state = _State()


def install() -> None:
    """From now on SIGINT, SIGTERM and SIGHUP are recorded here instead of ending the process.

    Idempotent; main thread only (Python's rule for signal handlers)."""
    if _state.installed or threading.current_thread() is not threading.main_thread():
        return
    for sig in SIGNALS:
        signal.signal(sig, _handle)
    _state.installed = True


def received() -> tuple[str, ...]:
    """The names of the signals received so far (empty: none)."""
    return tuple(_state.received)


def exit_code(code: int) -> int:
    """The process's exit code: EXIT_INTERRUPTED once any signal was received."""
    return EXIT_INTERRUPTED if _state.received else code


@contextlib.asynccontextmanager
async def watching() -> AsyncIterator[None]:
    """While the block runs, a signal on any thread wakes this event loop (its wakeup fd)."""
    install()
    if _state.watchers or threading.current_thread() is not threading.main_thread():
        _state.watchers += 1
        try:
            yield
        finally:
            _state.watchers -= 1
        return
    import asyncio
    import socket

    loop = asyncio.get_running_loop()
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    # The bytes only wake the loop; the Python handler does the work.
    loop.add_reader(reader.fileno(), _drain, reader)
    previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    _state.loop, _state.watchers = loop, 1
    try:
        yield
    finally:
        _state.loop, _state.watchers = None, 0
        signal.set_wakeup_fd(previous)
        loop.remove_reader(reader.fileno())
        reader.close()
        writer.close()


@contextlib.contextmanager
def cancelling(cancel: Callable[[], None]) -> Iterator[None]:
    """Within the block, the first signal calls ``cancel`` in the event loop; a signal that came
    before the block (while the run was being planned) calls it at once."""
    _state.on_first.append(cancel)
    try:
        if _state.received:
            cancel()
        yield
    finally:
        _state.on_first.remove(cancel)


def hurried() -> bool:
    """A second signal came: lanes get no more grace."""
    return len(_state.received) > 1


def lane_started(pgid: int) -> None:
    """A lane's process group, for a second signal to SIGKILL without waiting out its grace."""
    _state.lanes.add(pgid)
    if len(_state.received) > 1:
        _kill_lanes()


def lane_ended(pgid: int) -> None:
    _state.lanes.discard(pgid)


def _handle(signum: int, frame: FrameType | None) -> None:
    """The handler: records, and never raises. Runs in the main thread between bytecodes, so it
    only makes system calls and hands the rest to the loop."""
    name = signal.Signals(signum).name
    _state.received.append(name)
    if len(_state.received) == 1:
        _say(
            f"[matrix] {name}: cancelling every check, then writing the report ({name} again "
            "to kill the lanes at once)"
        )
        loop = _state.loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed under us: nothing to cancel
                loop.call_soon_threadsafe(_first_signal)
    else:
        _say(f"[matrix] {name} again: killing every lane's process group now")
        _kill_lanes()


def _first_signal() -> None:
    for cancel in list(_state.on_first):
        cancel()


def _kill_lanes() -> None:
    for pgid in list(_state.lanes):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


def _say(text: str) -> None:
    """Straight to fd 2: a buffered write here could re-enter one the main thread was making."""
    with contextlib.suppress(OSError):
        os.write(2, (text + "\n").encode())


def _drain(reader: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while reader.recv(4096):
            pass
