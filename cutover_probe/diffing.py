"""`cutover-probe diff`: what changed between two reports, for the release channel and the
on-call handover. Reads only results.json, so it works on any two reports, merged ones too.

`classify` is the one rule for "what changed": `diff` prints it and report.html's "Since the
previous report" renders it, so the two never disagree about a check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cutover_probe.results import CheckResult, RunResults
from cutover_probe.text import visible


@dataclass(frozen=True)
class Change:
    """One check that changed: its id, status and reason before (None: not in the old
    report) and now (None: no longer in the matrix)."""

    check_id: str
    was: str | None
    now: str | None
    old_reason: str = ""
    new_reason: str = ""


@dataclass(frozen=True)
class Changes:
    newly_failing: tuple[Change, ...]  # failed now, not failed before (new checks included)
    newly_passing: tuple[Change, ...]  # passed now, something else before
    reason_changed: tuple[Change, ...]  # the same status, not passed, another reason
    other: tuple[Change, ...]  # other status changes, new checks, removed checks

    @property
    def any(self) -> bool:
        return bool(self.newly_failing or self.newly_passing or self.reason_changed or self.other)


def classify(old: RunResults, new: RunResults | Sequence[CheckResult]) -> Changes:
    """Every check's change from ``old`` to ``new``, by id, in ``new``'s order (removed checks
    last, in ``old``'s order)."""
    checks = new.checks if isinstance(new, RunResults) else new
    before = {check.id: check for check in old.checks}
    after = {check.id: check for check in checks}
    failing: list[Change] = []
    passing: list[Change] = []
    changed: list[Change] = []
    other: list[Change] = []
    for check_id, check in after.items():
        previous = before.get(check_id)
        now, reason = check.status.value, check.reason
        if previous is None:
            change = Change(check_id, None, now, "", reason)
            (failing if now == "failed" else other).append(change)
            continue
        was, old_reason = previous.status.value, previous.reason
        change = Change(check_id, was, now, old_reason, reason)
        if now == "failed" and was != "failed":
            failing.append(change)
        elif now == "passed" and was != "passed":
            passing.append(change)
        elif now == was and now != "passed" and old_reason != reason:
            changed.append(change)
        elif now != was:
            other.append(change)
    other += [
        Change(check_id, check.status.value, None, check.reason, "")
        for check_id, check in before.items()
        if check_id not in after
    ]
    return Changes(tuple(failing), tuple(passing), tuple(changed), tuple(other))


def diff_documents(old: RunResults, new: RunResults) -> list[str]:
    old, new = old.map_strings(visible), new.map_strings(visible)
    changes = classify(old, new)
    other = []
    for change in changes.other:
        if change.was is None:
            other.append(f"+ {change.check_id}: new check, {change.now}")
        elif change.now is None:
            other.append(f"- {change.check_id}: no longer in the matrix")
        else:
            other.append(f"~ {change.check_id}: {change.was} -> {change.now}")
    lines = [
        f"verdict: {old.verdict.label} ({old.timestamp}) -> {new.verdict.label} ({new.timestamp})"
    ]
    for title, items in (
        (
            "newly failing",
            [
                f"{c.check_id} (was {c.was or 'not in that report'}): {c.new_reason}"
                for c in changes.newly_failing
            ],
        ),
        ("newly passing", [f"{c.check_id} (was {c.was})" for c in changes.newly_passing]),
        (
            "reason changed",
            [
                f"{c.check_id} ({c.now}): {c.old_reason!r} -> {c.new_reason!r}"
                for c in changes.reason_changed
            ],
        ),
        ("other changes", other),
    ):
        if items:
            lines.append(f"{title}:")
            lines += [f"  {item}" for item in items]
    if len(lines) == 1:
        lines.append("no check changed status or reason")
    return lines
