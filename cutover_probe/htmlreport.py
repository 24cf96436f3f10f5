"""report.html: one self-contained page a person looks at, rendered from the results model.

Why: on-call engineers and release managers would rather look than read a TSV. The page shows
the verdict first, then what needs attention (failed and cancelled checks with their log
excerpts, collapsed), what changed since a previous report, a timeline of the run with its
critical path (the check whose end decided the wall time), every check in matrix order, and
panels for the canary traffic split, migration drift, error-log groups and domain mappings.

The markup is a Jinja2 template (templates/report.html.j2) with autoescape on, the stylesheet
a CSS file beside it (templates/report.css), both package data. This module prepares what the
template cannot sensibly compute (the timeline's and the traffic split's geometry, which checks
need attention, what changed) and reads the evidence panels from the model's typed evidence,
never by guessing from a details dict's keys.

What it must not do: fetch anything. No scripts, external fonts, stylesheets or images: inline
CSS and inline SVG only (a Content-Security-Policy of ``default-src 'none'`` enforces it), so it
reads the same opened from disk or attached to a CI run, in light and dark themes
(``prefers-color-scheme``). Collapsing uses ``<details>``, which needs no JavaScript. It must not
add an unescaped value: every value the template prints passes `html.escape` (the
environment's ``finalize``; autoescape leaves only the template's own markup alone), and the
writer (`report.write_report`) runs the redactor over the whole page, like every other
artifact. It renders only from the model, so a merged report and a whole run's come out of the
same code.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from cutover_probe import diffing
from cutover_probe.results import (
    CanaryTraffic,
    CheckResult,
    DomainRecord,
    Evidence,
    RunResults,
    TrafficTarget,
)
from cutover_probe.text import visible

Check = CheckResult

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
TEMPLATES = "templates"


def _package_text(name: str) -> str:
    return resources.files("cutover_probe").joinpath(TEMPLATES, name).read_text(encoding="utf-8")


# The stylesheet, shared with the watch report (watch/htmlreport.py). The leading line break
# keeps the page's bytes as they were when the CSS lived in this module.
CSS = "\n" + _package_text("report.css")


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


def required_label(check: Check) -> str:
    return check.required_label


def ran(check: Check) -> bool:
    return check.ran


def end_ms(check: Check) -> float:
    return check.end_ms


def critical_check(checks: Sequence[Check]) -> Check | None:
    """The check that ended last: the run took as long as it did because of it."""
    running = [c for c in checks if ran(c)]
    return max(running, key=end_ms) if running else None


def nice_step(span: float, target: int = 6) -> float:
    raw = max(span, 1.0) / target
    magnitude = 10 ** math.floor(math.log10(raw))
    return float(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw))


@dataclass(frozen=True)
class Attention:
    check: Check
    what: str  # "3 lines", "last 40 of 120 lines"
    excerpt: str


def attention_items(checks: Sequence[Check]) -> list[Attention]:
    """Failed, then cancelled, then required-but-skipped: everything that can block the gate."""
    order = {"failed": 0, "cancelled": 1, "skipped": 2}
    flagged = sorted(
        (c for c in checks if c.status in BAD or (c.required and not ran(c))),
        key=lambda c: (order[c.status], not c.required),
    )
    items = []
    for check in flagged:
        evidence = list(check.evidence)
        shown = evidence[-EXCERPT_LINES:]
        what = (
            f"last {len(shown)} of {len(evidence)} lines"
            if len(shown) < len(evidence)
            else f"{len(evidence)} line{'s' if len(evidence) != 1 else ''}"
        )
        items.append(Attention(check, what, "\n".join(shown)))
    return items


@dataclass(frozen=True)
class Changes:
    """What changed since the compared-with report, by `diffing.classify`: the same rule as
    `cutover-probe diff`."""

    timestamp: str
    label: str
    directory: str  # "": not known
    changes: diffing.Changes


def changes_since(checks: Sequence[Check], previous: RunResults) -> Changes:
    return Changes(
        timestamp=previous.timestamp,
        label=previous.verdict.label,
        directory=previous.compared_directory or "",
        changes=diffing.classify(previous, checks),
    )


@dataclass(frozen=True)
class Tick:
    x: str
    label: str


@dataclass(frozen=True)
class Bar:
    x: str
    width: str
    critical: bool
    duration: str
    start: str
    crit_x: str


@dataclass(frozen=True)
class Row:
    check: Check
    y: int
    text_y: int
    name: str
    bar: Bar | None  # None: skipped


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    top: int
    bottom: int
    bar_h: int
    label_x: int
    skip_x: int
    ticks: tuple[Tick, ...]
    wall_x: str  # "": no wall time recorded
    wall_label: str
    rows: tuple[Row, ...]
    critical: Check
    critical_end: str


def timeline(doc: RunResults, checks: Sequence[Check]) -> Timeline | None:
    """Where every bar, tick and label of the timeline goes; None when no check ran."""
    critical = critical_check(checks)
    if critical is None:
        return None
    span = max(float(doc.wall_ms or 0), max(end_ms(c) for c in checks if ran(c)), 1.0)
    plot = WIDTH - LABEL_W - RIGHT_PAD

    def x(ms: float) -> float:
        return LABEL_W + plot * ms / span

    height = TOP + ROW_H * len(checks) + 6
    ticks = []
    step = nice_step(span)
    tick = 0.0
    while tick <= span + 1e-9:
        ticks.append(Tick(f"{x(tick):.1f}", fmt_ms(tick)))
        tick += step
    wall = float(doc.wall_ms or 0)
    rows = []
    for row, check in enumerate(checks):
        y = TOP + row * ROW_H
        cid = check.id
        name = cid if len(cid) <= 36 else cid[:35] + "…"
        bar = None
        if ran(check):
            start, duration = float(check.started_ms or 0), float(check.duration_ms or 0)
            bar = Bar(
                x=f"{x(start):.1f}",
                width=f"{max(x(start + duration) - x(start), 2):.1f}",
                critical=check is critical,
                duration=fmt_ms(duration),
                start=fmt_ms(start),
                crit_x=f"{x(start + duration) + 6:.1f}",
            )
        rows.append(Row(check, y, y + BAR_H - 2, name, bar))
    return Timeline(
        width=WIDTH,
        height=height,
        top=TOP - 6,
        bottom=height - 4,
        bar_h=BAR_H,
        label_x=LABEL_W - 8,
        skip_x=LABEL_W + 4,
        ticks=tuple(ticks),
        wall_x=f"{x(wall):.1f}" if wall else "",
        wall_label=fmt_ms(wall),
        rows=tuple(rows),
        critical=critical,
        critical_end=fmt_ms(end_ms(critical)),
    )


@dataclass(frozen=True)
class Segment:
    target: TrafficTarget
    percent: int
    state: str
    cls: str
    swatch: str
    x: str
    width: str
    title: str
    text_x: str  # "": too narrow for its percentage


def canary(evidence: CanaryTraffic) -> list[Segment]:
    """The traffic split as segments of a 600-unit bar (more than 100%: scaled to fit)."""
    targets = list(evidence.traffic)
    total = max(sum(t.percent for t in targets), 100)
    width, offset, segments = 600.0, 0.0, []
    for i, target in enumerate(targets):
        percent, ready = target.percent, target.ready
        state = {True: "ready", False: "NOT READY", None: "missing"}.get(ready, str(ready))
        cls = f"c{i % 6}" + ("" if ready is True else " unready")
        w = width * percent / total
        segments.append(
            Segment(
                target=target,
                percent=percent,
                state=state,
                cls=cls,
                swatch=cls.split()[0],
                x=f"{offset:.1f}",
                width=f"{w:.1f}",
                title=f"{target.revision} {percent}% ({state})",
                text_x=f"{offset + w / 2:.1f}" if w >= 40 else "",
            )
        )
        offset += w
    return segments


def domain_notes(record: DomainRecord) -> list[str]:
    return [
        record.message(name) for name in ("Ready", "CertificateProvisioned") if record.message(name)
    ]


def joined(separator: str, items: Sequence[object]) -> str:
    return separator.join(map(str, items))


def _escape(value: object) -> object:
    """Every printed value, spelled as `html.escape` spells it (``&#x27;``, ``&quot;``), as
    the page always has; the template's own markup (macros, blocks) is already safe."""
    if isinstance(value, Markup):
        return value
    return Markup(escape(str(value), quote=True))


class _JoinedLoader(jinja2.BaseLoader):
    """The package's templates with their lines joined and indentation dropped: the template
    is written for people, the page is one line per section (``{{ nl }}`` breaks a line)."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Any]:
        text = _package_text(template)
        return "".join(line.lstrip() for line in text.splitlines()), None, lambda: True


REPORT_TEMPLATE = "report.html.j2"
COMPILED_MODULE = Path(__file__).with_name("compiled_report.py")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=_JoinedLoader(),
        autoescape=True,
        finalize=_escape,
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(
        nl=Markup("\n"),
        css=Markup(CSS),  # the package's own stylesheet, not outside text
        counts=COUNTS,
        fmt_ms=fmt_ms,
        fmt_age=fmt_age,
        fmt_time=fmt_time,
        joined=joined,
        canary=canary,
        domain_notes=domain_notes,
    )
    return env


def _template_source(env: jinja2.Environment) -> str:
    return env.loader.get_source(env, REPORT_TEMPLATE)[0] if env.loader else ""


def _source_key(source: str) -> str:
    """What the compiled module was made from: the joined template and the Jinja2 version."""
    return hashlib.sha256(f"jinja2 {jinja2.__version__}\n{source}".encode()).hexdigest()


@cache
def _template() -> jinja2.Template:
    """report.html's template, from `compiled_report` (compiled ahead of time by `make
    templates`, so a run imports it as bytecode) when it was made from this very template and
    Jinja2 version; otherwise compiled here, as before: lexing, parsing and compiling it cost
    60-80 ms of CPU at the end of every run, a tenth of a run's own CPU."""
    env = _environment()
    try:
        from cutover_probe import compiled_report as compiled
    except ImportError:  # removed: compile as before
        return env.get_template(REPORT_TEMPLATE)
    if _source_key(_template_source(env)) != compiled.SOURCE_KEY:  # `make templates` not run
        return env.get_template(REPORT_TEMPLATE)
    return env.template_class.from_module_dict(env, vars(compiled), env.make_globals(None))


def compiled_template_source() -> str:
    """The text of compiled_report.py for the current template and Jinja2."""
    env = _environment()
    source = _template_source(env)
    code = env.compile(source, REPORT_TEMPLATE, None, raw=True, defer_init=True)
    # Appended, not prepended: the code's debug_info maps template lines to these lines.
    return (
        f"{code}\n\n"
        f"# Generated by `make templates` (htmlreport.write_compiled_template) from\n"
        f"# templates/{REPORT_TEMPLATE}: do not edit. Used only while SOURCE_KEY matches.\n"
        f'SOURCE_KEY = "{_source_key(source)}"\n'
    )


def write_compiled_template() -> None:
    COMPILED_MODULE.write_text(compiled_template_source(), encoding="utf-8")


def render_html(doc: RunResults, previous: RunResults | None = None) -> str:
    return _template().render(**page_context(doc, previous))


def page_context(doc: RunResults, previous: RunResults | None = None) -> dict[str, Any]:
    """What the template renders from (besides the environment's globals)."""
    # Outside text as visible text: no raw control character reaches the page's source.
    doc = doc.map_strings(visible)
    previous = previous.map_strings(visible) if previous is not None else None
    checks = list(doc.checks)
    panels: list[tuple[Check, Evidence]] = [
        (check, evidence) for check in checks for evidence in check.details.evidence
    ]
    return {
        "doc": doc,
        "attention": attention_items(checks),
        "changes": changes_since(checks, previous) if previous is not None else None,
        "timeline": timeline(doc, checks),
        "panels": panels,
    }
