"""CI renderings of a results document: JUnit XML and a GitHub Actions step summary.

Both come from results.json (the same document every other artifact comes from), so a merged
report of shards gets them too. JUnit: one testcase per check, ``classname`` its kind and
environment, failures carrying the reason and the check's log, skips the skip reason, times in
seconds; a cancelled check is an ``error``, since it never reached a verdict.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from cutover_probe.model import Status
from cutover_probe.reasons import shown
from cutover_probe.text import markdown_cell, visible, visible_values

Document = dict[str, Any]
MARK = {"passed": "✅", "failed": "❌", "skipped": "⏭️", "cancelled": "⚠️"}


def render_junit(doc: Document) -> str:
    """Always well-formed XML: every value is made `visible` first, so no character that XML
    1.0 forbids (NUL, ESC, a lone surrogate, U+FFFE) reaches the file."""
    doc = visible_values(doc)
    checks = doc["checks"]
    counts = doc["verdict"]["counts"]
    suite = ET.Element(
        "testsuite",
        {
            "name": doc["title"],
            "tests": str(len(checks)),
            "failures": str(counts["required_failures"] + counts["optional_failures"]),
            "errors": str(counts["cancelled"]),
            "skipped": str(counts["required_skipped"] + counts["optional_skipped"]),
            "time": f"{doc['wall_ms'] / 1000:.3f}",
            "timestamp": doc["timestamp"],
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("verdict", doc["verdict"]["label"]),
        ("overall", doc["verdict"]["overall"]),
        ("why", doc["verdict"]["why"]),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": str(value)})
    for check in checks:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "name": check["id"],
                "classname": f"{check['kind']}.{check['environment'] or 'global'}",
                "time": f"{check['duration_ms'] / 1000:.3f}",
            },
        )
        status = check["status"]
        label = "required" if check["required"] else "optional"
        if status == Status.FAILED.value:
            failure = ET.SubElement(
                case,
                "failure",
                {"message": shown("failed", check["reason"]), "type": f"{label} check failed"},
            )
            failure.text = "\n".join(check["evidence"])
        elif status == Status.SKIPPED.value:
            ET.SubElement(case, "skipped", {"message": check["reason"]})
        elif status == Status.CANCELLED.value:
            ET.SubElement(
                case, "error", {"message": shown("cancelled", check["reason"]), "type": "cancelled"}
            )
        if status != Status.SKIPPED.value:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(check["evidence"])
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, "unicode") + "\n"


def render_step_summary(doc: Document) -> str:
    """Markdown for $GITHUB_STEP_SUMMARY: verdict, a table of checks, the failures' reasons."""
    doc = visible_values(doc)
    verdict = doc["verdict"]
    c = verdict["counts"]
    out = [
        f"## {doc['title']}: {verdict['label']}",
        "",
        f"{verdict['why']}. {c['passed']} of {c['total']} passed, "
        f"{c['required_failures'] + c['optional_failures']} failed, "
        f"{c['required_skipped'] + c['optional_skipped']} skipped"
        + (f", {c['cancelled']} cancelled" if c["cancelled"] else "")
        + ".",
        "",
        "| | Check | Required | Duration | Reason |",
        "| --- | --- | --- | --- | --- |",
    ]
    for check in doc["checks"]:
        reason = markdown_cell(shown(check["status"], check["reason"]))
        duration = "" if check["status"] == "skipped" else f"{check['duration_ms'] / 1000:.2f}s"
        out.append(
            f"| {MARK.get(check['status'], '')} {check['status']} | `{check['id']}` "
            f"| {'required' if check['required'] else 'optional'} | {duration} | {reason} |"
        )
    failed = [check for check in doc["checks"] if check["status"] == "failed"]
    if failed:
        out += ["", "### Failures", ""]
        out += [
            f"- **{check['id']}**: {visible(shown('failed', check['reason']))}" for check in failed
        ]
    return "\n".join(out) + "\n\n"
