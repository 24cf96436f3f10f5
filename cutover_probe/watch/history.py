"""What a watch remembers: one small row per check per iteration, never a response.

Why: a watch may run for hours at a short interval. Each iteration's outcomes carry evidence
lines and details (response excerpts, traffic tables); keeping them would grow memory with
every iteration. The history keeps only what the rules, the grid and the metrics need (status,
duration, a reason cut to `REASON_CHARS`), with repeated reasons shared, so memory grows by a
few hundred bytes per check per iteration. The full evidence of the iterations that matter
(every NO-GO, every change of verdict, the last one) is on disk as ordinary reports.

`watch.json` is rendered from these rows (docs/results-schema.md, schema
``cutover-probe/watch/v1``).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cutover_probe.text import visible
from cutover_probe.watch.analysis import Rules, State

WATCH_SCHEMA = "cutover-probe/watch/v1"
REASON_CHARS = 300


@dataclass(frozen=True, slots=True)
class CheckRow:
    id: str
    status: str  # passed, failed, skipped, cancelled
    duration_ms: float
    reason: str


@dataclass(frozen=True, slots=True)
class Iteration:
    number: int  # from 1
    started_at: str  # ISO 8601 UTC
    offset_s: float  # seconds since the watch began
    wall_ms: float
    verdict: str  # GO, NO-GO, BASELINE, INTERRUPTED
    checks: tuple[CheckRow, ...]  # matrix order
    report: str | None = None  # the iteration's report directory, relative, when kept


def short_reason(reason: str, seen: dict[str, str]) -> str:
    """The reason cut to REASON_CHARS, control characters shown as U+FFFD (a server wrote it),
    shared with earlier identical ones (flat memory)."""
    text = reason if len(reason) <= REASON_CHARS else reason[: REASON_CHARS - 1] + "…"
    text = visible(text)
    known = seen.get(text)
    if known is not None:
        return known
    if len(seen) < 10_000:  # a bound even if every reason differs (a timestamp in it)
        seen[text] = sys.intern(text) if text.isascii() else text
    return text


def iteration_document(iteration: Iteration) -> dict[str, Any]:
    return {
        "number": iteration.number,
        "started_at": iteration.started_at,
        "offset_s": round(iteration.offset_s, 3),
        "wall_ms": round(iteration.wall_ms, 1),
        "verdict": iteration.verdict,
        "report": iteration.report,
        "checks": [
            {
                "id": row.id,
                "status": row.status,
                "duration_ms": round(row.duration_ms, 1),
                "reason": row.reason,
            }
            for row in iteration.checks
        ],
    }


def failed_checks(iterations: Sequence[Iteration]) -> dict[str, list[int]]:
    """Each check that failed or was cancelled, with the iterations it did so in."""
    found: dict[str, list[int]] = {}
    for iteration in iterations:
        for row in iteration.checks:
            if row.status in ("failed", "cancelled"):
                found.setdefault(row.id, []).append(iteration.number)
    return found


def analysis_document(
    rules: Rules, state: State, iterations: Sequence[Iteration], exit_code: int | None
) -> dict[str, Any]:
    return {
        "result": state.result.value,
        "why": state.why,
        "exit_code": exit_code,
        "rules": rules.as_dict(),
        "iterations": state.iterations,
        "failures": state.failures,
        "consecutive_go": state.streak,
        "failed_iterations": [i.number for i in iterations if i.verdict != "GO"],
        "failed_checks": failed_checks(iterations),
    }


def watch_document(
    *,
    title: str,
    started_at: str,
    rules: Rules,
    state: State,
    iterations: Sequence[Iteration],
    exit_code: int | None,
    ids: Sequence[str],
    environments: Mapping[str, str | None],
) -> dict[str, Any]:
    return {
        "schema": WATCH_SCHEMA,
        "title": title,
        "started_at": started_at,
        "checks": [{"id": i, "environment": environments.get(i)} for i in ids],
        "analysis": analysis_document(rules, state, iterations, exit_code),
        "iterations": [iteration_document(i) for i in iterations],
    }


def pass_ratio(iterations: Sequence[Iteration], position: int) -> tuple[int, int]:
    """(passed, ran) of the check at ``position``; skipped iterations do not count as run."""
    passed = ran = 0
    for iteration in iterations:
        status = iteration.checks[position].status
        if status != "skipped":
            ran += 1
            passed += status == "passed"
    return passed, ran


def status_changes(iterations: Sequence[Iteration], position: int) -> int:
    changes, last = 0, None
    for iteration in iterations:
        status = iteration.checks[position].status
        if last is not None and status != last:
            changes += 1
        last = status
    return changes
