"""The watch's report.html: a focusable cell per check and iteration, reasons escaped (a server
chooses them)."""

from __future__ import annotations

from cutover_probe.watch.analysis import Result, State, make_rules
from cutover_probe.watch.history import watch_document
from cutover_probe.watch.htmlreport import render_watch_html

from .test_live import HOSTILE, Cells, iterations


def test_report_grid_has_a_focusable_cell_per_check_and_iteration_with_escaped_reasons() -> None:
    its = iterations("ppfpf")
    rules = make_rules(interval_s=1, count=5, failure_limit=1)
    state = State(iterations=5, failures=2, result=Result.FAILED, why="2 NO-GO iterations")
    doc = watch_document(
        title="OpenAgents <cutover>",
        started_at=its[0].started_at,
        rules=rules,
        state=state,
        iterations=its,
        exit_code=1,
        ids=["control-staging-health", "cross-surface-contract-harness"],
        environments={"control-staging-health": "staging"},
    )
    page = render_watch_html(doc)
    parser = Cells()
    parser.feed(page)
    assert parser.scripts == 0
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "OpenAgents &lt;cutover&gt;" in page
    # The verdict row and the two checks, five iterations each; each cell is focusable.
    assert len(parser.cells) == 15
    assert all(cell.get("tabindex") == "0" for cell in parser.cells)
    failed = [c for c in parser.cells if "· failed in" in (c.get("title") or "")]
    assert len(failed) == 2
    shown = HOSTILE.replace("\x1b", "\\x1b").replace("\x07", "\\x07")
    assert all(shown in (c.get("title") or "") for c in failed)
    assert "\x1b" not in page
    assert "\x07" not in page
    assert page.index("FAILED") < page.index("Checks × iterations")  # the verdict first
    assert "3/5 (60%)" in page  # the pass ratio; the skipped check counts no runs
    assert '<td class="num flap">3</td>' in page  # p p f p f: three changes
    assert '<svg class="spark"' in page
    assert "default-src 'none'" in page
