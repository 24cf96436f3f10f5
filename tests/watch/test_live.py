"""What a person sees of a watch: the live terminal view and report.html, with hostile text
in the reasons (a server chooses them)."""

from __future__ import annotations

import io
from html.parser import HTMLParser

from cutover_probe.watch.history import CheckRow, Iteration
from cutover_probe.watch.live import LiveView, PlainView

HOSTILE = '[bold red]pwned[/] <script>alert(1)</script> "quoted" \x1b[2J\x07 done'


def iterations(pattern: str) -> list[Iteration]:
    return [
        Iteration(
            number=n,
            started_at=f"2026-11-30T12:00:{n:02d}Z",
            offset_s=float(n),
            wall_ms=100.0 + n,
            verdict="GO" if status == "p" else "NO-GO",
            checks=(
                CheckRow(
                    "control-staging-health",
                    "passed" if status == "p" else "failed",
                    90.0 + n,
                    "" if status == "p" else HOSTILE,
                ),
                CheckRow("cross-surface-contract-harness", "skipped", 0.0, "RUN_CROSS_SURFACE=0"),
            ),
        )
        for n, status in enumerate(pattern, start=1)
    ]


def test_live_view_shows_reasons_as_text_never_markup_or_control_sequences() -> None:
    out = io.StringIO()
    checks = [("control-staging-health", "staging"), ("cross-surface-contract-harness", "")]
    view = LiveView(out, lambda text: text, checks, force_terminal=False)
    for it in iterations("ppf"):
        view.iteration(it, "iteration 3/20, 1 of 1 failures used")
    from rich.console import Console

    screen = io.StringIO()
    Console(file=screen, width=400, force_terminal=False).print(view.render())
    text = screen.getvalue()
    assert "[bold red]pwned[/]" in text  # shown as written, not styled
    assert "\x1b[2J" not in text
    assert "\x07" not in text
    assert "iteration 3/20, 1 of 1 failures used" in text
    assert "██" in text  # the strip: one mark per iteration


def test_plain_view_spells_control_characters_out() -> None:
    out = io.StringIO()
    PlainView(out, lambda text: text).iteration(iterations("f")[0], "iteration 1/3")
    assert "\x1b" not in out.getvalue()
    assert "\\x1b[2J" in out.getvalue()
    assert out.getvalue().startswith("[watch] iteration 1: NO-GO in 0.10s (iteration 1/3)")


class Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: list[dict[str, str | None]] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts += 1
        found = dict(attrs)
        if "cell" in (found.get("class") or "").split():
            self.cells.append(found)
