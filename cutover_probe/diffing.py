"""`cutover-probe diff`: what changed between two reports, for the release channel and the
on-call handover. Reads only results.json, so it works on any two reports, merged ones too."""

from __future__ import annotations

from cutover_probe.results import RunResults
from cutover_probe.text import visible


def diff_documents(old: RunResults, new: RunResults) -> list[str]:
    old, new = old.map_strings(visible), new.map_strings(visible)
    before = {check.id: check for check in old.checks}
    after = {check.id: check for check in new.checks}
    newly_failing, newly_passing, changed, other = [], [], [], []
    for check_id, check in after.items():
        previous = before.get(check_id)
        if previous is None:
            other.append(f"+ {check_id}: new check, {check.status.value}")
            continue
        was, now = previous.status.value, check.status.value
        if now == "failed" and was != "failed":
            newly_failing.append(f"{check_id} (was {was}): {check.reason}")
        elif now == "passed" and was != "passed":
            newly_passing.append(f"{check_id} (was {was})")
        elif now == was and now != "passed" and previous.reason != check.reason:
            changed.append(f"{check_id} ({now}): {previous.reason!r} -> {check.reason!r}")
        elif now != was:
            other.append(f"~ {check_id}: {was} -> {now}")
    other += [
        f"- {check_id}: no longer in the matrix" for check_id in before if check_id not in after
    ]
    lines = [
        f"verdict: {old.verdict.label} ({old.timestamp}) -> {new.verdict.label} ({new.timestamp})"
    ]
    for title, items in (
        ("newly failing", newly_failing),
        ("newly passing", newly_passing),
        ("reason changed", changed),
        ("other changes", other),
    ):
        if items:
            lines.append(f"{title}:")
            lines += [f"  {item}" for item in items]
    if len(lines) == 1:
        lines.append("no check changed status or reason")
    return lines
