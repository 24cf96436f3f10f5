"""The watch's report.html: did the analysis pass, and which checks flapped?

Why a page of its own: a run's report answers "what is wrong now"; a watch's answers "what
happened through the traffic shift". So the analysis verdict comes first, then a grid of checks
× iterations (a cell per status, its reason on hover and on keyboard focus, through the cell's
``title``; each cell is focusable), each check's pass ratio and number of status changes (a
flapping check has many), and its duration over time as an inline SVG line.

Like the run's report (htmlreport.py, whose stylesheet it extends) it fetches nothing: inline CSS
and SVG under a ``default-src 'none'`` Content-Security-Policy, no script. Every string from the
watch document passes `html.escape`; the writer runs the redactor over the whole page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cutover_probe.htmlreport import CSS, e, fmt_ms, fmt_time
from cutover_probe.text import visible

RESULT_CLASS = {
    "successful": "v-GO",
    "failed": "v-NO-GO",
    "interrupted": "v-INTERRUPTED",
    "running": "v-RUNNING",
}
SPARK_W, SPARK_H = 220, 34
WATCH_CSS = """
#verdict.v-RUNNING{background:var(--c0)}
.grid-wrap{overflow-x:auto}
table.watch td,table.watch th{padding:4px 8px;white-space:nowrap}
.cells{display:flex;gap:2px;align-items:center}
.cell{display:inline-block;width:12px;height:22px;border-radius:2px;background:var(--skip)}
.cell.s-passed{background:var(--ok)}.cell.s-failed{background:var(--fail)}
.cell.s-cancelled{background:var(--cancel)}.cell.s-skipped{background:var(--line)}
.cell:focus,.cell:hover{outline:2px solid var(--fg);outline-offset:1px}
.cell.first{margin-left:0}.tick{font-size:11px;color:var(--muted);display:inline-block;width:12px;
text-align:left;overflow:visible}
.spark{vertical-align:middle}.spark polyline{fill:none;stroke:var(--c0);stroke-width:1.5}
.spark circle.s-failed{fill:var(--fail)}.spark circle.s-cancelled{fill:var(--cancel)}
.flap{color:var(--fail);font-weight:600}
ol.its{columns:3;font-size:14px;margin:4px 0}
"""


def render_watch_html(doc: Mapping[str, Any]) -> str:
    iterations: list[Mapping[str, Any]] = list(doc.get("iterations") or [])
    body = [
        analysis_section(doc),
        grid_section(doc, iterations),
        reports_section(iterations),
        "<footer>cutover-probe watch · "
        f"{e(doc.get('schema', ''))} · self-contained: no scripts, nothing fetched</footer>",
    ]
    result = str(doc.get("analysis", {}).get("result", "running"))
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        f"<title>watch {e(result)} · {e(doc.get('title', ''))}</title>"
        f"<style>{CSS}{WATCH_CSS}</style></head>\n<body><main>\n"
        + "\n".join(part for part in body if part)
        + "\n</main></body></html>\n"
    )


def _rules_text(rules: Mapping[str, Any]) -> str:
    parts = [f"every {rules.get('interval_s')} s"]
    if rules.get("until"):
        parts.append(f"until GO ×{rules.get('consecutive')} in a row")
        parts.append(f"timeout {rules.get('timeout_s')} s")
    else:
        if rules.get("count") is not None:
            parts.append(f"count {rules.get('count')}")
        if rules.get("duration_s") is not None:
            parts.append(f"duration {rules.get('duration_s')} s")
        parts.append(f"failure limit {rules.get('failure_limit')}")
    return ", ".join(parts)


def analysis_section(doc: Mapping[str, Any]) -> str:
    analysis = doc.get("analysis", {})
    result = str(analysis.get("result", "running"))
    failed_its = analysis.get("failed_iterations") or []
    failed_checks: Mapping[str, Sequence[int]] = analysis.get("failed_checks") or {}
    meta = [
        f"started {e(fmt_time(doc.get('started_at', '')))}",
        f"{e(analysis.get('iterations', 0))} iterations",
        e(_rules_text(analysis.get("rules", {}))),
    ]
    if analysis.get("exit_code") is not None:
        meta.append(f"exit {e(analysis['exit_code'])}")
    failed = ""
    if failed_its:
        shown = ", ".join(e(n) for n in failed_its[:40])
        more = f" … {len(failed_its) - 40} more" if len(failed_its) > 40 else ""
        failed += f'<p class="meta">not GO: iterations {shown}{more}</p>'
    if failed_checks:
        items = "; ".join(
            f"{e(check)} ({len(numbers)}×)" for check, numbers in list(failed_checks.items())[:12]
        )
        failed += f'<p class="meta">failed checks: {items}</p>'
    return (
        f'<section id="verdict" class="{RESULT_CLASS.get(result, "v-RUNNING")}">'
        f'<div class="label">{e(result.upper())}</div><div>'
        f"<h1>watch analysis · {e(doc.get('title', ''))}</h1>"
        f'<p class="why">{e(analysis.get("why", "") or "in progress")}</p>'
        f'<p class="meta">{" · ".join(meta)}</p>{failed}</div></section>'
    )


def _tip(iteration: Mapping[str, Any], row: Mapping[str, Any]) -> str:
    text = (
        f"iteration {iteration.get('number')} · {fmt_time(iteration.get('started_at'))} · "
        f"{row.get('status')}"
    )
    if row.get("status") != "skipped":
        text += f" in {fmt_ms(float(row.get('duration_ms') or 0))}"
    if row.get("reason"):
        text += f" — {row['reason']}"
    return visible(text)


def grid_section(doc: Mapping[str, Any], iterations: Sequence[Mapping[str, Any]]) -> str:
    if not iterations:
        return (
            "<section><h2>Checks × iterations</h2><p class='muted'>No iteration yet.</p></section>"
        )
    ids = [str(c.get("id")) for c in doc.get("checks") or []]
    envs = {str(c.get("id")): c.get("environment") or "" for c in doc.get("checks") or []}
    positions = {
        check_id: [
            next((r for r in it.get("checks") or [] if r.get("id") == check_id), None)
            for it in iterations
        ]
        for check_id in ids
    }
    ticks = "".join(
        f'<span class="tick">{e(it.get("number"))}</span>'
        if (k == 0 or (k + 1) % 10 == 0)
        else '<span class="tick"></span>'
        for k, it in enumerate(iterations)
    )
    head = (
        "<tr><th>check</th><th>env</th><th title='passed / ran (skips not counted)'>pass</th>"
        "<th title='how often the status changed from one iteration to the next'>changes</th>"
        f'<th><div class="cells">{ticks}</div></th><th>duration over time</th></tr>'
    )
    rows = []
    verdicts = (
        '<tr><td colspan="4" class="muted">verdict</td><td><div class="cells">'
        + "".join(
            f'<span class="cell s-{"passed" if it.get("verdict") == "GO" else "failed"}" '
            f'tabindex="0" title="{e(_verdict_tip(it))}"></span>'
            for it in iterations
        )
        + "</div></td><td></td></tr>"
    )
    rows.append(verdicts)
    for check_id in ids:
        cells_rows = positions[check_id]
        cells = []
        passed = ran = changes = 0
        last = None
        for it, row in zip(iterations, cells_rows, strict=True):
            if row is None:
                cells.append('<span class="cell"></span>')
                continue
            status = str(row.get("status"))
            if status != "skipped":
                ran += 1
                passed += status == "passed"
            if last is not None and status != last:
                changes += 1
            last = status
            cells.append(
                f'<span class="cell s-{e(status)}" tabindex="0" title="{e(_tip(it, row))}"></span>'
            )
        ratio = f"{passed}/{ran} ({100 * passed / ran:.0f}%)" if ran else "—"
        flap = ' class="num flap"' if changes >= 2 else ' class="num"'
        rows.append(
            f"<tr><td>{e(check_id)}</td><td>{e(envs.get(check_id, ''))}</td>"
            f'<td class="num">{e(ratio)}</td><td{flap}>{changes}</td>'
            f'<td><div class="cells">{"".join(cells)}</div></td>'
            f"<td>{sparkline(cells_rows)}</td></tr>"
        )
    legend = (
        '<p class="legend"><span class="sw s-passed"></span>passed'
        '<span class="sw s-failed"></span>failed<span class="sw s-cancelled"></span>cancelled'
        '<span class="sw" style="background:var(--line)"></span>skipped · hover or focus a '
        "cell (Tab) for its iteration, time and reason</p>"
    )
    return (
        "<section><h2>Checks × iterations</h2>"
        f'<div class="grid-wrap"><table class="watch">{head}{"".join(rows)}</table></div>'
        f"{legend}</section>"
    )


def _verdict_tip(it: Mapping[str, Any]) -> str:
    return (
        f"iteration {it.get('number')} · {fmt_time(it.get('started_at'))} · "
        f"{it.get('verdict')} in {fmt_ms(float(it.get('wall_ms') or 0))}"
    )


def sparkline(rows: Sequence[Mapping[str, Any] | None]) -> str:
    points = [
        (k, float(r.get("duration_ms") or 0), str(r.get("status")))
        for k, r in enumerate(rows)
        if r is not None and r.get("status") != "skipped"
    ]
    if not points:
        return '<span class="muted">—</span>'
    top = max(ms for _, ms, _ in points) or 1.0
    span = max(len(rows) - 1, 1)

    def xy(k: int, ms: float) -> tuple[float, float]:
        return 2 + k * (SPARK_W - 4) / span, SPARK_H - 3 - ms / top * (SPARK_H - 8)

    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(k, ms) for k, ms, _ in points))
    marks = "".join(
        f'<circle class="s-{e(status)}" cx="{x:.1f}" cy="{y:.1f}" r="2.2"/>'
        for (k, ms, status) in points
        if status in ("failed", "cancelled")
        for x, y in (xy(k, ms),)
    )
    label = f"longest {fmt_ms(top)}"
    return (
        f'<svg class="spark" width="{SPARK_W}" height="{SPARK_H}" viewBox="0 0 {SPARK_W} '
        f'{SPARK_H}" role="img" aria-label="{e(label)}"><title>{e(label)}</title>'
        f'<polyline points="{line}"/>{marks}</svg> <span class="muted">{e(fmt_ms(top))}</span>'
    )


def reports_section(iterations: Sequence[Mapping[str, Any]]) -> str:
    kept = [it for it in iterations if it.get("report")]
    if not kept:
        return ""
    items = "".join(
        f'<li><a href="{e(it["report"])}/report.html">iteration {e(it.get("number"))}</a> '
        f"{e(it.get('verdict'))}</li>"
        for it in kept[-300:]
    )
    return (
        "<section><h2>Iteration reports</h2><p class='muted'>Every NO-GO iteration, every "
        "change of verdict and the last iteration keep their full report.</p>"
        f'<ol class="its">{items}</ol></section>'
    )
