"""The event loop's worst lag during a run, measured only when asked (`make bench`).

With ``CUTOVER_PROBE_LAG_MONITOR=1`` in the run's environment, a task sleeps `INTERVAL_S` in a
loop for as long as the checks run and keeps the largest overshoot: how long a callback that
was due had to wait because something else held the loop (redaction, rendering, a `Thread.start`
waiting for the GIL). At the end one line goes to stderr:
``cutover-probe: event loop lag: worst 12 ms, 340 samples``. Without the variable nothing is
started: the production path pays one dictionary lookup.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import AsyncIterator, Mapping

import anyio

VARIABLE = "CUTOVER_PROBE_LAG_MONITOR"
INTERVAL_S = 0.01


@contextlib.asynccontextmanager
async def monitored(environ: Mapping[str, str]) -> AsyncIterator[None]:
    if environ.get(VARIABLE) != "1":
        yield
        return
    worst = 0.0
    samples = 0

    async def sample() -> None:
        nonlocal worst, samples
        while True:
            due = time.monotonic() + INTERVAL_S
            await anyio.sleep(INTERVAL_S)
            worst = max(worst, time.monotonic() - due)
            samples += 1

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(sample)
            try:
                yield
            finally:
                group.cancel_scope.cancel()
    finally:
        line = f"cutover-probe: event loop lag: worst {worst * 1000:.0f} ms, {samples} samples\n"
        with contextlib.suppress(OSError):
            os.write(2, line.encode())
