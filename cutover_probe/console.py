"""What the terminal shows during a run: a live table on a terminal, one plain line per check
elsewhere (CI logs, pipes, ``CI`` or ``NO_COLOR`` set), or only the verdict with ``--quiet``.

All three get the same events and pass every line through the run's redactor, then `visible`
(outside text never moves the cursor or retitles the window), and the live table gets it as
rich `Text`, never markup (a reason holding ``[/]`` must not stop the run). A closed pipe
(`| head`) silences the terminal but never stops the run: the report matters more.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TextIO

from cutover_probe.model import Outcome, PlannedCheck, Status
from cutover_probe.text import visible

Redact = Callable[[str], str]


class Console(Protocol):
    def start(self, checks: tuple[PlannedCheck, ...]) -> None: ...
    def check_started(self, planned: PlannedCheck) -> None: ...
    def check_finished(self, planned: PlannedCheck, outcome: Outcome) -> None: ...
    def line(self, check_id: str, text: str) -> None: ...
    def stop(self) -> None: ...
    def say(self, text: str) -> None: ...


def wants_live(out: TextIO, environ: Mapping[str, str]) -> bool:
    if environ.get("CI") or environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        return False
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False


class PlainConsole:
    """``[passed] control-staging-health (required)``: stable lines to grep in a CI log."""

    def __init__(self, out: TextIO, redact: Redact, *, quiet: bool = False) -> None:
        self._out = out
        self._redact = redact
        self._open = True
        self._quiet = quiet

    def start(self, checks: tuple[PlannedCheck, ...]) -> None:
        return None

    def check_started(self, planned: PlannedCheck) -> None:
        return None

    def check_finished(self, planned: PlannedCheck, outcome: Outcome) -> None:
        if self._quiet:
            return
        self.say(finish_line(planned, outcome))

    def line(self, check_id: str, text: str) -> None:
        if not self._quiet:
            self.say(f"  {check_id}: {text}")

    def stop(self) -> None:
        return None

    def say(self, text: str) -> None:
        if not self._open:
            return
        try:
            print(visible(self._redact(text)), file=self._out, flush=True)
        except (BrokenPipeError, ValueError):
            self._open = False
            with contextlib.suppress(OSError, ValueError):
                # Python flushes stdout again at exit; point it at /dev/null so that stays quiet.
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, self._out.fileno())


def finish_line(planned: PlannedCheck, outcome: Outcome) -> str:
    line = f"[{outcome.status.value}] {planned.id} ({planned.check.required_label})"
    if outcome.status in (Status.FAILED, Status.CANCELLED):
        line += f": {outcome.reason}"
    return line


STYLE = {
    Status.PASSED: "green",
    Status.FAILED: "bold red",
    Status.SKIPPED: "dim",
    Status.CANCELLED: "yellow",
}


class LiveConsole:
    """A live table (rich): pending, running with elapsed time, then the outcome and reason.
    When the run ends the table stays on screen as the final summary."""

    def __init__(self, out: TextIO, redact: Redact) -> None:
        from rich.console import Console as RichConsole

        self._redact = redact
        self._rich = RichConsole(file=out)
        self._checks: tuple[PlannedCheck, ...] = ()
        self._started: dict[str, float] = {}
        self._done: dict[str, Outcome] = {}
        self._live: Any = None

    def start(self, checks: tuple[PlannedCheck, ...]) -> None:
        from rich.live import Live

        self._checks = checks
        self._live = Live(
            get_renderable=self._table, console=self._rich, refresh_per_second=8, transient=False
        )
        self._live.start()

    def _table(self) -> Any:
        from rich.table import Table
        from rich.text import Text

        table = Table(box=None, pad_edge=False, show_edge=False)
        table.add_column("status")
        table.add_column("check")
        table.add_column("")
        table.add_column("time", justify="right")
        table.add_column("reason", overflow="fold")
        now = time.monotonic()
        for planned in self._checks:
            outcome = self._done.get(planned.id)
            required = planned.check.required_label
            if outcome is not None:
                seconds = (
                    "" if outcome.status is Status.SKIPPED else f"{outcome.duration_ms / 1000:.2f}s"
                )
                table.add_row(
                    Text(outcome.status.value, style=STYLE[outcome.status]),
                    Text(planned.id),
                    required,
                    seconds,
                    Text(visible(self._redact(outcome.reason))),
                )
            elif planned.id in self._started:
                elapsed = now - self._started[planned.id]
                table.add_row(
                    Text("running", style="cyan"), Text(planned.id), required, f"{elapsed:.1f}s"
                )
            else:
                table.add_row(Text("pending", style="dim"), Text(planned.id), required)
        return table

    def check_started(self, planned: PlannedCheck) -> None:
        self._started[planned.id] = time.monotonic()

    def check_finished(self, planned: PlannedCheck, outcome: Outcome) -> None:
        self._done[planned.id] = outcome

    def line(self, check_id: str, text: str) -> None:
        return None  # the live table is the view; evidence goes to the logs

    def stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def say(self, text: str) -> None:
        from rich.text import Text

        # soft_wrap: the terminal wraps a long line, rich does not break it with a newline (a
        # path or a `gcloud … add-iam-policy-binding` command must paste whole).
        self._rich.print(Text(visible(self._redact(text))), highlight=False, soft_wrap=True)


def make_console(
    *, quiet: bool, redact: Redact, environ: Mapping[str, str], out: TextIO | None = None
) -> Console:
    stream = out or sys.stdout
    if not quiet and wants_live(stream, environ):
        return LiveConsole(stream, redact)
    return PlainConsole(stream, redact, quiet=quiet)
