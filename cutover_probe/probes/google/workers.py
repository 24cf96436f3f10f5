"""The daemon threads Google calls run in, kept between calls instead of one new thread each.

A thread per call (1,600 at 100 environments) cost the event loop about 4 ms per call on two
busy cores: `threading.Thread.start` waits until the new thread has run, which needs the GIL
the loop and the other threads hold. Here a job goes on a queue; a waiting worker takes it, and
only when none is waiting is one more started, with `_thread.start_new_thread`, which does not
wait. The semantics `gcloud.in_thread` needs are kept: every worker is a daemon (the interpreter
never joins it, and `cli.leave` exits without waiting for it), so a call abandoned in a blocked
read holds one worker, never the process; how many calls run at once is `gcloud`'s limiter's
business, not the pool's. A worker with nothing to do for `IDLE_S` ends.
"""

from __future__ import annotations

import _thread
import functools
import threading
from collections import deque
from collections.abc import Callable
from typing import ParamSpec, TypeVar

IDLE_S = 30.0
P = ParamSpec("P")
T = TypeVar("T")


class Workers:
    """Runs each submitted job once, in some daemon thread; a job must not raise."""

    def __init__(self, idle_s: float = IDLE_S) -> None:
        self._ready = threading.Condition()
        self._jobs: deque[Callable[[], None]] = deque()
        self._waiting = 0  # workers waiting for a job
        self._idle_s = idle_s

    def submit(self, job: Callable[[], None]) -> None:
        with self._ready:
            self._jobs.append(job)
            if self._waiting >= len(self._jobs):
                self._ready.notify()
                return
        _thread.start_new_thread(self._work, ())

    def _work(self) -> None:
        while True:
            with self._ready:
                while not self._jobs:
                    self._waiting += 1
                    try:
                        woken = self._ready.wait(self._idle_s)
                    finally:
                        self._waiting -= 1
                    if not woken and not self._jobs:
                        return
                job = self._jobs.popleft()
            job()


WORKERS = Workers()


def built_once(function: Callable[P, T]) -> Callable[P, T]:
    """``functools.lru_cache`` whose misses wait for one another: the first calls of a run
    come from up to a hundred threads at once, and each built its own clients (a transport,
    credentials, a session: milliseconds of CPU each) before the first was cached."""
    cached = functools.lru_cache(maxsize=8)(function)
    lock = threading.Lock()

    @functools.wraps(function)
    def build(*args: P.args, **kwargs: P.kwargs) -> T:
        with lock:
            return cached(*args, **kwargs)  # type: ignore[arg-type]

    return build
