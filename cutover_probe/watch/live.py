"""What the terminal shows during a watch: a live grid on a terminal, one plain line per
iteration elsewhere (CI logs, pipes, ``CI`` or ``NO_COLOR`` set), only the outcome with -q.

Why its own view rather than the run's console: a watch's question is "is it flapping?", so
each check gets a strip of its last statuses, not one run's table. Every text from outside
(a reason, which a server may have written) goes to rich as a `Text`, never as markup, and with
control characters replaced, so no server can style, move or clear the operator's terminal.
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TextIO

from cutover_probe.console import wants_live
from cutover_probe.text import visible
from cutover_probe.watch.history import Iteration

Redact = Callable[[str], str]
STRIP = 20
STYLES = {"passed": "green", "failed": "red", "skipped": "grey50", "cancelled": "yellow"}
GLYPHS = {"passed": "█", "failed": "█", "skipped": "·", "cancelled": "▒"}
VERDICT_STYLES = {"GO": "bold green", "NO-GO": "bold red", "BASELINE": "bold magenta"}


class View(Protocol):
    def start(self, progress: str) -> None: ...
    def iteration(self, iteration: Iteration, progress: str) -> None: ...
    def say(self, text: str) -> None: ...
    def stop(self) -> None: ...


class PlainView:
    """``[watch] iteration 3: NO-GO in 0.52s (iteration 3/9, 1 of 1 failures used)`` and one
    indented line per check that failed: stable lines to grep in a CI log."""

    def __init__(self, out: TextIO, redact: Redact, *, quiet: bool = False) -> None:
        self._out = out
        self._redact = redact
        self._quiet = quiet
        self._open = True

    def start(self, progress: str) -> None:
        return None

    def iteration(self, iteration: Iteration, progress: str) -> None:
        if self._quiet:
            return
        self.say(
            f"[watch] iteration {iteration.number}: {iteration.verdict} in "
            f"{iteration.wall_ms / 1000:.2f}s ({progress})"
        )
        for row in iteration.checks:
            if row.status in ("failed", "cancelled"):
                self.say(f"  [{row.status}] {row.id}: {row.reason}")

    def say(self, text: str) -> None:
        if not self._open:
            return
        try:
            print(visible(self._redact(text)), file=self._out, flush=True)
        except (BrokenPipeError, ValueError):
            self._open = False  # a closed pipe silences the terminal, never stops the watch
            with contextlib.suppress(OSError, ValueError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, self._out.fileno())

    def stop(self) -> None:
        return None


class LiveView:
    """One row per check: its last `STRIP` statuses, last status, duration and reason; above
    them the analysis state. Redrawn after each iteration, left on screen at the end."""

    def __init__(
        self,
        out: TextIO,
        redact: Redact,
        checks: Sequence[tuple[str, str]],
        *,
        strip: int = STRIP,
        force_terminal: bool | None = None,
    ) -> None:
        from rich.console import Console as RichConsole

        self._redact = redact
        self._rich = RichConsole(file=out, force_terminal=force_terminal, highlight=False)
        self._checks = list(checks)
        self._strips: dict[str, deque[str]] = {c: deque(maxlen=strip) for c, _ in checks}
        self._last: Iteration | None = None
        self._progress = ""
        self._live: Any = None

    def start(self, progress: str) -> None:
        from rich.live import Live

        self._progress = progress
        self._live = Live(self.render(), console=self._rich, auto_refresh=False, transient=False)
        self._live.start(refresh=True)

    def render(self) -> Any:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        head = Text()
        if self._last is not None:
            verdict = self._last.verdict
            head.append(f"{verdict}", style=VERDICT_STYLES.get(verdict, "bold yellow"))
            head.append(f"  iteration {self._last.number}, {self._last.started_at}  ")
        head.append(visible(self._progress), style="dim")
        table = Table(box=None, pad_edge=False, show_edge=False)
        # Ids in full (the reason column folds instead): a cut id could name another check.
        width = max((len(c) for c, _ in self._checks), default=5)
        table.add_column("check", no_wrap=True, min_width=width)
        table.add_column("env", no_wrap=True)
        table.add_column("history", no_wrap=True)
        table.add_column("last", no_wrap=True)
        table.add_column("time", justify="right")
        table.add_column("reason", overflow="fold")
        rows = {r.id: r for r in self._last.checks} if self._last is not None else {}
        for check_id, env in self._checks:
            strip = Text()
            for status in self._strips[check_id]:
                strip.append(GLYPHS.get(status, "?"), style=STYLES.get(status, ""))
            row = rows.get(check_id)
            if row is None:
                table.add_row(Text(check_id), Text(env), strip, Text("pending", style="dim"))
                continue
            seconds = "" if row.status == "skipped" else f"{row.duration_ms / 1000:.2f}s"
            table.add_row(
                Text(check_id),
                Text(env),
                strip,
                Text(row.status, style=STYLES.get(row.status, "")),
                Text(seconds),
                Text(visible(self._redact(row.reason))),
            )
        return Group(head, table)

    def iteration(self, iteration: Iteration, progress: str) -> None:
        self._last = iteration
        self._progress = progress
        for row in iteration.checks:
            if row.id in self._strips:
                self._strips[row.id].append(row.status)
        if self._live is not None:
            self._live.update(self.render(), refresh=True)

    def say(self, text: str) -> None:
        from rich.text import Text

        self._rich.print(Text(visible(self._redact(text))))

    def stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


def make_view(
    *,
    quiet: bool,
    redact: Redact,
    environ: Mapping[str, str],
    checks: Sequence[tuple[str, str]],
    out: TextIO,
) -> View:
    if not quiet and wants_live(out, environ):
        return LiveView(out, redact, checks)
    return PlainView(out, redact, quiet=quiet)
