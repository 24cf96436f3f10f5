"""The seed's Go/No-Go policy, exactly, and the exit code that follows from it.

Overall failed when any required check failed, was skipped, or did not finish. Gating mode
(FAIL_ON_REQUIRED_FAILURE=1) turns that into exit 1; baseline mode (=0) records it and exits 0.
An interrupted run is never a GO, whatever finished before the interrupt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cutover_probe.model import Status

# (required, status) of each check: all the policy needs, from a live run or a merged report.
Row = tuple[bool, Status]

EXIT_GO = 0
EXIT_NO_GO = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Counts:
    total: int
    passed: int
    required_failures: int
    optional_failures: int
    required_skipped: int
    optional_skipped: int
    cancelled: int


@dataclass(frozen=True)
class Verdict:
    overall: str  # "passed" or "failed", the seed's word
    label: str  # GO, NO-GO, BASELINE or INTERRUPTED
    exit_code: int
    gating: bool
    counts: Counts
    why: str  # one line: what decided it


def count(rows: Sequence[Row]) -> Counts:
    def n(status: Status, required: bool | None = None) -> int:
        return sum(
            1
            for is_required, got in rows
            if got is status and (required is None or is_required == required)
        )

    return Counts(
        total=len(rows),
        passed=n(Status.PASSED),
        required_failures=n(Status.FAILED, True),
        optional_failures=n(Status.FAILED, False),
        required_skipped=n(Status.SKIPPED, True),
        optional_skipped=n(Status.SKIPPED, False),
        cancelled=n(Status.CANCELLED),
    )


def decide(rows: Sequence[Row], *, gating: bool, interrupted: bool) -> Verdict:
    counts = count(rows)
    required_cancelled = sum(1 for required, got in rows if got is Status.CANCELLED and required)
    blockers = []
    if counts.required_failures:
        blockers.append(f"{counts.required_failures} required failed")
    if counts.required_skipped:
        blockers.append(f"{counts.required_skipped} required skipped")
    if required_cancelled:
        blockers.append(f"{required_cancelled} required cancelled")
    overall = "failed" if blockers or interrupted else "passed"
    if interrupted:
        label, code = "INTERRUPTED", EXIT_INTERRUPTED
        why = "the run was interrupted; unfinished checks are cancelled"
    elif overall == "passed":
        label, code = "GO", EXIT_GO
        why = "every required check passed"
    elif gating:
        label, code = "NO-GO", EXIT_NO_GO
        why = ", ".join(blockers)
    else:
        label, code = "BASELINE", EXIT_GO
        why = ", ".join(blockers) + "; baseline capture, FAIL_ON_REQUIRED_FAILURE=0"
    return Verdict(
        overall=overall, label=label, exit_code=code, gating=gating, counts=counts, why=why
    )
