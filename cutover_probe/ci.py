"""CI renderings of a results document: JUnit XML and a GitHub Actions step summary.

Both come from the results model (results.py, the same data every other artifact comes from),
so a merged report of shards gets them too. JUnit: one testcase per check, ``classname`` its
kind and environment, failures carrying the reason and the check's log, skips the skip reason,
times in seconds; a cancelled check is an ``error``, since it never reached a verdict.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from cutover_probe.model import Status
from cutover_probe.reasons import shown
from cutover_probe.results import RunResults
from cutover_probe.text import markdown_cell, visible

MARK = {"passed": "✅", "failed": "❌", "skipped": "⏭️", "cancelled": "⚠️"}


def render_junit(doc: RunResults) -> str:
    """Always well-formed XML: every value is made `visible` first, so no character that XML
    1.0 forbids (NUL, ESC, a lone surrogate, U+FFFE) reaches the file."""
    doc = doc.map_strings(visible)
    checks = doc.checks
    counts = doc.verdict.counts
    suite = ET.Element(
        "testsuite",
        {
            "name": doc.title,
            "tests": str(len(checks)),
            "failures": str(counts.required_failures + counts.optional_failures),
            "errors": str(counts.cancelled),
            "skipped": str(counts.required_skipped + counts.optional_skipped),
            "time": f"{doc.wall_ms / 1000:.3f}",
            "timestamp": doc.timestamp,
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("verdict", doc.verdict.label),
        ("overall", doc.verdict.overall),
        ("why", doc.verdict.why),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": str(value)})
    for check in checks:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "name": check.id,
                "classname": f"{check.kind}.{check.environment or 'global'}",
                "time": f"{check.duration_ms / 1000:.3f}",
            },
        )
        status = check.status
        label = check.required_label
        if status is Status.FAILED:
            failure = ET.SubElement(
                case,
                "failure",
                {"message": shown("failed", check.reason), "type": f"{label} check failed"},
            )
            failure.text = "\n".join(check.evidence)
        elif status is Status.SKIPPED:
            ET.SubElement(case, "skipped", {"message": check.reason})
        elif status is Status.CANCELLED:
            ET.SubElement(
                case, "error", {"message": shown("cancelled", check.reason), "type": "cancelled"}
            )
        if status is not Status.SKIPPED:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(check.evidence)
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, "unicode") + "\n"


def render_step_summary(doc: RunResults) -> str:
    """Markdown for $GITHUB_STEP_SUMMARY: verdict, a table of checks, the failures' reasons."""
    doc = doc.map_strings(visible)
    verdict = doc.verdict
    c = verdict.counts
    out = [
        f"## {doc.title}: {verdict.label}",
        "",
        f"{verdict.why}. {c.passed} of {c.total} passed, "
        f"{c.required_failures + c.optional_failures} failed, "
        f"{c.required_skipped + c.optional_skipped} skipped"
        + (f", {c.cancelled} cancelled" if c.cancelled else "")
        + ".",
        "",
        "| | Check | Required | Duration | Reason |",
        "| --- | --- | --- | --- | --- |",
    ]
    for check in doc.checks:
        reason = markdown_cell(shown(check.status.value, check.reason))
        status = check.status.value
        duration = "" if check.status is Status.SKIPPED else f"{check.duration_ms / 1000:.2f}s"
        out.append(
            f"| {MARK.get(status, '')} {status} | `{check.id}` "
            f"| {check.required_label} | {duration} | {reason} |"
        )
    failed = [check for check in doc.checks if check.status is Status.FAILED]
    if failed:
        out += ["", "### Failures", ""]
        out += [f"- **{check.id}**: {visible(shown('failed', check.reason))}" for check in failed]
    return "\n".join(out) + "\n\n"
