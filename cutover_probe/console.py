"""What the terminal shows during a run: a live table on a terminal, one plain line per check
elsewhere (CI logs, pipes, ``CI`` or ``NO_COLOR`` set), or only the verdict and the failing
checks with ``--quiet``. Every row that did not pass says why; on a terminal a row is cut to its
width at the reason (never the id), and the verdict line is bold and coloured unless
``NO_COLOR`` is set; ``-v`` prints evidence lines above the live table or between plain lines.

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
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TextIO

from cutover_probe.model import Outcome, PlannedCheck, Status
from cutover_probe.reasons import shown
from cutover_probe.text import visible

Redact = Callable[[str], str]


class Console(Protocol):
    def start(self, checks: tuple[PlannedCheck, ...]) -> None: ...
    def check_started(self, planned: PlannedCheck) -> None: ...
    def check_finished(self, planned: PlannedCheck, outcome: Outcome) -> None: ...
    def line(self, check_id: str, text: str) -> None: ...
    def stop(self) -> None: ...
    def say(self, text: str) -> None: ...
    def say_verdict(self, text: str, label: str) -> None: ...


# The verdict line's look on a terminal: it is what the engineer looks for at the end.
VERDICT_SGR = {"GO": "1;32", "NO-GO": "1;31", "BASELINE": "1;33", "INTERRUPTED": "1;33"}
VERDICT_STYLE = {
    "GO": "bold green",
    "NO-GO": "bold red",
    "BASELINE": "bold yellow",
    "INTERRUPTED": "bold yellow",
}


def wants_color(out: TextIO, environ: Mapping[str, str]) -> bool:
    """Colour only on a terminal, and never with NO_COLOR (https://no-color.org) or TERM=dumb."""
    if "NO_COLOR" in environ or environ.get("TERM") == "dumb":
        return False
    return _isatty(out)


def _isatty(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False


def terminal_width(out: TextIO, environ: Mapping[str, str]) -> int | None:
    """The terminal's width (COLUMNS first, as shells and rich read it), or None when the
    output is not a terminal: a CI log or a pipe gets whole lines, to grep."""
    if not _isatty(out):
        return None
    columns = environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(out.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return None


def wants_live(out: TextIO, environ: Mapping[str, str]) -> bool:
    if environ.get("CI") or environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        return False
    return _isatty(out)


class PlainConsole:
    """``[passed] control-staging-health (required)``: stable lines to grep in a CI log."""

    def __init__(
        self,
        out: TextIO,
        redact: Redact,
        *,
        quiet: bool = False,
        color: bool = False,
        width: int | None = None,
    ) -> None:
        self._out = out
        self._redact = redact
        self._open = True
        self._quiet = quiet
        self._color = color
        self._width = width  # a terminal's: a finished check's line is cut to it (its reason)

    def start(self, checks: tuple[PlannedCheck, ...]) -> None:
        return None

    def check_started(self, planned: PlannedCheck) -> None:
        return None

    def check_finished(self, planned: PlannedCheck, outcome: Outcome) -> None:
        if self._quiet:
            return
        line = visible(self._redact(finish_line(planned, outcome)))
        if self._width is not None and len(line) > self._width:
            # The reason is cut, never the status or the id: the log has it whole.
            head = len(finish_line(planned, Outcome(planned.id, outcome.status)))
            line = line[: max(self._width - 1, head + 2)] + "…"
        self.say(line)

    def line(self, check_id: str, text: str) -> None:
        if not self._quiet:
            self.say(f"  {check_id}: {text}")

    def stop(self) -> None:
        return None

    def say_verdict(self, text: str, label: str) -> None:
        if not self._color:
            self.say(text)
            return
        self._print(f"\x1b[{VERDICT_SGR.get(label, '1')}m{visible(self._redact(text))}\x1b[0m")

    def say(self, text: str) -> None:
        self._print(visible(self._redact(text)))

    def _print(self, text: str) -> None:
        if not self._open:
            return
        try:
            print(text, file=self._out, flush=True)
        except (BrokenPipeError, ValueError):
            self._open = False
            with contextlib.suppress(OSError, ValueError):
                # Python flushes stdout again at exit; point it at /dev/null so that stays quiet.
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, self._out.fileno())


def finish_line(planned: PlannedCheck, outcome: Outcome) -> str:
    """``[skipped] runtime-migration-drift (required): no Google Cloud credentials: …``: every
    row that did not pass says why, skips included (their how-to is the point); a pass says its
    note when it has one (``passed only on a retry: …``)."""
    line = f"[{outcome.status.value}] {planned.id} ({planned.check.required_label})"
    if outcome.reason:
        line += f": {shown(outcome.status.value, outcome.reason)}"
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
        self._rich = RichConsole(file=out, highlight=False)
        self._checks: tuple[PlannedCheck, ...] = ()
        self._started: dict[str, float] = {}
        self._done: dict[str, Outcome] = {}
        self._live: Any = None
        self._final = False  # the last render, which stays on screen: every row

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
        # Fixed widths, the reason taking what is left: on a narrow terminal the reason is cut
        # (whole in the log), never the status, the id or the time (rich would squeeze or drop
        # any column it may).
        fixed = self._fixed_widths()
        reason_width = self._reason_width()
        for header, width in zip(("status", "check", "", "time"), fixed, strict=True):
            table.add_column(
                header,
                width=width,
                no_wrap=True,
                justify="right" if header == "time" else "left",
            )
        table.add_column("reason", width=reason_width, no_wrap=True, overflow="ellipsis")
        now = time.monotonic()
        rows, hidden = self._window()
        for planned in rows:
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
                    Text(visible(self._redact(shown(outcome.status.value, outcome.reason)))),
                )
            elif planned.id in self._started:
                elapsed = now - self._started[planned.id]
                table.add_row(
                    Text("running", style="cyan"), Text(planned.id), required, f"{elapsed:.1f}s"
                )
            else:
                table.add_row(Text("pending", style="dim"), Text(planned.id), required)
        if hidden:  # below the table, whole: a column would cut it to the widest id
            table.caption = Text(hidden, style="dim")
            table.caption_justify = "left"
        return table

    def _window(self) -> tuple[Sequence[PlannedCheck], str]:
        """The rows a refresh draws, and what it leaves out. Drawn 8 times a second by rich's
        thread, which holds the GIL meanwhile: all 7,000 rows of 1000 environments made every
        refresh cost as much as the run had checks, longer the longer the run. While the run
        goes, a matrix taller than the terminal shows its running and failed checks (as many
        as fit) and counts the rest; the last render, the one left on screen, has every row."""
        room = max(self._rich.size.height - 4, 8)
        if self._final or len(self._checks) <= room:
            return self._checks, ""
        running = [p for p in self._checks if p.id in self._started and p.id not in self._done]
        failed = [
            p
            for p in self._checks
            if p.id in self._done and self._done[p.id].status in (Status.FAILED, Status.CANCELLED)
        ]
        shown = (running + failed)[:room]
        counts: dict[str, int] = {}
        for planned in self._checks:
            outcome = self._done.get(planned.id)
            state = (
                outcome.status.value
                if outcome
                else "running"
                if planned.id in self._started
                else "pending"
            )
            counts[state] = counts.get(state, 0) + 1
        hidden = len(self._checks) - len(shown)
        summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
        return shown, f"… {hidden} more not shown ({summary})"

    def _fixed_widths(self) -> tuple[int, int, int, int]:
        return (9, max((len(p.id) for p in self._checks), default=5), 8, 7)

    def _reason_width(self) -> int:
        fixed = self._fixed_widths()
        return max(self._rich.width - sum(fixed) - 2 * len(fixed), 8)

    def check_started(self, planned: PlannedCheck) -> None:
        self._started[planned.id] = time.monotonic()

    def check_finished(self, planned: PlannedCheck, outcome: Outcome) -> None:
        self._done[planned.id] = outcome

    def line(self, check_id: str, text: str) -> None:
        """``-v``: each evidence line printed above the live table as it happens."""
        from rich.text import Text

        self._rich.print(Text(visible(self._redact(f"  {check_id}: {text}"))), soft_wrap=True)

    def stop(self) -> None:
        if self._live is None:
            return
        self._final = True  # the render left on screen has every row
        self._live.stop()
        self._live = None
        # A failure whose reason the table cut is printed whole below it (the terminal wraps
        # it): the engineer should not need the log to learn why the gate closed.
        from rich.text import Text

        width = self._reason_width()
        for planned in self._checks:
            outcome = self._done.get(planned.id)
            if outcome is None or outcome.status not in (Status.FAILED, Status.CANCELLED):
                continue
            if len(visible(self._redact(outcome.reason))) > width:
                line = visible(self._redact(finish_line(planned, outcome)))
                self._rich.print(Text(line, style=STYLE[outcome.status]), soft_wrap=True)

    def say(self, text: str) -> None:
        from rich.text import Text

        # soft_wrap: the terminal wraps a long line, rich does not break it with a newline (a
        # path or a `gcloud … add-iam-policy-binding` command must paste whole).
        self._rich.print(Text(visible(self._redact(text))), highlight=False, soft_wrap=True)

    def say_verdict(self, text: str, label: str) -> None:
        from rich.text import Text

        styled = Text(visible(self._redact(text)), style=VERDICT_STYLE.get(label, "bold"))
        self._rich.print(styled, highlight=False)


def make_console(
    *, quiet: bool, redact: Redact, environ: Mapping[str, str], out: TextIO | None = None
) -> Console:
    stream = out or sys.stdout
    if not quiet and wants_live(stream, environ):
        return LiveConsole(stream, redact)
    return PlainConsole(
        stream,
        redact,
        quiet=quiet,
        color=wants_color(stream, environ),
        width=terminal_width(stream, environ),
    )
