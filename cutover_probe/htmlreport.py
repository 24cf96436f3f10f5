"""report.html: one self-contained page a person looks at, rendered from results.json.

Why: on-call engineers and release managers would rather look than read a TSV. The page shows
the verdict first, then what needs attention (failed and cancelled checks with their log
excerpts, collapsed), what changed since a previous report, a timeline of the run with its
critical path (the check whose end decided the wall time), every check in matrix order, and
panels for the canary traffic split, migration drift, error-log groups and domain mappings.

What it must not do: fetch anything. No scripts, external fonts, stylesheets or images: inline
CSS and inline SVG only (a Content-Security-Policy of ``default-src 'none'`` enforces it), so it
reads the same opened from disk or attached to a CI run, in light and dark themes
(``prefers-color-scheme``). Collapsing uses ``<details>``, which needs no JavaScript. It must not
add an unescaped value: every string from the document passes `html.escape`, and the writer
(`report.write_report`) runs the redactor over the whole page, like every other artifact. It
renders only from the document, so a merged report and a whole run's come out of the same code.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from cutover_probe.diffing import COMPARED_DIR, Change, classify
from cutover_probe.text import visible_values

Document = dict[str, Any]
Check = Mapping[str, Any]

EXCERPT_LINES = 40
BAD = ("failed", "cancelled")
COUNTS = (
    ("total", "total"),
    ("passed", "passed"),
    ("required_failures", "required failures"),
    ("optional_failures", "optional failures"),
    ("required_skipped", "required skipped"),
    ("optional_skipped", "optional skipped"),
    ("cancelled", "cancelled"),
)
# Timeline geometry, in SVG user units (the SVG scales to the page's width).
WIDTH, LABEL_W, RIGHT_PAD, ROW_H, BAR_H, TOP = 960, 250, 110, 22, 14, 26

CSS = """
:root{color-scheme:light dark;--bg:#f6f8fa;--fg:#1f2328;--muted:#59636e;--card:#fff;
--line:#d1d9e0;--ok:#1a7f37;--fail:#cf222e;--skip:#8c959f;--cancel:#b35900;--base:#8250df;
--c0:#0969da;--c1:#bf3989;--c2:#1a7f37;--c3:#9a6700;--c4:#8250df;--c5:#57606a;--on:#fff;
--chip:rgba(255,255,255,.2)}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;
--card:#161b22;--line:#30363d;--ok:#3fb950;--fail:#f85149;--skip:#6e7681;--cancel:#db8b2b;
--base:#a371f7;--c0:#4493f8;--c1:#db61a2;--c2:#3fb950;--c3:#d29922;--c4:#a371f7;
--c5:#8b949e;--on:#0d1117;--chip:rgba(0,0,0,.14)}}
*{box-sizing:border-box}
body{margin:0;padding:24px;background:var(--bg);color:var(--fg);line-height:1.45;
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto}
h1{font-size:20px;margin:0 0 4px}h2{font-size:17px;margin:0 0 12px}h3{font-size:15px;margin:0}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;
padding:16px 20px;margin:0 0 18px}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
.muted{color:var(--muted)}.wrap{overflow-wrap:anywhere}
#verdict{display:flex;gap:24px;align-items:center;flex-wrap:wrap;border-width:0;color:var(--on)}
#verdict.v-GO{background:var(--ok)}#verdict.v-NO-GO{background:var(--fail)}
#verdict.v-BASELINE{background:var(--base)}#verdict.v-INTERRUPTED{background:var(--cancel)}
#verdict .label{font-size:56px;font-weight:800;letter-spacing:1px;line-height:1}
#verdict .meta{opacity:.9;margin:2px 0}#verdict .why{font-weight:600;margin:0}
.counts{display:flex;flex-wrap:wrap;gap:8px;margin:10px 0 0;padding:0;list-style:none}
.counts li{background:var(--chip);border-radius:6px;padding:3px 10px}
.counts b{font-size:17px;margin-right:4px}
.pill{display:inline-block;border-radius:999px;padding:0 9px;font-size:12px;font-weight:600;
color:var(--on);white-space:nowrap}
.pill.s-passed{background:var(--ok)}.pill.s-failed{background:var(--fail)}
.pill.s-skipped{background:var(--skip)}.pill.s-cancelled{background:var(--cancel)}
.tag{font-size:12px;border:1px solid var(--line);border-radius:4px;padding:0 6px}
.attn{border-left:4px solid var(--fail);padding:6px 0 6px 12px;margin:0 0 12px}
.attn.s-cancelled{border-color:var(--cancel)}.attn p{margin:4px 0}
details summary{cursor:pointer;color:var(--muted)}
pre{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:10px;
overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere;margin:6px 0 0}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:13px;color:var(--muted);font-weight:600}td.num{text-align:right;white-space:nowrap}
tr.s-failed td:first-child{box-shadow:inset 3px 0 var(--fail)}
tr.s-cancelled td:first-child{box-shadow:inset 3px 0 var(--cancel)}
svg text{fill:var(--fg);font-size:12px;font-family:inherit}svg .axis{fill:var(--muted)}
svg .grid{stroke:var(--line)}svg .wall{stroke:var(--muted);stroke-dasharray:3 3}
rect.s-passed{fill:var(--ok)}rect.s-failed{fill:var(--fail)}rect.s-cancelled{fill:var(--cancel)}
rect.critical{stroke:var(--fg);stroke-width:2.5}svg .crit{font-weight:700}
svg .skip{fill:var(--muted);font-style:italic}
.timeline{width:100%;height:auto}.legend{font-size:13px;color:var(--muted);margin:6px 0 0}
.sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin:0 4px 0 10px;
vertical-align:-1px}
.sw.s-passed{background:var(--ok)}.sw.s-failed{background:var(--fail)}
.sw.s-cancelled{background:var(--cancel)}.sw.critical{border:2.5px solid var(--fg)}
rect.c0,.sw.c0{fill:var(--c0);background:var(--c0)}
rect.c1,.sw.c1{fill:var(--c1);background:var(--c1)}
rect.c2,.sw.c2{fill:var(--c2);background:var(--c2)}
rect.c3,.sw.c3{fill:var(--c3);background:var(--c3)}
rect.c4,.sw.c4{fill:var(--c4);background:var(--c4)}
rect.c5,.sw.c5{fill:var(--c5);background:var(--c5)}
rect.unready{stroke:var(--fail);stroke-width:3}svg text.seg{fill:var(--on);font-weight:600}
.panel{margin:0 0 16px}.cards{display:grid;gap:12px;
grid-template-columns:repeat(auto-fit,minmax(260px,1fr));margin:8px 0 0}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.card h3{font-size:13px;color:var(--muted);margin:0 0 4px}
.ok{color:var(--ok);font-weight:600}.bad{color:var(--fail);font-weight:600}
.err{color:var(--fail)}.attn.s-skipped{border-color:var(--skip)}
.cbar{display:inline-block;height:8px;background:var(--fail);border-radius:4px;margin-left:6px}
dl.env{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0 0}
dl.env dd{margin:0}ul.changes{margin:4px 0 10px;padding-left:20px}
footer{font-size:12px;color:var(--muted);text-align:center}
"""


def e(value: object) -> str:
    return escape(str(value), quote=True)


def fmt_ms(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def fmt_age(seconds: object) -> str:
    s = int(seconds) if isinstance(seconds, int | float) else 0
    for unit, size, upto in (("s", 1, 120), ("min", 60, 7200), ("h", 3600, 172800)):
        if s < upto:
            return f"{s // size} {unit}"
    return f"{s // 86400} d"


def fmt_time(stamp: object) -> str:
    """An ISO 8601 time to the second, in UTC; what is not one, as it is."""
    try:
        when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return str(stamp or "—")
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%d %H:%M:%S") + (" UTC" if when.tzinfo else "")


def pill(status: str) -> str:
    return f'<span class="pill s-{e(status)}">{e(status)}</span>'


def required_label(check: Check) -> str:
    return "required" if check.get("required") else "optional"


def ran(check: Check) -> bool:
    return check.get("status") != "skipped"


def end_ms(check: Check) -> float:
    return float(check.get("started_ms") or 0) + float(check.get("duration_ms") or 0)


def critical_check(checks: Sequence[Check]) -> Check | None:
    """The check that ended last: the run took as long as it did because of it."""
    running = [c for c in checks if ran(c)]
    return max(running, key=end_ms) if running else None


def render_html(doc: Document, previous: Document | None = None) -> str:
    # Outside text as visible text: no raw control character reaches the page's source.
    doc = visible_values(doc)
    previous = visible_values(previous) if previous is not None else None
    checks: list[Check] = list(doc.get("checks") or [])
    body = [
        verdict_section(doc),
        attention_section(checks),
        changes_section(checks, previous) if previous is not None else "",
        timeline_section(doc, checks),
        checks_section(checks),
        panels_section(doc, checks),
        environment_section(doc),
        f"<footer>cutover-probe {e(doc.get('tool', {}).get('version', ''))} · "
        f"{e(doc.get('schema', ''))} · self-contained: no scripts, nothing fetched</footer>",
    ]
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        f"<title>{e(doc['verdict']['label'])} · {e(doc.get('title', ''))}</title>"
        f"<style>{CSS}</style></head>\n<body><main>\n"
        + "\n".join(part for part in body if part)
        + "\n</main></body></html>\n"
    )


def verdict_section(doc: Document) -> str:
    verdict = doc["verdict"]
    counts = verdict.get("counts", {})
    label = str(verdict["label"])
    stamp = fmt_time(doc.get("timestamp", ""))
    meta = [f"started {e(stamp)}", f"wall time {e(fmt_ms(float(doc.get('wall_ms') or 0)))}"]
    meta.append("release gating" if verdict.get("gating") else "baseline capture")
    if doc.get("merged_from"):
        shards = doc["merged_from"]
        meta.append(
            f'<span title="{e(", ".join(map(str, shards)))}">merged from '
            f"{len(shards)} shard{'s' if len(shards) != 1 else ''}</span>"
        )
    if doc.get("shard"):
        meta.append(
            f"shard {e(doc['shard']['index'])} of {e(doc['shard']['count'])} "
            "(this shard's checks only)"
        )
    items = "".join(
        f'<li data-count="{key}"><b>{e(counts.get(key, 0))}</b>{name}</li>' for key, name in COUNTS
    )
    return (
        f'<section id="verdict" class="v-{e(label)}" data-verdict="{e(label)}">'
        f'<div class="label">{e(label)}</div><div>'
        f"<h1>{e(doc.get('title', ''))}</h1>"
        f'<p class="why">{e(verdict.get("why", ""))}</p>'
        f'<p class="meta">{" · ".join(meta)}</p>'
        f'<ul class="counts">{items}</ul></div></section>'
    )


def attention_section(checks: Sequence[Check]) -> str:
    # Failed, then cancelled, then required-but-skipped: everything that can block the gate.
    order = {"failed": 0, "cancelled": 1, "skipped": 2}
    flagged = sorted(
        (c for c in checks if c.get("status") in BAD or (c.get("required") and not ran(c))),
        key=lambda c: (order[c["status"]], not c.get("required")),
    )
    if not flagged:
        return (
            '<section id="attention"><h2>Needs attention</h2><p class="muted">Nothing: no check '
            "failed or was cancelled, and no required check was skipped.</p></section>"
        )
    items = []
    for check in flagged:
        evidence = [str(line) for line in check.get("evidence") or []]
        shown = evidence[-EXCERPT_LINES:]
        what = (
            f"last {len(shown)} of {len(evidence)} lines"
            if len(shown) < len(evidence)
            else f"{len(evidence)} line{'s' if len(evidence) != 1 else ''}"
        )
        items.append(
            f'<article class="attn s-{e(check["status"])}" data-check="{e(check["id"])}">'
            f"<h3>{pill(check['status'])} <code>{e(check['id'])}</code> "
            f'<span class="tag">{required_label(check)}</span> '
            f'<span class="tag">{e(check.get("environment") or "global")}</span></h3>'
            f'<p class="wrap">{e(check.get("reason") or "(no reason recorded)")}</p>'
            f'<details class="log"><summary>Log excerpt ({what}; full log: '
            f"{e(check.get('log_path', ''))})</summary>"
            f"<pre>{e(chr(10).join(shown))}</pre></details></article>"
        )
    return f'<section id="attention"><h2>Needs attention</h2>{"".join(items)}</section>'


def changes_section(checks: Sequence[Check], previous: Document) -> str:
    """What changed, by `diffing.classify`: the same rule as `cutover-probe diff`."""
    changes = classify(previous, {"checks": list(checks)})

    def was(change: Change) -> str:
        return e(change.was or "not in that report")

    label = e(previous.get("verdict", {}).get("label", "?"))
    where = previous.get(COMPARED_DIR)
    source = f" in <code>{e(where)}</code>" if where else ""
    parts = [
        '<section id="changes"><h2>Since the previous report</h2>'
        f'<p class="muted">Compared with the report of {e(previous.get("timestamp", "?"))}'
        f"{source} ({label}), as <code>cutover-probe diff</code> compares them.</p>"
    ]
    groups = (
        (
            "Newly failing",
            "newly-failing",
            [
                f"<li><code>{e(c.check_id)}</code>: {was(c)} → {pill(c.now or '')} "
                f"{e(c.new_reason)}</li>"
                for c in changes.newly_failing
            ],
        ),
        (
            "Newly passing",
            "newly-passing",
            [
                f"<li><code>{e(c.check_id)}</code>: {was(c)} → {pill(c.now or '')}</li>"
                for c in changes.newly_passing
            ],
        ),
        (
            "Reason changed",
            "reason-changed",
            [
                f"<li><code>{e(c.check_id)}</code> ({e(c.now or '')}): {e(c.old_reason)} → "
                f"{e(c.new_reason)}</li>"
                for c in changes.reason_changed
            ],
        ),
        (
            "Other changes",
            "other-changes",
            [
                f"<li><code>{e(c.check_id)}</code>: {was(c)} → "
                f"{pill(c.now) if c.now else 'no longer in the matrix'}</li>"
                for c in changes.other
            ],
        ),
    )
    for title, key, rows in groups:
        if rows:
            parts.append(f'<h3>{title}</h3><ul class="changes" id="{key}">{"".join(rows)}</ul>')
    if not changes.any:
        parts.append("<p>No check changed status or reason.</p>")
    return "".join(parts) + "</section>"


def nice_step(span: float, target: int = 6) -> float:
    raw = max(span, 1.0) / target
    magnitude = 10 ** math.floor(math.log10(raw))
    return float(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw))


def timeline_section(doc: Document, checks: Sequence[Check]) -> str:
    head = '<section id="timeline"><h2>Timeline</h2>'
    critical = critical_check(checks)
    if critical is None:
        return head + (
            '<p class="muted" id="no-bars">No check ran (every check was skipped), so '
            "there is nothing to draw.</p></section>"
        )
    span = max(float(doc.get("wall_ms") or 0), max(end_ms(c) for c in checks if ran(c)), 1.0)
    plot = WIDTH - LABEL_W - RIGHT_PAD

    def x(ms: float) -> float:
        return LABEL_W + plot * ms / span

    height = TOP + ROW_H * len(checks) + 6
    out = [
        f'<svg class="timeline" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="timeline of the run: one bar per check">'
    ]
    step = nice_step(span)
    tick = 0.0
    while tick <= span + 1e-9:
        out.append(
            f'<line class="grid" x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{TOP - 6}" '
            f'y2="{height - 4}"/><text class="axis" x="{x(tick):.1f}" y="14" '
            f'text-anchor="middle">{e(fmt_ms(tick))}</text>'
        )
        tick += step
    wall = float(doc.get("wall_ms") or 0)
    if wall:
        out.append(
            f'<line class="wall" x1="{x(wall):.1f}" x2="{x(wall):.1f}" y1="{TOP - 6}" '
            f'y2="{height - 4}"><title>wall time {e(fmt_ms(wall))}</title></line>'
        )
    for row, check in enumerate(checks):
        y = TOP + row * ROW_H
        cid, status = str(check["id"]), str(check["status"])
        name = cid if len(cid) <= 36 else cid[:35] + "…"
        out.append(
            f'<text x="{LABEL_W - 8}" y="{y + BAR_H - 2}" text-anchor="end">'
            f"<title>{e(cid)}</title>{e(name)}</text>"
        )
        if not ran(check):
            out.append(
                f'<text class="skip" x="{LABEL_W + 4}" y="{y + BAR_H - 2}">skipped: '
                f"{e(check.get('reason', ''))}</text>"
            )
            continue
        start, duration = float(check.get("started_ms") or 0), float(check["duration_ms"] or 0)
        is_critical = check is critical
        cls = f"bar s-{e(status)}" + (" critical" if is_critical else "")
        out.append(
            f'<rect class="{cls}" data-check="{e(cid)}" data-status="{e(status)}"'
            + (' data-critical="true"' if is_critical else "")
            + f' x="{x(start):.1f}" y="{y}" width="{max(x(start + duration) - x(start), 2):.1f}"'
            f' height="{BAR_H}" rx="2"><title>{e(cid)}: {e(status)}, {e(fmt_ms(duration))} '
            f"(from {e(fmt_ms(start))})</title></rect>"
        )
        if is_critical:
            out.append(
                f'<text class="crit" x="{x(start + duration) + 6:.1f}" '
                f'y="{y + BAR_H - 2}">◀ critical path</text>'
            )
    out.append("</svg>")
    note = (
        " Merged report: each check's start is relative to its own shard's start."
        if doc.get("merged_from")
        else ""
    )
    legend = (
        '<p class="legend"><span class="sw s-passed"></span>passed<span class="sw s-failed">'
        '</span>failed<span class="sw s-cancelled"></span>cancelled<span class="sw critical">'
        f"</span>critical path: <code>{e(critical['id'])}</code> ended last, at "
        f"{e(fmt_ms(end_ms(critical)))} of {e(fmt_ms(wall))} wall time; dashed line: wall "
        f"time.{note}</p>"
    )
    return head + "".join(out) + legend + "</section>"


def checks_section(checks: Sequence[Check]) -> str:
    rows = []
    for check in checks:
        status = str(check["status"])
        duration = "—" if status == "skipped" else fmt_ms(float(check.get("duration_ms") or 0))
        rows.append(
            f'<tr class="s-{e(status)}" data-check="{e(check["id"])}" data-status="{e(status)}">'
            f'<td class="status">{pill(status)}</td>'
            f'<td class="id"><code>{e(check["id"])}</code><br>'
            f'<span class="muted">{e(check.get("description", ""))}</span></td>'
            f'<td class="req">{required_label(check)}</td>'
            f'<td class="env">{e(check.get("environment") or "—")}</td>'
            f'<td class="num dur">{e(duration)}</td>'
            f'<td class="reason wrap">{e(check.get("reason", ""))}</td></tr>'
        )
    return (
        f'<section id="checks"><h2>All checks ({len(checks)}, matrix order)</h2><table>'
        "<thead><tr><th>Status</th><th>Check</th><th>Gate</th><th>Environment</th>"
        f"<th>Duration</th><th>Reason</th></tr></thead><tbody>{''.join(rows)}</tbody>"
        "</table></section>"
    )


def panels_section(doc: Document, checks: Sequence[Check]) -> str:
    panels = []
    for check in checks:
        details = check.get("details") or {}
        if details.get("traffic"):
            panels.append(canary_panel(check, details["traffic"]))
        if "service_image" in details or "job_image" in details:
            panels.append(drift_panel(check, details))
        if "error_groups" in details:
            panels.append(errors_panel(check, details["error_groups"]))
    if doc.get("domain_mappings"):
        panels.append(domains_panel(doc["domain_mappings"]))
    if not panels:
        return ""
    return f'<section id="panels"><h2>Evidence</h2>{"".join(panels)}</section>'


def panel_head(check: Check, what: str) -> str:
    return f"<h3>{e(what)}: <code>{e(check['id'])}</code> {pill(str(check['status']))}</h3>"


def canary_panel(check: Check, traffic: Iterable[Mapping[str, Any]]) -> str:
    targets = list(traffic)
    total = max(sum(int(t.get("percent") or 0) for t in targets), 100)
    width, offset, rects, legend = 600.0, 0.0, [], []
    for i, target in enumerate(targets):
        percent = int(target.get("percent") or 0)
        ready = target.get("ready")
        state = {True: "ready", False: "NOT READY", None: "missing"}.get(ready, str(ready))
        cls = f"c{i % 6}" + ("" if ready is True else " unready")
        label = f"{target.get('revision', '')} {percent}% ({state})"
        w = width * percent / total
        rects.append(
            f'<rect class="{cls}" x="{offset:.1f}" y="0" width="{w:.1f}" height="28">'
            f"<title>{e(label)}</title></rect>"
        )
        if w >= 40:
            rects.append(
                f'<text class="seg" x="{offset + w / 2:.1f}" y="19" '
                f'text-anchor="middle">{percent}%</text>'
            )
        tag = f" tag <code>{e(target['tag'])}</code>" if target.get("tag") else ""
        legend.append(
            f'<li><span class="sw {cls.split()[0]}"></span><code>'
            f"{e(target.get('revision', ''))}</code> {percent}%{tag} · "
            f'<span class="{"ok" if ready is True else "bad"}">{e(state)}</span></li>'
        )
        offset += w
    return (
        f'<div class="panel canary" data-check="{e(check["id"])}">'
        f"{panel_head(check, 'Canary traffic split')}"
        f'<svg class="timeline" viewBox="0 0 {width:.0f} 28" role="img" '
        f'aria-label="traffic split">{"".join(rects)}</svg>'
        f'<ul class="changes">{"".join(legend)}</ul></div>'
    )


def image_card(title: str, image: object, extra: str = "") -> str:
    shown = f'<div class="mono wrap">{e(image)}</div>' if image else '<div class="muted">none</div>'
    return f'<div class="card"><h3>{e(title)}</h3>{shown}{extra}</div>'


def drift_panel(check: Check, details: Mapping[str, Any]) -> str:
    service, job = details.get("service_image") or "", details.get("job_image") or ""
    cards = [image_card("Service image", service), image_card("Migration job image", job)]
    execution = details.get("newest_execution")
    if isinstance(execution, Mapping):
        age = execution.get("age_s")
        extra = (
            f"<p>{e(execution.get('name', ''))} · state <b>{e(execution.get('state', ''))}"
            f"</b>"
            + (f' · <span class="age">{e(fmt_age(age))} ago</span>' if age is not None else "")
            + "</p>"
        )
        cards.append(image_card("Newest migration execution", execution.get("image"), extra))
    if service and job:
        same = (
            '<p class="ok">service and job run the same image</p>'
            if service == job
            else '<p class="bad">service and job images differ</p>'
        )
    else:
        same = '<p class="muted">an image is missing</p>'
    return (
        f'<div class="panel drift" data-check="{e(check["id"])}">'
        f"{panel_head(check, 'Migration drift')}{same}"
        f'<div class="cards">{"".join(cards)}</div></div>'
    )


def errors_panel(check: Check, groups: Sequence[Mapping[str, Any]]) -> str:
    head = (
        f'<div class="panel errors" data-check="{e(check["id"])}">'
        f"{panel_head(check, 'Error-log groups')}"
    )
    if not groups:
        return head + '<p class="muted">No error entries in the window.</p></div>'
    most = max(int(g.get("count") or 0) for g in groups) or 1
    rows = "".join(
        f'<tr><td class="num">{e(g.get("count", 0))}<span class="cbar" style="width:'
        f'{60 * int(g.get("count") or 0) / most:.0f}px"></span></td>'
        f"<td>{e(', '.join(map(str, g.get('severity') or [])))}</td>"
        f'<td class="wrap mono">{e(g.get("message", ""))}</td>'
        f'<td class="wrap">{e(", ".join(map(str, g.get("revisions") or [])))}</td>'
        f"<td>{e(fmt_time(g.get('last')))}</td></tr>"
        for g in groups
    )
    return (
        head + "<table><thead><tr><th>Count</th><th>Severity</th><th>Message</th>"
        f"<th>Revisions</th><th>Last</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )


def condition(value: object) -> str:
    cls = "ok" if value == "True" else "bad" if value in ("False", "missing") else "muted"
    return f'<span class="{cls}">{e(value)}</span>'


def domains_panel(mappings: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for m in mappings:
        if m.get("error"):
            cells = f'<td colspan="3" class="wrap err">{e(m["error"])}</td>'
        else:
            notes = "; ".join(
                str(m[k]) for k in ("Ready_message", "CertificateProvisioned_message") if m.get(k)
            )
            cells = (
                f"<td>{condition(m.get('Ready', 'missing'))}</td>"
                f"<td>{condition(m.get('CertificateProvisioned', 'missing'))}</td>"
                f"<td>{e(m.get('route', ''))}"
                + (f'<br><span class="muted">{e(notes)}</span>' if notes else "")
                + "</td>"
            )
        rows.append(
            f"<tr><td>{e(m.get('environment', ''))}</td><td><code>"
            f"{e(m.get('domain', ''))}</code></td>{cells}</tr>"
        )
    return (
        '<div class="panel" id="domains"><h3>Domain mappings (evidence, not gated)</h3><table>'
        "<thead><tr><th>Environment</th><th>Domain</th><th>Ready</th><th>Certificate</th>"
        f"<th>Route</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def environment_section(doc: Document) -> str:
    env = doc.get("environment") or {}
    items = "".join(
        f"<dt><code>{e(k)}</code></dt><dd class='mono wrap'>{e(v)}</dd>" for k, v in env.items()
    )
    source = (doc.get("matrix") or {}).get("source", "")
    return (
        f'<section id="environment"><details><summary>Environment ({len(env)} variables) and '
        f'matrix <code>{e(source)}</code></summary><dl class="env">{items}</dl></details>'
        "</section>"
    )
