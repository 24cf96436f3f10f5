"""The seed's Go/No-Go policy, row by row: required/optional × passed/failed/skipped × mode."""

from __future__ import annotations

import itertools

import pytest

from cutover_probe.model import Status
from cutover_probe.policy import Row, decide


def row(required: bool, status: Status) -> Row:
    return required, status


# (required, status) -> does this single check make the run overall "failed"?
BLOCKS = {
    (True, Status.PASSED): False,
    (True, Status.FAILED): True,
    (True, Status.SKIPPED): True,  # policy rule 2: required checks cannot be skipped
    (False, Status.PASSED): False,
    (False, Status.FAILED): False,
    (False, Status.SKIPPED): False,
}


@pytest.mark.parametrize(
    ("required", "status", "gating"),
    [(r, s, g) for (r, s), g in itertools.product(BLOCKS, (True, False))],
)
def test_policy_table(required: bool, status: Status, gating: bool) -> None:
    # A passing required check beside it, so the matrix is never empty of required checks.
    rows = [row(True, Status.PASSED), row(required, status)]
    verdict = decide(rows, gating=gating, interrupted=False)
    blocked = BLOCKS[(required, status)]
    assert verdict.overall == ("failed" if blocked else "passed")
    if not blocked:
        assert (verdict.label, verdict.exit_code) == ("GO", 0)
    elif gating:
        assert (verdict.label, verdict.exit_code) == ("NO-GO", 1)
    else:
        assert (verdict.label, verdict.exit_code) == ("BASELINE", 0)


def test_counts_match_the_seed_summary_bullets() -> None:
    rows = [
        row(True, Status.PASSED),
        row(True, Status.FAILED),
        row(False, Status.FAILED),
        row(True, Status.SKIPPED),
        row(False, Status.SKIPPED),
        row(False, Status.PASSED),
    ]
    verdict = decide(rows, gating=True, interrupted=False)
    counts = verdict.counts
    assert (counts.total, counts.passed) == (6, 2)
    assert (counts.required_failures, counts.optional_failures) == (1, 1)
    assert (counts.required_skipped, counts.optional_skipped) == (1, 1)
    assert verdict.why == "1 required failed, 1 required skipped"


def test_interrupted_run_is_never_go() -> None:
    verdict = decide([row(True, Status.PASSED)], gating=False, interrupted=True)
    assert (verdict.label, verdict.exit_code, verdict.overall) == ("INTERRUPTED", 130, "failed")


def test_cancelled_required_check_blocks() -> None:
    verdict = decide([row(True, Status.CANCELLED)], gating=True, interrupted=False)
    assert (verdict.label, verdict.exit_code) == ("NO-GO", 1)
    assert "1 required cancelled" in verdict.why
